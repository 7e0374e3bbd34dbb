//! What an installed connector's card says: what it is connected to, its
//! status and why, the secrets it still needs, its last connection check,
//! when and by whom it was last changed, and (for members) its settings,
//! read-only. Built from the connector's view and its catalog entry; no
//! secret value is ever read here, only whether each secret is set.

use super::when::When;
use crate::domain::catalog::text_at;
use crate::domain::schema::model::{Kind, Node, ObjectSchema};
use crate::service::catalog::CatalogEntry;
use crate::service::checks::report::LastCheck;
use crate::service::connectors::ConnectorView;
use crate::web::assets;
use crate::web::urls;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// The last connection check, as the card shows it.
pub struct CheckLine {
    pub ok: bool,
    pub message: String,
    pub when: Option<When>,
}

pub struct InstalledCard {
    pub id: String,
    pub name: String,
    pub status: &'static str,
    pub status_message: Option<String>,
    pub catalog_name: String,
    /// Whether the entry's name says more than the connector's own name.
    pub show_catalog_name: bool,
    pub icon_url: String,
    pub tags: Vec<String>,
    /// What the connector is connected to: the identity field's title and
    /// value (`Site URL`, `https://blog.example.com`).
    pub identity: Option<(String, String)>,
    /// The titles of the secrets activation needs that are not set.
    pub missing: Vec<String>,
    pub last_check: Option<CheckLine>,
    pub changed: Option<When>,
    pub changed_by: Option<String>,
    /// Why the last action on the card was refused, in words.
    pub refusal: Option<String>,
    /// The non-secret settings, titled, for the read-only view.
    pub settings: Vec<(String, String)>,
}

impl InstalledCard {
    /// The connector's "Configure" dialog.
    pub fn edit_url(&self) -> String {
        urls::form_edit(&self.id)
    }

    /// Where "Activate" and "Deactivate" post.
    pub fn status_url(&self) -> String {
        urls::form_status(&self.id)
    }

    /// Where "Test connection" posts.
    pub fn check_url(&self) -> String {
        urls::form_check(&self.id)
    }

    /// Where "Delete" sends its `DELETE`.
    pub fn delete_url(&self) -> String {
        urls::form(&self.id)
    }

    /// "Integration token" or "API key and Access token": the missing
    /// secrets as one phrase.
    pub fn missing_text(&self) -> String {
        and_list(&self.missing)
    }

    pub fn is_active(&self) -> bool {
        self.status == "active"
    }
}

/// Joins titles as people list them: "a", "a and b", "a, b and c".
pub fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A title inside a sentence: "the integration token", but "the API key".
pub fn in_sentence(title: &str) -> String {
    let mut words = title.split(' ');
    let first = words.next().unwrap_or_default();
    let acronym = first.chars().filter(|c| c.is_alphabetic()).count() > 1
        && first
            .chars()
            .filter(|c| c.is_alphabetic())
            .all(char::is_uppercase);
    let head = if acronym {
        first.to_string()
    } else {
        first.to_lowercase()
    };
    std::iter::once(head)
        .chain(words.map(str::to_string))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The node at a dotted path of a config as it stands, following the
/// branch of each `oneOf` that the config's discriminator chooses.
fn node_at<'a>(obj: &'a ObjectSchema, config: &Value, path: &[&str]) -> Option<&'a Node> {
    let (first, rest) = path.split_first()?;
    let prop = obj.get(first)?;
    if rest.is_empty() {
        return Some(&prop.node);
    }
    let inner = config.get(first).unwrap_or(&Value::Null);
    match &prop.node.kind {
        Kind::Object(o) => node_at(o, inner, rest),
        Kind::OneOf(choice) => {
            let chosen = inner.get(&choice.discriminator);
            let branch = choice
                .branches
                .iter()
                .find(|b| Some(&b.value) == chosen)
                .or(choice.branches.first())?;
            node_at(&branch.object, inner, rest)
                .or_else(|| choice.object.as_ref().and_then(|o| node_at(o, inner, rest)))
        }
        _ => None,
    }
}

/// The title of the field at a dotted error path (`auth.api_key`,
/// `config.author.urn`), or the path's last name when the schema has none.
pub fn field_title(entry: Option<&CatalogEntry>, config: &Value, path: &str) -> String {
    let last = path.rsplit('.').next().unwrap_or(path).replace('_', " ");
    let Some(entry) = entry else {
        return last;
    };
    let node = if let Some(name) = path.strip_prefix("auth.") {
        entry.forms.auth.root.get(name).map(|p| &p.node)
    } else if let Some(rest) = path.strip_prefix("config.") {
        let parts: Vec<&str> = rest.split('.').collect();
        node_at(&entry.forms.config.root, config, &parts)
    } else {
        None
    };
    node.and_then(|n| n.title.clone()).unwrap_or(last)
}

/// A setting's value as text: lists joined, booleans as Yes or No.
fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(if *b { "Yes" } else { "No" }.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) if items.is_empty() => None,
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(value_text)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Value::Object(_) => None,
    }
}

