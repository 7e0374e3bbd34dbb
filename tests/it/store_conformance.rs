//! The store's promises, written once against the `Store` trait and run on
//! both backends, below the service and without HTTP: a backend that
//! breaks one fails here first, with a message naming the promise.

use crate::both_databases;
use crate::support::TestDb;
use chrono::{DateTime, Duration, Utc};
use connectors::domain::identity::{Role, Tenant, User};
use connectors::domain::status::ConnectorStatus;
use connectors::domain::time;
use connectors::storage::{
    self, AuditWrite, AuthWrite, CatalogWrite, ConnectorFilter, ConnectorInsert, ConnectorRow,
    ConnectorUpdate, DatabaseLocation, DynStore, LoginLimit, SealedSecrets, SecretFilter,
    SessionWrite, StoreError, UpdateOutcome,
};
use serde_json::{Value, json};

/// A fresh database, opened through `storage::open` and migrated.
async fn open_store(db: &TestDb) -> DynStore {
    let location = DatabaseLocation::from_url(Some(&db.url()), db.data_dir()).expect("location");
    let store = storage::open(&location).await.expect("open the store");
    store.migrate().await.expect("migrate a fresh database");
    store
}

/// Two tenants, a member in each, and two catalog entries (one that can
/// publish, one that cannot).
struct World {
    store: DynStore,
    a: Tenant,
    b: Tenant,
    alice: User,
    publisher_id: String,
    plain_id: String,
}

async fn world(db: &TestDb) -> World {
    let store = open_store(db).await;
    let a = store.tenant_create("tenant-a", "Tenant A").await.unwrap();
    let b = store.tenant_create("tenant-b", "Tenant B").await.unwrap();
    let alice = store
        .member_upsert(&a.id, "alice@a.test", "Alice", None, Role::Admin)
        .await
        .unwrap()
        .user;
    store
        .member_upsert(&b.id, "bob@b.test", "Bob", None, Role::Admin)
        .await
        .unwrap();
    for (key, publish) in [("conf-publisher", true), ("conf-plain", false)] {
        store
            .catalog_upsert(&catalog_entry(key, publish))
            .await
            .unwrap();
    }
    let publisher_id = store
        .catalog_get("conf-publisher")
        .await
        .unwrap()
        .unwrap()
        .id;
    let plain_id = store.catalog_get("conf-plain").await.unwrap().unwrap().id;
    World {
        store,
        a,
        b,
        alice,
        publisher_id,
        plain_id,
    }
}

fn catalog_entry(key: &str, publish: bool) -> CatalogWrite {
    let capabilities = json!({ "publish": publish }).to_string();
    let schema = json!({ "type": "object" }).to_string();
    CatalogWrite {
        key: key.into(),
        name: key.into(),
        description: None,
        category: "test".into(),
        icon: None,
        auth_type: "api_key".into(),
        capabilities: capabilities.clone(),
        default_config_schema: schema.clone(),
        auth_schema: schema,
        document: json!({ "key": key, "capabilities": { "publish": publish } }).to_string(),
    }
}

fn envelope(kid: &str, value: &str) -> String {
    json!({ "kid": kid, "v": 1, "ct": value }).to_string()
}

/// The secret states every installed fixture connector starts with.
const STATES_1: &str = r#"{"token":"2026-01-01T00:00:00Z"}"#;

fn audit(connector_id: &str, action: &str, at: DateTime<Utc>) -> AuditWrite {
    AuditWrite {
        id: uuid::Uuid::now_v7().to_string(),
        connector_id: Some(connector_id.into()),
        actor_id: None,
        actor_name: Some("conformance".into()),
        action: action.into(),
        changes: "{}".into(),
        created_at: at,
    }
}

impl World {
    /// Installs a connector named `name` of `catalog_id` in `tenant`.
    async fn install(
        &self,
        tenant: &Tenant,
        catalog_id: &str,
        name: &str,
    ) -> Result<String, StoreError> {
        let id = uuid::Uuid::now_v7().to_string();
        let now = time::now();
        self.store
            .connector_insert(
                &tenant.id,
                &ConnectorInsert {
                    id: id.as_str().into(),
                    catalog_id: catalog_id.into(),
                    name: name.into(),
                    config: json!({ "site": "x" }).to_string(),
                    auth: envelope("k1", "sealed-1"),
                    secret_states: STATES_1.into(),
                    tags: json!(["news"]).to_string(),
                    actor_id: self.alice.id.clone(),
                    actor_name: self.alice.display_name.clone(),
                    now,
                },
                &audit(&id, "connector.created", now),
            )
            .await?;
        Ok(id)
    }

