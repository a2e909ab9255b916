package capi

/*
#include "shim.h"
*/
import "C"

import "time"

// Crossing times n calls of an empty Go function from a new C thread:
// the cgo callback cost alone, without the kernel or the library.
func Crossing(n int64) time.Duration { return time.Duration(C.capi_crossing_ns(C.int64_t(n))) }

//export capiGoNoop
func capiGoNoop(C.uintptr_t) {}
