package sandlock

import (
	"slices"
	"syscall"
	"time"

	"github.com/sandlock/sandlock/go/internal/capi"
)

// Policy is what a sandboxed child may do. The zero Policy grants
// nothing: no file, no port, an empty environment, the default syscall
// deny list. A Policy is only read by Start, so one may serve many
// concurrent commands (as long as nobody changes it meanwhile). Every
// field is checked when a command starts: a bad value makes Start fail
// with an *Error naming it.
type Policy struct {
	FSRead, FSWrite           []string // absolute paths, each a directory tree or a file
	NetConnectTCP, NetBindTCP []uint16 // TCP ports; every other port is refused
	DenySyscalls              []string // failed with EPERM, on top of the default deny list
	AllowSyscalls             []string // non-nil: allowlist mode, only these run (with DenySyscalls nil)

	Env     map[string]string // the child's whole environment
	PassEnv []string          // names copied from the caller's environment, when set

	Timeout      time.Duration // kills the whole sandbox after this long (0: never)
	MaxMemory    uint64        // bytes of address space (0: unlimited)
	MaxProcesses uint32        // tasks alive at once (0: unlimited)
	MaxOpenFiles uint32        // RLIMIT_NOFILE (0: inherited)
	MaxOutput    int           // bytes kept per stream by Output/CombinedOutput (0: 16 MiB)

	Credential       *syscall.Credential // Uid and Gid to run as (nil: unchanged; Groups must be empty)
	KeepCapabilities []uint32            // CAP_* numbers kept; every other capability is dropped

	AllowUnixSockets bool // AF_UNIX sockets (pair them with an unprivileged Credential)
	AllowNetlink     bool // AF_NETLINK sockets: the host's routes, links and socket lists
	BestEffort       bool // run with what this kernel can enforce instead of failing
	UnscopedIPC      bool // let abstract UNIX sockets and signals reach outside the sandbox
	PrivateNetwork   bool // own network namespace with only loopback (needs CAP_SYS_ADMIN)
	PrivateIPC       bool // own IPC namespace where SysV IPC works (needs CAP_SYS_ADMIN)
	NoStdDevices     bool // keep the child away from /dev/null, zero, full, random, urandom
	PrivateTmp       bool // a fresh TMPDIR per run (mode 0700, the child's), removed with the run
	PrivateShm       bool // a /dev/shm of the run's own, for POSIX shared memory and semaphores

	// HandlerGrace is how long a command that ended waits for handler
	// callbacks still running (0: the library's 2 s; negative: not at all).
	HandlerGrace time.Duration
}

// defaultMaxOutput is the library's own default for captured output.
const defaultMaxOutput = 16 << 20

func (p *Policy) maxOutput() int {
	if p.MaxOutput > 0 {
		return p.MaxOutput
	}
	return defaultMaxOutput
}

// millis rounds d up to whole milliseconds, so that a positive duration
// never becomes 0 (which the library reads as "no limit" or refuses).
func millis(d time.Duration) uint64 {
	return uint64((d + time.Millisecond - 1) / time.Millisecond)
}

// build makes the library's policy for one command running in dir.
func (p *Policy) build(dir string) (*capi.Policy, error) {
	cp := capi.NewPolicy()
	if err := p.fill(cp, dir); err != nil {
		cp.Free()
		return nil, err
	}
	return cp, nil
}

func (p *Policy) fill(cp *capi.Policy, dir string) error {
	for _, path := range p.FSRead {
		if err := cp.FSRead(path); err != nil {
			return fromC("Policy.FSRead", err)
		}
	}
	for _, path := range p.FSWrite {
		if err := cp.FSWrite(path); err != nil {
			return fromC("Policy.FSWrite", err)
		}
	}
	for _, port := range p.NetConnectTCP {
		if err := cp.NetConnectTCP(port); err != nil {
			return fromC("Policy.NetConnectTCP", err)
		}
	}
	for _, port := range p.NetBindTCP {
		if err := cp.NetBindTCP(port); err != nil {
			return fromC("Policy.NetBindTCP", err)
		}
	}
	for _, name := range p.DenySyscalls {
		if err := cp.DenySyscall(name); err != nil {
			return fromC("Policy.DenySyscalls", err)
		}
	}
	if p.AllowSyscalls != nil && len(p.AllowSyscalls) == 0 {
		return invalid("Policy.AllowSyscalls", "an empty allowlist lets no syscall run, not even execve")
	}
	for _, name := range p.AllowSyscalls {
		if err := cp.AllowOnlySyscall(name); err != nil {
			return fromC("Policy.AllowSyscalls", err)
		}
	}
	if err := p.fillEnv(cp); err != nil {
		return err
	}
	if err := p.fillLimits(cp); err != nil {
		return err
	}
	if err := p.fillIdentity(cp); err != nil {
		return err
	}
	if err := p.fillSwitches(cp); err != nil {
		return err
	}
	if dir != "" {
		return fromC("Cmd.Dir", cp.Cwd(dir))
	}
	return nil
}

