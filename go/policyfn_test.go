package sandlock_test

import (
	"errors"
	"math"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	sandlock "github.com/sandlock/sandlock/go"
)

// shPolicy is systemPolicy for shell scripts that redirect to /dev/null.
func shPolicy(extraRead ...string) *sandlock.Policy {
	p := systemPolicy(extraRead...)
	p.FSWrite = []string{"/dev/null"}
	return p
}

// program is the base name of an exec event's argv[0], or "".
func program(ev *sandlock.Event) string {
	if ev.Exec == nil || len(ev.Exec.Argv) == 0 {
		return ""
	}
	return filepath.Base(ev.Exec.Argv[0])
}

// recorder keeps copies of the events a PolicyFunc saw.
type recorder struct {
	mu     sync.Mutex
	events []sandlock.Event
}

func (r *recorder) add(ev *sandlock.Event) {
	r.mu.Lock()
	r.events = append(r.events, *ev)
	r.mu.Unlock()
}

func (r *recorder) all() []sandlock.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// curlThenLs is the script: the exit status of curl, then of ls.
const curlThenLs = "curl --version >/dev/null 2>&1; echo $?; ls /usr >/dev/null; echo $?"

// denyCurl denies every exec of curl and allows everything else.
func denyCurl(ev *sandlock.Event, _ *sandlock.Control) sandlock.Decision {
	if program(ev) == "curl" {
		return sandlock.Deny(syscall.EACCES)
	}
	return sandlock.Allow()
}

func TestPolicyFuncDeniesAnExecByArgv(t *testing.T) {
	var seen recorder
	cmd := sandlock.Command(shPolicy(), "/bin/sh", "-c", curlThenLs)
	cmd.PolicyCategories = sandlock.CategoryExec
	cmd.PolicyFunc = func(ev *sandlock.Event, ctl *sandlock.Control) sandlock.Decision {
		seen.add(ev)
		return denyCurl(ev, ctl)
	}
	out, err := cmd.Output()
	if err != nil || string(out) != "126\n0\n" {
		t.Fatalf("stdout %q, err %v; want curl 126, ls 0", out, err)
	}
	var programs []string
	for _, ev := range seen.all() {
		if ev.Category != sandlock.CategoryExec || ev.Exec == nil || ev.Syscall != "execve" {
			t.Errorf("event %+v is not an execve event", ev)
		}
		programs = append(programs, program(&ev))
	}
	// The program's own exec is an event too; sh may try curl at more
	// than one PATH entry.
	if len(programs) < 3 || programs[0] != "sh" || programs[1] != "curl" || programs[len(programs)-1] != "ls" {
		t.Fatalf("execs seen: %q", programs)
	}
	if first := seen.all()[0]; !slices.Equal(first.Exec.Argv, []string{"/bin/sh", "-c", curlThenLs}) ||
		first.Pid != cmd.ProcessState.Pid() || !first.RaceFree || first.DeniedByPolicy {
		t.Fatalf("first event %+v, argv %q", first, first.Exec.Argv)
	}
}

func TestFlaggedEventsAreInTheProcessState(t *testing.T) {
	cmd := sandlock.Command(shPolicy(), "/bin/sh", "-c", curlThenLs)
	cmd.PolicyCategories = sandlock.CategoryExec | sandlock.CategoryProcess
	cmd.PolicyFunc = func(ev *sandlock.Event, ctl *sandlock.Control) sandlock.Decision {
		if program(ev) == "ls" {
			return sandlock.Flag()
		}
		return denyCurl(ev, ctl)
	}
	out, err := cmd.Output()
	if err != nil || string(out) != "126\n0\n" {
		t.Fatalf("stdout %q, err %v", out, err)
	}
	flagged := cmd.ProcessState.Flagged()
	if len(flagged) != 1 {
		t.Fatalf("flagged %+v, want the exec of ls", flagged)
	}
	ev := flagged[0]
	if ev.Syscall != "execve" || ev.Category != sandlock.CategoryExec || !slices.Equal(ev.Exec.Argv, []string{"ls", "/usr"}) ||
		ev.Exec.Truncated || !ev.RaceFree || ev.DeniedByPolicy || ev.Ppid != cmd.ProcessState.Pid() ||
		ev.Process != nil || ev.Network != nil || ev.File != nil || ev.Signal != nil {
		t.Fatalf("flagged event %+v, exec %+v", ev, ev.Exec)
	}
	// Flagged hands out a copy each time.
	flagged[0].Syscall = "changed"
	if cmd.ProcessState.Flagged()[0].Syscall != "execve" {
		t.Fatal("Flagged returned the state's own slice")
	}

	plain := sandlock.Command(shPolicy(), "/bin/true")
	if err := plain.Run(); err != nil || plain.ProcessState.Flagged() != nil {
		t.Fatalf("without a PolicyFunc: err %v, flagged %v", err, plain.ProcessState.Flagged())
	}
}

