//! Syscall numbers of the architecture we run on, checked against the
//! kernel's table so that a handler can never be registered on a number the
//! filter would never see.
//!
//! The tables are generated from the kernel's UAPI headers by
//! `tools/gen-syscall-tables.sh`, not taken from a crate, for two reasons.
//! The table is part of the filter: every number it does not name fails
//! with `ENOSYS` (see [`unknown_ranges`]), so adding a name opens a syscall,
//! and that must be a reviewed change with its deny-list decision, not a
//! side effect of a dependency update. And the maintained crate,
//! `syscalls` 0.8.1, has the same x86_64 table as ours (Linux 6.18, up to
//! `file_setattr` 469, with `uretprobe` 335 and `uprobe` 336) but not the
//! aarch64 one: it names the 32-bit `*_time64` calls 403–423, which arm64
//! does not have, and calls 79 `fstatat` where the kernel says
//! `newfstatat`, so `sandlock_syscall_nr` would change its results there.

#[cfg(target_arch = "aarch64")]
mod aarch64;
#[cfg(target_arch = "x86_64")]
mod x86_64;

#[cfg(target_arch = "aarch64")]
use aarch64::TABLE;
#[cfg(target_arch = "x86_64")]
use x86_64::TABLE;

use crate::error::{Result, SandlockError};

/// `AUDIT_ARCH_*` value of the native architecture, as the kernel reports it
/// in `seccomp_data.arch`.
#[cfg(target_arch = "x86_64")]
pub const NATIVE_AUDIT_ARCH: u32 = 0xC000_003E;
#[cfg(target_arch = "aarch64")]
pub const NATIVE_AUDIT_ARCH: u32 = 0xC000_00B7;

/// A syscall of the native architecture. Construct it with
/// [`Syscall::checked`] or [`Syscall::from_name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Syscall(u32);

impl Syscall {
    /// Rejects negative numbers and numbers this architecture does not have.
    pub fn checked(nr: i64) -> Result<Syscall> {
        u32::try_from(nr)
            .ok()
            .filter(|&n| name_of(n).is_some())
            .map(Syscall)
            .ok_or(SandlockError::UnknownSyscallNumber { nr })
    }

    pub fn from_name(name: &str) -> Result<Syscall> {
        number_of(name).map(Syscall).ok_or_else(|| unknown_name(name))
    }

    pub fn nr(self) -> u32 {
        self.0
    }

    pub fn name(self) -> &'static str {
        // A Syscall is only built from a table entry, so the lookup succeeds.
        name_of(self.0).unwrap_or("?")
    }
}

impl std::fmt::Display for Syscall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name(), self.0)
    }
}

pub(crate) fn number_of(name: &str) -> Option<u32> {
    TABLE.binary_search_by(|(n, _)| (*n).cmp(name)).ok().map(|i| TABLE[i].1)
}

/// The error for a name the table lacks, suggesting the nearest name.
pub(crate) fn unknown_name(name: &str) -> SandlockError {
    SandlockError::UnknownSyscallName { name: name.to_string(), suggestion: nearest_name(name) }
}

/// The known name fewest single-character edits away from `name` (in any
/// case), when it is close enough to be a typo: at most a third of its
/// length, and at least one edit. Ties go to the first name in sorted order.
fn nearest_name(name: &str) -> Option<&'static str> {
    let lower = name.to_lowercase();
    let allowed = (lower.chars().count() / 3).max(1);
    TABLE
        .iter()
        .map(|&(known, _)| (edit_distance(&lower, known), known))
        .filter(|&(distance, _)| distance <= allowed)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, known)| known)
}

/// Levenshtein distance: insertions, deletions and substitutions.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

/// The clone flags of a `clone`, `fork` or `vfork` (registers only).
pub(crate) fn clone_flags(name: &str, args: &[u64; 6]) -> u64 {
    match name {
        "fork" => libc::SIGCHLD as u64,
        "vfork" => (libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD) as u64,
        _ => args[0],
    }
}

pub(crate) fn name_of(nr: u32) -> Option<&'static str> {
    TABLE.iter().find(|(_, n)| *n == nr).map(|(name, _)| *name)
}

/// Inclusive ranges of the numbers the table does not name, up to
/// `u32::MAX`: the gaps between known syscalls and everything above them.
pub(crate) fn unknown_ranges() -> &'static [(u32, u32)] {
    static RANGES: std::sync::OnceLock<Vec<(u32, u32)>> = std::sync::OnceLock::new();
    crate::fork_locks::get_or_init(&RANGES, || gaps(TABLE.iter().map(|&(_, nr)| nr))).as_slice()
}

