/* Test fixture: a program the verifier must refuse (it reads past the end of a map
 * value), so tests can check how a kernel refusal reaches the user. Not shipped. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} weft_test_values SEC(".maps");

SEC("cgroup/connect4")
int weft_test_rejected(struct bpf_sock_addr *ctx)
{
	__u32 zero = 0;
	__u32 *v = bpf_map_lookup_elem(&weft_test_values, &zero);
	if (!v)
		return 1;
	return v[ctx->user_port & 0xff] ? 1 : 0;
}

char _license[] SEC("license") = "GPL";
