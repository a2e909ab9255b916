// Package capi is the only cgo code of the sandlock Go module: thin Go
// functions over libsandlock's C ABI (include/sandlock.h), found with
// pkg-config. It hands plain Go values to package sandlock and keeps every
// C pointer behind a small wrapper type.
//
// Three rules of the C contract shape it. Errors of 1.1 calls come back
// through a sandlock_error_t out-parameter; 1.0 calls are made through C
// wrappers (shim.c) that call sandlock_error_take_last in the same C call.
// Handlers cross as runtime/cgo.Handle values, never as Go pointers. And
// every Go string crosses as a C string made by cString, never by
// C.CString directly.
package capi

/*
#cgo pkg-config: sandlock
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"strings"
)

// cString is s as a C string for the caller to free, or an *Err naming s
// (what it is, e.g. "path") when s holds a NUL byte: C.CString would copy
// it, and C would read only what comes before, so "/\x00/etc" would grant
// "/" and the argument "abc\x00; rm" would be "abc".
func cString(what, s string) (*C.char, *Err) {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return nil, &Err{Status: StatusInvalid, Message: fmt.Sprintf(
			"%s has a NUL byte at offset %d (%q), where C would end the string: remove the NUL", what, i, s)}
	}
	return C.CString(s), nil
}

// Version is the loaded library's major<<16 | minor<<8 | patch.
func Version() uint32 { return uint32(C.sandlock_version()) }

// LandlockABI is the kernel's Landlock ABI version, or a negative status
// when Landlock is not enabled.
func LandlockABI() int32 { return int32(C.sandlock_landlock_abi()) }
