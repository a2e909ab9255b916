//! The bounds every entry point enforces on counts a caller passes, so that
//! a wrong count never walks over unrelated memory.

/// Most arguments a run accepts (`argc`).
pub const SANDLOCK_MAX_ARGC: u32 = 4096;

/// Most handlers one registration array may hold (`count`).
pub const SANDLOCK_MAX_REGISTRATIONS: usize = 4096;