fn gaps(known: impl Iterator<Item = u32>) -> Vec<(u32, u32)> {
    let mut nrs: Vec<u32> = known.collect();
    nrs.sort_unstable();
    nrs.dedup();
    let mut out = Vec::new();
    let mut next = 0u32;
    for nr in nrs {
        if nr > next {
            out.push((next, nr - 1));
        }
        next = nr + 1;
    }
    out.push((next, u32::MAX));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(TABLE.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn checked_rejects_negative_and_unknown_numbers() {
        assert!(matches!(Syscall::checked(-5), Err(SandlockError::UnknownSyscallNumber { nr: -5 })));
        assert!(matches!(Syscall::checked(100_000), Err(SandlockError::UnknownSyscallNumber { .. })));
        assert_eq!(Syscall::checked(libc::SYS_getppid).unwrap().name(), "getppid");
    }

    #[test]
    fn gaps_cover_everything_the_table_lacks() {
        assert_eq!(gaps([3, 1, 2, 7].into_iter()), vec![(0, 0), (4, 6), (8, u32::MAX)]);
        assert_eq!(gaps([0, 1].into_iter()), vec![(2, u32::MAX)]);
        for &(low, high) in unknown_ranges() {
            assert!(low <= high);
            assert!(name_of(low).is_none() && name_of(high).is_none(), "{low}..={high}");
        }
    }

    /// `Syscall::from_name` (and so `sandlock_syscall_nr`) keeps its results.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn x86_64_numbers_are_pinned() {
        let pinned = [
            ("read", 0),
            ("openat", 257),
            ("newfstatat", 262),
            ("getppid", 110),
            ("rseq", 334),
            ("uretprobe", 335),
            ("uprobe", 336),
            ("pidfd_send_signal", 424),
            ("clone3", 435),
            ("landlock_create_ruleset", 444),
            ("lsm_list_modules", 461),
            ("mseal", 462),
            ("open_tree_attr", 467),
            ("file_getattr", 468),
            ("file_setattr", 469),
        ];
        for (name, nr) in pinned {
            assert_eq!(Syscall::from_name(name).map(Syscall::nr).ok(), Some(nr), "{name}");
            assert_eq!(Syscall::checked(i64::from(nr)).map(Syscall::name).ok(), Some(name), "{nr}");
        }
        // Between the uprobe calls and the 424 block, and past the last.
        assert!(unknown_ranges().contains(&(337, 423)));
        assert_eq!(unknown_ranges().last(), Some(&(470, u32::MAX)));
    }

    #[cfg(target_arch = "aarch64")]
    #[test]
    fn aarch64_numbers_are_pinned() {
        let pinned = [
            ("openat", 56),
            ("read", 63),
            ("newfstatat", 79),
            ("getppid", 173),
            ("clone3", 435),
            ("landlock_create_ruleset", 444),
            ("mseal", 462),
            ("file_setattr", 469),
        ];
        for (name, nr) in pinned {
            assert_eq!(Syscall::from_name(name).map(Syscall::nr).ok(), Some(nr), "{name}");
        }
        assert!(Syscall::from_name("uretprobe").is_err());
        assert_eq!(unknown_ranges().last(), Some(&(470, u32::MAX)));
    }

    #[test]
    fn names_round_trip_against_libc() {
        assert_eq!(Syscall::from_name("openat").unwrap().nr() as i64, libc::SYS_openat);
        assert_eq!(Syscall::from_name("uname").unwrap().nr() as i64, libc::SYS_uname);
        assert!(matches!(Syscall::from_name("no_such_call"), Err(SandlockError::UnknownSyscallName { .. })));
    }

    #[test]
    fn an_unknown_name_suggests_the_nearest_known_one() {
        let message = |name: &str| Syscall::from_name(name).unwrap_err().to_string();
        assert_eq!(message("opnat"), "unknown syscall \"opnat\" on this architecture (did you mean openat?)");
        assert_eq!(message("OPENAT"), "unknown syscall \"OPENAT\" on this architecture (did you mean openat?)");
        assert_eq!(message("connnect"), "unknown syscall \"connnect\" on this architecture (did you mean connect?)");
        assert_eq!(message("execv"), "unknown syscall \"execv\" on this architecture (did you mean execve?)");
        assert_eq!(message("no_such_call"), "unknown syscall \"no_such_call\" on this architecture");
        assert_eq!(message(""), "unknown syscall \"\" on this architecture");
    }

    #[test]
    fn edit_distance_counts_single_character_edits() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("openat", "openat"), 0);
        assert_eq!(edit_distance("opnat", "openat"), 1);
    }
}
