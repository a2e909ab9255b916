package sandlock

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sandlock/sandlock/go/internal/capi"
)

// Category is a set of event categories for Cmd.PolicyCategories,
// combined with |; an Event has exactly one.
type Category uint32

const (
	// CategoryProcess: clone, fork, vfork.
	CategoryProcess Category = capi.CategoryProcess
	// CategoryExec: execve, execveat, with argv.
	CategoryExec Category = capi.CategoryExec
	// CategoryNetwork: connect, bind, listen, and sends with an address.
	CategoryNetwork Category = capi.CategoryNetwork
	// CategoryFile: opens, with their flags (never their path).
	CategoryFile Category = capi.CategoryFile
	// CategorySignal: signals to other tasks.
	CategorySignal Category = capi.CategorySignal
	// CategoryPaths makes no events: it is what Control.DenyPath needs.
	// Once a path is denied, the supervisor makes every path call of the
	// child itself (see docs/policy-fn.md).
	CategoryPaths Category = capi.CategoryPaths
)

var categoryNames = []struct {
	c    Category
	name string
}{
	{CategoryProcess, "PROCESS"}, {CategoryExec, "EXEC"}, {CategoryNetwork, "NETWORK"},
	{CategoryFile, "FILE"}, {CategorySignal, "SIGNAL"}, {CategoryPaths, "PATHS"},
}

// String names the categories in c, e.g. "EXEC|NETWORK".
func (c Category) String() string {
	var names []string
	for _, n := range categoryNames {
		if c&n.c != 0 {
			names = append(names, n.name)
			c &^= n.c
		}
	}
	if c != 0 || len(names) == 0 {
		names = append(names, fmt.Sprintf("%#x", uint32(c)))
	}
	return strings.Join(names, "|")
}

// NetOp is what a network event is about.
type NetOp uint32

const (
	NetConnect NetOp = capi.NetConnect
	NetBind    NetOp = capi.NetBind
	NetListen  NetOp = capi.NetListen
	// NetSendTo is sendto, sendmsg or sendmmsg with a destination.
	NetSendTo NetOp = capi.NetSendTo
)

func (o NetOp) String() string {
	switch o {
	case NetConnect:
		return "connect"
	case NetBind:
		return "bind"
	case NetListen:
		return "listen"
	case NetSendTo:
		return "sendto"
	}
	return fmt.Sprintf("NetOp(%d)", uint32(o))
}

// Decision is a PolicyFunc's answer to an event. The zero Decision is no
// answer: the event gets Cmd.PolicyOnFailure, as for a panic.
type Decision struct {
	kind  decisionKind
	errno syscall.Errno
}

type decisionKind uint8

const (
	decisionNone decisionKind = iota
	decisionAllow
	decisionDeny
	decisionFlag
)

// Allow lets the call go on: the other handlers, Landlock and the kernel
// still decide.
func Allow() Decision { return Decision{kind: decisionAllow} }

// Deny fails the call with errno (1..4095; any other value gets the
// failure outcome, and is refused as Cmd.PolicyOnFailure).
func Deny(errno syscall.Errno) Decision { return Decision{kind: decisionDeny, errno: errno} }

// Flag allows the call and lists its event in ProcessState.Flagged.
func Flag() Decision { return Decision{kind: decisionFlag} }

func (d Decision) String() string {
	switch d.kind {
	case decisionAllow:
		return "allow"
	case decisionDeny:
		return fmt.Sprintf("deny (errno %d: %v)", int(d.errno), d.errno)
	case decisionFlag:
		return "flag"
	}
	return "no decision"
}

// answer is d as the library's decision and errno.
func (d Decision) answer() (uint32, int32) {
	switch d.kind {
	case decisionAllow:
		return capi.DecisionAllow, 0
	case decisionDeny:
		return capi.DecisionDeny, clampErrno(d.errno)
	case decisionFlag:
		return capi.DecisionFlag, 0
	}
	return capi.DecisionFailed, 0
}

