//! The "Add" and "Configure" dialogs and their posts. The form's fields
//! come from the catalog entry's schemas (`web/form.rs`); a submission is
//! decoded into the API's JSON body and saved through the same service
//! calls as the JSON API. A failed save answers the form again with the
//! errors inline; a successful one closes the dialog with a toast.

use super::page::{CHANGED_EVENT, PageAdmin, capitalize_sentence, render};
use crate::domain::validation::FieldErrors;
use crate::service::catalog::CatalogEntry;
use crate::service::connectors::ConnectorError;
use crate::web::AppState;
use crate::web::assets;
use crate::web::error::AppError;
use crate::web::form::{self, Field, FormData, Item};
use crate::web::htmx::{self, Trigger};
use crate::web::urls;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;

/// A submitted connector form, turned into the API's JSON body.
struct Submission {
    name: String,
    tags_text: String,
    config: Value,
    /// `name`, `config`, `auth` and `tags`, as the API takes them.
    body: Value,
    /// The version the form was opened at (edit forms).
    version: Option<i64>,
    /// A row's "Add" or "Remove": the form is shown again with the rows
    /// changed, nothing is saved.
    row_action: Option<String>,
}

impl Submission {
    fn decode(entry: &CatalogEntry, data: FormData) -> Submission {
        let first = |k: &str| data.get(k).and_then(|v| v.first()).cloned();
        let mut config = form::decode_config(&entry.forms.config, &data);
        let row_action = first(form::ROW_ACTION);
        if let Some(action) = &row_action {
            form::apply_row_action(&mut config, action);
        }
        let name = first("name").unwrap_or_default();
        let body = json!({
            "name": name,
            "config": config,
            "auth": form::decode_auth(&entry.forms.auth, &data),
            "tags": form::decode_tags(&data),
        });
        Submission {
            tags_text: first("tags").unwrap_or_default(),
            version: first("version").and_then(|v| v.parse::<i64>().ok()),
            row_action,
            name,
            config,
            body,
        }
    }
}

fn form_data(pairs: Vec<(String, String)>) -> FormData {
    let mut map: FormData = HashMap::new();
    for (k, v) in pairs {
        map.entry(k).or_default().push(v);
    }
    map
}

#[derive(Template)]
#[template(path = "partials/connector_form.html")]
struct ConnectorForm {
    title: String,
    icon_url: String,
    action: String,
    submit_label: &'static str,
    version: Option<i64>,
    general_errors: Vec<String>,
    basics: Vec<Field>,
    config: Vec<Item>,
    secrets: Vec<Field>,
}

fn basic_field(
    name: &str,
    label: &str,
    help: &str,
    value: &str,
    required: bool,
    errors: &FieldErrors,
) -> Field {
    Field {
        id: format!("f-{name}"),
        name: name.to_string(),
        label: label.to_string(),
        help: Some(form::text_html(help)).filter(|h| !h.is_empty()),
        kind: form::Kind::Text,
        value: value.to_string(),
        checked: false,
        required,
        min: None,
        max: None,
        minlength: None,
        maxlength: Some(255),
        pattern_help: None,
        placeholder: None,
        errors: errors.get(name).cloned().unwrap_or_default(),
        disabled: false,
        autofocus: false,
    }
}

struct FormState<'a> {
    entry: &'a CatalogEntry,
    name: &'a str,
    tags: &'a str,
    config: Option<&'a Value>,
    secrets: serde_json::Map<String, Value>,
    errors: FieldErrors,
    general: Vec<String>,
    version: Option<i64>,
    action: String,
    editing: bool,
}

/// The form shown again after a row action, focused where the action
/// leaves the user.
fn focused(mut form: ConnectorForm, action: &str) -> ConnectorForm {
    form::focus_after_row_action(&mut form.config, action);
    form
}

fn build_form(s: FormState<'_>) -> ConnectorForm {
    let known =
        |k: &str| k == "name" || k == "tags" || k.starts_with("config.") || k.starts_with("auth.");
    let mut general = s.general;
    for (k, msgs) in &s.errors {
        if !known(k) {
            for m in msgs {
                general.push(format!("{k} {m}"));
            }
        }
    }
    let config = form::config_items(&s.entry.forms.config, s.config, &s.secrets, &s.errors);
    // Errors under an input that is not on the form (a nested path the form
    // does not show) still reach the user.
    let names: Vec<String> = config
        .iter()
        .filter_map(|i| match i {
            Item::Field(f) => Some(f.name.clone()),
            Item::ChoiceStart { field } => Some(field.name.clone()),
            _ => None,
        })
        .collect();
    for (k, msgs) in &s.errors {
        if k.starts_with("config.") && !names.iter().any(|n| n == k) {
            for m in msgs {
                general.push(format!("{} {m}", k.trim_start_matches("config.")));
            }
        }
    }
    ConnectorForm {
        title: if s.editing {
            format!("Configure {}", s.name)
        } else {
            format!("Add {}", s.entry.name)
        },
        icon_url: assets::icon_url(s.entry.icon.as_deref()),
        action: s.action,
        submit_label: if s.editing { "Save" } else { "Add connector" },
        version: s.version,
        general_errors: general,
        basics: vec![
            basic_field(
                "name",
                "Name",
                "A name to recognise this connector by, unique in the tenant.",
                s.name,
                true,
                &s.errors,
            ),
            basic_field(
                "tags",
                "Tags",
                "Optional, separated by commas.",
                s.tags,
                false,
                &s.errors,
            ),
        ],
        config,
        secrets: form::secret_fields(&s.entry.forms.auth, &s.secrets, &s.errors),
    }
}

