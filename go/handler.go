package sandlock

import (
	"fmt"
	"os"
	"runtime/debug"
	"sync"

	"github.com/sandlock/sandlock/go/internal/capi"
)

// Handler decides a trapped syscall. Handle runs on one of the library's
// supervisor threads while the child waits in the syscall, so keep it
// short; calls for one Cmd may run concurrently, so it must be safe for
// that. A panic is recovered: the handler's exception policy answers and
// the panic is reported (Cmd.ErrorLog, ProcessState.String).
//
// Handle must return: runtime.Goexit, and so t.Fatal, t.FailNow and
// t.Skip of package testing, aborts the whole process ("runtime.Goexit
// called in a thread that was not created by the Go runtime"), because
// the supervisor thread is the library's, not Go's, and Go cannot end a
// goroutine running on it. In a test, report with t.Error and return an
// Action, or send the failure on a channel the test goroutine reads.
type Handler interface {
	Handle(n *Notif) Action
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(n *Notif) Action

// Handle calls f(n).
func (f HandlerFunc) Handle(n *Notif) Action { return f(n) }

// Static is a Handler whose answer is fixed: Continue, an Errno or a
// ReturnValue. The library answers it itself and never enters Go, so it
// costs what a C handler costs, whatever the Go program is doing. Any
// other action makes Start fail with ErrInvalid.
func Static(a Action) Handler { return staticHandler{a} }

type staticHandler struct{ action Action }

func (s staticHandler) Handle(*Notif) Action { return s.action }

// Exception is what answers a syscall whose handler failed: panicked,
// returned the zero Action, or returned one that cannot be carried out.
type Exception int

const (
	// ExceptionKill kills the sandbox (fail closed; the default).
	ExceptionKill Exception = capi.ExceptionKill
	// ExceptionDenyEPERM fails the syscall with EPERM.
	ExceptionDenyEPERM Exception = capi.ExceptionDenyEPERM
	// ExceptionDenyEIO fails the syscall with EIO.
	ExceptionDenyEIO Exception = capi.ExceptionDenyEIO
	// ExceptionContinue lets the syscall run (fail open: only for
	// handlers that observe).
	ExceptionContinue Exception = capi.ExceptionContinue
)

// HandleOption configures one Cmd.Handle registration.
type HandleOption struct{ apply func(*registration) }

// OnException sets the handler's exception policy (ExceptionKill by
// default). A Static handler cannot fail and ignores it.
func OnException(e Exception) HandleOption {
	return HandleOption{func(r *registration) { r.exception = e }}
}

// registration is one Cmd.Handle call, and for a Go handler what the
// library's callback finds behind its cgo.Handle.
type registration struct {
	syscall   string
	handler   Handler
	exception Exception
	panics    *panicReport
}

// Handle is the callback of a Go handler. It copies the notification
// into the one allocation a call makes (the *Notif the handler may keep),
// runs the handler, and ends the Notif's memory access before returning.
func (r *registration) Handle(d *capi.NotifData, mem capi.Mem, out capi.Out, ans *capi.Answer) (rc int32) {
	call := newNotif(d, mem)
	returned := false
	defer func() {
		call.finish()
		if v := recover(); v != nil {
			r.panics.record(r.syscall, v, debug.Stack())
			rc = -1
		} else if !returned {
			reportGoexit("a handler for " + r.syscall)
		}
	}()
	rc = r.handler.Handle(&call.notif).answer(out, ans)
	returned = true
	return rc
}

// reportGoexit names the callback that called runtime.Goexit (as t.Fatal,
// t.FailNow and t.Skip do): on a thread the library made, the Go runtime
// cannot end the goroutine and aborts the whole process once the deferred
// calls have run, with a trace that shows no callback. It goes straight
// to standard error, where the runtime's own message goes: a buffered
// ErrorLog would die with the process.
func reportGoexit(what string) {
	fmt.Fprintf(os.Stderr, "sandlock: %s called runtime.Goexit (as t.Fatal, t.FailNow and t.Skip do) on a "+
		"library thread, so the Go runtime aborts the process; use t.Error and return an answer instead\n", what)
}

// panicReport logs every handler and PolicyFunc panic of a Cmd, and
// keeps the first handler panic for its ProcessState.
type panicReport struct {
	log   func(format string, args ...any)
	mu    sync.Mutex
	first string
}

// report logs a panic of what (a handler, the PolicyFunc) and returns
// its message.
func (p *panicReport) report(what string, v any, stack []byte) string {
	msg := fmt.Sprintf("%s panicked: %v", what, v)
	p.log("sandlock: %s\n%s", msg, stack)
	return msg
}

// record reports a handler's panic and keeps the first for the
// ProcessState, which names the handler that ended the child.
func (p *panicReport) record(syscall string, v any, stack []byte) {
	msg := p.report("handler for "+syscall, v, stack)
	p.mu.Lock()
	if p.first == "" {
		p.first = msg
	}
	p.mu.Unlock()
}

func (p *panicReport) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.first
}

// newHandler makes the library's handler for r.
func (r *registration) newHandler() (*capi.Handler, error) {
	op := fmt.Sprintf("Handle(%q)", r.syscall)
	if r.handler == nil {
		return nil, invalid(op, "the handler is nil")
	}
	switch r.exception {
	case ExceptionKill, ExceptionDenyEPERM, ExceptionDenyEIO, ExceptionContinue:
	default:
		return nil, invalid(op, "exception policy %d is not one of the Exception constants", r.exception)
	}
	s, ok := r.handler.(staticHandler)
	if !ok {
		h, err := capi.NewHandler(r, uint32(r.exception))
		return h, fromC(op, err)
	}
	switch s.action.kind {
	case capi.ActionContinue, capi.ActionErrno, capi.ActionReturnValue:
	default:
		return nil, invalid(op, "a static handler answers with Continue, an Errno or a ReturnValue, not %v", s.action)
	}
	if !s.action.fitsC() {
		return nil, invalid(op, "errno %d is not in 1..4095", uint64(s.action.value))
	}
	h, err := capi.NewStaticHandler(s.action.kind, s.action.value)
	return h, fromC(op, err)
}