// clampErrno keeps an errno the library cannot take (outside int32) out
// of the range it accepts, so that it gets the failure outcome as the
// documentation says instead of wrapping into a valid one.
func clampErrno(e syscall.Errno) int32 {
	if uint64(e) > math.MaxInt32 {
		return 0
	}
	return int32(e)
}

// Event is one thing the child did, copied out of the library: it is
// safe to keep after the PolicyFunc returned. Exactly one detail pointer,
// the one of Category, is set (none for CategoryPaths, which has no
// events). Events never hold a path: one read from the child can change
// before the kernel reads it.
type Event struct {
	Syscall   string // the syscall's name, e.g. "execve"
	SyscallNr int
	Category  Category
	Pid       int // the task (thread id) that made the call
	Ppid      int // the parent of its process
	// DeniedByPolicy: a static rule answers the call with an error
	// whatever the decision (a port no rule grants, a fork past the
	// process limit, ...); the PolicyFunc may flag it, not allow it.
	DeniedByPolicy bool
	// RaceFree: every field is what the kernel uses. When false, another
	// task could change what the kernel reads after the event was taken.
	RaceFree bool

	Process *ProcessDetail
	Exec    *ExecDetail
	Network *NetworkDetail
	File    *FileDetail
	Signal  *SignalDetail
}

// ProcessDetail is a CategoryProcess event's.
type ProcessDetail struct {
	Flags  uint64 // the clone flags (SIGCHLD for fork)
	Thread bool   // the call makes a thread (CLONE_THREAD)
}

// ExecDetail is a CategoryExec event's.
type ExecDetail struct {
	Argv []string
	// Truncated: more arguments or bytes than an event holds (4096
	// arguments, 256 KiB); Argv has the first ones.
	Truncated bool
}

// NetworkDetail is a CategoryNetwork event's.
type NetworkDetail struct {
	Op     NetOp
	Family int        // the socket's address family (syscall.AF_INET, AF_UNIX, ...)
	Addr   netip.Addr // the IPv4 or IPv6 address; invalid when there is none
	Port   int        // the port, or -1 when there is none
}

// FileDetail is a CategoryFile event's.
type FileDetail struct {
	Flags int // the open flags (syscall.O_RDONLY, O_CREAT, ...)
}

// SignalDetail is a CategorySignal event's.
type SignalDetail struct {
	// Target is as the syscall names it: a pid, a negative process
	// group, a thread id, or a pidfd.
	Target int64
	Signal syscall.Signal
}

// syscallNames caches SyscallName, one cgo call per syscall per process.
var syscallNames sync.Map

func cachedSyscallName(nr int64) string {
	if name, ok := syscallNames.Load(nr); ok {
		return name.(string)
	}
	name := capi.SyscallName(nr)
	syscallNames.Store(nr, name)
	return name
}

// newEvent copies the library's event.
func newEvent(ce capi.Event) *Event {
	d := ce.Data()
	ev := &Event{
		Syscall: cachedSyscallName(d.SyscallNr), SyscallNr: int(d.SyscallNr), Category: Category(d.Category),
		Pid: int(d.Pid), Ppid: int(d.Ppid), DeniedByPolicy: d.DeniedByPolicy, RaceFree: d.RaceFree,
	}
	switch ev.Category {
	case CategoryProcess:
		ev.Process = &ProcessDetail{Flags: d.CloneFlags, Thread: d.Thread}
	case CategoryExec:
		ev.Exec = &ExecDetail{Argv: ce.Argv(), Truncated: d.ArgvTruncated}
	case CategoryNetwork:
		n := &NetworkDetail{Op: NetOp(d.NetOp), Family: int(d.Family), Port: int(d.Port)}
		switch d.AddrFamily {
		case syscall.AF_INET:
			n.Addr = netip.AddrFrom4([4]byte(d.Addr[:4]))
		case syscall.AF_INET6:
			n.Addr = netip.AddrFrom16(d.Addr)
		}
		ev.Network = n
	case CategoryFile:
		ev.File = &FileDetail{Flags: int(d.OpenFlags)}
	case CategorySignal:
		ev.Signal = &SignalDetail{Target: d.SignalTarget, Signal: syscall.Signal(d.Signal)}
	}
	return ev
}

