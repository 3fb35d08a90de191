// Kernel feature probes: can this kernel load a program type, create a map type, and
// let a program type call a helper? Used by the agent at start and by `weft check --pre`.
#include <napi.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <unistd.h>

#include "weft_errors.h"

namespace weft {

namespace {

// libbpf names enum values (libbpf_bpf_*_type_str); find the value for a name.
template <typename Enum, typename Namer> bool enum_by_name(const std::string &name, Namer namer, Enum &out)
{
	for (int i = 0; i < 256; i++) {
		const char *n = namer(static_cast<Enum>(i));
		if (n && name == n) {
			out = static_cast<Enum>(i);
			return true;
		}
	}
	return false;
}

struct Helper {
	const char *name;
	enum bpf_func_id id;
};

// The helpers the capture programs call.
const Helper helpers[] = {
	{ "map_lookup_elem", BPF_FUNC_map_lookup_elem },
	{ "map_update_elem", BPF_FUNC_map_update_elem },
	{ "map_delete_elem", BPF_FUNC_map_delete_elem },
	{ "get_socket_cookie", BPF_FUNC_get_socket_cookie },
	{ "get_netns_cookie", BPF_FUNC_get_netns_cookie },
	{ "sk_assign", BPF_FUNC_sk_assign },
	{ "sk_release", BPF_FUNC_sk_release },
};

// 1 = supported, 0 = not supported; other failures throw.
Napi::Value result(const Napi::CallbackInfo &info, int rc, const std::string &what)
{
	if (rc < 0)
		throw_errno(info.Env(), what, rc);
	return Napi::Boolean::New(info.Env(), rc == 1);
}

enum bpf_prog_type prog_type_arg(const Napi::CallbackInfo &info, size_t i)
{
	std::string name = arg_string(info, i, "programType");
	enum bpf_prog_type t;
	if (!enum_by_name(name, libbpf_bpf_prog_type_str, t))
		throw Napi::RangeError::New(info.Env(), "unknown BPF program type '" + name + "'");
	return t;
}

Napi::Value probe_program_type(const Napi::CallbackInfo &info)
{
	return result(info, libbpf_probe_bpf_prog_type(prog_type_arg(info, 0), nullptr), "libbpf_probe_bpf_prog_type");
}

Napi::Value probe_map_type(const Napi::CallbackInfo &info)
{
	std::string name = arg_string(info, 0, "mapType");
	enum bpf_map_type t;
	if (!enum_by_name(name, libbpf_bpf_map_type_str, t))
		throw Napi::RangeError::New(info.Env(), "unknown BPF map type '" + name + "'");
	return result(info, libbpf_probe_bpf_map_type(t, nullptr), "libbpf_probe_bpf_map_type");
}

// libbpf_probe_bpf_helper (libbpf 1.1) only recognises "invalid func"/"unknown func" in the
// verifier log, so it calls a helper supported when the kernel says "program of this type
// cannot use helper" (e.g. get_netns_cookie in sk_lookup). Load the probe ourselves and
// read the log for all three refusals; any other complaint (arguments) means supported.
int probe_helper_load(enum bpf_prog_type prog, enum bpf_func_id id)
{
	struct bpf_insn insns[3] = {};
	insns[0].code = BPF_JMP | BPF_CALL;
	insns[0].imm = id;
	insns[1].code = BPF_ALU64 | BPF_MOV | BPF_K; /* r0 = 0 */
	insns[2].code = BPF_JMP | BPF_EXIT;
	static char log[16384];
	log[0] = 0;
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	opts.log_level = 1;
	opts.log_size = sizeof(log);
	opts.log_buf = log;
	if (prog == BPF_PROG_TYPE_CGROUP_SOCK_ADDR)
		opts.expected_attach_type = BPF_CGROUP_INET4_CONNECT;
	else if (prog == BPF_PROG_TYPE_SK_LOOKUP)
		opts.expected_attach_type = BPF_SK_LOOKUP;
	int fd = bpf_prog_load(prog, nullptr, "GPL", insns, 3, &opts);
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	if (errno == EPERM)
		return -EPERM;
	for (const char *refusal : { "invalid func", "unknown func", "cannot use helper" }) {
		if (strstr(log, refusal))
			return 0;
	}
	return 1;
}

Napi::Value probe_helper(const Napi::CallbackInfo &info)
{
	enum bpf_prog_type prog = prog_type_arg(info, 0);
	std::string name = arg_string(info, 1, "helper");
	for (const Helper &h : helpers) {
		if (name == h.name)
			return result(info, probe_helper_load(prog, h.id), "bpf_prog_load(helper probe)");
	}
	throw Napi::RangeError::New(info.Env(), "unknown or unprobed BPF helper '" + name + "'");
}

} // namespace

void register_probe(Napi::Env env, Napi::Object exports)
{
	exports.Set("probeProgramType", Napi::Function::New(env, probe_program_type));
	exports.Set("probeMapType", Napi::Function::New(env, probe_map_type));
	exports.Set("probeHelper", Napi::Function::New(env, probe_helper));
}

} // namespace weft
