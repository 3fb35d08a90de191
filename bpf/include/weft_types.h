/* Structs shared between the kernel programs and user space. Their layout is checked
 * against the TypeScript codecs (agent/src/capture/capture-maps.ts) through BTF, by
 * agent/src/capture/capture-maps.test.ts and again at load time. */
#ifndef WEFT_TYPES_H
#define WEFT_TYPES_H

#include <linux/types.h>

/* weft_pod.flags */
#define WEFT_POD_STRICT 0x1 /* inbound: drop, never pass, when no listener is present */

/* An original destination, as the application asked for it. */
struct weft_orig_dst {
	__u8 addr[16];  /* IPv4: first 4 bytes, network order; IPv6: 16 bytes */
	__u16 port;     /* host byte order */
	__u16 family;   /* AF_INET or AF_INET6 */
};

/* Where user space finds an original destination: the pod's netns and the client's
 * local address and port, which the agent sees as the peer of the accepted connection.
 * The address matters: 127.0.0.1:P and <podIP>:P are two clients of 127.0.0.1:15001. */
struct weft_orig_key {
	__u64 netns_cookie;
	__u8 addr[16];  /* client address as the listener sees it; IPv4: first 4 bytes */
	__u16 port;     /* host byte order */
	__u16 family;   /* family of the redirected connection as the listener sees it */
	__u32 pad;
};

/* One enrolled pod: keyed by its netns cookie in weft_enrolled (outbound) and by each of
 * its IP addresses in weft_pod_ips (inbound: sk_lookup programs cannot read the netns
 * cookie, see docs/NOTES.md). */
struct weft_pod {
	__u32 inbound_slot; /* key of the pod's inbound listener in weft_inbound */
	__u32 flags;        /* WEFT_POD_* */
};

/* A pod IP address, the key of weft_pod_ips. */
struct weft_ip {
	__u8 addr[16];  /* IPv4: first 4 bytes, rest zero; network order */
	__u32 family;   /* AF_INET or AF_INET6 */
};

/* Node-wide settings, the single entry of weft_config. */
struct weft_config {
	__u32 agent_ip4;       /* agent's source address toward pods, network order */
	__u8 agent_ip6[16];    /* same for IPv6, all zero when unused */
	__u32 agent_mark;      /* SO_MARK of the agent's own sockets: never redirected */
	__u16 outbound_port;   /* in-pod outbound listener (127.0.0.1 / ::1) */
	__u16 inbound_port;    /* in-pod plaintext inbound listener */
	__u16 inbound_tls_port;/* in-pod mTLS (HBONE) listener, never redirected */
	__u16 pad;
};

#endif
