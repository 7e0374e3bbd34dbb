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

/// What an audit event records. The document's enum and the stored text
/// both come from here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
pub enum AuditAction {
    #[schema(rename = "connector.created")]
    Created,
    #[schema(rename = "connector.updated")]
    Updated,
    #[schema(rename = "connector.status_changed")]
    StatusChanged,
    #[schema(rename = "connector.secrets_changed")]
    SecretsChanged,
    #[schema(rename = "connector.secrets_unreadable")]
    SecretsUnreadable,
    #[schema(rename = "connector.credentials_read")]
    CredentialsRead,
    #[schema(rename = "connector.checked")]
    Checked,
    #[schema(rename = "connector.deleted")]
    Deleted,
}

impl AuditAction {
    pub const ALL: [AuditAction; 8] = [
        AuditAction::Created,
        AuditAction::Updated,
        AuditAction::StatusChanged,
        AuditAction::SecretsChanged,
        AuditAction::SecretsUnreadable,
        AuditAction::CredentialsRead,
        AuditAction::Checked,
        AuditAction::Deleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Created => "connector.created",
            AuditAction::Updated => "connector.updated",
            AuditAction::StatusChanged => "connector.status_changed",
            AuditAction::SecretsChanged => "connector.secrets_changed",
            AuditAction::SecretsUnreadable => "connector.secrets_unreadable",
            AuditAction::CredentialsRead => "connector.credentials_read",
            AuditAction::Checked => "connector.checked",
            AuditAction::Deleted => "connector.deleted",
        }
    }
}

/// Secret name → `set`, `changed` or `cleared`.
pub(super) type SecretAudit = BTreeMap<String, &'static str>;

pub(super) fn event(
    caller: &Principal,
    connector_id: &ConnectorId,
    action: AuditAction,
    changes: Value,
    now: DateTime<Utc>,
) -> AuditWrite {
    event_by(Some(caller), connector_id, action, changes, now)
}

/// An event by `actor`, or by an operator command when `None`.
fn event_by(
    actor: Option<&Principal>,
    connector_id: &ConnectorId,
    action: AuditAction,
    changes: Value,
    now: DateTime<Utc>,
) -> AuditWrite {
    AuditWrite {
        id: Uuid::now_v7().to_string(),
        connector_id: Some(connector_id.to_string()),
        actor_id: actor.map(|a| a.user_id.clone()),
        actor_name: actor.map(|a| a.display_name.clone()),
        action: action.as_str().to_string(),
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
        AuditAction::Created,
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
        (["status"] | ["status", "status_message"], true) => AuditAction::StatusChanged,
        ([], false) => AuditAction::SecretsChanged,
        _ => AuditAction::Updated,
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
        AuditAction::SecretsUnreadable,
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
        action: AuditAction::Checked.as_str().to_string(),
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
        AuditAction::StatusChanged,
        json!({
            "fields": ["status", "status_message"],
            "status": {"from": from.as_str(), "to": to.as_str()},
            "by": "check",
        }),
        now,
    )
}

#[cfg(test)]
mod tests {
    use super::AuditAction;
    use utoipa::PartialSchema;

    #[test]
    fn the_documented_actions_are_the_stored_ones() {
        let schema = serde_json::to_value(AuditAction::schema()).unwrap();
        let documented: Vec<&str> = schema["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let stored: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(documented, stored);
    }
}