    async fn get(&self, tenant: &Tenant, id: &str) -> Option<ConnectorRow> {
        self.store
            .connector_get(&tenant.id, &id.into())
            .await
            .unwrap()
    }

    async fn sealed(&self, tenant: &Tenant, id: &str) -> Option<SealedSecrets> {
        self.store
            .connector_sealed(&tenant.id, &id.into())
            .await
            .unwrap()
    }

    /// The full new state of `row` with `status` and `name`, expecting
    /// `version`.
    fn update_of(
        &self,
        row: &ConnectorRow,
        version: i64,
        name: &str,
        status: &str,
    ) -> ConnectorUpdate {
        ConnectorUpdate {
            id: row.id.clone(),
            expected_version: version,
            name: name.into(),
            status: ConnectorStatus::parse(status).expect("a known status"),
            status_message: None,
            config: row.config.clone(),
            auth: None,
            tags: row.tags.clone(),
            actor_id: self.alice.id.clone(),
            actor_name: self.alice.display_name.clone(),
            now: time::now(),
        }
    }

    async fn audit_count(&self, tenant: &Tenant, connector_id: Option<&str>) -> usize {
        self.store
            .audit_list(&tenant.id, connector_id, None, 100)
            .await
            .unwrap()
            .len()
    }
}

fn filters(catalog_key: &str) -> Vec<(&'static str, ConnectorFilter)> {
    let page = |f: ConnectorFilter| ConnectorFilter { limit: 50, ..f };
    vec![
        ("no filter", page(ConnectorFilter::default())),
        (
            "status",
            page(ConnectorFilter {
                status: Some("active".into()),
                ..Default::default()
            }),
        ),
        (
            "catalog_key",
            page(ConnectorFilter {
                catalog_key: Some(catalog_key.into()),
                ..Default::default()
            }),
        ),
        (
            "tag",
            page(ConnectorFilter {
                tag: Some("news".into()),
                ..Default::default()
            }),
        ),
        (
            "name_contains",
            page(ConnectorFilter {
                name_contains: Some("blog".into()),
                ..Default::default()
            }),
        ),
        (
            "after_id",
            page(ConnectorFilter {
                after_id: Some("0".into()),
                ..Default::default()
            }),
        ),
    ]
}

both_databases!(
    migrations_apply_every_known_one_once,
    |db: TestDb| async move {
        let location = DatabaseLocation::from_url(Some(&db.url()), db.data_dir()).unwrap();
        let store = storage::open(&location).await.unwrap();
        let known = storage::migrations::all(store.backend());
        let first = store.migrate().await.unwrap();
        assert_eq!(
            first.iter().map(|m| m.version).collect::<Vec<_>>(),
            known.iter().map(|m| m.version).collect::<Vec<_>>(),
            "the first migrate applies every known migration, in order"
        );
        let status = store.migration_status().await.unwrap();
        assert_eq!(
            status.len(),
            known.len(),
            "migration status lists every known migration and nothing else"
        );
        for m in &status {
            assert!(
                m.applied_at.is_some(),
                "after migrate, migration {} ({}) is applied, not pending",
                m.version,
                m.name
            );
        }
        let second = store.migrate().await.unwrap();
        assert!(
            second.is_empty(),
            "a second migrate applies nothing (applied: {:?})",
            second.iter().map(|m| m.version).collect::<Vec<_>>()
        );
        let again = store.migration_status().await.unwrap();
        assert_eq!(
            again
                .iter()
                .map(|m| (m.version, m.applied_at))
                .collect::<Vec<_>>(),
            status
                .iter()
                .map(|m| (m.version, m.applied_at))
                .collect::<Vec<_>>(),
            "a second migrate changes no migration's applied time"
        );
    }
);

