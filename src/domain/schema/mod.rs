//! What a catalog schema may contain so that the web UI can render it as a
//! form, and the form model built from it, once, at import and whenever a
//! catalog entry is compiled.
//!
//! One walker ([`FormSchema::build`]) goes over a schema: it refuses what a
//! form cannot render, naming the keyword and its JSON pointer, and builds
//! the [`model`] that the web UI renders and decodes form bodies with. The
//! form renders: objects (nested as fieldsets), strings (with `format`,
//! `pattern`, `enum`), integers and numbers (with limits), booleans, arrays
//! of strings, `oneOf` of objects told apart by a `const` (or single-value
//! `enum`) property, and `$ref`s inside the document (`#/$defs/…`,
//! `#/definitions/…`), with Airbyte's UI keywords. A keyword it does not
//! know and that carries no structure is an annotation: ignored, and
//! reported as a warning ([`FormSchema::warnings`]). A property marked
//! `writeOnly: true` or `airbyte_secret: true` is a secret wherever it sits
//! ([`secrets`]); it must be a string, outside any array.

mod build;
mod keywords;
pub mod model;
pub mod secrets;

pub use model::{CatalogForms, FormSchema};
use serde_json::{Map, Value};

/// Why a schema was refused: the keyword, where it is, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaIssue {
    pub keyword: String,
    /// JSON pointer of the offending keyword, from the manifest root.
    pub path: String,
    pub reason: String,
}

impl std::fmt::Display for SchemaIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "keyword `{}` at {}: {}",
            self.keyword, self.path, self.reason
        )
    }
}

/// Which of the two manifest schemas is being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaRole {
    /// `default_config_schema`: the whole form vocabulary.
    Config,
    /// `auth_schema`: a flat object of string secrets.
    Secrets,
}

fn issue(keyword: &str, path: String, reason: impl Into<String>) -> SchemaIssue {
    SchemaIssue {
        keyword: keyword.to_string(),
        path,
        reason: reason.into(),
    }
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Checks that `schema` (found at `base`, a JSON pointer inside the
/// manifest) can be rendered as a form: it builds the form model and
/// keeps only the verdict.
pub fn check_renderable(schema: &Value, base: &str, role: SchemaRole) -> Result<(), SchemaIssue> {
    FormSchema::build(schema, base, role).map(drop)
}

/// The schema one secret of `auth_schema` is checked against on its own:
/// a reference to that property inside a copy of the document's
/// `properties`, `$defs` and `definitions`, so that every reference inside
/// the document (`#/$defs/…`, `#/definitions/…`, `#/properties/…`) still
/// points where it did, while the object-level keywords of the document
/// (`type`, `required`…) do not apply to the secret's value. `None` when
/// there is no such property.
pub fn secret_schema(auth_schema: &Value, name: &str) -> Option<Value> {
    let props = auth_schema.get("properties")?;
    props.get(name)?;
    let mut out = Map::new();
    out.insert(
        "$ref".into(),
        Value::String(format!("#/properties/{}", escape(name))),
    );
    out.insert("properties".into(), props.clone());
    for key in ["$defs", "definitions"] {
        if let Some(defs) = auth_schema.get(key) {
            out.insert(key.into(), defs.clone());
        }
    }
    Some(Value::Object(out))
}

/// The single `type` of a schema object, inferred from `properties` when
/// absent. A list of one type and `null` (`["string", "null"]`) counts as
/// that type: the form renders it as an optional field.
pub fn schema_type(obj: &Map<String, Value>) -> Option<&str> {
    match obj.get("type") {
        Some(Value::String(t)) => Some(t.as_str()),
        Some(Value::Array(list)) => {
            let mut types = list.iter().map(Value::as_str);
            let mut found = None;
            for t in types.by_ref() {
                match t {
                    Some("null") => {}
                    Some(t) if found.is_none() => found = Some(t),
                    _ => return None,
                }
            }
            found
        }
        None if obj.contains_key("properties") => Some("object"),
        _ => None,
    }
}

/// The fixed value a `oneOf` branch's property holds: its `const`, or the
/// only value of a single-value `enum`.
pub fn branch_tag(prop: &Value) -> Option<&Value> {
    prop.get("const").or_else(|| match prop.get("enum") {
        Some(Value::Array(values)) if values.len() == 1 => values.first(),
        _ => None,
    })
}

/// The name of the property that tells `oneOf` branches apart: present in
/// every branch with a `const` (or single-value `enum`), all different.
pub fn discriminator(branches: &[&Map<String, Value>]) -> Option<String> {
    let first = branches.first()?.get("properties")?.as_object()?;
    'candidates: for name in first.keys() {
        let mut seen: Vec<&Value> = Vec::new();
        for b in branches {
            let Some(c) = b
                .get("properties")
                .and_then(|p| p.get(name))
                .and_then(branch_tag)
            else {
                continue 'candidates;
            };
            if seen.contains(&c) {
                continue 'candidates;
            }
            seen.push(c);
        }
        return Some(name.clone());
    }
    None
}

#[cfg(test)]
mod tests;
