//! Assembly of the classic-BPF seccomp program from a [`FilterSpec`].
//!
//! Syscalls are found by binary search over the sorted table of those whose
//! verdict is not the default. Argument checks are short blocks written with
//! symbolic jump targets (see [`Check`]) and lowered with every jump local to
//! their block, so no offset depends on the list lengths and all fit in the
//! `u8` fields of cBPF.
//!
//! Assembly runs in the parent. [`install`] runs in the child between fork
//! and exec: one raw `seccomp` syscall on a program built before the fork,
//! no allocation, no lock, no glibc wrapper.

use std::io;
use std::mem::offset_of;

use crate::syscall::NATIVE_AUDIT_ARCH;

/// Everything the filter decides, in syscall numbers of the native arch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FilterSpec {
    /// Syscalls answered by the supervisor (`SECCOMP_RET_USER_NOTIF`);
    /// sorted and de-duplicated.
    pub notify: Vec<u32>,
    /// Syscalls that fail with a fixed errno, checked before `notify`:
    /// `(nr, errno)`, sorted by number, one entry per number.
    pub deny: Vec<(u32, i32)>,
    /// Allowlist mode: syscalls not in this list (nor in `notify`) fail with
    /// `EPERM`. `None` allows everything not denied.
    pub allow_only: Option<Vec<u32>>,
    /// Inclusive ranges of numbers the syscall table does not know; they
    /// fail with `ENOSYS` before anything else, so a syscall a newer kernel
    /// adds stays closed until the table names it.
    pub unknown: Vec<(u32, u32)>,
    /// Let `socket(AF_NETLINK, ...)` through (never with `SOCK_RAW`).
    pub allow_netlink: bool,
    /// Let `socket(AF_UNIX, ...)` and datagram `socketpair`s through.
    pub allow_unix: bool,
    /// The child keeps uid 0: calls that act on other processes by pid are
    /// limited to the caller itself (uid 0 owns every root process).
    pub child_is_root: bool,
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
const EPERM: u32 = errno_ret(libc::EPERM);
const ENOSYS: u32 = errno_ret(libc::ENOSYS);

/// The filter's return value that fails a syscall with `errno`.
pub(crate) const fn errno_ret(errno: i32) -> u32 {
    libc::SECCOMP_RET_ERRNO | (errno as u32 & libc::SECCOMP_RET_DATA)
}

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

/// The terminal requests with plain numbers (`0x5400`–`0x54FF`, the tty
/// core's) that pass; every other one fails with `EPERM`, whatever the fd.
/// A child's stdio may be the caller's terminal, and the kernel lets any
/// process holding it, whatever its uid, make calls whose effect outlasts
/// the run or reaches beyond it, which no Landlock right covers: typing
/// into it (`TIOCSTI`, `TIOCLINUX`), signalling its foreground group
/// (`TIOCSWINSZ`) or making another group the foreground one
/// (`TIOCSPGRP`), taking it as a controlling terminal (`TIOCSCTTY`),
/// another line discipline (`TIOCSETD`), output stopped (`TCXONC`),
/// exclusive mode set or cleared (`TIOCEXCL`, `TIOCNXCL`), a caller's
/// pseudo-terminal master put in packet mode (`TIOCPKT`), and on a serial
/// line its modem lines (`TIOCMSET`: a hang-up), breaks and port settings.
/// What passes: queries, the modes (`tcsetattr`: the threat model's
/// accepted gap), flushing and draining, and the generic fd calls
/// (`FIONBIO`, `FIOCLEX`, `FIONREAD`, which sockets and pipes answer too).
/// `TCSBRK` passes only as `tcdrain` (a non-zero argument); zero sends a
/// break. Requests of the type with a size (`_IOW('T', ...)`: `termios2`,
/// the pseudo-terminal queries, TUN's and the sound timers') pass but for
/// [`TERMINAL_SIZED_IOCTLS_DENIED`].
const TERMINAL_IOCTLS_ALLOWED: [u32; 29] = [
    libc::TCGETS as u32,
    libc::TCSETS as u32,
    libc::TCSETSW as u32,
    libc::TCSETSF as u32,
    libc::TCGETA as u32,
    libc::TCSETA as u32,
    libc::TCSETAW as u32,
    libc::TCSETAF as u32,
    libc::TCFLSH as u32,
    libc::TIOCGPGRP as u32,
    libc::TIOCGSID as u32,
    libc::TIOCGWINSZ as u32,
    libc::TIOCOUTQ as u32,
    libc::FIONREAD as u32,
    libc::TIOCMGET as u32,
    libc::TIOCGSOFTCAR as u32,
    libc::TIOCSSOFTCAR as u32,
    libc::TIOCGSERIAL as u32,
    libc::TIOCGETD as u32,
    libc::TIOCGLCKTRMIOS as u32,
    libc::TIOCGRS485 as u32,
    libc::TIOCSERGETLSR as u32,
    libc::TIOCMIWAIT as u32,
    libc::TIOCGICOUNT as u32,
    libc::TIOCNOTTY as u32,
    libc::FIONBIO as u32,
    libc::FIOASYNC as u32,
    libc::FIOCLEX as u32,
    libc::FIONCLEX as u32,
];

/// The tty core's plain request numbers, which [`TERMINAL_IOCTLS_ALLOWED`]
/// filters.
const TERMINAL_IOCTL_RANGE: (u32, u32) = (0x5400, 0x54ff);

/// The tty core's requests with a size that act past the run: a signal to
/// the foreground group of a caller's pseudo-terminal (`TIOCSIG`), its
/// slave locked so no one opens it (`TIOCSPTLCK`), a smart-card port's
/// settings (`TIOCSISO7816`).
const TERMINAL_SIZED_IOCTLS_DENIED: [u32; 3] = [libc::TIOCSIG as u32, libc::TIOCSPTLCK as u32, 0xc028_5443];

/// The console's requests (<linux/kd.h>: keyboard, display mode, palette,
/// font, sound; <linux/vt.h>: which virtual console shows): plain numbers
/// in these ranges, none of which another driver uses (V4L2's `'V'`
/// requests carry a direction and size). On a console shared with the
/// caller they switch the screen, silence the keyboard or recolour every
/// console, left so after the run: all fail with `EPERM`.
const CONSOLE_IOCTL_RANGES: [(u32, u32); 2] = [(0x4b00, 0x4bff), (0x5600, 0x56ff)];

/// `ioctl` types (the request's second byte) of the file-system calls on
/// inodes: the generic `FS_IOC_*` (`'f'`, `'v'`, `'X'`, 0x15, 0x94) and the
/// file systems' own (ext4 `'f'`, XFS `'X'`, btrfs 0x94, f2fs 0xf5). Many of
/// them change an inode with only an ownership check (flags, versions,
/// attributes, encryption and verity, btrfs subvolumes and snapshots),
/// which a uid-0 child passes on every root-owned file and no Landlock right
/// covers; each file system adds its own numbers for the same changes. So
/// only the queries and data copies below pass: the rest of these types
/// fails with `EPERM`.
const FS_IOCTL_TYPES: [u32; 6] = [0x66, 0x76, 0x58, 0x15, 0x94, 0xf5];

/// The requests of [`FS_IOCTL_TYPES`] that pass: queries, and clones,
/// which need the destination open for writing (Landlock's write right).
/// Values from <linux/fs.h>, <linux/fscrypt.h>, <linux/fsverity.h> and
/// ext4's header, the same on x86_64 and aarch64; the libc crate lacks most.
const FS_IOCTLS_ALLOWED: [u32; 22] = [
    0x8008_6601, // FS_IOC_GETFLAGS
    0x8004_6601, // FS_IOC32_GETFLAGS
    0x8008_7601, // FS_IOC_GETVERSION
    0x8004_7601, // FS_IOC32_GETVERSION
    0x8008_6603, // EXT4_IOC_GETVERSION
    0x8004_6603, // EXT4_IOC32_GETVERSION
    0xc020_660b, // FS_IOC_FIEMAP
    0x801c_581f, // FS_IOC_FSGETXATTR
    0x4010_6614, // FS_IOC_GET_ENCRYPTION_PWSALT
    0x400c_6615, // FS_IOC_GET_ENCRYPTION_POLICY
    0xc009_6616, // FS_IOC_GET_ENCRYPTION_POLICY_EX
    0xc080_661a, // FS_IOC_GET_ENCRYPTION_KEY_STATUS
    0x8010_661b, // FS_IOC_GET_ENCRYPTION_NONCE
    0xc004_6686, // FS_IOC_MEASURE_VERITY
    0xc028_6687, // FS_IOC_READ_VERITY_METADATA
    0x4004_6629, // EXT4_IOC_GETSTATE
    0x8008_662c, // EXT4_IOC_GETFSUUID
    0x8111_1500, // FS_IOC_GETFSUUID
    0x8081_1501, // FS_IOC_GETFSSYSFSPATH
    0x8100_9431, // FS_IOC_GETFSLABEL
    0x4004_9409, // FICLONE
    0x4020_940d, // FICLONERANGE
];

