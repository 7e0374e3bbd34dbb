//! A connector whose secrets failed to open moves to `error` once: only in
//! its own tenant, only over the envelope that failed, audited, and not
//! again while it stays so.

use super::{audit, envelope, world};
use crate::both_databases;
use crate::support::TestDb;
use connectors::domain::identity::Tenant;
use connectors::domain::time;

both_databases!(
    unreadable_secrets_move_a_connector_to_error_once,
    |db: TestDb| async move {
        let w = world(&db).await;
        let id = w.install(&w.a, &w.publisher_id, "Blog").await.unwrap();
        let cid = id.as_str().into();
        let stored = envelope("k1", "sealed-1");
        let event = || audit(&id, "connector.secrets_unreadable", time::now());
        let mark = |tenant: &Tenant, auth: String| {
            let (store, tenant_id, cid, event) =
                (w.store.clone(), tenant.id.clone(), &cid, event());
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
            (
                row.status.as_str(),
                row.status_message.as_deref(),
                row.version
            ),
            ("error", Some("cannot open"), 2),
            "connector_mark_unreadable moves the row to error with its message, as a new version"
        );
        assert!(
            !mark(&w.a, stored).await,
            "connector_mark_unreadable on a row already in error with that message changes nothing"
        );
        assert_eq!(
            (
                w.get(&w.a, &id).await.unwrap().version,
                w.audit_count(&w.a, Some(&id)).await
            ),
            (2, 2),
            "one audit event besides the creation, and no second version"
        );
    }
);
