//! Templates over a connector's values: literal text with `{{config.x}}`
//! and `{{auth.x}}` fields.

use serde_json::Value;
use std::fmt::Write;

/// Where a template field comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A property of `default_config_schema`.
    Config,
    /// A property of `auth_schema` (a secret).
    Auth,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Text(String),
    Field(Source, String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template(pub Vec<Part>);

impl Template {
    /// Parses `text`; an unclosed `{{`, an empty field or a field outside
    /// `config.` and `auth.` is an error saying which.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                return Err("`{{` without a closing `}}`".into());
            };
            let field = after[..end].trim();
            let (source, name) = match field.split_once('.') {
                Some(("config", name)) => (Source::Config, name),
                Some(("auth", name)) => (Source::Auth, name),
                _ => {
                    return Err(format!(
                        "`{{{{{field}}}}}` is not a field; write {{{{config.NAME}}}} or {{{{auth.NAME}}}}"
                    ));
                }
            };
            if name.is_empty() || name.contains(['{', '}', '.']) {
                return Err(format!("`{{{{{field}}}}}` is not a field name"));
            }
            parts.push(Part::Field(source, name.to_string()));
            rest = &after[end + 2..];
        }
        if rest.contains("}}") {
            return Err("`}}` without an opening `{{`".into());
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Template(parts))
    }

    pub fn fields(&self) -> impl Iterator<Item = (Source, &str)> {
        self.0.iter().filter_map(|p| match p {
            Part::Field(s, n) => Some((*s, n.as_str())),
            Part::Text(_) => None,
        })
    }

    pub fn uses(&self, source: Source) -> bool {
        self.fields().any(|(s, _)| s == source)
    }

    /// Whether the template begins with a field (a base URL from the
    /// config, such as a site address).
    pub fn starts_with_field(&self) -> bool {
        matches!(self.0.first(), Some(Part::Field(..)))
    }

    /// The text with every field replaced by `value(source, name)` (missing
    /// fields are empty).
    pub fn render(&self, value: &dyn Fn(Source, &str) -> Option<String>) -> String {
        let mut out = String::new();
        for part in &self.0 {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Field(s, n) => out.push_str(&value(*s, n).unwrap_or_default()),
            }
        }
        out
    }

    /// A URL: a field that opens the template is inserted as written
    /// without a trailing `/`, query or fragment (a base address); every other field is
    /// percent-encoded as a path or query component.
    pub fn render_url(&self, value: &dyn Fn(Source, &str) -> Option<String>) -> String {
        let mut out = String::new();
        for (i, part) in self.0.iter().enumerate() {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Field(s, n) => {
                    let v = value(*s, n).unwrap_or_default();
                    if i == 0 {
                        // A base address: its own query or fragment would
                        // swallow the template's path.
                        let v = v.trim();
                        let base = v.find(['?', '#']).map_or(v, |at| &v[..at]);
                        out.push_str(base.trim_end_matches('/'));
                    } else {
                        encode_component(&mut out, &v);
                    }
                }
            }
        }
        out
    }
}

fn encode_component(out: &mut String, text: &str) {
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// A config value as template text: strings as they are, other scalars
/// in JSON, and nothing for arrays, objects and null.
pub fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
