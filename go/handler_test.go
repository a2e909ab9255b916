package sandlock_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	sandlock "github.com/sandlock/sandlock/go"
)

// onPath answers opens of path with act and lets every other call run.
func onPath(path string, act sandlock.Action) sandlock.HandlerFunc {
	return func(n *sandlock.Notif) sandlock.Action {
		if p, err := n.ReadCString(n.Args[1], 4096); err == nil && p == path {
			return act
		}
		return sandlock.Continue()
	}
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *sandlock.ExitError
	if err == nil {
		return 0
	}
	if !errors.As(err, &ee) {
		t.Fatalf("not an *ExitError: %v", err)
	}
	return ee.ExitCode()
}

func TestErrnoSeenByChild(t *testing.T) {
	probe := probeFile(t, "secret\n")
	cmd := sandlock.Command(systemPolicy(filepath.Dir(probe)), "/bin/cat", probe)
	cmd.Handle("openat", onPath(probe, sandlock.Errno(syscall.EACCES)))
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if code := exitCode(t, err); code != 1 {
		t.Fatalf("exit code %d (%v)", code, err)
	}
	if want := "/bin/cat: " + probe + ": Permission denied\n"; stderr.String() != want {
		t.Fatalf("stderr %q, want %q", stderr.String(), want)
	}
	if stdout.Len() != 0 {
		t.Fatalf("stdout %q", stdout.String())
	}
}

func TestReturnValueSeenByChild(t *testing.T) {
	for name, h := range map[string]sandlock.Handler{
		"go":     sandlock.HandlerFunc(func(*sandlock.Notif) sandlock.Action { return sandlock.ReturnValue(4242) }),
		"static": sandlock.Static(sandlock.ReturnValue(4242)),
	} {
		t.Run(name, func(t *testing.T) {
			out, _, err := python(t, systemPolicy(), "import os; print(os.getppid(), os.getppid())", func(c *sandlock.Cmd) {
				c.Handle("getppid", h)
			})
			if err != nil || out != "4242 4242\n" {
				t.Fatalf("stdout %q, err %v", out, err)
			}
		})
	}
}

func TestKillActionEndsTheChildAtTheSyscall(t *testing.T) {
	var cmd *sandlock.Cmd
	out, _, err := python(t, systemPolicy(), "import os; print('before', flush=True); os.getppid(); print('after')",
		func(c *sandlock.Cmd) {
			cmd = c
			// Continue on failure: the kill can only come from the action.
			c.Handle("getppid", sandlock.HandlerFunc(func(*sandlock.Notif) sandlock.Action {
				return sandlock.Kill(syscall.SIGKILL)
			}), sandlock.OnException(sandlock.ExceptionContinue))
		})
	if out != "before\n" {
		t.Fatalf("stdout %q", out)
	}
	var ee *sandlock.ExitError
	if !errors.As(err, &ee) || ee.Signal() != syscall.SIGKILL || ee.ExitCode() != -1 || ee.TimedOut() {
		t.Fatalf("err %v", err)
	}
	if s := cmd.ProcessState.String(); s != "signal: killed (by the handler for getppid)" {
		t.Fatalf("state %q", s)
	}
}

func TestInjectBytesReadBackByChild(t *testing.T) {
	const virtual = "/virtual/greeting"
	cmd := sandlock.Command(systemPolicy(), "/bin/cat", virtual)
	cmd.Handle("openat", onPath(virtual, sandlock.InjectBytes([]byte("hello from Go\n"), 0)))
	out, err := cmd.Output()
	if err != nil || string(out) != "hello from Go\n" {
		t.Fatalf("stdout %q, err %v", out, err)
	}
}

func TestInjectFileReadBackByChild(t *testing.T) {
	const virtual = "/virtual/file"
	f, err := openProbe(t, "from a file\n")
	if err != nil {
		t.Fatal(err)
	}
	cmd := sandlock.Command(systemPolicy(), "/bin/cat", virtual)
	cmd.Handle("openat", onPath(virtual, sandlock.InjectFile(f, 0)))
	out, err := cmd.Output()
	if err != nil || string(out) != "from a file\n" {
		t.Fatalf("stdout %q, err %v", out, err)
	}
	// The caller keeps its own f.
	if _, err := f.Stat(); err != nil {
		t.Fatal(err)
	}
}

