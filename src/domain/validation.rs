//! Config and secret validation against a catalog entry's schemas, with
//! errors keyed by dotted path into the request body (`config.site_url`,
//! `config.tags.0`) and written for people: a pattern's own description,
//! never the raw regex, and never the submitted value.

use crate::domain::schema::{branch_tag, discriminator};
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Field path → messages; the `errors` object of the API's envelope.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

pub fn push(errors: &mut FieldErrors, field: impl Into<String>, message: impl Into<String>) {
    let msgs = errors.entry(field.into()).or_default();
    let m = message.into();
    if !msgs.contains(&m) {
        msgs.push(m);
    }
}

/// `/a/0` under prefix `config` → `config.a.0`.
fn dotted(prefix: &str, pointer: &str) -> String {
    let mut out = prefix.to_string();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        out.push('.');
        out.push_str(&seg);
    }
    out
}

fn json_number(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The schema node a keyword location points into (its parent object).
fn schema_node<'s>(schema: &'s Value, keyword_location: &str) -> Option<&'s Value> {
    let parent = keyword_location.rsplit_once('/').map(|(p, _)| p)?;
    schema_at(schema, parent)
}

/// The node at a keyword location, which runs through `$ref`s: a `$ref`
/// segment continues at the node the reference points at inside `schema`.
fn schema_at<'s>(schema: &'s Value, location: &str) -> Option<&'s Value> {
    let mut node = schema;
    for seg in location.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        node = match (seg.as_str(), node.get("$ref").and_then(Value::as_str)) {
            ("$ref", Some(r)) => schema.pointer(r.strip_prefix('#')?)?,
            _ => match node {
                Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
                other => other.get(&seg)?,
            },
        };
    }
    Some(node)
}

fn pattern_message(schema: &Value, keyword_location: &str) -> String {
    match schema_node(schema, keyword_location)
        .and_then(|n| n.get("patternDescription"))
        .and_then(Value::as_str)
    {
        Some(d) if d.starts_with("must ") => d.to_string(),
        Some(d) => format!("must match: {d}"),
        None => "does not have the expected format".to_string(),
    }
}

fn format_message(format: &str) -> String {
    match format {
        "uri" | "url" | "iri" => "must be a valid URL (e.g. https://example.com)".into(),
        "email" | "idn-email" => "must be a valid email address".into(),
        "date-time" => "must be a date and time (RFC 3339)".into(),
        "date" => "must be a date (YYYY-MM-DD)".into(),
        "uuid" => "must be a UUID".into(),
        other => format!("must be a valid {other}"),
    }
}

fn type_name(kind: &TypeKind) -> String {
    let name = |t: String| match t.as_str() {
        "integer" => "a whole number".to_string(),
        "number" => "a number".to_string(),
        "string" => "text".to_string(),
        "boolean" => "true or false".to_string(),
        "array" => "a list".to_string(),
        "object" => "an object".to_string(),
        "null" => "null".to_string(),
        other => other.to_string(),
    };
    match kind {
        TypeKind::Single(t) => name(t.to_string()),
        TypeKind::Multiple(set) => {
            let names: Vec<String> = set.iter().map(|t| name(t.to_string())).collect();
            names.join(" or ")
        }
    }
}

