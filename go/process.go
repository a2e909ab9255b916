package sandlock

import (
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"

	"github.com/sandlock/sandlock/go/internal/capi"
)

// Process is a started sandboxed child. Its methods act on the child's
// whole process group and may be called from any goroutine, also while
// another waits; after Wait they return os.ErrProcessDone.
type Process struct {
	Pid int

	// mu keeps signals (read side) away from the free in Wait (write
	// side): the library forbids overlapping the two.
	mu    sync.RWMutex
	child *capi.Child
}

func (p *Process) control(op string, f func(*capi.Child) *capi.Err) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.child == nil {
		return os.ErrProcessDone
	}
	return fromC(op, f(p.child))
}

// Kill sends SIGKILL to every process of the sandbox.
func (p *Process) Kill() error { return p.Signal(syscall.SIGKILL) }

// Signal sends sig (a syscall.Signal, 1..64) to every process of the
// sandbox.
func (p *Process) Signal(sig os.Signal) error {
	s, ok := sig.(syscall.Signal)
	if !ok {
		return invalid("Process.Signal", "signal %v is a %T, not a syscall.Signal", sig, sig)
	}
	// Checked here: the C int would keep only the low 32 bits, and make
	// 1<<32|9 a SIGKILL.
	if s < 1 || s > 64 {
		return invalid("Process.Signal", "signal %d is not in 1..64", int(s))
	}
	return p.control("Process.Signal", func(c *capi.Child) *capi.Err { return c.Signal(int(s)) })
}

// Pause stops every process of the sandbox (SIGSTOP); Policy.Timeout
// keeps running.
func (p *Process) Pause() error {
	return p.control("Process.Pause", (*capi.Child).Pause)
}

// Resume continues a paused sandbox (SIGCONT).
func (p *Process) Resume() error {
	return p.control("Process.Resume", (*capi.Child).Resume)
}

// release frees the library's child (reaping it and freeing its handlers)
// once no signal is in flight.
func (p *Process) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.child.Free()
	p.child = nil
}

// ProcessState is how a sandboxed child ended.
type ProcessState struct {
	pid       int
	exit      capi.Exit
	ctxKilled bool
	panicked  string
	flagged   []Event
}

// Flagged is the events the PolicyFunc flagged, in the order they
// happened: the first 10,000 (the library keeps no more).
func (s *ProcessState) Flagged() []Event { return slices.Clone(s.flagged) }

// Pid is the ended child's process id.
func (s *ProcessState) Pid() int { return s.pid }

// ExitCode is the child's exit code, or -1 when a signal killed it.
func (s *ProcessState) ExitCode() int {
	if s.exit.Signal != 0 {
		return -1
	}
	return int(s.exit.Code)
}

// Signal is the signal that killed the child, or 0 when it exited.
func (s *ProcessState) Signal() syscall.Signal { return syscall.Signal(s.exit.Signal) }

// Success reports whether the child exited with code 0.
func (s *ProcessState) Success() bool { return s.exit.Signal == 0 && s.exit.Code == 0 }

// TimedOut reports whether Policy.Timeout or the command's context ended
// the child.
func (s *ProcessState) TimedOut() bool {
	return s.exit.Reason == capi.ExitTimedOut || (s.ctxKilled && s.exit.Signal != 0)
}

// String says how the child ended, naming the handler that ended it.
func (s *ProcessState) String() string {
	sig := "signal: " + s.Signal().String()
	switch {
	case s.TimedOut():
		return "timed out (" + sig + ")"
	case s.exit.Reason == capi.ExitHandlerFailed:
		msg := "killed: the handler for " + s.syscall() + " failed"
		if s.panicked != "" {
			msg += " (" + s.panicked + ")"
		}
		return msg
	case s.exit.Reason == capi.ExitHandlerKilled:
		return sig + " (by the handler for " + s.syscall() + ")"
	case s.exit.Signal != 0:
		return sig
	}
	return "exit status " + strconv.Itoa(int(s.exit.Code))
}

func (s *ProcessState) syscall() string {
	if name := SyscallName(int(s.exit.SyscallNr)); name != "" {
		return name
	}
	return "syscall " + strconv.FormatInt(s.exit.SyscallNr, 10)
}

// ExitError is returned by Wait, Run, Output and CombinedOutput when the
// child did not succeed. Stderr holds the start of its standard error
// when Output captured it.
type ExitError struct {
	*ProcessState
	Stderr []byte
}

func (e *ExitError) Error() string { return e.ProcessState.String() }
