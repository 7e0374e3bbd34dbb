//! Sessions: a session ends at its expiry, at the idle cutoff unless
//! touched, and when its membership is removed (in that tenant only).

use super::{add_member, world};
use crate::both_databases;
use crate::support::TestDb;
use chrono::Duration;
use connectors::domain::identity::Role;
use connectors::domain::time;

both_databases!(
    sessions_end_at_expiry_idle_cutoff_and_membership_removal,
    |db: TestDb| async move {
        let w = world(&db).await;
        // Alice also belongs to tenant B, with a session there.
        add_member(&w.store, &w.b, "alice@a.test", "Alice", Role::Member).await;
        let now = time::now();
        for (hash, tenant) in [("session-a", &w.a), ("session-b", &w.b)] {
            w.open_session(hash, tenant, now, now + Duration::hours(1))
                .await;
        }
        let idle = Duration::minutes(30);
        let live = w.session("session-a", now, now - idle).await;
        let live = live.expect("session_get: a live session is found");
        assert_eq!(
            (live.principal.tenant_id.as_str(), live.principal.role),
            (w.a.id.as_str(), Role::Admin),
            "session_get: the principal is the session's tenant and role"
        );
        let later = now + Duration::hours(2);
        assert!(
            w.session("session-a", later, later - Duration::hours(3))
                .await
                .is_none(),
            "session_get: a session past expires_at is not found, however recently seen"
        );
        assert!(
            w.session("session-a", now, now + Duration::seconds(1))
                .await
                .is_none(),
            "session_get: a session not seen since the idle cutoff is not found"
        );
        w.store
            .session_touch("session-a", now + Duration::minutes(10))
            .await
            .unwrap();
        assert!(
            w.session(
                "session-a",
                now + Duration::minutes(10),
                now + Duration::minutes(5)
            )
            .await
            .is_some(),
            "session_touch: a touched session is seen after the old idle cutoff"
        );

        assert!(
            w.remove_member(&w.a, "alice@a.test").await,
            "member_remove: removing a member answers true"
        );
        assert!(
            w.session("session-a", now, now - idle).await.is_none(),
            "member_remove: the removed membership's sessions end"
        );
        assert!(
            w.session("session-b", now, now - idle).await.is_some(),
            "member_remove: the user's sessions in other tenants stay"
        );
        assert!(
            !w.is_member(&w.a, "alice@a.test").await,
            "member_remove: the membership is gone"
        );
        assert!(
            !w.remove_member(&w.a, "alice@a.test").await,
            "member_remove: removing a non-member answers false"
        );
    }
);
