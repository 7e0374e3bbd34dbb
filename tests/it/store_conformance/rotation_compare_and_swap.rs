//! Rotation compare-and-swap: every tenant's envelopes that need sealing
//! again are listed (with their tenant and states), and one is replaced,
//! with its states, only over the stored one, leaving the version alone.

use super::{STATES_1, envelope, json_of, world};
use crate::both_databases;
use crate::support::TestDb;
use connectors::storage::SecretFilter;

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
            (
                mine.tenant_id.as_str(),
                json_of(&mine.auth),
                mine.states.as_deref()
            ),
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
