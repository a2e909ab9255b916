// Command denyrule runs a program in a sandbox that may read the whole
// system, and refuses by rule what the rules name: opens of paths under
// a prefix fail with EACCES, and every connect with ECONNREFUSED.
//
//	go run ./examples/denyrule -deny /etc/ssl -- curl https://example.com
//
// The rules are enforced on top of Landlock, never instead of it: a
// handler that answers Continue grants nothing Landlock refuses.
package main

import (
	"flag"
	"log"
	"os"
	"strings"
	"sync/atomic"
	"syscall"

	sandlock "github.com/sandlock/sandlock/go"
)

// rules denies opens under prefixes and counts what it refused.
type rules struct {
	prefixes []string
	denied   atomic.Int64
}

func (r *rules) open(n *sandlock.Notif) sandlock.Action {
	path, err := n.ReadCString(n.Args[1], 4096)
	if err != nil {
		// Fail closed: a path the handler cannot read is not allowed.
		return sandlock.Errno(syscall.EACCES)
	}
	for _, p := range r.prefixes {
		if path == p || strings.HasPrefix(path, strings.TrimSuffix(p, "/")+"/") {
			r.denied.Add(1)
			log.Printf("denied open of %s", path)
			return sandlock.Errno(syscall.EACCES)
		}
	}
	return sandlock.Continue()
}

type prefixList []string

func (p *prefixList) String() string     { return strings.Join(*p, ",") }
func (p *prefixList) Set(v string) error { *p = append(*p, v); return nil }

func main() {
	log.SetFlags(0)
	log.SetPrefix("denyrule: ")
	var deny prefixList
	flag.Var(&deny, "deny", "refuse opens of this path and everything under it (repeatable)")
	flag.Parse()
	if flag.NArg() == 0 {
		log.Fatal("usage: denyrule [-deny PATH]... -- program [args...]")
	}
	policy := &sandlock.Policy{
		FSRead: []string{"/"},
		Env:    map[string]string{"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
	}
	r := &rules{prefixes: deny}
	cmd := sandlock.Command(policy, flag.Arg(0), flag.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// Relative paths resolve against a directory this rule does not see;
	// a rule that must hold against them would resolve Args[0] as well.
	cmd.Handle("openat", sandlock.HandlerFunc(r.open), sandlock.OnException(sandlock.ExceptionDenyEPERM))
	// A fixed answer costs no call into Go.
	cmd.Handle("connect", sandlock.Static(sandlock.Errno(syscall.ECONNREFUSED)))
	err := cmd.Run()
	log.Printf("%d opens denied", r.denied.Load())
	if err != nil {
		log.Fatal(err)
	}
}
