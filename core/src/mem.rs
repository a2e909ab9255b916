//! Child memory access that never returns stale data and never writes a
//! process other than the child: the notification id is checked valid
//! before and after each access, so a child that exited (and whose pid was
//! reused) or that was interrupted yields an error; writes go through a
//! file of the child's memory opened before the first check.

use std::io::{self, IoSliceMut};
use std::os::unix::fs::FileExt;

use nix::sys::uio::{process_vm_readv, RemoteIoVec};
use nix::unistd::Pid;

use crate::seccomp::listener::Listener;

#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    #[error("the notification is no longer valid (the child left the syscall)")]
    Stale,
    #[error("cannot access child memory at {addr:#x}: {source}")]
    Fault { addr: u64, source: io::Error },
    #[error("no NUL within {max_len} bytes at {addr:#x}")]
    Unterminated { addr: u64, max_len: usize },
    #[error("the string at {addr:#x} is not valid UTF-8")]
    NotUtf8 { addr: u64 },
}

/// Memory of the process behind one notification.
pub(crate) struct ChildMemory<'a> {
    listener: &'a Listener,
    id: u64,
    pid: u32,
}

/// Strings are read in chunks that never cross a page, so that a string that
/// ends just before an unmapped page is still readable.
pub(crate) const PAGE: u64 = 4096;

impl<'a> ChildMemory<'a> {
    pub(crate) fn new(listener: &'a Listener, id: u64, pid: u32) -> Self {
        ChildMemory { listener, id, pid }
    }

    fn pid(&self) -> Pid {
        Pid::from_raw(self.pid as libc::pid_t)
    }

    /// The notification is still pending: memory read since it was received
    /// is the process's that made it.
    pub(crate) fn check_valid(&self) -> Result<(), MemoryError> {
        if self.listener.id_valid(self.id) {
            Ok(())
        } else {
            Err(MemoryError::Stale)
        }
    }

    pub(crate) fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemoryError> {
        self.check_valid()?;
        self.read_unchecked(addr, buf)?;
        self.check_valid()
    }

    /// Write `data` at `addr` through the process's `/proc/<pid>/mem`:
    /// the file names the process it was opened for, and the check after
    /// the open proves that process made the notification. A pid alone
    /// (`process_vm_writev`) may name another process by the time of the
    /// write once the child died and its pid was reused, and a write,
    /// unlike a read, cannot be taken back by a later check. Like a
    /// debugger's, the write reaches read-only private mappings too.
    pub(crate) fn write(&self, addr: u64, data: &[u8]) -> Result<(), MemoryError> {
        let fault = |source: io::Error| {
            if self.listener.id_valid(self.id) {
                MemoryError::Fault { addr, source }
            } else {
                MemoryError::Stale
            }
        };
        let mem = std::fs::OpenOptions::new().write(true).open(format!("/proc/{}/mem", self.pid)).map_err(fault)?;
        let mem = std::fs::File::from(crate::fds::above_stdio(mem.into()).map_err(fault)?);
        self.check_valid()?;
        mem.write_all_at(data, addr).map_err(fault)?;
        self.check_valid()
    }

    pub(crate) fn read_cstr(&self, addr: u64, max_len: usize) -> Result<Vec<u8>, MemoryError> {
        self.check_valid()?;
        let out = self.read_cstr_unchecked(addr, max_len)?;
        self.check_valid()?;
        Ok(out)
    }

    /// [`ChildMemory::read_cstr`] without the validity checks, for a caller
    /// that makes several reads and checks once after the last.
    pub(crate) fn read_cstr_unchecked(&self, addr: u64, max_len: usize) -> Result<Vec<u8>, MemoryError> {
        // Read a page at a time into a buffer of our own and keep the text
        // only: a string kept (an event's argv) holds no more than itself,
        // not the rest of the page it was read with.
        let mut page = [0u8; PAGE as usize];
        let mut out = Vec::new();
        let mut cursor = addr;
        // max_len bytes of text plus the terminating NUL.
        while out.len() <= max_len {
            let to_page_end = PAGE - (cursor % PAGE);
            let want = (to_page_end as usize).min(max_len + 1 - out.len());
            let chunk = &mut page[..want];
            self.read_unchecked(cursor, chunk)?;
            if let Some(nul) = chunk.iter().position(|&b| b == 0) {
                out.extend_from_slice(&chunk[..nul]);
                return Ok(out);
            }
            out.extend_from_slice(chunk);
            cursor += want as u64;
        }
        Err(MemoryError::Unterminated { addr, max_len })
    }

    /// [`ChildMemory::read`] without the validity checks (see
    /// [`ChildMemory::read_cstr_unchecked`]).
    pub(crate) fn read_unchecked(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemoryError> {
        if buf.is_empty() {
            return Ok(());
        }
        let remote = RemoteIoVec { base: addr as usize, len: buf.len() };
        let len = buf.len();
        let n = process_vm_readv(self.pid(), &mut [IoSliceMut::new(buf)], &[remote])
            .map_err(|e| MemoryError::Fault { addr, source: e.into() })?;
        if n != len {
            return Err(MemoryError::Fault { addr, source: io::Error::from_raw_os_error(libc::EFAULT) });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_read_holds_no_more_than_itself() {
        // The unchecked reads never use the listener: any fd stands in.
        let listener = Listener::new(std::fs::File::open("/dev/null").unwrap().into());
        let memory = ChildMemory::new(&listener, 0, std::process::id());
        let mut buffer = vec![0u8; 2 * PAGE as usize];
        let page_start = (buffer.as_ptr() as u64).next_multiple_of(PAGE);
        let offset = (page_start - buffer.as_ptr() as u64) as usize;
        buffer[offset] = b'a';
        let text = memory.read_cstr_unchecked(page_start, PAGE as usize).unwrap();
        assert_eq!(text, b"a");
        // Not the rest of the page it was read with (4096 before).
        assert!(text.capacity() <= 8, "{}", text.capacity());
    }
}
