//! Scheduled re-checks: every process runs this loop; each pass claims
//! the connectors that are due (the store moves their due time in the same
//! step, so no other process claims them for this interval) and checks
//! them, a bounded number at once.

use crate::service::connectors::Connectors;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// How long a pass waits for the next: a tenth of the interval, between
/// 200 ms and 5 s.
pub fn poll_every(interval: Duration) -> Duration {
    (interval / 10).clamp(Duration::from_millis(200), Duration::from_secs(5))
}

/// Runs passes until the task is dropped or aborted.
pub async fn run(connectors: Connectors) {
    let interval = connectors.checks.interval;
    let concurrency = connectors.checks.concurrency;
    let every = poll_every(interval);
    let slots = Arc::new(Semaphore::new(concurrency));
    loop {
        match pass(&connectors, &slots, interval, concurrency).await {
            Ok(claimed) if claimed >= batch(concurrency) => continue,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "scheduled checks: claiming due connectors failed")
            }
        }
        tokio::time::sleep(every).await;
    }
}

fn batch(concurrency: usize) -> usize {
    concurrency * 4
}

/// One pass: claims a batch and checks it; returns how many it claimed.
async fn pass(
    connectors: &Connectors,
    slots: &Arc<Semaphore>,
    interval: Duration,
    concurrency: usize,
) -> Result<usize, crate::storage::StoreError> {
    let now = crate::domain::time::now();
    // Due again after 90% to 110% of the interval.
    let base = chrono::Duration::from_std(interval.mul_f64(0.9))
        .unwrap_or_else(|_| chrono::Duration::hours(6));
    let jitter = (interval.as_secs_f64() * 0.2) as i64;
    let due = connectors
        .store
        .checks_claim_due(now, now + base, jitter, batch(concurrency) as i64)
        .await?;
    let claimed = due.len();
    let mut running = JoinSet::new();
    for d in due {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            break;
        };
        let connectors = connectors.clone();
        running.spawn(async move {
            if let Err(e) = connectors.run_scheduled(&d).await {
                tracing::warn!(connector_id = %d.id, error = %e, "scheduled check failed to run");
            }
            drop(slot);
        });
    }
    while running.join_next().await.is_some() {}
    Ok(claimed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_are_a_tenth_of_the_interval_within_bounds() {
        assert_eq!(
            poll_every(Duration::from_secs(6 * 3600)),
            Duration::from_secs(5)
        );
        assert_eq!(poll_every(Duration::from_secs(10)), Duration::from_secs(1));
        assert_eq!(
            poll_every(Duration::from_secs(1)),
            Duration::from_millis(200)
        );
    }
}
