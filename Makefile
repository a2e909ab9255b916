# The few commands a person types. See README.md.
PREFIX ?= /usr/local
BUILD := $(CURDIR)/build
STAGE := $(BUILD)/prefix
CARGO ?= cargo
PYTHON ?= python3
export PYTHON
# The virtual environment tools/ensure-prereqs.sh keeps for the Python binding.
PYENV := $(BUILD)/pyenv
export PKG_CONFIG_PATH := $(STAGE)/lib/pkgconfig

.PHONY: all demo test test-rust test-lint test-header test-c test-abi test-docs test-go test-python python-env bench bench-go bench-python install stage header clean

all: stage

# Build the release library and the sandlock command and install them into
# build/prefix, the way a C daemon's author would find them through pkg-config.
stage:
	$(CARGO) build --release -p sandlock-ffi -p sandlock-cli
	tools/install.sh $(STAGE)

demo:
	tools/ensure-prereqs.sh demo
	$(MAKE) stage
	$(MAKE) -C c-examples demo

test:
	tools/ensure-prereqs.sh test
	$(MAKE) test-lint test-rust test-header test-c test-abi test-docs test-go test-python

# Clippy carries the project's unsafe rules (every unsafe block documented).
test-lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test-rust:
	$(CARGO) test --workspace

# The committed header must be exactly what cbindgen generates from ffi/.
header:
	tools/gen-header.sh include/sandlock.h

test-header:
	tools/gen-header.sh $(BUILD)/sandlock.h
	diff -u include/sandlock.h $(BUILD)/sandlock.h
	tools/check-header-compiles.sh include/sandlock.h

test-c: stage
	$(MAKE) -C c-examples test

test-abi: stage
	abi-tests/check-all.sh

# The README's C example and build lines, and the shell and C blocks of
# docs/recipes.md, as written, against an install under a custom prefix.
test-docs: stage
	tools/test-docs.sh

# The Go package links the staged library through pkg-config; the rpath
# lets its test binaries find libsandlock.so.1 without LD_LIBRARY_PATH.
GO ?= go
GOBIN_DIR := $(shell $(GO) env GOPATH 2>/dev/null)/bin
GO_ENV := CGO_ENABLED=1 CGO_LDFLAGS="-Wl,-rpath,$(STAGE)/lib"

test-go: stage
	cd go && test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: the files above need formatting" >&2; exit 1; }
	cd go && $(GO_ENV) $(GO) vet ./...
	cd go && $(GO_ENV) $(GOBIN_DIR)/staticcheck ./...
	cd go && $(GO_ENV) $(GO) test -race -count=1 ./...
# The Python binding, installed the way a user installs it (pip install
# ./python) into build/pyenv, finding the staged library through pkg-config.
python-env: stage
	tools/ensure-prereqs.sh python
	$(PYENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation --force-reinstall ./python

# Run from the repository root, so that the installed package is tested,
# not python/sandlock/ through the current directory.
test-python: python-env
	$(PYENV)/bin/pytest -q python/tests

# Criterion underneath; every figure is printed as a ratio to a floor
# measured in the same run. The C-callback row uses a real C handler built
# against the staged library.
bench:
	tools/ensure-prereqs.sh demo
	$(MAKE) stage
	cc -O2 -Wall -Wextra -o $(BUILD)/c_handler_bench benches/floor/c_handler_bench.c \
		$$(pkg-config --cflags --libs sandlock) -Wl,-rpath,$$(pkg-config --variable=libdir sandlock)
	SANDLOCK_C_HANDLER_BENCH=$(BUILD)/c_handler_bench $(CARGO) bench -p sandlock-core
	$(MAKE) bench-go
	$(MAKE) bench-python

# The Go rows, against the same C floor built here.
bench-go: stage
	cc -O2 -o $(BUILD)/getppid_loop benches/floor/getppid_loop.c
	cc -O2 -o $(BUILD)/notif_floor benches/floor/notif_floor.c
	cd go && $(GO_ENV) $(GO) build -o $(BUILD)/sandlock-go-bench ./internal/bench
	$(BUILD)/sandlock-go-bench -floor $(BUILD)/notif_floor -loop $(BUILD)/getppid_loop

# A Python handler and Static against the same raw floor, in one run.
bench-python: python-env
	$(PYENV)/bin/python python/benches/getppid.py

install:
	$(CARGO) build --release -p sandlock-ffi -p sandlock-cli
	DESTDIR=$(DESTDIR) tools/install.sh $(PREFIX)

clean:
	$(CARGO) clean
	rm -rf $(BUILD)
	$(MAKE) -C c-examples clean
