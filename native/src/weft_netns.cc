// Sockets inside another network namespace. Each call runs on a dedicated thread that
// enters the target netns with setns() and then ends, so neither the main thread nor
// libuv's pool threads ever change namespace. The fd it returns belongs to the caller:
// Node adopts it with server.listen({ fd }) or new net.Socket({ fd }).
#include <napi.h>

#include <arpa/inet.h>
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

#include "weft_errors.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif
#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif

namespace weft {

namespace {

enum class Op { listen, connect, cookie };

struct SocketSpec {
	std::string netns;
	int family = AF_INET;
	std::string address;
	uint16_t port = 0;
	int backlog = 511;
	uint32_t mark = 0;
	bool v6only = false;
	bool freebind = false;
	std::string source;
	int timeout_ms = 5000;
};

union SockAddr {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

// Fills addr from a textual address; false when it does not parse for the family.
bool make_addr(int family, const std::string &text, uint16_t port, SockAddr &addr, socklen_t &len)
{
	addr = {};
	if (family == AF_INET) {
		addr.v4.sin_family = AF_INET;
		addr.v4.sin_port = htons(port);
		len = sizeof(addr.v4);
		return inet_pton(AF_INET, text.c_str(), &addr.v4.sin_addr) == 1;
	}
	addr.v6.sin6_family = AF_INET6;
	addr.v6.sin6_port = htons(port);
	len = sizeof(addr.v6);
	return inet_pton(AF_INET6, text.c_str(), &addr.v6.sin6_addr) == 1;
}

class NetnsWorker : public Napi::AsyncWorker {
public:
	NetnsWorker(Napi::Env env, Op op, SocketSpec spec)
		: Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), op_(op),
		  spec_(std::move(spec))
	{
	}

	Napi::Promise promise() { return deferred_.Promise(); }

	void Execute() override
	{
		std::thread t([this] { run(); });
		t.join();
	}

	void OnOK() override
	{
		Napi::Env env = Env();
		if (err_) {
			if (fd_ >= 0)
				close(fd_);
			deferred_.Reject(errno_error(env, failed_op_, err_).Value());
		} else if (op_ == Op::cookie) {
			deferred_.Resolve(Napi::BigInt::New(env, cookie_));
		} else {
			deferred_.Resolve(Napi::Number::New(env, fd_));
		}
	}

	void OnError(const Napi::Error &e) override { deferred_.Reject(e.Value()); }

private:
	Napi::Promise::Deferred deferred_;
	Op op_;
	SocketSpec spec_;
	int fd_ = -1;
	uint64_t cookie_ = 0;
	int err_ = 0;
	std::string failed_op_;

	bool fail(const std::string &op)
	{
		err_ = errno;
		failed_op_ = op;
		return false;
	}

	bool fail_with(const std::string &op, int err)
	{
		err_ = err;
		failed_op_ = op;
		return false;
	}

	// Runs on the dedicated thread; the thread ends afterwards, so its namespace never
	// needs restoring.
	void run()
	{
		int ns = open(spec_.netns.c_str(), O_RDONLY | O_CLOEXEC);
		if (ns < 0) {
			fail("open(" + spec_.netns + ")");
			return;
		}
		int rc = setns(ns, CLONE_NEWNET);
		int setns_err = errno;
		close(ns);
		if (rc) {
			fail_with("setns(" + spec_.netns + ")", setns_err);
			return;
		}
		switch (op_) {
		case Op::cookie:
			read_cookie();
			break;
		case Op::listen:
			open_listener();
			break;
		case Op::connect:
			open_connection();
			break;
		}
	}

	void read_cookie()
	{
		int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			fail("socket(AF_UNIX)");
			return;
		}
		socklen_t len = sizeof(cookie_);
		if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie_, &len))
			fail("getsockopt(SO_NETNS_COOKIE)");
		close(fd);
	}

	bool new_socket()
	{
		fd_ = socket(spec_.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd_ < 0)
			return fail(spec_.family == AF_INET6 ? "socket(AF_INET6)" : "socket(AF_INET)");
		if (spec_.mark && setsockopt(fd_, SOL_SOCKET, SO_MARK, &spec_.mark, sizeof(spec_.mark)))
			return fail("setsockopt(SO_MARK)");
		if (spec_.freebind) {
			int one = 1;
			int rc = spec_.family == AF_INET6 ?
					 setsockopt(fd_, SOL_IPV6, IPV6_FREEBIND, &one, sizeof(one)) :
					 setsockopt(fd_, SOL_IP, IP_FREEBIND, &one, sizeof(one));
			if (rc)
				return fail("setsockopt(FREEBIND)");
		}
		return true;
	}

	bool bind_to(const std::string &address, uint16_t port)
	{
		SockAddr addr;
		socklen_t len;
		if (!make_addr(spec_.family, address, port, addr, len))
			return fail_with("inet_pton(" + address + ")", EINVAL);
		if (bind(fd_, &addr.sa, len))
			return fail("bind(" + address + ":" + std::to_string(port) + ")");
		return true;
	}

	void open_listener()
	{
		if (!new_socket())
			return;
		int one = 1;
		if (setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one))) {
			fail("setsockopt(SO_REUSEADDR)");
			return;
		}
		if (spec_.family == AF_INET6) {
			int v6only = spec_.v6only ? 1 : 0;
			if (setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only))) {
				fail("setsockopt(IPV6_V6ONLY)");
				return;
			}
		}
		if (!bind_to(spec_.address, spec_.port))
			return;
		if (listen(fd_, spec_.backlog))
			fail("listen");
	}

	void open_connection()
	{
		if (!new_socket())
			return;
		if (!spec_.source.empty() && !bind_to(spec_.source, 0))
			return;
		SockAddr addr;
		socklen_t len;
		if (!make_addr(spec_.family, spec_.address, spec_.port, addr, len)) {
			fail_with("inet_pton(" + spec_.address + ")", EINVAL);
			return;
		}
		std::string target = "connect(" + spec_.address + ":" + std::to_string(spec_.port) + ")";
		if (connect(fd_, &addr.sa, len) == 0)
			return;
		if (errno != EINPROGRESS) {
			fail(target);
			return;
		}
		struct pollfd p = { fd_, POLLOUT, 0 };
		int rc = poll(&p, 1, spec_.timeout_ms);
		if (rc == 0) {
			fail_with(target, ETIMEDOUT);
			return;
		}
		if (rc < 0) {
			fail(target);
			return;
		}
		int so_error = 0;
		socklen_t slen = sizeof(so_error);
		if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &so_error, &slen))
			fail("getsockopt(SO_ERROR)");
		else if (so_error)
			fail_with(target, so_error);
	}
};

