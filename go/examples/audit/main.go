// Command audit runs a Python script in a sandbox and logs every file it
// opens, with the outcome Landlock gave the open.
//
//	go run ./examples/audit script.py [args...]
//
// The script may read the system's Python and its own directory; the log
// goes to standard error, one line per open, in the order they happened.
package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sync"
	"time"

	sandlock "github.com/sandlock/sandlock/go"
)

// auditLog is a handler that records each openat and lets it run: an
// observer, so a failure to read the path must never stop the script
// (ExceptionContinue below).
type auditLog struct {
	mu    sync.Mutex
	start time.Time
	out   *log.Logger
}

func (a *auditLog) Handle(n *sandlock.Notif) sandlock.Action {
	path, err := n.ReadCString(n.Args[1], 4096)
	if err != nil {
		path = fmt.Sprintf("<unreadable: %v>", err)
	}
	a.mu.Lock()
	a.out.Printf("+%-8s pid %-7d %s(%s)", time.Since(a.start).Round(time.Microsecond),
		n.Pid, sandlock.SyscallName(n.Syscall), path)
	a.mu.Unlock()
	return sandlock.Continue() // Landlock decides; the log only watches
}

func main() {
	log.SetFlags(0)
	if len(os.Args) < 2 {
		log.Fatal("usage: audit script.py [args...]")
	}
	script, err := filepath.Abs(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	policy := &sandlock.Policy{
		FSRead:  []string{"/usr", "/lib", "/etc", filepath.Dir(script)},
		Env:     map[string]string{"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
		Timeout: time.Minute,
	}
	if _, err := os.Stat("/lib64"); err == nil {
		policy.FSRead = append(policy.FSRead, "/lib64")
	}
	cmd := sandlock.Command(policy, "python3", append([]string{script}, os.Args[2:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	audit := &auditLog{start: time.Now(), out: log.New(os.Stderr, "audit ", 0)}
	for _, call := range []string{"open", "openat", "openat2"} {
		if _, err := sandlock.SyscallNumber(call); err == nil {
			cmd.Handle(call, audit, sandlock.OnException(sandlock.ExceptionContinue))
		}
	}
	if err := cmd.Run(); err != nil {
		log.Fatalf("python3 %s: %v", script, err)
	}
}
