#!/usr/bin/env bash
# Builds fortio (the data-path bench's constant-rate load generator) from its published Go
# module at the pinned version of e2e/scripts/versions.env, into the cache folder outside
# the repository that e2e/scripts/build-upstream.sh uses. A warm cache makes this a no-op.
# Prints the binary's path on stdout. Nothing of fortio's source enters this repository:
# Go fetches the module from the module proxy into its own module cache.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../e2e/scripts/versions.env
. "$here/../../e2e/scripts/versions.env"

cache=${WEFT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/weft}
bin="$cache/bin/fortio-$FORTIO_VERSION"

log() { printf '[build-fortio] %s\n' "$*" >&2; }

if [ -x "$bin/fortio" ]; then
  log "cached: $bin/fortio"
  echo "$bin/fortio"
  exit 0
fi
command -v go >/dev/null || { log "error: 'go' is not on PATH; install Go (>= 1.24) to build fortio $FORTIO_VERSION for the data-path bench"; exit 1; }

mkdir -p "$bin"
start=$(date +%s)
log "building fortio.org/fortio@$FORTIO_VERSION"
# Into a temporary GOBIN first, so an interrupted build never leaves a binary that looks cached.
tmp=$(mktemp -d "$cache/bin/fortio-build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
CGO_ENABLED=0 GOBIN="$tmp" go install -trimpath -ldflags="-s -w" "fortio.org/fortio@$FORTIO_VERSION"
mv "$tmp/fortio" "$bin/fortio"
log "done in $(($(date +%s) - start))s: $bin/fortio"
echo "$bin/fortio"
