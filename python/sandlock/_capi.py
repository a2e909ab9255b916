"""The part of sandlock.h this binding calls: struct layouts, callback
types and function prototypes, declared once for ctypes.

Every prototype here is checked against include/sandlock.h by
tests/test_header.py, so a drift of the header breaks the tests instead of
the caller's stack. A function missing from the loaded library (a 1.0
library lacks the 1.1 command object) is reported when the package is
imported, naming the function, instead of on first use.
"""

from __future__ import annotations

import ctypes
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    Union,
    c_bool,
    c_char_p,
    c_int,
    c_int32,
    c_int64,
    c_size_t,
    c_uint16,
    c_uint32,
    c_uint64,
    c_void_p,
)
from typing import Any

from . import _lib
from .errors import LibraryError

#: ``sandlock_action_set_inject_bytes`` flags.
INJECT_WRITABLE = 1 << 0
INJECT_NO_CLOEXEC = 1 << 1


class NotifData(Structure):
    """``sandlock_notif_data_t`` (80 bytes)."""

    _fields_ = [
        ("id", c_uint64),
        ("pid", c_uint32),
        ("flags", c_uint32),
        ("syscall_nr", c_int32),
        ("arch", c_uint32),
        ("instruction_pointer", c_uint64),
        ("args", c_uint64 * 6),
    ]


class ActionInject(Structure):
    """``sandlock_action_inject_t``."""

    _fields_ = [("srcfd", c_int32), ("newfd_flags", c_uint32)]


class ActionInjectTracked(Structure):
    """``sandlock_action_inject_tracked_t`` (reserved kind; sizes the union)."""

    _fields_ = [("srcfd", c_int32), ("newfd_flags", c_uint32), ("tracker", c_uint64)]


class ActionKill(Structure):
    """``sandlock_action_kill_t``."""

    _fields_ = [("sig", c_int32), ("pgid", c_int32)]


class ActionPayload(Union):
    """``sandlock_action_payload_t``."""

    _fields_ = [
        ("none", c_uint64),
        ("errno_value", c_int32),
        ("return_value", c_int64),
        ("inject", ActionInject),
        ("inject_tracked", ActionInjectTracked),
        ("kill", ActionKill),
    ]


class ActionOut(Structure):
    """``sandlock_action_out_t`` (24 bytes): what a Static handler is built from."""

    _fields_ = [("kind", c_uint32), ("payload", ActionPayload)]


class ExitData(Structure):
    """``sandlock_exit_t``: the snapshot of how a run or child ended."""

    _fields_ = [
        ("reason", c_uint32),
        ("exit_code", c_int32),
        ("signal", c_int32),
        ("syscall_nr", c_int64),
        ("stdout_truncated", c_bool),
        ("stderr_truncated", c_bool),
    ]


#: ``sandlock_handler_fn_t``: (ud, notif, mem, out) -> 0 after setting an action.
HANDLER_FN = CFUNCTYPE(c_int32, c_void_p, POINTER(NotifData), c_void_p, c_void_p)
#: ``sandlock_handler_ud_drop_t``.
UD_DROP_FN = CFUNCTYPE(None, c_void_p)

_ERR = POINTER(c_void_p)
_P = c_void_p

