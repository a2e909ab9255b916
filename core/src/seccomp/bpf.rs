//! Assembly of the classic-BPF seccomp program from a [`FilterSpec`].
//!
//! Every syscall check is a `JEQ nr, 0, 1` followed by its `RET`, and every
//! argument check jumps only within its own short block, so no jump offset
//! depends on the list lengths and all fit in the `u8` fields of cBPF.

use std::io;
use std::mem::offset_of;

use crate::syscall::NATIVE_AUDIT_ARCH;

/// Everything the filter decides, in syscall numbers of the native arch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FilterSpec {
    /// Syscalls answered by the supervisor (`SECCOMP_RET_USER_NOTIF`);
    /// sorted and de-duplicated.
    pub notify: Vec<u32>,
    /// Syscalls that fail with `EPERM`; checked before `notify`.
    pub deny: Vec<u32>,
    /// Allowlist mode: syscalls not in this list (nor in `notify`) fail with
    /// `EPERM`. `None` allows everything not denied.
    pub allow_only: Option<Vec<u32>>,
    /// Let `socket(AF_NETLINK, ...)` through.
    pub allow_netlink: bool,
    /// Let `socket(AF_UNIX, ...)` through (`socketpair` always is).
    pub allow_unix: bool,
}

const LD_ABS: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
const JEQ: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
const JSET: u16 = (libc::BPF_JMP | libc::BPF_JSET | libc::BPF_K) as u16;
const JGE: u16 = (libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K) as u16;
const JA: u16 = (libc::BPF_JMP | libc::BPF_JA) as u16;
const AND: u16 = (libc::BPF_ALU | libc::BPF_AND | libc::BPF_K) as u16;
const RET: u16 = (libc::BPF_RET | libc::BPF_K) as u16;

const OFF_NR: u32 = offset_of!(libc::seccomp_data, nr) as u32;
const OFF_ARCH: u32 = offset_of!(libc::seccomp_data, arch) as u32;

/// Offset of the low 32 bits of `args[i]`. The kernel truncates `int` and
/// `unsigned int` arguments, so only these bits decide what the call does.
const fn arg_lo(i: u32) -> u32 {
    let word = if cfg!(target_endian = "little") { 0 } else { 4 };
    offset_of!(libc::seccomp_data, args) as u32 + 8 * i + word
}

/// x32 syscalls share the x86_64 audit arch and differ only by this bit of
/// `nr`; libc only defines it on x32 targets.
#[cfg(target_arch = "x86_64")]
const X32_SYSCALL_BIT: u32 = 0x4000_0000;

const KILL: u32 = libc::SECCOMP_RET_KILL_PROCESS;
const EPERM: u32 = libc::SECCOMP_RET_ERRNO | libc::EPERM as u32;
const ENOSYS: u32 = libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32;

/// Namespace-creating `clone` flags. `CLONE_NEWTIME` is left out: in
/// `clone()` its bit lies in the exit-signal byte.
const CLONE_NS_FLAGS: u32 = (libc::CLONE_NEWUSER
    | libc::CLONE_NEWNS
    | libc::CLONE_NEWPID
    | libc::CLONE_NEWNET
    | libc::CLONE_NEWUTS
    | libc::CLONE_NEWIPC
    | libc::CLONE_NEWCGROUP) as u32;

/// The socket type without `SOCK_NONBLOCK`/`SOCK_CLOEXEC`.
const SOCK_TYPE_MASK: u32 = 0xf;

const fn stmt(code: u16, k: u32) -> libc::sock_filter {
    libc::sock_filter { code, jt: 0, jf: 0, k }
}

const fn jump(code: u16, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

/// What the filter does with one syscall number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Return this action.
    Ret(u32),
    /// Run this syscall's argument checks (which may return `EPERM`), then
    /// return the action.
    CheckArgs(u32),
}

/// Jump-if-true offset from instruction `at` to the `RET EPERM` closing an
/// argument-check body of `len` instructions.
fn to_ret(at: usize, len: usize) -> u8 {
    u8::try_from(len - at - 2).expect("argument blocks are a handful of instructions")
}

fn ioctl_body() -> Vec<libc::sock_filter> {
    const LEN: usize = 4;
    vec![
        stmt(LD_ABS, arg_lo(1)),
        jump(JEQ, libc::TIOCSTI as u32, to_ret(1, LEN), 0),
        jump(JEQ, libc::TIOCLINUX as u32, 0, 1),
        stmt(RET, EPERM),
    ]
}