both_databases!(connector_reads_are_tenant_scoped, |db: TestDb| async move {
    let w = world(&db).await;
    let id = w.install(&w.a, &w.publisher_id, "Blog").await.unwrap();
    let row = w
        .get(&w.a, &id)
        .await
        .expect("the owner tenant reads its connector");
    let updated = w
        .store
        .connector_update(
            &w.a.id,
            &w.update_of(&row, 1, "Blog", "active"),
            &audit(&id, "connector.updated", time::now()),
        )
        .await
        .unwrap();
    assert!(
        matches!(updated, UpdateOutcome::Updated(_)),
        "the owner tenant activates its connector"
    );

    assert!(
        w.get(&w.b, &id).await.is_none(),
        "connector_get: another tenant's id never sees the row"
    );
    for (what, filter) in filters("conf-publisher") {
        let mine = w.store.connector_list(&w.a.id, &filter).await.unwrap();
        assert_eq!(
            mine.len(),
            1,
            "connector_list ({what}): the owner tenant sees its row"
        );
        let theirs = w.store.connector_list(&w.b.id, &filter).await.unwrap();
        assert!(
            theirs.is_empty(),
            "connector_list ({what}): another tenant never sees the row"
        );
    }
    let catalog_ids = vec![w.publisher_id.clone(), w.plain_id.clone()];
    let mine = w
        .store
        .publish_targets(&w.a.id, &catalog_ids, None, 50)
        .await
        .unwrap();
    assert_eq!(
        mine.len(),
        1,
        "publish_targets: the owner tenant's active connector is a target"
    );
    let theirs = w
        .store
        .publish_targets(&w.b.id, &catalog_ids, None, 50)
        .await
        .unwrap();
    assert!(
        theirs.is_empty(),
        "publish_targets: another tenant never sees the row"
    );
    assert!(
        w.store
            .audit_list(&w.b.id, None, None, 50)
            .await
            .unwrap()
            .is_empty(),
        "audit_list: another tenant never sees the owner's events"
    );
    assert!(
        w.store
            .audit_list(&w.b.id, Some(&id), None, 50)
            .await
            .unwrap()
            .is_empty(),
        "audit_list by connector: another tenant never sees the owner's events"
    );
    assert_eq!(
        w.audit_count(&w.a, Some(&id)).await,
        2,
        "audit_list by connector: the owner sees the create and the update"
    );
});

both_databases!(
    connector_writes_are_tenant_scoped,
    |db: TestDb| async move {
        let w = world(&db).await;
        let id = w.install(&w.a, &w.publisher_id, "Blog").await.unwrap();
        let before = w.get(&w.a, &id).await.unwrap();

        let outcome = w
            .store
            .connector_update(
                &w.b.id,
                &w.update_of(&before, 1, "Taken over", "active"),
                &audit(&id, "connector.updated", time::now()),
            )
            .await
            .unwrap();
        assert!(
            matches!(outcome, UpdateOutcome::NotFound),
            "connector_update: another tenant's update answers NotFound, got {outcome:?}"
        );
        let after = w.get(&w.a, &id).await.unwrap();
        assert_eq!(
            (after.name.as_str(), after.status.as_str(), after.version),
            ("Blog", "inactive", 1),
            "connector_update: another tenant's update changes nothing"
        );

        let deleted = w
            .store
            .connector_delete(&w.b.id, &id.as_str().into(), &audit(&id, "connector.deleted", time::now()))
            .await
            .unwrap();
        assert!(
            !deleted,
            "connector_delete: another tenant's delete answers false"
        );
        assert!(
            w.get(&w.a, &id).await.is_some(),
            "connector_delete: another tenant's delete leaves the row"
        );
        assert_eq!(
            w.audit_count(&w.b, None).await,
            0,
            "a refused update or delete records no audit event in the caller's tenant"
        );

        w.store
            .audit_insert(
                &w.b.id,
                &audit(&id, "connector.credentials_read", time::now()),
            )
            .await
            .unwrap();
        assert_eq!(
            w.audit_count(&w.a, Some(&id)).await,
            1,
            "audit_insert: an event recorded in another tenant never shows in the owner's list"
        );
        assert_eq!(
            w.audit_count(&w.b, None).await,
            1,
            "audit_insert: an event is listed in the tenant it was recorded in"
        );

        let deleted = w
            .store
            .connector_delete(&w.a.id, &id.as_str().into(), &audit(&id, "connector.deleted", time::now()))
            .await
            .unwrap();
        assert!(
            deleted,
            "connector_delete: the owner tenant deletes its row"
        );
        assert!(
            w.get(&w.a, &id).await.is_none(),
            "connector_delete: a deleted row is gone"
        );
    }
);

