"""Finding and loading libsandlock.so.1.

The binding uses nothing but the shared library and the contract of
sandlock.h, so the first thing it does is find that library the way a
packager expects: an explicit path in ``SANDLOCK_LIBRARY`` wins (no
fallback, so a wrong path is reported rather than silently replaced),
then the ``libdir`` that pkg-config reports for ``sandlock``, then the
system loader. A library of another major version has another ABI and is
refused before any of its functions is called.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
from dataclasses import dataclass

from .errors import LibraryError

#: The soname this binding is written against (major version 1).
SONAME = "libsandlock.so.1"
#: The major version of sandlock.h this binding follows.
VERSION_MAJOR = 1
#: The environment variable naming the library file to load.
LIBRARY_ENV = "SANDLOCK_LIBRARY"


@dataclass(frozen=True)
class Loaded:
    """The library in use, where it came from, and its version."""

    cdll: ctypes.CDLL
    path: str
    source: str
    version: tuple[int, int, int]


def _pkg_config_libdir() -> str | None:
    """The ``libdir`` of sandlock.pc, or None when pkg-config cannot tell."""
    tool = shutil.which("pkg-config")
    if tool is None:
        return None
    try:
        done = subprocess.run(
            [tool, "--variable=libdir", "sandlock"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    libdir = done.stdout.strip()
    return libdir if done.returncode == 0 and libdir else None


def _checked(cdll: ctypes.CDLL, path: str, source: str) -> Loaded:
    """The loaded library, once it proved to be libsandlock of major 1."""
    try:
        version_fn = cdll.sandlock_version
    except AttributeError as e:
        raise LibraryError(f"{path} (from {source}) is not libsandlock: it has no sandlock_version") from e
    version_fn.argtypes = []
    version_fn.restype = ctypes.c_uint32
    packed = version_fn()
    version = (packed >> 16, (packed >> 8) & 0xFF, packed & 0xFF)
    if version[0] != VERSION_MAJOR:
        raise LibraryError(
            f"{path} (from {source}) is libsandlock {'.'.join(map(str, version))}, "
            f"but this binding needs major version {VERSION_MAJOR} ({SONAME})"
        )
    return Loaded(cdll, path, source, version)


def load() -> Loaded:
    """Find and load the library, in the documented order."""
    explicit = os.environ.get(LIBRARY_ENV)
    if explicit:
        try:
            return _checked(ctypes.CDLL(explicit), explicit, LIBRARY_ENV)
        except OSError as e:
            raise LibraryError(f"cannot load {explicit} (from {LIBRARY_ENV}): {e}") from e
    tried = [f"{LIBRARY_ENV} (not set)"]
    libdir = _pkg_config_libdir()
    if libdir is None:
        tried.append("pkg-config (no sandlock.pc)")
    else:
        candidate = os.path.join(libdir, SONAME)
        try:
            return _checked(ctypes.CDLL(candidate), candidate, "pkg-config")
        except OSError as e:
            tried.append(f"pkg-config libdir {libdir} ({e})")
    try:
        return _checked(ctypes.CDLL(SONAME), SONAME, "the system loader")
    except OSError as e:
        tried.append(f"the system loader ({e})")
    raise LibraryError("libsandlock not found; tried " + "; ".join(tried))
