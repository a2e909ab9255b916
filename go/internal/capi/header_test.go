package capi

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/sandlock/sandlock/go/internal/cheader"
)

// header is the repository's include/sandlock.h: what cgo compiled
// against (the installed copy) must agree with it.
func header(t *testing.T) *cheader.Header {
	t.Helper()
	h, err := cheader.Load("../../../include/sandlock.h")
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestConstantsMatchTheHeader(t *testing.T) {
	h := header(t)
	for name, got := range map[string]int64{
		"SANDLOCK_OK": StatusOK, "SANDLOCK_STILL_RUNNING": StatusStillRunning,
		"SANDLOCK_E_INVALID": StatusInvalid, "SANDLOCK_E_NOT_FOUND": StatusNotFound,
		"SANDLOCK_E_UNSUPPORTED": StatusUnsupported, "SANDLOCK_E_SPAWN": StatusSpawn,
		"SANDLOCK_E_IO": StatusIO, "SANDLOCK_E_PANIC": StatusPanic, "SANDLOCK_E_DENIED": StatusDenied,
		"SANDLOCK_E_MEMORY": StatusMemory, "SANDLOCK_E_HANDLER": StatusHandler,
		"SANDLOCK_ACTION_UNSET": ActionUnset, "SANDLOCK_ACTION_CONTINUE": ActionContinue,
		"SANDLOCK_ACTION_ERRNO": ActionErrno, "SANDLOCK_ACTION_RETURN_VALUE": ActionReturnValue,
		"SANDLOCK_ACTION_INJECT_FD_SEND": ActionInjectFdSend, "SANDLOCK_ACTION_HOLD": ActionHold,
		"SANDLOCK_ACTION_KILL":    ActionKill,
		"SANDLOCK_EXCEPTION_KILL": ExceptionKill, "SANDLOCK_EXCEPTION_DENY_EPERM": ExceptionDenyEPERM,
		"SANDLOCK_EXCEPTION_CONTINUE": ExceptionContinue, "SANDLOCK_EXCEPTION_DENY_EIO": ExceptionDenyEIO,
		"SANDLOCK_EXIT_EXITED": ExitExited, "SANDLOCK_EXIT_SIGNALED": ExitSignaled,
		"SANDLOCK_EXIT_TIMED_OUT": ExitTimedOut, "SANDLOCK_EXIT_HANDLER_FAILED": ExitHandlerFailed,
		"SANDLOCK_EXIT_HANDLER_KILLED": ExitHandlerKilled,
		"SANDLOCK_INJECT_WRITABLE":     InjectWritable, "SANDLOCK_INJECT_NO_CLOEXEC": InjectNoCloexec,
		"SANDLOCK_CATEGORY_PROCESS": CategoryProcess, "SANDLOCK_CATEGORY_EXEC": CategoryExec,
		"SANDLOCK_CATEGORY_NETWORK": CategoryNetwork, "SANDLOCK_CATEGORY_FILE": CategoryFile,
		"SANDLOCK_CATEGORY_SIGNAL": CategorySignal, "SANDLOCK_CATEGORY_PATHS": CategoryPaths,
		"SANDLOCK_NET_CONNECT": NetConnect, "SANDLOCK_NET_BIND": NetBind, "SANDLOCK_NET_LISTEN": NetListen,
		"SANDLOCK_NET_SENDTO":     NetSendTo,
		"SANDLOCK_DECISION_ALLOW": DecisionAllow, "SANDLOCK_DECISION_DENY": DecisionDeny,
		"SANDLOCK_DECISION_FLAG": DecisionFlag,
		"SANDLOCK_MAX_ARGC":      MaxArgc, "SANDLOCK_MAX_REGISTRATIONS": MaxRegistrations,
		"SANDLOCK_VERSION_MAJOR": VersionMajor,
	} {
		want, ok := h.Consts[name]
		if !ok {
			t.Errorf("%s is not in the header", name)
		} else if got != want {
			t.Errorf("%s: Go has %d, the header %d", name, got, want)
		}
	}
	// AnswerSet and DecisionFailed must never collide with a value the
	// library defines.
	for name, v := range h.Consts {
		if v == AnswerSet {
			t.Errorf("AnswerSet collides with %s", name)
		}
		if v == DecisionFailed && strings.HasPrefix(name, "SANDLOCK_DECISION_") {
			t.Errorf("DecisionFailed collides with %s", name)
		}
	}
}

func TestStructLayoutsMatchTheHeader(t *testing.T) {
	h := header(t)
	for name, size := range map[string]uintptr{
		"sandlock_notif_data_t":  SizeofNotifData,
		"sandlock_action_out_t":  SizeofActionOut,
		"sandlock_exit_t":        SizeofExit,
		"sandlock_event_t":       SizeofEvent,
		"sandlock_destination_t": SizeofDestination,
	} {
		if l := h.Types[name]; l == nil || l.Size != size {
			t.Errorf("%s: the compiler says %d bytes, the header %+v", name, size, l)
		}
	}
	notif := h.Types["sandlock_notif_data_t"]
	var n NotifData
	for field, off := range map[string]uintptr{
		"id": unsafe.Offsetof(n.ID), "pid": unsafe.Offsetof(n.Pid), "flags": unsafe.Offsetof(n.Flags),
		"syscall_nr": unsafe.Offsetof(n.Syscall), "arch": unsafe.Offsetof(n.Arch),
		"instruction_pointer": unsafe.Offsetof(n.IP), "args": unsafe.Offsetof(n.Args),
	} {
		if want, ok := notif.Offsets[field]; !ok || want != off {
			t.Errorf("NotifData.%s at %d, the header's %s at %d", field, off, field, want)
		}
	}
	if unsafe.Sizeof(n) != notif.Size || len(notif.Offsets) != 7 {
		t.Errorf("NotifData is %d bytes with 7 fields; the header's %d bytes, %d fields",
			unsafe.Sizeof(n), notif.Size, len(notif.Offsets))
	}
}

func TestEventDataHasTheHeadersLayout(t *testing.T) {
	event := header(t).Types["sandlock_event_t"]
	if event == nil {
		t.Fatal("sandlock_event_t is not in the header")
	}
	var e EventData
	offsets := map[string]uintptr{
		"size": unsafe.Offsetof(e.Size), "category": unsafe.Offsetof(e.Category),
		"syscall_nr": unsafe.Offsetof(e.SyscallNr), "pid": unsafe.Offsetof(e.Pid), "ppid": unsafe.Offsetof(e.Ppid),
		"denied_by_policy": unsafe.Offsetof(e.DeniedByPolicy), "race_free": unsafe.Offsetof(e.RaceFree),
		"thread": unsafe.Offsetof(e.Thread), "argv_truncated": unsafe.Offsetof(e.ArgvTruncated),
		"clone_flags": unsafe.Offsetof(e.CloneFlags), "argc": unsafe.Offsetof(e.Argc),
		"net_op": unsafe.Offsetof(e.NetOp), "family": unsafe.Offsetof(e.Family),
		"addr_family": unsafe.Offsetof(e.AddrFamily), "addr": unsafe.Offsetof(e.Addr),
		"port": unsafe.Offsetof(e.Port), "signal": unsafe.Offsetof(e.Signal),
		"signal_target": unsafe.Offsetof(e.SignalTarget), "open_flags": unsafe.Offsetof(e.OpenFlags),
	}
	for field, off := range offsets {
		if want, ok := event.Offsets[field]; !ok || want != off {
			t.Errorf("EventData.%s at %d, the header's %s at %d (present: %v)", field, off, field, want, ok)
		}
	}
	if unsafe.Sizeof(e) != event.Size || len(event.Offsets) != len(offsets) {
		t.Errorf("EventData is %d bytes with %d fields; the header's %d bytes, %d fields",
			unsafe.Sizeof(e), len(offsets), event.Size, len(event.Offsets))
	}
}

func TestLibraryMajorVersion(t *testing.T) {
	if got := Version() >> 16; got != VersionMajor {
		t.Fatalf("library major %d, header %d", got, VersionMajor)
	}
}