both_databases!(
    connector_names_are_unique_per_tenant,
    |db: TestDb| async move {
        let w = world(&db).await;
        w.install(&w.a, &w.publisher_id, "Blog").await.unwrap();
        let again = w.install(&w.a, &w.plain_id, "Blog").await;
        assert!(
            matches!(again, Err(StoreError::Conflict(_))),
            "connector_insert: a second 'Blog' in the same tenant is a Conflict, got {again:?}"
        );
        assert_eq!(
            w.audit_count(&w.a, None).await,
            1,
            "connector_insert: a refused insert records no audit event"
        );
        let listed = w
            .store
            .connector_list(
                &w.a.id,
                &ConnectorFilter {
                    limit: 50,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            listed.len(),
            1,
            "connector_insert: a refused insert writes no row"
        );
        let other = w.install(&w.b, &w.publisher_id, "Blog").await;
        assert!(
            other.is_ok(),
            "connector_insert: the same name in another tenant is allowed, got {other:?}"
        );
    }
);

both_databases!(
    connector_updates_compare_and_swap_the_version,
    |db: TestDb| async move {
        let w = world(&db).await;
        let id = w.install(&w.a, &w.publisher_id, "Blog").await.unwrap();
        let row = w.get(&w.a, &id).await.unwrap();
        assert_eq!(row.version, 1, "a new connector starts at version 1");

        let first = w
            .store
            .connector_update(
                &w.a.id,
                &w.update_of(&row, 1, "Blog 2", "inactive"),
                &audit(&id, "connector.updated", time::now()),
            )
            .await
            .unwrap();
        let UpdateOutcome::Updated(updated) = first else {
            panic!("connector_update with the current version writes, got {first:?}");
        };
        assert_eq!(
            (updated.version, updated.name.as_str()),
            (2, "Blog 2"),
            "connector_update returns the row as written, one version up"
        );

        let stale = w
            .store
            .connector_update(
                &w.a.id,
                &w.update_of(&row, 1, "Lost update", "active"),
                &audit(&id, "connector.updated", time::now()),
            )
            .await
            .unwrap();
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
        let moved = w
            .store
            .connector_update(
                &w.a.id,
                &stale_envelope,
                &audit(&id, "connector.updated", time::now()),
            )
            .await
            .unwrap();
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
                &audit(&id, "connector.secrets_changed", time::now()),
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

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).expect("stored JSON")
}

both_databases!(
    rotation_compares_and_swaps_the_envelope,
    |db: TestDb| async move {
        let w = world(&db).await;
        let id = w.install(&w.a, &w.publisher_id, "Blog").await.unwrap();
        let other = w.install(&w.b, &w.publisher_id, "Blog").await.unwrap();
        let old = envelope("k1", "sealed-1");
        let new = envelope("k2", "sealed-1-under-k2");
        let new_states = r#"{"token":"2026-03-03T00:00:00Z"}"#;
        let under_k2 = SecretFilter::NeedsReseal {
            primary_kid: "k2".into(),
        };
        let page_ids = |filter: SecretFilter| {
            let store = w.store.clone();
            async move {
                let mut ids: Vec<String> = store
                    .secrets_page(&filter, None, 10)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|s| s.id.into_string())
                    .collect();
                ids.sort_unstable();
                ids
            }
        };
        let mut both = vec![id.clone(), other.clone()];
        both.sort_unstable();

        assert_eq!(
            page_ids(under_k2.clone()).await,
            both,
            "secrets_page lists every tenant's envelopes not under the primary key"
        );
        assert_eq!(
            page_ids(SecretFilter::All).await,
            both,
            "secrets_page lists every tenant's envelopes for All"
        );
        assert!(
            page_ids(SecretFilter::WithoutStates).await.is_empty(),
            "secrets_page lists no row with states for WithoutStates"
        );
        let pending = w.store.secrets_page(&under_k2, None, 10).await.unwrap();
        let mine = pending.iter().find(|s| s.id == *id.as_str()).unwrap();
        assert_eq!(
            (mine.tenant_id.as_str(), json_of(&mine.auth), mine.states.as_deref()),
            (w.a.id.as_str(), json_of(&old), Some(STATES_1)),
            "secrets_page answers each row's tenant, envelope and states"
        );

        assert!(
            w.store
                .secret_reseal(&id.as_str().into(), &old, &new, new_states)
                .await
                .unwrap(),
            "secret_reseal with the stored envelope replaces it"
        );
        assert!(
            !w.store
                .secret_reseal(&id.as_str().into(), &old, &envelope("k3", "x"), "{}")
                .await
                .unwrap(),
            "secret_reseal with a stale old envelope answers false"
        );
        let sealed = w.sealed(&w.a, &id).await.unwrap();
        assert_eq!(
            (json_of(&sealed.auth), sealed.states.as_deref()),
            (json_of(&new), Some(new_states)),
            "secret_reseal with a stale old envelope changes nothing"
        );
        let row = w.get(&w.a, &id).await.unwrap();
        assert_eq!(row.version, 1, "secret_reseal leaves the version alone");
        assert_eq!(
            page_ids(under_k2).await,
            vec![other.clone()],
            "secrets_page no longer lists a replaced envelope"
        );
    }
);

