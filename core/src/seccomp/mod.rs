//! The seccomp side: filter assembly, the listener, and the supervisor that
//! answers notifications.

pub(crate) mod bpf;
pub(crate) mod dispatch;
pub(crate) mod listener;
pub(crate) mod respond;
pub(crate) mod supervisor;
