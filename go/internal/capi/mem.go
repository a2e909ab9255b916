package capi

/*
#cgo noescape capi_mem_read
#cgo nocallback capi_mem_read
#cgo noescape capi_mem_read_cstr
#cgo nocallback capi_mem_read_cstr
#cgo noescape capi_mem_write
#cgo nocallback capi_mem_write
#include "shim.h"
*/
import "C"

import "unsafe"

// The accessors are marked noescape: C copies into or out of buf and keeps
// no pointer, so a caller's buffer may stay on its stack.

// Read reads exactly len(buf) bytes of child memory at addr.
func (m Mem) Read(addr uint64, buf []byte) *Err {
	var e *C.sandlock_error_t
	var p *C.uint8_t
	if len(buf) > 0 {
		p = (*C.uint8_t)(unsafe.Pointer(&buf[0]))
	}
	return check(C.int(C.capi_mem_read(m.m, C.uint64_t(addr), p, C.size_t(len(buf)), &e)), e)
}

// ReadCString reads the NUL-terminated string at addr into buf (which
// holds the NUL too) and returns its length.
func (m Mem) ReadCString(addr uint64, buf []byte) (int, *Err) {
	var e *C.sandlock_error_t
	var p *C.uint8_t
	if len(buf) > 0 {
		p = (*C.uint8_t)(unsafe.Pointer(&buf[0]))
	}
	var n C.size_t
	if err := check(C.int(C.capi_mem_read_cstr(m.m, C.uint64_t(addr), p, C.size_t(len(buf)), &n, &e)), e); err != nil {
		return 0, err
	}
	return int(n), nil
}

// Write writes data into child memory at addr.
func (m Mem) Write(addr uint64, data []byte) *Err {
	var e *C.sandlock_error_t
	var p *C.uint8_t
	if len(data) > 0 {
		p = (*C.uint8_t)(unsafe.Pointer(&data[0]))
	}
	return check(C.int(C.capi_mem_write(m.m, C.uint64_t(addr), p, C.size_t(len(data)), &e)), e)
}
