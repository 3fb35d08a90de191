#!/usr/bin/env bash
# Builds Prometheus from its published Go module, with Kubernetes service discovery only,
# into a cache folder outside the repository (a no-op when cached); prints its path.
#
# Why not Debian's package: Debian builds Prometheus without Kubernetes service discovery
# ("field kubernetes_sd_configs not found in type config.ScrapeConfig"), and the e2e suite
# "metrics" finds the agents the way a cluster's Prometheus does, through the API server.
# Nothing of its source is copied into this repository: Go fetches the module.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

cache=${WEFT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/weft}
bin="$cache/bin/prometheus-$PROMETHEUS_VERSION"
log() { printf '[build-prometheus] %s\n' "$*" >&2; }

if [ -x "$bin/prometheus" ]; then
  log "cached: $bin/prometheus"
  echo "$bin/prometheus"
  exit 0
fi
command -v go >/dev/null || { log "error: 'go' is not on PATH; install Go (>= 1.24) to build Prometheus for the e2e suite 'metrics'"; exit 1; }
mkdir -p "$cache/bin"
work=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
module=github.com/prometheus/prometheus
log "building Prometheus $PROMETHEUS_VERSION (module $module, Kubernetes discovery only); once, then cached"
gomod=$(cd "$work" && go mod download -json "$module@$PROMETHEUS_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
# go install refuses a module whose go.mod has exclude directives: a scratch module that
# requires it and repeats them builds it as its authors do.
{
  echo "module weft.dev/prometheus-build"
  echo "go 1.24"
  echo "require $module $PROMETHEUS_VERSION"
  sed -n '/^exclude (/,/^)/p; /^exclude [^(]/p' "$gomod"
} >"$work/go.mod"
printf '//go:build tools\npackage tools\nimport _ "%s/cmd/prometheus"\n' "$module" >"$work/tools.go"
(cd "$work" && go mod tidy >/dev/null)
# remove_all_sd + enable_kubernetes_sd: the other service discoveries are left out of the build.
(cd "$work" && CGO_ENABLED=0 go build -trimpath -tags=remove_all_sd,enable_kubernetes_sd -ldflags="-s -w" -o "$work/prometheus" "$module/cmd/prometheus")
mkdir -p "$bin"
mv "$work/prometheus" "$bin/prometheus"
log "done in $(($(date +%s) - start))s: $bin/prometheus"
echo "$bin/prometheus"
