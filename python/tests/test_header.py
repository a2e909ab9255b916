"""The binding against include/sandlock.h: every constant, enum value,
struct layout and prototype it uses is read out of the header (and the
layouts out of a C compiler), so an ABI drift fails here instead of
corrupting memory at run time."""

from __future__ import annotations

import ctypes
import enum
import re
import subprocess
from pathlib import Path

import pytest
from helpers import HEADER

import sandlock
from sandlock import _capi, _lib
from sandlock.errors import Status

SOURCE = HEADER.read_text()
# The header without comments: what the parsers below read.
CODE = re.sub(r"/\*.*?\*/", "", SOURCE, flags=re.S)
CODE = re.sub(r"//[^\n]*", "", CODE)


def defines() -> dict[str, int]:
    found = {}
    for name, value in re.findall(r"^#define (SANDLOCK_\w+) (.+)$", CODE, flags=re.M):
        found[name] = eval(value, {})  # integers and shifts only
    return found


def enums() -> dict[str, dict[str, int]]:
    found = {}
    for name, body in re.findall(r"enum (\w+)\s*(?:#if.*?#endif[^\n]*)?\s*\{(.*?)\};", CODE, flags=re.S):
        found[name] = {k: int(v) for k, v in re.findall(r"(\w+) = (-?\d+)", body)}
    return found


def structs() -> dict[str, list[tuple[str, str]]]:
    """typedef'd struct/union name -> [(C type, field name incl. [n])]."""
    found = {}
    for name, body in re.findall(r"typedef (?:struct|union) (\w+) \{(.*?)\} \w+;", CODE, flags=re.S):
        found[name] = [(" ".join(t.split()), f) for t, f in re.findall(r"([\w ]+?)\s+(\w+(?:\[\d+\])?);", body)]
    return found


def normal(ctype: str) -> str:
    """A C type without qualifiers and struct tags, spaces only between words."""
    ctype = re.sub(r"\b(const|struct|union)\b", "", ctype)
    ctype = re.sub(r"\s*\*\s*", "*", ctype.strip())
    return " ".join(ctype.split())


def prototypes() -> dict[str, tuple[str, list[str]]]:
    found = {}
    flat = " ".join(line for line in CODE.splitlines() if not line.lstrip().startswith("#"))
    # A return type cannot hold ";", "}" or "{", so each match starts after
    # the previous declaration (or `extern "C" {`).
    for ret, name, args in re.findall(r"([\w\s\*]+?)\s*\b(sandlock_\w+)\s*\(([^)]*)\)\s*;", flat):
        no_params = args.strip() in ("", "void")
        params = [] if no_params else [normal(re.sub(r"\w+$", "", a.strip())) for a in args.split(",")]
        found[name] = (normal(ret), params)
    return found


def callback_typedefs() -> dict[str, tuple[str, list[str]]]:
    found = {}
    for ret, name, args in re.findall(r"typedef (\w+) \(\*(\w+)\)\(([^)]*)\);", CODE, flags=re.S):
        found[name] = (normal(ret), [normal(re.sub(r"\w+$", "", a.strip())) for a in args.split(",")])
    return found


SCALARS = {
    "void": None,
    "int": ctypes.c_int,
    "int32_t": ctypes.c_int32,
    "uint32_t": ctypes.c_uint32,
    "int64_t": ctypes.c_int64,
    "uint64_t": ctypes.c_uint64,
    "uint16_t": ctypes.c_uint16,
    "size_t": ctypes.c_size_t,
    "bool": ctypes.c_bool,
}
STRUCTS = {
    "sandlock_notif_data_t": _capi.NotifData,
    "sandlock_action_inject_t": _capi.ActionInject,
    "sandlock_action_inject_tracked_t": _capi.ActionInjectTracked,
    "sandlock_action_kill_t": _capi.ActionKill,
    "sandlock_action_payload_t": _capi.ActionPayload,
    "sandlock_action_out_t": _capi.ActionOut,
    "sandlock_exit_t": _capi.ExitData,
}


def accepted(ctype: str) -> set:
    """The ctypes types a C parameter or return type may be declared as."""
    if ctype in SCALARS:
        return {SCALARS[ctype]}
    if ctype == "sandlock_handler_fn_t":
        return {_capi.HANDLER_FN}
    if ctype == "sandlock_handler_ud_drop_t":
        return {_capi.UD_DROP_FN}
    if ctype == "void*":
        return {ctypes.c_void_p}
    if ctype in ("char*", "uint8_t*"):
        return {ctypes.c_char_p, ctypes.c_void_p}
    if ctype == "char**":
        return {ctypes.POINTER(ctypes.c_char_p)}
    if ctype == "size_t*":
        return {ctypes.POINTER(ctypes.c_size_t)}
    if ctype == "sandlock_error_t**":
        return {ctypes.POINTER(ctypes.c_void_p)}
    if ctype.endswith("*") and ctype[:-1] in STRUCTS and ctype[:-1] != "sandlock_action_out_t":
        return {ctypes.POINTER(STRUCTS[ctype[:-1]])}
    if re.fullmatch(r"sandlock_\w+_t\*", ctype):
        return {ctypes.c_void_p}  # an opaque handle, or an action filled through setters
    raise AssertionError(f"no mapping for C type {ctype!r}")


