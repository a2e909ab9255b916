package sandlock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"sync/atomic"
	"time"

	"github.com/sandlock/sandlock/go/internal/capi"
)

// Cmd is a program to run in a sandbox under a Policy, shaped like
// os/exec's Cmd. A Cmd runs once: it cannot be started again after Start,
// even a failed one.
type Cmd struct {
	// Path is the program. Without a "/" the library searches the child's
	// PATH (from Policy.Env), not the caller's.
	Path string
	// Args holds the command-line arguments, including the command as
	// Args[0] as in os/exec. The child's argv[0] is Path: the C ABI runs
	// its first argument.
	Args []string
	// Dir is the child's working directory (empty: the caller's); it must
	// exist when the command starts.
	Dir string

	// Stdin is what the child reads: nil reads /dev/null; an *os.File is
	// passed to the child directly; any other Reader is copied through a
	// pipe by a goroutine, and Wait waits for it.
	Stdin io.Reader
	// Stdout and Stderr take what the child writes, with the same rules
	// (nil: /dev/null). When both are the same Writer, one pipe serves both.
	Stdout io.Writer
	Stderr io.Writer

	// Name labels the run in the library's error messages.
	Name string
	// ErrorLog receives each handler and PolicyFunc panic with its stack;
	// nil logs through the log package's standard logger.
	ErrorLog *log.Logger

	// PolicyFunc, when set, sees an Event for each call of the child in
	// PolicyCategories and answers Allow, Deny or Flag; through its
	// Control it may tighten the running sandbox. It runs on a library
	// thread while the child waits, one event at a time, in the order the
	// calls were received (a call past PolicyTimeLimit may still run
	// while the next is given, so it must be safe for concurrent calls).
	// A call that panics, returns the zero Decision or a Deny with an
	// errno outside 1..4095, or passes PolicyTimeLimit gets
	// PolicyOnFailure; a panic is logged to ErrorLog. It must return:
	// runtime.Goexit (t.Fatal, t.FailNow, t.Skip) on the library's thread
	// aborts the whole process, as in a Handler. See docs/policy-fn.md.
	PolicyFunc func(ev *Event, ctl *Control) Decision
	// PolicyCategories are the categories PolicyFunc sees (at least one;
	// add CategoryPaths for Control.DenyPath).
	PolicyCategories Category
	// PolicyTimeLimit bounds each PolicyFunc call (0: the library's 1 s).
	PolicyTimeLimit time.Duration
	// PolicyOnFailure answers a failed PolicyFunc call (the zero
	// Decision: the library's Deny(syscall.EPERM)).
	PolicyOnFailure Decision

	// Process is the running child, set by Start.
	Process *Process
	// ProcessState describes the ended child, set by Wait.
	ProcessState *ProcessState

	policy   *Policy
	ctx      context.Context
	handlers []*registration
	panics   *panicReport
	started  bool

	closeAfterStart []io.Closer
	closeAfterWait  []io.Closer
	copiers         []func() error
	copyErrs        chan error

	waitDone  chan struct{} // closed once the child has ended
	watchDone chan struct{} // closed when the context watcher returned
	ctxKilled atomic.Bool
	waited    bool
}

// Command returns a Cmd that runs name with arg under policy p.
func Command(p *Policy, name string, arg ...string) *Cmd {
	return &Cmd{Path: name, Args: append([]string{name}, arg...), policy: p}
}

// CommandContext is Command with a context: when ctx is done before the
// child ends, the child's whole process group is killed, and Wait returns
// an *ExitError whose TimedOut is true.
func CommandContext(ctx context.Context, p *Policy, name string, arg ...string) *Cmd {
	if ctx == nil {
		panic("sandlock: CommandContext with a nil Context")
	}
	c := Command(p, name, arg...)
	c.ctx = ctx
	return c
}

// Handle registers h on the syscall called name (e.g. "openat"), after
// the handlers registered before it: the first that does not Continue
// answers. An unknown name, or a syscall the policy denies, makes Start
// fail. Handle must be called before Start.
func (c *Cmd) Handle(syscall string, h Handler, opts ...HandleOption) {
	if c.started {
		panic("sandlock: Cmd.Handle after Start")
	}
	r := &registration{syscall: syscall, handler: h, exception: ExceptionKill}
	for _, o := range opts {
		if o.apply != nil {
			o.apply(r)
		}
	}
	c.handlers = append(c.handlers, r)
}

// Run starts the command and waits for it.
func (c *Cmd) Run() error {
	if err := c.Start(); err != nil {
		return err
	}
	return c.Wait()
}

