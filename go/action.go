package sandlock

import (
	"os"
	"runtime"
	"syscall"

	"github.com/sandlock/sandlock/go/internal/capi"
	"golang.org/x/sys/unix"
)

// Action is a handler's answer to one syscall. The zero Action is no
// answer: the handler's exception policy applies.
type Action struct {
	kind  uint32
	flags InjectFlag
	value int64
	file  *os.File
	bytes []byte
}

// kindInjectBytes is the Go side's own kind: the library has no action
// kind for it, its setter makes an fd injection.
const kindInjectBytes = 1 << 16

// InjectFlag changes the fd an injection gives the child.
type InjectFlag uint32

const (
	// InjectWritable opens InjectBytes' memfd read-write (its size stays
	// sealed).
	InjectWritable InjectFlag = capi.InjectWritable
	// InjectNoCloexec keeps the child's new fd open across execve.
	InjectNoCloexec InjectFlag = capi.InjectNoCloexec
)

// Continue lets the syscall run as asked. Landlock and the filter still
// apply: Continue observes, it never grants.
func Continue() Action { return Action{kind: capi.ActionContinue} }

// Errno fails the syscall with e (1..4095). A handler that answers with
// another value gets its exception policy, and Static refuses it.
func Errno(e syscall.Errno) Action { return Action{kind: capi.ActionErrno, value: int64(e)} }

// ReturnValue skips the syscall and makes it return v.
func ReturnValue(v int64) Action { return Action{kind: capi.ActionReturnValue, value: v} }

// Hold leaves the child blocked in the syscall until the sandbox ends.
func Hold() Action { return Action{kind: capi.ActionHold} }

// Kill sends sig (1..64) to the sandbox's process group and fails the
// syscall with EPERM. A handler that answers with another signal gets its
// exception policy.
func Kill(sig syscall.Signal) Action { return Action{kind: capi.ActionKill, value: int64(sig)} }

// InjectFile answers the syscall with a new fd in the child referring to
// f's file. The package duplicates f when the action is sent, so the
// caller keeps f and closes it when it likes. Of the flags only
// InjectNoCloexec applies (the fd has f's access mode); any other, or a
// nil or closed f, makes the answer fail, and the handler's exception
// policy applies.
func InjectFile(f *os.File, flags InjectFlag) Action {
	return Action{kind: capi.ActionInjectFdSend, file: f, flags: flags}
}

// InjectBytes answers the syscall with a new fd in the child holding a
// copy of b: a sealed memfd, read-only and close-on-exec unless flags say
// otherwise.
func InjectBytes(b []byte, flags InjectFlag) Action {
	return Action{kind: kindInjectBytes, bytes: b, flags: flags}
}

// String names the action, as a log line shows it.
func (a Action) String() string {
	switch a.kind {
	case capi.ActionContinue:
		return "Continue"
	case capi.ActionErrno:
		return "Errno(" + syscall.Errno(a.value).Error() + ")"
	case capi.ActionReturnValue:
		return "ReturnValue"
	case capi.ActionHold:
		return "Hold"
	case capi.ActionKill:
		return "Kill(" + syscall.Signal(a.value).String() + ")"
	case capi.ActionInjectFdSend:
		return "InjectFile"
	case kindInjectBytes:
		return "InjectBytes"
	}
	return "no action"
}

// answer writes a into the trampoline's answer (or, for bytes, sets the
// action itself); non-zero makes the exception policy answer.
func (a Action) answer(out capi.Out, ans *capi.Answer) int32 {
	switch a.kind {
	case capi.ActionContinue, capi.ActionErrno, capi.ActionReturnValue, capi.ActionHold, capi.ActionKill:
		if !a.fitsC() {
			return -1
		}
		ans.Kind, ans.Value = a.kind, a.value
		return 0
	case capi.ActionInjectFdSend:
		return a.answerFile(ans)
	case kindInjectBytes:
		if rc := out.SetInjectBytes(a.bytes, uint32(a.flags)); rc != 0 {
			return rc
		}
		ans.Kind = capi.AnswerSet
		return 0
	}
	return -1
}

// fitsC reports whether a's value fits the int32 the C setters take for
// an errno or a signal; the library checks the range within it. A wider
// value would lose its high bits on the way: Errno(1<<32|EACCES) would
// be sent as EACCES.
func (a Action) fitsC() bool {
	switch a.kind {
	case capi.ActionErrno, capi.ActionKill:
		return a.value == int64(int32(a.value))
	}
	return true
}

// answerFile hands the library a duplicate of the file's fd (numbered 3 or
// more, as the library requires), which the library then owns.
func (a Action) answerFile(ans *capi.Answer) int32 {
	if a.file == nil || a.flags&^InjectNoCloexec != 0 {
		return -1
	}
	raw, err := a.file.SyscallConn()
	if err != nil {
		return -1
	}
	dup := -1
	ctlErr := raw.Control(func(fd uintptr) {
		dup, err = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 3)
	})
	runtime.KeepAlive(a.file)
	if ctlErr != nil || err != nil {
		return -1
	}
	ans.Kind, ans.Value = capi.ActionInjectFdSend, int64(dup)
	if a.flags&InjectNoCloexec == 0 {
		ans.Flags = unix.O_CLOEXEC
	}
	return 0
}