fn socket_body(spec: &FilterSpec) -> Vec<libc::sock_filter> {
    let mut domains = vec![libc::AF_PACKET as u32];
    if !spec.allow_netlink {
        domains.push(libc::AF_NETLINK as u32);
    }
    // Landlock cannot stop a connect to a pathname UNIX socket (a uid-0
    // child passes the owner check of a root-owned one), so the sockets
    // themselves are denied unless asked for.
    if !spec.allow_unix {
        domains.push(libc::AF_UNIX as u32);
    }
    // LD domain, one JEQ per domain, LD type, AND, JEQ raw, RET.
    let len = 1 + domains.len() + 4;
    let mut body = vec![stmt(LD_ABS, arg_lo(0))];
    for d in domains {
        body.push(jump(JEQ, d, to_ret(body.len(), len), 0));
    }
    body.push(stmt(LD_ABS, arg_lo(1)));
    body.push(stmt(AND, SOCK_TYPE_MASK));
    body.push(jump(JEQ, libc::SOCK_RAW as u32, 0, 1));
    body.push(stmt(RET, EPERM));
    debug_assert_eq!(body.len(), len);
    body
}

/// `prlimit64` on another process needs only matching uids — no capability,
/// no Landlock hook — and RLIMIT_CPU would kill it: only pid 0 (self), which
/// glibc's getrlimit/setrlimit pass, is let through.
fn prlimit_body() -> Vec<libc::sock_filter> {
    vec![stmt(LD_ABS, arg_lo(0)), jump(JEQ, 0, 1, 0), stmt(RET, EPERM)]
}

fn clone_body() -> Vec<libc::sock_filter> {
    // Flags are args[0] on both x86_64 and aarch64, and the kernel takes
    // only their low 32 bits.
    vec![stmt(LD_ABS, arg_lo(0)), jump(JSET, CLONE_NS_FLAGS, 0, 1), stmt(RET, EPERM)]
}

/// The argument checks of `nr`, ending in `RET EPERM` when they match and
/// falling through otherwise; empty for syscalls without any.
fn arg_checks(nr: u32, spec: &FilterSpec) -> Vec<libc::sock_filter> {
    match i64::from(nr) {
        libc::SYS_ioctl => ioctl_body(),
        libc::SYS_socket => socket_body(spec),
        libc::SYS_clone => clone_body(),
        libc::SYS_prlimit64 => prlimit_body(),
        _ => Vec::new(),
    }
}

/// The verdict of every syscall that is not simply the default, sorted by
/// number. Precedence: clone3, deny, argument checks, notify, allowlist.
fn verdicts(spec: &FilterSpec) -> (Vec<(u32, Verdict)>, u32) {
    let default = if spec.allow_only.is_some() { EPERM } else { libc::SECCOMP_RET_ALLOW };
    let allowed = |nr: u32| spec.allow_only.as_ref().map_or(true, |list| list.contains(&nr));
    let mut nrs: Vec<u32> = [libc::SYS_clone3, libc::SYS_ioctl, libc::SYS_socket, libc::SYS_clone, libc::SYS_prlimit64]
        .iter()
        .map(|&n| n as u32)
        .chain(spec.deny.iter().copied())
        .chain(spec.notify.iter().copied())
        .chain(spec.allow_only.iter().flatten().copied())
        .collect();
    nrs.sort_unstable();
    nrs.dedup();
    let table = nrs
        .into_iter()
        .map(|nr| {
            let after = if spec.notify.contains(&nr) {
                libc::SECCOMP_RET_USER_NOTIF
            } else if allowed(nr) {
                libc::SECCOMP_RET_ALLOW
            } else {
                EPERM
            };
            let verdict = if i64::from(nr) == libc::SYS_clone3 {
                // clone3 passes its flags in memory, out of the filter's
                // reach; ENOSYS makes libc fall back to clone, whose flags
                // are checked.
                Verdict::Ret(ENOSYS)
            } else if spec.deny.contains(&nr) {
                Verdict::Ret(EPERM)
            } else if !arg_checks(nr, spec).is_empty() {
                Verdict::CheckArgs(after)
            } else {
                Verdict::Ret(after)
            };
            (nr, verdict)
        })
        .filter(|&(_, verdict)| verdict != Verdict::Ret(default))
        .collect();
    (table, default)
}