#: name -> (restype, argtypes), for every function the binding calls.
PROTOTYPES: dict[str, tuple[Any, list[Any]]] = {
    "sandlock_version": (c_uint32, []),
    "sandlock_landlock_abi": (c_int32, []),
    "sandlock_syscall_nr": (c_int64, [c_char_p]),
    # errors
    "sandlock_error_take_last": (_P, []),
    "sandlock_error_status": (c_int32, [_P]),
    "sandlock_error_errno": (c_int32, [_P]),
    "sandlock_error_message": (c_char_p, [_P]),
    "sandlock_error_free": (None, [_P]),
    # policy
    "sandlock_policy_new": (_P, []),
    "sandlock_policy_free": (None, [_P]),
    "sandlock_policy_fs_read": (c_int, [_P, c_char_p]),
    "sandlock_policy_fs_write": (c_int, [_P, c_char_p]),
    "sandlock_policy_net_bind_tcp": (c_int, [_P, c_uint16]),
    "sandlock_policy_net_connect_tcp": (c_int, [_P, c_uint16]),
    "sandlock_policy_allow_unix_sockets": (c_int, [_P, c_bool]),
    "sandlock_policy_allow_netlink": (c_int, [_P, c_bool, _ERR]),
    "sandlock_policy_deny_syscall": (c_int, [_P, c_char_p]),
    "sandlock_policy_allow_only_syscall": (c_int, [_P, c_char_p, _ERR]),
    "sandlock_policy_env": (c_int, [_P, c_char_p, c_char_p]),
    "sandlock_policy_pass_env": (c_int, [_P, c_char_p, _ERR]),
    "sandlock_policy_cwd": (c_int, [_P, c_char_p]),
    "sandlock_policy_uid": (c_int, [_P, c_uint32]),
    "sandlock_policy_gid": (c_int, [_P, c_uint32]),
    "sandlock_policy_max_memory": (c_int, [_P, c_uint64]),
    "sandlock_policy_max_open_files": (c_int, [_P, c_uint64, _ERR]),
    "sandlock_policy_max_processes": (c_int, [_P, c_uint32]),
    "sandlock_policy_max_output": (c_int, [_P, c_size_t, _ERR]),
    "sandlock_policy_timeout_ms": (c_int, [_P, c_uint64]),
    "sandlock_policy_handler_grace_ms": (c_int, [_P, c_uint64, _ERR]),
    "sandlock_policy_keep_capability": (c_int, [_P, c_uint32, _ERR]),
    "sandlock_policy_best_effort": (c_int, [_P, c_bool, _ERR]),
    "sandlock_policy_scope_ipc": (c_int, [_P, c_bool, _ERR]),
    "sandlock_policy_private_ipc": (c_int, [_P, c_bool, _ERR]),
    "sandlock_policy_private_network": (c_int, [_P, c_bool, _ERR]),
    "sandlock_policy_std_devices": (c_int, [_P, c_bool, _ERR]),
    "sandlock_policy_private_tmp": (c_int, [_P, c_bool, _ERR]),
    "sandlock_policy_private_shm": (c_int, [_P, c_bool, _ERR]),
    "sandlock_policy_stdin": (c_int, [_P, c_uint32, c_char_p, c_size_t, _ERR]),
    # command
    "sandlock_command_new": (_P, [_P, POINTER(c_char_p), c_uint32, _ERR]),
    "sandlock_command_free": (None, [_P]),
    "sandlock_command_set_name": (c_int, [_P, c_char_p, _ERR]),
    "sandlock_command_add_handler": (c_int, [_P, c_int64, _P, _ERR]),
    "sandlock_command_set_stdin": (c_int, [_P, c_int, _ERR]),
    "sandlock_command_set_stdout": (c_int, [_P, c_int, _ERR]),
    "sandlock_command_set_stderr": (c_int, [_P, c_int, _ERR]),
    "sandlock_command_run": (_P, [_P, _ERR]),
    "sandlock_command_spawn": (_P, [_P, _ERR]),
    # handlers and actions
    "sandlock_handler_new": (_P, [HANDLER_FN, _P, UD_DROP_FN, c_uint32]),
    "sandlock_handler_new_static": (_P, [_P, _ERR]),
    "sandlock_handler_free": (None, [_P]),
    "sandlock_action_set_continue": (c_int, [_P]),
    "sandlock_action_set_errno": (c_int, [_P, c_int32]),
    "sandlock_action_set_return_value": (c_int, [_P, c_int64]),
    "sandlock_action_set_hold": (c_int, [_P]),
    "sandlock_action_set_kill": (c_int, [_P, c_int32, c_int32]),
    "sandlock_action_set_inject_fd_send": (c_int, [_P, c_int, c_uint32]),
    "sandlock_action_set_inject_bytes": (c_int, [_P, c_char_p, c_size_t, c_uint32]),
    "sandlock_mem_read": (c_int32, [_P, c_uint64, c_char_p, c_size_t, POINTER(c_size_t)]),
    "sandlock_mem_read_cstr": (c_int32, [_P, c_uint64, c_char_p, c_size_t, POINTER(c_size_t)]),
    "sandlock_mem_write": (c_int32, [_P, c_uint64, c_char_p, c_size_t]),
    # results
    "sandlock_result_exit": (POINTER(ExitData), [_P]),
    "sandlock_result_stdout": (_P, [_P, POINTER(c_size_t)]),
    "sandlock_result_stderr": (_P, [_P, POINTER(c_size_t)]),
    "sandlock_result_free": (None, [_P]),
    # spawned children
    "sandlock_child_pid": (c_int32, [_P]),
    "sandlock_child_wait_for": (c_int, [_P, c_int64, _ERR]),
    "sandlock_child_exit": (POINTER(ExitData), [_P]),
    "sandlock_child_kill": (c_int, [_P]),
    "sandlock_child_signal": (c_int, [_P, c_int, _ERR]),
    "sandlock_child_pause": (c_int, [_P, _ERR]),
    "sandlock_child_resume": (c_int, [_P, _ERR]),
    "sandlock_child_free": (None, [_P]),
}


def _bind(loaded: _lib.Loaded) -> ctypes.CDLL:
    """Give every function its prototype; refuse a library that lacks one."""
    cdll = loaded.cdll
    for name, (restype, argtypes) in PROTOTYPES.items():
        try:
            fn = getattr(cdll, name)
        except AttributeError as e:
            raise LibraryError(
                f"{loaded.path} (from {loaded.source}) has no {name}: this binding needs the "
                "sandlock 1.1 ABI (the command object and its error out-parameters)"
            ) from e
        fn.restype = restype
        fn.argtypes = argtypes
    return cdll


LOADED = _lib.load()
#: The library, every function given its prototype.
lib = _bind(LOADED)
