package capi

/*
#include "shim.h"
*/
import "C"

// Child is a spawned sandlock_child_t. Wait, Signal, Pause and Resume may
// overlap (the contract allows signals while another thread waits); Free
// must not overlap anything.
type Child struct{ c *C.sandlock_child_t }

// Exit is the library's sandlock_exit_t snapshot, copied.
type Exit struct {
	Reason          uint32
	Code            int32
	Signal          int32
	SyscallNr       int64
	StdoutTruncated bool
	StderrTruncated bool
}

// Pid is the child's pid, which is also its process group.
func (c *Child) Pid() int { return int(C.sandlock_child_pid(c.c)) }

// Wait blocks until the child ended and returns how.
func (c *Child) Wait() (Exit, *Err) {
	var e *C.sandlock_error_t
	if err := check(C.sandlock_child_wait_for(c.c, -1, &e), e); err != nil {
		return Exit{}, err
	}
	x := C.sandlock_child_exit(c.c)
	return Exit{
		Reason:          uint32(x.reason),
		Code:            int32(x.exit_code),
		Signal:          int32(x.signal),
		SyscallNr:       int64(x.syscall_nr),
		StdoutTruncated: bool(x.stdout_truncated),
		StderrTruncated: bool(x.stderr_truncated),
	}, nil
}

// Signal sends sig to the child's whole process group.
func (c *Child) Signal(sig int) *Err {
	var e *C.sandlock_error_t
	return check(C.sandlock_child_signal(c.c, C.int(sig), &e), e)
}

// Pause stops the child's process group.
func (c *Child) Pause() *Err {
	var e *C.sandlock_error_t
	return check(C.sandlock_child_pause(c.c, &e), e)
}

// Resume continues the child's process group.
func (c *Child) Resume() *Err {
	var e *C.sandlock_error_t
	return check(C.sandlock_child_resume(c.c, &e), e)
}

// Free kills the child if it still runs, reaps it and frees its handlers.
func (c *Child) Free() {
	C.sandlock_child_free(c.c)
	c.c = nil
}
