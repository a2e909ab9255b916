// Package capi is the only cgo code of the sandlock Go module: thin Go
// functions over libsandlock's C ABI (include/sandlock.h), found with
// pkg-config. It hands plain Go values to package sandlock and keeps every
// C pointer behind a small wrapper type.
//
// Two rules of the C contract shape it. Errors of 1.1 calls come back
// through a sandlock_error_t out-parameter; 1.0 calls are made through C
// wrappers (shim.c) that call sandlock_error_take_last in the same C call.
// Handlers cross as runtime/cgo.Handle values, never as Go pointers.
package capi

/*
#cgo pkg-config: sandlock
#include "shim.h"
*/
import "C"

// Version is the loaded library's major<<16 | minor<<8 | patch.
func Version() uint32 { return uint32(C.sandlock_version()) }

// LandlockABI is the kernel's Landlock ABI version, or a negative status
// when Landlock is not enabled.
func LandlockABI() int32 { return int32(C.sandlock_landlock_abi()) }
