//! Secrets inside a config: where a config schema holds them, and the pure
//! moves between a config as clients send it (secrets in place) and what is
//! stored (the config without them, the values sealed apart).
//!
//! A secret is a property marked `writeOnly: true` or `airbyte_secret:
//! true` anywhere in `default_config_schema`, nested objects and `oneOf`
//! branches included. Each sits at a [`SecretPlace`]: the property names
//! leading to it, named by its dotted path (`config.credentials.client_secret`),
//! which is also its name in a connector's `secrets`, in the audit and in
//! forms. Under a `oneOf`, only the secrets of the branch a config chooses
//! are its own; the others are the secrets of a branch left.

use super::model::{FormSchema, Kind, ObjectSchema};
use super::{SchemaIssue, issue};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Where one secret sits in a config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretPlace {
    /// The property names leading to the secret, from the config's top.
    pub segments: Vec<String>,
    /// `config.` and the names joined by dots: the secret's name.
    pub key: String,
}

impl SecretPlace {
    fn new(segments: &[String]) -> SecretPlace {
        SecretPlace {
            segments: segments.to_vec(),
            key: format!("config.{}", segments.join(".")),
        }
    }
}

/// What a config says of one of its secret places.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Said {
    /// A new value.
    Set(String),
    /// `null`: clear it.
    Clear,
    /// Something other than text or `null`.
    NotText,
}

/// A config split into what is stored in clear and what it says of its
/// secrets.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// The config without any value at a secret place.
    pub config: Value,
    /// The keys of the secret places the config's choices select, in form
    /// order.
    pub active: Vec<String>,
    /// Per active place the config names, what it says; an active place
    /// left out keeps its secret.
    pub said: BTreeMap<String, Said>,
}

/// What an update does to one stored secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Set(String),
    Clear,
}

/// Every secret place of a config schema, in form order, each once (a
/// place shared by several `oneOf` branches is listed once).
pub fn secret_places(schema: &FormSchema) -> Vec<SecretPlace> {
    let mut out = Vec::new();
    every_place(&schema.root, &mut Vec::new(), &mut out);
    out
}

fn every_place(object: &ObjectSchema, prefix: &mut Vec<String>, out: &mut Vec<SecretPlace>) {
    for prop in &object.properties {
        prefix.push(prop.name.clone());
        let node = &prop.node;
        if node.secret {
            if !out.iter().any(|p| p.segments == *prefix) {
                out.push(SecretPlace::new(prefix));
            }
        } else {
            match &node.kind {
                Kind::Object(inner) => every_place(inner, prefix, out),
                Kind::OneOf(choice) => {
                    if let Some(beside) = &choice.object {
                        every_place(beside, prefix, out);
                    }
                    for b in &choice.branches {
                        every_place(&b.object, prefix, out);
                    }
                }
                _ => {}
            }
        }
        prefix.pop();
    }
}

/// Every place of a schema that holds a value in clear (a property that is
/// neither a secret nor an object holding properties), by its dotted key.
fn clear_places(object: &ObjectSchema, prefix: &mut Vec<String>, out: &mut Vec<SecretPlace>) {
    for prop in &object.properties {
        prefix.push(prop.name.clone());
        match &prop.node.kind {
            _ if prop.node.secret => {}
            Kind::Object(inner) => clear_places(inner, prefix, out),
            Kind::OneOf(choice) => {
                if let Some(beside) = &choice.object {
                    clear_places(beside, prefix, out);
                }
                for b in &choice.branches {
                    clear_places(&b.object, prefix, out);
                }
            }
            _ => out.push(SecretPlace::new(prefix)),
        }
        prefix.pop();
    }
}

/// Checks that the secret places of a config schema can be told apart from
/// each other and from `auth_schema`'s secrets (`auth_names`): no dotted
/// key names two places, no place is a secret in one `oneOf` branch and a
/// value in clear in another, and no name of `auth_schema` is a config
/// secret's name (or `config`, which the credentials read answers with).
pub fn check_places(
    config: &FormSchema,
    auth_names: &[String],
    base: &str,
) -> Result<(), SchemaIssue> {
    let places = secret_places(config);
    if places.is_empty() {
        return Ok(());
    }
    let mut clear = Vec::new();
    clear_places(&config.root, &mut Vec::new(), &mut clear);
    // The top-level property holding the place (a place below a `oneOf`
    // has no single pointer); the message names the whole path.
    let pointer = |p: &SecretPlace| format!("{base}/properties/{}", super::escape(&p.segments[0]));
    for (i, p) in places.iter().enumerate() {
        if places[..i].iter().any(|o| o.key == p.key) {
            return Err(issue(
                "properties",
                pointer(p),
                format!(
                    "two secrets would both be named `{}`; a secret's property names cannot contain `.`",
                    p.key
                ),
            ));
        }
        if clear.iter().any(|c| c.key == p.key) {
            return Err(issue(
                "writeOnly",
                pointer(p),
                format!(
                    "`{}` is a secret in one `oneOf` branch and a value in clear in another; mark it a secret in every branch or rename it",
                    p.key
                ),
            ));
        }
    }
    for name in auth_names {
        if name == "config" || places.iter().any(|p| p.key == *name) {
            return Err(issue(
                "properties",
                format!("/auth_schema/properties/{}", super::escape(name)),
                "this name is taken by the secrets of `default_config_schema`; rename it",
            ));
        }
    }
    Ok(())
}

