#!/bin/sh
# Old clients: the C programs in old-client/ are compiled against the 1.0
# header (baseline/sandlock-1.0.h, as C99) and linked against today's library
# as installed by tools/install.sh; each must print exactly its .expected
# file. Their binaries must need only the SANDLOCK_1.0 symbol version.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
CC=${CC:-cc}

work=$(mktemp -d /tmp/sandlock-old-client-XXXXXX)
trap 'rm -rf "$work"' EXIT

(cd "$repo" && cargo build --quiet --release -p sandlock-ffi)
"$repo/tools/install.sh" "$work/prefix" > /dev/null
mkdir "$work/include-1.0"
cp "$here/baseline/sandlock-1.0.h" "$work/include-1.0/sandlock.h"

failed=0
for source in "$here"/old-client/*.c; do
    name=$(basename "$source" .c)
    binary=$work/$name
    # A client that does not build is reported, and the others still run.
    if ! "$CC" -std=c99 -Wall -Wextra -Werror -pedantic -I"$work/include-1.0" -o "$binary" "$source" \
        -L"$work/prefix/lib" -lsandlock -Wl,-rpath,"$work/prefix/lib"; then
        echo "old client $name: does not build against sandlock-1.0.h" >&2
        failed=1
        continue
    fi

    needed=$(readelf -V --wide "$binary" | sed -n 's/.*Name: \(SANDLOCK_[0-9.]*\).*/\1/p' | sort -u | tr '\n' ' ')
    if [ "$needed" != "SANDLOCK_1.0 " ]; then
        echo "old client $name: needs symbol versions '$needed', expected only SANDLOCK_1.0" >&2
        failed=1
        continue
    fi

    status=0
    "$binary" > "$work/$name.out" || status=$?
    if [ "$status" -ne 0 ] || ! cmp -s "$work/$name.out" "$here/old-client/$name.expected"; then
        echo "old client $name: exit status $status; output differs from $name.expected:" >&2
        diff -u "$here/old-client/$name.expected" "$work/$name.out" >&2 || true
        failed=1
        continue
    fi
    echo "old client $name: built against sandlock-1.0.h, ran against $(readlink "$work/prefix/lib/libsandlock.so.1"): ok"
done
exit "$failed"
