//! Keeps secrets out of what a check says: any word of a text that shares
//! [`OVERLAP`] characters in a row with a secret (or with a credential
//! built from one, such as a Basic header) is replaced by `[redacted]`.

/// Characters in a row that make a word "part of a secret".
pub const OVERLAP: usize = 4;

/// The sensitive strings of one check.
#[derive(Default)]
pub struct Redactor {
    secrets: Vec<Vec<char>>,
}

impl Drop for Redactor {
    fn drop(&mut self) {
        for s in &mut self.secrets {
            s.iter_mut().for_each(|c| *c = '\0');
        }
    }
}

fn is_word_char(c: char) -> bool {
    !(c.is_whitespace()
        || matches!(
            c,
            ',' | ';' | '"' | '\'' | '(' | ')' | '[' | ']' | '<' | '>'
        ))
}

impl Redactor {
    pub fn add(&mut self, secret: &str) {
        let chars: Vec<char> = secret.chars().flat_map(char::to_lowercase).collect();
        if !chars.is_empty() {
            self.secrets.push(chars);
        }
    }

    fn touches_a_secret(&self, word: &[char]) -> bool {
        self.secrets.iter().any(|secret| {
            let n = OVERLAP.min(secret.len());
            word.len() >= n && word.windows(n).any(|w| secret.windows(n).any(|s| s == w))
        })
    }

    /// `text` with every word that overlaps a secret replaced.
    pub fn filter(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut word = String::new();
        let flush = |word: &mut String, out: &mut String| {
            if word.is_empty() {
                return;
            }
            let lower: Vec<char> = word.chars().flat_map(char::to_lowercase).collect();
            if self.touches_a_secret(&lower) {
                out.push_str("[redacted]");
            } else {
                out.push_str(word);
            }
            word.clear();
        };
        for c in text.chars() {
            if is_word_char(c) {
                word.push(c);
            } else {
                flush(&mut word, &mut out);
                out.push(c);
            }
        }
        flush(&mut word, &mut out);
        out
    }
}

/// A provider's text made safe to show: control characters become spaces,
/// runs of spaces one, at most `max` characters.
pub fn tidy(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    let mut last_space = true;
    for c in text.chars() {
        let c = if c.is_control() || c.is_whitespace() {
            ' '
        } else {
            c
        };
        if c == ' ' && last_space {
            continue;
        }
        last_space = c == ' ';
        if count == max {
            out.push('…');
            break;
        }
        out.push(c);
        count += 1;
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_sharing_four_characters_with_a_secret_are_redacted() {
        let mut r = Redactor::default();
        r.add("S3cr3tT0kXq7Zp");
        r.add("dXNlcjpwYXNz");
        assert_eq!(
            r.filter("Token S3cr3tT0kXq7Zp is invalid"),
            "Token [redacted] is invalid"
        );
        assert_eq!(
            r.filter("bad token prefix 's3cr' here"),
            "bad token prefix '[redacted]' here"
        );
        assert_eq!(r.filter("tail=…T0kXq7."), "[redacted]");
        assert_eq!(r.filter("Basic dXNlcjpwYXNz"), "Basic [redacted]");
        assert_eq!(r.filter("Unauthorized (401)"), "Unauthorized (401)");
        assert_eq!(r.filter(""), "");
        let mut short = Redactor::default();
        short.add("ab");
        assert_eq!(short.filter("cab x"), "[redacted] x");
    }

    #[test]
    fn tidy_flattens_and_caps() {
        assert_eq!(tidy("a\n\n b\tc", 100), "a b c");
        assert_eq!(tidy("abcdef", 3), "abc…");
        assert_eq!(tidy("  x  ", 10), "x");
    }
}
