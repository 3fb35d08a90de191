#!/usr/bin/env bash
# Builds the upstream binaries the testbed runs (kube-apiserver, kube-controller-manager,
# kube-scheduler, kube-proxy, etcd) from their published Go modules at pinned versions,
# into a cache folder outside the repository. A warm cache makes this a no-op.
# Nothing of their source is copied into this repository: Go fetches the modules from the
# module proxy into its own module cache.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

cache=${WEFT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/weft}
# The suffix names how the binaries are built: a change of flags rebuilds into a new folder.
bin="$cache/bin/k8s-$KUBERNETES_VERSION-etcd-$ETCD_VERSION-$BUILD_REVISION"
k8s_bins=(kube-apiserver kube-controller-manager kube-scheduler kube-proxy)

log() { printf '[build-upstream] %s\n' "$*" >&2; }

missing=()
for b in "${k8s_bins[@]}" etcd; do [ -x "$bin/$b" ] || missing+=("$b"); done
if [ ${#missing[@]} -eq 0 ]; then
  log "cached: $bin"
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { log "error: 'go' is not on PATH; install Go (>= 1.24) to build the testbed binaries"; exit 1; }

mkdir -p "$bin"
work=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$(date +%s)

build_kubernetes() {
  local mod="$work/kubernetes" staging
  mkdir -p "$mod"
  log "fetching k8s.io/kubernetes@$KUBERNETES_VERSION module metadata"
  local gomod
  gomod=$(cd "$mod" && go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  # k8s.io/kubernetes replaces its staging modules with local paths; a consumer must
  # point each of them at the published module of the matching v0.x version instead.
  staging=$(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$gomod")
  local minor=${KUBERNETES_VERSION#v1.}
  {
    echo "module weft.dev/testbed-build"
    echo "go 1.24"
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    for m in $staging; do echo "replace $m => $m v0.$minor"; done
  } >"$mod/go.mod"
  printf 'package tools\nimport (\n' >"$mod/tools.go"
  for b in "${k8s_bins[@]}"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$b" >>"$mod/tools.go"; done
  printf ')\n' >>"$mod/tools.go"
  sed -i '1i //go:build tools' "$mod/tools.go"
  log "resolving Kubernetes dependencies (go mod tidy)"
  (cd "$mod" && go mod tidy >/dev/null)
  for b in "${k8s_bins[@]}"; do
    [ -x "$bin/$b" ] && continue
    log "building $b $KUBERNETES_VERSION ($(($(date +%s) - start))s so far)"
    # Kubernetes' own build stamps its version in; without it /version says v0.0.0-master
    # and clients that check the server version (helm's kubeVersion) refuse the cluster.
    local major=${KUBERNETES_VERSION#v} minor
    minor=${major#*.}; minor=${minor%%.*}; major=${major%%.*}
    local stamp="-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/component-base/version.gitMajor=$major -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
    (cd "$mod" && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w $stamp" -o "$bin/$b.tmp" "k8s.io/kubernetes/cmd/$b")
    mv "$bin/$b.tmp" "$bin/$b"
  done
}

build_etcd() {
  [ -x "$bin/etcd" ] && return
  local mod="$work/etcd"
  mkdir -p "$mod"
  log "building etcd $ETCD_VERSION ($(($(date +%s) - start))s so far)"
  # etcd's server module also uses local replace directives; pin its sibling modules.
  {
    echo "module weft.dev/etcd-build"
    echo "go 1.24"
    echo "require go.etcd.io/etcd/server/v3 $ETCD_VERSION"
    for m in api/v3 client/pkg/v3 client/v3 pkg/v3; do
      echo "replace go.etcd.io/etcd/$m => go.etcd.io/etcd/$m $ETCD_VERSION"
    done
  } >"$mod/go.mod"
  printf '//go:build tools\npackage tools\nimport _ "go.etcd.io/etcd/server/v3"\n' >"$mod/tools.go"
  (cd "$mod" && go mod tidy >/dev/null)
  (cd "$mod" && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$bin/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv "$bin/etcd.tmp" "$bin/etcd"
}

build_etcd
build_kubernetes
log "done in $(($(date +%s) - start))s: $bin"
echo "$bin"
