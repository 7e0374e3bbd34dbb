//! The "Add" and "Configure" dialogs and their posts. The form's fields
//! come from the catalog entry's schemas (`web/form.rs`); a submission is
//! decoded into the API's JSON body and saved through the same service
//! calls as the JSON API. A failed save answers the form again with the
//! errors inline and a summary at the top (the browser keeps the secrets it
//! holds; the server never sends one back); a successful one closes the
//! dialog with a toast that says where the connector is and what is left to
//! do. "Test connection" checks the form's values without saving them.

use super::page::{CHANGED_EVENT, PageAdmin, capitalize_sentence, render};
use crate::domain::status::ConnectorStatus;
use crate::domain::validation::FieldErrors;
use crate::service::catalog::CatalogEntry;
use crate::service::connectors::{CheckAnswer, ConnectorError, ConnectorView};
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
    /// "Save and activate": the update also sets the status to active.
    activate: bool,
}

/// The form field of "Save and activate" (its value is `active`).
const STATUS_ACTION: &str = "_status";
/// The form field a secret's "Remove" sends, valued by the secret's input
/// name (`auth.refresh_token`): the update clears that secret.
const CLEAR_ACTION: &str = "_clear";

impl Submission {
    fn decode(entry: &CatalogEntry, data: FormData) -> Submission {
        let first = |k: &str| data.get(k).and_then(|v| v.first()).cloned();
        let mut config = form::decode_config(&entry.forms.config, &data);
        let row_action = first(form::ROW_ACTION);
        if let Some(action) = &row_action {
            form::apply_row_action(&mut config, action);
        }
        let name = first("name").unwrap_or_default();
        let mut auth = form::decode_auth(&entry.forms.auth, &data);
        if let Some(map) = auth.as_object_mut() {
            for cleared in data.get(CLEAR_ACTION).into_iter().flatten() {
                let Some(key) = cleared.strip_prefix("auth.") else {
                    continue;
                };
                if entry.forms.auth.root.get(key).is_some() && !map.contains_key(key) {
                    map.insert(key.to_string(), Value::Null);
                }
            }
        }
        let body = json!({
            "name": name,
            "config": config,
            "auth": auth,
            "tags": form::decode_tags(&data),
        });
        Submission {
            tags_text: first("tags").unwrap_or_default(),
            version: first("version").and_then(|v| v.parse::<i64>().ok()),
            activate: first(STATUS_ACTION).as_deref() == Some("active"),
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

/// One line of the error summary: a link to the field and its message.
struct SummaryItem {
    /// The id of the field's control.
    id: String,
    text: String,
}

/// What the Configure dialog says about the connector's status.
struct StatusNote {
    status: &'static str,
    message: Option<String>,
    /// The label of "Save and activate" ("re-activate" after an error).
    activate_label: &'static str,
}

#[derive(Template)]
#[template(path = "partials/connector_form.html")]
struct ConnectorForm {
    title: String,
    icon_url: String,
    action: String,
    /// Where "Test connection" posts the form's values.
    check_action: String,
    submit_label: &'static str,
    version: Option<i64>,
    general_errors: Vec<String>,
    summary: Vec<SummaryItem>,
    /// `Some` on the Configure dialog of a connector that is not active.
    status: Option<StatusNote>,
    basics: Vec<Field>,
    config: Vec<Item>,
    secrets: Vec<Field>,
}

impl ConnectorForm {
    fn summary_title(&self) -> String {
        match self.summary.len() {
            1 => "Not saved: 1 problem to fix".to_string(),
            n => format!("Not saved: {n} problems to fix"),
        }
    }
}

/// "Integration token" → "integration token"; "API key" stays.
fn lower_first(label: &str) -> String {
    let mut c = label.chars();
    match (c.next(), c.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && !b.is_uppercase() => {
            a.to_lowercase().collect::<String>() + &label[a.len_utf8()..]
        }
        _ => label.to_string(),
    }
}

/// What a missing secret that activation needs is called in the form.
fn activation_message(label: &str) -> String {
    format!("Add the {} to activate.", lower_first(label))
}

/// Says in words what a required secret's "is required" means, and lists
/// the field's message in the summary.
fn summarize(f: &mut Field, summary: &mut Vec<SummaryItem>) {
    if f.errors.is_empty() || f.disabled {
        return;
    }
    if f.is_secret() && f.errors.iter().any(|e| e.starts_with("is required")) {
        f.errors = vec![activation_message(&f.label)];
        summary.push(SummaryItem {
            id: f.id.clone(),
            text: f.errors[0].clone(),
        });
        return;
    }
    for e in &f.errors {
        summary.push(SummaryItem {
            id: f.id.clone(),
            text: format!("{}: {e}", f.label),
        });
    }
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
        errors: errors
            .get(name)
            .and_then(|m| m.first())
            .map(|m| vec![m.clone()])
            .unwrap_or_default(),
        disabled: false,
        autofocus: false,
        activation: false,
        open: false,
        removable: false,
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
    check_action: String,
    /// The connector's status and message, on the Configure dialog.
    status: Option<(ConnectorStatus, Option<String>)>,
}

impl FormState<'_> {
    fn editing(&self) -> bool {
        self.status.is_some()
    }
}

/// The form shown again after a row action, focused where the action
/// leaves the user.
fn focused(mut form: ConnectorForm, action: &str) -> ConnectorForm {
    form::focus_after_row_action(&mut form.config, action);
    form
}

fn build_form(s: FormState<'_>) -> ConnectorForm {
    let editing = s.editing();
    let known =
        |k: &str| k == "name" || k == "tags" || k.starts_with("config.") || k.starts_with("auth.");
    let mut general = s.general;
    for (k, msgs) in &s.errors {
        if !known(k) {
            for m in msgs {
                general.push(capitalize_sentence(&format!("{k} {m}")));
            }
        }
    }
    let mut config = form::config_items(&s.entry.forms.config, s.config, &s.secrets, &s.errors);
    // Errors under an input that is not on the form (a nested path the form
    // does not show) still reach the user; a list's items are shown under
    // the list, a row's under its fields.
    let mut names: Vec<(String, bool)> = Vec::new();
    for item in &config {
        match item {
            Item::Field(f) => names.push((f.name.clone(), f.is_list())),
            Item::ChoiceStart { field } => names.push((field.name.clone(), false)),
            Item::RowsStart { name, .. } => names.push((name.clone(), false)),
            _ => {}
        }
    }
    let shown = |k: &str| {
        names.iter().any(|(n, list)| {
            n == k
                || (*list
                    && k.strip_prefix(n.as_str())
                        .and_then(|r| r.strip_prefix('.'))
                        .is_some_and(|i| i.parse::<usize>().is_ok()))
        })
    };
    for (k, msgs) in &s.errors {
        if k.starts_with("config.") && !shown(k) {
            for m in msgs {
                general.push(capitalize_sentence(&format!(
                    "{} {m}",
                    k.trim_start_matches("config.")
                )));
            }
        }
    }
    let mut basics = vec![
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
    ];
    let mut secrets = form::secret_fields(&s.entry.forms.auth, &s.secrets, &s.errors);
    // A secret paired with a config field (`x-after`) follows that field.
    for prop in &s.entry.forms.auth.root.properties {
        let Some(after) = &prop.node.after else {
            continue;
        };
        let (secret, after) = (format!("auth.{}", prop.name), format!("config.{after}"));
        let Some(i) = secrets.iter().position(|f| f.name == secret) else {
            continue;
        };
        let at = config
            .iter()
            .position(|item| matches!(item, Item::Field(f) if f.name == after));
        if let Some(at) = at {
            let f = secrets.remove(i);
            config.insert(at + 1, Item::Field(Box::new(f)));
        }
    }
    let mut summary = Vec::new();
    for f in &mut basics {
        summarize(f, &mut summary);
    }
    for item in &mut config {
        match item {
            Item::Field(f) | Item::ChoiceStart { field: f } => summarize(f, &mut summary),
            Item::RowsStart {
                id, legend, errors, ..
            } => {
                for e in errors.iter() {
                    summary.push(SummaryItem {
                        id: id.clone(),
                        text: format!("{legend}: {e}"),
                    });
                }
            }
            _ => {}
        }
    }
    for f in &mut secrets {
        summarize(f, &mut summary);
    }
    let status = s.status.and_then(|(status, message)| {
        let activate_label = match status {
            ConnectorStatus::Active => return None,
            ConnectorStatus::Error => "Save and re-activate",
            ConnectorStatus::Inactive => "Save and activate",
        };
        Some(StatusNote {
            status: match status {
                ConnectorStatus::Error => "Error",
                _ => "Inactive",
            },
            message,
            activate_label,
        })
    });
    ConnectorForm {
        title: if editing {
            format!("Configure {}", s.name)
        } else {
            format!("Add {}", s.entry.name)
        },
        icon_url: assets::icon_url(s.entry.icon.as_deref()),
        action: s.action,
        check_action: s.check_action,
        submit_label: if editing { "Save" } else { "Add connector" },
        version: s.version,
        general_errors: general,
        summary,
        status,
        basics,
        config,
        secrets,
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
    Ok(render(&build_form(new_state(
        &entry,
        &entry.name,
        "",
        None,
    ))))
}

/// The Add dialog's state before errors.
fn new_state<'a>(
    entry: &'a CatalogEntry,
    name: &'a str,
    tags: &'a str,
    config: Option<&'a Value>,
) -> FormState<'a> {
    FormState {
        entry,
        name,
        tags,
        config,
        secrets: serde_json::Map::new(),
        errors: FieldErrors::new(),
        general: Vec::new(),
        version: None,
        action: urls::form_new(&entry.key),
        check_action: urls::form_new_check(&entry.key),
        status: None,
    }
}

/// The Configure dialog's state before errors.
fn edit_state<'a>(
    entry: &'a CatalogEntry,
    view: &ConnectorView,
    name: &'a str,
    tags: &'a str,
    config: Option<&'a Value>,
    version: Option<i64>,
) -> FormState<'a> {
    FormState {
        entry,
        name,
        tags,
        config,
        secrets: view.secrets.to_map(),
        errors: FieldErrors::new(),
        general: Vec::new(),
        version,
        action: urls::form_edit(view.id.as_str()),
        check_action: urls::form_edit_check(view.id.as_str()),
        status: Some((view.status, view.status_message.clone())),
    }
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

