//! Tenant scoping of writes: another tenant's update and delete change
//! nothing and record nothing, and an audit event stays in the tenant it
//! was recorded in.

use super::world;
use crate::both_databases;
use crate::support::TestDb;
use connectors::storage::UpdateOutcome;

both_databases!(
    connector_writes_are_tenant_scoped,
    |db: TestDb| async move {
        let w = world(&db).await;
        let id = w.install(&w.a, &w.publisher_id, "Blog").await.unwrap();
        let before = w.get(&w.a, &id).await.unwrap();

        let outcome = w
            .update(&w.b, &w.update_of(&before, 1, "Taken over", "active"))
            .await;
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

        let deleted = w.delete(&w.b, &id).await;
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

        w.record(&w.b, &id, "connector.credentials_read").await;
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

        let deleted = w.delete(&w.a, &id).await;
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
