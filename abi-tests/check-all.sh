#!/bin/sh
# Every check that holds the C ABI still, in one run:
#   1. the frozen 1.0 layout as C _Static_asserts, compiled against include/sandlock.h;
#   2. cargo test -p sandlock-abi-tests: bindgen layouts and constants against the
#      ffi crate's Rust types, and the exported symbols against the newest baseline;
#   3. the same symbols test against the release library that gets installed;
#   4. abidiff against the newest ABI dump (check-abidiff.sh);
#   5. old clients built against the 1.0 header (check-old-client.sh).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
cd "$repo"
CC=${CC:-cc}

step() { printf '\n== %s\n' "$1"; }

step "layout: _Static_asserts of abi-tests/c/layout_asserts.c against include/sandlock.h"
"$CC" -std=c11 -Wall -Wextra -Werror -pedantic -fsyntax-only -Iinclude abi-tests/c/layout_asserts.c
echo "$(grep -c '^ASSERT_\|^_Static_assert' abi-tests/c/layout_asserts.c) assertion lines hold"

step "layout, constants and symbols (debug library): cargo test -p sandlock-abi-tests"
cargo test --quiet -p sandlock-abi-tests

step "symbols of the release library"
cargo build --quiet --release -p sandlock-ffi
SANDLOCK_LIB="${CARGO_TARGET_DIR:-$repo/target}/release/libsandlock.so" \
    cargo test --quiet -p sandlock-abi-tests --test symbols

step "abidiff"
"$here/check-abidiff.sh"

step "old clients"
"$here/check-old-client.sh"

printf '\nABI checks passed: static layout, bindgen layout and constants, symbols (debug and release), abidiff, old clients\n'
