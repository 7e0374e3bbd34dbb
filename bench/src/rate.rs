//! An open-loop load generator: requests sent at a fixed rate from a
//! schedule, latency counted from when each is sent.

use crate::seed::read_targets;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) async fn rate(
    url: &str,
    rps: u64,
    seconds: u64,
    warmup: u64,
    headers: &[String],
    targets: Option<&Path>,
) -> anyhow::Result<()> {
    let mut map = reqwest::header::HeaderMap::new();
    for h in headers {
        let (k, v) = h
            .split_once(':')
            .ok_or_else(|| anyhow::anyhow!("a header must be NAME: VALUE"))?;
        map.insert(
            reqwest::header::HeaderName::from_bytes(k.trim().as_bytes())?,
            v.trim().parse()?,
        );
    }
    let client = reqwest::Client::builder()
        .default_headers(map)
        .pool_max_idle_per_host(256)
        .build()?;
    // Request i goes to requests[i % len]: one URL, or one per target.
    let requests: Vec<(String, Option<reqwest::header::HeaderValue>)> = match targets {
        Some(path) => read_targets(path)?
            .into_iter()
            .map(|t| {
                let mut auth: reqwest::header::HeaderValue =
                    format!("Bearer {}", t.token).parse()?;
                auth.set_sensitive(true);
                Ok((url.replace("{id}", &t.connector_id), Some(auth)))
            })
            .collect::<anyhow::Result<_>>()?,
        None => vec![(url.to_string(), None)],
    };
    let requests = Arc::new(requests);
    let send = |c: &reqwest::Client, (u, auth): &(String, Option<reqwest::header::HeaderValue>)| {
        let mut req = c.get(u);
        if let Some(a) = auth {
            req = req.header(reqwest::header::AUTHORIZATION, a.clone());
        }
        req
    };
    let first = send(&client, &requests[0]).send().await?;
    anyhow::ensure!(
        first.status().is_success(),
        "the first response was {}",
        first.status()
    );
    // The first `skipped` requests warm the server's caches, connections
    // and the client's pool; they are checked for their status but their
    // times are not counted.
    let skipped = (rps * warmup) as usize;
    let total = rps * (seconds + warmup);
    let interval = Duration::from_nanos(1_000_000_000 / rps.max(1));
    // Requests are paced by a thread of their own with the OS's fine-grained
    // sleep: the async runtime's timer ticks in whole milliseconds, which
    // would send requests in bursts instead of at an even rate.
    let runtime = tokio::runtime::Handle::current();
    let pacer = std::thread::spawn(move || {
        let start = Instant::now();
        let mut tasks = Vec::with_capacity(total as usize);
        for i in 0..total {
            let due = start + interval * (i as u32);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            let req = send(&client, &requests[i as usize % requests.len()]);
            tasks.push(runtime.spawn(async move {
                // Latency counts from when the request starts; how late that
                // is against the schedule is reported separately, so a
                // generator that falls behind shows instead of hiding slow
                // answers.
                let started = Instant::now();
                let lag = started.saturating_duration_since(due);
                let ok = match req.send().await {
                    Ok(r) => {
                        let s = r.status().is_success();
                        let _ = r.bytes().await;
                        s
                    }
                    Err(_) => false,
                };
                (started.elapsed(), lag, ok)
            }));
        }
        tasks
    });
    let tasks = tokio::task::spawn_blocking(move || pacer.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the pacing thread failed"))?;
    let mut lat = Vec::with_capacity(tasks.len());
    let mut lags = Vec::with_capacity(tasks.len());
    let mut bad = 0u64;
    for (i, t) in tasks.into_iter().enumerate() {
        let (d, lag, ok) = t.await?;
        if !ok {
            bad += 1;
        }
        if i >= skipped {
            lat.push(d.as_secs_f64() * 1000.0);
            lags.push(lag.as_secs_f64() * 1000.0);
        }
    }
    let pct = |v: &mut Vec<f64>, p: f64| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[((v.len() as f64 * p) as usize).min(v.len() - 1)]
    };
    let (p50, p99) = (pct(&mut lat, 0.50), pct(&mut lat, 0.99));
    println!("{p50:.3} {p99:.3} {bad} {:.3}", pct(&mut lags, 0.99));
    Ok(())
}
