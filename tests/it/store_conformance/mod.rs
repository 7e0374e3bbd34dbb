//! The store's promises, written once against the `Store` trait and run on
//! both backends, below the service and without HTTP: a backend that
//! breaks one fails here first, with a message naming the promise.
//!
//! This module holds the shared world (two tenants, their admins, two
//! catalog entries) and the fixtures that call the store; each story has
//! its own file. The store's methods are called from the fixtures below
//! wherever a story does not exercise a call's own arguments.

mod migrations;
mod oauth_apps;
mod rotation_compare_and_swap;
mod sessions;
mod sign_in_throttle;
mod tenant_scoped_reads;
mod tenant_scoped_writes;
mod unique_names;
mod unreadable_secrets;
mod version_compare_and_swap;

use crate::support::TestDb;
use chrono::{DateTime, Utc};
use connectors::domain::identity::{Role, Tenant, User};
use connectors::domain::status::ConnectorStatus;
use connectors::domain::time;
use connectors::storage::{
    AuditRow, AuditWrite, CatalogWrite, ConnectorFilter, ConnectorInsert, ConnectorRow,
    ConnectorUpdate, DynStore, PublishTargetRow, SealedSecrets, SessionRow, SessionWrite,
    StoreError, UpdateOutcome,
};
use serde_json::{Value, json};

/// A fresh database, opened through `storage::open` and migrated.
async fn migrated_store(db: &TestDb) -> DynStore {
    let store = db.open_store().await;
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
    let store = migrated_store(db).await;
    let a = store.tenant_create("tenant-a", "Tenant A").await.unwrap();
    let b = store.tenant_create("tenant-b", "Tenant B").await.unwrap();
    let alice = add_member(&store, &a, "alice@a.test", "Alice", Role::Admin).await;
    add_member(&store, &b, "bob@b.test", "Bob", Role::Admin).await;
    for (key, publish) in [("conf-publisher", true), ("conf-plain", false)] {
        store
            .catalog_upsert(&catalog_entry(key, publish))
            .await
            .unwrap();
    }
    let publisher_id = catalog_id(&store, "conf-publisher").await;
    let plain_id = catalog_id(&store, "conf-plain").await;
    World {
        store,
        a,
        b,
        alice,
        publisher_id,
        plain_id,
    }
}

/// Makes `email` a member of `tenant` with `role` (no password).
async fn add_member(
    store: &DynStore,
    tenant: &Tenant,
    email: &str,
    name: &str,
    role: Role,
) -> User {
    store
        .member_upsert(&tenant.id, email, name, None, role)
        .await
        .unwrap()
        .user
}

async fn catalog_id(store: &DynStore, key: &str) -> String {
    store.catalog_get(key).await.unwrap().unwrap().id
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

/// The secret states every installed fixture connector starts with.
const STATES_1: &str = r#"{"token":"2026-01-01T00:00:00Z"}"#;

fn envelope(kid: &str, value: &str) -> String {
    json!({ "kid": kid, "v": 1, "ct": value }).to_string()
}

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

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).expect("stored JSON")
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

    /// The sealed secrets of `id` as `tenant` reads them for a use.
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

    /// Writes `update` as `tenant`, with its `connector.updated` event.
    async fn update(&self, tenant: &Tenant, update: &ConnectorUpdate) -> UpdateOutcome {
        self.store
            .connector_update(
                &tenant.id,
                update,
                &audit(update.id.as_str(), "connector.updated", time::now()),
            )
            .await
            .unwrap()
    }

    /// Deletes `id` as `tenant`, with its `connector.deleted` event.
    async fn delete(&self, tenant: &Tenant, id: &str) -> bool {
        self.store
            .connector_delete(
                &tenant.id,
                &id.into(),
                &audit(id, "connector.deleted", time::now()),
            )
            .await
            .unwrap()
    }

    async fn list(&self, tenant: &Tenant, filter: &ConnectorFilter) -> Vec<ConnectorRow> {
        self.store.connector_list(&tenant.id, filter).await.unwrap()
    }

    /// The first page of 50 of `tenant`'s connectors, unfiltered.
    async fn list_all(&self, tenant: &Tenant) -> Vec<ConnectorRow> {
        self.list(
            tenant,
            &ConnectorFilter {
                limit: 50,
                ..Default::default()
            },
        )
        .await
    }

    /// `tenant`'s publish targets among both catalog entries.
    async fn publish_targets(&self, tenant: &Tenant) -> Vec<PublishTargetRow> {
        let catalog_ids = vec![self.publisher_id.clone(), self.plain_id.clone()];
        self.store
            .publish_targets(&tenant.id, &catalog_ids, None, 50)
            .await
            .unwrap()
    }

    /// Records `action` on `connector_id` in `tenant`.
    async fn record(&self, tenant: &Tenant, connector_id: &str, action: &str) {
        self.store
            .audit_insert(&tenant.id, &audit(connector_id, action, time::now()))
            .await
            .unwrap();
    }

    /// The first 100 of `tenant`'s events, of one connector or of all.
    async fn audit_events(&self, tenant: &Tenant, connector_id: Option<&str>) -> Vec<AuditRow> {
        self.store
            .audit_list(&tenant.id, connector_id, None, 100)
            .await
            .unwrap()
    }

    async fn audit_count(&self, tenant: &Tenant, connector_id: Option<&str>) -> usize {
        self.audit_events(tenant, connector_id).await.len()
    }

    /// Opens a session of Alice's in `tenant`, seen at `now`, expiring at
    /// `expires_at`.
    async fn open_session(
        &self,
        id_hash: &str,
        tenant: &Tenant,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) {
        self.store
            .session_insert(&SessionWrite {
                id_hash: id_hash.into(),
                user_id: self.alice.id.clone(),
                tenant_id: tenant.id.clone(),
                now,
                expires_at,
            })
            .await
            .unwrap();
    }

    /// The session, if it is live at `now` and was seen after `idle_cutoff`.
    async fn session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
        idle_cutoff: DateTime<Utc>,
    ) -> Option<SessionRow> {
        self.store
            .session_get(id_hash, now, idle_cutoff)
            .await
            .unwrap()
    }

    async fn remove_member(&self, tenant: &Tenant, email: &str) -> bool {
        self.store.member_remove(&tenant.id, email).await.unwrap()
    }

    async fn is_member(&self, tenant: &Tenant, email: &str) -> bool {
        self.store
            .member_by_email(&tenant.id, email)
            .await
            .unwrap()
            .is_some()
    }
}

/// Every filter `connector_list` takes, each alone, named.
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
