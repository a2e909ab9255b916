//! Child memory access from a callback, through a handle that is valid only
//! while that callback runs.

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

use sandlock_core::HandlerCtx;

use crate::error::FfiError;
use crate::guard;

/// Access to the memory of the trapped child (opaque). The library passes
/// one to each callback; it is valid only until the callback returns.
pub struct sandlock_mem_handle_t {
    /// The `HandlerCtx` of the running callback, type-erased; NULL outside it.
    ctx: AtomicPtr<c_void>,
}

impl sandlock_mem_handle_t {
    /// A handle for `ctx`; it must be [`invalidate`](Self::invalidate)d
    /// before `ctx`'s borrow ends.
    pub(crate) fn new(ctx: &HandlerCtx<'_>) -> sandlock_mem_handle_t {
        sandlock_mem_handle_t { ctx: AtomicPtr::new(ptr::from_ref(ctx).cast_mut().cast()) }
    }

    pub(crate) fn invalidate(&self) {
        self.ctx.store(ptr::null_mut(), Ordering::Release);
    }
}

/// The context behind `handle`, or an error outside its callback.
///
/// # Safety
/// `handle` must be NULL or a handle the library passed to a callback.
unsafe fn context<'a>(handle: *const sandlock_mem_handle_t) -> Result<&'a HandlerCtx<'a>, FfiError> {
    // SAFETY: NULL or a handle passed to a callback (caller's contract).
    let handle = unsafe { guard::reference(handle, "mem handle") }?;
    let ctx = handle.ctx.load(Ordering::Acquire);
    if ctx.is_null() {
        return Err(FfiError::invalid("the mem handle is only valid while its callback runs"));
    }
    // SAFETY: a non-NULL pointer was set by the adapter from a live
    // `&HandlerCtx` and is cleared before that borrow ends.
    Ok(unsafe { &*ctx.cast::<HandlerCtx<'a>>() })
}

/// `buf` as a writable slice of `len` bytes (NULL allowed only for 0).
///
/// # Safety
/// A non-NULL `buf` must be writable for `len` bytes.
unsafe fn out_buffer<'a>(buf: *mut u8, len: usize, what: &str) -> Result<&'a mut [u8], FfiError> {
    if len == 0 {
        return Ok(&mut []);
    }
    if buf.is_null() {
        return Err(FfiError::invalid(format!("{what} must not be NULL when its length is {len}")));
    }
    // SAFETY: non-NULL and writable for `len` bytes (caller's contract).
    Ok(unsafe { std::slice::from_raw_parts_mut(buf, len) })
}

/// Read the NUL-terminated string at `addr` in the child into `buf`, which
/// holds `max_len` bytes including the NUL: at most `max_len - 1` bytes of
/// text (`max_len` 1 reads only the terminator, for an empty string). On
/// success `buf` is NUL-terminated and `*out_len` (when `out_len` is not
/// NULL) is the text's length without the NUL.
///
/// Returns `SANDLOCK_OK`; `SANDLOCK_E_INVALID` for a NULL `handle`/`buf`,
/// `max_len` 0, or a handle used after its callback returned;
/// `SANDLOCK_E_MEMORY` when the memory cannot be read, the child left the
/// syscall, or no NUL lies within `max_len` bytes. On error `*out_len` is
/// not written. Call it only from inside the callback that got `handle`;
/// thread-safe.
///
/// # Safety
/// `handle` must be NULL or the handle of the running callback; `buf` NULL or
/// writable for `max_len` bytes; `out_len` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_mem_read_cstr(
    handle: *const sandlock_mem_handle_t,
    addr: u64,
    buf: *mut u8,
    max_len: usize,
    out_len: *mut usize,
) -> i32 {
    guard::status(|| {
        // SAFETY: forwarded from the caller.
        let ctx = unsafe { context(handle) }?;
        if max_len == 0 {
            return Err(FfiError::invalid("max_len must be at least 1 (room for the NUL)"));
        }
        // SAFETY: forwarded from the caller.
        let buf = unsafe { out_buffer(buf, max_len, "buf") }?;
        let text = ctx.read_cstr_bytes(addr, max_len - 1)?;
        buf[..text.len()].copy_from_slice(&text);
        buf[text.len()] = 0;
        // SAFETY: NULL or writable (caller's contract).
        if let Some(out_len) = unsafe { out_len.as_mut() } {
            *out_len = text.len();
        }
        Ok(())
    })
}
versioned!(sandlock_mem_read_cstr, "SANDLOCK_1.0");

/// Read exactly `len` bytes at `addr` in the child into `buf`, entirely or
/// not at all; `*out_len` (when not NULL) is set to `len` on success.
///
/// Returns `SANDLOCK_OK`; `SANDLOCK_E_INVALID` for a NULL `handle`, a NULL
/// `buf` with `len` > 0, or a handle used after its callback returned;
/// `SANDLOCK_E_MEMORY` when the memory cannot be read or the child left the
/// syscall. Call it only from inside the callback that got `handle`;
/// thread-safe.
///
/// # Safety
/// `handle` must be NULL or the handle of the running callback; `buf` NULL or
/// writable for `len` bytes; `out_len` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_mem_read(
    handle: *const sandlock_mem_handle_t,
    addr: u64,
    buf: *mut u8,
    len: usize,
    out_len: *mut usize,
) -> i32 {
    guard::status(|| {
        // SAFETY: forwarded from the caller.
        let ctx = unsafe { context(handle) }?;
        // SAFETY: forwarded from the caller.
        let buf = unsafe { out_buffer(buf, len, "buf") }?;
        ctx.read_mem(addr, buf)?;
        // SAFETY: NULL or writable (caller's contract).
        if let Some(out_len) = unsafe { out_len.as_mut() } {
            *out_len = len;
        }
        Ok(())
    })
}
versioned!(sandlock_mem_read, "SANDLOCK_1.0");

/// Write the `len` bytes at `buf` into the child at `addr`.
///
/// Returns `SANDLOCK_OK`; `SANDLOCK_E_INVALID` for a NULL `handle`, a NULL
/// `buf` with `len` > 0, or a handle used after its callback returned;
/// `SANDLOCK_E_MEMORY` when the memory cannot be written or the child left
/// the syscall. Call it only from inside the callback that got `handle`;
/// thread-safe.
///
/// # Safety
/// `handle` must be NULL or the handle of the running callback; `buf` NULL or
/// readable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn sandlock_mem_write(
    handle: *const sandlock_mem_handle_t,
    addr: u64,
    buf: *const u8,
    len: usize,
) -> i32 {
    guard::status(|| {
        // SAFETY: forwarded from the caller.
        let ctx = unsafe { context(handle) }?;
        let data: &[u8] = match (buf.is_null(), len) {
            (_, 0) => &[],
            (true, _) => return Err(FfiError::invalid(format!("buf must not be NULL when its length is {len}"))),
            // SAFETY: readable for `len` bytes (caller's contract).
            (false, _) => unsafe { std::slice::from_raw_parts(buf, len) },
        };
        ctx.write_mem(addr, data)?;
        Ok(())
    })
}
versioned!(sandlock_mem_write, "SANDLOCK_1.0");
