package sandlock_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	sandlock "github.com/sandlock/sandlock/go"
)

// A policy that lets the child run system programs and nothing more.
var examplePolicy = &sandlock.Policy{
	FSRead:  []string{"/usr", "/lib", "/lib64", "/bin", "/etc"},
	Env:     map[string]string{"PATH": "/usr/bin:/bin"},
	Timeout: 10 * time.Second,
}

func ExampleCommand() {
	out, err := sandlock.Command(examplePolicy, "echo", "hello from the sandbox").Output()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	// Output: hello from the sandbox
}

func ExampleCmd_Handle() {
	cmd := sandlock.Command(examplePolicy, "cat", "/etc/hostname")
	cmd.Handle("openat", sandlock.HandlerFunc(func(n *sandlock.Notif) sandlock.Action {
		if path, err := n.ReadCString(n.Args[1], 4096); err == nil && path == "/etc/hostname" {
			return sandlock.Errno(syscall.EACCES)
		}
		return sandlock.Continue()
	}))
	out, err := cmd.CombinedOutput()
	fmt.Print(string(out))
	fmt.Println(err)
	// Output:
	// cat: /etc/hostname: Permission denied
	// exit status 1
}

func ExampleCmd_PolicyFunc() {
	cmd := sandlock.Command(examplePolicy, "sh", "-c", "uname; echo uname=$?; ls -d /; echo ls=$?")
	cmd.PolicyCategories = sandlock.CategoryExec
	cmd.PolicyFunc = func(ev *sandlock.Event, _ *sandlock.Control) sandlock.Decision {
		switch filepath.Base(ev.Exec.Argv[0]) {
		case "uname":
			return sandlock.Deny(syscall.EACCES)
		case "ls":
			return sandlock.Flag() // allowed, and listed after the run
		}
		return sandlock.Allow()
	}
	out, err := cmd.Output()
	fmt.Print(string(out))
	for _, ev := range cmd.ProcessState.Flagged() {
		fmt.Println("flagged:", ev.Syscall, ev.Exec.Argv)
	}
	fmt.Println(err)
	// Output:
	// uname=126
	// /
	// ls=0
	// flagged: execve [ls -d /]
	// <nil>
}

func ExampleInjectBytes() {
	cmd := sandlock.Command(examplePolicy, "cat", "/config/settings.toml")
	cmd.Handle("openat", sandlock.HandlerFunc(func(n *sandlock.Notif) sandlock.Action {
		if path, _ := n.ReadCString(n.Args[1], 4096); path == "/config/settings.toml" {
			return sandlock.InjectBytes([]byte("mode = \"virtual\"\n"), 0)
		}
		return sandlock.Continue()
	}))
	out, _ := cmd.Output()
	fmt.Print(string(out))
	// Output: mode = "virtual"
}

func ExampleStatic() {
	cmd := sandlock.Command(examplePolicy, "python3", "-S", "-c", "import os; print(os.getppid())")
	// Answered by the library itself: no call into Go for each getppid.
	cmd.Handle("getppid", sandlock.Static(sandlock.ReturnValue(1)))
	out, _ := cmd.Output()
	fmt.Print(string(out))
	// Output: 1
}

func ExampleCommandContext() {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := sandlock.CommandContext(ctx, examplePolicy, "sleep", "60").Run()
	var exit *sandlock.ExitError
	if errors.As(err, &exit) && exit.TimedOut() {
		fmt.Println("stopped:", exit)
	}
	// Output: stopped: timed out (signal: killed)
}

func ExampleError() {
	cmd := sandlock.Command(examplePolicy, "true")
	cmd.Handle("ptrace", sandlock.Static(sandlock.Continue()))
	err := cmd.Start()
	fmt.Println(errors.Is(err, sandlock.ErrDenied))
	// Output: true
}

func ExampleCmd_StdoutPipe() {
	cmd := sandlock.Command(examplePolicy, "seq", "3")
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		fmt.Println(err)
		return
	}
	text, _ := io.ReadAll(out)
	fmt.Println(strings.Fields(string(text)), cmd.Wait())
	// Output: [1 2 3] <nil>
}

func ExampleProcess_Pause() {
	cmd := sandlock.Command(examplePolicy, "sleep", "60")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cmd.Process.Pause(), cmd.Process.Resume(), cmd.Process.Kill())
	fmt.Println(cmd.Wait())
	// Output:
	// <nil> <nil> <nil>
	// signal: killed
}