/// The `IPPROTO_IP` options of multicast (<linux/in.h>): `IP_MULTICAST_IF`
/// (32) to `IP_MULTICAST_ALL` (49) — memberships, source filters, the
/// protocol-independent `MCAST_*` (42–48) among them.
const IP_MULTICAST_OPTIONS: [(u32, u32); 1] = [(32, 49)];

/// The `IPPROTO_IPV6` options of multicast, anycast and flow labels
/// (<linux/in6.h>): `IPV6_MULTICAST_IF` to `IPV6_DROP_MEMBERSHIP` (17–21),
/// `IPV6_JOIN_ANYCAST` to `IPV6_MULTICAST_ALL` (27–29),
/// `IPV6_FLOWLABEL_MGR` (32), `MCAST_JOIN_GROUP` to `MCAST_MSFILTER`
/// (42–48).
const IPV6_MULTICAST_OPTIONS: [(u32, u32); 4] = [(17, 21), (27, 29), (32, 32), (42, 48)];

/// `PIDFD_GET_INFO` (type 0xff, number 11, any size: the struct grows),
/// which tells the parent and cgroup of any process a pidfd names, host
/// processes included (and its uid and gid, which `stat` of `/proc/<pid>`
/// shows anyway).
const PIDFD_GET_INFO: u32 = 0xff0b;

/// The command bits of a `futex` operation (without `FUTEX_PRIVATE_FLAG`
/// and `FUTEX_CLOCK_REALTIME`).
const FUTEX_COMMAND_MASK: u32 = 0x7f;

/// `IOPRIO_WHO_USER` of <linux/ioprio.h>, which the libc crate lacks.
const IOPRIO_WHO_USER: u32 = 3;

const fn stmt(code: u16, k: u32) -> libc::sock_filter {
    libc::sock_filter { code, jt: 0, jf: 0, k }
}

const fn jump(code: u16, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

/// Where a jump of an argument check goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// The next instruction.
    Next,
    /// The instruction after a [`Check::Mark`] of this number.
    To(u8),
    /// Return this value (each distinct value gets one shared `RET`).
    Ret(u32),
    /// The syscall's verdict once its arguments passed (allow, notify, ...).
    Pass,
}

/// One step of an argument check.
#[derive(Debug, Clone, Copy)]
enum Check {
    /// Load the low 32 bits of an argument.
    Arg(u32),
    /// `A &= k`.
    And(u32),
    /// `if A == k` (`JEQ`), `if A & k` (`JSET`) or `if A >= k` (`JGE`).
    If { op: u16, k: u32, then: Target, otherwise: Target },
    /// Jump unconditionally.
    Goto(Target),
    /// Name the position of the next instruction.
    Mark(u8),
}

use Check::*;
use Target::*;

fn eq(k: u32, then: Target, otherwise: Target) -> Check {
    If { op: JEQ, k, then, otherwise }
}

/// The argument checks of `nr`, or `None` when its verdict does not depend
/// on its arguments.
fn arg_checks(nr: u32, spec: &FilterSpec) -> Option<Vec<Check>> {
    let deny = Ret(EPERM);
    let checks = match i64::from(nr) {
        libc::SYS_ioctl => ioctl_checks(),
        libc::SYS_socket => socket_checks(spec),
        libc::SYS_socketpair => {
            // A stream or seqpacket pair is connected for good and ignores any
            // address; a datagram end can disconnect and send anywhere.
            let mut c = vec![Arg(0), eq(libc::AF_UNIX as u32, Next, deny)];
            if !spec.allow_unix {
                c.extend([
                    Arg(1),
                    And(SOCK_TYPE_MASK),
                    eq(libc::SOCK_STREAM as u32, Pass, Next),
                    eq(libc::SOCK_SEQPACKET as u32, Pass, deny),
                ]);
            }
            c
        }
        // An implicit connect that no Landlock hook sees; the flags are a
        // syscall argument (the msghdr's own flags are ignored on send).
        libc::SYS_sendto | libc::SYS_sendmmsg => {
            vec![Arg(3), If { op: JSET, k: libc::MSG_FASTOPEN as u32, then: deny, otherwise: Pass }]
        }
        libc::SYS_sendmsg => vec![Arg(2), If { op: JSET, k: libc::MSG_FASTOPEN as u32, then: deny, otherwise: Pass }],
        libc::SYS_setsockopt => setsockopt_checks(),
        // Requeueing moves waiters from one futex word to another. Without
        // the private flag the word's key is the page's, which a file
        // mapping shares with every process mapping that file (read access
        // is enough): a child moved a host thread waiting on a
        // process-shared mutex to a word of its own, where it waited for
        // good. Private requeues (every glibc one) stay in the child's memory.
        libc::SYS_futex => vec![
            Arg(1),
            If { op: JSET, k: libc::FUTEX_PRIVATE_FLAG as u32, then: Pass, otherwise: Next },
            And(FUTEX_COMMAND_MASK),
            eq(libc::FUTEX_REQUEUE as u32, deny, Next),
            eq(libc::FUTEX_CMP_REQUEUE as u32, deny, Next),
            eq(libc::FUTEX_CMP_REQUEUE_PI as u32, deny, Pass),
        ],
        // Flags are args[0] on both x86_64 and aarch64, and the kernel takes
        // only their low 32 bits. `CLONE_PARENT` would make the new process
        // a child of the sandbox's parent — the caller — which reaps only
        // the process it started.
        libc::SYS_clone => {
            vec![Arg(0), If { op: JSET, k: CLONE_NS_FLAGS | libc::CLONE_PARENT as u32, then: deny, otherwise: Pass }]
        }
        // `prlimit64` on another process needs only matching uids — no
        // capability, no Landlock hook — and RLIMIT_CPU would kill it: only
        // pid 0 (self), which glibc's getrlimit/setrlimit pass, is let through.
        libc::SYS_prlimit64 => vec![Arg(0), eq(0, Pass, deny)],
        // Every process of the uid at once (`PRIO_USER`) is never the
        // child's own business; one process or group by id is only for a
        // uid-0 child, which owns every root process on the host.
        libc::SYS_setpriority => self_only(libc::PRIO_USER, spec),
        libc::SYS_ioprio_set => self_only(IOPRIO_WHO_USER, spec),
        libc::SYS_sched_setaffinity
        | libc::SYS_sched_setscheduler
        | libc::SYS_sched_setparam
        | libc::SYS_sched_setattr
            if spec.child_is_root =>
        {
            vec![Arg(0), eq(0, Pass, deny)]
        }
        // A lease needs only ownership of the file (or CAP_LEASE); a uid-0
        // child owns every root file in its read set, and a lease stalls
        // every host process that opens the file for writing.
        // Write-life hints and O_NOATIME (which keeps reads out of the
        // file's times) need only ownership too.
        libc::SYS_fcntl if spec.child_is_root => vec![
            Arg(1),
            eq(libc::F_SETLEASE as u32, deny, Next),
            eq(F_SET_RW_HINT, deny, Next),
            eq(libc::F_SETFL as u32, Next, Pass),
            Arg(2),
            If { op: JSET, k: libc::O_NOATIME as u32, then: deny, otherwise: Pass },
        ],
        // A file a uid-0 child creates is root's: with a set-ID mode it is
        // a setuid-root file on the host (chmod is denied to it, the
        // creating calls take the mode too).
        libc::SYS_openat if spec.child_is_root => owner_checked_open(2, 3),
        #[cfg(target_arch = "x86_64")]
        libc::SYS_open if spec.child_is_root => owner_checked_open(1, 2),
        #[cfg(target_arch = "x86_64")]
        libc::SYS_creat | libc::SYS_mknod if spec.child_is_root => set_id_mode(1),
        libc::SYS_mknodat if spec.child_is_root => set_id_mode(2),
        _ => return None,
    };
    Some(checks)
}

