package sandlock_test

import (
	"testing"

	sandlock "github.com/sandlock/sandlock/go"
	"github.com/sandlock/sandlock/go/internal/cheader"
)

// The public constants carry the header's values (internal/capi checks
// its own the same way).
func TestPublicConstantsMatchTheHeader(t *testing.T) {
	h, err := cheader.Load("../include/sandlock.h")
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]int64{
		"SANDLOCK_EXCEPTION_KILL":       int64(sandlock.ExceptionKill),
		"SANDLOCK_EXCEPTION_DENY_EPERM": int64(sandlock.ExceptionDenyEPERM),
		"SANDLOCK_EXCEPTION_DENY_EIO":   int64(sandlock.ExceptionDenyEIO),
		"SANDLOCK_EXCEPTION_CONTINUE":   int64(sandlock.ExceptionContinue),
		"SANDLOCK_INJECT_WRITABLE":      int64(sandlock.InjectWritable),
		"SANDLOCK_INJECT_NO_CLOEXEC":    int64(sandlock.InjectNoCloexec),
		"SANDLOCK_OK":                   int64(sandlock.StatusOK),
		"SANDLOCK_STILL_RUNNING":        int64(sandlock.StatusStillRunning),
		"SANDLOCK_E_INVALID":            int64(sandlock.StatusInvalid),
		"SANDLOCK_E_NOT_FOUND":          int64(sandlock.StatusNotFound),
		"SANDLOCK_E_UNSUPPORTED":        int64(sandlock.StatusUnsupported),
		"SANDLOCK_E_SPAWN":              int64(sandlock.StatusSpawn),
		"SANDLOCK_E_IO":                 int64(sandlock.StatusIO),
		"SANDLOCK_E_PANIC":              int64(sandlock.StatusPanic),
		"SANDLOCK_E_DENIED":             int64(sandlock.StatusDenied),
		"SANDLOCK_E_MEMORY":             int64(sandlock.StatusMemory),
		"SANDLOCK_E_HANDLER":            int64(sandlock.StatusHandler),
		"SANDLOCK_CATEGORY_PROCESS":     int64(sandlock.CategoryProcess),
		"SANDLOCK_CATEGORY_EXEC":        int64(sandlock.CategoryExec),
		"SANDLOCK_CATEGORY_NETWORK":     int64(sandlock.CategoryNetwork),
		"SANDLOCK_CATEGORY_FILE":        int64(sandlock.CategoryFile),
		"SANDLOCK_CATEGORY_SIGNAL":      int64(sandlock.CategorySignal),
		"SANDLOCK_CATEGORY_PATHS":       int64(sandlock.CategoryPaths),
		"SANDLOCK_NET_CONNECT":          int64(sandlock.NetConnect),
		"SANDLOCK_NET_BIND":             int64(sandlock.NetBind),
		"SANDLOCK_NET_LISTEN":           int64(sandlock.NetListen),
		"SANDLOCK_NET_SENDTO":           int64(sandlock.NetSendTo),
	} {
		if want, ok := h.Consts[name]; !ok || got != want {
			t.Errorf("%s: Go has %d, the header %d (present: %v)", name, got, want, ok)
		}
	}
}