fn enum_message(options: &Value) -> String {
    let list: Vec<String> = options
        .as_array()
        .map(|a| {
            a.iter()
                .map(|o| match o {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    format!("must be one of: {}", list.join(", "))
}

/// Maps one validation error to (field, message) pairs.
fn map_error(
    err: &ValidationError<'_>,
    schema: &Value,
    instance: &Value,
    prefix: &str,
    out: &mut FieldErrors,
) {
    let at = err.instance_path().as_str().to_string();
    let field = dotted(prefix, &at);
    let keyword_location = err.schema_path().as_str().to_string();
    let msg = match err.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| property.to_string());
            push(out, format!("{field}.{name}"), "is required");
            return;
        }
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            for name in unexpected {
                push(out, format!("{field}.{name}"), "is not a recognised field");
            }
            return;
        }
        ValidationErrorKind::OneOfNotValid { context } => {
            let at = OneOfAt {
                prefix,
                field: &field,
                keyword_location: &keyword_location,
            };
            one_of_errors(err, context, schema, instance, &at, out);
            return;
        }
        ValidationErrorKind::OneOfMultipleValid { .. } => {
            "matches more than one choice".to_string()
        }
        ValidationErrorKind::Type { kind } => format!("must be {}", type_name(kind)),
        ValidationErrorKind::Pattern { .. } => pattern_message(schema, &keyword_location),
        ValidationErrorKind::Format { format } => format_message(format),
        ValidationErrorKind::Enum { options } => enum_message(options),
        ValidationErrorKind::Constant { expected_value } => match expected_value.as_ref() {
            Value::String(s) => format!("must be {s}"),
            other => format!("must be {other}"),
        },
        ValidationErrorKind::MinLength { limit } => {
            if *limit == 1 {
                "must not be empty".to_string()
            } else {
                format!(
                    "must be at least {}",
                    plural(*limit, "character", "characters")
                )
            }
        }
        ValidationErrorKind::MaxLength { limit } => {
            format!(
                "must be at most {}",
                plural(*limit, "character", "characters")
            )
        }
        ValidationErrorKind::Minimum { limit } => {
            format!("must be at least {}", json_number(limit))
        }
        ValidationErrorKind::Maximum { limit } => format!("must be at most {}", json_number(limit)),
        ValidationErrorKind::ExclusiveMinimum { limit } => {
            format!("must be greater than {}", json_number(limit))
        }
        ValidationErrorKind::ExclusiveMaximum { limit } => {
            format!("must be less than {}", json_number(limit))
        }
        ValidationErrorKind::MultipleOf { .. } => {
            let m = schema_node(schema, &keyword_location)
                .and_then(|n| n.get("multipleOf"))
                .map(json_number)
                .unwrap_or_default();
            format!("must be a multiple of {m}")
        }
        ValidationErrorKind::MinItems { limit } => {
            format!("must have at least {}", plural(*limit, "item", "items"))
        }
        ValidationErrorKind::MaxItems { limit } => {
            format!("must have at most {}", plural(*limit, "item", "items"))
        }
        ValidationErrorKind::UniqueItems => "must not contain duplicates".to_string(),
        ValidationErrorKind::FalseSchema => "is not allowed".to_string(),
        _ => "is not valid".to_string(),
    };
    push(out, field, msg);
}

/// For a `oneOf` of objects told apart by a `const` (or single-value
/// `enum`) property: when the
/// instance names a branch, report that branch's own field errors;
/// otherwise report the choice itself.
struct OneOfAt<'a> {
    prefix: &'a str,
    field: &'a str,
    keyword_location: &'a str,
}

fn one_of_errors(
    err: &ValidationError<'_>,
    context: &[Vec<ValidationError<'static>>],
    schema: &Value,
    instance: &Value,
    at: &OneOfAt<'_>,
    out: &mut FieldErrors,
) {
    let (prefix, field, keyword_location) = (at.prefix, at.field, at.keyword_location);
    let branches: Vec<&Map<String, Value>> = schema_at(schema, keyword_location)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    let here = instance.pointer(err.instance_path().as_str());
    if let Some(disc) = discriminator(&branches) {
        let chosen = here.and_then(|v| v.get(&disc));
        let index = branches.iter().position(|b| {
            b.get("properties")
                .and_then(|p| p.get(&disc))
                .and_then(branch_tag)
                .is_some_and(|c| Some(c) == chosen)
        });
        match (index, context.get(index.unwrap_or(usize::MAX))) {
            (Some(_), Some(errs)) if !errs.is_empty() => {
                // Branch errors carry absolute instance paths.
                for e in errs {
                    map_error(e, schema, instance, prefix, out);
                }
                return;
            }
            _ => {
                let options: Vec<String> = branches
                    .iter()
                    .filter_map(|b| branch_tag(b.get("properties")?.get(&disc)?))
                    .map(|c| {
                        c.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| c.to_string())
                    })
                    .collect();
                let msg = if chosen.is_none() {
                    "is required".to_string()
                } else {
                    format!("must be one of: {}", options.join(", "))
                };
                push(out, format!("{field}.{disc}"), msg);
                return;
            }
        }
    }
    push(out, field.to_string(), "must match one of the choices");
}

/// Validates `instance` and returns errors keyed under `prefix`.
pub fn validate(
    validator: &Validator,
    schema: &Value,
    instance: &Value,
    prefix: &str,
) -> FieldErrors {
    let mut out = FieldErrors::new();
    if validator.is_valid(instance) {
        return out;
    }
    for err in validator.iter_errors(instance) {
        map_error(&err, schema, instance, prefix, &mut out);
    }
    if out.is_empty() {
        push(&mut out, prefix, "is not valid");
    }
    out
}

