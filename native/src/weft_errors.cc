#include "weft_errors.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

namespace weft {

static const char *libbpf_errno_name(int err)
{
	switch (err) {
	case LIBBPF_ERRNO__LIBELF:
	case LIBBPF_ERRNO__FORMAT:
	case LIBBPF_ERRNO__KVERSION:
	case LIBBPF_ERRNO__ENDIAN:
	case LIBBPF_ERRNO__RELOC:
		return "LIBBPF_BAD_OBJECT";
	case LIBBPF_ERRNO__LOAD:
	case LIBBPF_ERRNO__VERIFY:
	case LIBBPF_ERRNO__PROG2BIG:
	case LIBBPF_ERRNO__KVER:
		return "LIBBPF_REFUSED";
	case LIBBPF_ERRNO__PROGTYPE:
		return "LIBBPF_PROGTYPE";
	default:
		return "LIBBPF_INTERNAL";
	}
}

Napi::Error errno_error(Napi::Env env, const std::string &op, int err, const std::string &detail)
{
	if (err < 0)
		err = -err;
	std::string text, name;
	if (err >= __LIBBPF_ERRNO__START && err < __LIBBPF_ERRNO__END) {
		// libbpf's own codes (bad ELF, verifier refusal, ...) are not errno values.
		char buf[256];
		libbpf_strerror(err, buf, sizeof(buf));
		text = buf;
		name = libbpf_errno_name(err);
	} else {
		// 524 is the kernel-internal ENOTSUPP, unknown to libc.
		text = err == 524 ? "Operation not supported by the kernel" : std::strerror(err);
		const char *n = err == 524 ? "ENOTSUPP" : strerrorname_np(err);
		name = n ? n : "E?";
	}
	Napi::Error e = Napi::Error::New(env, op + ": " + text);
	e.Value().Set("errno", Napi::Number::New(env, err));
	e.Value().Set("syscall", Napi::String::New(env, op));
	e.Value().Set("errnoName", Napi::String::New(env, name));
	if (!detail.empty())
		e.Value().Set("detail", Napi::String::New(env, detail));
	return e;
}

void throw_errno(Napi::Env env, const std::string &op, int err, const std::string &detail)
{
	throw errno_error(env, op, err, detail);
}

static Napi::TypeError arg_error(const Napi::CallbackInfo &info, const char *name, const char *want)
{
	return Napi::TypeError::New(info.Env(), std::string("argument '") + name + "' must be " + want);
}

std::string arg_string(const Napi::CallbackInfo &info, size_t i, const char *name)
{
	if (info.Length() <= i || !info[i].IsString())
		throw arg_error(info, name, "a string");
	return info[i].As<Napi::String>().Utf8Value();
}

int arg_fd(const Napi::CallbackInfo &info, size_t i, const char *name)
{
	if (info.Length() <= i || !info[i].IsNumber())
		throw arg_error(info, name, "a file descriptor (number)");
	int64_t v = info[i].As<Napi::Number>().Int64Value();
	if (v < 0 || v > INT32_MAX)
		throw arg_error(info, name, "a non-negative file descriptor");
	return static_cast<int>(v);
}

uint32_t arg_u32(const Napi::CallbackInfo &info, size_t i, const char *name)
{
	if (info.Length() <= i || !info[i].IsNumber())
		throw arg_error(info, name, "a number");
	int64_t v = info[i].As<Napi::Number>().Int64Value();
	if (v < 0 || v > UINT32_MAX)
		throw arg_error(info, name, "an unsigned 32-bit number");
	return static_cast<uint32_t>(v);
}

Napi::Buffer<uint8_t> arg_buffer(const Napi::CallbackInfo &info, size_t i, const char *name)
{
	if (info.Length() <= i || !info[i].IsBuffer())
		throw arg_error(info, name, "a Buffer");
	return info[i].As<Napi::Buffer<uint8_t>>();
}

} // namespace weft