pub(super) async fn new_form(
    State(state): State<AppState>,
    _admin: PageAdmin,
    Path(key): Path<String>,
) -> Result<Response, AppError> {
    let entry = state
        .connectors
        .catalog
        .get(state.store.as_ref(), &key)
        .await?;
    Ok(render(&build_form(FormState {
        entry: &entry,
        name: &entry.name,
        tags: "",
        config: None,
        secrets: serde_json::Map::new(),
        errors: FieldErrors::new(),
        general: Vec::new(),
        version: None,
        action: urls::form_new(&key),
        editing: false,
    })))
}

/// A saved form: the dialog closes (nothing is swapped), a toast says so
/// and the Installed grid reloads.
fn saved(message: &str) -> Response {
    let mut res = StatusCode::OK.into_response();
    htmx::reswap_none(&mut res);
    Trigger::new()
        .event("connectors:saved", json!({"message": message}))
        .event(CHANGED_EVENT, Value::Bool(true))
        .apply(&mut res);
    res
}

pub(super) async fn create_submit(
    State(state): State<AppState>,
    PageAdmin(user): PageAdmin,
    Path(key): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let entry = state
        .connectors
        .catalog
        .get(state.store.as_ref(), &key)
        .await?;
    let Submission {
        name,
        tags_text,
        config,
        mut body,
        row_action,
        ..
    } = Submission::decode(&entry, form_data(pairs));
    if let Some(action) = row_action {
        return Ok(render(&focused(
            build_form(FormState {
                entry: &entry,
                name: &name,
                tags: &tags_text,
                config: Some(&config),
                secrets: serde_json::Map::new(),
                errors: FieldErrors::new(),
                general: Vec::new(),
                version: None,
                action: urls::form_new(&key),
                editing: false,
            }),
            &action,
        )));
    }
    body["catalog_key"] = Value::String(key.clone());
    match state.connectors.install_json(&user.principal, &body).await {
        Ok(view) => Ok(saved(&format!("Added “{}”.", view.name))),
        Err(e) => {
            let (errors, general) = form_errors(e)?;
            Ok(render(&build_form(FormState {
                entry: &entry,
                name: &name,
                tags: &tags_text,
                config: Some(&config),
                secrets: serde_json::Map::new(),
                errors,
                general,
                version: None,
                action: urls::form_new(&key),
                editing: false,
            })))
        }
    }
}

/// Splits a failed save into field errors and messages for the top of the
/// form; anything that is not about the input is an ordinary error.
fn form_errors(e: ConnectorError) -> Result<(FieldErrors, Vec<String>), AppError> {
    match e {
        ConnectorError::Validation { message, errors } => Ok((errors, vec![capitalize_sentence(&message)])),
        ConnectorError::DuplicateName => {
            let mut errors = FieldErrors::new();
            errors.insert("name".into(), vec!["is already used by another connector in this tenant".into()]);
            Ok((errors, Vec::new()))
        }
        ConnectorError::VersionMismatch { .. } => Ok((
            FieldErrors::new(),
            vec!["Someone else changed this connector meanwhile. Close the form and open it again to see their changes.".into()],
        )),
        ConnectorError::SecretsUnreadable | ConnectorError::Contention | ConnectorError::CheckFailed { .. } => Ok((FieldErrors::new(), vec![capitalize_sentence(&e.to_string())])),
        ConnectorError::Service(crate::service::ServiceError::Store(crate::storage::StoreError::InvalidText)) => Ok((
            FieldErrors::new(),
            vec!["Some of the text holds characters that cannot be stored; remove control characters and try again.".into()],
        )),
        other => Err(other.into()),
    }
}

pub(super) async fn edit_form(
    State(state): State<AppState>,
    PageAdmin(user): PageAdmin,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let view = state.connectors.get(&user.principal, &id).await?;
    let entry = state
        .connectors
        .catalog
        .get(state.store.as_ref(), &view.catalog_key)
        .await?;
    let config: Value = serde_json::from_str(view.config.get()).unwrap_or(Value::Null);
    let tags: Vec<String> = serde_json::from_str(view.tags.get()).unwrap_or_default();
    Ok(render(&build_form(FormState {
        entry: &entry,
        name: &view.name,
        tags: &tags.join(", "),
        config: Some(&config),
        secrets: view.secrets.to_map(),
        errors: FieldErrors::new(),
        general: Vec::new(),
        version: Some(view.version),
        action: urls::form_edit(view.id.as_str()),
        editing: true,
    })))
}

pub(super) async fn edit_submit(
    State(state): State<AppState>,
    PageAdmin(user): PageAdmin,
    Path(id): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let current = state.connectors.get(&user.principal, &id).await?;
    let entry = state
        .connectors
        .catalog
        .get(state.store.as_ref(), &current.catalog_key)
        .await?;
    let Submission {
        name,
        tags_text,
        config,
        body,
        version,
        row_action,
    } = Submission::decode(&entry, form_data(pairs));
    if let Some(action) = row_action {
        return Ok(render(&focused(
            build_form(FormState {
                entry: &entry,
                name: &name,
                tags: &tags_text,
                config: Some(&config),
                secrets: current.secrets.to_map(),
                errors: FieldErrors::new(),
                general: Vec::new(),
                version,
                action: urls::form_edit(&id),
                editing: true,
            }),
            &action,
        )));
    }
    match state
        .connectors
        .update_json(&user.principal, &id, &body, version)
        .await
    {
        Ok(view) => Ok(saved(&format!("Saved “{}”.", view.name))),
        Err(e) => {
            let (errors, general) = form_errors(e)?;
            Ok(render(&build_form(FormState {
                entry: &entry,
                name: &name,
                tags: &tags_text,
                config: Some(&config),
                secrets: current.secrets.to_map(),
                errors,
                general,
                version,
                action: urls::form_edit(&id),
                editing: true,
            })))
        }
    }
}
