#!/bin/sh
# Install libsandlock (shared + static), sandlock.h and sandlock.pc, and the
# sandlock command with its man page and bash, zsh and fish completions.
#
#   tools/install.sh PREFIX [LIBDIR]
#
# PREFIX is made absolute. LIBDIR defaults to PREFIX/lib; a relative LIBDIR
# (e.g. lib64, lib/x86_64-linux-gnu) is taken relative to PREFIX. DESTDIR, when
# set, is prepended to every installed path but not to the paths written into
# sandlock.pc (staged installs for packagers). Installed without DESTDIR into
# a directory the dynamic loader searches (e.g. /usr/local/lib), the loader's
# cache is updated with ldconfig.
#
# Expects a release build: cargo build --release -p sandlock-ffi -p sandlock-cli
set -eu

usage() {
    echo "usage: $0 PREFIX [LIBDIR]" >&2
    exit 2
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage
[ -n "$1" ] || usage

repo=$(cd "$(dirname "$0")/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$repo/target}
shared_lib=$target_dir/release/libsandlock.so
static_lib=$target_dir/release/libsandlock.a
cli=$target_dir/release/sandlock
header=$repo/include/sandlock.h
pc_template=$repo/pkgconfig/sandlock.pc.in

for built in "$shared_lib" "$static_lib" "$cli" "$header" "$pc_template"; do
    if [ ! -f "$built" ]; then
        echo "install.sh: missing $built (run: cargo build --release -p sandlock-ffi -p sandlock-cli)" >&2
        exit 1
    fi
done

prefix=$(realpath -m -- "$1")
case "${2:-lib}" in
    /*) libdir=$(realpath -m -- "$2") ;;
    *) libdir=$(realpath -m -- "$prefix/${2:-lib}") ;;
esac
includedir=$prefix/include

# The ffi crate may pin its own version or inherit the workspace's.
crate_version() {
    own=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$repo/ffi/Cargo.toml" | head -n 1)
    if [ -n "$own" ]; then
        echo "$own"
        return
    fi
    awk '
        /^\[/ { in_section = ($0 == "[workspace.package]") }
        in_section && /^version *=/ { gsub(/.*= *"|".*/, ""); print; exit }
    ' "$repo/Cargo.toml"
}
version=$(crate_version)
case "$version" in
    [0-9]*.[0-9]*.[0-9]*) ;;
    *)
        echo "install.sh: cannot read the crate version (got '$version')" >&2
        exit 1
        ;;
esac
major=${version%%.*}

# Which libraries the Rust standard library inside libsandlock.a needs, as
# printed by `cargo rustc -p sandlock-ffi --release -- --print native-static-libs`.
libs_private="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"

dest=${DESTDIR:-}
install -d "$dest$libdir/pkgconfig" "$dest$includedir"

real_name=libsandlock.so.$version
soname=libsandlock.so.$major
install -m 0755 "$shared_lib" "$dest$libdir/$real_name"
ln -sfn "$real_name" "$dest$libdir/$soname"
ln -sfn "$soname" "$dest$libdir/libsandlock.so"
install -m 0644 "$static_lib" "$dest$libdir/libsandlock.a"
install -m 0644 "$header" "$dest$includedir/sandlock.h"

# Paths under the prefix are written relative to ${prefix}, as pkg-config users expect.
case "$libdir" in
    "$prefix"/*) pc_libdir='${prefix}'${libdir#"$prefix"} ;;
    *) pc_libdir=$libdir ;;
esac
pc_includedir='${prefix}/include'

# sed replacement text: escape the delimiter and '&'.
escape() { printf '%s' "$1" | sed 's/[|&\\]/\\&/g'; }
sed -e "s|@PREFIX@|$(escape "$prefix")|" \
    -e "s|@LIBDIR@|$(escape "$pc_libdir")|" \
    -e "s|@INCLUDEDIR@|$(escape "$pc_includedir")|" \
    -e "s|@VERSION@|$(escape "$version")|" \
    -e "s|@LIBS_PRIVATE@|$(escape "$libs_private")|" \
    "$pc_template" > "$dest$libdir/pkgconfig/sandlock.pc"
chmod 0644 "$dest$libdir/pkgconfig/sandlock.pc"

# The man page and completions come from the binary's own clap definitions.
bindir=$prefix/bin
mandir=$prefix/share/man/man1
bash_dir=$prefix/share/bash-completion/completions
zsh_dir=$prefix/share/zsh/site-functions
fish_dir=$prefix/share/fish/vendor_completions.d
install -d "$dest$bindir" "$dest$mandir" "$dest$bash_dir" "$dest$zsh_dir" "$dest$fish_dir"
install -m 0755 "$cli" "$dest$bindir/sandlock"
"$cli" man > "$dest$mandir/sandlock.1"
"$cli" completions bash > "$dest$bash_dir/sandlock"
"$cli" completions zsh > "$dest$zsh_dir/_sandlock"
"$cli" completions fish > "$dest$fish_dir/sandlock.fish"
chmod 0644 "$dest$mandir/sandlock.1" "$dest$bash_dir/sandlock" "$dest$zsh_dir/_sandlock" "$dest$fish_dir/sandlock.fish"

# A directory the dynamic loader searches needs its cache updated before
# programs find libsandlock.so.1 there without an rpath; a staged install
# (DESTDIR) leaves that to the package's own scripts.
ldconfig_note=""
if [ -z "$dest" ] && command -v ldconfig >/dev/null 2>&1; then
    if ldconfig -vNX 2>/dev/null | sed -n 's/^\([^[:space:]][^:]*\):.*/\1/p' | grep -qxF "$libdir"; then
        ldconfig
        ldconfig_note=" (a directory the dynamic loader searches: ldconfig ran)"
    fi
fi

echo "installed sandlock $version:"
echo "  $dest$libdir/$real_name (+ $soname, libsandlock.so)$ldconfig_note"
echo "  $dest$libdir/libsandlock.a"
echo "  $dest$includedir/sandlock.h"
echo "  $dest$libdir/pkgconfig/sandlock.pc"
echo "  $dest$bindir/sandlock, $dest$mandir/sandlock.1"
echo "  completions: $dest$bash_dir/sandlock, $dest$zsh_dir/_sandlock, $dest$fish_dir/sandlock.fish"
