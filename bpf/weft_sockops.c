/* sockops: when a redirected connection is established, move its original destination
 * from the socket cookie to (netns cookie, client address and port), which the agent
 * can compute from the connection it accepted. */
#include "weft_maps.h"
#include "weft_net.h"

SEC("sockops")
int weft_sockops(struct bpf_sock_ops *skops)
{
	if (skops->op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB)
		return 1;
	__u64 cookie = bpf_get_socket_cookie(skops);
	struct weft_orig_dst *orig = bpf_map_lookup_elem(&weft_orig_by_cookie, &cookie);
	if (!orig)
		return 1;

	struct weft_orig_key key = {
		.netns_cookie = bpf_get_netns_cookie(skops),
		.port = (__u16)skops->local_port,
	};
	if (skops->family == WEFT_AF_INET) {
		__u32 local = skops->local_ip4;
		key.family = WEFT_AF_INET;
		__builtin_memcpy(key.addr, &local, 4);
	} else {
		__u32 local[4] = { skops->local_ip6[0], skops->local_ip6[1], skops->local_ip6[2],
				   skops->local_ip6[3] };
		if (weft_ip6_is_v4mapped(local)) {
			/* The listener sees a v4-mapped client as a plain IPv4 connection. */
			key.family = WEFT_AF_INET;
			__builtin_memcpy(key.addr, &local[3], 4);
		} else {
			key.family = WEFT_AF_INET6;
			__builtin_memcpy(key.addr, local, 16);
		}
	}
	bpf_map_update_elem(&weft_orig_dst, &key, orig, BPF_ANY);
	bpf_map_delete_elem(&weft_orig_by_cookie, &cookie);
	return 1;
}
