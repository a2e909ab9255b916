package sandlock

import (
	"sync"

	"github.com/sandlock/sandlock/go/internal/capi"
)

// Notif is one trapped syscall, as the kernel reported it. Its accessors
// reach the child's memory only while the handler's callback runs (from
// any goroutine); afterwards they fail with ErrNotifDone, even if the
// *Notif was kept.
type Notif struct {
	ID      uint64    // unique while the child waits
	Pid     int       // thread id of the trapped task
	Syscall int       // number; SyscallName(n.Syscall) for the name
	Arch    uint32    // AUDIT_ARCH_* of the call
	IP      uint64    // instruction pointer
	Args    [6]uint64 // raw arguments

	// mu keeps an accessor and the end of the callback apart: the
	// library's handle is a stack value of the supervisor thread, gone
	// once the callback returns.
	mu   sync.Mutex
	mem  capi.Mem
	live bool
}

// finish ends the notification's access to child memory.
func (n *Notif) finish() {
	n.mu.Lock()
	n.live = false
	n.mem = capi.Mem{}
	n.mu.Unlock()
}

// access runs f with the memory handle while the callback runs.
func (n *Notif) access(op string, f func(capi.Mem) *capi.Err) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.live {
		return ErrNotifDone
	}
	return fromC(op, f(n.mem))
}

// ReadCString reads the NUL-terminated string at addr in the child, of at
// most max bytes without the NUL. The library checks before and after the
// read that the child still waits in this syscall, so it never returns
// another task's memory; another thread of the child may still change the
// string afterwards, so never base a grant on it.
func (n *Notif) ReadCString(addr uint64, max int) (string, error) {
	if max < 0 {
		return "", invalid("Notif.ReadCString", "max %d is negative", max)
	}
	buf := make([]byte, max+1)
	var length int
	err := n.access("Notif.ReadCString", func(m capi.Mem) *capi.Err {
		var e *capi.Err
		length, e = m.ReadCString(addr, buf)
		return e
	})
	if err != nil {
		return "", err
	}
	return string(buf[:length]), nil
}

// Read reads len(buf) bytes at addr in the child: all of them or, with an
// error, none.
func (n *Notif) Read(addr uint64, buf []byte) (int, error) {
	err := n.access("Notif.Read", func(m capi.Mem) *capi.Err { return m.Read(addr, buf) })
	if err != nil {
		return 0, err
	}
	return len(buf), nil
}

// Write writes data at addr in the child.
func (n *Notif) Write(addr uint64, data []byte) error {
	return n.access("Notif.Write", func(m capi.Mem) *capi.Err { return m.Write(addr, data) })
}
