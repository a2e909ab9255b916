package sandlock_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	sandlock "github.com/sandlock/sandlock/go"
)

func noop(*sandlock.Notif) sandlock.Action { return sandlock.Continue() }

// startFails runs cmd and checks that Start failed with an *Error of the
// sentinel, whose message names value, and that it left no handle behind.
func startFails(t *testing.T, cmd *sandlock.Cmd, sentinel error, value string) *sandlock.Error {
	t.Helper()
	err := cmd.Start()
	var se *sandlock.Error
	if !errors.As(err, &se) || !errors.Is(err, sentinel) {
		t.Fatalf("Start: %v, want an *Error matching %v", err, sentinel)
	}
	if !strings.Contains(se.Error(), value) {
		t.Fatalf("%q does not name %q", se.Error(), value)
	}
	if cmd.Process != nil {
		t.Fatal("a Process after a failed Start")
	}
	if n := sandlock.LiveHandles(); n != 0 {
		t.Fatalf("%d handles left after a failed Start", n)
	}
	return se
}

func TestInvalidPolicyFailsStart(t *testing.T) {
	cases := []struct {
		name     string
		policy   *sandlock.Policy
		sentinel error
		value    string
	}{
		{"relative path", &sandlock.Policy{FSRead: []string{"usr"}}, sandlock.ErrInvalid, `"usr"`},
		{"missing path", &sandlock.Policy{FSWrite: []string{"/nonexistent/dir"}}, sandlock.ErrNotFound, "/nonexistent/dir"},
		{"port 0", &sandlock.Policy{NetConnectTCP: []uint16{0}}, sandlock.ErrInvalid, "0"},
		{"unknown deny", &sandlock.Policy{DenySyscalls: []string{"frobnicate"}}, sandlock.ErrInvalid, "frobnicate"},
		{"unknown allow", &sandlock.Policy{AllowSyscalls: []string{"frobnicate"}}, sandlock.ErrInvalid, "frobnicate"},
		{"empty allowlist", &sandlock.Policy{AllowSyscalls: []string{}}, sandlock.ErrInvalid, "AllowSyscalls"},
		{"env key", &sandlock.Policy{Env: map[string]string{"A=B": "c"}}, sandlock.ErrInvalid, "A=B"},
		{"groups", &sandlock.Policy{Credential: &syscall.Credential{Groups: []uint32{7}}}, sandlock.ErrInvalid, "[7]"},
		{"capability", &sandlock.Policy{KeepCapabilities: []uint32{999}}, sandlock.ErrInvalid, "999"},
		{"timeout", &sandlock.Policy{Timeout: -1}, sandlock.ErrInvalid, "Timeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := sandlock.Command(c.policy, "/bin/true")
			cmd.Handle("openat", sandlock.HandlerFunc(noop))
			startFails(t, cmd, c.sentinel, c.value)
		})
	}
}

func TestUnknownSyscallInHandleFailsStart(t *testing.T) {
	cmd := sandlock.Command(systemPolicy(), "/bin/true")
	cmd.Handle("openat", sandlock.HandlerFunc(noop)) // made before the bad one: released
	cmd.Handle("frobnicate", sandlock.HandlerFunc(noop))
	se := startFails(t, cmd, sandlock.ErrInvalid, `"frobnicate"`)
	if se.Op != `Handle("frobnicate")` {
		t.Fatalf("Op %q", se.Op)
	}
}

func TestHandlerOnADeniedSyscallFailsStart(t *testing.T) {
	for _, denied := range []string{"ptrace", "mount"} {
		cmd := sandlock.Command(systemPolicy(), "/bin/true")
		cmd.Handle("openat", sandlock.HandlerFunc(noop))
		cmd.Handle(denied, sandlock.HandlerFunc(noop))
		startFails(t, cmd, sandlock.ErrDenied, denied)
	}
	p := systemPolicy()
	p.DenySyscalls = []string{"uname"}
	cmd := sandlock.Command(p, "/bin/true")
	cmd.Handle("uname", sandlock.Static(sandlock.Continue()))
	startFails(t, cmd, sandlock.ErrDenied, "uname")
}

func TestStaticRefusesWhatItCannotAnswer(t *testing.T) {
	f, err := openProbe(t, "x")
	if err != nil {
		t.Fatal(err)
	}
	for name, a := range map[string]sandlock.Action{
		"Kill":        sandlock.Kill(syscall.SIGKILL),
		"Hold":        sandlock.Hold(),
		"InjectBytes": sandlock.InjectBytes([]byte("x"), 0),
		"InjectFile":  sandlock.InjectFile(f, 0),
		"no action":   {},
	} {
		cmd := sandlock.Command(systemPolicy(), "/bin/true")
		cmd.Handle("getppid", sandlock.Static(a))
		startFails(t, cmd, sandlock.ErrInvalid, name)
	}
	cmd := sandlock.Command(systemPolicy(), "/bin/true")
	cmd.Handle("getppid", sandlock.Static(sandlock.Errno(0)))
	startFails(t, cmd, sandlock.ErrInvalid, "0")
}

func TestMissingProgramIsErrNotFound(t *testing.T) {
	cmd := sandlock.Command(systemPolicy(), "/bin/no-such-program")
	cmd.Name = "job-42"
	se := startFails(t, cmd, sandlock.ErrNotFound, "/bin/no-such-program")
	if !strings.Contains(se.Message, `run "job-42"`) {
		t.Fatalf("the run's name is not in %q", se.Message)
	}
}

