#!/usr/bin/env bash
# Install what `make demo` or `make test` needs and a fresh machine may lack:
#   tools/ensure-prereqs.sh demo|test
# Debian packages through apt (as root), cbindgen through cargo, Go's
# staticcheck through go install (the Go modules are pinned by go/go.sum).
# Without root it names what is missing instead.
set -euo pipefail
need_for_demo=(pkg-config gcc make libc6-dev)
need_for_test=("${need_for_demo[@]}" g++ binutils libclang-dev abigail-tools python3)
case "${1:-test}" in
  demo) wanted=("${need_for_demo[@]}") ;;
  test) wanted=("${need_for_test[@]}") ;;
  *) echo "usage: $0 demo|test" >&2; exit 2 ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${missing[*]} (install them, e.g. sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ "${1:-test}" = test ] && ! command -v cbindgen >/dev/null; then
  echo "installing cbindgen 0.29.4 (cargo install)"
  cargo install --quiet --locked cbindgen --version 0.29.4
fi
if [ "${1:-test}" = test ]; then
  if ! command -v go >/dev/null; then
    echo "Go is missing: go/go.mod needs Go $(sed -n 's/^go //p' "$(dirname "$0")/../go/go.mod") or newer" >&2
    exit 1
  fi
  staticcheck="$(go env GOPATH)/bin/staticcheck"
  if ! [ -x "$staticcheck" ]; then
    echo "installing staticcheck v0.8.2 (go install)"
    go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
  fi
  (cd "$(dirname "$0")/../go" && go mod download)
fi
