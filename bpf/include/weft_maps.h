/* The maps shared by every capture program. Each program file includes this header;
 * the static linker (bpftool gen object) merges the identical weak definitions into
 * one map each in the final object. */
#ifndef WEFT_MAPS_H
#define WEFT_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "weft_types.h"

#define WEFT_MAX_PODS 4096
#define WEFT_MAX_PENDING 65536

/* netns cookie -> enrolled pod */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WEFT_MAX_PODS);
	__type(key, __u64);
	__type(value, struct weft_pod);
} weft_enrolled SEC(".maps") __weak;

/* socket cookie -> original destination, from connect() until the connection is
 * established (then moved to weft_orig_dst by sockops). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, WEFT_MAX_PENDING);
	__type(key, __u64);
	__type(value, struct weft_orig_dst);
} weft_orig_by_cookie SEC(".maps") __weak;

/* (netns cookie, client port) -> original destination, read by the agent on accept. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, WEFT_MAX_PENDING);
	__type(key, struct weft_orig_key);
	__type(value, struct weft_orig_dst);
} weft_orig_dst SEC(".maps") __weak;

/* pod IP -> enrolled pod, for inbound capture */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WEFT_MAX_PODS * 2);
	__type(key, struct weft_ip);
	__type(value, struct weft_pod);
} weft_pod_ips SEC(".maps") __weak;

/* slot -> the pod's inbound listening socket */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, WEFT_MAX_PODS);
	__type(key, __u32);
	__type(value, __u64);
} weft_inbound SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct weft_config);
} weft_config SEC(".maps") __weak;

static __always_inline const struct weft_config *weft_get_config(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&weft_config, &zero);
}

char _license[] SEC("license") __weak = "GPL";

static __always_inline const struct weft_pod *weft_enrolled_pod(__u64 netns_cookie)
{
	return bpf_map_lookup_elem(&weft_enrolled, &netns_cookie);
}

#endif
