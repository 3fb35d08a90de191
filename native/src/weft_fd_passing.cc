// Passing open file descriptors between processes: AF_UNIX SOCK_SEQPACKET sockets in the
// abstract namespace (scoped to the caller's network namespace, nothing on disk) carrying
// SCM_RIGHTS. An agent hands its listening sockets to its successor with it, so the
// sockets themselves — and the connections queued on them — never close.
//
// Node cannot watch such a socket or read ancillary data on its own handles, so every call
// here is non-blocking (accept, send) or waits on poll() for a bounded time (receive): the
// hand-over is rare and short, and its caller polls rather than owning a thread.
#include <napi.h>

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

#include "weft_errors.h"

namespace weft {

namespace {

// The kernel's limit of descriptors in one SCM_RIGHTS message (SCM_MAX_FD).
constexpr size_t max_fds = 253;
constexpr size_t max_message = 64 * 1024;

socklen_t abstract_address(const Napi::CallbackInfo &info, const std::string &name, struct sockaddr_un &addr)
{
	if (name.empty() || name.size() > sizeof(addr.sun_path) - 1 || name.find('\0') != std::string::npos)
		throw Napi::RangeError::New(info.Env(), "an abstract socket name is 1 to 107 bytes without NUL");
	addr = {};
	addr.sun_family = AF_UNIX;
	// A leading NUL puts the name in the abstract namespace.
	std::memcpy(addr.sun_path + 1, name.data(), name.size());
	return static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + 1 + name.size());
}

Napi::Object peer_of(Napi::Env env, int fd)
{
	struct ucred cred = {};
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		int err = errno;
		close(fd);
		throw_errno(env, "getsockopt(SO_PEERCRED)", err);
	}
	Napi::Object out = Napi::Object::New(env);
	out.Set("fd", Napi::Number::New(env, fd));
	out.Set("pid", Napi::Number::New(env, cred.pid));
	out.Set("uid", Napi::Number::New(env, cred.uid));
	return out;
}

// A non-blocking SOCK_SEQPACKET socket and the abstract address of `name`.
int seqpacket_for(const Napi::CallbackInfo &info, const std::string &name, struct sockaddr_un &addr, socklen_t &len)
{
	len = abstract_address(info, name, addr);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		throw_errno(info.Env(), "socket(AF_UNIX)", errno);
	return fd;
}

// unixListen(name): a listening socket bound to the abstract name; EADDRINUSE while
// another process holds it.
Napi::Value unix_listen(const Napi::CallbackInfo &info)
{
	std::string name = arg_string(info, 0, "name");
	struct sockaddr_un addr;
	socklen_t len;
	int fd = seqpacket_for(info, name, addr, len);
	if (bind(fd, reinterpret_cast<struct sockaddr *>(&addr), len) || listen(fd, 8)) {
		int err = errno;
		close(fd);
		throw_errno(info.Env(), "bind(@" + name + ")", err);
	}
	return Napi::Number::New(info.Env(), fd);
}

// unixAccept(fd): { fd, pid, uid } of a waiting peer, or null when none waits.
Napi::Value unix_accept(const Napi::CallbackInfo &info)
{
	int fd = arg_fd(info, 0, "fd");
	int conn = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (conn < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return info.Env().Null();
		throw_errno(info.Env(), "accept4", errno);
	}
	return peer_of(info.Env(), conn);
}

// unixConnect(name): { fd, pid, uid } of the listener's process; ECONNREFUSED when no
// process listens on the name.
Napi::Value unix_connect(const Napi::CallbackInfo &info)
{
	std::string name = arg_string(info, 0, "name");
	struct sockaddr_un addr;
	socklen_t len;
	int fd = seqpacket_for(info, name, addr, len);
	// A local connect completes at once or fails (EAGAIN only when the backlog is full).
	if (connect(fd, reinterpret_cast<struct sockaddr *>(&addr), len)) {
		int err = errno;
		close(fd);
		throw_errno(info.Env(), "connect(@" + name + ")", err);
	}
	return peer_of(info.Env(), fd);
}

