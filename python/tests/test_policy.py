"""Policy: each option reaches the library's setter and means there what it
says, and a bad value is refused with the library's message (or, for a
value ctypes would silently wrap or truncate, by the binding first)."""

from __future__ import annotations

import dataclasses
import errno

import pytest
from helpers import lines

import sandlock
from sandlock import Policy


def with_(policy: Policy, **changes) -> Policy:
    return dataclasses.replace(policy, **changes)


def test_env_sets_and_pass_env_copies(policy, probe, monkeypatch):
    assert lines(sandlock.run(policy, [probe, "env", "GREETING"])) == ["unset"]
    assert lines(sandlock.run(with_(policy, env={"GREETING": "hi"}), [probe, "env", "GREETING"])) == ["hi"]
    monkeypatch.setenv("SANDLOCK_TEST_PASSED", "through")
    passed = with_(policy, pass_env=["SANDLOCK_TEST_PASSED"])
    assert lines(sandlock.run(passed, [probe, "env", "SANDLOCK_TEST_PASSED"])) == ["through"]


def test_cwd(policy, probe, tmp_path):
    result = sandlock.run(with_(policy, cwd=tmp_path, fs_read=[*policy.fs_read, tmp_path]), [probe, "getcwd"])
    assert lines(result)[1] == f"buf={tmp_path}"


def test_fs_write_grants_creation_and_nothing_else_does(policy, probe, tmp_path):
    target = tmp_path / "created"
    denied = sandlock.run(with_(policy, fs_read=[*policy.fs_read, tmp_path]), [probe, "create", str(target)])
    assert lines(denied) == [f"create=-1 errno={errno.EACCES}"]
    allowed = sandlock.run(with_(policy, fs_write=[tmp_path]), [probe, "create", str(target)])
    assert lines(allowed) == ["create=0 errno=0"]
    assert target.exists()


def test_deny_syscalls(policy, probe):
    result = sandlock.run(with_(policy, deny_syscalls=["getppid"]), [probe, "getppid"])
    assert lines(result)[2] == f"ret=-1 errno={errno.EPERM}"


def test_private_network_and_the_booleans_run(policy, probe):
    flags = with_(policy, private_network=True, private_ipc=True, best_effort=True, scope_ipc=False)
    assert sandlock.run(flags, [probe, "exit", "0"]).exit.exit_code == 0


def test_std_devices_private_tmp_and_private_shm(policy, probe, tmp_path):
    assert lines(sandlock.run(policy, [probe, "open", "/dev/null", "1"])) == ["open=ok data="]
    off = with_(policy, std_devices=False)
    assert lines(sandlock.run(off, [probe, "open", "/dev/null", "1"])) == [f"open=-1 errno={errno.EACCES}"]
    assert lines(sandlock.run(policy, [probe, "env", "TMPDIR"])) == ["unset"]
    (tmpdir,) = lines(sandlock.run(with_(policy, private_tmp=True), [probe, "env", "TMPDIR"]))
    assert "/sandlock-tmp-" in tmpdir
    assert sandlock.run(with_(policy, private_shm=True), [probe, "exit", "0"]).exit.exit_code == 0


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"fs_read": ["relative"]}, sandlock.InvalidError, "must be absolute"),
        ({"fs_write": ["/no/such/dir"]}, sandlock.NotFoundError, "/no/such/dir"),
        ({"net_bind_tcp": [0]}, sandlock.InvalidError, "port 0"),
        ({"net_connect_tcp": [70000]}, sandlock.InvalidError, "70000"),
        ({"deny_syscalls": ["no_such_call"]}, sandlock.InvalidError, "no_such_call"),
        ({"allow_only_syscalls": ["no_such_call"]}, sandlock.InvalidError, "no_such_call"),
        ({"allow_only_syscalls": ["read"], "deny_syscalls": ["ptrace"]}, sandlock.InvalidError, "cannot be combined"),
        ({"env": {"A=B": "x"}}, sandlock.InvalidError, "A=B"),
        ({"env": {"A": "x\0y"}}, sandlock.InvalidError, "NUL"),
        ({"pass_env": [""]}, sandlock.InvalidError, "pass_env|empty"),
        ({"cwd": "/no/such/dir"}, sandlock.NotFoundError, "/no/such/dir"),
        ({"uid": -1}, sandlock.InvalidError, "uid"),
        ({"gid": 1 << 32}, sandlock.InvalidError, "gid"),
        ({"max_memory": 0}, sandlock.InvalidError, "max_memory"),
        ({"max_open_files": 0}, sandlock.InvalidError, "open_files"),
        ({"max_processes": 0}, sandlock.InvalidError, "processes"),
        ({"max_output": 0}, sandlock.InvalidError, "output"),
        ({"timeout": 0}, sandlock.InvalidError, "timeout"),
        ({"timeout": float("inf")}, sandlock.InvalidError, "timeout"),
        ({"keep_capabilities": [999]}, sandlock.InvalidError, "999"),
        ({"stdin": 7}, sandlock.InvalidError, "7"),
        ({"fs_read": "/usr"}, sandlock.InvalidError, "sequence"),
    ],
)
def test_bad_values_are_refused_naming_them(policy, probe, changes, error, message):
    with pytest.raises(error, match=message):
        sandlock.run(with_(policy, **changes), [probe, "exit", "0"])


def test_a_policy_is_plain_shareable_data(policy):
    assert dataclasses.replace(policy) == policy
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.timeout = 1  # type: ignore[misc]
