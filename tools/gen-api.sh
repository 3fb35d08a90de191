#!/usr/bin/env bash
# make gen: regenerates the TypeScript of every .proto under api/proto into api/src/gen
# (or into the folder given as $1, which `make lint` uses to check for drift).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-api/src/gen}
command -v protoc >/dev/null || { echo "gen: protoc is missing; run 'make deps' (Debian: protobuf-compiler)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
protos=$(cd api/proto && find . -name '*.proto' | sed 's#^\./##' | sort)
# shellcheck disable=SC2086
protoc --plugin=protoc-gen-ts_proto=node_modules/.bin/protoc-gen-ts_proto \
  --ts_proto_out="$out" \
  --ts_proto_opt=outputServices=grpc-js,esModuleInterop=true,importSuffix=.js,forceLong=bigint \
  -I api/proto $protos
