//! Work started at once, and what the answers add up to.

use std::future::Future;

/// Starts every future at once on the runtime; their outputs, in order.
pub async fn at_once<T, F>(futures: impl IntoIterator<Item = F>) -> Vec<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let tasks: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut outputs = Vec::with_capacity(tasks.len());
    for task in tasks {
        outputs.push(task.await.expect("a task run at once"));
    }
    outputs
}

/// Sends every request at once; their statuses, in order.
pub async fn statuses_at_once(
    requests: impl IntoIterator<Item = reqwest::RequestBuilder>,
) -> Vec<u16> {
    at_once(
        requests
            .into_iter()
            .map(|req| async move { req.send().await.unwrap().status().as_u16() }),
    )
    .await
}

/// How many of `statuses` are `status`.
pub fn count_of(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

/// Asserts that, for each `(status, count)`, exactly `count` of `statuses`
/// are `status`.
pub fn assert_counts(statuses: &[u16], expected: &[(u16, usize)]) {
    for (status, count) in expected {
        assert_eq!(
            count_of(statuses, *status),
            *count,
            "answers with status {status}: {statuses:?}"
        );
    }
}

/// Sends a fresh `request()` again, at most 200 times and 10 ms apart,
/// until it answers `want`; the last status it answered.
pub async fn settled_status(request: impl Fn() -> reqwest::RequestBuilder, want: u16) -> u16 {
    let mut got = 0;
    for _ in 0..200 {
        got = request().send().await.unwrap().status().as_u16();
        if got == want {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    got
}
