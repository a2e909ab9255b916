//! Host IPC objects. The child shares the host's IPC namespace (it may not
//! unshare), Landlock does not mediate SysV IPC or POSIX message queues,
//! and their permission check compares uids only: a uid-0 child passes it
//! on every root-owned object, capabilities or not, and any uid passes it
//! on a 0666 one. So the sandbox gives no access to host objects at all,
//! for any uid.

mod common;

use std::ffi::CString;
use std::sync::atomic::{AtomicI32, Ordering};

use common::{policy, probe, sandbox_as, Identity};

const SECRET: &[u8] = b"host secret";
const MESSAGE: &[u8] = b"queued";
const SEGMENT_SIZE: usize = 4096;

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().expect("an OS error")
}

/// A SysV key no other test process uses (the pid's low bits and a counter).
fn unique_key() -> libc::key_t {
    static COUNTER: AtomicI32 = AtomicI32::new(0);
    0x5a00_0000 | ((std::process::id() as i32 & 0xffff) << 8) | COUNTER.fetch_add(1, Ordering::Relaxed)
}

#[repr(C)]
struct Msg {
    mtype: libc::c_long,
    mtext: [u8; 64],
}

/// One SysV object of the host: its key and id.
#[derive(Clone, Copy)]
struct Object {
    key: libc::key_t,
    id: i32,
}

impl Object {
    fn key(&self) -> String {
        self.key.to_string()
    }

    fn id(&self) -> String {
        self.id.to_string()
    }
}

/// Creates a segment of `mode` holding [`SECRET`].
fn create_segment(mode: i32) -> Object {
    let key = unique_key();
    // SAFETY: shmget has no memory effects.
    let id = unsafe { libc::shmget(key, SEGMENT_SIZE, libc::IPC_CREAT | libc::IPC_EXCL | mode) };
    assert!(id >= 0, "shmget: errno {}", errno());
    // SAFETY: attaching a segment we just created, at an address the kernel picks.
    let mem = unsafe { libc::shmat(id, std::ptr::null(), 0) };
    if mem as isize == -1 {
        let err = errno();
        // SAFETY: removing the segment just created; IPC_RMID takes no buffer.
        unsafe { libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()) };
        panic!("shmat: errno {err}");
    }
    // SAFETY: the segment is SEGMENT_SIZE bytes, larger than SECRET, and
    // attached read-write at `mem` until shmdt.
    unsafe {
        std::ptr::copy_nonoverlapping(SECRET.as_ptr(), mem.cast::<u8>(), SECRET.len());
        libc::shmdt(mem);
    }
    Object { key, id }
}

/// The first bytes of segment `id`, as long as [`SECRET`].
fn segment_bytes(id: i32) -> Vec<u8> {
    // SAFETY: attaching read-only at an address the kernel picks.
    let mem = unsafe { libc::shmat(id, std::ptr::null(), libc::SHM_RDONLY) };
    assert_ne!(mem as isize, -1, "shmat: errno {}", errno());
    // SAFETY: the segment is SEGMENT_SIZE bytes, attached at `mem` until shmdt.
    unsafe {
        let bytes = std::slice::from_raw_parts(mem.cast::<u8>(), SECRET.len()).to_vec();
        libc::shmdt(mem);
        bytes
    }
}

/// The host's objects, each mode 0600 but `shared_segment` (0666);
/// removed on drop, whatever the test did.
#[derive(Default)]
struct HostIpc {
    segment: Option<Object>,
    shared_segment: Option<Object>,
    queue: Option<Object>,
    semaphores: Option<Object>,
    mq_name: Option<CString>,
}

