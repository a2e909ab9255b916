"""run(): exit status and reason, captured output and its truncation,
timeouts, streams sent to fds, stdin, and the errors a failed start raises
(one class per status, the library's message, errno where there is one)."""

from __future__ import annotations

import dataclasses
import errno

import pytest

import sandlock
from sandlock import ExitReason, Policy, Stdin


def test_exit_code_and_captured_output(policy, probe):
    result = sandlock.run(policy, [probe, "exit", "3"])
    assert (result.stdout, result.stderr) == (b"out\n", b"err\n")
    assert result.exit == sandlock.Exit(ExitReason.EXITED, 3, None, None, False, False)
    assert result.returncode == 3


def test_output_past_max_output_is_truncated(policy, probe):
    small = dataclasses.replace(policy, max_output=100)
    result = sandlock.run(small, [probe, "spew", "100000"])
    assert result.stdout == b"x" * 100
    assert result.exit.stdout_truncated and not result.exit.stderr_truncated
    assert result.exit.exit_code == 0


def test_timeout_kills_the_sandbox(policy, probe):
    result = sandlock.run(policy, [probe, "tick"], timeout=0.2)
    assert result.exit.reason == ExitReason.TIMED_OUT
    assert result.stdout.startswith(b"tick 0\n")


def test_streams_sent_to_fds_are_not_captured(policy, probe, tmp_path):
    out, err = tmp_path / "out", tmp_path / "err"
    with open(out, "wb") as o, open(err, "wb") as e:
        result = sandlock.run(policy, [probe, "exit", "0"], stdout=o, stderr=e.fileno())
    assert (result.stdout, result.stderr) == (b"", b"")
    assert (out.read_bytes(), err.read_bytes()) == (b"out\n", b"err\n")


def test_stdin_from_the_policy_and_from_an_fd(policy, probe, tmp_path):
    fed = sandlock.run(dataclasses.replace(policy, stdin=b"from the policy\n"), [probe, "echo"])
    assert fed.stdout == b"from the policy\n"
    source = tmp_path / "in"
    source.write_bytes(b"from a file\n")
    with open(source, "rb") as f:
        assert sandlock.run(policy, [probe, "echo"], stdin=f).stdout == b"from a file\n"
    assert sandlock.run(dataclasses.replace(policy, stdin=Stdin.NULL), [probe, "echo"]).stdout == b""


def test_pipe_is_for_spawn(policy, probe):
    with pytest.raises(sandlock.InvalidError, match="spawn"):
        sandlock.run(policy, [probe, "echo"], stdout=sandlock.PIPE)


def test_a_missing_program_is_not_found_and_named(policy):
    with pytest.raises(sandlock.NotFoundError) as caught:
        sandlock.run(policy, ["/no/such/program"], name="job-42")
    assert caught.value.status == sandlock.Status.E_NOT_FOUND
    assert str(caught.value) == 'run "job-42": program "/no/such/program" not found'


def test_a_failed_exec_is_a_spawn_error_with_its_errno(policy, probe, tmp_path):
    not_executable = tmp_path / "data"
    not_executable.write_text("not a program")
    not_executable.chmod(0o644)
    allowed = dataclasses.replace(policy, fs_read=[*policy.fs_read, str(tmp_path)])
    with pytest.raises(sandlock.SpawnError) as caught:
        sandlock.run(allowed, [str(not_executable)])
    assert caught.value.errno == errno.EACCES
    assert str(caught.value) == f'cannot execute "{not_executable}": it is not executable (mode 0644)'


def test_a_path_that_does_not_exist_carries_enoent():
    with pytest.raises(sandlock.NotFoundError) as caught:
        sandlock.run(Policy(fs_read=["/no/such/dir"]), ["/bin/true"])
    assert caught.value.errno == errno.ENOENT
    assert '"/no/such/dir"' in str(caught.value)


def test_errors_are_one_class_per_status():
    import sandlock.errors as errors

    classes = {status: errors.error_for(status, "m") for status in sandlock.Status if status < 0}
    assert len({type(e) for e in classes.values()}) == len(classes)
    assert all(isinstance(e, sandlock.SandlockError) and e.status == s for s, e in classes.items())
    assert isinstance(classes[sandlock.Status.E_INVALID], ValueError)
    assert type(errors.error_for(-99, "newer")) is sandlock.SandlockError
    assert errors.error_for(-2, "m", 0).errno is None


def test_run_needs_a_policy(probe):
    with pytest.raises(TypeError):
        sandlock.run({"fs_read": ["/"]}, [probe])  # type: ignore[arg-type]


def test_argv_is_refused_rather_than_truncated(policy, probe):
    with pytest.raises(sandlock.InvalidError, match="NUL"):
        sandlock.run(policy, [probe, "exit\0", "1"])
    with pytest.raises(sandlock.InvalidError, match="argc|argv"):
        sandlock.run(policy, [])
    with pytest.raises(sandlock.InvalidError, match="sequence"):
        sandlock.run(policy, probe)