/// `setsockopt(fd, level, name, ...)`. Sockets of one uid may share a
/// port through `SO_REUSEPORT`, and a BPF program then steers the group's
/// connections: with a bind grant, the child took over a host service's
/// port (a uid-0 child, any root service's) — no Landlock hook sees the
/// group. A multicast membership, even on a TCP socket, makes the host
/// send IGMP or MLD reports of the groups (and sources) the child names
/// onto the network, with no grant: data out of the sandbox, 2 to 4 bytes
/// a group. IPv6 flow labels fill one table for the whole machine, and
/// linger after the run. All fail with `EPERM`
/// ([`IP_MULTICAST_OPTIONS`], [`IPV6_MULTICAST_OPTIONS`]).
fn setsockopt_checks() -> Vec<Check> {
    const IP: u8 = 0;
    const IPV6: u8 = 1;
    let deny = Ret(EPERM);
    let mut c = vec![
        Arg(1),
        eq(libc::SOL_SOCKET as u32, Next, To(IP)),
        Arg(2),
        eq(libc::SO_REUSEPORT as u32, deny, Next),
        eq(libc::SO_ATTACH_REUSEPORT_CBPF as u32, deny, Next),
        eq(libc::SO_ATTACH_REUSEPORT_EBPF as u32, deny, Pass),
        Mark(IP),
        eq(libc::IPPROTO_IP as u32, Next, To(IPV6)),
        Arg(2),
    ];
    c.extend(refuse_ranges(&IP_MULTICAST_OPTIONS));
    c.extend([Mark(IPV6), eq(libc::IPPROTO_IPV6 as u32, Next, Pass), Arg(2)]);
    c.extend(refuse_ranges(&IPV6_MULTICAST_OPTIONS));
    c
}

/// Checks of the loaded value that refuse it in any of `ranges` (sorted,
/// inclusive, disjoint) and pass it otherwise, highest range first.
fn refuse_ranges(ranges: &[(u32, u32)]) -> Vec<Check> {
    let mut c = Vec::new();
    for &(low, high) in ranges.iter().rev() {
        c.push(If { op: JGE, k: high + 1, then: Pass, otherwise: Next });
        c.push(If { op: JGE, k: low, then: Ret(EPERM), otherwise: Next });
    }
    c.push(Goto(Pass));
    c
}

/// `ioctl(fd, request, ...)`: see [`CONSOLE_IOCTL_RANGES`],
/// [`TERMINAL_IOCTLS_ALLOWED`], [`FS_IOCTL_TYPES`] and [`PIDFD_GET_INFO`];
/// every other request passes.
fn ioctl_checks() -> Vec<Check> {
    const TYPES: u8 = 0;
    const FS: u8 = 1;
    const PIDFS: u8 = 2;
    const TERMINAL: u8 = 3;
    const BREAK: u8 = 4;
    const CONSOLE: u8 = 5;
    let deny = Ret(EPERM);
    let mut c = vec![Arg(1)];
    c.extend(TERMINAL_SIZED_IOCTLS_DENIED.iter().map(|&request| eq(request, deny, Next)));
    c.extend([
        If { op: JGE, k: TERMINAL_IOCTL_RANGE.0, then: Next, otherwise: To(CONSOLE) },
        If { op: JGE, k: TERMINAL_IOCTL_RANGE.1 + 1, then: To(CONSOLE), otherwise: To(TERMINAL) },
        Mark(CONSOLE),
    ]);
    // Sorted ranges: below one, the types; inside, denied; above, the next.
    for &(low, high) in &CONSOLE_IOCTL_RANGES {
        c.push(If { op: JGE, k: low, then: Next, otherwise: To(TYPES) });
        c.push(If { op: JGE, k: high + 1, then: Next, otherwise: deny });
    }
    c.extend([Mark(TYPES), And(0xff00)]);
    c.extend(FS_IOCTL_TYPES.iter().map(|&ty| eq(ty << 8, To(FS), Next)));
    c.extend([eq(0xff00, To(PIDFS), Pass), Mark(FS), Arg(1)]);
    c.extend(FS_IOCTLS_ALLOWED.iter().map(|&request| eq(request, Pass, Next)));
    // ENOTTY, as from a kernel without the call: callers fall back (to
    // /proc/<pid>/fdinfo for the pid).
    c.extend([Goto(deny), Mark(PIDFS), Arg(1), And(0xffff), eq(PIDFD_GET_INFO, Ret(errno_ret(libc::ENOTTY)), Pass)]);
    c.extend([Mark(TERMINAL), Arg(1), eq(libc::TCSBRK as u32, To(BREAK), Next)]);
    c.extend(TERMINAL_IOCTLS_ALLOWED.iter().map(|&request| eq(request, Pass, Next)));
    c.extend([Goto(deny), Mark(BREAK), Arg(2), eq(0, deny, Pass)]);
    c
}

/// `setpriority`/`ioprio_set(which, who, ...)`: never `which == user`; for a
/// uid-0 child, `who` must be 0 (the caller, its group or its uid).
fn self_only(user: u32, spec: &FilterSpec) -> Vec<Check> {
    let mut c = vec![Arg(0), eq(user, Ret(EPERM), Next)];
    if spec.child_is_root {
        c.extend([Arg(1), eq(0, Pass, Ret(EPERM))]);
    }
    c
}

/// The mode bits that make a file set-user-ID or set-group-ID.
const SET_ID_BITS: u32 = libc::S_ISUID | libc::S_ISGID;

/// `F_SET_RW_HINT` of <linux/fcntl.h>, which the libc crate lacks.
const F_SET_RW_HINT: u32 = 1036;

/// `mode` (argument `mode_arg`) carries no set-ID bit.
fn set_id_mode(mode_arg: u32) -> Vec<Check> {
    vec![Arg(mode_arg), If { op: JSET, k: SET_ID_BITS, then: Ret(EPERM), otherwise: Pass }]
}

/// What an open may not ask for when ownership is its only check: a
/// set-ID mode ([`set_id_mode`]), which counts only when the flags create a
/// file (`O_CREAT`, `O_TMPFILE`; the kernel ignores it otherwise, so callers
/// need not clear it), and `O_NOATIME`.
fn owner_checked_open(flags_arg: u32, mode_arg: u32) -> Vec<Check> {
    let creating = (libc::O_CREAT | libc::O_TMPFILE) & !libc::O_DIRECTORY;
    let mut c = vec![
        Arg(flags_arg),
        If { op: JSET, k: libc::O_NOATIME as u32, then: Ret(EPERM), otherwise: Next },
        If { op: JSET, k: creating as u32, then: Next, otherwise: Pass },
    ];
    c.extend(set_id_mode(mode_arg));
    c
}