/// The non-secret settings of a config, titled, in form order; nested
/// objects and the chosen `oneOf` branch add their titles in front
/// ("Post as › Member URN").
fn settings(obj: &ObjectSchema, config: &Value, prefix: &str, out: &mut Vec<(String, String)>) {
    for p in &obj.properties {
        if p.node.secret || p.node.hidden {
            continue;
        }
        let title = p.node.title.clone().unwrap_or_else(|| p.name.clone());
        let label = if prefix.is_empty() {
            title
        } else {
            format!("{prefix} › {title}")
        };
        let Some(value) = config.get(&p.name) else {
            continue;
        };
        match &p.node.kind {
            Kind::Object(o) => settings(o, value, &label, out),
            Kind::OneOf(choice) => {
                let chosen = value.get(&choice.discriminator);
                if let Some(b) = choice.branches.iter().find(|b| Some(&b.value) == chosen) {
                    let branch = b.title.clone().unwrap_or_else(|| label.clone());
                    out.push((label.clone(), branch));
                    let inner = ObjectSchema {
                        properties: b
                            .object
                            .properties
                            .iter()
                            .filter(|q| q.name != choice.discriminator)
                            .cloned()
                            .collect(),
                    };
                    settings(&inner, value, &label, out);
                }
            }
            Kind::Rows(r) => {
                for (i, row) in value.as_array().into_iter().flatten().enumerate() {
                    settings(&r.item, row, &format!("{label} {}", i + 1), out);
                }
            }
            _ => {
                if let Some(text) = value_text(value) {
                    out.push((label, text));
                }
            }
        }
    }
}

/// The card of one connector. `catalog` is every entry; `now` dates the
/// times in words.
pub fn card(view: &ConnectorView, catalog: &[CatalogEntry], now: DateTime<Utc>) -> InstalledCard {
    let entry = catalog.iter().find(|e| e.key == view.catalog_key);
    let config: Value = serde_json::from_str(view.config.get()).unwrap_or(Value::Null);
    let catalog_name = entry
        .map(|e| e.name.clone())
        .unwrap_or_else(|| view.catalog_key.clone());
    let identity = entry.and_then(|e| {
        let field = e.identity_field.as_deref()?;
        let value = text_at(&config, field)?;
        Some((
            field_title(Some(e), &config, &format!("config.{field}")),
            value.to_string(),
        ))
    });
    let states = view.secrets.to_map();
    let missing = entry
        .map(|e| {
            e.forms
                .auth
                .root
                .properties
                .iter()
                .filter(|p| p.required)
                .filter(|p| {
                    states
                        .get(&p.name)
                        .and_then(|s| s.get("set"))
                        .and_then(Value::as_bool)
                        != Some(true)
                })
                .map(|p| p.node.title.clone().unwrap_or_else(|| p.name.clone()))
                .collect()
        })
        .unwrap_or_default();
    let last_check = view
        .last_check
        .as_ref()
        .and_then(|raw| serde_json::from_str::<LastCheck>(raw.get()).ok())
        .map(|c| CheckLine {
            ok: c.ok,
            message: c.message,
            when: When::of(&c.checked_at, now),
        });
    let mut shown = Vec::new();
    if let Some(e) = entry {
        settings(&e.forms.config.root, &config, "", &mut shown);
    }
    InstalledCard {
        id: view.id.to_string(),
        show_catalog_name: !view.name.trim().eq_ignore_ascii_case(catalog_name.trim()),
        name: view.name.clone(),
        status: view.status.as_str(),
        status_message: view.status_message.clone(),
        catalog_name,
        icon_url: assets::icon_url(entry.and_then(|e| e.icon.as_deref())),
        tags: serde_json::from_str(view.tags.get()).unwrap_or_default(),
        identity,
        missing,
        last_check,
        changed: Some(When::at(view.updated_at.0, now)),
        changed_by: view.updated_by_name.clone(),
        refusal: None,
        settings: shown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_titles_read_as_sentences() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(and_list(&s(&[])), "");
        assert_eq!(and_list(&s(&["Token"])), "Token");
        assert_eq!(and_list(&s(&["A", "B", "C"])), "A, B and C");
        assert_eq!(in_sentence("Integration token"), "integration token");
        assert_eq!(
            in_sentence("API key (consumer key)"),
            "API key (consumer key)"
        );
        assert_eq!(in_sentence("X"), "x");
    }

    #[test]
    fn values_read_as_text() {
        assert_eq!(value_text(&serde_json::json!(true)), Some("Yes".into()));
        assert_eq!(
            value_text(&serde_json::json!(["a", "b"])),
            Some("a, b".into())
        );
        assert_eq!(value_text(&serde_json::json!([])), None);
        assert_eq!(value_text(&serde_json::json!("")), None);
        assert_eq!(value_text(&serde_json::json!(10)), Some("10".into()));
    }
}
