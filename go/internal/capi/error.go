package capi

/*
#include "shim.h"
*/
import "C"

// Err is a failed call's status, errno and message, copied out of the
// library's sandlock_error_t.
type Err struct {
	Status  int32
	Errno   int32
	Message string
}

// take copies and frees e; nil when the call succeeded.
func take(e *C.sandlock_error_t) *Err {
	if e == nil {
		return nil
	}
	defer C.sandlock_error_free(e)
	return &Err{
		Status:  int32(C.sandlock_error_status(e)),
		Errno:   int32(C.sandlock_error_errno(e)),
		Message: C.GoString(C.sandlock_error_message(e)),
	}
}

// check turns a status return and its error object into an *Err. A
// failure the library did not describe still fails, with its status.
func check(rc C.int, e *C.sandlock_error_t) *Err {
	if err := take(e); err != nil || rc >= 0 {
		return err
	}
	return &Err{Status: int32(rc), Message: "the library gave no reason"}
}
