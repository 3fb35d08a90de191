#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build and test Weft, and says clearly
# what is missing when it cannot install it. Quick when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[deps] %s\n' "$*" >&2; }
die() { printf '[deps] error: %s\n' "$*" >&2; exit 1; }

# Debian packages: compiler and BPF toolchain (clang, llvm, bpftool, libbpf-dev with its
# libelf/zlib), UAPI headers (linux-libc-dev), namespaces and links (iproute2, util-linux).
# The testbed adds openssl (its PKI), unzip (helm from an npm package), iptables and
# conntrack (kube-proxy). protobuf-compiler runs `make gen` (api/proto). chromium is the
# real browser the UI's end-to-end test and benchmark drive (through playwright-core), with a
# font for the lock the map draws on mTLS edges.
packages=(clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev linux-libc-dev pkg-config g++ make tcpdump
  iproute2 util-linux python3 openssl unzip iptables conntrack protobuf-compiler chromium fonts-noto-color-emoji)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    die "missing Debian packages: ${missing[*]}; run 'sudo make deps' or 'sudo apt-get install ${missing[*]}'"
  fi
  command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get: install them with your package manager"
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v node >/dev/null || die "Node.js >= 20.19 is required (https://nodejs.org or your distribution's nodejs)"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
  die "Node.js >= 20.19 is required, found $(node --version)"
nodedir=$(dirname "$(dirname "$(command -v node)")")
[ -f "$nodedir/include/node/node_api.h" ] ||
  die "Node.js headers are missing ($nodedir/include/node/node_api.h): the native addon needs them; install the headers package of your Node.js build"

# npm ci only when package-lock.json changed since the last install.
stamp=node_modules/.weft-lock-sha
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "npm ci (builds the native addon with node-gyp)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi
log "ok"
