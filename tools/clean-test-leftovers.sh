#!/usr/bin/env bash
# Removes what an interrupted privileged test or benchmark left: network namespaces
# named wt-* (and the processes the tests started inside them), cgroups weft-test-wt-*,
# and private bpffs mounts /tmp/weft-bpffs-wt-*. A normal run cleans up after itself.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "clean-test-leftovers: run as root" >&2; exit 1; }
for ns in $(ip netns list | awk '$1 ~ /^wt-/ {print $1}'); do
  for pid in $(ip netns pids "$ns"); do kill -9 "$pid" 2>/dev/null || true; done
  ip netns del "$ns" && echo "removed netns $ns"
done
sleep 0.2
for cg in /sys/fs/cgroup/weft-test-wt-* /sys/fs/cgroup/unified/weft-test-wt-*; do
  [ -d "$cg" ] || continue
  root=$(dirname "$cg")
  while read -r pid; do [ -n "$pid" ] && echo "$pid" >"$root/cgroup.procs"; done <"$cg/cgroup.procs"
  rmdir "$cg" && echo "removed cgroup $cg"
done
for m in $(awk '$2 ~ /^\/tmp\/weft-bpffs-wt-/ {print $2}' /proc/self/mounts); do
  umount "$m" && rmdir "$m" && echo "removed bpffs $m"
done
