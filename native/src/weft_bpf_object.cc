// BpfObject: an opened and loaded BPF object file. JavaScript sees programs and maps by
// their C names with their types and fds, never ELF section names.
#include <napi.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <string>

#include "weft_errors.h"
#include "weft_libbpf_log.h"

namespace weft {

void forget_map_fd(int fd);

// Closing an object closes its map fds: the size cache of weft_bpf_fd.cc must forget them.
static void close_object(struct bpf_object *obj)
{
	struct bpf_map *map;
	bpf_object__for_each_map(map, obj) forget_map_fd(bpf_map__fd(map));
	bpf_object__close(obj);
}

static std::mutex log_mutex;
static std::string *log_sink = nullptr;

static int libbpf_logger(enum libbpf_print_level level, const char *fmt, va_list args)
{
	// The verifier log arrives as one long "%s": size the buffer to the message.
	va_list copy;
	va_copy(copy, args);
	int n = vsnprintf(nullptr, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return 0;
	std::string line(static_cast<size_t>(n) + 1, '\0');
	vsnprintf(line.data(), line.size(), fmt, args);
	line.resize(static_cast<size_t>(n));
	std::lock_guard<std::mutex> lock(log_mutex);
	if (log_sink) {
		log_sink->append(line);
	} else if (level == LIBBPF_WARN) {
		// Outside a captured call libbpf warnings are rare; keep them visible.
		fputs(line.c_str(), stderr);
	}
	return 0;
}

static thread_local std::string captured;

LibbpfLogCapture::LibbpfLogCapture()
{
	std::lock_guard<std::mutex> lock(log_mutex);
	captured.clear();
	log_sink = &captured;
}

LibbpfLogCapture::~LibbpfLogCapture()
{
	std::lock_guard<std::mutex> lock(log_mutex);
	log_sink = nullptr;
}

std::string LibbpfLogCapture::text() const
{
	std::lock_guard<std::mutex> lock(log_mutex);
	return captured;
}

void install_libbpf_logger()
{
	libbpf_set_print(libbpf_logger);
}

class BpfObject : public Napi::ObjectWrap<BpfObject> {
public:
	static Napi::Function Define(Napi::Env env)
	{
		return DefineClass(env, "BpfObject",
				   {
					   InstanceMethod("setMapPinPath", &BpfObject::SetMapPinPath),
					   InstanceMethod("load", &BpfObject::Load),
					   InstanceMethod("programs", &BpfObject::Programs),
					   InstanceMethod("maps", &BpfObject::Maps),
					   InstanceMethod("btfStruct", &BpfObject::BtfStruct),
					   InstanceMethod("close", &BpfObject::Close),
				   });
	}

	explicit BpfObject(const Napi::CallbackInfo &info) : Napi::ObjectWrap<BpfObject>(info)
	{
		std::string path = arg_string(info, 0, "path");
		LibbpfLogCapture log;
		obj_ = bpf_object__open_file(path.c_str(), nullptr);
		if (!obj_) {
			int err = errno;
			throw_errno(info.Env(), "bpf_object__open_file(" + path + ")", err, log.text());
		}
	}

	~BpfObject() override
	{
		if (obj_)
			close_object(obj_);
	}

private:
	struct bpf_object *obj_ = nullptr;

	struct bpf_object *require_open(Napi::Env env)
	{
		if (!obj_)
			throw Napi::Error::New(env, "BPF object is closed");
		return obj_;
	}

	// Before load: the map is pinned at path. A map already pinned there is reused (libbpf
	// refuses one whose type, sizes or flags differ); otherwise it is created and pinned.
	Napi::Value SetMapPinPath(const Napi::CallbackInfo &info)
	{
		struct bpf_object *obj = require_open(info.Env());
		std::string name = arg_string(info, 0, "name");
		std::string path = arg_string(info, 1, "path");
		struct bpf_map *map = bpf_object__find_map_by_name(obj, name.c_str());
		if (!map)
			throw_errno(info.Env(), "bpf_object__find_map_by_name(" + name + ")", ENOENT);
		int err = bpf_map__set_pin_path(map, path.c_str());
		if (err)
			throw_errno(info.Env(), "bpf_map__set_pin_path(" + path + ")", err);
		return info.Env().Undefined();
	}

	Napi::Value Load(const Napi::CallbackInfo &info)
	{
		struct bpf_object *obj = require_open(info.Env());
		LibbpfLogCapture log;
		int err = bpf_object__load(obj);
		if (err)
			throw_errno(info.Env(), "bpf_object__load", err, log.text());
		return info.Env().Undefined();
	}

	Napi::Value Programs(const Napi::CallbackInfo &info)
	{
		Napi::Env env = info.Env();
		struct bpf_object *obj = require_open(env);
		Napi::Array out = Napi::Array::New(env);
		struct bpf_program *prog;
		uint32_t i = 0;
		bpf_object__for_each_program(prog, obj) {
			Napi::Object p = Napi::Object::New(env);
			enum bpf_prog_type type = bpf_program__type(prog);
			enum bpf_attach_type attach = bpf_program__expected_attach_type(prog);
			const char *type_name = libbpf_bpf_prog_type_str(type);
			const char *attach_name = libbpf_bpf_attach_type_str(attach);
			p.Set("name", bpf_program__name(prog));
			p.Set("type", type_name ? type_name : "unknown");
			p.Set("attachType", attach_name ? attach_name : "unknown");
			p.Set("attachTypeId", Napi::Number::New(env, attach));
			p.Set("fd", Napi::Number::New(env, bpf_program__fd(prog)));
			out.Set(i++, p);
		}
		return out;
	}

	Napi::Value Maps(const Napi::CallbackInfo &info)
	{
		Napi::Env env = info.Env();
		struct bpf_object *obj = require_open(env);
		Napi::Array out = Napi::Array::New(env);
		struct bpf_map *map;
		uint32_t i = 0;
		bpf_object__for_each_map(map, obj) {
			Napi::Object m = Napi::Object::New(env);
			const char *type_name = libbpf_bpf_map_type_str(bpf_map__type(map));
			m.Set("name", bpf_map__name(map));
			m.Set("type", type_name ? type_name : "unknown");
			m.Set("keySize", Napi::Number::New(env, bpf_map__key_size(map)));
			m.Set("valueSize", Napi::Number::New(env, bpf_map__value_size(map)));
			m.Set("maxEntries", Napi::Number::New(env, bpf_map__max_entries(map)));
			m.Set("fd", Napi::Number::New(env, bpf_map__fd(map)));
			out.Set(i++, m);
		}
		return out;
	}

	// The layout of a struct as the compiler laid it out for the kernel, from BTF; user
	// space codecs compare their own layout against it.
	Napi::Value BtfStruct(const Napi::CallbackInfo &info)
	{
		Napi::Env env = info.Env();
		std::string name = arg_string(info, 0, "name");
		struct btf *btf = bpf_object__btf(require_open(env));
		if (!btf)
			throw Napi::Error::New(env, "the BPF object has no BTF (build with clang -g)");
		int id = btf__find_by_name_kind(btf, name.c_str(), BTF_KIND_STRUCT);
		if (id < 0)
			return env.Null();
		const struct btf_type *t = btf__type_by_id(btf, id);
		Napi::Object out = Napi::Object::New(env);
		out.Set("size", Napi::Number::New(env, t->size));
		Napi::Array members = Napi::Array::New(env);
		const struct btf_member *m = btf_members(t);
		for (uint16_t i = 0; i < btf_vlen(t); i++, m++) {
			Napi::Object member = Napi::Object::New(env);
			member.Set("name", btf__name_by_offset(btf, m->name_off));
			member.Set("offset", Napi::Number::New(env, btf_member_bit_offset(t, i) / 8));
			member.Set("size", Napi::Number::New(env, btf__resolve_size(btf, m->type)));
			members.Set(i, member);
		}
		out.Set("members", members);
		return out;
	}

	Napi::Value Close(const Napi::CallbackInfo &info)
	{
		if (obj_) {
			close_object(obj_);
			obj_ = nullptr;
		}
		return info.Env().Undefined();
	}
};

Napi::Function define_bpf_object(Napi::Env env)
{
	return BpfObject::Define(env);
}

} // namespace weft
