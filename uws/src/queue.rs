//! The queue of a runner pool: round-robin between owners, first come first served within an owner, so one
//! user submitting a hundred jobs does not make everyone else wait behind them ("QUEUED jobs wait fairly").
//! Anonymous jobs share one lane.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use tokio::sync::Notify;

/// Jobs waiting for a slot.
#[derive(Debug, Default)]
pub struct FairQueue {
    lanes: Mutex<Lanes>,
    ready: Notify,
}

#[derive(Debug, Default)]
struct Lanes {
    by_owner: HashMap<String, VecDeque<String>>,
    /// Owners with waiting jobs, in turn order.
    turn: VecDeque<String>,
}

impl FairQueue {
    /// Queues a job of an owner (None: anonymous).
    pub fn push(&self, owner: Option<&str>, id: String) {
        let owner = owner.unwrap_or("").to_string();
        if let Ok(mut l) = self.lanes.lock() {
            let lane = l.by_owner.entry(owner.clone()).or_default();
            lane.push_back(id);
            if lane.len() == 1 {
                l.turn.push_back(owner);
            }
        }
        self.ready.notify_one();
    }

    /// The next job, if any: the first job of the owner whose turn it is.
    pub fn try_pop(&self) -> Option<String> {
        let mut l = self.lanes.lock().ok()?;
        let owner = l.turn.pop_front()?;
        let lane = l.by_owner.get_mut(&owner)?;
        let id = lane.pop_front();
        if lane.is_empty() {
            l.by_owner.remove(&owner);
        } else {
            l.turn.push_back(owner);
        }
        id
    }

    /// Waits for the next job.
    pub async fn pop(&self) -> String {
        loop {
            if let Some(id) = self.try_pop() {
                // A notification holds one permit at most: pass the wake-up on while jobs remain.
                if !self.is_empty() {
                    self.ready.notify_one();
                }
                return id;
            }
            self.ready.notified().await;
        }
    }

    /// Jobs waiting.
    pub fn len(&self) -> usize {
        self.lanes
            .lock()
            .map(|l| l.by_owner.values().map(VecDeque::len).sum())
            .unwrap_or(0)
    }

    /// Whether no job waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_take_turns_and_each_owner_is_fifo() {
        let q = FairQueue::default();
        for i in 0..3 {
            q.push(Some("greedy"), format!("g{i}"));
        }
        q.push(Some("alice"), "a0".into());
        q.push(None, "n0".into());
        q.push(Some("alice"), "a1".into());
        let order: Vec<_> = std::iter::from_fn(|| q.try_pop()).collect();
        assert_eq!(order, vec!["g0", "a0", "n0", "g1", "a1", "g2"]);
        assert!(q.is_empty());
    }

    #[tokio::test]
    async fn every_idle_worker_wakes_for_a_burst() {
        let q = std::sync::Arc::new(FairQueue::default());
        let mut workers = Vec::new();
        for _ in 0..3 {
            let q = q.clone();
            workers.push(tokio::spawn(async move { q.pop().await }));
        }
        tokio::task::yield_now().await;
        for i in 0..3 {
            q.push(None, format!("j{i}"));
        }
        let mut got = Vec::new();
        for w in workers {
            got.push(
                tokio::time::timeout(std::time::Duration::from_secs(10), w)
                    .await
                    .unwrap()
                    .unwrap(),
            );
        }
        got.sort();
        assert_eq!(got, vec!["j0", "j1", "j2"]);
    }
}
