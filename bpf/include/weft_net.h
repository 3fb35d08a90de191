/* Linux ABI constants the programs need; <sys/socket.h> is not usable with -target bpf. */
#ifndef WEFT_NET_H
#define WEFT_NET_H

#include <linux/types.h>
#include <bpf/bpf_endian.h>

#define WEFT_AF_INET 2
#define WEFT_AF_INET6 10
#define WEFT_SOCK_STREAM 1
#define WEFT_IPPROTO_TCP 6
#define WEFT_LOOPBACK_IFINDEX 1 /* "lo" is ifindex 1 in every network namespace */

static __always_inline int weft_ip4_is_loopback(__u32 addr_be)
{
	return (bpf_ntohl(addr_be) >> 24) == 127;
}

static __always_inline int weft_ip6_is_loopback(const __u32 a[4])
{
	return a[0] == 0 && a[1] == 0 && a[2] == 0 && a[3] == bpf_htonl(1);
}

/* ::ffff:a.b.c.d, how an AF_INET6 socket names an IPv4 peer */
static __always_inline int weft_ip6_is_v4mapped(const __u32 a[4])
{
	return a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0xffff);
}

#endif
