//! One thread for the timeouts of every spawned sandbox of the process: it
//! sleeps until the earliest deadline and runs what is due, so a thousand
//! waiting sandboxes cost one thread, and nothing runs while none is due.
//! An entry whose owner is gone (its child was reaped and dropped) is
//! skipped when its time comes, and swept out once dead entries could
//! outnumber live ones, so a service starting many short runs with long
//! timeouts keeps a queue the size of what is running.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Arc, Condvar, Mutex, Weak};
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

/// Fewest entries worth a sweep.
const SWEEP_FLOOR: usize = 64;

struct Queue {
    entries: BinaryHeap<Reverse<Entry>>,
    next_seq: u64,
    /// The queue's length after the last sweep: the next one comes at twice
    /// that, so sweeping costs O(1) per entry.
    swept_len: usize,
}

impl Queue {
    const fn new() -> Queue {
        Queue { entries: BinaryHeap::new(), next_seq: 0, swept_len: 0 }
    }

    fn sweep_if_due(&mut self) {
        if self.entries.len() >= SWEEP_FLOOR.max(2 * self.swept_len) {
            self.entries.retain(|Reverse(entry)| entry.what.strong_count() > 0);
            self.swept_len = self.entries.len();
        }
    }
}

struct Timer {
    queue: Mutex<Queue>,
    wake: Condvar,
}

static TIMER: Timer = Timer { queue: Mutex::new(Queue::new()), wake: Condvar::new() };

/// The process whose timer thread runs. A process the host forked without
/// exec has none (threads do not survive a fork), and a thread that could
/// not be started (the host at its task limit, a moment short of memory) is
/// started at the next spawn with a timeout: either way the runs' timeouts
/// never fired.
static RUNNING_IN: Mutex<Option<u32>> = Mutex::new(None);

fn timer() -> std::io::Result<&'static Timer> {
    let mut running_in = RUNNING_IN.lock().unwrap_or_else(|e| e.into_inner());
    if *running_in != Some(std::process::id()) {
        std::thread::Builder::new().name("sandlock-timer".into()).spawn(|| run(&TIMER))?;
        *running_in = Some(std::process::id());
    }
    Ok(&TIMER)
}

/// The timer's locks, taken by the thread that forks ([`crate::fork_locks`]):
/// one the timer thread held at the fork would stay held in the new
/// process, whose first spawn with a timeout would wait on it.
pub(crate) fn held_across_fork() -> Box<dyn std::any::Any> {
    let running_in = RUNNING_IN.lock().unwrap_or_else(|e| e.into_inner());
    Box::new((running_in, TIMER.queue.lock().unwrap_or_else(|e| e.into_inner())))
}

/// Run `what` at `at`, unless it is dropped first.
pub(crate) fn schedule(at: Instant, what: &Arc<dyn Due>) -> std::io::Result<()> {
    let timer = timer()?;
    let mut queue = timer.queue.lock().unwrap_or_else(|e| e.into_inner());
    queue.sweep_if_due();
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

    #[test]
    fn entries_of_dropped_owners_are_swept_long_before_they_are_due() {
        let mut queue = Queue::new();
        let later = Instant::now() + Duration::from_secs(3600);
        let alive: Arc<dyn Due> = Arc::new(Count(AtomicUsize::new(0)));
        for seq in 0..10_000 {
            queue.sweep_if_due();
            let what = if seq % 100 == 0 {
                Arc::downgrade(&alive)
            } else {
                Arc::downgrade(&(Arc::new(Count(AtomicUsize::new(0))) as Arc<dyn Due>))
            };
            queue.entries.push(Reverse(Entry { at: later, seq, what }));
        }
        // 100 live entries; the dead ones never reach twice the last sweep.
        assert!(queue.entries.len() < 2 * SWEEP_FLOOR.max(200), "{} entries kept", queue.entries.len());
        assert_eq!(queue.entries.iter().filter(|Reverse(e)| e.what.strong_count() > 0).count(), 100);
    }
}
