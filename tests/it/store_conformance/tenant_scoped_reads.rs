//! Tenant scoping of reads: another tenant's id never sees a connector,
//! in a read, a list under any filter, the publish targets or the audit
//! trail.

use super::{filters, world};
use crate::both_databases;
use crate::support::TestDb;
use connectors::storage::UpdateOutcome;

both_databases!(connector_reads_are_tenant_scoped, |db: TestDb| async move {
    let w = world(&db).await;
    let id = w.install(&w.a, &w.publisher_id, "Blog").await.unwrap();
    let row = w
        .get(&w.a, &id)
        .await
        .expect("the owner tenant reads its connector");
    let updated = w
        .update(&w.a, &w.update_of(&row, 1, "Blog", "active"))
        .await;
    assert!(
        matches!(updated, UpdateOutcome::Updated(_)),
        "the owner tenant activates its connector"
    );

    assert!(
        w.get(&w.b, &id).await.is_none(),
        "connector_get: another tenant's id never sees the row"
    );
    for (what, filter) in filters("conf-publisher") {
        let mine = w.list(&w.a, &filter).await;
        assert_eq!(
            mine.len(),
            1,
            "connector_list ({what}): the owner tenant sees its row"
        );
        let theirs = w.list(&w.b, &filter).await;
        assert!(
            theirs.is_empty(),
            "connector_list ({what}): another tenant never sees the row"
        );
    }
    let mine = w.publish_targets(&w.a).await;
    assert_eq!(
        mine.len(),
        1,
        "publish_targets: the owner tenant's active connector is a target"
    );
    let theirs = w.publish_targets(&w.b).await;
    assert!(
        theirs.is_empty(),
        "publish_targets: another tenant never sees the row"
    );
    assert!(
        w.audit_events(&w.b, None).await.is_empty(),
        "audit_list: another tenant never sees the owner's events"
    );
    assert!(
        w.audit_events(&w.b, Some(&id)).await.is_empty(),
        "audit_list by connector: another tenant never sees the owner's events"
    );
    assert_eq!(
        w.audit_count(&w.a, Some(&id)).await,
        2,
        "audit_list by connector: the owner sees the create and the update"
    );
});
