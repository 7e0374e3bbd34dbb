//! Rotation compare-and-swap: every tenant's envelopes not under the
//! primary key are listed, and one is replaced only over the stored one,
//! leaving the version alone.

use super::{envelope, json_of, world};
use crate::both_databases;
use crate::support::TestDb;

both_databases!(
    rotation_compares_and_swaps_the_envelope,
    |db: TestDb| async move {
        let w = world(&db).await;
        let id = w.install(&w.a, &w.publisher_id, "Blog").await.unwrap();
        let other = w.install(&w.b, &w.publisher_id, "Blog").await.unwrap();
        let old = envelope("k1", "sealed-1");
        let new = envelope("k2", "sealed-1-under-k2");
        let not_under_k2 = || async {
            w.store
                .secrets_not_under("k2", None, 10)
                .await
                .unwrap()
                .into_iter()
                .map(|s| s.id)
                .collect::<Vec<String>>()
        };

        let mut ids = not_under_k2().await;
        ids.sort_unstable();
        let mut expected = vec![id.clone(), other.clone()];
        expected.sort_unstable();
        assert_eq!(
            ids, expected,
            "secrets_not_under lists every tenant's envelopes not under the primary key"
        );

        assert!(
            w.store.secret_replace(&id, &old, &new).await.unwrap(),
            "secret_replace with the stored envelope replaces it"
        );
        assert!(
            !w.store
                .secret_replace(&id, &old, &envelope("k3", "x"))
                .await
                .unwrap(),
            "secret_replace with a stale old envelope answers false"
        );
        let row = w.get(&w.a, &id).await.unwrap();
        assert_eq!(
            json_of(&row.auth),
            json_of(&new),
            "secret_replace with a stale old envelope changes nothing"
        );
        assert_eq!(row.version, 1, "secret_replace leaves the version alone");
        assert_eq!(
            not_under_k2().await,
            vec![other.clone()],
            "secrets_not_under no longer lists a replaced envelope"
        );
    }
);