both_databases!(
    unreadable_secrets_move_a_connector_to_error_once,
    |db: TestDb| async move {
        let w = world(&db).await;
        let id = w.install(&w.a, &w.publisher_id, "Blog").await.unwrap();
        let cid = id.as_str().into();
        let stored = envelope("k1", "sealed-1");
        let event = || audit(&id, "connector.secrets_unreadable", time::now());
        let mark = |tenant: &Tenant, auth: String| {
            let (store, tenant_id, cid, event) = (w.store.clone(), tenant.id.clone(), &cid, event());
            async move {
                store
                    .connector_mark_unreadable(&tenant_id, cid, &auth, "cannot open", &event)
                    .await
                    .unwrap()
            }
        };
        assert!(
            !mark(&w.b, stored.clone()).await,
            "connector_mark_unreadable does not touch another tenant's row"
        );
        assert!(
            !mark(&w.a, envelope("k1", "another")).await,
            "connector_mark_unreadable does nothing once the envelope changed"
        );
        assert_eq!(w.get(&w.a, &id).await.unwrap().status.as_str(), "inactive");
        assert!(
            mark(&w.a, stored.clone()).await,
            "connector_mark_unreadable marks the row whose envelope it was given"
        );
        let row = w.get(&w.a, &id).await.unwrap();
        assert_eq!(
            (row.status.as_str(), row.status_message.as_deref(), row.version),
            ("error", Some("cannot open"), 2),
            "connector_mark_unreadable moves the row to error with its message, as a new version"
        );
        assert!(
            !mark(&w.a, stored).await,
            "connector_mark_unreadable on a row already in error with that message changes nothing"
        );
        assert_eq!(
            (w.get(&w.a, &id).await.unwrap().version, w.audit_count(&w.a, Some(&id)).await),
            (2, 2),
            "one audit event besides the creation, and no second version"
        );
    }
);

