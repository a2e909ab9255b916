//! What this kernel enforces, for bindings that report it.

use sandlock_core::KernelFeatures;

use crate::error::sandlock_status_t;

/// The Landlock ABI version of the running kernel (1 for Linux 5.13 ... 7
/// for 6.15 and later), or `SANDLOCK_E_UNSUPPORTED` (negative) when
/// Landlock is not enabled. The default policy needs 6 (Linux 6.12); a
/// policy on an older kernel fails with `SANDLOCK_E_UNSUPPORTED` unless it
/// is best effort. Probed once per process; takes no pointers, never fails
/// otherwise; thread-safe. Since 1.1.
#[no_mangle]
pub extern "C" fn sandlock_landlock_abi() -> i32 {
    match KernelFeatures::get().landlock_abi {
        abi if abi > 0 => abi,
        _ => sandlock_status_t::SANDLOCK_E_UNSUPPORTED as i32,
    }
}
versioned!(sandlock_landlock_abi, "SANDLOCK_1.1");
