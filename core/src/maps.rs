//! Which mapping of a process holds an address. Linux 6.11 answers that for
//! one address with the `PROCMAP_QUERY` ioctl on `/proc/<pid>/maps`; older
//! kernels only print every mapping as text, which is parsed once. The
//! ioctl spares the kernel rendering (and us parsing) a few dozen lines on
//! a path taken for every exec a `policy_fn` watches.

use std::fs::File;
use std::os::fd::AsRawFd;

/// One mapping, as far as the callers need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mapping {
    pub start: u64,
    pub end: u64,
    /// Not `MAP_SHARED` (the `p` of the text's permissions).
    pub private: bool,
    /// The backing file's device and inode; 0 for anonymous memory.
    pub dev: u64,
    pub inode: u64,
    /// The backing file's path (with " (deleted)" when unlinked), or a
    /// special name like `[heap]`; empty when there is none.
    pub path: String,
}

impl Mapping {
    pub(crate) fn contains(&self, start: u64, end: u64) -> bool {
        self.start <= start && end <= self.end
    }

    /// One line of `/proc/<pid>/maps`.
    pub(crate) fn parse(line: &str) -> Option<Mapping> {
        let mut fields = line.splitn(6, ' ');
        let (start, end) = fields.next()?.split_once('-')?;
        let perms = fields.next()?;
        let _offset = fields.next()?;
        let (major, minor) = fields.next()?.split_once(':')?;
        let inode = fields.next()?.parse().ok()?;
        let path = fields.next().unwrap_or("").trim_start().to_string();
        Some(Mapping {
            start: u64::from_str_radix(start, 16).ok()?,
            end: u64::from_str_radix(end, 16).ok()?,
            private: perms.as_bytes().get(3) == Some(&b'p'),
            dev: libc::makedev(u32::from_str_radix(major, 16).ok()?, u32::from_str_radix(minor, 16).ok()?),
            inode,
            path,
        })
    }
}

/// Every mapping of process `pid`, from the text of `/proc/<pid>/maps`
/// (read as `procs::read` reads `/proc`: a file name that is not UTF-8
/// must not hide the mappings).
pub(crate) fn all(pid: u32) -> std::io::Result<Vec<Mapping>> {
    Ok(crate::procs::read(format!("/proc/{pid}/maps"))?.lines().filter_map(Mapping::parse).collect())
}

/// `struct procmap_query` of <linux/fs.h>, which the libc crate lacks.
#[repr(C)]
#[derive(Default)]
struct ProcmapQuery {
    size: u64,
    query_flags: u64,
    query_addr: u64,
    vma_start: u64,
    vma_end: u64,
    vma_flags: u64,
    vma_page_size: u64,
    vma_offset: u64,
    inode: u64,
    dev_major: u32,
    dev_minor: u32,
    vma_name_size: u32,
    build_id_size: u32,
    vma_name_addr: u64,
    build_id_addr: u64,
}

/// `_IOWR('f', 17, struct procmap_query)`.
const PROCMAP_QUERY: libc::c_ulong = 0xC000_0000 | ((size_of::<ProcmapQuery>() as libc::c_ulong) << 16) | 0x6611;
/// `PROCMAP_QUERY_VMA_SHARED`: the mapping is `VM_MAYSHARE`.
const VMA_SHARED: u64 = 0x08;
/// Room for a path of PATH_MAX bytes and its " (deleted)".
const NAME_ROOM: usize = libc::PATH_MAX as usize + 16;

/// The mappings of one process, open for lookups.
pub(crate) struct Maps {
    file: File,
    pid: u32,
    /// Every mapping, parsed from the text, when the kernel lacks the ioctl.
    text: Option<Vec<Mapping>>,
    name: Vec<u8>,
}

impl Maps {
    pub(crate) fn open(pid: u32) -> std::io::Result<Maps> {
        let file = File::open(format!("/proc/{pid}/maps"))?;
        Ok(Maps { file, pid, text: None, name: vec![0; NAME_ROOM] })
    }

    /// The mapping that holds `addr`; `None` when nothing is mapped there or
    /// the process cannot be looked at.
    pub(crate) fn covering(&mut self, addr: u64) -> Option<Mapping> {
        if self.text.is_none() {
            match self.query(addr) {
                Ok(found) => return found,
                Err(e) if matches!(e.raw_os_error(), Some(libc::ENOTTY | libc::EINVAL)) => {
                    self.text = Some(all(self.pid).ok()?);
                }
                Err(_) => return None,
            }
        }
        self.text.as_ref()?.iter().find(|m| m.start <= addr && addr < m.end).cloned()
    }

