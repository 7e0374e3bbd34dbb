//! The typed commands read from JSON bodies: every field error at its path.

use super::auth::MASKED;
use super::*;
use crate::service::connectors::secrets::SecretUpdate;
use secrecy::ExposeSecret;
use serde_json::json;

fn field_errors(e: ConnectorError) -> FieldErrors {
    match e {
        ConnectorError::Validation { errors, .. } => errors,
        other => panic!("not a validation error: {other}"),
    }
}

#[test]
fn a_patch_refuses_fields_before_the_connector_is_read() {
    let e = ConnectorPatch::parse(&json!({"id": "x", "catalog_key": "k", "version": "2"}))
        .err()
        .map(field_errors)
        .unwrap();
    assert_eq!(e["id"], ["is set by the server and cannot be changed"]);
    assert_eq!(
        e["catalog_key"],
        ["cannot be changed; install a new connector instead"]
    );
    assert_eq!(e["version"], ["must be a whole number"]);
    let e = ConnectorPatch::parse(&json!([]))
        .err()
        .map(field_errors)
        .unwrap();
    assert_eq!(e["body"], ["must be a JSON object"]);
}

#[test]
fn a_patch_reads_the_three_way_secret_update_and_keeps_its_problems() {
    let p = ConnectorPatch::parse(&json!({
        "name": "  Blog  ",
        "status": "active",
        "status_message": null,
        "auth": {"a": "value", "b": null, "c": "****", "d": 5},
        "version": 3
    }))
    .unwrap();
    assert_eq!(p.name.as_deref(), Some("Blog"));
    assert_eq!(p.status, Some(ConnectorStatus::Active));
    assert!(matches!(p.status_message, Some(StatusMessage::Clear)));
    assert_eq!(p.version, Some(3));
    assert!(matches!(p.auth.get("a"), Some(SecretUpdate::Set(s)) if s.expose_secret() == "value"));
    assert!(matches!(p.auth.get("b"), Some(SecretUpdate::Clear)));
    assert_eq!(p.auth.len(), 2);
    assert_eq!(p.refused_secrets["c"], MASKED);
    assert_eq!(p.refused_secrets["d"], "must be text, or null to clear it");
    assert!(p.problems.is_empty());

    let p = ConnectorPatch::parse(&json!({"name": "", "status": "paused", "tags": [1]})).unwrap();
    assert_eq!(p.problems["name"], ["must not be empty"]);
    assert_eq!(p.problems["status"], [ConnectorStatus::EXPECTED]);
    assert_eq!(p.problems["tags.0"], ["must be text"]);
}
