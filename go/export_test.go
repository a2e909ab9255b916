package sandlock

import "github.com/sandlock/sandlock/go/internal/capi"

// LiveHandles counts the cgo.Handle values of Go handlers the library
// still holds: zero once every command has been waited for or failed.
func LiveHandles() int64 { return capi.LiveHandles() }
