//! A callback with a time limit: it runs on a worker thread while the
//! receiving thread waits at most the limit, so a callback that blocks
//! never holds up the sandbox's other calls. A worker stuck past the limit
//! is left to finish on its own (its answer goes nowhere) and the next
//! call gets a new one — up to [`MAX_STUCK`] stuck at once; past that a
//! call fails at once, so a callback that never returns costs the host a
//! few threads, not one per event.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Job = Box<dyn FnOnce() + Send>;

/// The most workers left inside a call past its limit at once.
pub(crate) const MAX_STUCK: usize = 4;

/// Where a call stands, between its worker and the thread waiting for it.
const RUNNING: u8 = 0;
const DONE: u8 = 1;
const ABANDONED: u8 = 2;

pub(crate) struct Bounded {
    limit: Duration,
    worker: Mutex<Option<mpsc::Sender<Job>>>,
    /// Workers still inside a call their caller stopped waiting for.
    stuck: Arc<AtomicUsize>,
}

/// Why a bounded call gave no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failed {
    Panicked,
    TimedOut,
}

impl Bounded {
    pub(crate) fn new(limit: Duration) -> Bounded {
        Bounded { limit, worker: Mutex::new(None), stuck: Arc::new(AtomicUsize::new(0)) }
    }

    /// Run `call` on the worker and wait for it at most the limit.
    pub(crate) fn run<T: Send + 'static>(&self, call: impl FnOnce() -> T + Send + 'static) -> Result<T, Failed> {
        if self.stuck.load(Ordering::SeqCst) >= MAX_STUCK {
            return Err(Failed::TimedOut);
        }
        let (answer, outcome) = mpsc::sync_channel(1);
        let state = Arc::new(AtomicU8::new(RUNNING));
        let (ended, stuck) = (Arc::clone(&state), Arc::clone(&self.stuck));
        let job: Job = Box::new(move || {
            let _ = answer.send(catch_unwind(AssertUnwindSafe(call)).map_err(|_| Failed::Panicked));
            if ended.swap(DONE, Ordering::SeqCst) == ABANDONED {
                stuck.fetch_sub(1, Ordering::SeqCst);
            }
        });
        self.submit(job)?;
        match outcome.recv_timeout(self.limit) {
            Ok(result) => result,
            Err(_) => {
                // Counted before the call is marked, so that the worker's
                // uncount, which follows the mark, never comes first.
                self.stuck.fetch_add(1, Ordering::SeqCst);
                if state.compare_exchange(RUNNING, ABANDONED, Ordering::SeqCst, Ordering::SeqCst).is_err() {
                    // It ended just now.
                    self.stuck.fetch_sub(1, Ordering::SeqCst);
                    return outcome.try_recv().unwrap_or(Err(Failed::TimedOut));
                }
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

    #[test]
    fn calls_past_the_stuck_workers_fail_at_once() {
        let limit = Duration::from_millis(200);
        let bounded = Bounded::new(limit);
        let (release, held) = mpsc::channel::<()>();
        let held = Arc::new(Mutex::new(held));
        for _ in 0..MAX_STUCK {
            let held = Arc::clone(&held);
            assert_eq!(bounded.run(move || held.lock().unwrap().recv().is_ok()), Err(Failed::TimedOut));
        }
        // No new worker, no wait for the limit.
        let started = std::time::Instant::now();
        assert_eq!(bounded.run(|| 1), Err(Failed::TimedOut));
        assert!(started.elapsed() < limit, "{:?}", started.elapsed());
        // Once the stuck calls end, calls are answered again.
        for _ in 0..MAX_STUCK {
            release.send(()).unwrap();
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while bounded.stuck.load(Ordering::SeqCst) > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(bounded.run(|| 2), Ok(2));
    }
}