/// `socket(domain, type, protocol)`: TCP over IPv4 and IPv6, which
/// Landlock's port rules govern; UNIX sockets, and netlink route and
/// socket-diagnostics sockets, when the policy asks for them; nothing else (no UDP, ICMP, MPTCP, SCTP, vsock, packet,
/// raw, ...).
fn socket_checks(spec: &FilterSpec) -> Vec<Check> {
    const INET: u8 = 0;
    const NOT_RAW: u8 = 1;
    let deny = Ret(EPERM);
    let mut c = vec![Arg(0), eq(libc::AF_INET as u32, To(INET), Next), eq(libc::AF_INET6 as u32, To(INET), Next)];
    if spec.allow_unix {
        c.push(eq(libc::AF_UNIX as u32, Pass, Next));
    }
    if spec.allow_netlink {
        c.push(eq(libc::AF_NETLINK as u32, To(NOT_RAW), Next));
    }
    c.extend([
        Goto(deny),
        Mark(INET),
        Arg(1),
        And(SOCK_TYPE_MASK),
        eq(libc::SOCK_STREAM as u32, Next, deny),
        Arg(2),
        eq(0, Pass, Next),
        eq(libc::IPPROTO_TCP as u32, Pass, deny),
    ]);
    if spec.allow_netlink {
        // Routes, links and socket diagnostics: what `allow_netlink` offers.
        // Other protocols reach other processes (NETLINK_USERSOCK lets any
        // sender unicast to a host socket or multicast to its listeners).
        c.extend([
            Mark(NOT_RAW),
            Arg(1),
            And(SOCK_TYPE_MASK),
            eq(libc::SOCK_RAW as u32, deny, Next),
            Arg(2),
            eq(libc::NETLINK_ROUTE as u32, Pass, Next),
            eq(libc::NETLINK_SOCK_DIAG as u32, Pass, deny),
        ]);
    }
    c
}

/// Lower `checks` into instructions followed by `RET pass` and the shared
/// returns they use. Jumps only go forward within the block.
fn lower(checks: &[Check], pass: u32) -> Vec<libc::sock_filter> {
    let size = |c: &Check| usize::from(!matches!(c, Mark(_)));
    let body_len: usize = checks.iter().map(size).sum();
    let mut labels = [usize::MAX; 8];
    let mut rets: Vec<u32> = Vec::new();
    let mut at = 0;
    for check in checks {
        if let Mark(l) = check {
            labels[usize::from(*l)] = at;
        }
        at += size(check);
        let targets = match *check {
            If { then, otherwise, .. } => [then, otherwise],
            Goto(t) => [t, t],
            _ => continue,
        };
        for t in targets {
            if let Ret(r) = t {
                if r != pass && !rets.contains(&r) {
                    rets.push(r);
                }
            }
        }
    }
    let position = |t: Target, next: usize| match t {
        Next => next,
        To(l) => labels[usize::from(l)],
        Pass => body_len,
        Ret(r) if r == pass => body_len,
        Ret(r) => body_len + 1 + rets.iter().position(|&x| x == r).expect("collected above"),
    };
    let offset = |t: Target, pc: usize| {
        let to = position(t, pc + 1);
        assert!(to > pc && to != usize::MAX, "argument checks only jump forward to known labels");
        u8::try_from(to - pc - 1).expect("argument checks are a few dozen instructions")
    };
    let mut prog = Vec::with_capacity(body_len + 1 + rets.len());
    for check in checks {
        let pc = prog.len();
        match *check {
            Arg(i) => prog.push(stmt(LD_ABS, arg_lo(i))),
            And(k) => prog.push(stmt(AND, k)),
            If { op, k, then, otherwise } => prog.push(jump(op, k, offset(then, pc), offset(otherwise, pc))),
            Goto(t) => prog.push(stmt(JA, u32::from(offset(t, pc)))),
            Mark(_) => {}
        }
    }
    prog.push(stmt(RET, pass));
    prog.extend(rets.iter().map(|&r| stmt(RET, r)));
    prog
}

/// What the filter does with one syscall number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Return this action.
    Ret(u32),
    /// Run this syscall's argument checks, which return `EPERM` or the action.
    CheckArgs(u32),
}

/// The syscalls whose verdict may depend on their arguments.
fn checked_syscalls() -> impl Iterator<Item = u32> {
    [
        libc::SYS_ioctl,
        libc::SYS_socket,
        libc::SYS_socketpair,
        libc::SYS_sendto,
        libc::SYS_sendmsg,
        libc::SYS_sendmmsg,
        libc::SYS_setsockopt,
        libc::SYS_futex,
        libc::SYS_clone,
        libc::SYS_prlimit64,
        libc::SYS_setpriority,
        libc::SYS_ioprio_set,
        libc::SYS_sched_setaffinity,
        libc::SYS_sched_setscheduler,
        libc::SYS_sched_setparam,
        libc::SYS_sched_setattr,
        libc::SYS_fcntl,
        libc::SYS_openat,
        libc::SYS_mknodat,
        #[cfg(target_arch = "x86_64")]
        libc::SYS_open,
        #[cfg(target_arch = "x86_64")]
        libc::SYS_creat,
        #[cfg(target_arch = "x86_64")]
        libc::SYS_mknod,
    ]
    .into_iter()
    .map(|n| n as u32)
}