    fn query(&mut self, addr: u64) -> std::io::Result<Option<Mapping>> {
        let mut q = ProcmapQuery {
            size: size_of::<ProcmapQuery>() as u64,
            query_addr: addr,
            vma_name_size: self.name.len() as u32,
            vma_name_addr: self.name.as_mut_ptr() as u64,
            ..ProcmapQuery::default()
        };
        // SAFETY: `q` is a live `struct procmap_query` of the size it names,
        // and `vma_name_addr` points to `vma_name_size` writable bytes that
        // outlive the call; the kernel writes nothing else.
        if unsafe { libc::ioctl(self.file.as_raw_fd(), PROCMAP_QUERY, &mut q) } < 0 {
            let err = std::io::Error::last_os_error();
            // ENOENT: no mapping holds the address.
            return if err.raw_os_error() == Some(libc::ENOENT) { Ok(None) } else { Err(err) };
        }
        // The size includes the terminating NUL; 0 when there is no name.
        let name = &self.name[..(q.vma_name_size as usize).saturating_sub(1).min(self.name.len())];
        Ok(Some(Mapping {
            start: q.vma_start,
            end: q.vma_end,
            private: q.vma_flags & VMA_SHARED == 0,
            dev: libc::makedev(q.dev_major, q.dev_minor),
            inode: q.inode,
            path: String::from_utf8_lossy(name).into_owned(),
        }))
    }

    /// Lookups in the text, as on a kernel without the ioctl.
    #[cfg(test)]
    fn text_only(mut self) -> Maps {
        self.text = all(self.pid).ok();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings_parse_with_and_without_paths() {
        let line = "7f00a000-7f00b000 rw-s 00000000 00:01 1234                       /memfd:argv (deleted)";
        assert_eq!(
            Mapping::parse(line),
            Some(Mapping {
                start: 0x7f00a000,
                end: 0x7f00b000,
                private: false,
                dev: libc::makedev(0, 1),
                inode: 1234,
                path: "/memfd:argv (deleted)".into()
            })
        );
        let anon = Mapping::parse("55d0c000-55d2d000 rw-p 00000000 00:00 0                          [heap]").unwrap();
        assert!(anon.private && anon.inode == 0 && anon.path == "[heap]");
        let file = Mapping::parse("5600-5700 r--p 00000000 fe:01 42  /usr/lib/libc.so.6").unwrap();
        assert_eq!((file.dev, file.inode, file.path.as_str()), (libc::makedev(0xfe, 1), 42, "/usr/lib/libc.so.6"));
    }

    /// The ioctl and the text agree on this process's own mappings: a
    /// private anonymous one, a shared one, and a file.
    #[test]
    fn the_query_finds_what_the_text_lists() {
        use nix::sys::mman::{mmap_anonymous, MapFlags, ProtFlags};
        let len = std::num::NonZeroUsize::new(4096).unwrap();
        let rw = ProtFlags::PROT_READ | ProtFlags::PROT_WRITE;
        // SAFETY: fresh anonymous mappings that nothing else refers to; they
        // are left mapped for the rest of the test process.
        let private = unsafe { mmap_anonymous(None, len, rw, MapFlags::MAP_PRIVATE) }.unwrap().as_ptr() as u64;
        // SAFETY: as above.
        let shared = unsafe { mmap_anonymous(None, len, rw, MapFlags::MAP_SHARED) }.unwrap().as_ptr() as u64;
        let code = the_query_finds_what_the_text_lists as fn() as usize as u64;
        let me = std::process::id();
        let mut query = Maps::open(me).unwrap();
        let mut text = Maps::open(me).unwrap().text_only();
        for maps in [&mut query, &mut text] {
            assert!(maps.covering(private).unwrap().private);
            assert!(!maps.covering(shared).unwrap().private);
            assert!(maps.covering(code).unwrap().inode != 0);
            assert_eq!(maps.covering(8), None);
        }
        for addr in [private, shared, code] {
            assert_eq!(query.covering(addr), text.covering(addr), "{addr:#x}");
        }
    }
}
