//! One thread for the timeouts of every spawned sandbox of the process: it
//! sleeps until the earliest deadline and runs what is due, so a thousand
//! waiting sandboxes cost one thread, and nothing runs while none is due.
//! An entry whose owner is gone (its child was reaped and dropped) is
//! skipped when its time comes.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Arc, Condvar, Mutex, OnceLock, Weak};
use std::time::Instant;

/// What a timer entry does when it is due.
pub(crate) trait Due: Send + Sync {
    fn due(&self);
}

struct Entry {
    at: Instant,
    /// Insertion order: entries with the same deadline run in it.
    seq: u64,
    what: Weak<dyn Due>,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Entry) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Entry) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Entry) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

#[derive(Default)]
struct Queue {
    entries: BinaryHeap<Reverse<Entry>>,
    next_seq: u64,
}

struct Timer {
    queue: Mutex<Queue>,
    wake: Condvar,
}

fn timer() -> std::io::Result<&'static Timer> {
    static TIMER: OnceLock<Timer> = OnceLock::new();
    static STARTED: OnceLock<std::io::Result<()>> = OnceLock::new();
    let timer = TIMER.get_or_init(|| Timer { queue: Mutex::default(), wake: Condvar::new() });
    match STARTED
        .get_or_init(|| std::thread::Builder::new().name("sandlock-timer".into()).spawn(move || run(timer)).map(|_| ()))
    {
        Ok(()) => Ok(timer),
        Err(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
    }
}

/// Run `what` at `at`, unless it is dropped first.
pub(crate) fn schedule(at: Instant, what: &Arc<dyn Due>) -> std::io::Result<()> {
    let timer = timer()?;
    let mut queue = timer.queue.lock().unwrap_or_else(|e| e.into_inner());
    let seq = queue.next_seq;
    queue.next_seq += 1;
    let earliest = queue.entries.peek().map(|Reverse(e)| e.at);
    queue.entries.push(Reverse(Entry { at, seq, what: Arc::downgrade(what) }));
    // Only a new earliest deadline needs the thread to wake sooner.
    if earliest.map_or(true, |earliest| at < earliest) {
        timer.wake.notify_one();
    }
    Ok(())
}

fn run(timer: &Timer) {
    let mut queue = timer.queue.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let now = Instant::now();
        match queue.entries.peek() {
            None => queue = timer.wake.wait(queue).unwrap_or_else(|e| e.into_inner()),
            Some(Reverse(entry)) if entry.at > now => {
                let left = entry.at - now;
                queue = timer.wake.wait_timeout(queue, left).unwrap_or_else(|e| e.into_inner()).0;
            }
            Some(_) => {
                let Some(Reverse(entry)) = queue.entries.pop() else { continue };
                // Run it without the lock: it may take the lock of its owner.
                drop(queue);
                if let Some(what) = entry.what.upgrade() {
                    what.due();
                }
                queue = timer.queue.lock().unwrap_or_else(|e| e.into_inner());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    struct Count(AtomicUsize);

    impl Due for Count {
        fn due(&self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn entries_run_when_due_and_dropped_ones_never() {
        let kept = Arc::new(Count(AtomicUsize::new(0)));
        let dropped = Arc::new(Count(AtomicUsize::new(0)));
        let soon = Instant::now() + Duration::from_millis(50);
        schedule(soon + Duration::from_millis(20), &(Arc::clone(&kept) as Arc<dyn Due>)).unwrap();
        schedule(soon, &(Arc::clone(&dropped) as Arc<dyn Due>)).unwrap();
        let watch = Arc::downgrade(&dropped);
        drop(dropped);
        assert!(watch.upgrade().is_none());
        let deadline = Instant::now() + Duration::from_secs(5);
        while kept.0.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(kept.0.load(Ordering::SeqCst), 1);
    }
}
