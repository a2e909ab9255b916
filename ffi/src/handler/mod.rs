//! Handlers written in C: the ABI types and setters, the handler handle, the
//! adapter to the core's `Handler`, child memory access, and the
//! registration arrays the run entry points consume.

pub mod abi;
mod adapter;
pub mod container;
pub mod mem;
pub mod registrations;