/// The secret places a config's choices select: every secret of a plain
/// object (present or not), and under a `oneOf` only those of the branch
/// its discriminator names (none when it names no branch).
pub fn active_places(schema: &FormSchema, config: &Value) -> Vec<SecretPlace> {
    let mut out = Vec::new();
    active(&schema.root, config.as_object(), &mut Vec::new(), &mut out);
    out
}

fn active(
    object: &ObjectSchema,
    value: Option<&Map<String, Value>>,
    prefix: &mut Vec<String>,
    out: &mut Vec<SecretPlace>,
) {
    for prop in &object.properties {
        prefix.push(prop.name.clone());
        let node = &prop.node;
        let inner = value
            .and_then(|v| v.get(&prop.name))
            .and_then(Value::as_object);
        if node.secret {
            if !out.iter().any(|p| p.segments == *prefix) {
                out.push(SecretPlace::new(prefix));
            }
        } else {
            match &node.kind {
                Kind::Object(o) => active(o, inner, prefix, out),
                Kind::OneOf(choice) => {
                    let chosen = inner.and_then(|v| v.get(&choice.discriminator));
                    if let Some(b) =
                        chosen.and_then(|c| choice.branches.iter().find(|b| b.value == *c))
                    {
                        if let Some(beside) = &choice.object {
                            active(beside, inner, prefix, out);
                        }
                        active(&b.object, inner, prefix, out);
                    }
                }
                _ => {}
            }
        }
        prefix.pop();
    }
}

/// The value at `segments`, taken out of `config`.
fn take(config: &mut Value, segments: &[String]) -> Option<Value> {
    let (last, parents) = segments.split_last()?;
    let mut node = config;
    for s in parents {
        node = node.get_mut(s)?;
    }
    node.as_object_mut()?.remove(last)
}

/// Puts `value` at `segments`, making the objects on the way.
fn put(config: &mut Value, segments: &[String], value: Value) {
    let Some((last, parents)) = segments.split_last() else {
        return;
    };
    let mut node = config;
    for s in parents {
        let Some(map) = node.as_object_mut() else {
            return;
        };
        node = map
            .entry(s.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if let Some(map) = node.as_object_mut() {
        map.insert(last.clone(), value);
    }
}

/// Splits a config as a client sends it: every value at a secret place
/// (of any branch) comes out of it, and what it says at the places its
/// choices select is kept by key. Values at the places of a branch not
/// chosen are dropped.
pub fn split(schema: &FormSchema, config: &Value) -> Split {
    let mut clean = config.clone();
    let active = active_places(schema, config);
    let mut said = BTreeMap::new();
    for place in secret_places(schema) {
        let Some(v) = take(&mut clean, &place.segments) else {
            continue;
        };
        if !active.iter().any(|a| a.key == place.key) {
            continue;
        }
        let s = match v {
            Value::String(s) => Said::Set(s),
            Value::Null => Said::Clear,
            _ => Said::NotText,
        };
        said.insert(place.key, s);
    }
    Split {
        config: clean,
        active: active.into_iter().map(|p| p.key).collect(),
        said,
    }
}

/// The three-way change an update's split config makes to the secrets
/// `held` (keys of the config secrets stored): a value replaces, `null`
/// clears, an active place left out keeps, and a held secret whose place
/// the config no longer selects (a `oneOf` branch left) is cleared. A
/// place said to be something other than text changes nothing (the caller
/// refuses it).
pub fn changes<'a>(
    split: &Split,
    held: impl IntoIterator<Item = &'a str>,
) -> BTreeMap<String, Change> {
    let mut out = BTreeMap::new();
    for (key, said) in &split.said {
        match said {
            Said::Set(v) => {
                out.insert(key.clone(), Change::Set(v.clone()));
            }
            Said::Clear => {
                out.insert(key.clone(), Change::Clear);
            }
            Said::NotText => {}
        }
    }
    for key in held {
        if key.starts_with("config.") && !split.active.iter().any(|a| a == key) {
            out.insert(key.to_string(), Change::Clear);
        }
    }
    out
}

/// Puts secret values back at their places: `value_of` gives the value of
/// a secret by key, if there is one.
pub fn merge<'a>(
    schema: &FormSchema,
    config: &mut Value,
    value_of: impl Fn(&str) -> Option<&'a str>,
) {
    for place in secret_places(schema) {
        if let Some(v) = value_of(&place.key) {
            put(config, &place.segments, Value::String(v.to_string()));
        }
    }
}

/// Puts back each held config secret whose place the schema no longer
/// marks secret (an entry re-imported without the mark), at the place its
/// key names (`config.a.b` at `a.b`), where the config holds no value of
/// its own: the credentials read of a value kept sealed since.
pub fn merge_unmarked<'a>(
    schema: &FormSchema,
    config: &mut Value,
    held: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    let places: Vec<String> = secret_places(schema).into_iter().map(|p| p.key).collect();
    for (key, value) in held {
        let Some(path) = key.strip_prefix("config.") else {
            continue;
        };
        if places.iter().any(|p| p == key) {
            continue;
        }
        let segments: Vec<String> = path.split('.').map(str::to_string).collect();
        let pointer: String = segments.iter().map(|s| format!("/{s}")).collect();
        if config.pointer(&pointer).is_none() {
            put(config, &segments, Value::String(value.to_string()));
        }
    }
}

#[cfg(test)]
mod tests;
