//! Unique names: a second connector of the same name in one tenant is a
//! conflict that writes nothing; another tenant may use the name.

use super::world;
use crate::both_databases;
use crate::support::TestDb;
use connectors::storage::StoreError;

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
        let listed = w.list_all(&w.a).await;
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
