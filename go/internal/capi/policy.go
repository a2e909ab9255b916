package capi

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"strconv"
	"unsafe"
)

// Policy is a sandlock_policy_t under construction. The setters mirror
// the header's; each returns the library's error naming the bad value.
type Policy struct{ p *C.sandlock_policy_t }

// NewPolicy is an empty policy: nothing readable, the default deny list.
func NewPolicy() *Policy { return &Policy{C.sandlock_policy_new()} }

// Free releases the policy; commands made from it keep their own copy.
func (p *Policy) Free() {
	C.sandlock_policy_free(p.p)
	p.p = nil
}

// withString calls set with a C copy of s that lives for the call; what
// names s should it hold a NUL byte (see cString).
func withString(what, s string, set func(*C.char, **C.sandlock_error_t) C.int) *Err {
	cs, err := cString(what, s)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cs))
	var e *C.sandlock_error_t
	return check(set(cs, &e), e)
}

func (p *Policy) FSRead(path string) *Err {
	return withString("path", path, func(s *C.char, e **C.sandlock_error_t) C.int {
		return C.capi_policy_fs_read(p.p, s, e)
	})
}

func (p *Policy) FSWrite(path string) *Err {
	return withString("path", path, func(s *C.char, e **C.sandlock_error_t) C.int {
		return C.capi_policy_fs_write(p.p, s, e)
	})
}

func (p *Policy) Cwd(path string) *Err {
	return withString("directory", path, func(s *C.char, e **C.sandlock_error_t) C.int {
		return C.capi_policy_cwd(p.p, s, e)
	})
}

func (p *Policy) DenySyscall(name string) *Err {
	return withString("syscall name", name, func(s *C.char, e **C.sandlock_error_t) C.int {
		return C.capi_policy_deny_syscall(p.p, s, e)
	})
}

func (p *Policy) AllowOnlySyscall(name string) *Err {
	return withString("syscall name", name, func(s *C.char, e **C.sandlock_error_t) C.int {
		return C.sandlock_policy_allow_only_syscall(p.p, s, e)
	})
}

func (p *Policy) PassEnv(name string) *Err {
	return withString("variable name", name, func(s *C.char, e **C.sandlock_error_t) C.int {
		return C.sandlock_policy_pass_env(p.p, s, e)
	})
}

func (p *Policy) Env(key, value string) *Err {
	cv, err := cString("the value of "+strconv.Quote(key), value)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cv))
	return withString("variable name", key, func(s *C.char, e **C.sandlock_error_t) C.int {
		return C.capi_policy_env(p.p, s, cv, e)
	})
}

func (p *Policy) NetBindTCP(port uint16) *Err {
	var e *C.sandlock_error_t
	return check(C.capi_policy_net_bind_tcp(p.p, C.uint16_t(port), &e), e)
}

func (p *Policy) NetConnectTCP(port uint16) *Err {
	var e *C.sandlock_error_t
	return check(C.capi_policy_net_connect_tcp(p.p, C.uint16_t(port), &e), e)
}

func (p *Policy) TimeoutMs(ms uint64) *Err {
	var e *C.sandlock_error_t
	return check(C.capi_policy_timeout_ms(p.p, C.uint64_t(ms), &e), e)
}

func (p *Policy) MaxMemory(bytes uint64) *Err {
	var e *C.sandlock_error_t
	return check(C.capi_policy_max_memory(p.p, C.uint64_t(bytes), &e), e)
}

func (p *Policy) MaxProcesses(n uint32) *Err {
	var e *C.sandlock_error_t
	return check(C.capi_policy_max_processes(p.p, C.uint32_t(n), &e), e)
}

func (p *Policy) MaxOpenFiles(n uint64) *Err {
	var e *C.sandlock_error_t
	return check(C.sandlock_policy_max_open_files(p.p, C.uint64_t(n), &e), e)
}

func (p *Policy) MaxOutput(bytes uint64) *Err {
	var e *C.sandlock_error_t
	return check(C.sandlock_policy_max_output(p.p, C.size_t(bytes), &e), e)
}

func (p *Policy) UID(uid uint32) *Err {
	var e *C.sandlock_error_t
	return check(C.capi_policy_uid(p.p, C.uint32_t(uid), &e), e)
}

func (p *Policy) GID(gid uint32) *Err {
	var e *C.sandlock_error_t
	return check(C.capi_policy_gid(p.p, C.uint32_t(gid), &e), e)
}

func (p *Policy) AllowUnixSockets(on bool) *Err {
	var e *C.sandlock_error_t
	return check(C.capi_policy_allow_unix_sockets(p.p, C.bool(on), &e), e)
}

func (p *Policy) AllowNetlink(on bool) *Err {
	var e *C.sandlock_error_t
	return check(C.sandlock_policy_allow_netlink(p.p, C.bool(on), &e), e)
}

func (p *Policy) BestEffort(on bool) *Err {
	var e *C.sandlock_error_t
	return check(C.sandlock_policy_best_effort(p.p, C.bool(on), &e), e)
}

func (p *Policy) ScopeIPC(on bool) *Err {
	var e *C.sandlock_error_t
	return check(C.sandlock_policy_scope_ipc(p.p, C.bool(on), &e), e)
}

func (p *Policy) PrivateIPC(on bool) *Err {
	var e *C.sandlock_error_t
	return check(C.sandlock_policy_private_ipc(p.p, C.bool(on), &e), e)
}

func (p *Policy) PrivateNetwork(on bool) *Err {
	var e *C.sandlock_error_t
	return check(C.sandlock_policy_private_network(p.p, C.bool(on), &e), e)
}

func (p *Policy) StdDevices(on bool) *Err {
	var e *C.sandlock_error_t
	return check(C.sandlock_policy_std_devices(p.p, C.bool(on), &e), e)
}

func (p *Policy) PrivateTmp(on bool) *Err {
	var e *C.sandlock_error_t
	return check(C.sandlock_policy_private_tmp(p.p, C.bool(on), &e), e)
}

func (p *Policy) PrivateShm(on bool) *Err {
	var e *C.sandlock_error_t
	return check(C.sandlock_policy_private_shm(p.p, C.bool(on), &e), e)
}

func (p *Policy) HandlerGraceMs(ms uint64) *Err {
	var e *C.sandlock_error_t
	return check(C.sandlock_policy_handler_grace_ms(p.p, C.uint64_t(ms), &e), e)
}

func (p *Policy) KeepCapability(c uint32) *Err {
	var e *C.sandlock_error_t
	return check(C.sandlock_policy_keep_capability(p.p, C.uint32_t(c), &e), e)
}
