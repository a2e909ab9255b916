package sandlock

import "github.com/sandlock/sandlock/go/internal/capi"

// SyscallNumber is the number of the syscall called name on this
// architecture, as the library knows it (e.g. "openat").
func SyscallNumber(name string) (int, error) {
	nr, err := capi.SyscallNr(name)
	if err != nil {
		return -1, fromC("SyscallNumber", err)
	}
	return int(nr), nil
}

// SyscallName is the name of syscall nr on this architecture, or "" when
// there is none: what to print for Notif.Syscall.
func SyscallName(nr int) string { return capi.SyscallName(int64(nr)) }

// LandlockABI is the Landlock ABI version of the running kernel (6 or
// more enforces the default policy), or an *Error with ErrUnsupported
// when Landlock is not enabled.
func LandlockABI() (int, error) {
	abi := capi.LandlockABI()
	if abi < 0 {
		return 0, &Error{Op: "LandlockABI", Status: Status(abi), Message: "Landlock is not enabled in this kernel"}
	}
	return int(abi), nil
}