def test_every_bound_function_matches_its_prototype():
    declared = prototypes()
    assert len(declared) > 60, "the prototype parser found too little"
    for name, (restype, argtypes) in _capi.PROTOTYPES.items():
        assert name in declared, f"{name} is not in sandlock.h"
        c_ret, c_args = declared[name]
        assert restype in accepted(c_ret), f"{name} returns {c_ret}, bound as {restype}"
        assert len(argtypes) == len(c_args), f"{name} takes {c_args}, bound with {argtypes}"
        for i, (ours, theirs) in enumerate(zip(argtypes, c_args, strict=True)):
            assert ours in accepted(theirs), f"{name} argument {i} is {theirs}, bound as {ours}"


def test_callback_types_match_their_typedefs():
    typedefs = callback_typedefs()
    for name, ours in (("sandlock_handler_fn_t", _capi.HANDLER_FN), ("sandlock_handler_ud_drop_t", _capi.UD_DROP_FN)):
        c_ret, c_args = typedefs[name]
        assert ours._restype_ in accepted(c_ret)
        assert len(ours._argtypes_) == len(c_args)
        for i, (mine, theirs) in enumerate(zip(ours._argtypes_, c_args, strict=True)):
            if theirs == "sandlock_action_out_t*":
                assert mine is ctypes.c_void_p  # handed to the setters, never read
            else:
                assert mine in accepted(theirs), (name, i)


def field_type(ctype: str, field: str):
    size = re.search(r"\[(\d+)\]", field)
    ctype = normal(ctype)
    base = STRUCTS.get(ctype) or SCALARS[ctype]
    return base * int(size.group(1)) if size else base


def test_struct_fields_are_the_headers_in_order_and_type():
    declared = structs()
    for c_name, ours in STRUCTS.items():
        theirs = declared[c_name]
        assert [f.split("[")[0] for _, f in theirs] == [f for f, _ in ours._fields_], c_name
        for (ctype, field), (_, mine) in zip(theirs, ours._fields_, strict=True):
            expected = field_type(ctype, field)
            if isinstance(mine, type) and issubclass(mine, ctypes.Array):
                assert (mine._type_, mine._length_) == (expected._type_, expected._length_), (c_name, field)
            else:
                assert mine is expected, (c_name, field)


def test_struct_layouts_are_the_compilers(tmp_path):
    lines = ["#include <sandlock.h>", "#include <stddef.h>", "#include <stdio.h>", "int main(void) {"]
    for c_name, ours in STRUCTS.items():
        lines.append(f'printf("{c_name} %zu %zu\\n", sizeof({c_name}), _Alignof({c_name}));')
        for field, _ in ours._fields_:
            lines.append(
                f'printf("{c_name}.{field} %zu %zu\\n", offsetof({c_name}, {field}), sizeof((({c_name} *)0)->{field}));'
            )
    lines += ["return 0;", "}"]
    src = tmp_path / "layout.c"
    src.write_text("\n".join(lines))
    exe = tmp_path / "layout"
    subprocess.run(["cc", "-std=c11", "-I", str(HEADER.parent), "-o", str(exe), str(src)], check=True)
    compiled = dict(
        line.split(" ", 1)
        for line in subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.splitlines()
    )
    for c_name, ours in STRUCTS.items():
        assert compiled[c_name] == f"{ctypes.sizeof(ours)} {ctypes.alignment(ours)}", c_name
        for field, _ in ours._fields_:
            descriptor = getattr(ours, field)
            assert compiled[f"{c_name}.{field}"] == f"{descriptor.offset} {descriptor.size}", f"{c_name}.{field}"
    assert ctypes.sizeof(_capi.NotifData) == 80 and ctypes.sizeof(_capi.ActionOut) == 24


def python_enum(cls: type[enum.IntEnum], prefix: str) -> dict[str, int]:
    return {prefix + member.name: int(member) for member in cls}


@pytest.mark.parametrize(
    ("c_enum", "ours", "prefix"),
    [
        ("sandlock_status_t", Status, "SANDLOCK_"),
        ("sandlock_exception_policy_t", sandlock.ExceptionPolicy, "SANDLOCK_EXCEPTION_"),
        ("sandlock_exit_reason_t", sandlock.ExitReason, "SANDLOCK_EXIT_"),
        ("sandlock_stdin_t", sandlock.Stdin, "SANDLOCK_STDIN_"),
    ],
)
def test_enums_are_the_headers(c_enum, ours, prefix):
    assert python_enum(ours, prefix) == enums()[c_enum]


def test_defines_are_the_headers():
    found = defines()
    assert found["SANDLOCK_VERSION_MAJOR"] == _lib.VERSION_MAJOR
    assert found["SANDLOCK_INJECT_WRITABLE"] == _capi.INJECT_WRITABLE
    assert found["SANDLOCK_INJECT_NO_CLOEXEC"] == _capi.INJECT_NO_CLOEXEC


def test_policy_calls_every_setter_the_header_offers():
    setters = sorted(
        n
        for n in prototypes()
        if n.startswith("sandlock_policy_") and n not in ("sandlock_policy_new", "sandlock_policy_free")
    )
    assert len(setters) >= 25
    source = Path(sandlock.policy.__file__).read_text()
    missing = [n for n in setters if f"lib.{n}," not in source]
    assert missing == [], f"Policy offers no field for {missing}"
