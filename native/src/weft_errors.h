// Errors thrown to JavaScript carry the failing operation and errno, so the TypeScript
// front door (native/lib/native-error.ts) can give a stable code and an actionable hint.
#pragma once
#include <napi.h>
#include <string>

namespace weft {

// Builds (does not throw) an Error with .errno, .syscall and, when present, .detail
// (for example the verifier log of a failed load).
Napi::Error errno_error(Napi::Env env, const std::string &op, int err, const std::string &detail = "");

// Throws errno_error as a C++ exception (node-addon-api turns it into a JS throw).
[[noreturn]] void throw_errno(Napi::Env env, const std::string &op, int err, const std::string &detail = "");

// Argument checks shared by every exported function.
std::string arg_string(const Napi::CallbackInfo &info, size_t i, const char *name);
int arg_fd(const Napi::CallbackInfo &info, size_t i, const char *name);
uint32_t arg_u32(const Napi::CallbackInfo &info, size_t i, const char *name);
Napi::Buffer<uint8_t> arg_buffer(const Napi::CallbackInfo &info, size_t i, const char *name);

} // namespace weft