/// A value that looks like a mask standing for a secret (`****`, `••••`).
pub fn looks_like_mask(value: &str) -> bool {
    !value.is_empty() && value.chars().all(|c| c == '*' || c == '•')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::compile_schema;
    use serde_json::json;

    fn check(schema: Value, instance: Value) -> FieldErrors {
        let v = compile_schema(&schema).unwrap();
        validate(&v, &schema, &instance, "config")
    }

    #[test]
    fn errors_are_keyed_by_dotted_path_with_human_messages() {
        let schema = json!({
            "type": "object",
            "properties": {
                "site_url": {"type": "string", "format": "uri", "pattern": "^https?://", "patternDescription": "must start with http:// or https://"},
                "count": {"type": "integer", "minimum": 1, "maximum": 10},
                "mode": {"type": "string", "enum": ["a", "b"]},
                "tags": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]+$"}, "maxItems": 2},
                "name": {"type": "string", "minLength": 3}
            },
            "required": ["site_url", "mode"],
            "additionalProperties": false
        });
        let e = check(
            schema.clone(),
            json!({"count": 0, "tags": ["ok", "NOPE-s3cret"], "extra": 1, "name": "x"}),
        );
        assert_eq!(e["config.site_url"], ["is required"]);
        assert_eq!(e["config.mode"], ["is required"]);
        assert_eq!(e["config.count"], ["must be at least 1"]);
        assert_eq!(e["config.tags.1"], ["does not have the expected format"]);
        assert_eq!(e["config.extra"], ["is not a recognised field"]);
        assert_eq!(e["config.name"], ["must be at least 3 characters"]);
        let all = serde_json::to_string(&e).unwrap();
        assert!(!all.contains("s3cret"));
        assert!(!all.contains("^[a-z]"));

        let e = check(schema.clone(), json!({"site_url": "ftp://x", "mode": "c"}));
        assert_eq!(
            e["config.site_url"],
            ["must start with http:// or https://"]
        );
        assert_eq!(e["config.mode"], ["must be one of: a, b"]);
        let e = check(schema, json!({"site_url": "not a url", "mode": 3}));
        assert!(
            e["config.site_url"]
                .contains(&"must be a valid URL (e.g. https://example.com)".to_string()),
            "{e:?}"
        );
        assert!(
            e["config.mode"].contains(&"must be text".to_string()),
            "{e:?}"
        );
    }

    #[test]
    fn one_of_reports_the_chosen_branch_fields() {
        let schema = json!({
            "type": "object",
            "properties": {
                "author": {"type": "object", "oneOf": [
                    {"type": "object", "properties": {"type": {"const": "person"}, "urn": {"type": "string", "pattern": "^urn:li:person:", "patternDescription": "must be urn:li:person:ID"}}, "required": ["type", "urn"]},
                    {"type": "object", "properties": {"type": {"const": "organization"}, "urn": {"type": "string", "pattern": "^urn:li:organization:", "patternDescription": "must be urn:li:organization:ID"}}, "required": ["type", "urn"]}
                ]}
            }
        });
        let e = check(
            schema.clone(),
            json!({"author": {"type": "person", "urn": "urn:li:organization:1"}}),
        );
        assert_eq!(
            e["config.author.urn"],
            ["must be urn:li:person:ID"],
            "{e:?}"
        );
        let e = check(schema.clone(), json!({"author": {"type": "robot"}}));
        assert_eq!(
            e["config.author.type"],
            ["must be one of: person, organization"],
            "{e:?}"
        );
        let e = check(schema, json!({"author": {}}));
        assert_eq!(e["config.author.type"], ["is required"], "{e:?}");
    }

    #[test]
    fn messages_follow_references() {
        for defs_key in ["$defs", "definitions"] {
            let schema = json!({
                "type": "object",
                defs_key: {"url": {"type": "string", "pattern": "^https://", "patternDescription": "must start with https://"}},
                "properties": {"site": {"$ref": format!("#/{defs_key}/url")}}
            });
            let e = check(schema, json!({"site": "http://x"}));
            assert_eq!(e["config.site"], ["must start with https://"], "{defs_key}");
        }
    }

    #[test]
    fn masks_are_recognised() {
        assert!(looks_like_mask("****"));
        assert!(looks_like_mask("••••••"));
        assert!(looks_like_mask("*•*"));
        assert!(!looks_like_mask(""));
        assert!(!looks_like_mask("ab**"));
    }
}
