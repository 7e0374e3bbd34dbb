//! One clock and one text format for timestamps on every database.

use chrono::{DateTime, SecondsFormat, Utc};

/// The current time, truncated to microseconds so that it survives a round
/// trip through PostgreSQL's `TIMESTAMPTZ` unchanged.
pub fn now() -> DateTime<Utc> {
    let t = Utc::now();
    let micros = t.timestamp_micros();
    DateTime::from_timestamp_micros(micros).unwrap_or(t)
}

/// RFC 3339 in UTC with microseconds and a `Z`, e.g.
/// `2026-11-25T10:00:00.000000Z`. Fixed width, so text order is time order.
pub fn format(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Parses what [`format`] wrote (any RFC 3339 time is accepted).
pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_round_trips_and_is_fixed_width() {
        let t = now();
        let s = format(&t);
        assert!(s.ends_with('Z'));
        assert_eq!(s.len(), "2026-11-25T10:00:00.000000Z".len());
        assert_eq!(parse(&s), Some(t));
    }
}
