#!/bin/sh
# Build libsandlock.so for the ABI checks and print its path.
#
# abidw and abidiff read types from DWARF, which a plain release build does
# not have: this builds the `abi` profile, the release profile plus debug
# info (defined here through cargo's environment, so it needs no entry in
# Cargo.toml), into target/abi/. Baselines and checks both use it, so they
# compare like with like.
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
CARGO_PROFILE_ABI_INHERITS=release CARGO_PROFILE_ABI_DEBUG=true \
    cargo build --quiet --profile abi -p sandlock-ffi >&2
echo "${CARGO_TARGET_DIR:-$repo/target}/abi/libsandlock.so"