/// The verdict of every syscall that is not simply the default, sorted by
/// number. Precedence: clone3 (and openat2 for a uid-0 child), deny,
/// argument checks, notify, allowlist.
fn verdicts(spec: &FilterSpec) -> (Vec<(u32, Verdict)>, u32) {
    let default = if spec.allow_only.is_some() { EPERM } else { libc::SECCOMP_RET_ALLOW };
    let allowed = |nr: u32| spec.allow_only.as_ref().map_or(true, |list| list.contains(&nr));
    let mut nrs: Vec<u32> = std::iter::once(libc::SYS_clone3 as u32)
        .chain(spec.child_is_root.then_some(libc::SYS_openat2 as u32))
        .chain(checked_syscalls())
        .chain(spec.deny.iter().map(|&(nr, _)| nr))
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
            let denied = spec.deny.binary_search_by_key(&nr, |&(n, _)| n).ok().map(|i| spec.deny[i].1);
            let verdict = if i64::from(nr) == libc::SYS_clone3 {
                // clone3 passes its flags in memory, out of the filter's
                // reach; ENOSYS makes libc fall back to clone, whose flags
                // are checked.
                Verdict::Ret(ENOSYS)
            } else if spec.child_is_root && i64::from(nr) == libc::SYS_openat2 {
                // openat2's mode is in memory too, where the filter cannot
                // check it for set-ID bits; libc and its callers fall back
                // to openat on ENOSYS.
                Verdict::Ret(ENOSYS)
            } else if let Some(errno) = denied {
                Verdict::Ret(errno_ret(errno))
            } else if after != EPERM && arg_checks(nr, spec).is_some() {
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
                code.extend(lower(&arg_checks(nr, spec).expect("CheckArgs only for syscalls with checks"), after));
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
    for &(low, high) in &spec.unknown {
        match high.checked_add(1) {
            Some(past) => {
                prog.push(jump(JGE, low, 0, 2));
                prog.push(jump(JGE, past, 1, 0));
            }
            None => prog.push(jump(JGE, low, 0, 1)),
        }
        prog.push(stmt(RET, ENOSYS));
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
    // The kernel returns an int: 0 or a file descriptor.
    crate::raw_syscall::result(ret).map(|fd| fd as libc::c_int).map_err(io::Error::from_raw_os_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raw_syscall::result as sys;
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

    fn eperm(nrs: &[u32]) -> Vec<(u32, i32)> {
        nrs.iter().map(|&n| (n, libc::EPERM)).collect()
    }

    fn default_deny() -> Vec<(u32, i32)> {
        eperm(crate::deny::default_deny_numbers())
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
        let spec = FilterSpec {
            deny: default_deny(),
            unknown: crate::syscall::unknown_ranges().to_vec(),
            ..FilterSpec::default()
        };
        let special = spec.deny.len() + checked_syscalls().count() + 1;
        let len = assemble(&spec).len();
        // A RET per syscall (the layout this replaced) would need 2 * special
        // plus the same tree, argument checks (~150, a third of them the
        // terminal requests that pass) and prologue.
        assert!(len <= special + special / 2 + 180, "{len} instructions for {special} special syscalls");
    }

    #[test]
    fn every_syscall_is_decided_in_a_logarithmic_number_of_steps() {
        let spec = FilterSpec {
            deny: default_deny(),
            notify: (0..400).step_by(8).collect(),
            unknown: crate::syscall::unknown_ranges().to_vec(),
            ..FilterSpec::default()
        };
        let prog = assemble(&spec);
        let longest = (0..1024).map(|n| run_counting(&prog, &data(n, NATIVE_AUDIT_ARCH, [0; 6])).1).max().unwrap();
        // ~150 special syscalls: a linear chain would run ~300 instructions.
        assert!(longest <= 60, "longest path {longest}");
    }

    /// Argument vectors for a checked syscall: every value that some check
    /// compares with, its neighbours and extremes, in each position.
    fn interesting_args() -> Vec<[u64; 6]> {
        let mut values: Vec<u64> = vec![0, 1, 2, 3, 5, 10, 16, 0x7fff_ffff, 0xffff_ffff, u64::MAX];
        values.extend(TERMINAL_IOCTLS_DENIED.iter().chain(&TERMINAL_IOCTLS_ALLOWED).map(|&r| u64::from(r)));
        values.extend(FS_IOCTLS_ALLOWED.iter().map(|&r| u64::from(r)));
        values
            .extend(CONSOLE_IOCTL_RANGES.iter().flat_map(|&(low, high)| [low - 1, low, high, high + 1]).map(u64::from));
        values.push(libc::TCSBRK);
        values.extend([0x4008_6604, 0x8008_941a, 0xc040_ff0b, 0xff06, libc::TCGETS]);
        values.extend(
            [libc::AF_UNIX, libc::AF_INET, libc::AF_INET6, libc::AF_NETLINK, libc::AF_PACKET].map(|v| v as u64),
        );
        values.extend([libc::SOCK_STREAM, libc::SOCK_DGRAM, libc::SOCK_RAW, libc::SOCK_SEQPACKET].map(|v| v as u64));
        values.extend(
            [libc::SOCK_STREAM | libc::SOCK_CLOEXEC, libc::IPPROTO_TCP, libc::IPPROTO_UDP, libc::NETLINK_SOCK_DIAG]
                .map(|v| v as u64),
        );
        values.extend(
            [libc::MSG_FASTOPEN, libc::F_SETLEASE, libc::F_SETFL, libc::O_NOATIME, libc::SIGCHLD].map(|v| v as u64),
        );
        values.push(u64::from(F_SET_RW_HINT));
        values.extend([u64::from(libc::PRIO_USER), u64::from(IOPRIO_WHO_USER)]);
        values.extend([
            u64::from(CLONE_NS_FLAGS),
            libc::CLONE_NEWUSER as u64,
            libc::CLONE_VM as u64,
            libc::CLONE_PARENT as u64,
        ]);
        values.extend(
            [libc::O_CREAT, libc::O_CREAT | libc::O_WRONLY, libc::O_TMPFILE, libc::O_DIRECTORY].map(|v| v as u64),
        );
        values.extend([0o755, 0o4755, 0o2755, 0o6000, libc::S_IFREG | 0o4755].map(u64::from));
        let mut all = vec![[0u64; 6]];
        for position in 0..4 {
            for &v in &values {
                let mut args = [0u64; 6];
                args[position] = v;
                all.push(args);
            }
        }
        // Pairs of the first three arguments, as socket(domain, type, protocol)
        // or open(path, flags, mode), and of the last two of openat(dir,
        // path, flags, mode).
        for &a in &values {
            for &b in &values {
                all.push([a, b, 0, 0, 0, 0]);
                all.push([a, b, libc::IPPROTO_TCP as u64, 0, 0, 0]);
                all.push([0, a, b, 0, 0, 0]);
                all.push([0, 0, a, b, 0, 0]);
            }
        }
        all
    }

    /// The program decides every number as its table says: a number in the
    /// table gets its verdict (for a checked syscall, what its argument
    /// checks return when run on their own), any other the default, and an
    /// unknown number ENOSYS — whatever the layout of the search.
    #[test]
    fn every_number_gets_the_verdict_of_its_table_entry() {
        let every: Vec<u32> = all_syscalls().map(|(_, n)| n).collect();
        let unknown = crate::syscall::unknown_ranges().to_vec();
        let specs = [
            FilterSpec { deny: default_deny(), unknown: unknown.clone(), ..FilterSpec::default() },
            FilterSpec {
                deny: default_deny(),
                notify: vec![nr("openat"), nr("connect"), nr("execve"), nr("clone"), nr("getppid")],
                unknown: unknown.clone(),
                child_is_root: true,
                allow_unix: true,
                ..FilterSpec::default()
            },
            FilterSpec {
                deny: eperm(&[nr("mount"), nr("ptrace")]),
                notify: (0..400).step_by(3).collect(),
                allow_only: Some(every.iter().copied().step_by(2).collect()),
                unknown: unknown.clone(),
                allow_netlink: true,
                ..FilterSpec::default()
            },
            FilterSpec { deny: eperm(&every), unknown: unknown.clone(), ..FilterSpec::default() },
        ];
        let args = interesting_args();
        for spec in &specs {
            let prog = assemble(spec);
            let (table, default) = verdicts(spec);
            for nr in 0..1024u32 {
                let entry = table.binary_search_by_key(&nr, |&(n, _)| n).ok().map(|i| table[i].1);
                let checked = matches!(entry, Some(Verdict::CheckArgs(_)));
                let vectors: &[[u64; 6]] = if checked { &args } else { &[[0; 6]] };
                for a in vectors {
                    let d = data(nr, NATIVE_AUDIT_ARCH, *a);
                    let expected = if spec.unknown.iter().any(|&(lo, hi)| lo <= nr && nr <= hi) {
                        ENOSYS
                    } else {
                        match entry {
                            None => default,
                            Some(Verdict::Ret(r)) => r,
                            Some(Verdict::CheckArgs(after)) => {
                                run(&lower(&arg_checks(nr, spec).expect("checked"), after), &d)
                            }
                        }
                    };
                    assert_eq!(run(&prog, &d), expected, "nr {nr} args {a:x?}");
                }
            }
        }
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
        let spec = FilterSpec {
            notify: vec![nr("mount"), nr("openat")],
            deny: eperm(&[nr("mount")]),
            ..FilterSpec::default()
        };
        assert_eq!(verdict(&spec, nr("mount"), [0; 6]), EPERM);
        assert_eq!(verdict(&spec, nr("openat"), [0; 6]), NOTIF);
        assert_eq!(verdict(&spec, nr("read"), [0; 6]), ALLOW);
    }

    /// Terminal requests that act beyond the run or the terminal's modes.
    const TERMINAL_IOCTLS_DENIED: [u32; 24] = [
        libc::TIOCSTI as u32,
        libc::TIOCLINUX as u32,
        libc::TIOCSWINSZ as u32,
        libc::TIOCSPGRP as u32,
        libc::TIOCSETD as u32,
        libc::TCXONC as u32,
        libc::TIOCEXCL as u32,
        libc::TIOCSCTTY as u32,
        libc::TIOCSIG as u32,
        libc::TIOCMSET as u32,
        libc::TIOCMBIS as u32,
        libc::TIOCMBIC as u32,
        libc::TIOCSBRK as u32,
        libc::TIOCCBRK as u32,
        libc::TCSBRKP as u32,
        libc::TIOCSSERIAL as u32,
        libc::TIOCSRS485 as u32,
        libc::TIOCCONS as u32,
        libc::TIOCVHANGUP as u32,
        libc::TIOCSLCKTRMIOS as u32,
        0xc028_5443, // TIOCSISO7816
        libc::TIOCSPTLCK as u32,
        libc::TIOCPKT as u32,
        libc::TIOCNXCL as u32,
    ];

    #[test]
    fn terminal_requests_pass_only_from_their_list_on_low_32_bits() {
        let spec = FilterSpec::default();
        for request in TERMINAL_IOCTLS_DENIED {
            assert_eq!(ioctl(&spec, libc::c_ulong::from(request)), EPERM, "{request:#x}");
            // The kernel reads the request as an unsigned int.
            assert_eq!(ioctl(&spec, libc::c_ulong::from(request) | 0xdead_beef_0000_0000), EPERM, "{request:#x}");
        }
        for request in TERMINAL_IOCTLS_ALLOWED {
            assert_eq!(ioctl(&spec, libc::c_ulong::from(request)), ALLOW, "{request:#x}");
        }
        // Sized requests of the type: termios2, the pseudo-terminal queries,
        // TUN's and the sound timers'.
        for request in [libc::TCGETS2, libc::TCSETS2, libc::TIOCGPTN, libc::TIOCGDEV, 0x8004_54cf, 0x4004_54ca] {
            assert_eq!(ioctl(&spec, request as libc::c_ulong), ALLOW, "{request:#x}");
        }
        // Every plain 'T' number not on the list, the ones a later kernel adds too.
        for request in (TERMINAL_IOCTL_RANGE.0..=TERMINAL_IOCTL_RANGE.1)
            .filter(|r| !TERMINAL_IOCTLS_ALLOWED.contains(r) && *r != libc::TCSBRK as u32)
        {
            assert_eq!(ioctl(&spec, libc::c_ulong::from(request)), EPERM, "{request:#x}");
        }
        // TCSBRK drains (tcdrain) with a non-zero argument and sends a break with zero.
        let tcsbrk = |arg: u64| verdict(&spec, nr("ioctl"), [0, libc::TCSBRK, arg, 0, 0, 0]);
        assert_eq!(tcsbrk(1), ALLOW);
        assert_eq!(tcsbrk(0), EPERM);
    }

    #[test]
    fn console_requests_are_denied_and_their_neighbours_pass() {
        let spec = FilterSpec::default();
        for (low, high) in CONSOLE_IOCTL_RANGES {
            for request in low..=high {
                assert_eq!(ioctl(&spec, libc::c_ulong::from(request)), EPERM, "{request:#x}");
                assert_eq!(ioctl(&spec, libc::c_ulong::from(request) | 0x1_0000_0000), EPERM, "{request:#x}");
            }
            assert_eq!(ioctl(&spec, libc::c_ulong::from(low - 1)), ALLOW, "{:#x}", low - 1);
            assert_eq!(ioctl(&spec, libc::c_ulong::from(high + 1)), ALLOW, "{:#x}", high + 1);
        }
        // VT_ACTIVATE, KDSKBMODE, PIO_CMAP by name; V4L2's 'V' requests pass.
        for request in [0x5606, 0x4b45, 0x4b71] {
            assert_eq!(ioctl(&spec, request), EPERM, "{request:#x}");
        }
        assert_eq!(ioctl(&spec, 0x8068_5600), ALLOW, "VIDIOC_QUERYCAP");
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

    fn socket_with(spec: &FilterSpec, domain: i32, ty: i32, protocol: i32) -> u32 {
        verdict(spec, nr("socket"), [domain as u64, ty as u64, protocol as u64, 0, 0, 0])
    }

    #[test]
    fn only_tcp_over_ip_is_allowed_by_default() {
        let spec = FilterSpec::default();
        for domain in [libc::AF_INET, libc::AF_INET6] {
            assert_eq!(socket_with(&spec, domain, libc::SOCK_STREAM, 0), ALLOW);
            assert_eq!(socket_with(&spec, domain, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, libc::IPPROTO_TCP), ALLOW);
            assert_eq!(socket_with(&spec, domain, libc::SOCK_STREAM, libc::IPPROTO_MPTCP), EPERM);
            assert_eq!(socket_with(&spec, domain, libc::SOCK_STREAM, libc::IPPROTO_SCTP), EPERM);
            assert_eq!(socket_with(&spec, domain, libc::SOCK_DGRAM, 0), EPERM);
            assert_eq!(socket_with(&spec, domain, libc::SOCK_DGRAM, libc::IPPROTO_ICMP), EPERM);
            assert_eq!(socket_with(&spec, domain, libc::SOCK_SEQPACKET, 0), EPERM);
            assert_eq!(socket_with(&spec, domain, libc::SOCK_RAW, libc::IPPROTO_TCP), EPERM);
            // The kernel reads the protocol as an int.
            let high = verdict(&spec, nr("socket"), [domain as u64, 1, 0x1_0000_0000 | 262, 0, 0, 0]);
            assert_eq!(high, EPERM);
        }
        for domain in [libc::AF_VSOCK, libc::AF_UNIX, libc::AF_NETLINK, libc::AF_PACKET, libc::AF_ALG, 0, 45] {
            for ty in [libc::SOCK_STREAM, libc::SOCK_DGRAM, libc::SOCK_SEQPACKET] {
                assert_eq!(socket_with(&spec, domain, ty, 0), EPERM, "domain {domain} type {ty}");
            }
        }
    }

    #[test]
    fn socket_pairs_are_private_unless_unix_sockets_are_allowed() {
        let pair = |spec: &FilterSpec, domain: i32, ty: i32| {
            verdict(spec, nr("socketpair"), [domain as u64, ty as u64, 0, 0, 0, 0])
        };
        let default = FilterSpec::default();
        assert_eq!(pair(&default, libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC), ALLOW);
        assert_eq!(pair(&default, libc::AF_UNIX, libc::SOCK_SEQPACKET), ALLOW);
        assert_eq!(pair(&default, libc::AF_UNIX, libc::SOCK_DGRAM), EPERM);
        assert_eq!(pair(&default, libc::AF_INET, libc::SOCK_STREAM), EPERM);
        let unix = FilterSpec { allow_unix: true, ..FilterSpec::default() };
        assert_eq!(pair(&unix, libc::AF_UNIX, libc::SOCK_DGRAM), ALLOW);
        assert_eq!(pair(&unix, libc::AF_TIPC, libc::SOCK_DGRAM), EPERM);
    }

    #[test]
    fn fast_open_is_denied_on_every_send() {
        let spec = FilterSpec { notify: vec![nr("sendmsg")], ..FilterSpec::default() };
        let fastopen = libc::MSG_FASTOPEN as u64;
        assert_eq!(verdict(&spec, nr("sendto"), [3, 0, 1, fastopen | libc::MSG_NOSIGNAL as u64, 0, 0]), EPERM);
        assert_eq!(verdict(&spec, nr("sendto"), [3, 0, 1, libc::MSG_NOSIGNAL as u64, 0, 0]), ALLOW);
        assert_eq!(verdict(&spec, nr("sendmmsg"), [3, 0, 1, fastopen, 0, 0]), EPERM);
        assert_eq!(verdict(&spec, nr("sendmsg"), [3, 0, fastopen, 0, 0, 0]), EPERM);
        assert_eq!(verdict(&spec, nr("sendmsg"), [3, 0, 0, 0, 0, 0]), NOTIF);
    }

    #[test]
    fn a_root_child_creates_no_set_id_file() {
        let root = FilterSpec { child_is_root: true, ..FilterSpec::default() };
        let other = FilterSpec::default();
        let creating = [libc::O_CREAT | libc::O_WRONLY, libc::O_TMPFILE | libc::O_RDWR].map(|f| f as u64);
        for spec in [&root, &other] {
            let denied = |allowed: u32| if spec.child_is_root { EPERM } else { allowed };
            for mode in [0o4755u64, 0o2755, 0o6644] {
                for flags in creating {
                    assert_eq!(
                        verdict(spec, nr("openat"), [0, 0, flags, mode, 0, 0]),
                        denied(ALLOW),
                        "{flags:o} {mode:o}"
                    );
                    #[cfg(target_arch = "x86_64")]
                    assert_eq!(
                        verdict(spec, nr("open"), [0, flags, mode, 0, 0, 0]),
                        denied(ALLOW),
                        "{flags:o} {mode:o}"
                    );
                }
                // Without a creating flag the kernel ignores the mode.
                assert_eq!(verdict(spec, nr("openat"), [0, 0, libc::O_RDONLY as u64, mode, 0, 0]), ALLOW);
                let node = u64::from(libc::S_IFREG) | mode;
                assert_eq!(verdict(spec, nr("mknodat"), [0, 0, node, 0, 0, 0]), denied(ALLOW));
                #[cfg(target_arch = "x86_64")]
                {
                    assert_eq!(verdict(spec, nr("creat"), [0, mode, 0, 0, 0, 0]), denied(ALLOW));
                    assert_eq!(verdict(spec, nr("mknod"), [0, node, 0, 0, 0, 0]), denied(ALLOW));
                }
            }
            assert_eq!(verdict(spec, nr("openat"), [0, 0, creating[0], 0o755, 0, 0]), ALLOW);
            assert_eq!(verdict(spec, nr("mknodat"), [0, 0, u64::from(libc::S_IFIFO) | 0o644, 0, 0, 0]), ALLOW);
        }
        // Its mode is in memory: a root child's libc falls back to openat.
        assert_eq!(verdict(&root, nr("openat2"), [0; 6]), ENOSYS);
        assert_eq!(verdict(&other, nr("openat2"), [0; 6]), ALLOW);
        // The set-ID check comes first; what passes it is still notified.
        let notified = FilterSpec { notify: vec![nr("openat"), nr("openat2")], ..root };
        assert_eq!(verdict(&notified, nr("openat"), [0, 0, creating[0], 0o4755, 0, 0]), EPERM);
        assert_eq!(verdict(&notified, nr("openat"), [0, 0, creating[0], 0o755, 0, 0]), NOTIF);
        assert_eq!(verdict(&notified, nr("openat2"), [0; 6]), ENOSYS);
    }

    #[test]
    fn no_socket_joins_another_ones_reuseport_group() {
        let spec = FilterSpec::default();
        let sockopt = |level: i32, name: i32| verdict(&spec, nr("setsockopt"), [3, level as u64, name as u64, 0, 4, 0]);
        for name in [libc::SO_REUSEPORT, libc::SO_ATTACH_REUSEPORT_CBPF, libc::SO_ATTACH_REUSEPORT_EBPF] {
            assert_eq!(sockopt(libc::SOL_SOCKET, name), EPERM, "{name}");
            assert_eq!(sockopt(libc::IPPROTO_TCP, name), ALLOW, "{name} of another level");
        }
        assert_eq!(sockopt(libc::SOL_SOCKET, libc::SO_REUSEADDR), ALLOW);
    }

    #[test]
    fn multicast_anycast_and_flow_label_options_are_denied_and_their_neighbours_pass() {
        let spec = FilterSpec::default();
        let sockopt =
            |level: i32, name: u32| verdict(&spec, nr("setsockopt"), [3, level as u64, u64::from(name), 0, 4, 0]);
        for (level, ranges) in
            [(libc::IPPROTO_IP, &IP_MULTICAST_OPTIONS[..]), (libc::IPPROTO_IPV6, &IPV6_MULTICAST_OPTIONS[..])]
        {
            for name in 0..=255 {
                let denied = ranges.iter().any(|&(low, high)| (low..=high).contains(&name));
                assert_eq!(sockopt(level, name), if denied { EPERM } else { ALLOW }, "level {level}, option {name}");
            }
        }
        for name in
            [libc::IP_ADD_MEMBERSHIP, libc::MCAST_JOIN_GROUP, libc::IP_ADD_SOURCE_MEMBERSHIP, libc::IP_MULTICAST_ALL]
        {
            assert_eq!(sockopt(libc::IPPROTO_IP, name as u32), EPERM, "{name}");
        }
        for name in [libc::IPV6_ADD_MEMBERSHIP, libc::MCAST_JOIN_SOURCE_GROUP, libc::IPV6_FLOWLABEL_MGR] {
            assert_eq!(sockopt(libc::IPPROTO_IPV6, name as u32), EPERM, "{name}");
        }
        // The options of TCP sockets themselves pass.
        for (level, name) in
            [(libc::IPPROTO_IP, libc::IP_TOS), (libc::IPPROTO_IPV6, libc::IPV6_V6ONLY), (libc::IPPROTO_TCP, 32)]
        {
            assert_eq!(sockopt(level, name as u32), ALLOW, "level {level}, option {name}");
        }
    }

    #[test]
    fn only_private_futex_requeues_pass() {
        let spec = FilterSpec::default();
        let futex = |op: i32| verdict(&spec, nr("futex"), [0x1000, op as u64, 0, 1, 0x2000, 0]);
        for command in [libc::FUTEX_REQUEUE, libc::FUTEX_CMP_REQUEUE, libc::FUTEX_CMP_REQUEUE_PI] {
            assert_eq!(futex(command), EPERM, "{command}");
            assert_eq!(futex(command | libc::FUTEX_CLOCK_REALTIME), EPERM, "{command} with the clock flag");
            assert_eq!(futex(command | libc::FUTEX_PRIVATE_FLAG), ALLOW, "private {command}");
        }
        for command in
            [libc::FUTEX_WAIT, libc::FUTEX_WAKE, libc::FUTEX_WAKE_OP, libc::FUTEX_LOCK_PI, libc::FUTEX_WAIT_BITSET]
        {
            assert_eq!(futex(command), ALLOW, "{command}");
            assert_eq!(futex(command | libc::FUTEX_PRIVATE_FLAG), ALLOW, "private {command}");
        }
    }

    #[test]
    fn other_processes_are_out_of_reach_of_a_root_child() {
        let root = FilterSpec { child_is_root: true, ..FilterSpec::default() };
        let other = FilterSpec::default();
        let prio = |spec: &FilterSpec, which: i32, who: u64| {
            verdict(spec, nr("setpriority"), [which as u64, who, 19, 0, 0, 0])
        };
        for spec in [&root, &other] {
            assert_eq!(prio(spec, libc::PRIO_USER as i32, 0), EPERM);
            assert_eq!(prio(spec, libc::PRIO_PROCESS as i32, 0), ALLOW);
            assert_eq!(verdict(spec, nr("ioprio_set"), [IOPRIO_WHO_USER as u64, 0, 0, 0, 0, 0]), EPERM);
            assert_eq!(verdict(spec, nr("ioprio_set"), [1, 0, 0, 0, 0, 0]), ALLOW);
        }
        assert_eq!(prio(&root, libc::PRIO_PROCESS as i32, 1234), EPERM);
        assert_eq!(prio(&other, libc::PRIO_PROCESS as i32, 1234), ALLOW);
        let lease = |spec: &FilterSpec| verdict(spec, nr("fcntl"), [3, libc::F_SETLEASE as u64, 0, 0, 0, 0]);
        assert_eq!(lease(&root), EPERM);
        assert_eq!(lease(&other), ALLOW);
        assert_eq!(verdict(&root, nr("fcntl"), [3, libc::F_GETFL as u64, 0, 0, 0, 0]), ALLOW);
        let fcntl =
            |spec: &FilterSpec, cmd: i32, arg: i32| verdict(spec, nr("fcntl"), [3, cmd as u64, arg as u64, 0, 0, 0]);
        assert_eq!(fcntl(&root, F_SET_RW_HINT as i32, 0), EPERM);
        assert_eq!(fcntl(&root, libc::F_SETFL, libc::O_NOATIME | libc::O_NONBLOCK), EPERM);
        assert_eq!(fcntl(&root, libc::F_SETFL, libc::O_NONBLOCK), ALLOW);
        assert_eq!(fcntl(&other, libc::F_SETFL, libc::O_NOATIME), ALLOW);
        let noatime = (libc::O_RDONLY | libc::O_NOATIME) as u64;
        assert_eq!(verdict(&root, nr("openat"), [0, 0, noatime, 0, 0, 0]), EPERM);
        assert_eq!(verdict(&other, nr("openat"), [0, 0, noatime, 0, 0, 0]), ALLOW);
        for name in ["sched_setaffinity", "sched_setscheduler", "sched_setparam", "sched_setattr"] {
            assert_eq!(verdict(&root, nr(name), [1234, 0, 0, 0, 0, 0]), EPERM, "{name}");
            assert_eq!(verdict(&root, nr(name), [0, 0, 0, 0, 0, 0]), ALLOW, "{name}");
            assert_eq!(verdict(&other, nr(name), [1234, 0, 0, 0, 0, 0]), ALLOW, "{name}");
        }
    }

    #[test]
    fn inode_attribute_ioctls_are_denied_whatever_file_system_numbers_them() {
        let spec = FilterSpec::default();
        let changes = [
            libc::FS_IOC_SETFLAGS,
            libc::FS_IOC32_SETFLAGS,
            libc::FS_IOC_SETVERSION,
            libc::FS_IOC32_SETVERSION,
            0x4008_6604, // EXT4_IOC_SETVERSION
            0x4004_6604, // EXT4_IOC32_SETVERSION
            0x401c_5820, // FS_IOC_FSSETXATTR
            0x800c_6613, // FS_IOC_SET_ENCRYPTION_POLICY
            0x4080_6685, // FS_IOC_ENABLE_VERITY
            0xc050_6617, // FS_IOC_ADD_ENCRYPTION_KEY
            0x4008_941a, // BTRFS_IOC_SUBVOL_SETFLAGS
            0x5000_9418, // BTRFS_IOC_SUBVOL_CREATE_V2
            0x4200_94ff, // an unknown btrfs request
            0x0000_f501, // an f2fs request
            0x4101_9432, // FS_IOC_SETFSLABEL
        ];
        for request in changes {
            assert_eq!(ioctl(&spec, request as libc::c_ulong), EPERM, "{request:#x}");
            // The kernel reads the request as an unsigned int.
            assert_eq!(ioctl(&spec, (request as libc::c_ulong) | 0x1_0000_0000), EPERM, "{request:#x}");
        }
        for request in FS_IOCTLS_ALLOWED {
            assert_eq!(ioctl(&spec, libc::c_ulong::from(request)), ALLOW, "{request:#x}");
        }
        for request in [libc::TCGETS, libc::FIONREAD, libc::FIOCLEX, libc::TIOCGWINSZ, libc::TIOCGPGRP] {
            assert_eq!(ioctl(&spec, request as libc::c_ulong), ALLOW, "{request:#x}");
        }
    }

    #[test]
    fn pidfd_info_fails_as_on_a_kernel_without_it() {
        let spec = FilterSpec::default();
        // PIDFD_GET_INFO with the first struct size and a larger one.
        for request in [0xc040_ff0bu32, 0xc050_ff0b] {
            assert_eq!(ioctl(&spec, libc::c_ulong::from(request)), errno_ret(libc::ENOTTY), "{request:#x}");
        }
        // PIDFD_GET_PID_NAMESPACE: the kernel checks ptrace access itself.
        assert_eq!(ioctl(&spec, 0xff06), ALLOW);
    }

    #[test]
    fn numbers_the_table_does_not_know_fail_with_enosys() {
        let spec = FilterSpec {
            unknown: vec![(335, 423), (470, u32::MAX)],
            allow_only: Some(vec![nr("read")]),
            ..FilterSpec::default()
        };
        for n in [335, 400, 423, 470, 1000, 0x3fff_ffff] {
            assert_eq!(verdict(&spec, n, [0; 6]), ENOSYS, "{n}");
        }
        assert_eq!(verdict(&spec, 334, [0; 6]), EPERM);
        assert_eq!(verdict(&spec, 424, [0; 6]), EPERM);
        assert_eq!(verdict(&spec, nr("read"), [0; 6]), ALLOW);
    }

    #[test]
    fn a_deny_entry_keeps_its_errno() {
        let spec = FilterSpec { deny: vec![(nr("bind"), libc::EACCES)], ..FilterSpec::default() };
        assert_eq!(verdict(&spec, nr("bind"), [0; 6]), errno_ret(libc::EACCES));
    }

    #[test]
    fn labels_and_shared_returns_lower_to_local_jumps() {
        const SKIP: u8 = 0;
        let checks = [
            Arg(0),
            eq(1, To(SKIP), Next),
            eq(2, Ret(EPERM), Ret(ENOSYS)),
            Mark(SKIP),
            Arg(1),
            eq(7, Pass, Ret(EPERM)),
        ];
        let prog = lower(&checks, ALLOW);
        let run_with = |a0: u64, a1: u64| run(&prog, &data(0, NATIVE_AUDIT_ARCH, [a0, a1, 0, 0, 0, 0]));
        assert_eq!(run_with(1, 7), ALLOW);
        assert_eq!(run_with(1, 8), EPERM);
        assert_eq!(run_with(2, 7), EPERM);
        assert_eq!(run_with(3, 7), ENOSYS);
        // Body (5), RET pass, and one RET per other value.
        assert_eq!(prog.len(), 5 + 1 + 2);
    }

    #[test]
    fn unix_sockets_can_be_allowed() {
        let spec = FilterSpec { allow_unix: true, ..FilterSpec::default() };
        assert_eq!(socket(&spec, libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_NONBLOCK), ALLOW);
        assert_eq!(socket(&spec, libc::AF_PACKET, libc::SOCK_DGRAM), EPERM);
    }

    #[test]
    fn netlink_can_be_allowed_for_routes_and_socket_diagnostics_only() {
        let spec = FilterSpec { allow_netlink: true, ..FilterSpec::default() };
        assert_eq!(socket(&spec, libc::AF_NETLINK, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC), ALLOW);
        assert_eq!(socket(&spec, libc::AF_NETLINK, libc::SOCK_RAW), EPERM);
        assert_eq!(socket(&spec, libc::AF_PACKET, libc::SOCK_DGRAM), EPERM);
        let netlink = |protocol: i32| {
            verdict(&spec, nr("socket"), [libc::AF_NETLINK as u64, libc::SOCK_DGRAM as u64, protocol as u64, 0, 0, 0])
        };
        assert_eq!(netlink(libc::NETLINK_ROUTE), ALLOW);
        assert_eq!(netlink(libc::NETLINK_SOCK_DIAG), ALLOW);
        for protocol in
            [libc::NETLINK_USERSOCK, libc::NETLINK_GENERIC, libc::NETLINK_KOBJECT_UEVENT, libc::NETLINK_AUDIT]
        {
            assert_eq!(netlink(protocol), EPERM, "{protocol}");
        }
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
    fn namespace_clone_flags_and_clone_parent_are_denied() {
        let spec = FilterSpec::default();
        assert_eq!(clone(&spec, (libc::CLONE_NEWUSER | libc::SIGCHLD) as u64), EPERM);
        assert_eq!(clone(&spec, libc::CLONE_NEWNET as u64), EPERM);
        assert_eq!(clone(&spec, libc::CLONE_NEWCGROUP as u64), EPERM);
        assert_eq!(clone(&spec, (libc::CLONE_PARENT | libc::SIGCHLD) as u64), EPERM);
        assert_eq!(clone(&spec, (libc::CLONE_PARENT | libc::CLONE_VM | libc::CLONE_VFORK) as u64), EPERM);
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
            deny: eperm(&[nr("mount")]),
            allow_only: Some(vec![nr("read"), nr("write"), nr("mount")]),
            ..FilterSpec::default()
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
            // Zero arguments: domain AF_UNSPEC, which no policy allows.
            let expected = match name {
                "clone3" => ENOSYS,
                "socket" | "socketpair" => EPERM,
                _ => ALLOW,
            };
            assert_eq!(run(&prog, &data(n, NATIVE_AUDIT_ARCH, [0; 6])), expected, "{name}");
        }
    }

    #[test]
    fn every_syscall_in_deny_and_notify_and_allowlist_fits() {
        let every: Vec<u32> = all_syscalls().map(|(_, n)| n).collect();
        assert!(every.len() > 300, "only {} syscalls enumerated", every.len());
        let spec = FilterSpec {
            notify: every.clone(),
            deny: eperm(&every),
            allow_only: Some(every.clone()),
            unknown: crate::syscall::unknown_ranges().to_vec(),
            child_is_root: true,
            ..FilterSpec::default()
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
        // SAFETY: as above; a number the spec does not know fails with
        // ENOSYS although the kernel implements it.
        if sys(unsafe { libc::syscall(libc::SYS_getgid) }) != Err(libc::ENOSYS) {
            return 9;
        }
        // SAFETY: as above.
        let fastopen = sys(unsafe {
            libc::syscall(
                libc::SYS_sendto,
                -1 as libc::c_long,
                0usize,
                0usize,
                libc::MSG_FASTOPEN as libc::c_long,
                0usize,
                0usize,
            )
        });
        if fastopen != Err(libc::EPERM) {
            return 10;
        }
        0
    }

    #[test]
    fn kernel_accepts_and_enforces_the_program() {
        // getgid stands for a syscall missing from the table (a gap).
        let gid = nr("getgid");
        let spec = FilterSpec {
            notify: vec![nr("getppid")],
            deny: default_deny(),
            unknown: vec![(gid, gid), (1000, u32::MAX)],
            ..FilterSpec::default()
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
