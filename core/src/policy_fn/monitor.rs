//! A callback with a time limit: it runs on a worker thread while the
//! receiving thread waits at most the limit, so a callback that blocks
//! never holds up the sandbox's other calls. A worker stuck past the limit
//! is left to finish on its own (its answer goes nowhere) and the next
//! call gets a new one.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Duration;

type Job = Box<dyn FnOnce() + Send>;

pub(crate) struct Bounded {
    limit: Duration,
    worker: Mutex<Option<mpsc::Sender<Job>>>,
}

/// Why a bounded call gave no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failed {
    Panicked,
    TimedOut,
}

impl Bounded {
    pub(crate) fn new(limit: Duration) -> Bounded {
        Bounded { limit, worker: Mutex::new(None) }
    }

    /// Run `call` on the worker and wait for it at most the limit.
    pub(crate) fn run<T: Send + 'static>(&self, call: impl FnOnce() -> T + Send + 'static) -> Result<T, Failed> {
        let (answer, outcome) = mpsc::sync_channel(1);
        let job: Job = Box::new(move || {
            let _ = answer.send(catch_unwind(AssertUnwindSafe(call)).map_err(|_| Failed::Panicked));
        });
        self.submit(job)?;
        match outcome.recv_timeout(self.limit) {
            Ok(result) => result,
            Err(_) => {
                // The worker is still inside the call: the next one gets a
                // new worker.
                *self.worker.lock().unwrap_or_else(|e| e.into_inner()) = None;
                Err(Failed::TimedOut)
            }
        }
    }

    fn submit(&self, job: Job) -> Result<(), Failed> {
        let mut worker = self.worker.lock().unwrap_or_else(|e| e.into_inner());
        let job = match worker.as_ref() {
            Some(w) => match w.send(job) {
                Ok(()) => return Ok(()),
                // The worker ended (it cannot: it loops until dropped).
                Err(mpsc::SendError(job)) => job,
            },
            None => job,
        };
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sandlock-policy".into())
            .spawn(move || {
                while let Ok(job) = queue.recv() {
                    job();
                }
            })
            .map_err(|_| Failed::Panicked)?;
        jobs.send(job).map_err(|_| Failed::Panicked)?;
        *worker = Some(jobs);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_come_back_and_failures_are_named() {
        let bounded = Bounded::new(Duration::from_millis(200));
        assert_eq!(bounded.run(|| 7), Ok(7));
        assert_eq!(bounded.run(|| -> i32 { panic!("callback fails") }), Err(Failed::Panicked));
        assert_eq!(bounded.run(|| 8), Ok(8));
        let started = std::time::Instant::now();
        assert_eq!(bounded.run(|| std::thread::sleep(Duration::from_secs(2))), Err(Failed::TimedOut));
        assert!(started.elapsed() < Duration::from_secs(2));
        // A new worker serves the next call while the stuck one sleeps.
        assert_eq!(bounded.run(|| 9), Ok(9));
    }
}
