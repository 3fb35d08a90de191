// Entry point of the native addon: registers each group of functions.
#include <napi.h>

#include "weft_libbpf_log.h"

namespace weft {
Napi::Function define_bpf_object(Napi::Env env);
void register_bpf_fd(Napi::Env env, Napi::Object exports);
void register_netns(Napi::Env env, Napi::Object exports);
void register_probe(Napi::Env env, Napi::Object exports);
void register_fd_passing(Napi::Env env, Napi::Object exports);
} // namespace weft

static Napi::Object init(Napi::Env env, Napi::Object exports)
{
	weft::install_libbpf_logger();
	exports.Set("BpfObject", weft::define_bpf_object(env));
	weft::register_bpf_fd(env, exports);
	weft::register_netns(env, exports);
	weft::register_probe(env, exports);
	weft::register_fd_passing(env, exports);
	return exports;
}

NODE_API_MODULE(weft_native, init)
