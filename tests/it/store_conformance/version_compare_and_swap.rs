//! Version compare-and-swap: an update at the current version writes one
//! version up; a stale version, or an envelope that moved on, writes and
//! records nothing.

use super::{STATES_1, audit, envelope, json_of, world};
use crate::both_databases;
use crate::support::TestDb;
use connectors::storage::{AuthWrite, UpdateOutcome};

both_databases!(
    connector_updates_compare_and_swap_the_version,
    |db: TestDb| async move {
        let w = world(&db).await;
        let id = w.install(&w.a, &w.publisher_id, "Blog").await.unwrap();
        let row = w.get(&w.a, &id).await.unwrap();
        assert_eq!(row.version, 1, "a new connector starts at version 1");

        let first = w
            .update(&w.a, &w.update_of(&row, 1, "Blog 2", "inactive"))
            .await;
        let UpdateOutcome::Updated(updated) = first else {
            panic!("connector_update with the current version writes, got {first:?}");
        };
        assert_eq!(
            (updated.version, updated.name.as_str()),
            (2, "Blog 2"),
            "connector_update returns the row as written, one version up"
        );

        let stale = w
            .update(&w.a, &w.update_of(&row, 1, "Lost update", "active"))
            .await;
        assert!(
            matches!(stale, UpdateOutcome::VersionMismatch),
            "connector_update with a stale version answers VersionMismatch, got {stale:?}"
        );
        let now = w.get(&w.a, &id).await.unwrap();
        assert_eq!(
            (now.version, now.name.as_str(), now.status.as_str()),
            (2, "Blog 2", "inactive"),
            "connector_update with a stale version changes nothing"
        );
        assert_eq!(
            w.audit_count(&w.a, Some(&id)).await,
            2,
            "connector_update with a stale version records no audit event"
        );

        let mut stale_envelope = w.update_of(&now, 2, "Blog 3", "inactive");
        stale_envelope.auth = Some(AuthWrite {
            expected: envelope("k1", "not-the-stored-one"),
            sealed: envelope("k1", "sealed-2"),
            states: "{}".into(),
        });
        let moved = w.update(&w.a, &stale_envelope).await;
        assert!(
            matches!(moved, UpdateOutcome::VersionMismatch),
            "connector_update over an envelope that moved on answers VersionMismatch, got {moved:?}"
        );
        let kept = w.get(&w.a, &id).await.unwrap();
        let kept_sealed = w.sealed(&w.a, &id).await.unwrap();
        assert_eq!(
            (
                kept.version,
                json_of(&kept_sealed.auth),
                kept_sealed.states.as_deref()
            ),
            (2, json_of(&envelope("k1", "sealed-1")), Some(STATES_1)),
            "connector_update over an envelope that moved on changes nothing"
        );

        let mut new_secrets = w.update_of(&kept, 2, "Blog 2", "inactive");
        let states_2 = r#"{"token":"2026-02-02T00:00:00Z"}"#;
        new_secrets.auth = Some(AuthWrite {
            expected: envelope("k1", "sealed-1"),
            sealed: envelope("k1", "sealed-2"),
            states: states_2.into(),
        });
        let written = w
            .store
            .connector_update(
                &w.a.id,
                &new_secrets,
                &audit(
                    &id,
                    "connector.secrets_changed",
                    connectors::domain::time::now(),
                ),
            )
            .await
            .unwrap();
        let UpdateOutcome::Updated(row) = written else {
            panic!("connector_update over the stored envelope writes, got {written:?}");
        };
        assert_eq!(
            (row.secret_states.as_deref(), row.legacy_auth.as_deref()),
            (Some(states_2), None),
            "connector_update writes the states with the envelope, and reads answer the states, not the envelope"
        );
        let sealed = w.sealed(&w.a, &id).await.unwrap();
        assert_eq!(
            (json_of(&sealed.auth), sealed.states.as_deref()),
            (json_of(&envelope("k1", "sealed-2")), Some(states_2)),
            "connector_sealed answers the envelope and states written together"
        );
    }
);
