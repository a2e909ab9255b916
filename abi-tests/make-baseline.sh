#!/bin/sh
# Freeze the ABI of the library built now as the baseline of VERSION:
#
#   abi-tests/make-baseline.sh VERSION [--replace]
#
# writes, under abi-tests/baseline/:
#   symbols-VERSION.txt     sorted name@@NODE lines of the dynamic exports
#   libsandlock-VERSION.abi abidw dump (types from DWARF) of the library
#   sandlock-VERSION.h      a copy of include/sandlock.h
#
# Run it once per released minor version (1.0, 1.1, ...), after review: the
# checks then compare every later build with the newest baseline. It refuses
# to overwrite an existing baseline unless --replace is given.
set -eu

usage() {
    echo "usage: $0 MAJOR.MINOR [--replace]" >&2
    exit 2
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage
version=$1
case "$version" in
    [0-9]*.[0-9]*) ;;
    *) usage ;;
esac
replace=no
if [ $# -eq 2 ]; then
    [ "$2" = --replace ] || usage
    replace=yes
fi

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
baseline_dir=$here/baseline
symbols=$baseline_dir/symbols-$version.txt
abi_dump=$baseline_dir/libsandlock-$version.abi
header=$baseline_dir/sandlock-$version.h

if [ "$replace" = no ]; then
    for existing in "$symbols" "$abi_dump" "$header"; do
        if [ -e "$existing" ]; then
            echo "make-baseline.sh: $existing exists (a released baseline never changes; --replace to override)" >&2
            exit 1
        fi
    done
fi

library=$("$here/build-abi-library.sh")
mkdir -p "$baseline_dir"
readelf --dyn-syms --wide "$library" |
    awk 'NF == 8 && $7 != "UND" && ($5 == "GLOBAL" || $5 == "WEAK") { print $8 }' |
    LC_ALL=C sort > "$symbols"
abidw --no-corpus-path --no-comp-dir-path --short-locs --out-file "$abi_dump" "$library"
cp "$repo/include/sandlock.h" "$header"

echo "baseline $version:"
echo "  $symbols ($(wc -l < "$symbols") symbols)"
echo "  $abi_dump"
echo "  $header"
