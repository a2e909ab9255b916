//! Library version, and the symbol version every export is bound to.

/// Bind an export to a version node of `sandlock.map` (`"SANDLOCK_1.0"`,
/// `"SANDLOCK_1.1"`, ...: the node of the release that added it). rustc
/// passes the linker its own export list, which overrides the version
/// script's patterns, so each symbol names its version itself;
/// `tests/symbols.rs` fails when one is missing. `@@@` renames the symbol
/// instead of adding a second name for it, which GNU ld would reject as a
/// duplicate definition when a program links the static library.
macro_rules! versioned {
    ($name:ident, $node:literal) => {
        std::arch::global_asm!(concat!(".symver ", stringify!($name), ", ", stringify!($name), "@@@", $node));
    };
}

pub const SANDLOCK_VERSION_MAJOR: u32 = 1;
pub const SANDLOCK_VERSION_MINOR: u32 = 1;
pub const SANDLOCK_VERSION_PATCH: u32 = 0;

/// Version of the loaded library: `major << 16 | minor << 8 | patch`.
///
/// Compare it with the `SANDLOCK_VERSION_*` macros of the header a program
/// was built against. Takes no pointers; never fails; thread-safe.
#[no_mangle]
pub extern "C" fn sandlock_version() -> u32 {
    SANDLOCK_VERSION_MAJOR << 16 | SANDLOCK_VERSION_MINOR << 8 | SANDLOCK_VERSION_PATCH
}
versioned!(sandlock_version, "SANDLOCK_1.0");