both_databases!(
    sessions_end_at_expiry_idle_cutoff_and_membership_removal,
    |db: TestDb| async move {
        let w = world(&db).await;
        // Alice also belongs to tenant B, with a session there.
        w.store
            .member_upsert(&w.b.id, "alice@a.test", "Alice", None, Role::Member)
            .await
            .unwrap();
        let now = time::now();
        for (hash, tenant) in [("session-a", &w.a), ("session-b", &w.b)] {
            w.store
                .session_insert(&SessionWrite {
                    id_hash: hash.into(),
                    user_id: w.alice.id.clone(),
                    tenant_id: tenant.id.clone(),
                    now,
                    expires_at: now + Duration::hours(1),
                })
                .await
                .unwrap();
        }
        let idle = Duration::minutes(30);
        let live = w
            .store
            .session_get("session-a", now, now - idle)
            .await
            .unwrap();
        let live = live.expect("session_get: a live session is found");
        assert_eq!(
            (live.principal.tenant_id.as_str(), live.principal.role),
            (w.a.id.as_str(), Role::Admin),
            "session_get: the principal is the session's tenant and role"
        );
        let later = now + Duration::hours(2);
        assert!(
            w.store
                .session_get("session-a", later, later - Duration::hours(3))
                .await
                .unwrap()
                .is_none(),
            "session_get: a session past expires_at is not found, however recently seen"
        );
        assert!(
            w.store
                .session_get("session-a", now, now + Duration::seconds(1))
                .await
                .unwrap()
                .is_none(),
            "session_get: a session not seen since the idle cutoff is not found"
        );
        w.store
            .session_touch("session-a", now + Duration::minutes(10))
            .await
            .unwrap();
        assert!(
            w.store
                .session_get(
                    "session-a",
                    now + Duration::minutes(10),
                    now + Duration::minutes(5)
                )
                .await
                .unwrap()
                .is_some(),
            "session_touch: a touched session is seen after the old idle cutoff"
        );

        assert!(
            w.store
                .member_remove(&w.a.id, "alice@a.test")
                .await
                .unwrap(),
            "member_remove: removing a member answers true"
        );
        assert!(
            w.store
                .session_get("session-a", now, now - idle)
                .await
                .unwrap()
                .is_none(),
            "member_remove: the removed membership's sessions end"
        );
        assert!(
            w.store
                .session_get("session-b", now, now - idle)
                .await
                .unwrap()
                .is_some(),
            "member_remove: the user's sessions in other tenants stay"
        );
        assert!(
            w.store
                .member_by_email(&w.a.id, "alice@a.test")
                .await
                .unwrap()
                .is_none(),
            "member_remove: the membership is gone"
        );
        assert!(
            !w.store
                .member_remove(&w.a.id, "alice@a.test")
                .await
                .unwrap(),
            "member_remove: removing a non-member answers false"
        );
    }
);

both_databases!(
    sign_in_attempts_are_counted_within_their_window,
    |db: TestDb| async move {
        let store = open_store(&db).await;
        let now = time::now();
        let since = now - Duration::minutes(15);
        let limit = |subject: &str, max: i64| LoginLimit {
            subject: subject.into(),
            max,
        };

        let first = store
            .login_attempt_reserve(&[limit("account", 2)], since, now)
            .await
            .unwrap();
        let first = first.expect("login_attempt_reserve: below the limit, an attempt is recorded");
        assert_eq!(first.len(), 1, "login_attempt_reserve: one id per subject");
        assert!(
            store
                .login_attempt_reserve(&[limit("account", 2)], since, now)
                .await
                .unwrap()
                .is_some(),
            "login_attempt_reserve: the second of two allowed attempts is recorded"
        );
        assert!(
            store
                .login_attempt_reserve(&[limit("account", 2)], since, now)
                .await
                .unwrap()
                .is_none(),
            "login_attempt_reserve: at the limit, the attempt is refused"
        );
        store.login_attempt_release(&first).await.unwrap();
        assert!(
            store
                .login_attempt_reserve(&[limit("account", 2)], since, now)
                .await
                .unwrap()
                .is_some(),
            "login_attempt_release: a released attempt no longer counts"
        );
        assert!(
            store
                .login_attempt_reserve(&[limit("account", 2)], since, now)
                .await
                .unwrap()
                .is_none(),
            "login_attempt_reserve: back at the limit after the released slot is taken"
        );
        assert!(
            store
                .login_attempt_reserve(&[limit("account", 2)], now + Duration::seconds(1), now)
                .await
                .unwrap()
                .is_some(),
            "login_attempt_reserve: attempts before the window's start do not count"
        );

        let window = now + Duration::seconds(2);
        assert!(
            store
                .login_attempt_reserve(&[limit("single", 1)], since, window)
                .await
                .unwrap()
                .is_some(),
            "login_attempt_reserve: a fresh subject is below its limit"
        );

        // Two subjects: one at its limit refuses both and records neither.
        let both = [limit("single", 1), limit("address", 5)];
        assert!(
            store
                .login_attempt_reserve(&both, since, window)
                .await
                .unwrap()
                .is_none(),
            "login_attempt_reserve: one subject at its limit refuses the reservation"
        );
        assert!(
            store
                .login_attempt_reserve(&[limit("address", 1)], since, window)
                .await
                .unwrap()
                .is_some(),
            "login_attempt_reserve: a refused reservation records nothing for any subject"
        );

        store.login_failure_clear("single", since).await.unwrap();
        assert!(
            store
                .login_attempt_reserve(&[limit("single", 1)], since, window)
                .await
                .unwrap()
                .is_some(),
            "login_failure_clear: a cleared subject's failures no longer count"
        );
    }
);
