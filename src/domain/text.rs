//! Which characters text in a request may hold.
//!
//! Control characters (Unicode category Cc: U+0000–U+001F and
//! U+007F–U+009F) are not text: PostgreSQL refuses NUL in `text` and
//! `\u0000` in JSONB outright, and the others only hide or garble what a
//! person reads. Two rules:
//!
//! - **one-line text** (names, tags, query parameters, the keys of a JSON
//!   object) holds no control character at all;
//! - **free text** (config strings, secrets, status messages) may also hold
//!   tab, line feed and carriage return, so multi-line values such as PEM
//!   keys and notes keep working.
//!
//! Messages name the rule, never the value.

use crate::domain::validation::{FieldErrors, push};
use serde_json::Value;

/// The message for one-line text that holds a control character.
pub const LINE_MESSAGE: &str = "must not contain control characters";

/// The message for free text that holds a control character other than
/// tab, line feed or carriage return.
pub const FREE_TEXT_MESSAGE: &str =
    "must not contain control characters other than tab and line breaks";

/// The message for an object whose keys hold a control character, reported
/// at the object itself so that the key is not repeated.
pub const KEY_MESSAGE: &str = "has a field name that contains control characters";

/// Whether `s` is one-line text: no control character at all.
pub fn is_line(s: &str) -> bool {
    !s.chars().any(char::is_control)
}

/// Whether `s` is free text: no control character but tab, line feed and
/// carriage return.
pub fn is_free_text(s: &str) -> bool {
    !s.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// Checks every string (as free text) and every object key (as one-line
/// text) in `value`, at any depth, and reports each problem at its dotted
/// path under `path` (`config.options.aliases.1`); a bad key is reported at
/// its object. Returns whether anything was found.
pub fn check_json(value: &Value, path: &str, errors: &mut FieldErrors) -> bool {
    match value {
        Value::String(s) if !is_free_text(s) => {
            push(errors, path, FREE_TEXT_MESSAGE);
            true
        }
        Value::Array(items) => {
            let mut found = false;
            for (i, item) in items.iter().enumerate() {
                found |= check_json(item, &format!("{path}.{i}"), errors);
            }
            found
        }
        Value::Object(map) => {
            let mut found = false;
            for (key, item) in map {
                if is_line(key) {
                    found |= check_json(item, &format!("{path}.{key}"), errors);
                } else {
                    push(errors, path, KEY_MESSAGE);
                    found = true;
                }
            }
            found
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_line_text_holds_no_control_character() {
        assert!(is_line("Company blog — 2026 ✓"));
        assert!(is_line(""));
        for bad in [
            "a\u{0}b",
            "a\tb",
            "a\nb",
            "a\rb",
            "\u{1b}[31m",
            "a\u{7f}",
            "a\u{85}b",
        ] {
            assert!(!is_line(bad), "{bad:?}");
        }
    }

    #[test]
    fn free_text_keeps_tabs_and_line_breaks() {
        assert!(is_free_text("first\r\nsecond\tthird\n"));
        assert!(is_free_text(
            "-----BEGIN KEY-----\nabc\n-----END KEY-----\n"
        ));
        assert!(is_free_text("naïve ☃ 𝄞"));
        for bad in [
            "a\u{0}b", "\u{1}", "\u{8}", "\u{b}", "\u{c}", "\u{1b}", "\u{7f}", "\u{9f}",
        ] {
            assert!(!is_free_text(bad), "{bad:?}");
        }
    }

    #[test]
    fn json_is_checked_at_any_depth_without_repeating_values() {
        let value = json!({
            "ok": "multi\nline",
            "notes": "s3cret\u{0}",
            "options": {
                "aliases": ["fine", "bad\u{7}"],
                "deep": [{"x": "\u{1b}"}],
                "s3cret\u{0}key": 1
            },
            "n": 3,
            "b": true,
            "z": null
        });
        let mut errors = FieldErrors::new();
        assert!(check_json(&value, "config", &mut errors));
        let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "config.notes",
                "config.options",
                "config.options.aliases.1",
                "config.options.deep.0.x"
            ]
        );
        assert_eq!(errors["config.notes"], [FREE_TEXT_MESSAGE]);
        assert_eq!(errors["config.options"], [KEY_MESSAGE]);
        assert!(!serde_json::to_string(&errors).unwrap().contains("s3cret"));

        let mut none = FieldErrors::new();
        assert!(!check_json(
            &json!({"a": ["b\tc"], "d": {"e": 1}}),
            "config",
            &mut none
        ));
        assert!(none.is_empty());
    }
}
