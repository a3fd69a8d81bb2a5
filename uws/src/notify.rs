//! In-process phase notifications for WAIT (UWS 1.1 §2.2.1.2): a `watch` channel per job that someone is waiting
//! on, created by the first waiter and removed with the last, so idle jobs cost nothing and a WAIT on a job that
//! never changes leaves nothing behind. The store stays the truth: waiters also poll it now and then, which
//! catches changes made by another process sharing the database.

use crate::model::Phase;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// The waiters of a job list.
#[derive(Debug, Default, Clone)]
pub struct Watchers {
    map: Arc<Mutex<HashMap<String, watch::Sender<Phase>>>>,
}

/// One waiter's subscription; dropping it removes the job's channel when it was the last.
#[derive(Debug)]
pub struct Subscription {
    rx: Option<watch::Receiver<Phase>>,
    id: String,
    watchers: Watchers,
}

impl Watchers {
    /// Subscribes to the phase changes of a job, whose phase is now `current`.
    pub fn subscribe(&self, id: &str, current: Phase) -> Subscription {
        let rx = match self.map.lock() {
            Ok(mut m) => m
                .entry(id.to_string())
                .or_insert_with(|| watch::channel(current).0)
                .subscribe(),
            // A poisoned map only means another waiter panicked: a detached channel still lets this one time out.
            Err(_) => watch::channel(current).1,
        };
        Subscription {
            rx: Some(rx),
            id: id.to_string(),
            watchers: self.clone(),
        }
    }

    /// Tells the waiters of a job its new phase.
    pub fn notify(&self, id: &str, phase: Phase) {
        if let Ok(m) = self.map.lock()
            && let Some(tx) = m.get(id)
        {
            tx.send_replace(phase);
        }
    }

    /// Jobs with waiters.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// Whether nobody waits.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Subscription {
    /// Waits for the next phase this subscription has not seen; None if the channel closed.
    pub async fn changed(&mut self) -> Option<Phase> {
        let rx = self.rx.as_mut()?;
        rx.changed().await.ok()?;
        Some(*rx.borrow_and_update())
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        drop(self.rx.take());
        if let Ok(mut m) = self.watchers.map.lock()
            && m.get(&self.id).is_some_and(|tx| tx.receiver_count() == 0)
        {
            m.remove(&self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waiters_wake_and_clean_up() {
        let w = Watchers::default();
        let mut a = w.subscribe("j", Phase::Queued);
        let b = w.subscribe("j", Phase::Queued);
        assert_eq!(w.len(), 1);
        w.notify("j", Phase::Executing);
        w.notify("other", Phase::Completed);
        assert_eq!(a.changed().await, Some(Phase::Executing));
        drop(a);
        assert_eq!(w.len(), 1, "b still waits");
        drop(b);
        assert!(w.is_empty(), "the last waiter removes the channel");
    }
}