/// The labels of the secrets activation still needs (required, not set).
fn missing_secrets(entry: &CatalogEntry, view: &ConnectorView) -> Vec<String> {
    let states = view.secrets.to_map();
    entry
        .forms
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
        .map(|p| lower_first(p.node.title.as_deref().unwrap_or(&p.name)))
        .collect()
}

/// "a", "a and b", "a, b and c".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The toast of a new connector: where it is and what is left to do.
fn added_message(entry: &CatalogEntry, view: &ConnectorView) -> String {
    let missing = missing_secrets(entry, view);
    if missing.is_empty() {
        format!(
            "Added “{}”. It is on the Installed tab, inactive: activate it there when you are ready.",
            view.name
        )
    } else {
        format!(
            "Added “{}”. It is on the Installed tab, inactive: add the {} to activate it.",
            view.name,
            and_list(&missing)
        )
    }
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
            build_form(new_state(&entry, &name, &tags_text, Some(&config))),
            &action,
        )));
    }
    body["catalog_key"] = Value::String(key.clone());
    match state.connectors.install_json(&user.principal, &body).await {
        Ok(view) => Ok(saved(&added_message(&entry, &view))),
        Err(e) => {
            let (errors, general) = form_errors(e)?;
            Ok(render(&build_form(FormState {
                errors,
                general,
                ..new_state(&entry, &name, &tags_text, Some(&config))
            })))
        }
    }
}

