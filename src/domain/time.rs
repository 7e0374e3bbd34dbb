//! One clock and one text format for timestamps on every database.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, SecondsFormat, Timelike, Utc};

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
    match fixed(t) {
        Some(b) => b.iter().map(|&c| char::from(c)).collect(),
        // Years outside four digits and leap seconds: chrono's general form.
        None => t.to_rfc3339_opts(SecondsFormat::Micros, true),
    }
}

/// The text [`format`] writes, written where it is displayed or
/// serialised (into an answer being written) without a string of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formatted(pub DateTime<Utc>);

impl std::fmt::Display for Formatted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match fixed(&self.0) {
            // Only ASCII digits and separators.
            Some(b) => f.write_str(std::str::from_utf8(&b).map_err(|_| std::fmt::Error)?),
            None => f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Micros, true)),
        }
    }
}

impl serde::Serialize for Formatted {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The fixed-width form of [`format`] as bytes; `None` for a year outside
/// four digits or a leap second.
fn fixed(t: &DateTime<Utc>) -> Option<[u8; WIDTH]> {
    let n = t.naive_utc();
    let (date, clock) = (n.date(), n.time());
    let micros = clock.nanosecond() / 1_000;
    if !(0..=9999).contains(&date.year()) || micros >= 1_000_000 {
        return None;
    }
    let mut out = [0u8; WIDTH];
    let mut at = 0;
    let mut put = |v: u32, digits: u32, after: u8| {
        for i in (0..digits).rev() {
            out[at] = b'0' + ((v / 10u32.pow(i)) % 10) as u8;
            at += 1;
        }
        out[at] = after;
        at += 1;
    };
    put(date.year() as u32, 4, b'-');
    put(date.month(), 2, b'-');
    put(date.day(), 2, b'T');
    put(clock.hour(), 2, b':');
    put(clock.minute(), 2, b':');
    put(clock.second(), 2, b'.');
    put(micros, 6, b'Z');
    Some(out)
}

/// The length of what [`format`] writes.
const WIDTH: usize = "2026-11-25T10:00:00.000000Z".len();

/// Parses what [`format`] wrote (any RFC 3339 time is accepted).
pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    parse_fixed(s).or_else(|| {
        DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    })
}

/// The exact fixed-width form [`format`] writes, read without a general
/// parser; `None` for anything else.
fn parse_fixed(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    if b.len() != WIDTH || b[26] != b'Z' {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    for (at, sep) in [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
    ] {
        if b[at] != sep {
            return None;
        }
    }
    let date = NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 7)?, num(8, 10)?)?;
    let clock =
        NaiveTime::from_hms_micro_opt(num(11, 13)?, num(14, 16)?, num(17, 19)?, num(20, 26)?)?;
    Some(date.and_time(clock).and_utc())
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

    #[test]
    fn fixed_width_form_matches_chrono() {
        // A spread of instants from 1970 to 2100, microseconds included.
        let mut micros: i64 = 0;
        for i in 0..5_000i64 {
            micros = (micros + 1_234_567_890_123 + i * 7_919) % 4_102_444_800_000_000;
            let t = DateTime::from_timestamp_micros(micros).unwrap();
            let s = format(&t);
            assert_eq!(s, t.to_rfc3339_opts(SecondsFormat::Micros, true));
            assert_eq!(Formatted(t).to_string(), s);
            assert_eq!(
                serde_json::to_string(&Formatted(t)).unwrap(),
                format!("\"{s}\"")
            );
            assert_eq!(parse_fixed(&s), Some(t));
            assert_eq!(parse(&s), Some(t));
        }
    }

    #[test]
    fn other_rfc3339_forms_still_parse() {
        let t = parse("2026-11-25T11:00:00+01:00").unwrap();
        assert_eq!(format(&t), "2026-11-25T10:00:00.000000Z");
        let far = DateTime::from_timestamp(253_402_300_800, 0).unwrap();
        assert_eq!(Formatted(far).to_string(), format(&far));
        assert_eq!(parse("2026-11-25T10:00:00Z"), Some(t));
        for bad in [
            "",
            "2026-11-25",
            "2026-13-25T10:00:00.000000Z",
            "2026-11-25T10:00:00.00000aZ",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
