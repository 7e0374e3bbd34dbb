//! The audit events the connector operations write: who, when, which
//! connector, what action, and the names of what changed — secrets as
//! `set`, `changed` or `cleared`, never their values.

use crate::domain::check::CheckCode;
use crate::domain::identity::Principal;
use crate::domain::ids::ConnectorId;
use crate::domain::status::ConnectorStatus;
use crate::storage::AuditWrite;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Secret name → `set`, `changed` or `cleared`.
pub(super) type SecretAudit = BTreeMap<String, &'static str>;

pub(super) fn event(
    caller: &Principal,
    connector_id: &ConnectorId,
    action: &str,
    changes: Value,
    now: DateTime<Utc>,
) -> AuditWrite {
    event_by(Some(caller), connector_id, action, changes, now)
}

/// An event by `actor`, or by an operator command when `None`.
fn event_by(
    actor: Option<&Principal>,
    connector_id: &ConnectorId,
    action: &str,
    changes: Value,
    now: DateTime<Utc>,
) -> AuditWrite {
    AuditWrite {
        id: Uuid::now_v7().to_string(),
        connector_id: Some(connector_id.to_string()),
        actor_id: actor.map(|a| a.user_id.clone()),
        actor_name: actor.map(|a| a.display_name.clone()),
        action: action.to_string(),
        changes: changes.to_string(),
        created_at: now,
    }
}

pub(super) fn created(
    caller: &Principal,
    connector_id: &ConnectorId,
    catalog_key: &str,
    has_tags: bool,
    secrets: &SecretAudit,
    now: DateTime<Utc>,
) -> AuditWrite {
    let mut fields = vec!["name", "config"];
    if has_tags {
        fields.push("tags");
    }
    event(
        caller,
        connector_id,
        "connector.created",
        json!({"fields": fields, "secrets": secrets, "catalog_key": catalog_key}),
        now,
    )
}

/// An update: a status change alone is `connector.status_changed`, secrets
/// alone `connector.secrets_changed`, anything else `connector.updated`.
/// `fields` names the changed fields; `status` is the change of status, if
/// any.
pub(super) fn updated(
    caller: &Principal,
    connector_id: &ConnectorId,
    fields: &[&str],
    secrets: &SecretAudit,
    status: Option<(ConnectorStatus, ConnectorStatus)>,
    now: DateTime<Utc>,
) -> AuditWrite {
    let action = match (fields, secrets.is_empty()) {
        (["status"] | ["status", "status_message"], true) => "connector.status_changed",
        ([], false) => "connector.secrets_changed",
        _ => "connector.updated",
    };
    let mut changes = json!({"fields": fields, "secrets": secrets});
    if let Some((from, to)) = status {
        changes["status"] = json!({"from": from.as_str(), "to": to.as_str()});
    }
    event(caller, connector_id, action, changes, now)
}

/// A connector whose secrets failed to open when they were used (`during`),
/// moved to `error`: by the caller whose use found it, or by an operator
/// command (no actor).
pub(super) fn unreadable(
    actor: Option<&Principal>,
    connector_id: &ConnectorId,
    during: &str,
    now: DateTime<Utc>,
) -> AuditWrite {
    event_by(
        actor,
        connector_id,
        "connector.secrets_unreadable",
        json!({"fields": ["status", "status_message"], "during": during}),
        now,
    )
}

/// A connection check that ran: by `actor`, or by the scheduler (`None`);
/// of a stored connector, or of unsaved values (no connector). Only the
/// catalog key, the code and what was checked, never a value.
pub(super) fn checked(
    actor: Option<&Principal>,
    connector_id: Option<&ConnectorId>,
    catalog_key: &str,
    code: CheckCode,
    trigger: &str,
) -> AuditWrite {
    AuditWrite {
        id: Uuid::now_v7().to_string(),
        connector_id: connector_id.map(ToString::to_string),
        actor_id: actor.map(|a| a.user_id.clone()),
        actor_name: actor.map(|a| a.display_name.clone()),
        action: "connector.checked".to_string(),
        changes: json!({
            "fields": [],
            "catalog_key": catalog_key,
            "code": code.as_str(),
            "trigger": trigger,
        })
        .to_string(),
        created_at: crate::domain::time::now(),
    }
}

/// A status change a connection check made.
pub(super) fn moved_by_check(
    actor: Option<&Principal>,
    connector_id: &ConnectorId,
    from: ConnectorStatus,
    to: ConnectorStatus,
    now: DateTime<Utc>,
) -> AuditWrite {
    event_by(
        actor,
        connector_id,
        "connector.status_changed",
        json!({
            "fields": ["status", "status_message"],
            "status": {"from": from.as_str(), "to": to.as_str()},
            "by": "check",
        }),
        now,
    )
}