/// Splits a failed save into field errors and messages for the top of the
/// form; anything that is not about the input is an ordinary error. A
/// refusal with field errors says nothing more at the top: the summary
/// lists them.
fn form_errors(e: ConnectorError) -> Result<(FieldErrors, Vec<String>), AppError> {
    match e {
        ConnectorError::Validation { message, errors } => {
            let general = if errors.is_empty() {
                vec![capitalize_sentence(&message)]
            } else {
                Vec::new()
            };
            Ok((errors, general))
        }
        ConnectorError::DuplicateName => {
            let mut errors = FieldErrors::new();
            errors.insert("name".into(), vec!["is already used by another connector in this tenant".into()]);
            Ok((errors, Vec::new()))
        }
        ConnectorError::VersionMismatch { .. } => Ok((
            FieldErrors::new(),
            vec!["Someone else changed this connector meanwhile. Close the form and open it again to see their changes.".into()],
        )),
        ConnectorError::CheckFailed { message, .. } => Ok((
            FieldErrors::new(),
            vec![format!("Not activated: {}", capitalize_sentence(&message))],
        )),
        ConnectorError::SecretsUnreadable | ConnectorError::Contention | ConnectorError::CheckRateLimited { .. } => Ok((FieldErrors::new(), vec![capitalize_sentence(&e.to_string())])),
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
    let tags = tags.join(", ");
    Ok(render(&build_form(edit_state(
        &entry,
        &view,
        &view.name,
        &tags,
        Some(&config),
        Some(view.version),
    ))))
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
        mut body,
        version,
        row_action,
        activate,
    } = Submission::decode(&entry, form_data(pairs));
    if let Some(action) = row_action {
        return Ok(render(&focused(
            build_form(edit_state(
                &entry,
                &current,
                &name,
                &tags_text,
                Some(&config),
                version,
            )),
            &action,
        )));
    }
    // A connector in error goes back to inactive with the changes, then to
    // active: one step for the admin, the two transitions the service
    // allows.
    let reactivate = activate && current.status == ConnectorStatus::Error;
    if activate {
        let first = if reactivate { "inactive" } else { "active" };
        body["status"] = Value::String(first.into());
    }
    match state
        .connectors
        .update_json(&user.principal, &id, &body, version)
        .await
    {
        Ok(view) if reactivate => {
            let active = json!({"status": "active"});
            match state
                .connectors
                .update_json(&user.principal, &id, &active, Some(view.version))
                .await
            {
                Ok(view) => Ok(saved(&format!("Saved and activated “{}”.", view.name))),
                Err(e) => {
                    let (errors, mut general) = form_errors(e)?;
                    general.insert(
                        0,
                        "The changes were saved; the connector is inactive.".into(),
                    );
                    Ok(render(&build_form(FormState {
                        errors,
                        general,
                        ..edit_state(
                            &entry,
                            &view,
                            &name,
                            &tags_text,
                            Some(&config),
                            Some(view.version),
                        )
                    })))
                }
            }
        }
        Ok(view) if activate => Ok(saved(&format!("Saved and activated “{}”.", view.name))),
        Ok(view) => Ok(saved(&format!("Saved “{}”.", view.name))),
        Err(e) => {
            let (errors, general) = form_errors(e)?;
            // The connector as it is now: a refused update changed nothing.
            let now = state.connectors.get(&user.principal, &id).await?;
            Ok(render(&build_form(FormState {
                errors,
                general,
                ..edit_state(&entry, &now, &name, &tags_text, Some(&config), version)
            })))
        }
    }
}

