"""Finding the library: SANDLOCK_LIBRARY, then pkg-config's libdir, then
the system loader; and the clear refusal of anything that is not a usable
libsandlock of major version 1. Each case imports the package afresh in a
child interpreter with its own environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest

import sandlock

PACKAGE_ROOT = str(Path(sandlock.__file__).resolve().parent.parent)
REAL = os.path.realpath(sandlock.library_path())


def load(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Import sandlock in a new interpreter; it prints where the library came from."""
    base = {k: v for k, v in os.environ.items() if k not in ("SANDLOCK_LIBRARY", "LD_LIBRARY_PATH")}
    base["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))
    code = "import sandlock, sandlock._capi as c; print(c.LOADED.source); print(sandlock.library_path())"
    return subprocess.run([sys.executable, "-c", code], env={**base, **env}, capture_output=True, text=True)


@pytest.fixture(scope="module")
def fake(tmp_path_factory) -> dict[str, str]:
    """Libraries that are not a usable libsandlock 1."""
    out = tmp_path_factory.mktemp("fake")
    sources = {
        "major2": "unsigned sandlock_version(void) { return 2u << 16; }",
        "only-1.0": "unsigned sandlock_version(void) { return 1u << 16; }",
        "not-sandlock": "int something_else(void) { return 0; }",
    }
    built = {}
    for name, code in sources.items():
        src, lib = out / f"{name}.c", out / f"lib{name}.so"
        src.write_text(code + "\n")
        subprocess.run(["cc", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
        built[name] = str(lib)
    return built


def test_sandlock_library_wins(tmp_path):
    copy = tmp_path / "libsandlock-copy.so.1"
    shutil.copy(REAL, copy)
    done = load({"SANDLOCK_LIBRARY": str(copy)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["SANDLOCK_LIBRARY", str(copy)]


def test_pkg_config_is_next():
    libdir = subprocess.run(
        ["pkg-config", "--variable=libdir", "sandlock"], capture_output=True, text=True, check=True
    ).stdout.strip()
    done = load({})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["pkg-config", os.path.join(libdir, "libsandlock.so.1")]


def test_the_system_loader_is_last(tmp_path):
    done = load({"PKG_CONFIG_PATH": str(tmp_path), "LD_LIBRARY_PATH": os.path.dirname(REAL)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["the system loader", "libsandlock.so.1"]


def test_nothing_found_names_what_was_tried(tmp_path):
    done = load({"PKG_CONFIG_PATH": str(tmp_path), "PKG_CONFIG_LIBDIR": str(tmp_path)})
    if done.returncode == 0:
        pytest.skip("a libsandlock.so.1 is installed for the system loader")
    assert "sandlock.errors.LibraryError: libsandlock not found; tried SANDLOCK_LIBRARY (not set)" in done.stderr
    assert "pkg-config" in done.stderr and "the system loader" in done.stderr


def test_a_missing_explicit_library_is_an_error_not_a_fallback(tmp_path):
    done = load({"SANDLOCK_LIBRARY": str(tmp_path / "nothing.so")})
    assert done.returncode != 0
    assert f"LibraryError: cannot load {tmp_path / 'nothing.so'} (from SANDLOCK_LIBRARY)" in done.stderr


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("major2", "is libsandlock 2.0.0, but this binding needs major version 1 (libsandlock.so.1)"),
        ("only-1.0", "has no sandlock_landlock_abi: this binding needs the sandlock 1.1 ABI"),
        ("not-sandlock", "is not libsandlock: it has no sandlock_version"),
    ],
)
def test_an_unusable_library_is_refused_clearly(fake, name, message):
    done = load({"SANDLOCK_LIBRARY": fake[name]})
    assert done.returncode != 0
    assert f"sandlock.errors.LibraryError: {fake[name]} (from SANDLOCK_LIBRARY) {message}" in done.stderr


def test_library_errors_are_import_errors():
    assert issubclass(sandlock.LibraryError, ImportError)
    assert issubclass(sandlock.LibraryError, sandlock.SandlockError)


def test_the_package_is_typed_and_reports_its_library():
    assert files("sandlock").joinpath("py.typed").is_file()
    assert sandlock.library_version()[0] == 1
    assert sandlock.landlock_abi() is None or sandlock.landlock_abi() >= 1
    assert all(hasattr(sandlock, name) for name in sandlock.__all__)