func TestAuditCountsOnlyTheProbeOpens(t *testing.T) {
	probe := probeFile(t, "x")
	var opens, others atomic.Int64
	code := "p = " + quote(probe) + "\nfor _ in range(3):\n    open(p).close()\nprint('done')"
	out, _, err := python(t, systemPolicy(filepath.Dir(probe)), code, func(c *sandlock.Cmd) {
		c.Handle("openat", sandlock.HandlerFunc(func(n *sandlock.Notif) sandlock.Action {
			if p, _ := n.ReadCString(n.Args[1], 4096); p == probe {
				opens.Add(1)
			} else {
				others.Add(1)
			}
			return sandlock.Continue()
		}))
	})
	if err != nil || out != "done\n" {
		t.Fatalf("stdout %q, err %v", out, err)
	}
	if opens.Load() != 3 {
		t.Fatalf("%d opens of the probe (and %d others), want 3", opens.Load(), others.Load())
	}
}

func TestHandlerReadsThePathArgument(t *testing.T) {
	probe := probeFile(t, "x")
	var mu sync.Mutex
	var seen []sandlock.Notif
	var paths []string
	cmd := sandlock.Command(systemPolicy(filepath.Dir(probe)), "/bin/cat", probe)
	cmd.Handle("openat", sandlock.HandlerFunc(func(n *sandlock.Notif) sandlock.Action {
		p, err := n.ReadCString(n.Args[1], 4096)
		if err != nil {
			t.Errorf("ReadCString: %v", err)
		}
		mu.Lock()
		paths = append(paths, p)
		seen = append(seen, sandlock.Notif{ID: n.ID, Pid: n.Pid, Syscall: n.Syscall, Arch: n.Arch, Args: n.Args})
		mu.Unlock()
		return sandlock.Continue()
	}))
	if out, err := cmd.Output(); err != nil || string(out) != "x" {
		t.Fatalf("stdout %q, err %v", out, err)
	}
	last := len(paths) - 1
	if last < 0 || paths[last] != probe {
		t.Fatalf("paths %q: the last open is not the probe", paths)
	}
	openat, _ := sandlock.SyscallNumber("openat")
	n := seen[last]
	if n.Syscall != openat || sandlock.SyscallName(n.Syscall) != "openat" || n.Pid != cmd.ProcessState.Pid() ||
		int32(n.Args[0]) != -100 /* AT_FDCWD */ {
		t.Fatalf("notification %+v", n)
	}
}

func TestPanickingHandlerGetsItsExceptionPolicy(t *testing.T) {
	probe := probeFile(t, "x")
	policy := systemPolicy(filepath.Dir(probe))
	boom := onPathFunc(probe, func() sandlock.Action { panic("boom") })

	t.Run("deny EIO", func(t *testing.T) {
		logger, logged := quietLog()
		cmd := sandlock.Command(policy, "/bin/sh", "-c", "cat "+probe+"; echo rc=$?")
		cmd.ErrorLog = logger
		cmd.Handle("openat", boom, sandlock.OnException(sandlock.ExceptionDenyEIO))
		out, err := cmd.CombinedOutput()
		want := "cat: " + probe + ": Input/output error\nrc=1\n"
		if err != nil || string(out) != want {
			t.Fatalf("output %q, err %v; want %q", out, err, want)
		}
		if !strings.Contains(logged.String(), "handler for openat panicked: boom") {
			t.Fatalf("panic not reported: %q", logged.String())
		}
	})
	t.Run("kill by default", func(t *testing.T) {
		logger, logged := quietLog()
		cmd := sandlock.Command(policy, "/bin/sh", "-c", "echo before; cat "+probe+"; echo after")
		cmd.ErrorLog = logger
		cmd.Handle("openat", boom)
		out, err := cmd.Output()
		var ee *sandlock.ExitError
		if !errors.As(err, &ee) || ee.Signal() != syscall.SIGKILL || string(out) != "before\n" {
			t.Fatalf("output %q, err %v", out, err)
		}
		if want := "killed: the handler for openat failed (handler for openat panicked: boom)"; ee.String() != want {
			t.Fatalf("state %q, want %q", ee.String(), want)
		}
		if !strings.Contains(logged.String(), "boom") {
			t.Fatalf("panic not logged: %q", logged.String())
		}
	})
}