/// The answer of "Test connection": a line for the live region under the
/// dialog's buttons.
#[derive(Template)]
#[template(
    source = r#"<p class="check-result {{ class }}">{{ headline }}{% for l in lines %}<br>{{ l }}{% endfor %}</p>"#,
    ext = "html"
)]
struct CheckResult {
    class: &'static str,
    headline: String,
    lines: Vec<String>,
}

fn check_answer_html(form: ConnectorForm, answer: CheckAnswer) -> Response {
    let result = match answer.check {
        Some(report) if report.ok => CheckResult {
            class: "ok",
            headline: match &report.identity {
                Some(who) => format!("Connected as {who}."),
                None => "Connected.".to_string(),
            },
            lines: report.warnings,
        },
        Some(report) if report.code == crate::domain::check::CheckCode::NoCheck => CheckResult {
            class: "neutral",
            headline: capitalize_sentence(&report.message),
            lines: Vec::new(),
        },
        Some(report) => CheckResult {
            class: "failed",
            headline: format!(
                "Connection failed: {}",
                capitalize_sentence(&report.message)
            ),
            lines: Vec::new(),
        },
        None => CheckResult {
            class: "failed",
            headline: "Not tested: fix these first.".to_string(),
            lines: form
                .general_errors
                .into_iter()
                .chain(
                    form.summary
                        .into_iter()
                        .map(|s| s.text.replace(" to activate.", " to test the connection.")),
                )
                .collect(),
        },
    };
    render(&result)
}

/// A check that could not run (too many checks, a malformed proposal):
/// said in the result line.
fn check_refused(e: ConnectorError) -> Result<Response, AppError> {
    let text = match e {
        ConnectorError::Validation { message, errors } if errors.is_empty() => message,
        ConnectorError::Validation { errors, .. } => {
            let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
            format!(
                "the form has values that cannot be checked ({})",
                fields.join(", ")
            )
        }
        e @ (ConnectorError::CheckRateLimited { .. } | ConnectorError::SecretsUnreadable) => {
            e.to_string()
        }
        other => return Err(other.into()),
    };
    Ok(render(&CheckResult {
        class: "failed",
        headline: format!("Not tested: {}", capitalize_sentence(&text)),
        lines: Vec::new(),
    }))
}

/// "Test connection" in the Add dialog: the form's values, unsaved.
pub(super) async fn new_check(
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
    let sub = Submission::decode(&entry, form_data(pairs));
    let body = json!({
        "catalog_key": key,
        "config": sub.body["config"],
        "auth": sub.body["auth"],
    });
    match state.connectors.check_unsaved(&user.principal, &body).await {
        Ok(answer) => {
            let form = build_form(FormState {
                errors: answer.errors.clone(),
                ..new_state(&entry, &sub.name, &sub.tags_text, Some(&sub.config))
            });
            Ok(check_answer_html(form, answer))
        }
        Err(e) => check_refused(e),
    }
}

/// "Test connection" in the Configure dialog: the connector as the form
/// would leave it (kept secrets count), nothing saved.
pub(super) async fn edit_check(
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
    let sub = Submission::decode(&entry, form_data(pairs));
    let body = json!({
        "config": sub.body["config"],
        "auth": sub.body["auth"],
    });
    match state
        .connectors
        .check_connector(&user.principal, &id, Some(&body))
        .await
    {
        Ok(answer) => {
            let form = build_form(FormState {
                errors: answer.errors.clone(),
                ..edit_state(
                    &entry,
                    &current,
                    &sub.name,
                    &sub.tags_text,
                    Some(&sub.config),
                    sub.version,
                )
            });
            Ok(check_answer_html(form, answer))
        }
        Err(e) => check_refused(e),
    }
}