// unixSend(fd, data, fds): one message, with the descriptors as SCM_RIGHTS; the receiver
// gets its own copies, the caller's stay open.
Napi::Value unix_send(const Napi::CallbackInfo &info)
{
	int fd = arg_fd(info, 0, "fd");
	auto data = arg_buffer(info, 1, "data");
	if (info.Length() < 3 || !info[2].IsArray())
		throw Napi::TypeError::New(info.Env(), "argument 'fds' must be an array of file descriptors");
	Napi::Array list = info[2].As<Napi::Array>();
	if (list.Length() > max_fds)
		throw Napi::RangeError::New(info.Env(), "at most " + std::to_string(max_fds) + " descriptors fit in one message");
	if (data.Length() == 0 || data.Length() > max_message)
		throw Napi::RangeError::New(info.Env(), "a message is 1 byte to 64 KiB");
	std::vector<int> fds;
	for (uint32_t i = 0; i < list.Length(); i++) {
		Napi::Value v = list.Get(i);
		int64_t n = v.IsNumber() ? v.As<Napi::Number>().Int64Value() : -1;
		if (n < 0 || n > INT32_MAX)
			throw Napi::TypeError::New(info.Env(), "argument 'fds' must hold file descriptors");
		fds.push_back(static_cast<int>(n));
	}
	struct iovec iov = { data.Data(), data.Length() };
	struct msghdr msg = {};
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	std::vector<char> control(CMSG_SPACE(sizeof(int) * (fds.empty() ? 1 : fds.size())), 0);
	if (!fds.empty()) {
		msg.msg_control = control.data();
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
		struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
		std::memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());
	}
	ssize_t sent = sendmsg(fd, &msg, MSG_NOSIGNAL);
	if (sent < 0)
		throw_errno(info.Env(), "sendmsg", errno);
	return info.Env().Undefined();
}

// unixReceive(fd, timeoutMs): { data, fds } of the next message, null when none came in
// time; an empty `data` means the peer closed (or reset). Descriptors arrive close-on-exec.
Napi::Value unix_receive(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	int fd = arg_fd(info, 0, "fd");
	uint32_t timeout_ms = arg_u32(info, 1, "timeoutMs");
	struct pollfd p = { fd, POLLIN, 0 };
	int ready = poll(&p, 1, static_cast<int>(timeout_ms));
	if (ready < 0) {
		if (errno == EINTR)
			return env.Null();
		throw_errno(env, "poll", errno);
	}
	if (ready == 0)
		return env.Null();
	std::vector<uint8_t> buffer(max_message);
	std::vector<char> control(CMSG_SPACE(sizeof(int) * max_fds), 0);
	struct iovec iov = { buffer.data(), buffer.size() };
	struct msghdr msg = {};
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.data();
	msg.msg_controllen = control.size();
	ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return env.Null();
		// The peer closed with a message of ours unread: closed all the same.
		if (errno != ECONNRESET)
			throw_errno(env, "recvmsg", errno);
		n = 0;
	}
	std::vector<int> fds;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		const int *received = reinterpret_cast<const int *>(CMSG_DATA(c));
		fds.insert(fds.end(), received, received + count);
	}
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		// A message cut short is not what the sender meant: none of it is kept.
		for (int received : fds)
			close(received);
		throw_errno(env, "recvmsg (message truncated)", EMSGSIZE);
	}
	Napi::Object out = Napi::Object::New(env);
	out.Set("data", Napi::Buffer<uint8_t>::Copy(env, buffer.data(), static_cast<size_t>(n)));
	Napi::Array list = Napi::Array::New(env, fds.size());
	for (size_t i = 0; i < fds.size(); i++)
		list.Set(static_cast<uint32_t>(i), Napi::Number::New(env, fds[i]));
	out.Set("fds", list);
	return out;
}

} // namespace

void register_fd_passing(Napi::Env env, Napi::Object exports)
{
	exports.Set("unixListen", Napi::Function::New(env, unix_listen));
	exports.Set("unixAccept", Napi::Function::New(env, unix_accept));
	exports.Set("unixConnect", Napi::Function::New(env, unix_connect));
	exports.Set("unixSend", Napi::Function::New(env, unix_send));
	exports.Set("unixReceive", Napi::Function::New(env, unix_receive));
}

} // namespace weft
