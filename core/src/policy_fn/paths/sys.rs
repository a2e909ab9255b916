//! The raw file syscalls the path guard makes, each returning the errno on
//! failure so that a result can be handed to the child as it is. Directory
//! arguments are raw fd numbers (`AT_FDCWD` included); callers keep the
//! fds they name open for the call.

use std::ffi::{CStr, CString};
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

/// A result whose error is an errno.
pub(super) type Sys<T> = Result<T, i32>;

pub(super) fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO)
}

/// `struct open_how` of `openat2`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct OpenHow {
    pub flags: u64,
    pub mode: u64,
    pub resolve: u64,
}

pub(super) const OPEN_HOW_SIZE: usize = std::mem::size_of::<OpenHow>();

/// A byte string from child memory as a C string (it never holds a NUL:
/// the read stops at the first).
pub(super) fn cstring(bytes: &[u8]) -> Sys<CString> {
    CString::new(bytes).map_err(|_| libc::EINVAL)
}

fn int_result(rc: libc::c_long) -> Sys<()> {
    if rc < 0 {
        Err(errno())
    } else {
        Ok(())
    }
}

pub(super) fn openat2(dir: RawFd, path: &CStr, how: &OpenHow) -> Sys<OwnedFd> {
    // SAFETY: `path` is NUL-terminated and `how` a live open_how of the size
    // passed; the kernel only reads both.
    let fd = unsafe { libc::syscall(libc::SYS_openat2, dir, path.as_ptr(), how as *const OpenHow, OPEN_HOW_SIZE) };
    if fd < 0 {
        return Err(errno());
    }
    // SAFETY: openat2 returned a new fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// An `O_PATH` fd of `path` from `dir`, without following a magic link
/// (see `resolve`).
pub(super) fn open_path(dir: RawFd, path: &CStr, flags: u64, resolve: u64) -> Sys<OwnedFd> {
    let how = OpenHow {
        flags: flags | (libc::O_PATH | libc::O_CLOEXEC) as u64,
        mode: 0,
        resolve: resolve | libc::RESOLVE_NO_MAGICLINKS,
    };
    openat2(dir, path, &how)
}

/// Open again the file `fd` names (the kernel's own reopen through
/// `/proc/thread-self/fd`), with `flags`: the calling thread's credentials
/// and Landlock domain decide, as for any open.
pub(super) fn reopen(fd: RawFd, flags: u64) -> Sys<OwnedFd> {
    let path = cstring(format!("/proc/thread-self/fd/{fd}").as_bytes())?;
    let how = OpenHow { flags: flags | libc::O_CLOEXEC as u64, mode: 0, resolve: 0 };
    openat2(libc::AT_FDCWD, &path, &how)
}

pub(super) fn fstat(fd: RawFd) -> Sys<libc::stat> {
    // SAFETY: a zeroed stat is a valid output buffer.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fstat writes into the local buffer.
    if unsafe { libc::fstat(fd, &mut st) } < 0 {
        return Err(errno());
    }
    Ok(st)
}

pub(super) fn fstatat(dir: RawFd, name: &CStr, flags: i32) -> Sys<libc::stat> {
    // SAFETY: a zeroed stat is a valid output buffer.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `name` is NUL-terminated; fstatat writes into the local buffer.
    if unsafe { libc::fstatat(dir, name.as_ptr(), &mut st, flags) } < 0 {
        return Err(errno());
    }
    Ok(st)
}

/// The file system type (`f_type`) of the file behind `fd`.
pub(super) fn fs_type(fd: RawFd) -> Sys<i64> {
    // SAFETY: a zeroed statfs is a valid output buffer.
    let mut sfs: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: fstatfs writes into the local buffer.
    if unsafe { libc::fstatfs(fd, &mut sfs) } < 0 {
        return Err(errno());
    }
    Ok(sfs.f_type as i64)
}

/// The target of the symlink `name` in `dir` (`name` empty: `dir` is an
/// `O_PATH` fd of the symlink itself).
pub(super) fn readlinkat(dir: RawFd, name: &CStr) -> Sys<Vec<u8>> {
    let mut buf = vec![0u8; libc::PATH_MAX as usize + 1];
    // SAFETY: `buf` is writable for its length; `name` is NUL-terminated.
    let n = unsafe { libc::readlinkat(dir, name.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return Err(errno());
    }
    if n as usize >= buf.len() {
        return Err(libc::ENAMETOOLONG);
    }
    buf.truncate(n as usize);
    Ok(buf)
}

pub(super) fn unlinkat(dir: RawFd, name: &CStr, flags: i32) -> Sys<()> {
    // SAFETY: `name` is NUL-terminated; the call takes integers otherwise.
    int_result(unsafe { libc::unlinkat(dir, name.as_ptr(), flags) }.into())
}

pub(super) fn mkdirat(dir: RawFd, name: &CStr, mode: u32) -> Sys<()> {
    // SAFETY: as for unlinkat.
    int_result(unsafe { libc::mkdirat(dir, name.as_ptr(), mode) }.into())
}

/// `dev` as the syscall takes it (the kernel's 32-bit encoding).
pub(super) fn mknodat(dir: RawFd, name: &CStr, mode: u32, dev: u32) -> Sys<()> {
    // SAFETY: `name` is NUL-terminated; the rest are integers.
    int_result(unsafe { libc::syscall(libc::SYS_mknodat, dir, name.as_ptr(), mode, dev) })
}

pub(super) fn symlinkat(target: &CStr, dir: RawFd, name: &CStr) -> Sys<()> {
    // SAFETY: both strings are NUL-terminated.
    int_result(unsafe { libc::symlinkat(target.as_ptr(), dir, name.as_ptr()) }.into())
}

pub(super) fn linkat(old_dir: RawFd, old: &CStr, new_dir: RawFd, new: &CStr, flags: i32) -> Sys<()> {
    // SAFETY: both strings are NUL-terminated.
    int_result(unsafe { libc::linkat(old_dir, old.as_ptr(), new_dir, new.as_ptr(), flags) }.into())
}

pub(super) fn renameat2(old_dir: RawFd, old: &CStr, new_dir: RawFd, new: &CStr, flags: u32) -> Sys<()> {
    // SAFETY: both strings are NUL-terminated; the rest are integers.
    int_result(unsafe { libc::syscall(libc::SYS_renameat2, old_dir, old.as_ptr(), new_dir, new.as_ptr(), flags) })
}

pub(super) fn truncate(path: &CStr, length: i64) -> Sys<()> {
    // SAFETY: `path` is NUL-terminated.
    int_result(unsafe { libc::truncate(path.as_ptr(), length) }.into())
}

/// Set the file status flags of the open file `fd`.
pub(super) fn set_status_flags(fd: RawFd, flags: i32) -> Sys<()> {
    // SAFETY: F_SETFL takes an integer.
    int_result(unsafe { libc::fcntl(fd, libc::F_SETFL, flags) }.into())
}

pub(super) fn status_flags(fd: RawFd) -> Sys<i32> {
    // SAFETY: F_GETFL takes no argument.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(errno());
    }
    Ok(flags)
}

/// Set the calling thread's umask (its own with a file-system context of
/// its own, see `agent`).
pub(super) fn set_umask(mask: u32) {
    // SAFETY: umask takes an integer and cannot fail.
    unsafe { libc::umask(mask) };
}

pub(super) fn is_dir(st: &libc::stat) -> bool {
    st.st_mode & libc::S_IFMT == libc::S_IFDIR
}

pub(super) fn file_type(st: &libc::stat) -> u32 {
    st.st_mode & libc::S_IFMT
}
