//! The per-tenant limit on manual checks: at most a number per minute in
//! this process, so that nobody can use the service to hammer a provider
//! (or anything else) with requests.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);

/// A fixed one-minute window per tenant.
#[derive(Debug)]
pub struct ManualLimit {
    per_minute: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl ManualLimit {
    /// `per_minute` 0 means no limit.
    pub fn new(per_minute: u32) -> ManualLimit {
        ManualLimit {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one check from the allowance of the tenant with this id; `Err` holds the
    /// seconds until the window ends when none is left.
    pub fn take(&self, tenant: &str) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() > 10_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let (start, used) = windows.entry(tenant.to_string()).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *used = 0;
        }
        if *used >= self.per_minute {
            let left = WINDOW.saturating_sub(now.duration_since(*start));
            return Err(left.as_secs().max(1));
        }
        *used += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_gets_its_allowance_and_no_more() {
        let limit = ManualLimit::new(2);
        let (a, b) = ("tenant-a", "tenant-b");
        assert!(limit.take(a).is_ok());
        assert!(limit.take(a).is_ok());
        let wait = limit.take(a).unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(limit.take(b).is_ok(), "another tenant has its own");
        let off = ManualLimit::new(0);
        for _ in 0..100 {
            assert!(off.take(a).is_ok());
        }
    }
}
