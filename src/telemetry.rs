//! Logging set-up: text or JSON lines on stderr, filtered by
//! `LOG_LEVEL`/`RUST_LOG`. What is logged is decided at each call site;
//! the request log (web) never records headers, bodies or query strings.
//!
//! No log line at any level carries a secret, token, session id, CSRF
//! token or password hash. The service's own events never name them, and
//! the libraries that see them pass by are kept quiet whatever the filter
//! asks for:
//! - records of the `log` crate are not collected at all (the bridge that
//!   would turn them into events is not built in); `tokio-postgres`, for
//!   one, logs every bound parameter of every statement at debug level;
//! - events of the database drivers, the HTTP libraries and axum's
//!   rejections ([`CAPPED`]) are cut off above `warn` by a second filter
//!   that the configured one cannot lift.

use crate::config::LogFormat;
use std::io::IsTerminal;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::{FilterExt, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, fmt};

/// Targets (and everything below them) logged at `warn` at most: at their
/// debug and trace levels they write statement parameters, headers or
/// rejected input, which hold tokens, session ids, hashes and secrets.
pub const CAPPED: &[&str] = &[
    "tokio_postgres",
    "postgres",
    "postgres_protocol",
    "deadpool",
    "deadpool_postgres",
    "rusqlite",
    "hyper",
    "hyper_util",
    "h2",
    "reqwest",
    "tower_http",
    "axum::rejection",
];

/// The filter the configured one is combined with: everything passes but
/// the [`CAPPED`] targets above `warn`.
fn caps() -> Targets {
    CAPPED.iter().fold(
        Targets::new().with_default(LevelFilter::TRACE),
        |t, target| t.with_target(*target, LevelFilter::WARN),
    )
}

/// Installs the global subscriber (a second call is a no-op).
pub fn init(filter: &str, format: LogFormat) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let filter = filter.and(caps());
    let layer = fmt::layer()
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => tracing_subscriber::registry()
            .with(layer.with_filter(filter))
            .try_init(),
        LogFormat::Json => tracing_subscriber::registry()
            .with(layer.json().flatten_event(true).with_filter(filter))
            .try_init(),
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tracing::Level;
    use tracing::subscriber::with_default;
    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'a self) -> Buffer {
            self.clone()
        }
    }

    #[test]
    fn a_filter_cannot_lift_the_caps() {
        let out = Buffer::default();
        let filter = EnvFilter::new("trace,tokio_postgres::query=trace,hyper=trace").and(caps());
        let subscriber = tracing_subscriber::registry().with(
            fmt::layer()
                .with_ansi(false)
                .with_writer(out.clone())
                .with_filter(filter),
        );
        with_default(subscriber, || {
            tracing::event!(target: "tokio_postgres::query", Level::DEBUG, "parameter-one");
            tracing::event!(target: "hyper::proto", Level::TRACE, "header-two");
            tracing::event!(target: "axum::rejection", Level::TRACE, "body-three");
            tracing::event!(target: "tokio_postgres::query", Level::WARN, "warning-four");
            tracing::event!(target: "connectors::http", Level::TRACE, "own-five");
        });
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        for hidden in ["parameter-one", "header-two", "body-three"] {
            assert!(!text.contains(hidden), "{hidden}: {text}");
        }
        assert!(text.contains("warning-four"), "{text}");
        assert!(text.contains("own-five"), "{text}");
    }
}
