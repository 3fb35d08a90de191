/* sk_lookup: every TCP connection arriving at an enrolled pod's IP goes to the pod's
 * inbound listener, except local traffic (loopback, or the pod to itself), the agent's
 * own connections and the
 * agent's listener ports. STRICT pods fail closed when their listener is missing. */
#include "weft_maps.h"
#include "weft_net.h"

static __always_inline int weft_from_agent(const struct bpf_sk_lookup *ctx, const struct weft_config *cfg)
{
	if (ctx->family == WEFT_AF_INET)
		return cfg->agent_ip4 && ctx->remote_ip4 == cfg->agent_ip4;
	const __u32 *agent = (const __u32 *)cfg->agent_ip6;
	if (!(agent[0] | agent[1] | agent[2] | agent[3]))
		return 0;
	return ctx->remote_ip6[0] == agent[0] && ctx->remote_ip6[1] == agent[1] &&
	       ctx->remote_ip6[2] == agent[2] && ctx->remote_ip6[3] == agent[3];
}

static __always_inline const struct weft_pod *weft_pod_by_ip(__u32 family, __u32 ip4, const __u32 *ip6)
{
	struct weft_ip key = { .family = family };
	if (family == WEFT_AF_INET) {
		__builtin_memcpy(key.addr, &ip4, 4);
	} else {
		__u32 ip[4] = { ip6[0], ip6[1], ip6[2], ip6[3] };
		__builtin_memcpy(key.addr, ip, 16);
	}
	return bpf_map_lookup_elem(&weft_pod_ips, &key);
}

SEC("sk_lookup")
int weft_sk_lookup(struct bpf_sk_lookup *ctx)
{
	if (ctx->protocol != WEFT_IPPROTO_TCP || ctx->ingress_ifindex == WEFT_LOOPBACK_IFINDEX)
		return SK_PASS;
	const struct weft_config *cfg = weft_get_config();
	if (!cfg || ctx->local_port == cfg->inbound_port || ctx->local_port == cfg->inbound_tls_port)
		return SK_PASS;
	if (weft_from_agent(ctx, cfg))
		return SK_PASS;
	__u32 local6[4] = { ctx->local_ip6[0], ctx->local_ip6[1], ctx->local_ip6[2], ctx->local_ip6[3] };
	const struct weft_pod *pod = weft_pod_by_ip(ctx->family, ctx->local_ip4, local6);
	if (!pod)
		return SK_PASS;
	/* A pod reaching its own IP is local traffic, even though it does not arrive on "lo"
	 * (ingress_ifindex names the device that owns the address). */
	__u32 remote6[4] = { ctx->remote_ip6[0], ctx->remote_ip6[1], ctx->remote_ip6[2], ctx->remote_ip6[3] };
	const struct weft_pod *source = weft_pod_by_ip(ctx->family, ctx->remote_ip4, remote6);
	if (source && source->inbound_slot == pod->inbound_slot)
		return SK_PASS;

	__u32 slot = pod->inbound_slot;
	int strict = pod->flags & WEFT_POD_STRICT;
	struct bpf_sock *sk = bpf_map_lookup_elem(&weft_inbound, &slot);
	if (!sk)
		return strict ? SK_DROP : SK_PASS;
	long err = bpf_sk_assign(ctx, sk, 0);
	bpf_sk_release(sk);
	if (err)
		return strict ? SK_DROP : SK_PASS;
	return SK_PASS;
}