SocketSpec parse_spec(const Napi::CallbackInfo &info)
{
	if (info.Length() < 1 || !info[0].IsObject())
		throw Napi::TypeError::New(info.Env(), "argument 'options' must be an object");
	Napi::Object o = info[0].As<Napi::Object>();
	SocketSpec s;
	auto str = [&](const char *k) {
		Napi::Value v = o.Get(k);
		return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
	};
	auto num = [&](const char *k, int64_t dflt, int64_t lo, int64_t hi) {
		Napi::Value v = o.Get(k);
		if (v.IsUndefined())
			return dflt;
		int64_t n = v.IsNumber() ? v.As<Napi::Number>().Int64Value() : lo - 1;
		if (n < lo || n > hi)
			throw Napi::RangeError::New(info.Env(), std::string("option '") + k + "' must be a number from " +
									  std::to_string(lo) + " to " + std::to_string(hi));
		return n;
	};
	s.netns = str("netns");
	if (s.netns.empty())
		throw Napi::TypeError::New(info.Env(), "option 'netns' must be the path of a network namespace");
	s.family = num("family", 4, 4, 6) == 6 ? AF_INET6 : AF_INET;
	s.address = str("address");
	s.port = static_cast<uint16_t>(num("port", 0, 0, 65535));
	s.backlog = static_cast<int>(num("backlog", 511, 1, 65535));
	s.mark = static_cast<uint32_t>(num("mark", 0, 0, UINT32_MAX));
	s.timeout_ms = static_cast<int>(num("timeoutMs", 5000, 1, 600000));
	s.v6only = o.Get("v6only").ToBoolean();
	s.freebind = o.Get("freebind").ToBoolean();
	s.source = str("source");
	return s;
}

Napi::Value queue(Napi::Env env, Op op, SocketSpec spec)
{
	auto *worker = new NetnsWorker(env, op, std::move(spec));
	Napi::Promise p = worker->promise();
	worker->Queue();
	return p;
}

Napi::Value listen_in_netns(const Napi::CallbackInfo &info)
{
	SocketSpec s = parse_spec(info);
	if (s.address.empty())
		throw Napi::TypeError::New(info.Env(), "option 'address' is required");
	return queue(info.Env(), Op::listen, std::move(s));
}

Napi::Value connect_in_netns(const Napi::CallbackInfo &info)
{
	SocketSpec s = parse_spec(info);
	if (s.address.empty() || s.port == 0)
		throw Napi::TypeError::New(info.Env(), "options 'address' and 'port' are required");
	return queue(info.Env(), Op::connect, std::move(s));
}

Napi::Value netns_cookie(const Napi::CallbackInfo &info)
{
	SocketSpec s;
	s.netns = arg_string(info, 0, "netnsPath");
	return queue(info.Env(), Op::cookie, std::move(s));
}

// The netns cookie of the namespace an existing socket lives in.
Napi::Value socket_netns_cookie(const Napi::CallbackInfo &info)
{
	int fd = arg_fd(info, 0, "fd");
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len))
		throw_errno(info.Env(), "getsockopt(SO_NETNS_COOKIE)", errno);
	return Napi::BigInt::New(info.Env(), cookie);
}

} // namespace

void register_netns(Napi::Env env, Napi::Object exports)
{
	exports.Set("listenInNetns", Napi::Function::New(env, listen_in_netns));
	exports.Set("connectInNetns", Napi::Function::New(env, connect_in_netns));
	exports.Set("netnsCookie", Napi::Function::New(env, netns_cookie));
	exports.Set("socketNetnsCookie", Napi::Function::New(env, socket_netns_cookie));
}

} // namespace weft
