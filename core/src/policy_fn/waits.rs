//! A bound on the waits a run keeps on host threads: a connect in progress
//! on a blocking socket, a FIFO open waiting for its other end. Each holds
//! a thread and a few fds of the host, and a child could start one per
//! task it has (1,500 blocking connects took the host to its fd limit). A
//! wait past the bound fails with `EAGAIN` instead, before it starts.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The most waits of one kind a run keeps at once.
pub(crate) const MAX_WAITS: usize = 64;

/// The waits of one kind of a run.
#[derive(Debug, Default)]
pub(crate) struct Waits {
    count: Arc<AtomicUsize>,
}

/// One wait, counted until dropped.
#[derive(Debug)]
pub(crate) struct Wait {
    count: Arc<AtomicUsize>,
}

impl Waits {
    /// A wait, or none when [`MAX_WAITS`] are going on.
    pub(crate) fn start(&self) -> Option<Wait> {
        self.count
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < MAX_WAITS).then_some(n + 1))
            .ok()
            .map(|_| Wait { count: Arc::clone(&self.count) })
    }
}

impl Drop for Wait {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_past_the_bound_are_refused_until_one_ends() {
        let waits = Waits::default();
        let mut going: Vec<Wait> = (0..MAX_WAITS).map(|_| waits.start().unwrap()).collect();
        assert!(waits.start().is_none());
        going.pop();
        assert!(waits.start().is_some());
    }
}
