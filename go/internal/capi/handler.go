package capi

/*
#include "shim.h"
*/
import "C"

import (
	"runtime/cgo"
	"sync/atomic"
	"unsafe"
)

// NotifData has the layout of sandlock_notif_data_t, so the callback reads
// the library's copy in place instead of copying it field by field.
type NotifData struct {
	ID      uint64
	Pid     uint32
	Flags   uint32
	Syscall int32
	Arch    uint32
	IP      uint64
	Args    [6]uint64
}

// Answer has the layout of shim.h's capi_answer: what a Go handler chose.
type Answer struct {
	Kind  uint32
	Flags uint32
	Value int64
}

// AnswerSet marks an action Go already wrote through a setter.
const AnswerSet = C.CAPI_ANSWER_SET

// Mismatched layouts fail to compile: a negative constant cannot index.
var (
	_ = [1]int{}[unsafe.Sizeof(NotifData{})-C.sizeof_sandlock_notif_data_t]
	_ = [1]int{}[C.sizeof_sandlock_notif_data_t-unsafe.Sizeof(NotifData{})]
	_ = [1]int{}[unsafe.Sizeof(Answer{})-C.sizeof_capi_answer]
	_ = [1]int{}[C.sizeof_capi_answer-unsafe.Sizeof(Answer{})]
	_ = [1]int{}[unsafe.Offsetof(Answer{}.Value)-unsafe.Offsetof(C.capi_answer{}.value)]
)

// Mem is the callback's sandlock_mem_handle_t, valid until it returns.
type Mem struct{ m *C.sandlock_mem_handle_t }

// Out is the callback's sandlock_action_out_t.
type Out struct{ o *C.sandlock_action_out_t }

// Callback is what a Go handler registration implements. It runs on a
// supervisor thread (a C thread) while the child waits in the syscall.
type Callback interface {
	Handle(n *NotifData, mem Mem, out Out, a *Answer) int32
}

// liveHandles counts registrations whose cgo.Handle is not yet deleted.
var liveHandles atomic.Int64

// LiveHandles is the number of Go handlers the library still holds.
func LiveHandles() int64 { return liveHandles.Load() }

// Handler is a sandlock_handler_t not yet handed to a command.
type Handler struct{ h *C.sandlock_handler_t }

// NewHandler registers cb behind a cgo.Handle, deleted by the library's
// ud_drop exactly once.
func NewHandler(cb Callback, exceptionPolicy uint32) (*Handler, *Err) {
	handle := cgo.NewHandle(cb)
	liveHandles.Add(1)
	var e *C.sandlock_error_t
	h := C.capi_handler_new(C.uintptr_t(handle), C.uint32_t(exceptionPolicy), &e)
	if h == nil {
		// The library did not take ud: ud_drop will never run.
		release(handle)
		return nil, check(-1, e)
	}
	return &Handler{h}, nil
}

// NewStaticHandler answers every call with the action kind and value
// without ever calling into Go.
func NewStaticHandler(kind uint32, value int64) (*Handler, *Err) {
	var e *C.sandlock_error_t
	h := C.capi_handler_new_static(C.uint32_t(kind), C.int64_t(value), &e)
	if h == nil {
		return nil, check(-1, e)
	}
	return &Handler{h}, nil
}

func release(h cgo.Handle) {
	h.Delete()
	liveHandles.Add(-1)
}

//export capiGoHandle
func capiGoHandle(ud C.uintptr_t, notif *C.sandlock_notif_data_t, mem *C.sandlock_mem_handle_t,
	out *C.sandlock_action_out_t, a *C.capi_answer) C.int32_t {
	cb := cgo.Handle(ud).Value().(Callback)
	n := (*NotifData)(unsafe.Pointer(notif))
	return C.int32_t(cb.Handle(n, Mem{mem}, Out{out}, (*Answer)(unsafe.Pointer(a))))
}

//export capiGoDrop
func capiGoDrop(ud C.uintptr_t) { release(cgo.Handle(ud)) }

// SetInjectBytes answers with a sealed memfd holding data.
func (o Out) SetInjectBytes(data []byte, flags uint32) int32 {
	var p *C.uint8_t
	if len(data) > 0 {
		p = (*C.uint8_t)(unsafe.Pointer(&data[0]))
	}
	return int32(C.sandlock_action_set_inject_bytes(o.o, p, C.size_t(len(data)), C.uint32_t(flags)))
}
