#!/usr/bin/env bash
# Generate the C header from the ffi crate with cbindgen: tools/gen-header.sh OUT
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: gen-header.sh OUT}
mkdir -p "$(dirname "$out")"
cbindgen --quiet --config ffi/cbindgen.toml --crate sandlock-ffi --output "$out" ffi
