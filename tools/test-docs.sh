#!/bin/sh
# The README's C example and build lines, and the shell and C blocks of
# docs/recipes.md, run as a reader would run them: against an install under
# a custom prefix (make install PREFIX=$HOME/.local, with HOME a scratch
# directory), found through PKG_CONFIG_PATH and an rpath, with no
# LD_LIBRARY_PATH. The Rust blocks of both files are doctests of
# sandlock-core (cargo test). Runs as root: the recipes switch to uid 65534.
#
#   tools/test-docs.sh     (after cargo build --release -p sandlock-ffi -p sandlock-cli)
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d /tmp/sandlock-docs-XXXXXX)
trap 'rm -rf "$scratch"' EXIT
chmod 0755 "$scratch"
unset LD_LIBRARY_PATH PKG_CONFIG_PATH
export HOME="$scratch/home"
mkdir -p "$HOME"
# The system's python3 and compilers, and the sandlock command of the install.
export PATH="$HOME/.local/bin:/usr/local/bin:/usr/bin:/bin"

fail() {
    echo "test-docs: $*" >&2
    exit 1
}

# The first ```LANG block of the section under the heading line HEADING of FILE.
block() {
    awk -v heading="$2" -v open="\`\`\`$3" '
        /^```/ {
            if (fence) { fence = 0; if (grab) exit; next }
            fence = 1
            if (in_section && $0 == open) grab = 1
            next
        }
        fence { if (grab) print; next }
        /^#/ { in_section = ($0 == heading) }
    ' "$1"
}

# Every line of EXPECTED is a line of the file OUTPUT.
expect_lines() {
    printf '%s\n' "$2" | while IFS= read -r line; do
        grep -qxF -- "$line" "$1" || fail "$3: no line \"$line\" in:
$(cat "$1")"
    done
}

# What `make install PREFIX=$HOME/.local` runs once the release build exists.
echo "== install into \$HOME/.local"
"$repo/tools/install.sh" "$HOME/.local" >/dev/null

echo "== README: the C example, built as the README says"
cd "$scratch"
block "$repo/README.md" "### From C" c > app.c
block "$repo/README.md" "### From C" sh > build.sh
[ -s app.c ] && [ -s build.sh ] || fail "README.md has no C example and build lines under ### From C"
sh -eu build.sh > readme.out 2>&1 || fail "README build lines failed:
$(cat readme.out)"
expect_lines readme.out "exit 0: hello" "README C example"

# Compile a recipe's C block with the README's line (warnings are errors).
compile() {
    cc -Wall -Wextra -Werror "$1" $(pkg-config --cflags --libs sandlock) \
        -Wl,-rpath,"$(pkg-config --variable=libdir sandlock)" -o "$2"
}
recipes=$repo/docs/recipes.md
export PKG_CONFIG_PATH="$HOME/.local/lib/pkgconfig"

# recipe HEADING NAME: the section's shell block, then its C program built.
recipe() {
    echo "== recipes: $1"
    block "$recipes" "$1" sh > "$2.sh"
    block "$recipes" "$1" c > "$2.c"
    [ -s "$2.sh" ] && [ -s "$2.c" ] || fail "$1: no shell or C block"
    sh -eu "$2.sh" > "$2.sh.out" 2>&1 || fail "$1: the shell block failed:
$(cat "$2.sh.out")"
    compile "$2.c" "$2" > "$2.cc.out" 2>&1 || fail "$1: the C block does not build:
$(cat "$2.cc.out")"
}

recipe "## 1. A Python script, safely" python
expect_lines python.sh.out "sum 6 written in /tmp/sandlock-recipes/python/out
6" "python, shell"
./python > python.c.out 2>&1 || fail "python, C: $(cat python.c.out)"
expect_lines python.c.out "exit 0
stdout: sum 6 written in /tmp/sandlock-recipes/python/out" "python, C"

recipe "## 2. A compiler" compiler
expect_lines compiler.sh.out "hello from the sandbox" "compiler, shell"
./compiler > compiler.c.out 2>&1 || fail "compiler, C: $(cat compiler.c.out)"
expect_lines compiler.c.out "hello from the sandbox" "compiler, C"

recipe "## 3. A network client limited to one port" client
expect_lines client.sh.out "18765 200
18766 [Errno 13] Permission denied" "client, shell"
python3 -m http.server 18765 --bind 127.0.0.1 --directory /usr/share >/dev/null 2>&1 &
server=$!
sleep 1
./client 18765 > client.c.out 2>&1 || { kill $server; fail "client, C: $(cat client.c.out)"; }
kill $server
expect_lines client.c.out "18765 200
18766 [Errno 13] Permission denied" "client, C"

recipe "## 4. A long-running worker with streaming output" worker
[ "$(grep -c ' worker: step [123]$' worker.sh.out)" = 3 ] || fail "worker, shell: $(cat worker.sh.out)"
./worker > worker.c.out 2>&1 || fail "worker, C: $(cat worker.c.out)"
expect_lines worker.c.out "worker: step 1
worker: step 2
worker: step 3
worker exited 0 (signal 0)" "worker, C"

echo "docs: the README's C example and every shell and C recipe ran as written"
