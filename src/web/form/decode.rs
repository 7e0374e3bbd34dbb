//! Form bodies back into the JSON the API takes, typed by the form model.

use super::{FormData, first, scalar_text};
use crate::domain::schema::model::{FormSchema, Kind, ObjectSchema, OneOf};
use serde_json::{Map, Value};

pub(super) fn config(schema: &FormSchema, form: &FormData) -> Value {
    object(&schema.root, "config", form).unwrap_or_else(|| Value::Object(Map::new()))
}

pub(super) fn auth(auth_schema: &FormSchema, form: &FormData) -> Value {
    let mut out = Map::new();
    for prop in &auth_schema.root.properties {
        let key = &prop.name;
        if let Some(v) = first(form, &format!("auth.{key}")).filter(|v| !v.is_empty()) {
            out.insert(key.clone(), Value::String(v.to_string()));
        }
    }
    Value::Object(out)
}

/// The object under `prefix`; `None` for a nested object none of whose
/// fields were sent.
fn object(schema: &ObjectSchema, prefix: &str, form: &FormData) -> Option<Value> {
    let mut out = Map::new();
    for prop in &schema.properties {
        let key = &prop.name;
        let node = &prop.node;
        let name = format!("{prefix}.{key}");
        let value = match &node.kind {
            Kind::OneOf(choice) => one_of(choice, &name, form),
            _ if node.constant.is_some() => node.constant.clone(),
            Kind::Object(inner) => object(inner, &name, form),
            Kind::Rows(rows) => {
                let items: Vec<Value> = row_indices(&name, form)
                    .into_iter()
                    .map(|i| {
                        object(&rows.item, &format!("{name}.{i}"), form)
                            .unwrap_or_else(|| Value::Object(Map::new()))
                    })
                    .collect();
                (!items.is_empty()).then_some(Value::Array(items))
            }
            Kind::Boolean => Some(Value::Bool(
                first(form, &name).is_some_and(|v| v == "true" || v == "on"),
            )),
            Kind::Array(item) => first(form, &name).map(|t| {
                Value::Array(
                    t.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(|l| match item.kind {
                            Kind::Integer(_) | Kind::Number(_) => number(&item.kind, l),
                            _ => Value::String(l.to_string()),
                        })
                        .collect(),
                )
            }),
            Kind::Integer(_) | Kind::Number(_) => first(form, &name)
                .filter(|t| !t.trim().is_empty())
                .map(|t| number(&node.kind, t.trim())),
            Kind::String(_) | Kind::Untyped => first(form, &name)
                .filter(|t| !t.is_empty())
                .map(|t| Value::String(t.to_string())),
        };
        // A hidden property not sent keeps its default.
        let value = value.or_else(|| node.hidden.then(|| node.default.clone()).flatten());
        if let Some(v) = value {
            out.insert(key.clone(), v);
        }
    }
    if out.is_empty() && prefix != "config" {
        None
    } else {
        Some(Value::Object(out))
    }
}

/// The row indices sent under `name` (`name.0.…`, `name.1.…`), in order.
fn row_indices(name: &str, form: &FormData) -> Vec<usize> {
    let prefix = format!("{name}.");
    let mut found: Vec<usize> = form
        .keys()
        .filter_map(|k| k.strip_prefix(&prefix))
        .filter_map(|rest| rest.split('.').next()?.parse::<usize>().ok())
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

/// A number typed as text, kept as text when it does not parse (so that
/// validation reports it against its field).
fn number(kind: &Kind, t: &str) -> Value {
    let parsed = if matches!(kind, Kind::Integer(_)) {
        t.parse::<i64>().ok().map(Value::from)
    } else {
        t.parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
    };
    parsed.unwrap_or_else(|| Value::String(t.to_string()))
}

/// The chosen branch (named by the discriminator's field), with its
/// `const`; `None` when no known branch is chosen.
fn one_of(choice: &OneOf, name: &str, form: &FormData) -> Option<Value> {
    let disc = &choice.discriminator;
    let chosen = first(form, &format!("{name}.{disc}"))?;
    let branch = choice
        .branches
        .iter()
        .find(|b| scalar_text(&b.value) == chosen)?;
    let mut v = object(&branch.object, name, form).unwrap_or_else(|| Value::Object(Map::new()));
    v[disc] = branch.value.clone();
    Some(v)
}
