// Command bench prints the Go package's costs as ratios to floors
// measured in the same run (make bench): the raw C NOTIF_RECV/NOTIF_SEND
// loop of benches/floor for intercepted getppid calls, and a bare
// fork+exec+wait of /bin/true for a whole command.
//
// Handler rows time getppid_loop inside the child, so spawn costs stay
// out, exactly as the Rust benchmarks do; "busy" rows run while one
// goroutine of this process keeps a CPU busy. PolicyFunc rows time a
// whole shell loop of execs against the same loop without a PolicyFunc.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	sandlock "github.com/sandlock/sandlock/go"
	"github.com/sandlock/sandlock/go/internal/capi"
)

var (
	floorBin = flag.String("floor", "", "notif_floor from benches/floor")
	loopBin  = flag.String("loop", "", "getppid_loop from benches/floor")
	iters    = flag.Int("n", 20000, "intercepted calls per sample")
	samples  = flag.Int("samples", 15, "samples per row (the median is reported)")
	spawns   = flag.Int("spawns", 200, "runs of /bin/true per spawn row")
	execs    = flag.Int("execs", 1000, "execs of /usr/bin/true per exec-loop run")
	loops    = flag.Int("loops", 7, "exec-loop runs per row (the median is reported)")
)

func main() {
	flag.Parse()
	if *floorBin == "" || *loopBin == "" {
		fmt.Fprintln(os.Stderr, "usage: bench -floor notif_floor -loop getppid_loop")
		os.Exit(2)
	}
	for _, bin := range []*string{floorBin, loopBin} {
		abs, err := filepath.Abs(*bin)
		if err != nil {
			fail("%v", err)
		}
		*bin = abs
	}
	policy := typicalPolicy(filepath.Dir(*loopBin))
	goHandler := sandlock.HandlerFunc(func(*sandlock.Notif) sandlock.Action { return sandlock.ReturnValue(4242) })
	static := sandlock.Static(sandlock.ReturnValue(4242))

	// Each sample measures every path in turn, so that all of them see
	// the same conditions (the busy rows: the same spinning goroutine).
	paths := []func() float64{
		func() float64 { return perCall(floorRun()) },
		func() float64 { return loop(policy, goHandler) },
		func() float64 { return loop(policy, static) },
	}
	idle := interleaved(paths)
	var loaded []float64
	busy(func() { loaded = interleaved(paths) })
	rows := []row{
		{"go_return_value", idle[1], idle[0], 1.25},
		{"go_return_value_busy", loaded[1], idle[0], 2},
		{"static_return_value", idle[2], idle[0], 1.1},
		{"static_return_value_busy", loaded[2], idle[0], 1.1},
		{"floor_busy", loaded[0], idle[0], 0},
	}
	underLoad := []row{
		{"go_return_value_busy", loaded[1], loaded[0], 0},
		{"static_return_value_busy", loaded[2], loaded[0], 0},
	}
	crossing := func() float64 { return perCall(capi.Crossing(int64(*iters))) }
	crossingIdle := interleaved([]func() float64{crossing})[0]
	var crossingBusy float64
	busy(func() { crossingBusy = interleaved([]func() float64{crossing})[0] })

	fmt.Println("\nGo handler path: median ns per intercepted getppid, against a raw C NOTIF_RECV/NOTIF_SEND loop")
	printRows(rows)
	fmt.Println("\nThe busy rows against the floor measured under the same load (what Go adds to the CPU contention)")
	printRows(underLoad)
	fmt.Println("\ncgo crossing alone: an empty Go function called from a C thread (no kernel, no library)")
	fmt.Printf("%-34s %11.0f ns\n%-34s %11.0f ns\n", "crossing", crossingIdle, "crossing_busy", crossingBusy)

	fmt.Printf("\nPolicyFunc: median per run of a shell loop of %d execs, against the same loop without one\n", *execs)
	allow := func(*sandlock.Event, *sandlock.Control) sandlock.Decision { return sandlock.Allow() }
	allEvents := sandlock.CategoryProcess | sandlock.CategoryExec | sandlock.CategoryNetwork |
		sandlock.CategoryFile | sandlock.CategorySignal
	execLoops := interleavedN(*loops, []func() float64{
		func() float64 { return execLoop(policy, nil, 0) },
		func() float64 { return execLoop(policy, allow, sandlock.CategoryExec) },
		func() float64 { return execLoop(policy, allow, allEvents) },
	})
	printRows([]row{
		{"exec_loop_policy_fn_allow", execLoops[1], execLoops[0], 1.2},
		{"exec_loop_policy_fn_all_categories", execLoops[2], execLoops[0], 0},
	})

	spawnFloor := spawnMedian(forkExecTrue)
	fmt.Println("\nSpawn: median per run of /bin/true, against a bare fork+exec+wait")
	printRows([]row{
		{"cmd_run_true", spawnMedian(func() { cmdRunTrue(policy) }), spawnFloor, 1.5},
		{"go_forkexec_true (vfork-style)", spawnMedian(goForkExecTrue), spawnFloor, 0},
	})
}

