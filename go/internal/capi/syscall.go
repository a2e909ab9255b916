package capi

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import "unsafe"

// SyscallNr is the number of syscall name on this architecture.
func SyscallNr(name string) (int64, *Err) {
	cname, err := cString("syscall name", name)
	if err != nil {
		return -1, err
	}
	defer C.free(unsafe.Pointer(cname))
	var e *C.sandlock_error_t
	nr := int64(C.capi_syscall_nr(cname, &e))
	if nr < 0 {
		return -1, check(C.int(-1), e)
	}
	return nr, nil
}

// SyscallName is the name of syscall nr, or "" when this architecture has
// no such syscall.
func SyscallName(nr int64) string {
	name := C.sandlock_syscall_name(C.int64_t(nr))
	if name == nil {
		return ""
	}
	return C.GoString(name)
}
