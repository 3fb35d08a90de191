/* cgroup/connect6: the IPv6 twin of connect4, redirecting to [::1]:<outbound_port>.
 * An IPv4 peer named as ::ffff:a.b.c.d goes to ::ffff:127.0.0.1, the IPv4 listener. */
#include "weft_redirect.h"

SEC("cgroup/connect6")
int weft_connect6(struct bpf_sock_addr *ctx)
{
	const struct weft_config *cfg = weft_should_redirect(ctx);
	if (!cfg)
		return 1;
	__u32 dst[4] = { ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3] };
	if (weft_ip6_is_loopback(dst))
		return 1;

	struct weft_orig_dst orig = { .port = bpf_ntohs((__u16)ctx->user_port) };
	if (weft_ip6_is_v4mapped(dst)) {
		if (weft_ip4_is_loopback(dst[3]))
			return 1;
		orig.family = WEFT_AF_INET;
		__builtin_memcpy(orig.addr, &dst[3], 4);
		ctx->user_ip6[3] = bpf_htonl(0x7f000001);
	} else {
		orig.family = WEFT_AF_INET6;
		__builtin_memcpy(orig.addr, dst, 16);
		ctx->user_ip6[0] = 0;
		ctx->user_ip6[1] = 0;
		ctx->user_ip6[2] = 0;
		ctx->user_ip6[3] = bpf_htonl(1);
	}
	weft_remember(ctx, &orig);
	ctx->user_port = bpf_htons(cfg->outbound_port);
	return 1;
}
