//! The sign-in throttle: attempts count within their window, up to each
//! subject's limit; a released attempt or a cleared subject no longer
//! counts, and a refused reservation records nothing.

use super::migrated_store;
use crate::both_databases;
use crate::support::TestDb;
use chrono::{DateTime, Duration, Utc};
use connectors::domain::time;
use connectors::storage::{DynStore, LoginLimit};

/// At most `max` attempts for `subject`.
fn limit(subject: &str, max: i64) -> LoginLimit {
    LoginLimit {
        subject: subject.into(),
        max,
    }
}

/// Reserves an attempt at `now` for each of `limits`, counting those after
/// `since`: the recorded ids, or `None` when refused.
async fn reserve(
    store: &DynStore,
    limits: &[LoginLimit],
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<Vec<i64>> {
    store
        .login_attempt_reserve(limits, since, now)
        .await
        .unwrap()
}

both_databases!(
    sign_in_attempts_are_counted_within_their_window,
    |db: TestDb| async move {
        let store = migrated_store(&db).await;
        let now = time::now();
        let since = now - Duration::minutes(15);
        let account = [limit("account", 2)];

        let first = reserve(&store, &account, since, now).await;
        let first = first.expect("login_attempt_reserve: below the limit, an attempt is recorded");
        assert_eq!(first.len(), 1, "login_attempt_reserve: one id per subject");
        assert!(
            reserve(&store, &account, since, now).await.is_some(),
            "login_attempt_reserve: the second of two allowed attempts is recorded"
        );
        assert!(
            reserve(&store, &account, since, now).await.is_none(),
            "login_attempt_reserve: at the limit, the attempt is refused"
        );
        store.login_attempt_release(&first).await.unwrap();
        assert!(
            reserve(&store, &account, since, now).await.is_some(),
            "login_attempt_release: a released attempt no longer counts"
        );
        assert!(
            reserve(&store, &account, since, now).await.is_none(),
            "login_attempt_reserve: back at the limit after the released slot is taken"
        );
        assert!(
            reserve(&store, &account, now + Duration::seconds(1), now)
                .await
                .is_some(),
            "login_attempt_reserve: attempts before the window's start do not count"
        );

        let window = now + Duration::seconds(2);
        assert!(
            reserve(&store, &[limit("single", 1)], since, window)
                .await
                .is_some(),
            "login_attempt_reserve: a fresh subject is below its limit"
        );

        // Two subjects: one at its limit refuses both and records neither.
        let both = [limit("single", 1), limit("address", 5)];
        assert!(
            reserve(&store, &both, since, window).await.is_none(),
            "login_attempt_reserve: one subject at its limit refuses the reservation"
        );
        assert!(
            reserve(&store, &[limit("address", 1)], since, window)
                .await
                .is_some(),
            "login_attempt_reserve: a refused reservation records nothing for any subject"
        );

        store.login_failure_clear("single", since).await.unwrap();
        assert!(
            reserve(&store, &[limit("single", 1)], since, window)
                .await
                .is_some(),
            "login_failure_clear: a cleared subject's failures no longer count"
        );
    }
);