func TestFailedPolicyFuncGetsTheFailureOutcome(t *testing.T) {
	for _, tc := range []struct {
		name      string
		onFailure sandlock.Decision
		decide    func() sandlock.Decision
		want      string
		flagged   bool
		panics    bool
	}{
		{"panic, default deny", sandlock.Decision{}, func() sandlock.Decision { panic("boom") }, "126\n0\n", false, true},
		{"panic, allow", sandlock.Allow(), func() sandlock.Decision { panic("boom") }, "0\n0\n", false, true},
		{"panic, flag", sandlock.Flag(), func() sandlock.Decision { panic("boom") }, "0\n0\n", true, true},
		{"zero decision", sandlock.Decision{}, func() sandlock.Decision { return sandlock.Decision{} }, "126\n0\n", false, false},
		{"errno out of range", sandlock.Allow(), func() sandlock.Decision { return sandlock.Deny(5000) }, "0\n0\n", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logger, logged := quietLog()
			cmd := sandlock.Command(shPolicy(), "/bin/sh", "-c", curlThenLs)
			cmd.ErrorLog = logger
			cmd.PolicyCategories = sandlock.CategoryExec
			cmd.PolicyOnFailure = tc.onFailure
			cmd.PolicyFunc = func(ev *sandlock.Event, _ *sandlock.Control) sandlock.Decision {
				if program(ev) == "curl" {
					return tc.decide()
				}
				return sandlock.Allow()
			}
			out, err := cmd.Output()
			if err != nil || string(out) != tc.want {
				t.Fatalf("stdout %q, err %v; want %q", out, err, tc.want)
			}
			if got := strings.Contains(logged.String(), "PolicyFunc on execve panicked: boom"); got != tc.panics {
				t.Fatalf("panic logged: %v, want %v (%q)", got, tc.panics, logged.String())
			}
			flagged := cmd.ProcessState.Flagged()
			if tc.flagged != (len(flagged) > 0) || (tc.flagged && program(&flagged[0]) != "curl") {
				t.Fatalf("flagged %+v", flagged)
			}
		})
	}
}

func TestSlowPolicyFuncGetsTheFailureOutcome(t *testing.T) {
	release := make(chan struct{})
	var stuck atomic.Int32
	cmd := sandlock.Command(shPolicy(), "/bin/sh", "-c", curlThenLs)
	cmd.PolicyCategories = sandlock.CategoryExec
	cmd.PolicyTimeLimit = 200 * time.Millisecond
	cmd.PolicyFunc = func(ev *sandlock.Event, _ *sandlock.Control) sandlock.Decision {
		if program(ev) != "curl" {
			return sandlock.Allow()
		}
		stuck.Add(1)
		<-release // past the time limit: the library answers without us
		return sandlock.Allow()
	}
	out, err := cmd.Output()
	close(release)
	if err != nil || string(out) != "126\n0\n" || stuck.Load() == 0 {
		t.Fatalf("stdout %q, err %v, %d stuck calls; want curl denied by the failure outcome, ls 0",
			out, err, stuck.Load())
	}
	// The stuck calls finish on their own; the library then drops the
	// PolicyFunc, and its cgo.Handle with it.
	waitForNoLiveHandles(t)
}

// waitForNoLiveHandles waits until the library dropped every Go callback
// (a PolicyFunc call past its time limit keeps its own until it returns).
func waitForNoLiveHandles(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); sandlock.LiveHandles() != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d cgo.Handle values still live", sandlock.LiveHandles())
		}
	}
}

