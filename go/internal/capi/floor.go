package capi

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"time"
	"unsafe"
)

// Crossing times n calls of an empty Go function from a new C thread:
// the cgo callback cost alone, without the kernel or the library.
func Crossing(n int64) time.Duration { return time.Duration(C.capi_crossing_ns(C.int64_t(n))) }

//export capiGoNoop
func capiGoNoop(C.uintptr_t) {}

// ForkExecWait runs path with a bare fork, execve and waitpid from this
// process (the spawn floor of the benchmarks) and returns its wait status,
// or -1 when it could not run it.
func ForkExecWait(path string) int {
	cpath, err := cString("path", path)
	if err != nil {
		return -1
	}
	defer C.free(unsafe.Pointer(cpath))
	return int(C.capi_fork_exec_wait(cpath))
}
