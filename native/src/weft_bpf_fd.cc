// Operations on BPF maps, links and pins by file descriptor. Keys and values are raw
// bytes; typed codecs live in TypeScript next to the structs they mirror.
#include <napi.h>

#include <bpf/bpf.h>

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>
#include <unordered_map>

#include "weft_errors.h"

namespace weft {

// A map's sizes never change, so they are asked of the kernel once per fd (an extra
// syscall per map operation doubled the cost of the agent's per-connection lookup).
// Every place that closes a map fd forgets it (forget_map_fd).
static std::unordered_map<int, struct bpf_map_info> map_info_cache;

void forget_map_fd(int fd)
{
	map_info_cache.erase(fd);
}

// The kernel copies exactly the map's key and value sizes: a shorter buffer would be
// read past its end or, for lookups, written past it. Check against the map itself.
static struct bpf_map_info check_sizes(const Napi::CallbackInfo &info, int fd, size_t key_len, size_t value_len, bool check_value)
{
	auto cached = map_info_cache.find(fd);
	if (cached == map_info_cache.end()) {
		struct bpf_map_info fresh = {};
		uint32_t len = sizeof(fresh);
		if (bpf_obj_get_info_by_fd(fd, &fresh, &len))
			throw_errno(info.Env(), "bpf_obj_get_info_by_fd", errno);
		cached = map_info_cache.emplace(fd, fresh).first;
	}
	const struct bpf_map_info &map = cached->second;
	if (key_len != map.key_size)
		throw Napi::RangeError::New(info.Env(), "key is " + std::to_string(key_len) + " bytes but map " + map.name +
								 " has " + std::to_string(map.key_size) + "-byte keys");
	if (check_value && value_len != map.value_size)
		throw Napi::RangeError::New(info.Env(), "value is " + std::to_string(value_len) + " bytes but map " +
								 map.name + " has " + std::to_string(map.value_size) + "-byte values");
	return map;
}

static Napi::Value map_update(const Napi::CallbackInfo &info)
{
	int fd = arg_fd(info, 0, "mapFd");
	auto key = arg_buffer(info, 1, "key");
	auto value = arg_buffer(info, 2, "value");
	uint32_t flags = arg_u32(info, 3, "flags");
	struct bpf_map_info map = check_sizes(info, fd, key.Length(), 0, false);
	// SOCKMAP/SOCKHASH updates take a 4- or 8-byte fd whatever the map's value size.
	bool socket_map = map.type == BPF_MAP_TYPE_SOCKMAP || map.type == BPF_MAP_TYPE_SOCKHASH;
	if (socket_map ? value.Length() != 4 && value.Length() != 8 : value.Length() != map.value_size)
		throw Napi::RangeError::New(info.Env(), "value is " + std::to_string(value.Length()) + " bytes, which map " +
								 map.name + " does not take");
	if (bpf_map_update_elem(fd, key.Data(), value.Data(), flags))
		throw_errno(info.Env(), "bpf_map_update_elem", errno);
	return info.Env().Undefined();
}

// Returns the value, or null when the key is absent.
static Napi::Value map_lookup_impl(const Napi::CallbackInfo &info, bool and_delete)
{
	int fd = arg_fd(info, 0, "mapFd");
	auto key = arg_buffer(info, 1, "key");
	uint32_t value_size = arg_u32(info, 2, "valueSize");
	check_sizes(info, fd, key.Length(), value_size, true);
	auto value = Napi::Buffer<uint8_t>::New(info.Env(), value_size);
	int rc = and_delete ? bpf_map_lookup_and_delete_elem(fd, key.Data(), value.Data()) :
			      bpf_map_lookup_elem(fd, key.Data(), value.Data());
	if (rc) {
		if (errno == ENOENT)
			return info.Env().Null();
		throw_errno(info.Env(), and_delete ? "bpf_map_lookup_and_delete_elem" : "bpf_map_lookup_elem", errno);
	}
	return value;
}

static Napi::Value map_lookup(const Napi::CallbackInfo &info)
{
	return map_lookup_impl(info, false);
}

static Napi::Value map_lookup_and_delete(const Napi::CallbackInfo &info)
{
	return map_lookup_impl(info, true);
}

// Returns true when an entry was deleted, false when there was none.
static Napi::Value map_delete(const Napi::CallbackInfo &info)
{
	int fd = arg_fd(info, 0, "mapFd");
	auto key = arg_buffer(info, 1, "key");
	check_sizes(info, fd, key.Length(), 0, false);
	if (bpf_map_delete_elem(fd, key.Data())) {
		if (errno == ENOENT)
			return Napi::Boolean::New(info.Env(), false);
		throw_errno(info.Env(), "bpf_map_delete_elem", errno);
	}
	return Napi::Boolean::New(info.Env(), true);
}

// The key after `key` (or the first key when `key` is null); null at the end.
static Napi::Value map_next_key(const Napi::CallbackInfo &info)
{
	int fd = arg_fd(info, 0, "mapFd");
	uint32_t key_size = arg_u32(info, 2, "keySize");
	const void *cur = nullptr;
	if (info.Length() > 1 && info[1].IsBuffer()) {
		auto key = info[1].As<Napi::Buffer<uint8_t>>();
		check_sizes(info, fd, key.Length(), 0, false);
		cur = key.Data();
	}
	check_sizes(info, fd, key_size, 0, false);
	auto next = Napi::Buffer<uint8_t>::New(info.Env(), key_size);
	if (bpf_map_get_next_key(fd, cur, next.Data())) {
		if (errno == ENOENT)
			return info.Env().Null();
		throw_errno(info.Env(), "bpf_map_get_next_key", errno);
	}
	return next;
}

// Attaches a program to a target named by path (a cgroup directory or a netns file).
static Napi::Value link_create(const Napi::CallbackInfo &info)
{
	int prog_fd = arg_fd(info, 0, "programFd");
	std::string target = arg_string(info, 1, "targetPath");
	uint32_t attach_type = arg_u32(info, 2, "attachTypeId");
	int target_fd = open(target.c_str(), O_RDONLY | O_CLOEXEC);
	if (target_fd < 0)
		throw_errno(info.Env(), "open(" + target + ")", errno);
	int link_fd = bpf_link_create(prog_fd, target_fd, static_cast<enum bpf_attach_type>(attach_type), nullptr);
	int err = errno;
	close(target_fd);
	if (link_fd < 0)
		throw_errno(info.Env(), "bpf_link_create(" + target + ")", err);
	return Napi::Number::New(info.Env(), link_fd);
}

// Replaces the program of a link in one step: the target is never without one.
static Napi::Value link_update(const Napi::CallbackInfo &info)
{
	int fd = arg_fd(info, 0, "linkFd");
	int prog_fd = arg_fd(info, 1, "programFd");
	if (bpf_link_update(fd, prog_fd, nullptr))
		throw_errno(info.Env(), "bpf_link_update", errno);
	return info.Env().Undefined();
}

static Napi::Value link_detach(const Napi::CallbackInfo &info)
{
	int fd = arg_fd(info, 0, "linkFd");
	if (bpf_link_detach(fd))
		throw_errno(info.Env(), "bpf_link_detach", errno);
	return info.Env().Undefined();
}

static Napi::Value obj_pin(const Napi::CallbackInfo &info)
{
	int fd = arg_fd(info, 0, "fd");
	std::string path = arg_string(info, 1, "path");
	if (bpf_obj_pin(fd, path.c_str()))
		throw_errno(info.Env(), "bpf_obj_pin(" + path + ")", errno);
	return info.Env().Undefined();
}

static Napi::Value obj_get(const Napi::CallbackInfo &info)
{
	std::string path = arg_string(info, 0, "path");
	int fd = bpf_obj_get(path.c_str());
	if (fd < 0)
		throw_errno(info.Env(), "bpf_obj_get(" + path + ")", errno);
	return Napi::Number::New(info.Env(), fd);
}

// Kernel ids of a link: its own, its program's, and the link type.
static Napi::Value link_info(const Napi::CallbackInfo &info)
{
	int fd = arg_fd(info, 0, "linkFd");
	struct bpf_link_info li = {};
	uint32_t len = sizeof(li);
	if (bpf_obj_get_info_by_fd(fd, &li, &len))
		throw_errno(info.Env(), "bpf_obj_get_info_by_fd", errno);
	Napi::Object out = Napi::Object::New(info.Env());
	out.Set("id", Napi::Number::New(info.Env(), li.id));
	out.Set("programId", Napi::Number::New(info.Env(), li.prog_id));
	out.Set("type", Napi::Number::New(info.Env(), li.type));
	if (li.type == BPF_LINK_TYPE_NETNS)
		out.Set("netnsIno", Napi::Number::New(info.Env(), li.netns.netns_ino));
	return out;
}

static Napi::Value close_fd(const Napi::CallbackInfo &info)
{
	int fd = arg_fd(info, 0, "fd");
	forget_map_fd(fd);
	if (close(fd))
		throw_errno(info.Env(), "close", errno);
	return info.Env().Undefined();
}

void register_bpf_fd(Napi::Env env, Napi::Object exports)
{
	exports.Set("mapUpdate", Napi::Function::New(env, map_update));
	exports.Set("mapLookup", Napi::Function::New(env, map_lookup));
	exports.Set("mapLookupAndDelete", Napi::Function::New(env, map_lookup_and_delete));
	exports.Set("mapDelete", Napi::Function::New(env, map_delete));
	exports.Set("mapNextKey", Napi::Function::New(env, map_next_key));
	exports.Set("linkCreate", Napi::Function::New(env, link_create));
	exports.Set("linkUpdate", Napi::Function::New(env, link_update));
	exports.Set("linkDetach", Napi::Function::New(env, link_detach));
	exports.Set("linkInfo", Napi::Function::New(env, link_info));
	exports.Set("objPin", Napi::Function::New(env, obj_pin));
	exports.Set("objGet", Napi::Function::New(env, obj_get));
	exports.Set("closeFd", Napi::Function::New(env, close_fd));
}

} // namespace weft
