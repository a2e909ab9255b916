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

.PHONY: all demo test test-rust test-lint test-header test-c test-abi test-python python-env bench bench-python install stage header clean

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
	$(MAKE) test-lint test-rust test-header test-c test-abi test-python

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
	SANDLOCK_C_HANDLER_BENCH=$(BUILD)/c_handler_bench $(CARGO) bench -p sandlock-core --bench sandbox
	$(MAKE) bench-python

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