func (p *Policy) fillEnv(cp *capi.Policy) error {
	keys := make([]string, 0, len(p.Env))
	for k := range p.Env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := cp.Env(k, p.Env[k]); err != nil {
			return fromC("Policy.Env", err)
		}
	}
	for _, name := range p.PassEnv {
		if err := cp.PassEnv(name); err != nil {
			return fromC("Policy.PassEnv", err)
		}
	}
	return nil
}

func (p *Policy) fillLimits(cp *capi.Policy) error {
	switch {
	case p.Timeout < 0:
		return invalid("Policy.Timeout", "timeout %v is negative", p.Timeout)
	case p.Timeout > 0:
		if err := cp.TimeoutMs(millis(p.Timeout)); err != nil {
			return fromC("Policy.Timeout", err)
		}
	}
	if p.MaxMemory > 0 {
		if err := cp.MaxMemory(p.MaxMemory); err != nil {
			return fromC("Policy.MaxMemory", err)
		}
	}
	if p.MaxProcesses > 0 {
		if err := cp.MaxProcesses(p.MaxProcesses); err != nil {
			return fromC("Policy.MaxProcesses", err)
		}
	}
	if p.MaxOpenFiles > 0 {
		if err := cp.MaxOpenFiles(uint64(p.MaxOpenFiles)); err != nil {
			return fromC("Policy.MaxOpenFiles", err)
		}
	}
	if p.MaxOutput < 0 {
		return invalid("Policy.MaxOutput", "max output %d is negative", p.MaxOutput)
	}
	if err := cp.MaxOutput(uint64(p.maxOutput())); err != nil {
		return fromC("Policy.MaxOutput", err)
	}
	if p.HandlerGrace != 0 {
		if err := cp.HandlerGraceMs(millis(max(p.HandlerGrace, 0))); err != nil {
			return fromC("Policy.HandlerGrace", err)
		}
	}
	return nil
}

func (p *Policy) fillIdentity(cp *capi.Policy) error {
	if c := p.Credential; c != nil {
		if len(c.Groups) > 0 {
			return invalid("Policy.Credential", "supplementary groups %v: the child runs with none", c.Groups)
		}
		if err := cp.UID(c.Uid); err != nil {
			return fromC("Policy.Credential", err)
		}
		if err := cp.GID(c.Gid); err != nil {
			return fromC("Policy.Credential", err)
		}
	}
	for _, c := range p.KeepCapabilities {
		if err := cp.KeepCapability(c); err != nil {
			return fromC("Policy.KeepCapabilities", err)
		}
	}
	return nil
}

func (p *Policy) fillSwitches(cp *capi.Policy) error {
	switches := []struct {
		op  string
		on  bool
		set func(bool) *capi.Err
	}{
		{"Policy.AllowUnixSockets", p.AllowUnixSockets, cp.AllowUnixSockets},
		{"Policy.AllowNetlink", p.AllowNetlink, cp.AllowNetlink},
		{"Policy.BestEffort", p.BestEffort, cp.BestEffort},
		{"Policy.UnscopedIPC", p.UnscopedIPC, func(on bool) *capi.Err { return cp.ScopeIPC(!on) }},
		{"Policy.PrivateNetwork", p.PrivateNetwork, cp.PrivateNetwork},
		{"Policy.PrivateIPC", p.PrivateIPC, cp.PrivateIPC},
		{"Policy.NoStdDevices", p.NoStdDevices, func(on bool) *capi.Err { return cp.StdDevices(!on) }},
		{"Policy.PrivateTmp", p.PrivateTmp, cp.PrivateTmp},
		{"Policy.PrivateShm", p.PrivateShm, cp.PrivateShm},
	}
	for _, s := range switches {
		if !s.on {
			continue
		}
		if err := s.set(true); err != nil {
			return fromC(s.op, err)
		}
	}
	return nil
}