// onPathFunc is onPath with the action computed (or panicked) on a match.
func onPathFunc(path string, act func() sandlock.Action) sandlock.HandlerFunc {
	return func(n *sandlock.Notif) sandlock.Action {
		if p, err := n.ReadCString(n.Args[1], 4096); err == nil && p == path {
			return act()
		}
		return sandlock.Continue()
	}
}

func TestNotifAccessorsFailAfterTheCallback(t *testing.T) {
	probe := probeFile(t, "x")
	var kept, copied atomic.Pointer[sandlock.Notif]
	var laterErr error
	code := "import os\nopen(" + quote(probe) + ").close()\nos.getppid()\nprint('ok')"
	out, _, err := python(t, systemPolicy(filepath.Dir(probe)), code, func(c *sandlock.Cmd) {
		c.Handle("openat", sandlock.HandlerFunc(func(n *sandlock.Notif) sandlock.Action {
			if p, _ := n.ReadCString(n.Args[1], 4096); p == probe {
				kept.Store(n)
				c := *n
				copied.Store(&c)
			}
			return sandlock.Continue()
		}))
		// While the child is in another syscall, the kept one is done.
		c.Handle("getppid", sandlock.HandlerFunc(func(*sandlock.Notif) sandlock.Action {
			if n := kept.Load(); n != nil {
				_, laterErr = n.ReadCString(n.Args[1], 4096)
			}
			return sandlock.Continue()
		}))
	})
	if err != nil || out != "ok\n" {
		t.Fatalf("stdout %q, err %v", out, err)
	}
	n := kept.Load()
	if n == nil {
		t.Fatal("the handler never saw the probe")
	}
	if !errors.Is(laterErr, sandlock.ErrNotifDone) {
		t.Fatalf("ReadCString during a later callback: %v", laterErr)
	}
	buf := make([]byte, 8)
	if _, err := n.Read(n.Args[1], buf); !errors.Is(err, sandlock.ErrNotifDone) {
		t.Fatalf("Read after the run: %v", err)
	}
	if err := n.Write(n.Args[1], buf); !errors.Is(err, sandlock.ErrNotifDone) {
		t.Fatalf("Write after the run: %v", err)
	}
	if _, err := n.ReadCString(n.Args[1], 16); !errors.Is(err, sandlock.ErrNotifDone) {
		t.Fatalf("ReadCString after the run: %v", err)
	}
	if c := copied.Load(); c.Args != n.Args {
		t.Fatalf("the copy has args %v, the original %v", c.Args, n.Args)
	} else if _, err := c.Read(c.Args[1], buf); !errors.Is(err, sandlock.ErrNotifDone) {
		t.Fatalf("Read of a copy after the run: %v", err)
	}
	var made sandlock.Notif
	if _, err := made.Read(0, buf); !errors.Is(err, sandlock.ErrNotifDone) {
		t.Fatalf("Read of a Notif the caller made: %v", err)
	}
}

func TestNotifReadAndWriteChildMemory(t *testing.T) {
	// uname(2) fills a struct the handler writes itself: the child prints
	// what Go wrote into its memory.
	var readBack atomic.Value
	cmd := sandlock.Command(systemPolicy(), "/bin/uname", "-s")
	cmd.Handle("uname", sandlock.HandlerFunc(func(n *sandlock.Notif) sandlock.Action {
		sysname := append([]byte("Sandlocked"), 0)
		if err := n.Write(n.Args[0], sysname); err != nil {
			t.Errorf("Write: %v", err)
			return sandlock.Errno(syscall.EFAULT)
		}
		buf := make([]byte, len(sysname))
		if got, err := n.Read(n.Args[0], buf); err != nil || got != len(buf) {
			t.Errorf("Read: %d, %v", got, err)
		}
		readBack.Store(string(buf[:len(buf)-1]))
		return sandlock.ReturnValue(0)
	}))
	out, err := cmd.Output()
	if err != nil || string(out) != "Sandlocked\n" || readBack.Load() != "Sandlocked" {
		t.Fatalf("stdout %q, read back %v, err %v", out, readBack.Load(), err)
	}
}

