package sandlock

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/sandlock/sandlock/go/internal/capi"
)

// Status is one of the library's sandlock_status_t values.
type Status int32

// The library's statuses; every negative one is a failure.
const (
	StatusOK           Status = capi.StatusOK
	StatusStillRunning Status = capi.StatusStillRunning
	StatusInvalid      Status = capi.StatusInvalid
	StatusNotFound     Status = capi.StatusNotFound
	StatusUnsupported  Status = capi.StatusUnsupported
	StatusSpawn        Status = capi.StatusSpawn
	StatusIO           Status = capi.StatusIO
	StatusPanic        Status = capi.StatusPanic
	StatusDenied       Status = capi.StatusDenied
	StatusMemory       Status = capi.StatusMemory
	StatusHandler      Status = capi.StatusHandler
)

func (s Status) String() string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusStillRunning:
		return "still running"
	case StatusInvalid:
		return "invalid argument"
	case StatusNotFound:
		return "not found"
	case StatusUnsupported:
		return "unsupported by this kernel"
	case StatusSpawn:
		return "spawn failed"
	case StatusIO:
		return "I/O error"
	case StatusPanic:
		return "panic in the library"
	case StatusDenied:
		return "denied by the policy"
	case StatusMemory:
		return "child memory inaccessible"
	case StatusHandler:
		return "handler failed"
	}
	return fmt.Sprintf("status %d", int32(s))
}

// Sentinels for errors.Is: an *Error matches the one of its Status.
var (
	ErrInvalid     = errors.New("sandlock: invalid argument")
	ErrNotFound    = errors.New("sandlock: not found")
	ErrUnsupported = errors.New("sandlock: unsupported by this kernel")
	ErrSpawn       = errors.New("sandlock: spawn failed")
	ErrDenied      = errors.New("sandlock: denied by the policy")
	ErrMemory      = errors.New("sandlock: child memory inaccessible")
	// ErrNotifDone is returned by a Notif accessor used after its
	// callback returned: the child has left the syscall, and its memory is
	// no longer the memory the notification described.
	ErrNotifDone = errors.New("sandlock: notification already answered")
)

var sentinels = map[Status]error{
	StatusInvalid:     ErrInvalid,
	StatusNotFound:    ErrNotFound,
	StatusUnsupported: ErrUnsupported,
	StatusSpawn:       ErrSpawn,
	StatusDenied:      ErrDenied,
	StatusMemory:      ErrMemory,
}

// Error is a failure reported by the library: the operation, the status,
// the errno behind it (0 when none) and the library's message, which
// names the offending value.
type Error struct {
	Op      string
	Status  Status
	Errno   syscall.Errno
	Message string
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Status.String()
	}
	return "sandlock: " + e.Op + ": " + msg
}

// Is reports whether target is the sentinel of e's Status, so that
// errors.Is(err, ErrNotFound) works.
func (e *Error) Is(target error) bool {
	s, ok := sentinels[e.Status]
	return ok && s == target
}

// Unwrap is the errno behind the failure, so errors.Is(err, syscall.EACCES)
// works as with os/exec; nil when there is none.
func (e *Error) Unwrap() error {
	if e.Errno == 0 {
		return nil
	}
	return e.Errno
}

// fromC turns the library's error into an *Error of op; nil stays nil.
func fromC(op string, e *capi.Err) error {
	if e == nil {
		return nil
	}
	return &Error{Op: op, Status: Status(e.Status), Errno: syscall.Errno(e.Errno), Message: e.Message}
}

// invalid is an *Error the Go side finds before asking the library.
func invalid(op, format string, args ...any) error {
	return &Error{Op: op, Status: StatusInvalid, Message: fmt.Sprintf(format, args...)}
}