func TestControlDenyPath(t *testing.T) {
	probe := probeFile(t, "probe\n")
	dir := filepath.Dir(probe)
	script := "cat " + probe + "; /usr/bin/true; cat " + probe + "; echo rc=$?"
	var denyErr, missingErr, relativeErr error
	cmd := sandlock.Command(shPolicy(dir), "/bin/sh", "-c", script)
	cmd.PolicyCategories = sandlock.CategoryExec | sandlock.CategoryPaths
	cmd.PolicyFunc = func(ev *sandlock.Event, ctl *sandlock.Control) sandlock.Decision {
		if program(ev) == "true" {
			denyErr = ctl.DenyPath(probe)
			missingErr = ctl.DenyPath(filepath.Join(dir, "missing"))
			relativeErr = ctl.DenyPath("relative/path")
		}
		return sandlock.Allow()
	}
	out, err := cmd.CombinedOutput()
	want := "probe\ncat: " + probe + ": Permission denied\nrc=1\n"
	if err != nil || string(out) != want {
		t.Fatalf("output %q, err %v; want %q", out, err, want)
	}
	var se *sandlock.Error
	if denyErr != nil || !errors.Is(missingErr, sandlock.ErrNotFound) || !errors.Is(relativeErr, sandlock.ErrInvalid) ||
		!errors.As(relativeErr, &se) || se.Op != "Control.DenyPath" {
		t.Fatalf("DenyPath: %v; missing: %v; relative: %v", denyErr, missingErr, relativeErr)
	}

	t.Run("needs CategoryPaths", func(t *testing.T) {
		var err error
		cmd := sandlock.Command(shPolicy(dir), "/bin/cat", probe)
		cmd.PolicyCategories = sandlock.CategoryExec
		cmd.PolicyFunc = func(_ *sandlock.Event, ctl *sandlock.Control) sandlock.Decision {
			err = ctl.DenyPath(probe)
			return sandlock.Allow()
		}
		if out, runErr := cmd.Output(); runErr != nil || string(out) != "probe\n" {
			t.Fatalf("stdout %q, err %v", out, runErr)
		}
		if !errors.Is(err, sandlock.ErrInvalid) {
			t.Fatalf("DenyPath without CategoryPaths: %v", err)
		}
	})

	t.Run("a NUL byte is refused, not cut", func(t *testing.T) {
		var err error
		cmd := sandlock.Command(shPolicy(dir), "/bin/sh", "-c", "/usr/bin/true; cat "+probe)
		cmd.PolicyCategories = sandlock.CategoryExec | sandlock.CategoryPaths
		cmd.PolicyFunc = func(ev *sandlock.Event, ctl *sandlock.Control) sandlock.Decision {
			if program(ev) == "true" {
				// Cut at the NUL, this would deny the probe.
				err = ctl.DenyPath(probe + "\x00/only-this")
			}
			return sandlock.Allow()
		}
		if out, runErr := cmd.Output(); runErr != nil || string(out) != "probe\n" {
			t.Fatalf("stdout %q, err %v", out, runErr)
		}
		var se *sandlock.Error
		if !errors.As(err, &se) || !errors.Is(err, sandlock.ErrInvalid) || se.Op != "Control.DenyPath" ||
			!strings.Contains(se.Message, "NUL byte") {
			t.Fatalf("DenyPath with a NUL: %v", err)
		}
	})
}

