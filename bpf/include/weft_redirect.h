/* Outbound redirect logic shared by connect4 and connect6: decide, remember the
 * original destination under the socket cookie, and let the caller rewrite. */
#ifndef WEFT_REDIRECT_H
#define WEFT_REDIRECT_H

#include "weft_maps.h"
#include "weft_net.h"

/* Returns the config when this connect() must be redirected, NULL to leave it alone. */
static __always_inline const struct weft_config *weft_should_redirect(struct bpf_sock_addr *ctx)
{
	if (ctx->type != WEFT_SOCK_STREAM)
		return 0;
	if (!weft_enrolled_pod(bpf_get_netns_cookie(ctx)))
		return 0;
	const struct weft_config *cfg = weft_get_config();
	if (!cfg)
		return 0;
	/* The agent's own sockets inside the pod (toward the app) carry its mark. */
	struct bpf_sock *sk = ctx->sk;
	if (sk && cfg->agent_mark && sk->mark == cfg->agent_mark)
		return 0;
	return cfg;
}

static __always_inline void weft_remember(struct bpf_sock_addr *ctx, const struct weft_orig_dst *orig)
{
	__u64 cookie = bpf_get_socket_cookie(ctx);
	bpf_map_update_elem(&weft_orig_by_cookie, &cookie, orig, BPF_ANY);
}

#endif