impl HostIpc {
    fn new() -> HostIpc {
        let mut host = HostIpc::default();
        host.segment = Some(create_segment(0o600));
        host.shared_segment = Some(create_segment(0o666));

        let key = unique_key();
        // SAFETY: msgget has no memory effects.
        let id = unsafe { libc::msgget(key, libc::IPC_CREAT | libc::IPC_EXCL | 0o600) };
        assert!(id >= 0, "msgget: errno {}", errno());
        host.queue = Some(Object { key, id });
        let mut msg = Msg { mtype: 1, mtext: [0; 64] };
        msg.mtext[..MESSAGE.len()].copy_from_slice(MESSAGE);
        // SAFETY: `msg` holds mtype and MESSAGE.len() bytes of text.
        let rc = unsafe { libc::msgsnd(id, (&msg as *const Msg).cast(), MESSAGE.len(), libc::IPC_NOWAIT) };
        assert_eq!(rc, 0, "msgsnd: errno {}", errno());

        let key = unique_key();
        // SAFETY: semget has no memory effects.
        let id = unsafe { libc::semget(key, 1, libc::IPC_CREAT | libc::IPC_EXCL | 0o600) };
        assert!(id >= 0, "semget: errno {}", errno());
        host.semaphores = Some(Object { key, id });
        // SAFETY: SETVAL takes an int as its fourth argument.
        let rc = unsafe { libc::semctl(id, 0, libc::SETVAL, 1 as libc::c_int) };
        assert_eq!(rc, 0, "semctl SETVAL: errno {}", errno());

        let name = CString::new(format!("/sandlock-test-{}-{}", std::process::id(), unique_key())).unwrap();
        // SAFETY: a zeroed mq_attr is valid; the fields set below are its limits.
        let mut attr: libc::mq_attr = unsafe { std::mem::zeroed() };
        attr.mq_maxmsg = 4;
        attr.mq_msgsize = 64;
        let flags = libc::O_CREAT | libc::O_EXCL | libc::O_RDWR | libc::O_NONBLOCK | libc::O_CLOEXEC;
        // SAFETY: with O_CREAT, mq_open reads a mode and a valid mq_attr pointer.
        let mq = unsafe { libc::mq_open(name.as_ptr(), flags, 0o600 as libc::mode_t, &mut attr as *mut libc::mq_attr) };
        assert!(mq >= 0, "mq_open: errno {}", errno());
        host.mq_name = Some(name);
        // SAFETY: sending MESSAGE.len() bytes from MESSAGE; `mq` is open.
        let rc = unsafe { libc::mq_send(mq, MESSAGE.as_ptr().cast(), MESSAGE.len(), 0) };
        assert_eq!(rc, 0, "mq_send: errno {}", errno());
        // SAFETY: closing our descriptor; the queue stays until unlinked.
        unsafe { libc::mq_close(mq) };
        host
    }

    fn segment(&self) -> Object {
        self.segment.unwrap()
    }

    fn shared_segment(&self) -> Object {
        self.shared_segment.unwrap()
    }

    fn queue(&self) -> Object {
        self.queue.unwrap()
    }

    fn semaphores(&self) -> Object {
        self.semaphores.unwrap()
    }

    fn mq_name(&self) -> &str {
        self.mq_name.as_ref().unwrap().to_str().unwrap()
    }

    /// Messages waiting on the SysV queue.
    fn queued_messages(&self) -> u64 {
        // SAFETY: a zeroed msqid_ds is a valid output buffer for IPC_STAT.
        let mut ds: libc::msqid_ds = unsafe { std::mem::zeroed() };
        // SAFETY: IPC_STAT writes into `ds`.
        let rc = unsafe { libc::msgctl(self.queue().id, libc::IPC_STAT, &mut ds) };
        assert_eq!(rc, 0, "msgctl IPC_STAT: errno {}", errno());
        ds.msg_qnum as u64
    }

    fn semaphore_value(&self) -> i32 {
        // SAFETY: GETVAL takes no fourth argument.
        let value = unsafe { libc::semctl(self.semaphores().id, 0, libc::GETVAL) };
        assert!(value >= 0, "semctl GETVAL: errno {}", errno());
        value
    }

