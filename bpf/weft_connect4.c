/* cgroup/connect4: an enrolled pod's TCP connect() to a non-loopback IPv4 address goes
 * to the agent's outbound listener at 127.0.0.1:<outbound_port> in the same netns. */
#include "weft_redirect.h"

SEC("cgroup/connect4")
int weft_connect4(struct bpf_sock_addr *ctx)
{
	const struct weft_config *cfg = weft_should_redirect(ctx);
	if (!cfg || weft_ip4_is_loopback(ctx->user_ip4))
		return 1;

	struct weft_orig_dst orig = {
		.port = bpf_ntohs((__u16)ctx->user_port),
		.family = WEFT_AF_INET,
	};
	__builtin_memcpy(orig.addr, &ctx->user_ip4, 4);
	weft_remember(ctx, &orig);

	ctx->user_ip4 = bpf_htonl(0x7f000001);
	ctx->user_port = bpf_htons(cfg->outbound_port);
	return 1;
}
