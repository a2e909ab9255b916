#!/usr/bin/env bash
# Install what `make demo`, `make test` or the Python binding's tests and
# bench need and a fresh machine may lack:
#   tools/ensure-prereqs.sh demo|test|python
# Debian packages through apt (as root), cbindgen through cargo, Go's
# staticcheck through go install (the Go modules are pinned by go/go.sum),
# pytest into a virtual environment (build/pyenv) from
# python/requirements-test.txt, pinned with hashes. Without root it names
# missing packages instead.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
need_for_demo=(pkg-config gcc make libc6-dev)
need_for_python=(pkg-config gcc libc6-dev python3 python3-venv)
need_for_test=("${need_for_demo[@]}" g++ binutils libclang-dev abigail-tools python3 python3-venv)
case "${1:-test}" in
  demo) wanted=("${need_for_demo[@]}") ;;
  test) wanted=("${need_for_test[@]}") ;;
  python) wanted=("${need_for_python[@]}") ;;
  *) echo "usage: $0 demo|test|python" >&2; exit 2 ;;
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
if [ "${1:-test}" != demo ]; then
  pyenv=$repo/build/pyenv
  requirements=$repo/python/requirements-test.txt
  if ! cmp -s "$requirements" "$pyenv/requirements-test.txt"; then
    echo "installing pytest into $pyenv (python/requirements-test.txt)"
    rm -rf "$pyenv"
    "${PYTHON:-python3}" -m venv "$pyenv"
    "$pyenv/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r "$requirements"
    cp "$requirements" "$pyenv/requirements-test.txt"
  fi
fi
