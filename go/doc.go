// Package sandlock runs untrusted programs in a Linux sandbox — Landlock
// for files, ports and IPC, a seccomp filter for the kernel's attack
// surface — and lets Go code decide chosen syscalls of the sandboxed
// program while it runs.
//
// The API is os/exec's: a Policy says what the child may do, Command
// makes a *Cmd, and Start, Wait, Run, Output and CombinedOutput run it,
// with Stdin, Stdout and Stderr as any io.Reader and io.Writer.
//
//	policy := &sandlock.Policy{
//		FSRead:  []string{"/usr", "/lib", "/lib64", "/bin", "/etc"},
//		Env:     map[string]string{"PATH": "/usr/bin:/bin"},
//		Timeout: 10 * time.Second,
//	}
//	out, err := sandlock.Command(policy, "python3", "job.py").Output()
//
// The child starts with nothing the policy does not grant: no file, no
// port, an empty environment, no capabilities, no inherited fds, its own
// process group. Policy.Timeout and a CommandContext's context kill that
// whole group.
//
// # Handlers
//
// Cmd.Handle registers a Handler on a syscall. The kernel stops the child
// in that syscall and a supervisor thread of the library calls the
// handler with a *Notif (the syscall's number and arguments, and access
// to the child's memory); the Action it returns answers the call:
// Continue, Errno, ReturnValue, Hold, Kill, InjectFile or InjectBytes.
//
//	cmd.Handle("openat", sandlock.HandlerFunc(func(n *sandlock.Notif) sandlock.Action {
//		path, err := n.ReadCString(n.Args[1], 4096)
//		if err == nil && strings.HasPrefix(path, "/etc/shadow") {
//			return sandlock.Errno(syscall.EACCES)
//		}
//		return sandlock.Continue() // Landlock still decides
//	}))
//
// Continue observes, it never grants: Landlock and the filter still apply
// to the call. Another thread of the child may change memory after a
// handler read it, so never base a grant on it.
//
// A handler runs while the child waits, on a C thread calling into Go:
// keep it short, and safe for concurrent calls. A panic is recovered and
// answered by the handler's exception policy (OnException; ExceptionKill
// by default), and reported through Cmd.ErrorLog. runtime.Goexit cannot
// be: Go cannot end a goroutine on a thread it did not create, so a
// handler or PolicyFunc that calls it — t.Fatal, t.FailNow and t.Skip do
// — aborts the whole process. In tests, use t.Error and return, or send
// the failure on a channel. A Notif's accessors work only until the
// handler returns. For a fixed answer, Static is answered by the library
// itself without entering Go at all.
//
// # PolicyFunc
//
// Handlers are the low-level tool. Cmd.PolicyFunc is the one to reach
// for first: it sees an Event for each thing the child does in
// Cmd.PolicyCategories — process creation, execs with their argv,
// connects, binds and listens with host and port, opens with their
// flags, signals — and answers Allow, Deny(errno) or Flag (allow, and
// list the event in ProcessState.Flagged).
//
//	cmd.PolicyCategories = sandlock.CategoryExec
//	cmd.PolicyFunc = func(ev *sandlock.Event, ctl *sandlock.Control) sandlock.Decision {
//		if filepath.Base(ev.Exec.Argv[0]) == "curl" {
//			return sandlock.Deny(syscall.EACCES)
//		}
//		return sandlock.Allow()
//	}
//
// Every field of an Event is what the kernel uses, or Event.RaceFree
// says it is not: the library stops the tasks that could rewrite an
// exec's argv and makes connects itself. Events hold no path, since a
// path read from the child can change before the kernel reads it; path
// control is Policy.FSRead and FSWrite, and Control.DenyPath.
//
// The *Control a PolicyFunc gets tightens the running sandbox, one way
// only: DenyPath (with CategoryPaths), RestrictConnect, LowerMaxProcesses,
// LowerMaxMemory. It works while that PolicyFunc call runs; afterwards
// its methods return ErrControlDone. A call that panics, returns the zero
// Decision or passes Cmd.PolicyTimeLimit gets Cmd.PolicyOnFailure
// (Deny(EPERM) by default), and a panic is logged to Cmd.ErrorLog; the
// child goes on. docs/policy-fn.md in the repository is the contract.
//
// # Errors
//
// Failures of the library are *Error values carrying its status, errno
// and message (which names the offending value); errors.Is works with
// ErrInvalid, ErrNotFound, ErrUnsupported, ErrSpawn, ErrDenied and
// ErrMemory, and with the errno (errors.Is(err, syscall.EACCES)). Start
// checks everything — the policy, each handler's syscall and action, the
// program — before the child runs. A child that does not succeed is an
// *ExitError, whose TimedOut tells a timeout or cancellation apart.
//
// # Building
//
// The package links libsandlock.so.1 through pkg-config (cgo; all of it
// in internal/capi). Against an uninstalled checkout, run make stage and
// point PKG_CONFIG_PATH at build/prefix/lib/pkgconfig; see the README.
package sandlock
