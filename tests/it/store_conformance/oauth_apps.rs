//! OAuth apps: one per catalog key, created then replaced in place (its
//! creation time kept), listed by key, counted per key id, re-sealed only
//! over the stored envelope, and removed once.

use super::{envelope, migrated_store};
use crate::both_databases;
use crate::support::TestDb;
use chrono::Duration;
use connectors::domain::time;
use connectors::storage::OAuthAppWrite;

fn app(
    key: &str,
    client_id: &str,
    secret: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> OAuthAppWrite {
    OAuthAppWrite {
        catalog_key: key.into(),
        client_id: client_id.into(),
        client_secret: secret.into(),
        at,
    }
}

both_databases!(
    oauth_apps_are_one_per_catalog_key,
    |db: TestDb| async move {
        let store = migrated_store(&db).await;
        let t0 = time::now();
        let t1 = t0 + Duration::seconds(5);
        let first = envelope("k1", "sealed-1");
        assert!(
            store
                .oauth_app_upsert(&app("linkedin", "client-1", &first, t0))
                .await
                .unwrap(),
            "the first upsert of a key creates its app"
        );
        assert!(
            store
                .oauth_app_upsert(&app("b-entry", "client-b", &envelope("k2", "sealed-b"), t0))
                .await
                .unwrap()
        );
        let second = envelope("k1", "sealed-2");
        assert!(
            !store
                .oauth_app_upsert(&app("linkedin", "client-2", &second, t1))
                .await
                .unwrap(),
            "a second upsert of the same key replaces its app"
        );
        let got = store.oauth_app_get("linkedin").await.unwrap().unwrap();
        assert_eq!(
            (got.client_id.as_str(), got.created_at, got.updated_at),
            ("client-2", t0, t1),
            "a replacement keeps the creation time and sets the new client id and time"
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&got.client_secret).unwrap(),
            serde_json::from_str::<serde_json::Value>(&second).unwrap(),
            "the stored envelope is the one written"
        );
        assert!(store.oauth_app_get("nope").await.unwrap().is_none());
        let keys: Vec<String> = store
            .oauth_app_list()
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.catalog_key)
            .collect();
        assert_eq!(keys, ["b-entry", "linkedin"], "apps are listed by key");
        assert_eq!(
            store.oauth_app_key_usage().await.unwrap(),
            vec![("k1".to_string(), 1), ("k2".to_string(), 1)],
            "key usage counts the apps' envelopes per key id"
        );

        let rotated = envelope("k3", "sealed-2-under-k3");
        assert!(
            !store
                .oauth_app_reseal("linkedin", &first, &rotated)
                .await
                .unwrap(),
            "a reseal over an envelope that is no longer stored changes nothing"
        );
        assert!(
            store
                .oauth_app_reseal("linkedin", &got.client_secret, &rotated)
                .await
                .unwrap(),
            "a reseal over the stored envelope replaces it"
        );
        let after = store.oauth_app_get("linkedin").await.unwrap().unwrap();
        assert_eq!(after.updated_at, t1, "a reseal leaves the app's time alone");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&after.client_secret).unwrap(),
            serde_json::from_str::<serde_json::Value>(&rotated).unwrap()
        );

        assert!(store.oauth_app_remove("linkedin").await.unwrap());
        assert!(
            !store.oauth_app_remove("linkedin").await.unwrap(),
            "a second remove finds nothing"
        );
        assert!(store.oauth_app_get("linkedin").await.unwrap().is_none());
        assert_eq!(store.oauth_app_list().await.unwrap().len(), 1);
    }
);