type row struct {
	name         string
	value, floor float64
	target       float64 // 0: informational
}

func printRows(rows []row) {
	fmt.Printf("%-34s %14s %14s %8s %8s\n", "path", "median", "floor", "ratio", "target")
	for _, r := range rows {
		ratio := r.value / r.floor
		target, verdict := "-", ""
		if r.target > 0 {
			target = fmt.Sprintf("%.2fx", r.target)
			verdict = "ok"
			if ratio > r.target {
				verdict = "MISSED"
			}
		}
		fmt.Printf("%-34s %11.0f ns %11.0f ns %7.2fx %8s %s\n", r.name, r.value, r.floor, ratio, target, verdict)
	}
}

func typicalPolicy(loopDir string) *sandlock.Policy {
	read := []string{"/usr", "/lib", "/bin", "/etc", loopDir}
	if _, err := os.Stat("/lib64"); err == nil {
		read = append(read, "/lib64")
	}
	return &sandlock.Policy{
		FSRead:        read,
		FSWrite:       []string{os.TempDir()},
		NetConnectTCP: []uint16{443},
		Timeout:       30 * time.Second,
	}
}

func perCall(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(*iters) }

// interleaved is the median of each path over samples rounds, one
// measurement of every path per round.
func interleaved(paths []func() float64) []float64 { return interleavedN(*samples, paths) }

// interleavedN is interleaved over n rounds.
func interleavedN(n int, paths []func() float64) []float64 {
	values := make([][]float64, len(paths))
	for range n {
		for i, p := range paths {
			values[i] = append(values[i], p())
		}
	}
	medians := make([]float64, len(paths))
	for i, v := range values {
		slices.Sort(v)
		medians[i] = v[len(v)/2]
	}
	return medians
}

// busy runs f while one goroutine spins on a CPU, as a Go service's own
// work would.
func busy(f func()) {
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for x := 0; !stop.Load(); x++ {
			if x%1_000_000 == 0 {
				runtime.KeepAlive(x)
			}
		}
	}()
	defer func() { stop.Store(true); wg.Wait() }()
	f()
}

func parseNanos(out []byte) time.Duration {
	ns, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		fail("bad timing output %q", out)
	}
	return time.Duration(ns)
}

func floorRun() time.Duration {
	out, err := exec.Command(*floorBin, strconv.Itoa(*iters), "sync", *loopBin).Output()
	if err != nil {
		fail("notif_floor: %v", err)
	}
	return parseNanos(out)
}

func loop(policy *sandlock.Policy, h sandlock.Handler) float64 {
	cmd := sandlock.Command(policy, *loopBin, strconv.Itoa(*iters))
	cmd.Handle("getppid", h)
	out, err := cmd.Output()
	if err != nil {
		fail("getppid_loop: %v", err)
	}
	return perCall(parseNanos(out))
}

// execLoop is the nanoseconds of one run of a shell loop of execs, with
// fn as the PolicyFunc over categories (nil: none).
func execLoop(policy *sandlock.Policy, fn func(*sandlock.Event, *sandlock.Control) sandlock.Decision,
	categories sandlock.Category) float64 {
	script := fmt.Sprintf("for i in $(seq %d); do /usr/bin/true; done", *execs)
	cmd := sandlock.Command(policy, "/bin/sh", "-c", script)
	cmd.PolicyFunc, cmd.PolicyCategories = fn, categories
	start := time.Now()
	if err := cmd.Run(); err != nil {
		fail("exec loop: %v", err)
	}
	return float64(time.Since(start).Nanoseconds())
}

func spawnMedian(run func()) float64 {
	values := make([]float64, *spawns)
	for i := range values {
		start := time.Now()
		run()
		values[i] = float64(time.Since(start).Nanoseconds())
	}
	slices.Sort(values)
	return values[len(values)/2]
}

// forkExecTrue is the floor of the Rust benchmarks: fork (copying this
// process's page tables), execve, waitpid.
func forkExecTrue() {
	if status := capi.ForkExecWait("/bin/true"); status != 0 {
		fail("fork+exec of /bin/true: wait status %d", status)
	}
}

// goForkExecTrue is Go's own spawn (clone with CLONE_VFORK|CLONE_VM), which
// copies no page tables: shown for scale.
func goForkExecTrue() {
	pid, err := syscall.ForkExec("/bin/true", []string{"/bin/true"}, &syscall.ProcAttr{})
	if err != nil {
		fail("fork+exec: %v", err)
	}
	var status syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &status, 0, nil); err != nil || status.ExitStatus() != 0 {
		fail("wait4: %v %v", err, status)
	}
}

func cmdRunTrue(policy *sandlock.Policy) {
	if err := sandlock.Command(policy, "/bin/true").Run(); err != nil {
		fail("Cmd.Run: %v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(1)
}
