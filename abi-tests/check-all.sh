#!/bin/sh
# Every check that holds the C ABI still, in one run:
#   1. the frozen layout as C _Static_asserts, compiled against include/sandlock.h;
#   2. cargo test -p sandlock-abi-tests: bindgen layouts and constants against the
#      ffi crate's Rust types, the header's constants, types and prototypes against
#      every baseline header, and the exported symbols against the newest baseline;
#   3. the same symbols test against the release library that gets installed;
#   4. abidiff against the newest ABI dump (check-abidiff.sh);
#   5. old clients built against the 1.0 header (check-old-client.sh);
#   6. the negative tests of the shell checks (check-negative.sh).
# Every step runs even when an earlier one fails (steps.sh); the run fails at
# the end, listing the steps that failed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
cd "$repo"
CC=${CC:-cc}
export CC here repo

. "$here/steps.sh"

run_step "layout: _Static_asserts of abi-tests/c/layout_asserts.c against include/sandlock.h" '
    "$CC" -std=c11 -Wall -Wextra -Werror -pedantic -fsyntax-only -Iinclude abi-tests/c/layout_asserts.c
    echo "$(grep -c "^ASSERT_\|^_Static_assert" abi-tests/c/layout_asserts.c) assertion lines hold"'

run_step "layout, constants, baseline headers and symbols (debug library): cargo test -p sandlock-abi-tests" '
    cargo test --quiet --no-fail-fast -p sandlock-abi-tests'

run_step "symbols of the release library" '
    cargo build --quiet --release -p sandlock-ffi
    SANDLOCK_LIB="${CARGO_TARGET_DIR:-$repo/target}/release/libsandlock.so" \
        cargo test --quiet --no-fail-fast -p sandlock-abi-tests --test symbols'

run_step "abidiff" '"$here/check-abidiff.sh"'

run_step "old clients" '"$here/check-old-client.sh"'

run_step "negative tests of the shell checks" '"$here/check-negative.sh"'

finish_steps "ABI checks passed: static layout, bindgen layout and constants, baseline headers, symbols (debug and release), abidiff, old clients, negative tests"