// ErrControlDone is returned by a Control method used after its
// PolicyFunc call returned: the handle belongs to that one call.
var ErrControlDone = errors.New("sandlock: control used after its policy callback returned")

// Control tightens the running sandbox from a PolicyFunc, one way only:
// nothing any later call does widens what an earlier one narrowed, and
// each run starts from its Policy again. A tightening applies to calls
// decided after the method returned. The methods work, from any
// goroutine, while the PolicyFunc call that got the Control runs;
// afterwards they return ErrControlDone.
type Control struct {
	// mu's read side is held by each method while it is in the library;
	// the PolicyFunc's return takes the write side and ends the handle,
	// which is live only in between (never in a Control the caller made).
	mu   sync.RWMutex
	live bool
	c    capi.Control
}

func (c *Control) use(op string, f func(capi.Control) *capi.Err) error {
	if c == nil {
		return ErrControlDone
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.live {
		return ErrControlDone
	}
	return fromC(op, f(c.c))
}

// finish ends the handle, once every method in the library returned.
func (c *Control) finish() {
	c.mu.Lock()
	c.live = false
	c.mu.Unlock()
}

// DenyPath makes the file or directory at path (absolute; symlinks
// resolved now) unreachable to every process of the sandbox, by any
// name, for every open, create, rename, link, unlink, truncate and exec
// decided after it returns; a directory takes everything below it.
// Descriptors and mappings the child got before stay usable. It needs
// CategoryPaths in Cmd.PolicyCategories (ErrInvalid otherwise); a path
// that does not exist is ErrNotFound.
func (c *Control) DenyPath(path string) error {
	return c.use("Control.DenyPath", func(cc capi.Control) *capi.Err { return cc.DenyPath(path) })
}

// Destination is what a TCP connect may reach: an IPv4 or IPv6 network
// (a /32 or /128 Prefix is one address) and a port (0: any port).
type Destination struct {
	Prefix netip.Prefix
	Port   int
}

// RestrictConnect lets TCP connects decided from now on reach only dests,
// and only what every earlier call allowed too; with no dests, no
// destination at all. Policy.NetConnectTCP still applies.
func (c *Control) RestrictConnect(dests ...Destination) error {
	const op = "Control.RestrictConnect"
	cdests := make([]capi.Destination, len(dests))
	for i, d := range dests {
		if !d.Prefix.IsValid() {
			return invalid(op, "dests[%d].Prefix %v is not a valid prefix", i, d.Prefix)
		}
		if d.Port < 0 || d.Port > 65535 {
			return invalid(op, "dests[%d].Port %d is not a port (1..65535, or 0 for any)", i, d.Port)
		}
		addr := d.Prefix.Addr()
		cd := capi.Destination{Family: syscall.AF_INET6, Addr: addr.As16(), Prefix: uint8(d.Prefix.Bits()),
			Port: int32(d.Port)}
		if addr.Is4() {
			v4 := addr.As4()
			cd.Family, cd.Addr = syscall.AF_INET, [16]byte{}
			copy(cd.Addr[:], v4[:])
		}
		if d.Port == 0 {
			cd.Port = -1
		}
		cdests[i] = cd
	}
	return c.use(op, func(cc capi.Control) *capi.Err { return cc.RestrictConnect(cdests) })
}

// LowerMaxProcesses lets at most n tasks (n ≥ 1) be alive in the sandbox
// from now on; a fork past it fails with EAGAIN. A value above the
// current limit changes nothing.
func (c *Control) LowerMaxProcesses(n uint32) error {
	return c.use("Control.LowerMaxProcesses", func(cc capi.Control) *capi.Err { return cc.LowerMaxProcesses(n) })
}

// LowerMaxMemory lowers the address-space limit (RLIMIT_AS) of every
// process of the sandbox, now and of those it starts, to at most bytes
// (≥ 1). A value above the current limit changes nothing.
func (c *Control) LowerMaxMemory(bytes uint64) error {
	return c.use("Control.LowerMaxMemory", func(cc capi.Control) *capi.Err { return cc.LowerMaxMemory(bytes) })
}

// policyRegistration is a Cmd's PolicyFunc as the library's callback
// finds it behind its cgo.Handle.
type policyRegistration struct {
	fn     func(*Event, *Control) Decision
	panics *panicReport
}

// Decide copies the event, runs the PolicyFunc and ends the Control
// before returning. A panic is logged and gets the failure outcome.
func (r *policyRegistration) Decide(ce capi.Event, cc capi.Control) (decision uint32, errno int32) {
	ev := newEvent(ce)
	ctl := &Control{live: true, c: cc}
	returned := false
	defer func() {
		ctl.finish()
		if v := recover(); v != nil {
			r.panics.report("PolicyFunc on "+ev.Syscall, v, debug.Stack())
			decision, errno = capi.DecisionFailed, 0
		} else if !returned {
			reportGoexit("the PolicyFunc on " + ev.Syscall)
		}
	}()
	decision, errno = r.fn(ev, ctl).answer()
	returned = true
	return decision, errno
}

// defaultPolicyTimeLimit and defaultPolicyOnFailure are the library's
// defaults, which it needs restated when only one of the two is set.
var (
	defaultPolicyTimeLimit = time.Second
	defaultPolicyOnFailure = Deny(syscall.EPERM)
)

// setPolicyFunc hands the Cmd's PolicyFunc and its settings to cmd.
func (c *Cmd) setPolicyFunc(cmd *capi.Command) error {
	if c.PolicyFunc == nil {
		switch {
		case c.PolicyCategories != 0:
			return invalid("Cmd.PolicyCategories", "%v is set without a PolicyFunc", c.PolicyCategories)
		case c.PolicyTimeLimit != 0:
			return invalid("Cmd.PolicyTimeLimit", "%v is set without a PolicyFunc", c.PolicyTimeLimit)
		case c.PolicyOnFailure != Decision{}:
			return invalid("Cmd.PolicyOnFailure", "%v is set without a PolicyFunc", c.PolicyOnFailure)
		}
		return nil
	}
	if c.PolicyCategories == 0 {
		return invalid("Cmd.PolicyCategories", "no category: the PolicyFunc would never be called")
	}
	limit, onFailure := c.PolicyTimeLimit, c.PolicyOnFailure
	switch {
	case limit < 0:
		return invalid("Cmd.PolicyTimeLimit", "time limit %v is negative", limit)
	case millis(limit) > math.MaxUint32:
		return invalid("Cmd.PolicyTimeLimit", "time limit %v is more than %d ms", limit, uint32(math.MaxUint32))
	}
	r := &policyRegistration{fn: c.PolicyFunc, panics: c.panics}
	if err := cmd.SetPolicyFn(uint32(c.PolicyCategories), r); err != nil {
		return fromC("Cmd.PolicyCategories", err)
	}
	if limit == 0 && onFailure == (Decision{}) {
		return nil
	}
	if limit == 0 {
		limit = defaultPolicyTimeLimit
	}
	if onFailure == (Decision{}) {
		onFailure = defaultPolicyOnFailure
	}
	kind, errno := onFailure.answer()
	return fromC("Cmd.PolicyOnFailure", cmd.SetPolicyFnFailure(uint32(millis(limit)), kind, errno))
}

// flaggedEvents copies the events the child's PolicyFunc flagged.
func flaggedEvents(child *capi.Child) []Event {
	n := child.FlaggedCount()
	if n == 0 {
		return nil
	}
	events := make([]Event, 0, n)
	for i := range n {
		ce, ok := child.Flagged(i)
		if !ok {
			break
		}
		events = append(events, *newEvent(ce))
	}
	return events
}
