package sandlock_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	sandlock "github.com/sandlock/sandlock/go"
)

// hostUIDVar makes this test binary the host of one sandbox, whose child
// runs as the uid it names.
const hostUIDVar = "SANDLOCK_GO_TEST_HOST_UID"

// A Go host killed with SIGKILL (no deferred call, no finaliser runs) left
// its sandboxes running unsupervised; the guardian kills their groups.
func TestTheSandboxDiesWithItsKilledHost(t *testing.T) {
	if uid := os.Getenv(hostUIDVar); uid != "" {
		beTheHost(uid)
	}
	for _, uid := range []string{"0", "65534"} {
		t.Run("uid"+uid, func(t *testing.T) {
			host := exec.Command(os.Args[0], "-test.run=^TestTheSandboxDiesWithItsKilledHost$")
			host.Env = append(os.Environ(), hostUIDVar+"="+uid)
			host.Stderr = os.Stderr
			out, err := host.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := host.Start(); err != nil {
				t.Fatal(err)
			}
			var pids []int
			defer func() {
				_ = host.Process.Kill()
				_ = host.Wait()
				for _, pid := range pids {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}()
			line, err := bufio.NewReader(out).ReadString('\n')
			if err != nil {
				t.Fatalf("reading the sandbox's pids: %v (read %q)", err, line)
			}
			for _, field := range strings.Fields(line) {
				pid, err := strconv.Atoi(field)
				if err != nil {
					t.Fatalf("the sandbox printed %q", line)
				}
				pids = append(pids, pid)
			}
			if err := host.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_ = host.Wait()
			deadline := time.Now().Add(10 * time.Second)
			for anyRunning(pids) && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if anyRunning(pids) {
				t.Fatalf("sandbox processes %v outlived their host", pids)
			}
		})
	}
}

// beTheHost spawns a shell that starts a second process in its group and
// prints both pids, then waits to be killed.
func beTheHost(uid string) {
	p := systemPolicy()
	if uid != "0" {
		p.Credential = &syscall.Credential{Uid: 65534, Gid: 65534}
	}
	cmd := sandlock.Command(p, "/bin/sh", "-c", "sleep 1000 & echo $$ $!; wait")
	cmd.Stdout = os.Stdout
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "spawning the sandbox:", err)
		os.Exit(1)
	}
	time.Sleep(time.Hour)
	os.Exit(1)
}

// anyRunning is true while one of pids runs (neither a zombie nor gone).
func anyRunning(pids []int) bool {
	for _, pid := range pids {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		if i := strings.LastIndex(string(stat), ") "); i >= 0 && !strings.ContainsAny(string(stat[i+2:i+3]), "ZX") {
			return true
		}
	}
	return false
}
