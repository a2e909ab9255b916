//! Handlers written in C: the ABI types and setters, the handler handle, the
//! adapter to the core's `Handler`, child memory access, and the run entry
//! points that take handlers.

pub mod abi;
mod adapter;
pub mod container;
pub mod mem;
pub mod run;