    /// Messages waiting on the POSIX queue.
    fn mq_messages(&self) -> i64 {
        let name = self.mq_name.as_ref().unwrap();
        // SAFETY: without O_CREAT, mq_open reads only the name.
        let mq = unsafe { libc::mq_open(name.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
        assert!(mq >= 0, "mq_open: errno {}", errno());
        // SAFETY: a zeroed mq_attr is a valid output buffer.
        let mut attr: libc::mq_attr = unsafe { std::mem::zeroed() };
        // SAFETY: mq_getattr writes into `attr`; then our descriptor is closed.
        let rc = unsafe {
            let rc = libc::mq_getattr(mq, &mut attr);
            libc::mq_close(mq);
            rc
        };
        assert_eq!(rc, 0, "mq_getattr: errno {}", errno());
        attr.mq_curmsgs as i64
    }
}

impl Drop for HostIpc {
    fn drop(&mut self) {
        // SAFETY: removing objects this test created; a null buffer is what
        // IPC_RMID takes.
        unsafe {
            for segment in [self.segment, self.shared_segment].into_iter().flatten() {
                libc::shmctl(segment.id, libc::IPC_RMID, std::ptr::null_mut());
            }
            if let Some(queue) = self.queue {
                libc::msgctl(queue.id, libc::IPC_RMID, std::ptr::null_mut());
            }
            if let Some(semaphores) = self.semaphores {
                libc::semctl(semaphores.id, 0, libc::IPC_RMID);
            }
            if let Some(name) = &self.mq_name {
                libc::mq_unlink(name.as_ptr());
            }
        }
    }
}

/// Shared memory, message queues and semaphores of the host, by key or
/// straight by id (ids are global in the namespace and easy to guess):
/// every probe is refused, and the objects are as the host left them.
#[test]
fn host_sysv_ipc_objects_are_out_of_reach() {
    for id in Identity::all() {
        let host = HostIpc::new();
        let sandbox = sandbox_as(id, policy());
        let (segment, shared) = (host.segment(), host.shared_segment());
        let attempts = [
            ("shmget", segment.key(), "a 0600 segment"),
            ("shmat", segment.id(), "a 0600 segment"),
            ("shmget", shared.key(), "a 0666 segment"),
            ("shmat", shared.id(), "a 0666 segment"),
            // Found in the red-team pass: SHM_STAT_ANY skips the permission
            // check, so even uid 65534 reads owner, size and pids of a 0600
            // segment.
            ("shm_stat_any", segment.id(), "a 0600 segment"),
            ("msgget", host.queue().key(), "a 0600 queue"),
            ("msgrcv", host.queue().id(), "a 0600 queue"),
            ("semget", host.semaphores().key(), "a 0600 semaphore set"),
            ("semop", host.semaphores().id(), "a 0600 semaphore set"),
        ];
        for (call, arg, object) in attempts {
            assert_eq!(probe(&sandbox, "ipc", &[call, &arg]), "EPERM\n", "{id}: {call} on {object}");
        }
        assert_eq!(segment_bytes(segment.id), SECRET, "{id}: the 0600 segment");
        assert_eq!(segment_bytes(shared.id), SECRET, "{id}: the 0666 segment");
        assert_eq!(host.queued_messages(), 1, "{id}: messages on the SysV queue");
        assert_eq!(host.semaphore_value(), 1, "{id}: the semaphore");
    }
}

/// POSIX message queues are files of the IPC namespace's mqueue file
/// system, opened through a kernel-internal mount of it. Landlock's open
/// hook refuses a queue's inode (beneath no rule), but only after
/// `O_CREAT` made it, and `mq_unlink` is no path call Landlock sees: a
/// child made and removed the host's queues. Without a private IPC
/// namespace the whole family is denied (see docs/deny-list.md).
#[test]
fn host_posix_message_queues_are_out_of_reach() {
    for id in Identity::all() {
        let host = HostIpc::new();
        let sandbox = sandbox_as(id, policy());
        assert_eq!(probe(&sandbox, "ipc", &["mq_open", host.mq_name()]), "EPERM\n", "{id}: mq_open of a 0600 queue");
        // glibc's mq_unlink reports the kernel's EPERM as EACCES.
        assert_eq!(probe(&sandbox, "ipc", &["mq_unlink", host.mq_name()]), "EACCES\n", "{id}: mq_unlink");
        assert_eq!(host.mq_messages(), 1, "{id}: messages on the POSIX queue");
        let made = CString::new(format!("{}-made", host.mq_name())).unwrap();
        assert_eq!(probe(&sandbox, "ipc", &["mq_create", made.to_str().unwrap()]), "EPERM\n", "{id}: mq_create");
        // SAFETY: without O_CREAT, mq_open reads only the name.
        let found = unsafe { libc::mq_open(made.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
        if found >= 0 {
            // SAFETY: the queue the child made, closed and removed.
            unsafe { (libc::mq_close(found), libc::mq_unlink(made.as_ptr())) };
        }
        assert!(found < 0, "{id}: the child made a queue in the host's namespace");
    }
}
