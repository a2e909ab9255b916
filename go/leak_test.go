package sandlock_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sandlock "github.com/sandlock/sandlock/go"
	"go.uber.org/goleak"
)

// TestMain fails the package when any test leaves a goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// openFDs lists this process's open file descriptors.
func openFDs(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var fds []string
	for _, e := range entries {
		target, _ := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		fds = append(fds, e.Name()+" -> "+target)
	}
	// ReadDir's own directory fd is in the list; it is closed by now.
	return slices.DeleteFunc(fds, func(fd string) bool {
		n, _, _ := strings.Cut(fd, " ")
		_, err := os.Stat(filepath.Join("/proc/self/fd", n))
		return err != nil
	})
}

// job runs one command with a Go handler, a static one and piped stdio,
// and checks what the child printed.
func job(i int, policy *sandlock.Policy, probe string, seen *atomic.Int64) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	script := fmt.Sprintf("import os\nprint(%d, os.getppid(), open(%q).read(), input())", i, probe)
	cmd := sandlock.CommandContext(ctx, policy, "/usr/bin/python3", "-S", "-c", script)
	cmd.Handle("openat", onPathFunc(probe, func() sandlock.Action {
		seen.Add(1)
		return sandlock.Continue()
	}))
	cmd.Handle("getppid", sandlock.Static(sandlock.ReturnValue(int64(4000))))
	cmd.Stdin = bytes.NewBufferString(fmt.Sprintf("line-%d\n", i))
	out, err := cmd.Output()
	if want := fmt.Sprintf("%d 4000 probe line-%d\n", i, i); err != nil || string(out) != want {
		return fmt.Errorf("job %d: stdout %q, err %v; want %q", i, out, err, want)
	}
	return nil
}

func TestConcurrentCommandsLeakNothing(t *testing.T) {
	probe := probeFile(t, "probe")
	policy := systemPolicy(filepath.Dir(probe)) // shared by every command
	var seen atomic.Int64
	if err := job(-1, policy, probe, &seen); err != nil { // warm up the runtime's own fds
		t.Fatal(err)
	}
	before := openFDs(t)

	const jobs = 24
	runConcurrently(t, jobs, func(i int) error { return job(i, policy, probe, &seen) })
	if seen.Load() != jobs+1 {
		t.Errorf("the handlers saw %d probe opens, want %d", seen.Load(), jobs+1)
	}
	assertNothingLeaked(t, before)
}

// runConcurrently runs job(0..n-1) on n goroutines and reports each error.
func runConcurrently(t *testing.T, n int, job func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- job(i)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// assertNothingLeaked checks that no cgo.Handle, fd (against before) or
// goroutine is left.
func assertNothingLeaked(t *testing.T, before []string) {
	t.Helper()
	if n := sandlock.LiveHandles(); n != 0 {
		t.Errorf("%d cgo.Handle values leaked", n)
	}
	if after := openFDs(t); !slices.Equal(before, after) {
		t.Errorf("fds before:\n%v\nafter:\n%v", before, after)
	}
	goleak.VerifyNone(t)
}

// policyJob runs the curl/ls script under a PolicyFunc that denies curl
// and, by i, flags ls, panics on it (answered by Allow) or fails to start.
func policyJob(i int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	logger, _ := quietLog()
	cmd := sandlock.CommandContext(ctx, shPolicy(), "/bin/sh", "-c", curlThenLs)
	cmd.ErrorLog = logger
	cmd.PolicyCategories = sandlock.CategoryExec | sandlock.CategoryProcess
	cmd.PolicyOnFailure = sandlock.Allow()
	cmd.PolicyFunc = func(ev *sandlock.Event, ctl *sandlock.Control) sandlock.Decision {
		switch {
		case program(ev) == "ls" && i%4 == 1:
			return sandlock.Flag()
		case program(ev) == "ls" && i%4 == 2:
			panic("boom")
		}
		return denyCurl(ev, ctl)
	}
	if i%4 == 3 {
		cmd.PolicyCategories = 1 << 30
		if err := cmd.Start(); !errors.Is(err, sandlock.ErrInvalid) {
			return fmt.Errorf("job %d: Start with bad categories: %v", i, err)
		}
		return nil
	}
	out, err := cmd.Output()
	if err != nil || string(out) != "126\n0\n" {
		return fmt.Errorf("job %d: stdout %q, err %v", i, out, err)
	}
	wantFlagged := 0
	if i%4 == 1 {
		wantFlagged = 1
	}
	if n := len(cmd.ProcessState.Flagged()); n != wantFlagged {
		return fmt.Errorf("job %d: %d flagged events, want %d", i, n, wantFlagged)
	}
	return nil
}

func TestConcurrentPolicyFuncCommandsLeakNothing(t *testing.T) {
	if err := policyJob(0); err != nil { // warm up the runtime's own fds
		t.Fatal(err)
	}
	before := openFDs(t)
	runConcurrently(t, 32, policyJob)
	assertNothingLeaked(t, before)
}
