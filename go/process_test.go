package sandlock_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	sandlock "github.com/sandlock/sandlock/go"
)

// procState is the state letter of pid in /proc, or "" once it is gone.
func procState(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return fields[0]
}

// eventually waits up to 5 s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func dead(pid int) bool {
	s := procState(pid)
	return s == "" || s == "Z" || s == "X"
}

func TestContextCancelKillsTheGroupEvenIfSIGTERMIsIgnored(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := sandlock.CommandContext(ctx, systemPolicy(), "/bin/sh", "-c",
		`trap "" TERM; sleep 300 & echo $!; sh -c 'trap "" TERM; sleep 300' & echo $!; wait`)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(out)
	var grandchildren []int
	for range 2 {
		line, err := r.ReadString('\n')
		pid, perr := strconv.Atoi(strings.TrimSpace(line))
		if err != nil || perr != nil {
			t.Fatalf("reading a grandchild's pid: %q %v %v", line, err, perr)
		}
		grandchildren = append(grandchildren, pid)
	}
	// SIGTERM alone would not end it.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if dead(cmd.Process.Pid) {
		t.Fatal("the child did not ignore SIGTERM")
	}
	started := time.Now()
	cancel()
	err = cmd.Wait()
	var ee *sandlock.ExitError
	if !errors.As(err, &ee) || !ee.TimedOut() || ee.Signal() != syscall.SIGKILL {
		t.Fatalf("Wait: %v", err)
	}
	if time.Since(started) > 3*time.Second {
		t.Fatalf("the kill took %v", time.Since(started))
	}
	for _, pid := range grandchildren {
		eventually(t, "grandchild "+strconv.Itoa(pid)+" to die", func() bool { return dead(pid) })
	}
	if !strings.HasPrefix(ee.Error(), "timed out") {
		t.Fatalf("message %q", ee.Error())
	}
}

func TestContextDeadlineKills(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := sandlock.CommandContext(ctx, systemPolicy(), "/bin/sleep", "300").Run()
	var ee *sandlock.ExitError
	if !errors.As(err, &ee) || !ee.TimedOut() {
		t.Fatalf("Run: %v", err)
	}
}

func TestContextDoneBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sandlock.CommandContext(ctx, systemPolicy(), "/bin/true").Start(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Start: %v", err)
	}
}

func TestPolicyTimeoutKills(t *testing.T) {
	p := systemPolicy()
	p.Timeout = 150 * time.Millisecond
	started := time.Now()
	err := sandlock.Command(p, "/bin/sh", "-c", "trap '' TERM; sleep 300").Run()
	var ee *sandlock.ExitError
	if !errors.As(err, &ee) || !ee.TimedOut() || ee.Success() || time.Since(started) > 3*time.Second {
		t.Fatalf("Run: %v after %v", err, time.Since(started))
	}
}

func TestPauseResumeSignal(t *testing.T) {
	cmd := sandlock.Command(systemPolicy(), "/bin/sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	eventually(t, "sleep to run", func() bool { return procState(pid) == "S" })
	if err := cmd.Process.Pause(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the pause", func() bool { return procState(pid) == "T" })
	if err := cmd.Process.Resume(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the resume", func() bool { return procState(pid) == "S" })
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ee, ok := err.(*sandlock.ExitError); !ok || ee.Signal() != syscall.SIGINT || ee.TimedOut() ||
		ee.ExitCode() != -1 || ee.String() != "signal: interrupt" {
		t.Fatalf("Wait: %v", err)
	}
}

func TestExitCodeAndSuccess(t *testing.T) {
	cmd := sandlock.Command(systemPolicy(), "/bin/sh", "-c", "exit 7")
	err := cmd.Run()
	s := cmd.ProcessState
	if exitCode(t, err) != 7 || s.Success() || s.Signal() != 0 || s.TimedOut() || s.String() != "exit status 7" {
		t.Fatalf("state %v, err %v", s, err)
	}
	cmd = sandlock.Command(systemPolicy(), "/bin/true")
	if err := cmd.Run(); err != nil || !cmd.ProcessState.Success() || cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("true: %v", err)
	}
}

func TestSignalsOutsideOneToSixtyFourAreRefused(t *testing.T) {
	cmd := sandlock.Command(systemPolicy(), "/bin/sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// 1<<32|9 would be SIGKILL in a C int.
	for _, sig := range []syscall.Signal{1<<32 | syscall.SIGKILL, 0, 65, -9} {
		var se *sandlock.Error
		err := cmd.Process.Signal(sig)
		if !errors.As(err, &se) || !errors.Is(err, sandlock.ErrInvalid) || se.Op != "Process.Signal" ||
			!strings.Contains(se.Message, "not in 1..64") {
			t.Errorf("Signal(%d): %v", int(sig), err)
		}
	}
	if dead(cmd.Process.Pid) {
		t.Fatal("a refused signal reached the child")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	var ee *sandlock.ExitError
	if err := cmd.Wait(); !errors.As(err, &ee) || ee.Signal() != syscall.SIGKILL {
		t.Fatalf("Wait: %v", err)
	}
}
