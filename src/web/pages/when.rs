//! Times as cards show them: "5 minutes ago" in words, with the exact
//! time for the `<time>` element's `datetime` and its hover title.

use crate::domain::time;
use chrono::{DateTime, Utc};

/// One moment, ready for `<time datetime="{{ iso }}" title="{{ exact }}">{{ ago }}</time>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct When {
    /// RFC 3339, as stored.
    pub iso: String,
    /// The exact time for people: `2026-12-01 08:48:44 UTC`.
    pub exact: String,
    /// How long ago, in words: `5 minutes ago`.
    pub ago: String,
}

impl When {
    /// A stored timestamp as of `now`; `None` when it does not parse.
    pub fn of(stored: &str, now: DateTime<Utc>) -> Option<When> {
        Some(When::at(time::parse(stored)?, now))
    }

    /// A moment already read, as of `now`.
    pub fn at(t: DateTime<Utc>, now: DateTime<Utc>) -> When {
        When {
            iso: time::format(&t),
            exact: t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            ago: ago(t, now),
        }
    }
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit} ago")
    } else {
        format!("{n} {unit}s ago")
    }
}

/// How long before `now` `t` was, in words. A time in the future (clocks
/// of two replicas a little apart) reads as "just now".
pub fn ago(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - t).num_seconds();
    let (minutes, hours, days) = (secs / 60, secs / 3600, secs / 86_400);
    if secs < 45 {
        "just now".to_string()
    } else if minutes < 1 {
        "1 minute ago".to_string()
    } else if minutes < 60 {
        plural(minutes, "minute")
    } else if hours < 24 {
        plural(hours, "hour")
    } else if days < 2 {
        "yesterday".to_string()
    } else if days < 31 {
        plural(days, "day")
    } else {
        format!("on {}", t.format("%-d %b %Y"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn times_read_as_words_with_the_exact_time_beside_them() {
        let now = time::parse("2026-12-01T10:00:00.000000Z").unwrap();
        let at = |d: Duration| ago(now - d, now);
        assert_eq!(at(Duration::seconds(10)), "just now");
        assert_eq!(at(Duration::seconds(-30)), "just now");
        assert_eq!(at(Duration::seconds(50)), "1 minute ago");
        assert_eq!(at(Duration::minutes(5)), "5 minutes ago");
        assert_eq!(at(Duration::minutes(60)), "1 hour ago");
        assert_eq!(at(Duration::hours(23)), "23 hours ago");
        assert_eq!(at(Duration::hours(30)), "yesterday");
        assert_eq!(at(Duration::days(3)), "3 days ago");
        assert_eq!(at(Duration::days(45)), "on 17 Oct 2026");
        let w = When::of("2026-12-01T09:54:59.123456Z", now).unwrap();
        assert_eq!(w.ago, "5 minutes ago");
        assert_eq!(w.exact, "2026-12-01 09:54:59 UTC");
        assert_eq!(w.iso, "2026-12-01T09:54:59.123456Z");
        assert_eq!(When::of("yesterday", now), None);
    }
}