// listen is a TCP listener on 127.0.0.1 that the kernel completes
// connects to, closed after the test.
func listen(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

func TestControlRestrictConnect(t *testing.T) {
	port := listen(t)
	p := shPolicy()
	p.NetConnectTCP = []uint16{uint16(port)}
	tcp := "/dev/tcp/127.0.0.1/" + strconv.Itoa(port)
	// Four connects to the same listener, with a tightening before each
	// of the last three.
	script := "exec 3<>" + tcp + " && echo a; /usr/bin/true 1; exec 4<>" + tcp + " && echo b; " +
		"/usr/bin/true 2; exec 5<>" + tcp + " && echo c; /usr/bin/true 3; exec 6<>" + tcp + " && echo d"
	loopback := netip.MustParsePrefix("127.0.0.1/32")
	steps := map[string][]sandlock.Destination{
		"1": {{Prefix: loopback, Port: port}, {Prefix: netip.MustParsePrefix("::1/128")}},
		"2": {{Prefix: netip.MustParsePrefix("10.0.0.0/8")}},
		"3": {{Prefix: loopback}}, // allowed before, but 2 took it away
	}
	var errs []error
	cmd := sandlock.Command(p, "/usr/bin/bash", "-c", script)
	cmd.PolicyCategories = sandlock.CategoryExec
	cmd.PolicyFunc = func(ev *sandlock.Event, ctl *sandlock.Control) sandlock.Decision {
		if program(ev) == "true" {
			errs = append(errs, ctl.RestrictConnect(steps[ev.Exec.Argv[1]]...))
		}
		return sandlock.Allow()
	}
	out, err := cmd.Output()
	if string(out) != "a\nb\n" {
		t.Fatalf("stdout %q, err %v; want only the first two connects", out, err)
	}
	if len(errs) != 3 || errors.Join(errs...) != nil {
		t.Fatalf("RestrictConnect: %v", errs)
	}

	t.Run("bad destinations", func(t *testing.T) {
		var errs []error
		cmd := sandlock.Command(shPolicy(), "/bin/true")
		cmd.PolicyCategories = sandlock.CategoryExec
		cmd.PolicyFunc = func(_ *sandlock.Event, ctl *sandlock.Control) sandlock.Decision {
			errs = append(errs,
				ctl.RestrictConnect(sandlock.Destination{}),
				ctl.RestrictConnect(sandlock.Destination{Prefix: loopback, Port: 70000}),
				ctl.RestrictConnect(sandlock.Destination{Prefix: loopback, Port: -1}))
			return sandlock.Allow()
		}
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		for i, err := range errs {
			var se *sandlock.Error
			if !errors.Is(err, sandlock.ErrInvalid) || !errors.As(err, &se) || se.Op != "Control.RestrictConnect" {
				t.Errorf("destination %d: %v", i, err)
			}
		}
	})
}

func TestControlLowersTheLimits(t *testing.T) {
	t.Run("processes", func(t *testing.T) {
		var lowerErr, zeroErr error
		var forks recorder
		cmd := sandlock.Command(shPolicy(), "/bin/sh", "-c", "/usr/bin/true; echo before; (echo sub); echo after")
		cmd.PolicyCategories = sandlock.CategoryExec | sandlock.CategoryProcess
		cmd.PolicyFunc = func(ev *sandlock.Event, ctl *sandlock.Control) sandlock.Decision {
			switch {
			case program(ev) == "true":
				lowerErr, zeroErr = ctl.LowerMaxProcesses(1), ctl.LowerMaxProcesses(0)
			case ev.Process != nil:
				forks.add(ev)
			}
			return sandlock.Allow()
		}
		out, err := cmd.CombinedOutput()
		if string(out) != "before\n/bin/sh: 1: Cannot fork\n" || exitCode(t, err) != 2 {
			t.Fatalf("output %q, err %v; want the fork after the lowering to fail", out, err)
		}
		if lowerErr != nil || !errors.Is(zeroErr, sandlock.ErrInvalid) {
			t.Fatalf("LowerMaxProcesses(1): %v; (0): %v", lowerErr, zeroErr)
		}
		// The refused fork is an event that says a static rule denied it.
		all := forks.all()
		if len(all) != 2 || all[0].DeniedByPolicy || !all[1].DeniedByPolicy || all[1].Process.Thread {
			t.Fatalf("fork events %+v", all)
		}
	})
	t.Run("memory", func(t *testing.T) {
		var errs []error
		cmd := sandlock.Command(shPolicy(), "/bin/sh", "-c", "ulimit -v; /usr/bin/true 1; ulimit -v; /usr/bin/true 2; ulimit -v")
		cmd.PolicyCategories = sandlock.CategoryExec
		cmd.PolicyFunc = func(ev *sandlock.Event, ctl *sandlock.Control) sandlock.Decision {
			if program(ev) == "true" {
				if ev.Exec.Argv[1] == "1" {
					errs = append(errs, ctl.LowerMaxMemory(100<<20))
				} else {
					// Higher than the limit: changes nothing.
					errs = append(errs, ctl.LowerMaxMemory(200<<20))
				}
				if err := ctl.LowerMaxMemory(0); !errors.Is(err, sandlock.ErrInvalid) {
					errs = append(errs, err)
				}
			}
			return sandlock.Allow()
		}
		out, err := cmd.Output()
		if err != nil || string(out) != "unlimited\n102400\n102400\n" {
			t.Fatalf("stdout %q, err %v", out, err)
		}
		if err := errors.Join(errs...); err != nil || len(errs) != 2 {
			t.Fatalf("LowerMaxMemory: %v", errs)
		}
	})
}

func TestControlFailsAfterItsCallbackReturned(t *testing.T) {
	var kept atomic.Pointer[sandlock.Control]
	var later error
	cmd := sandlock.Command(shPolicy(), "/bin/sh", "-c", "/usr/bin/true; /usr/bin/true")
	cmd.PolicyCategories = sandlock.CategoryExec | sandlock.CategoryPaths
	cmd.PolicyFunc = func(ev *sandlock.Event, ctl *sandlock.Control) sandlock.Decision {
		if program(ev) == "sh" {
			kept.Store(ctl)
		} else if old := kept.Load(); old != nil && later == nil {
			// While another call runs, the first one's handle is done.
			later = old.LowerMaxProcesses(10)
		}
		return sandlock.Allow()
	}
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(later, sandlock.ErrControlDone) {
		t.Fatalf("during a later call: %v", later)
	}
	ctl := kept.Load()
	var zero sandlock.Control
	var null *sandlock.Control
	for _, c := range []*sandlock.Control{ctl, &zero, null} {
		for name, err := range map[string]error{
			"DenyPath":          c.DenyPath("/etc"),
			"RestrictConnect":   c.RestrictConnect(),
			"LowerMaxProcesses": c.LowerMaxProcesses(1),
			"LowerMaxMemory":    c.LowerMaxMemory(1 << 20),
		} {
			if !errors.Is(err, sandlock.ErrControlDone) {
				t.Errorf("%s on %p: %v", name, c, err)
			}
		}
	}
}

func TestNetworkEventsCarryHostAndPort(t *testing.T) {
	granted, other := listen(t), listen(t)
	p := shPolicy()
	p.NetConnectTCP = []uint16{uint16(granted)}
	script := "exec 3<>/dev/tcp/127.0.0.1/" + strconv.Itoa(granted) + " && echo granted; " +
		"exec 4<>/dev/tcp/127.0.0.1/" + strconv.Itoa(other) + " 2>/dev/null || echo refused"
	var seen recorder
	cmd := sandlock.Command(p, "/usr/bin/bash", "-c", script)
	cmd.PolicyCategories = sandlock.CategoryNetwork
	cmd.PolicyFunc = func(ev *sandlock.Event, _ *sandlock.Control) sandlock.Decision {
		seen.add(ev)
		return sandlock.Flag()
	}
	out, err := cmd.Output()
	if err != nil || string(out) != "granted\nrefused\n" {
		t.Fatalf("stdout %q, err %v", out, err)
	}
	var connects []sandlock.Event
	for _, ev := range seen.all() {
		if ev.Network == nil || ev.Category != sandlock.CategoryNetwork || ev.Exec != nil {
			t.Fatalf("event %+v is not a network event", ev)
		}
		if ev.Network.Op == sandlock.NetConnect {
			connects = append(connects, ev)
		}
	}
	loopback := netip.MustParseAddr("127.0.0.1")
	if len(connects) != 2 {
		t.Fatalf("connect events %+v", connects)
	}
	for i, port := range []int{granted, other} {
		ev := connects[i]
		if ev.Syscall != "connect" || ev.Network.Family != syscall.AF_INET || ev.Network.Addr != loopback ||
			ev.Network.Port != port || !ev.RaceFree || ev.DeniedByPolicy != (port == other) {
			t.Errorf("connect %d: %+v, network %+v", i, ev, ev.Network)
		}
	}
	// The flagged copies carry the same.
	flagged := cmd.ProcessState.Flagged()
	if len(flagged) != len(seen.all()) || *flagged[0].Network != *seen.all()[0].Network {
		t.Fatalf("flagged %+v", flagged)
	}
}

func TestInvalidPolicyFuncSettingsFailStart(t *testing.T) {
	allow := func(*sandlock.Event, *sandlock.Control) sandlock.Decision { return sandlock.Allow() }
	for _, tc := range []struct {
		name, op string
		set      func(*sandlock.Cmd)
	}{
		{"no category", "Cmd.PolicyCategories", func(c *sandlock.Cmd) { c.PolicyFunc = allow }},
		{"unknown category", "Cmd.PolicyCategories", func(c *sandlock.Cmd) {
			c.PolicyFunc, c.PolicyCategories = allow, sandlock.CategoryExec|1<<20
		}},
		{"negative time limit", "Cmd.PolicyTimeLimit", func(c *sandlock.Cmd) {
			c.PolicyFunc, c.PolicyCategories, c.PolicyTimeLimit = allow, sandlock.CategoryExec, -time.Second
		}},
		{"huge time limit", "Cmd.PolicyTimeLimit", func(c *sandlock.Cmd) {
			c.PolicyFunc, c.PolicyCategories, c.PolicyTimeLimit = allow, sandlock.CategoryExec, 50*24*time.Hour
		}},
		{"deny errno 0", "Cmd.PolicyOnFailure", func(c *sandlock.Cmd) {
			c.PolicyFunc, c.PolicyCategories, c.PolicyOnFailure = allow, sandlock.CategoryExec, sandlock.Deny(0)
		}},
		{"deny errno 4096", "Cmd.PolicyOnFailure", func(c *sandlock.Cmd) {
			c.PolicyFunc, c.PolicyCategories, c.PolicyOnFailure = allow, sandlock.CategoryExec, sandlock.Deny(4096)
		}},
		{"categories without a PolicyFunc", "Cmd.PolicyCategories", func(c *sandlock.Cmd) {
			c.PolicyCategories = sandlock.CategoryExec
		}},
		{"time limit without a PolicyFunc", "Cmd.PolicyTimeLimit", func(c *sandlock.Cmd) {
			c.PolicyTimeLimit = time.Second
		}},
		{"on failure without a PolicyFunc", "Cmd.PolicyOnFailure", func(c *sandlock.Cmd) {
			c.PolicyOnFailure = sandlock.Allow()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := sandlock.Command(shPolicy(), "/bin/true")
			tc.set(cmd)
			err := cmd.Start()
			var se *sandlock.Error
			if !errors.As(err, &se) || !errors.Is(err, sandlock.ErrInvalid) || se.Op != tc.op || cmd.Process != nil {
				t.Fatalf("Start: %v (op %q)", err, tc.op)
			}
			// A failed Start released the PolicyFunc it had handed over.
			if n := sandlock.LiveHandles(); n != 0 {
				t.Fatalf("%d cgo.Handle values live after a failed Start", n)
			}
		})
	}
}

func TestPolicySettingsAtTheirLimitsStart(t *testing.T) {
	cmd := sandlock.Command(shPolicy(), "/bin/true")
	cmd.PolicyFunc = func(*sandlock.Event, *sandlock.Control) sandlock.Decision { return sandlock.Allow() }
	cmd.PolicyCategories = sandlock.CategoryProcess | sandlock.CategoryExec | sandlock.CategoryNetwork |
		sandlock.CategoryFile | sandlock.CategorySignal | sandlock.CategoryPaths
	cmd.PolicyTimeLimit = math.MaxUint32 * time.Millisecond
	cmd.PolicyOnFailure = sandlock.Deny(4095)
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
}

func TestDecisionsAndCategoriesPrint(t *testing.T) {
	for got, want := range map[string]string{
		sandlock.Allow().String():                                     "allow",
		sandlock.Deny(syscall.EACCES).String():                        "deny (errno 13: permission denied)",
		sandlock.Flag().String():                                      "flag",
		sandlock.Decision{}.String():                                  "no decision",
		(sandlock.CategoryExec | sandlock.CategoryPaths).String():     "EXEC|PATHS",
		(sandlock.CategoryNetwork | sandlock.Category(1<<9)).String(): "NETWORK|0x200",
		sandlock.Category(0).String():                                 "0x0",
		sandlock.NetSendTo.String():                                   "sendto",
	} {
		if got != want {
			t.Errorf("%q, want %q", got, want)
		}
	}
}
