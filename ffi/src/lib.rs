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
pub mod command;
pub mod error;
pub mod error_api;
mod guard;
pub mod handler;
pub mod kernel;
pub mod limits;
pub mod policy;
pub mod policy_fn;
pub mod result;
pub mod run;
pub mod syscall;

pub use child::*;
pub use command::*;
pub use error::*;
pub use error_api::*;
pub use handler::abi::*;
pub use handler::container::*;
pub use handler::mem::*;
pub use handler::registrations::sandlock_handler_registration_t;
pub use kernel::*;
pub use limits::*;
pub use policy::*;
pub use policy_fn::control::*;
pub use policy_fn::event::*;
pub use policy_fn::*;
pub use result::*;
pub use run::*;
pub use syscall::*;
pub use version::*;
