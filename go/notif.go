package sandlock

import (
	"runtime"
	"sync/atomic"

	"github.com/sandlock/sandlock/go/internal/capi"
)

// Notif is one trapped syscall, as the kernel reported it. Its accessors
// reach the child's memory only while the handler's callback runs (from
// any goroutine); afterwards they fail with ErrNotifDone, even if the
// *Notif, or a copy of it, was kept. A Notif made by the caller has no
// access at all.
type Notif struct {
	ID      uint64    // unique while the child waits
	Pid     int       // thread id of the trapped task
	Syscall int       // number; SyscallName(n.Syscall) for the name
	Arch    uint32    // AUDIT_ARCH_* of the call
	IP      uint64    // instruction pointer
	Args    [6]uint64 // raw arguments

	// call is shared by every copy of the Notif, so that a copy made
	// during the callback is as dead as the original afterwards.
	call *notifCall
}

// notifCall is one callback's Notif and its access to child memory, in
// the single allocation a callback makes.
type notifCall struct {
	notif Notif
	// users counts accessors inside the library, or is notifDone once
	// the callback returned: the library's handle is a stack value of the
	// supervisor thread, gone after that.
	users atomic.Int32
	mem   capi.Mem
}

const notifDone = -1

// newNotif copies the library's notification for one callback.
func newNotif(d *capi.NotifData, mem capi.Mem) *notifCall {
	c := &notifCall{mem: mem}
	c.notif = Notif{
		ID: d.ID, Pid: int(d.Pid), Syscall: int(d.Syscall), Arch: d.Arch, IP: d.IP, Args: d.Args, call: c,
	}
	return c
}

// finish ends the notification's access to child memory, waiting for
// accessors still in the library (each one a single short copy).
func (c *notifCall) finish() {
	for !c.users.CompareAndSwap(0, notifDone) {
		runtime.Gosched()
	}
}

// access runs f with the memory handle while the callback runs.
func (n *Notif) access(op string, f func(capi.Mem) *capi.Err) error {
	c := n.call
	if c == nil {
		return ErrNotifDone
	}
	for {
		u := c.users.Load()
		if u == notifDone {
			return ErrNotifDone
		}
		if c.users.CompareAndSwap(u, u+1) {
			break
		}
	}
	defer c.users.Add(-1)
	return fromC(op, f(c.mem))
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