/// Leaves of the search tree hold at most this many syscalls, checked one
/// by one.
const LEAF: usize = 8;

/// A leaf: one `JEQ` per syscall jumping to its verdict, the default `RET`,
/// then the verdicts, each `RET` shared by every syscall of the leaf that
/// returns it (the program's length is what the kernel pays to JIT it).
fn leaf(table: &[(u32, Verdict)], default: u32, spec: &FilterSpec, prog: &mut Vec<libc::sock_filter>) {
    let mut code: Vec<libc::sock_filter> = Vec::new();
    let mut targets = Vec::with_capacity(table.len());
    let mut shared_rets: Vec<(u32, usize)> = Vec::new();
    for &(nr, verdict) in table {
        let at = match verdict {
            Verdict::Ret(ret) => match shared_rets.iter().find(|(r, _)| *r == ret) {
                Some(&(_, at)) => at,
                None => {
                    shared_rets.push((ret, code.len()));
                    code.push(stmt(RET, ret));
                    code.len() - 1
                }
            },
            Verdict::CheckArgs(after) => {
                let at = code.len();
                code.extend(arg_checks(nr, spec));
                code.push(stmt(RET, after));
                at
            }
        };
        targets.push(at);
    }
    let jumps = table.len();
    for (i, (&(nr, _), &at)) in table.iter().zip(&targets).enumerate() {
        // From JEQ i, past the remaining JEQs and the default RET, to `at`.
        let offset = (jumps - i - 1) + 1 + at;
        prog.push(jump(JEQ, nr, u8::try_from(offset).expect("a leaf is a few dozen instructions"), 0));
    }
    prog.push(stmt(RET, default));
    prog.append(&mut code);
}

/// A binary search over `table` (sorted), with `nr` in the accumulator;
/// every path ends in a `RET`, so no jump ever leaves the subtree and every
/// offset is local: `JGE`/`JA` pairs whose `JA` carries the long offset.
fn search_tree(table: &[(u32, Verdict)], default: u32, spec: &FilterSpec, prog: &mut Vec<libc::sock_filter>) {
    if table.len() <= LEAF {
        leaf(table, default, spec, prog);
        return;
    }
    let (low, high) = table.split_at(table.len() / 2);
    let mut left = Vec::new();
    search_tree(low, default, spec, &mut left);
    prog.push(jump(JGE, high[0].0, 0, 1));
    prog.push(stmt(JA, left.len() as u32));
    prog.append(&mut left);
    search_tree(high, default, spec, prog);
}

/// Builds the seccomp program for the native arch. Syscalls are found by
/// binary search, so both the per-syscall cost and the kernel's action-cache
/// preparation at install (which evaluates the program for every syscall
/// number) grow with the logarithm of the lists, not their length. The
/// caller installs it; a spec too large for the kernel's 4096-instruction
/// limit is refused there with `EINVAL`.
pub(crate) fn assemble(spec: &FilterSpec) -> Vec<libc::sock_filter> {
    let (table, default) = verdicts(spec);
    let mut prog = Vec::with_capacity(16 + 3 * table.len());

    // A foreign arch (i386 via `int $0x80`) has other numbers for everything.
    prog.push(stmt(LD_ABS, OFF_ARCH));
    prog.push(jump(JEQ, NATIVE_AUDIT_ARCH, 1, 0));
    prog.push(stmt(RET, KILL));

    prog.push(stmt(LD_ABS, OFF_NR));
    #[cfg(target_arch = "x86_64")]
    {
        prog.push(jump(JSET, X32_SYSCALL_BIT, 0, 1));
        prog.push(stmt(RET, KILL));
    }
    search_tree(&table, default, spec, &mut prog);
    prog
}

