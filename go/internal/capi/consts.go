package capi

/*
#include <sandlock.h>
*/
import "C"

// The header's values, as cgo reads them from the installed sandlock.h (a
// test compares them with include/sandlock.h).
const (
	StatusOK           = C.SANDLOCK_OK
	StatusStillRunning = C.SANDLOCK_STILL_RUNNING
	StatusInvalid      = C.SANDLOCK_E_INVALID
	StatusNotFound     = C.SANDLOCK_E_NOT_FOUND
	StatusUnsupported  = C.SANDLOCK_E_UNSUPPORTED
	StatusSpawn        = C.SANDLOCK_E_SPAWN
	StatusIO           = C.SANDLOCK_E_IO
	StatusPanic        = C.SANDLOCK_E_PANIC
	StatusDenied       = C.SANDLOCK_E_DENIED
	StatusMemory       = C.SANDLOCK_E_MEMORY
	StatusHandler      = C.SANDLOCK_E_HANDLER

	ActionUnset        = C.SANDLOCK_ACTION_UNSET
	ActionContinue     = C.SANDLOCK_ACTION_CONTINUE
	ActionErrno        = C.SANDLOCK_ACTION_ERRNO
	ActionReturnValue  = C.SANDLOCK_ACTION_RETURN_VALUE
	ActionInjectFdSend = C.SANDLOCK_ACTION_INJECT_FD_SEND
	ActionHold         = C.SANDLOCK_ACTION_HOLD
	ActionKill         = C.SANDLOCK_ACTION_KILL

	ExceptionKill      = C.SANDLOCK_EXCEPTION_KILL
	ExceptionDenyEPERM = C.SANDLOCK_EXCEPTION_DENY_EPERM
	ExceptionContinue  = C.SANDLOCK_EXCEPTION_CONTINUE
	ExceptionDenyEIO   = C.SANDLOCK_EXCEPTION_DENY_EIO

	ExitExited        = C.SANDLOCK_EXIT_EXITED
	ExitSignaled      = C.SANDLOCK_EXIT_SIGNALED
	ExitTimedOut      = C.SANDLOCK_EXIT_TIMED_OUT
	ExitHandlerFailed = C.SANDLOCK_EXIT_HANDLER_FAILED
	ExitHandlerKilled = C.SANDLOCK_EXIT_HANDLER_KILLED

	InjectWritable  = C.SANDLOCK_INJECT_WRITABLE
	InjectNoCloexec = C.SANDLOCK_INJECT_NO_CLOEXEC

	CategoryProcess = C.SANDLOCK_CATEGORY_PROCESS
	CategoryExec    = C.SANDLOCK_CATEGORY_EXEC
	CategoryNetwork = C.SANDLOCK_CATEGORY_NETWORK
	CategoryFile    = C.SANDLOCK_CATEGORY_FILE
	CategorySignal  = C.SANDLOCK_CATEGORY_SIGNAL
	CategoryPaths   = C.SANDLOCK_CATEGORY_PATHS

	NetConnect = C.SANDLOCK_NET_CONNECT
	NetBind    = C.SANDLOCK_NET_BIND
	NetListen  = C.SANDLOCK_NET_LISTEN
	NetSendTo  = C.SANDLOCK_NET_SENDTO

	DecisionAllow = C.SANDLOCK_DECISION_ALLOW
	DecisionDeny  = C.SANDLOCK_DECISION_DENY
	DecisionFlag  = C.SANDLOCK_DECISION_FLAG

	MaxArgc          = C.SANDLOCK_MAX_ARGC
	MaxRegistrations = C.SANDLOCK_MAX_REGISTRATIONS

	VersionMajor = C.SANDLOCK_VERSION_MAJOR
)

// Sizes of the header's structs as the C compiler lays them out.
const (
	SizeofNotifData   = C.sizeof_sandlock_notif_data_t
	SizeofActionOut   = C.sizeof_sandlock_action_out_t
	SizeofExit        = C.sizeof_sandlock_exit_t
	SizeofEvent       = C.sizeof_sandlock_event_t
	SizeofDestination = C.sizeof_sandlock_destination_t
)
