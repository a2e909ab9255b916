package capi

/*
#cgo noescape sandlock_event_arg
#cgo nocallback sandlock_event_arg
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// EventData has the layout of sandlock_event_t as C ABI 1.1 defines it,
// so events are read in place instead of field by field through cgo.
// The library only adds fields at the end and fills at least the 1.1
// struct (the first version with events): a field added later must be
// read only when Size covers it.
type EventData struct {
	Size           uint32
	Category       uint32
	SyscallNr      int64
	Pid            uint32
	Ppid           uint32
	DeniedByPolicy bool
	RaceFree       bool
	Thread         bool
	ArgvTruncated  bool
	CloneFlags     uint64
	Argc           uint32
	NetOp          uint32
	Family         int32
	AddrFamily     int32
	Addr           [16]byte
	Port           int32
	Signal         int32
	SignalTarget   int64
	OpenFlags      uint64
}

// Mismatched layouts fail to compile (the offsets are pinned by a test
// against include/sandlock.h).
var (
	_ = [1]int{}[unsafe.Sizeof(EventData{})-C.sizeof_sandlock_event_t]
	_ = [1]int{}[C.sizeof_sandlock_event_t-unsafe.Sizeof(EventData{})]
)

// Event is a sandlock_event_t the library owns: the one a policy callback
// was given (valid until the callback returns) or a flagged one of a
// child (valid until the child is freed).
type Event struct{ e *C.sandlock_event_t }

// Data is the event's fixed part, in the library's memory.
func (e Event) Data() *EventData { return (*EventData)(unsafe.Pointer(e.e)) }

// Argv copies an exec event's arguments (none for other events).
func (e Event) Argv() []string {
	argc := e.Data().Argc
	if argc == 0 {
		return nil
	}
	argv := make([]string, 0, argc)
	for i := range argc {
		var n C.size_t
		p := C.sandlock_event_arg(e.e, C.uint32_t(i), &n)
		if p == nil {
			break
		}
		argv = append(argv, C.GoStringN(p, C.int(n)))
	}
	return argv
}

// Control is the sandlock_control_t of a running policy callback. The
// library invalidates it when the callback returns, but its memory goes
// with the callback's frame: the caller must not use it afterwards.
type Control struct{ c *C.sandlock_control_t }

// Destination is a sandlock_destination_t: Family AF_INET (the first 4
// bytes of Addr) or AF_INET6, a prefix length in bits, a port or -1.
type Destination struct {
	Family int32
	Addr   [16]byte
	Prefix uint8
	Port   int32
}

// DenyPath makes path unreachable to the sandbox from now on.
func (c Control) DenyPath(path string) *Err {
	return withString("path", path, func(s *C.char, e **C.sandlock_error_t) C.int {
		return C.sandlock_control_deny_path(c.c, s, e)
	})
}

// RestrictConnect narrows TCP connects to dests (none: no destination).
func (c Control) RestrictConnect(dests []Destination) *Err {
	cdests := make([]C.sandlock_destination_t, len(dests))
	for i, d := range dests {
		cdests[i].family = C.int32_t(d.Family)
		for j, b := range d.Addr {
			cdests[i].addr[j] = C.uint8_t(b)
		}
		cdests[i].prefix = C.uint8_t(d.Prefix)
		cdests[i].port = C.int32_t(d.Port)
	}
	var p *C.sandlock_destination_t
	if len(cdests) > 0 {
		p = &cdests[0]
	}
	var e *C.sandlock_error_t
	return check(C.sandlock_control_restrict_connect(c.c, p, C.size_t(len(cdests)), &e), e)
}

// LowerMaxProcesses lowers the sandbox's task limit to at most n.
func (c Control) LowerMaxProcesses(n uint32) *Err {
	var e *C.sandlock_error_t
	return check(C.sandlock_control_lower_max_processes(c.c, C.uint32_t(n), &e), e)
}

// LowerMaxMemory lowers the sandbox's RLIMIT_AS to at most bytes.
func (c Control) LowerMaxMemory(bytes uint64) *Err {
	var e *C.sandlock_error_t
	return check(C.sandlock_control_lower_max_memory(c.c, C.uint64_t(bytes), &e), e)
}

// DecisionFailed is what a Go PolicyFunc that gave no decision answers
// (shim.h's value, no sandlock_decision_t): the command's on-failure
// decision applies.
const DecisionFailed = C.CAPI_DECISION_FAILED

// PolicyCallback is what a Go PolicyFunc registration implements. Decide
// runs on a library thread (a C thread) while the child waits; it returns
// a sandlock_decision_t value and the errno of a DENY, or DecisionFailed.
type PolicyCallback interface {
	Decide(ev Event, ctl Control) (decision uint32, errno int32)
}

// SetPolicyFn makes cb the command's policy_fn for categories, behind a
// cgo.Handle that the library's ud_drop deletes exactly once.
func (c *Command) SetPolicyFn(categories uint32, cb PolicyCallback) *Err {
	handle := cgo.NewHandle(cb)
	liveHandles.Add(1)
	var e *C.sandlock_error_t
	rc := C.capi_command_set_policy_fn(c.c, C.uint32_t(categories), C.uintptr_t(handle), &e)
	if err := check(rc, e); err != nil {
		// The library did not take ud: ud_drop will never run.
		release(handle)
		return err
	}
	return nil
}

// SetPolicyFnFailure sets the policy_fn's time limit and the decision
// (with its errno, for a DENY) a failed callback gets.
func (c *Command) SetPolicyFnFailure(timeLimitMs, onFailure uint32, errno int32) *Err {
	var e *C.sandlock_error_t
	rc := C.sandlock_command_set_policy_fn_failure(c.c, C.uint32_t(timeLimitMs), C.uint32_t(onFailure),
		C.int32_t(errno), &e)
	return check(rc, e)
}

//export capiGoPolicy
func capiGoPolicy(ud C.uintptr_t, ev *C.sandlock_event_t, ctl *C.sandlock_control_t) (C.uint32_t, C.int32_t) {
	decision, errno := cgo.Handle(ud).Value().(PolicyCallback).Decide(Event{ev}, Control{ctl})
	return C.uint32_t(decision), C.int32_t(errno)
}

// FlaggedCount is the number of events the child's policy_fn flagged so
// far (the library keeps the first 10,000).
func (c *Child) FlaggedCount() int {
	return max(int(C.sandlock_child_flagged_count(c.c)), 0)
}

// Flagged is flagged event i, valid until Free; false past the count.
func (c *Child) Flagged(i int) (Event, bool) {
	e := C.sandlock_child_flagged_event(c.c, C.size_t(i))
	return Event{e}, e != nil
}