func TestReadingBadChildMemoryIsErrMemory(t *testing.T) {
	var readErr error
	cmd := sandlock.Command(systemPolicy(), "/usr/bin/python3", "-S", "-c", "import os; os.getppid()")
	cmd.Handle("getppid", sandlock.HandlerFunc(func(n *sandlock.Notif) sandlock.Action {
		_, readErr = n.Read(8, make([]byte, 8)) // page 0 is never mapped
		return sandlock.Continue()
	}))
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	var se *sandlock.Error
	if !errors.Is(readErr, sandlock.ErrMemory) || !errors.As(readErr, &se) || se.Op != "Notif.Read" {
		t.Fatalf("read of address 8: %v", readErr)
	}
}

func TestAnswersOutsideTheirRangeGetTheExceptionPolicy(t *testing.T) {
	// The low 32 bits are EACCES and SIGKILL: truncated, each would be
	// carried out.
	const wideErrno = syscall.Errno(1<<32 | syscall.EACCES)
	const wideSignal = syscall.Signal(1<<32 | syscall.SIGKILL)
	for name, act := range map[string]sandlock.Action{
		"Errno":      sandlock.Errno(wideErrno),
		"Kill":       sandlock.Kill(wideSignal),
		"Errno 4096": sandlock.Errno(4096),
		"Kill 65":    sandlock.Kill(65),
	} {
		t.Run(name, func(t *testing.T) {
			probe := probeFile(t, "secret\n")
			cmd := sandlock.Command(systemPolicy(filepath.Dir(probe)), "/bin/cat", probe)
			cmd.Handle("openat", onPath(probe, act), sandlock.OnException(sandlock.ExceptionDenyEIO))
			out, err := cmd.CombinedOutput()
			if want := "/bin/cat: " + probe + ": Input/output error\n"; string(out) != want || exitCode(t, err) != 1 {
				t.Fatalf("output %q, err %v; want the exception policy's %q", out, err, want)
			}
		})
	}
	t.Run("Static", func(t *testing.T) {
		cmd := sandlock.Command(systemPolicy(), "/bin/true")
		cmd.Handle("getppid", sandlock.Static(sandlock.Errno(wideErrno)))
		startFails(t, cmd, sandlock.ErrInvalid, "errno 4294967309 is not in 1..4095")
	})
}

// TestGoexitInACallbackAbortsNamingIt runs, in a copy of the test
// binary, callbacks that call runtime.Goexit as t.FailNow does. The
// runtime cannot end a goroutine on the library's thread, so the process
// aborts; the package names the callback first, since the runtime's
// trace does not.
func TestGoexitInACallbackAbortsNamingIt(t *testing.T) {
	if which := os.Getenv("SANDLOCK_TEST_GOEXIT"); which != "" {
		goexitInCallback(which)
		return
	}
	callbacks := map[string]string{"handler": "a handler for getppid", "policy": "the PolicyFunc on execve"}
	for which, callback := range callbacks {
		t.Run(which, func(t *testing.T) {
			child := exec.Command(os.Args[0], "-test.run=^TestGoexitInACallbackAbortsNamingIt$")
			child.Env = append(os.Environ(), "SANDLOCK_TEST_GOEXIT="+which)
			out, err := child.CombinedOutput()
			for _, want := range []string{
				"sandlock: " + callback + " called runtime.Goexit",
				"fatal error: runtime.Goexit called in a thread that was not created by the Go runtime",
			} {
				if err == nil || !strings.Contains(string(out), want) {
					t.Fatalf("err %v, output lacks %q:\n%s", err, want, out)
				}
			}
		})
	}
}

// goexitInCallback runs a command whose handler or PolicyFunc calls
// runtime.Goexit; it returns only if the process survived that.
func goexitInCallback(which string) {
	cmd := sandlock.Command(systemPolicy(), "/bin/sh", "-c", "/bin/true; echo $PPID")
	if which == "handler" {
		cmd.Handle("getppid", sandlock.HandlerFunc(func(*sandlock.Notif) sandlock.Action {
			runtime.Goexit()
			return sandlock.Continue()
		}))
	} else {
		cmd.PolicyCategories = sandlock.CategoryExec
		cmd.PolicyFunc = func(*sandlock.Event, *sandlock.Control) sandlock.Decision {
			runtime.Goexit()
			return sandlock.Allow()
		}
	}
	_ = cmd.Run()
}