/// Installs `prog` on the calling thread with `seccomp(SECCOMP_SET_MODE_FILTER,
/// flags)` and returns the syscall's result (the listener fd with
/// `SECCOMP_FILTER_FLAG_NEW_LISTENER`). Async-signal-safe: it runs in the
/// forked child, so it neither allocates nor locks.
pub(crate) fn install(prog: &[libc::sock_filter], flags: libc::c_ulong) -> io::Result<libc::c_int> {
    let len = u16::try_from(prog.len()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let fprog = libc::sock_fprog {
        len,
        // The kernel only reads the program.
        filter: prog.as_ptr().cast_mut(),
    };
    // SAFETY: `fprog` and the program it points to outlive the call, and the
    // kernel copies the program before returning. Arguments are passed as
    // `c_ulong` because `syscall` reads them as longs.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::c_ulong::from(libc::SECCOMP_SET_MODE_FILTER),
            flags,
            &fprog as *const libc::sock_fprog,
        )
    };
    if ret < 0 {
        // SAFETY: `__errno_location` returns a valid pointer to this thread's
        // errno.
        let errno = unsafe { *libc::__errno_location() };
        return Err(io::Error::from_raw_os_error(errno));
    }
    // The kernel returns an int: 0 or a file descriptor.
    Ok(ret as libc::c_int)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syscall::number_of;

    const ALLOW: u32 = libc::SECCOMP_RET_ALLOW;
    const NOTIF: u32 = libc::SECCOMP_RET_USER_NOTIF;
    const MAX_INSNS: usize = libc::BPF_MAXINSNS as usize;

    fn nr(name: &str) -> u32 {
        number_of(name).unwrap_or_else(|| panic!("{name} is not a syscall of this arch"))
    }

    /// A `seccomp_data` as the kernel lays it out.
    fn data(nr: u32, arch: u32, args: [u64; 6]) -> [u8; 64] {
        let mut d = [0u8; 64];
        d[OFF_NR as usize..][..4].copy_from_slice(&nr.to_ne_bytes());
        d[OFF_ARCH as usize..][..4].copy_from_slice(&arch.to_ne_bytes());
        let base = offset_of!(libc::seccomp_data, args);
        for (i, a) in args.iter().enumerate() {
            d[base + 8 * i..][..8].copy_from_slice(&a.to_ne_bytes());
        }
        d
    }

    /// Interprets the instructions `assemble` emits, checking on the way
    /// what the kernel's verifier checks: aligned in-bounds loads and jumps
    /// that stay inside the program.
    fn run(prog: &[libc::sock_filter], d: &[u8; 64]) -> u32 {
        run_counting(prog, d).0
    }

    /// The verdict and how many instructions ran to reach it.
    fn run_counting(prog: &[libc::sock_filter], d: &[u8; 64]) -> (u32, usize) {
        assert!(prog.len() <= MAX_INSNS, "program of {} instructions", prog.len());
        let mut acc: u32 = 0;
        let mut pc = 0usize;
        for steps in 1.. {
            let insn = prog.get(pc).unwrap_or_else(|| panic!("fell off the program at {pc}"));
            let k = insn.k;
            pc += 1;
            match insn.code {
                LD_ABS => {
                    let off = k as usize;
                    assert!(off % 4 == 0 && off + 4 <= d.len(), "bad load offset {off}");
                    acc = u32::from_ne_bytes(d[off..off + 4].try_into().unwrap());
                }
                AND => acc &= k,
                RET => return (k, steps),
                JA => {
                    pc += k as usize;
                    assert!(pc < prog.len(), "jump out of the program");
                }
                JEQ | JSET | JGE => {
                    let taken = match insn.code {
                        JEQ => acc == k,
                        JGE => acc >= k,
                        _ => acc & k != 0,
                    };
                    pc += usize::from(if taken { insn.jt } else { insn.jf });
                    assert!(pc < prog.len(), "jump out of the program");
                }
                code => panic!("unexpected instruction {code:#x}"),
            }
        }
        unreachable!("the step counter is unbounded")
    }

    fn verdict(spec: &FilterSpec, nr: u32, args: [u64; 6]) -> u32 {
        run(&assemble(spec), &data(nr, NATIVE_AUDIT_ARCH, args))
    }

    fn ioctl(spec: &FilterSpec, request: libc::c_ulong) -> u32 {
        verdict(spec, nr("ioctl"), [0, request, 0, 0, 0, 0])
    }

    fn socket(spec: &FilterSpec, domain: i32, ty: i32) -> u32 {
        verdict(spec, nr("socket"), [domain as u64, ty as u64, 0, 0, 0, 0])
    }

    fn clone(spec: &FilterSpec, flags: u64) -> u32 {
        verdict(spec, nr("clone"), [flags, 0, 0, 0, 0, 0])
    }

    #[test]
    fn the_default_program_is_compact() {
        // Install (JIT and action-cache preparation) costs grow with length:
        // one JEQ per special syscall plus a few shared RETs and tree nodes.
        let spec = FilterSpec { deny: crate::deny::default_deny_numbers().to_vec(), ..FilterSpec::default() };
        let special = spec.deny.len() + 5;
        let len = assemble(&spec).len();
        // A RET per syscall (the layout this replaced) would need 2 * special
        // plus the same tree, argument checks and prologue (~50).
        assert!(len <= special + special / 2 + 40, "{len} instructions for {special} special syscalls");
    }

    #[test]
    fn every_syscall_is_decided_in_a_logarithmic_number_of_steps() {
        let spec = FilterSpec {
            deny: crate::deny::default_deny_numbers().to_vec(),
            notify: (0..400).step_by(8).collect(),
            ..FilterSpec::default()
        };
        let prog = assemble(&spec);
        let longest = (0..1024).map(|n| run_counting(&prog, &data(n, NATIVE_AUDIT_ARCH, [0; 6])).1).max().unwrap();
        // ~120 special syscalls: a linear chain would run ~240 instructions.
        assert!(longest <= 40, "longest path {longest}");
    }

    #[test]
    fn foreign_arch_is_killed() {
        let spec = FilterSpec::default();
        // AUDIT_ARCH_I386: the same number means another syscall there.
        let d = data(nr("getpid"), 0x4000_0003, [0; 6]);
        assert_eq!(run(&assemble(&spec), &d), KILL);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn x32_syscalls_are_killed() {
        let spec = FilterSpec::default();
        assert_eq!(verdict(&spec, X32_SYSCALL_BIT | nr("getpid"), [0; 6]), KILL);
    }

    #[test]
    fn clone3_gets_enosys() {
        let spec = FilterSpec { notify: vec![nr("clone3")], ..FilterSpec::default() };
        assert_eq!(verdict(&spec, nr("clone3"), [0; 6]), ENOSYS);
    }

    #[test]
    fn deny_wins_over_notify() {
        let spec =
            FilterSpec { notify: vec![nr("mount"), nr("openat")], deny: vec![nr("mount")], ..FilterSpec::default() };
        assert_eq!(verdict(&spec, nr("mount"), [0; 6]), EPERM);
        assert_eq!(verdict(&spec, nr("openat"), [0; 6]), NOTIF);
        assert_eq!(verdict(&spec, nr("read"), [0; 6]), ALLOW);
    }

    #[test]
    fn terminal_injection_ioctls_are_denied_on_low_32_bits() {
        let spec = FilterSpec::default();
        assert_eq!(ioctl(&spec, libc::TIOCSTI), EPERM);
        assert_eq!(ioctl(&spec, libc::TIOCLINUX), EPERM);
        assert_eq!(ioctl(&spec, 0xdead_beef_0000_5412), EPERM);
        assert_eq!(ioctl(&spec, 0xffff_ffff_0000_541c), EPERM);
        assert_eq!(ioctl(&spec, libc::TCGETS), ALLOW);
    }

    #[test]
    fn passing_argument_checks_still_reach_notify() {
        let spec = FilterSpec { notify: vec![nr("ioctl"), nr("socket"), nr("clone")], ..FilterSpec::default() };
        assert_eq!(ioctl(&spec, libc::TCGETS), NOTIF);
        assert_eq!(ioctl(&spec, libc::TIOCSTI), EPERM);
        assert_eq!(socket(&spec, libc::AF_INET, libc::SOCK_STREAM), NOTIF);
        assert_eq!(socket(&spec, libc::AF_PACKET, libc::SOCK_DGRAM), EPERM);
        assert_eq!(clone(&spec, libc::SIGCHLD as u64), NOTIF);
        assert_eq!(clone(&spec, libc::CLONE_NEWPID as u64), EPERM);
    }

    #[test]
    fn packet_raw_and_netlink_sockets_are_denied() {
        let spec = FilterSpec::default();
        assert_eq!(socket(&spec, libc::AF_PACKET, libc::SOCK_DGRAM), EPERM);
        assert_eq!(socket(&spec, libc::AF_INET, libc::SOCK_RAW), EPERM);
        assert_eq!(socket(&spec, libc::AF_INET6, libc::SOCK_RAW | libc::SOCK_CLOEXEC), EPERM);
        assert_eq!(socket(&spec, libc::AF_NETLINK, libc::SOCK_DGRAM), EPERM);
        assert_eq!(socket(&spec, libc::AF_INET, libc::SOCK_STREAM), ALLOW);
        assert_eq!(socket(&spec, libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_NONBLOCK), EPERM);
        // The kernel reads the domain as an int: high bits do not hide it.
        let high = verdict(&spec, nr("socket"), [0x1_0000_0000 | libc::AF_PACKET as u64, 2, 0, 0, 0, 0]);
        assert_eq!(high, EPERM);
    }

    #[test]
    fn unix_sockets_can_be_allowed() {
        let spec = FilterSpec { allow_unix: true, ..FilterSpec::default() };
        assert_eq!(socket(&spec, libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_NONBLOCK), ALLOW);
        assert_eq!(socket(&spec, libc::AF_PACKET, libc::SOCK_DGRAM), EPERM);
    }

    #[test]
    fn netlink_can_be_allowed_but_raw_netlink_cannot() {
        let spec = FilterSpec { allow_netlink: true, ..FilterSpec::default() };
        assert_eq!(socket(&spec, libc::AF_NETLINK, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC), ALLOW);
        assert_eq!(socket(&spec, libc::AF_NETLINK, libc::SOCK_RAW), EPERM);
        assert_eq!(socket(&spec, libc::AF_PACKET, libc::SOCK_DGRAM), EPERM);
    }

    #[test]
    fn prlimit_reaches_only_the_caller() {
        let spec = FilterSpec::default();
        let prlimit = |pid: u64| verdict(&spec, nr("prlimit64"), [pid, libc::RLIMIT_CPU as u64, 0, 0, 0, 0]);
        assert_eq!(prlimit(0), ALLOW);
        assert_eq!(prlimit(1), EPERM);
        // The kernel reads pid as an int: high bits do not make it zero.
        assert_eq!(prlimit(0x1_0000_0000 | 1), EPERM);
    }

    #[test]
    fn namespace_clone_flags_are_denied() {
        let spec = FilterSpec::default();
        assert_eq!(clone(&spec, (libc::CLONE_NEWUSER | libc::SIGCHLD) as u64), EPERM);
        assert_eq!(clone(&spec, libc::CLONE_NEWNET as u64), EPERM);
        assert_eq!(clone(&spec, libc::CLONE_NEWCGROUP as u64), EPERM);
        let thread = libc::CLONE_VM
            | libc::CLONE_FS
            | libc::CLONE_FILES
            | libc::CLONE_SIGHAND
            | libc::CLONE_THREAD
            | libc::CLONE_SYSVSEM
            | libc::CLONE_SETTLS
            | libc::CLONE_PARENT_SETTID
            | libc::CLONE_CHILD_CLEARTID;
        assert_eq!(clone(&spec, thread as u64), ALLOW);
        assert_eq!(clone(&spec, libc::SIGCHLD as u64), ALLOW);
    }

    #[test]
    fn allowlist_mode() {
        let spec = FilterSpec {
            notify: vec![nr("openat")],
            deny: vec![nr("mount")],
            allow_only: Some(vec![nr("read"), nr("write"), nr("mount")]),
            allow_netlink: false,
            allow_unix: false,
        };
        assert_eq!(verdict(&spec, nr("read"), [0; 6]), ALLOW);
        assert_eq!(verdict(&spec, nr("write"), [0; 6]), ALLOW);
        assert_eq!(verdict(&spec, nr("getpid"), [0; 6]), EPERM);
        assert_eq!(verdict(&spec, nr("openat"), [0; 6]), NOTIF);
        assert_eq!(verdict(&spec, nr("mount"), [0; 6]), EPERM);
    }

    #[test]
    fn empty_spec_allows_everything_but_the_fixed_rules() {
        let spec = FilterSpec::default();
        let prog = assemble(&spec);
        for (name, n) in all_syscalls() {
            let expected = if name == "clone3" { ENOSYS } else { ALLOW };
            assert_eq!(run(&prog, &data(n, NATIVE_AUDIT_ARCH, [0; 6])), expected, "{name}");
        }
    }

    #[test]
    fn every_syscall_in_deny_and_notify_and_allowlist_fits() {
        let every: Vec<u32> = all_syscalls().map(|(_, n)| n).collect();
        assert!(every.len() > 300, "only {} syscalls enumerated", every.len());
        let spec = FilterSpec {
            notify: every.clone(),
            deny: every.clone(),
            allow_only: Some(every.clone()),
            allow_netlink: false,
            allow_unix: false,
        };
        let prog = assemble(&spec);
        assert!(prog.len() <= MAX_INSNS, "{} instructions", prog.len());
        assert_eq!(verdict(&spec, nr("read"), [0; 6]), EPERM);
        assert_eq!(verdict(&spec, nr("clone3"), [0; 6]), ENOSYS);
    }

    /// Every syscall of the native table, by name and number. Numbers of
    /// both supported arches stay well below 1024.
    fn all_syscalls() -> impl Iterator<Item = (&'static str, u32)> {
        (0..1024).filter_map(|n| crate::syscall::name_of(n).map(|name| (name, n)))
    }

    fn errno() -> libc::c_int {
        // SAFETY: `__errno_location` returns a valid pointer to this thread's
        // errno.
        unsafe { *libc::__errno_location() }
    }

    /// Result of a raw syscall as `Ok(ret)` or `Err(errno)`.
    fn sys(ret: libc::c_long) -> Result<libc::c_long, libc::c_int> {
        if ret < 0 {
            Err(errno())
        } else {
            Ok(ret)
        }
    }

    /// The child's checks of the installed filter; returns the number of
    /// the first failing check, 0 if all pass. Only raw syscalls: it runs
    /// between fork and _exit.
    fn checks_under_filter(prog: &[libc::sock_filter]) -> libc::c_int {
        // SAFETY: prctl with integer arguments only.
        if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
            return 1;
        }
        if install(prog, 0).is_err() {
            return 2;
        }
        // SAFETY: here and below, raw syscalls with integer arguments or
        // null pointers the kernel checks; the filter answers them first.
        let ioctl = sys(unsafe { libc::syscall(libc::SYS_ioctl, -1 as libc::c_long, 0xdead_beef_0000_5412_u64) });
        if ioctl != Err(libc::EPERM) {
            return 3;
        }
        // SAFETY: as above.
        let clone3 = sys(unsafe { libc::syscall(libc::SYS_clone3, 0usize, 0usize) });
        if clone3 != Err(libc::ENOSYS) {
            return 4;
        }
        // SAFETY: as above.
        let unshare = sys(unsafe { libc::syscall(libc::SYS_unshare, libc::CLONE_NEWUSER as libc::c_long) });
        if unshare != Err(libc::EPERM) {
            return 5;
        }
        // SAFETY: as above.
        let packet = sys(unsafe {
            libc::syscall(
                libc::SYS_socket,
                libc::AF_PACKET as libc::c_long,
                libc::SOCK_RAW as libc::c_long,
                0 as libc::c_long,
            )
        });
        if packet != Err(libc::EPERM) {
            return 6;
        }
        // SAFETY: as above. With no listener attached, a notified syscall
        // fails with ENOSYS.
        let notified = sys(unsafe { libc::syscall(libc::SYS_getppid) });
        if notified != Err(libc::ENOSYS) {
            return 7;
        }
        // SAFETY: as above.
        if sys(unsafe { libc::syscall(libc::SYS_getpid) }).is_err() {
            return 8;
        }
        0
    }

    #[test]
    fn kernel_accepts_and_enforces_the_program() {
        let spec = FilterSpec {
            notify: vec![nr("getppid")],
            deny: crate::deny::default_deny_numbers().to_vec(),
            allow_only: None,
            allow_netlink: false,
            allow_unix: false,
        };
        // Assembled before fork: the child must not allocate.
        let prog = assemble(&spec);
        // SAFETY: the child only makes raw syscalls and leaves with _exit.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork: {}", io::Error::last_os_error());
        if pid == 0 {
            let code = checks_under_filter(&prog);
            // SAFETY: ends the forked child without running the parent's
            // atexit handlers or destructors.
            unsafe { libc::_exit(code) };
        }
        let mut status = 0;
        // SAFETY: `pid` is our child and `status` a valid out-pointer.
        let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
        assert_eq!(waited, pid);
        assert!(libc::WIFEXITED(status), "child status {status:#x}");
        assert_eq!(libc::WEXITSTATUS(status), 0, "check number {} failed", libc::WEXITSTATUS(status));
    }
}
