#!/bin/sh
# abidiff of the newest committed ABI dump (baseline/libsandlock-<v>.abi)
# against the library built now (see build-abi-library.sh). Fails on any
# change to an exported function or to a type the C ABI exposes; added
# functions are left to the symbols test (they must use a new version node).
# baseline/abidiff.suppr keeps Rust internals (the fields of opaque handles,
# the standard library, the core crate) out of the comparison.
#
# Both sides are dumped to XML and passed through flatten-abi.awk first: the
# ffi crate's Rust module paths are part of DWARF names but not of the C ABI,
# so a type or export moved between modules must not read as a change.
#
# A growing snapshot struct or any other intended change needs a new
# baseline for the new minor version: make-baseline.sh.
#
#   check-abidiff.sh [CURRENT.abi]   compare this dump instead of building
#                                    the library (the negative tests use it)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
baseline=$(ls "$here"/baseline/libsandlock-*.abi | sort -V | tail -n 1)

work=$(mktemp -d /tmp/sandlock-abidiff-XXXXXX)
trap 'rm -rf "$work"' EXIT

if [ $# -ge 1 ]; then
    current=$1
    echo "abidiff: $(basename "$baseline") against $current"
else
    library=$("$here/build-abi-library.sh")
    current=$work/current-raw.abi
    abidw --no-corpus-path --no-comp-dir-path --short-locs --out-file "$current" "$library"
    echo "abidiff: $(basename "$baseline") against $library"
fi
awk -f "$here/flatten-abi.awk" "$baseline" > "$work/baseline.abi"
awk -f "$here/flatten-abi.awk" "$current" > "$work/current.abi"

status=0
abidiff --leaf-changes-only --no-added-syms --suppressions "$here/baseline/abidiff.suppr" \
    "$work/baseline.abi" "$work/current.abi" || status=$?
# abidiff's status is a bit set: 1 error, 2 usage error, 4 ABI change, 8 incompatible change.
if [ "$status" -ne 0 ]; then
    [ $((status & 3)) -ne 0 ] && echo "check-abidiff.sh: abidiff could not compare (status $status)" >&2
    [ $((status & 12)) -ne 0 ] && echo "check-abidiff.sh: the ABI changed (status $status); see the report above" >&2
    exit 1
fi
echo "abidiff: no ABI change"
