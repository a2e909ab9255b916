//! The C ABI of sandlock: `libsandlock.so.1` and `include/sandlock.h`.
//!
//! This crate is the only place with `extern "C"` code. Every export runs
//! inside one panic boundary (`guard`), reports failures as a status plus a
//! thread-local message (`error`), and binds its symbol to a version node
//! (`versioned!`). The header is generated from these sources by cbindgen.

#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
// The exported types carry their C names (`sandlock_policy_t`, ...).
#![allow(non_camel_case_types)]

#[macro_use]
mod version;

pub mod child;
pub mod error;
mod guard;
pub mod handler;
pub mod limits;
pub mod policy;
pub mod result;
pub mod run;
pub mod syscall;

pub use child::*;
pub use error::{sandlock_last_error, sandlock_last_status, sandlock_status_t};
pub use handler::abi::*;
pub use handler::container::*;
pub use handler::mem::*;
pub use handler::registrations::sandlock_handler_registration_t;
pub use limits::*;
pub use policy::*;
pub use result::*;
pub use run::{
    sandlock_run, sandlock_run_interactive, sandlock_run_interactive_with_handlers, sandlock_run_with_handlers,
};
pub use syscall::*;
pub use version::*;
