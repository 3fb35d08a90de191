#!/bin/sh
# Runs one container process of an emulated pod: in the pod's cgroup, in a private mount
# namespace that bind-mounts the pod's volumes, inside the pod's network namespace.
#   pod-exec.sh <cgroup dir> <netns path> <mounts file> -- <argv…>
# The mounts file has one "source target ro|rw" per line; targets exist already. Mounts are
# recursive (rbind), as container runtimes make hostPath mounts: /sys/fs/cgroup keeps its submounts.
# Tools by absolute path: the container's environment (PATH included) is its own.
cg=$1 ns=$2 mounts=$3
shift 4
echo $$ >"$cg/cgroup.procs" || exit 126
exec /usr/bin/unshare --mount --propagation private -- /usr/bin/nsenter --net="$ns" -- /bin/sh -c '
  while read -r src dst mode; do
    [ -n "$src" ] || continue
    /usr/bin/mount --rbind "$src" "$dst" || exit 126
    [ "$mode" = ro ] && { /usr/bin/mount -o remount,bind,ro "$dst" || exit 126; }
  done <"$0"
  exec "$@"' "$mounts" "$@"