// Start starts the command without waiting for it. Everything is checked
// before the child runs: the policy, every handler's syscall and action,
// the program.
func (c *Cmd) Start() error {
	if c.started {
		return errors.New("sandlock: Cmd already started")
	}
	c.started = true
	err := c.start()
	closeAll(c.closeAfterStart)
	if err != nil {
		closeAll(c.closeAfterWait)
	}
	return err
}

func (c *Cmd) start() error {
	if c.ctx != nil {
		if err := c.ctx.Err(); err != nil {
			return err
		}
	}
	if c.policy == nil {
		return invalid("Start", "the Policy is nil")
	}
	if c.Path == "" {
		return invalid("Start", "Path is empty")
	}
	cp, err := c.policy.build(c.Dir)
	if err != nil {
		return err
	}
	defer cp.Free()
	argv := append([]string{c.Path}, c.Args[min(1, len(c.Args)):]...)
	cmd, cerr := capi.NewCommand(cp, argv)
	if cerr != nil {
		return fromC("Start", cerr)
	}
	// Handlers the command still owns (a failure before the spawn) have
	// their ud_drop, and so their cgo.Handle's Delete, run here.
	defer cmd.Free()
	if c.Name != "" {
		if err := cmd.SetName(c.Name); err != nil {
			return fromC("Cmd.Name", err)
		}
	}
	logf := log.Printf
	if c.ErrorLog != nil {
		logf = c.ErrorLog.Printf
	}
	c.panics = &panicReport{log: logf}
	if err := c.addHandlers(cmd); err != nil {
		return err
	}
	if err := c.setPolicyFunc(cmd); err != nil {
		return err
	}
	if err := c.connectStdio(cmd); err != nil {
		return err
	}
	child, cerr := cmd.Spawn()
	if cerr != nil {
		return fromC("Start", cerr)
	}
	c.Process = &Process{Pid: child.Pid(), child: child}
	c.waitDone = make(chan struct{})
	c.startCopiers()
	c.watchContext()
	return nil
}

func (c *Cmd) addHandlers(cmd *capi.Command) error {
	if len(c.handlers) > capi.MaxRegistrations {
		return invalid("Handle", "%d handlers: at most %d", len(c.handlers), capi.MaxRegistrations)
	}
	for _, r := range c.handlers {
		r.panics = c.panics
		nr, err := capi.SyscallNr(r.syscall)
		if err != nil {
			return fromC(fmt.Sprintf("Handle(%q)", r.syscall), err)
		}
		h, herr := r.newHandler()
		if herr != nil {
			return herr
		}
		if err := cmd.AddHandler(nr, h); err != nil {
			return fromC(fmt.Sprintf("Handle(%q)", r.syscall), err)
		}
	}
	return nil
}

// watchContext kills the child's group when the context ends first.
func (c *Cmd) watchContext() {
	if c.ctx == nil || c.ctx.Done() == nil {
		return
	}
	c.watchDone = make(chan struct{})
	go func() {
		defer close(c.watchDone)
		select {
		case <-c.ctx.Done():
			c.ctxKilled.Store(true)
			_ = c.Process.Kill()
		case <-c.waitDone:
		}
	}()
}

// Wait waits for the child to end and for the goroutines copying its
// streams, then releases everything the command held. It returns an
// *ExitError when the child did not succeed, else the first copy error.
func (c *Cmd) Wait() error {
	if c.Process == nil {
		return errors.New("sandlock: Cmd not started")
	}
	if c.waited {
		return errors.New("sandlock: Wait already called")
	}
	c.waited = true
	exit, werr := c.Process.child.Wait()
	var flagged []Event
	if werr == nil && c.PolicyFunc != nil {
		flagged = flaggedEvents(c.Process.child)
	}
	close(c.waitDone)
	if c.watchDone != nil {
		<-c.watchDone
	}
	c.Process.release()
	var copyErr error
	for range c.copiers {
		if err := <-c.copyErrs; err != nil && copyErr == nil {
			copyErr = err
		}
	}
	closeAll(c.closeAfterWait)
	if werr != nil {
		return fromC("Wait", werr)
	}
	c.ProcessState = &ProcessState{
		pid: c.Process.Pid, exit: exit, ctxKilled: c.ctxKilled.Load(), panicked: c.panics.String(),
		flagged: flagged,
	}
	if !c.ProcessState.Success() {
		return &ExitError{ProcessState: c.ProcessState}
	}
	return copyErr
}

func (c *Cmd) String() string {
	return fmt.Sprint(append([]string{c.Path}, c.Args[min(1, len(c.Args)):]...))
}

func closeAll(cs []io.Closer) {
	for _, c := range cs {
		_ = c.Close()
	}
}