func TestSpawnFailureUnwrapsToItsErrno(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "not-executable")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := sandlock.Command(systemPolicy(dir), script)
	se := startFails(t, cmd, sandlock.ErrSpawn, "it is not executable (mode 0644)")
	if se.Errno != syscall.EACCES || !errors.Is(se, syscall.EACCES) || !errors.Is(se, fs.ErrPermission) {
		t.Fatalf("errno %v of %v", se.Errno, se)
	}
}

func TestMisuseIsAnError(t *testing.T) {
	if err := sandlock.Command(nil, "/bin/true").Run(); !errors.Is(err, sandlock.ErrInvalid) {
		t.Fatalf("nil policy: %v", err)
	}
	cmd := sandlock.Command(systemPolicy(), "/bin/true")
	if err := cmd.Wait(); err == nil {
		t.Fatal("Wait before Start")
	}
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err == nil {
		t.Fatal("a second Start")
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("a second Wait")
	}
	if err := cmd.Process.Kill(); !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("Kill after Wait: %v", err)
	}
}

func TestSyscallNamesAndNumbers(t *testing.T) {
	nr, err := sandlock.SyscallNumber("openat")
	if err != nil || sandlock.SyscallName(nr) != "openat" {
		t.Fatalf("openat: %d, %v", nr, err)
	}
	if _, err := sandlock.SyscallNumber("frobnicate"); !errors.Is(err, sandlock.ErrInvalid) ||
		!strings.Contains(err.Error(), "frobnicate") {
		t.Fatalf("unknown name: %v", err)
	}
	if name := sandlock.SyscallName(-1); name != "" {
		t.Fatalf("name of -1: %q", name)
	}
	if abi, err := sandlock.LandlockABI(); err != nil || abi < 1 {
		t.Fatalf("Landlock ABI %d, %v", abi, err)
	}
}

func TestNULBytesAreRefusedNotCut(t *testing.T) {
	cases := []struct {
		name, op, value string
		change          func(p *sandlock.Policy, c *sandlock.Cmd)
	}{
		{"FSRead", "Policy.FSRead", `path has a NUL byte at offset 1 ("/\x00/nonexistent")`,
			func(p *sandlock.Policy, _ *sandlock.Cmd) { p.FSRead = append(p.FSRead, "/\x00/nonexistent") }},
		{"FSWrite", "Policy.FSWrite", `"/tmp\x00/only-this"`,
			func(p *sandlock.Policy, _ *sandlock.Cmd) { p.FSWrite = append(p.FSWrite, "/tmp\x00/only-this") }},
		{"DenySyscalls", "Policy.DenySyscalls", `"getppid\x00"`,
			func(p *sandlock.Policy, _ *sandlock.Cmd) { p.DenySyscalls = []string{"getppid\x00"} }},
		{"AllowSyscalls", "Policy.AllowSyscalls", `"execve\x00"`,
			func(p *sandlock.Policy, _ *sandlock.Cmd) { p.AllowSyscalls = []string{"execve\x00"} }},
		{"Env key", "Policy.Env", `variable name has a NUL byte at offset 1 ("A\x00B")`,
			func(p *sandlock.Policy, _ *sandlock.Cmd) { p.Env["A\x00B"] = "1" }},
		{"Env value", "Policy.Env", `the value of "C" has a NUL byte at offset 1 ("x\x00y")`,
			func(p *sandlock.Policy, _ *sandlock.Cmd) { p.Env["C"] = "x\x00y" }},
		{"PassEnv", "Policy.PassEnv", `"HOME\x00"`,
			func(p *sandlock.Policy, _ *sandlock.Cmd) { p.PassEnv = []string{"HOME\x00"} }},
		{"Dir", "Cmd.Dir", `"/tmp\x00/x"`, func(_ *sandlock.Policy, c *sandlock.Cmd) { c.Dir = "/tmp\x00/x" }},
		{"Path", "Start", `argv[0] has a NUL byte at offset 7 ("/bin/sh\x00/nonexistent")`,
			func(_ *sandlock.Policy, c *sandlock.Cmd) { c.Path = "/bin/sh\x00/nonexistent" }},
		{"Args", "Start", `argv[2] has a NUL byte`,
			func(_ *sandlock.Policy, c *sandlock.Cmd) { c.Args[2] += "\x00; rm -rf /" }},
		{"Name", "Cmd.Name", `"job\x00"`, func(_ *sandlock.Policy, c *sandlock.Cmd) { c.Name = "job\x00" }},
		{"Handle", `Handle("getppid\x00")`, `"getppid\x00"`, func(_ *sandlock.Policy, c *sandlock.Cmd) {
			c.Handle("getppid\x00", sandlock.HandlerFunc(noop))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Cut at the NUL, every one of these would run the child,
			// which leaves a mark.
			dir := t.TempDir()
			mark := filepath.Join(dir, "ran")
			p := systemPolicy()
			p.FSWrite = []string{dir}
			cmd := sandlock.Command(p, "/bin/sh", "-c", "echo ran > "+mark)
			c.change(p, cmd)
			se := startFails(t, cmd, sandlock.ErrInvalid, c.value)
			if se.Op != c.op || !strings.Contains(se.Message, "remove the NUL") {
				t.Fatalf("Op %q, message %q", se.Op, se.Message)
			}
			if _, err := os.Stat(mark); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("the child ran: %v", err)
			}
		})
	}
	t.Run("SyscallNumber", func(t *testing.T) {
		if nr, err := sandlock.SyscallNumber("getppid\x00"); !errors.Is(err, sandlock.ErrInvalid) ||
			!strings.Contains(err.Error(), "NUL") {
			t.Fatalf("SyscallNumber: %d, %v", nr, err)
		}
	})
}
