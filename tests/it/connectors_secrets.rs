//! Connector secrets through HTTP: replace, clear and keep, and a resent
//! secret that looks like a changed one.

use crate::both_databases;
use crate::support::{APP_PASSWORD, Actor, TestApp, TestDb, assert_envelope, twitter, wordpress};
use serde_json::{Value, json};

both_databases!(
    secret_writes_replace_clear_and_keep,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let reader = app.reader().await;
        let secrets = json!({
            "api_key": "AAAAAAAAAAAAAAAAAAAAAAAAA",
            "api_secret": "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
            "access_token": "1234567890-CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC",
            "access_token_secret": "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD",
            "bearer_token": "EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE"
        });
        let id = app.create_id(&admin, &twitter("X", secrets.clone())).await;
        let creds: Value = app.credentials(&reader, &id).await.json().await.unwrap();
        assert_eq!(creds, secrets);

        // Replace one, clear one, keep the rest.
        let res = app
            .patch(
                &admin,
                &id,
                &json!({"auth": {"api_key": "ZZZZZZZZZZZZZZZZZZZZZZZZZ", "bearer_token": null}}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["secrets"]["bearer_token"], json!({"set": false}));
        assert_eq!(v["secrets"]["api_key"]["set"], true);
        assert!(!v.to_string().contains("ZZZZ"));
        let creds: Value = app.credentials(&reader, &id).await.json().await.unwrap();
        let mut expected = secrets.clone();
        expected["api_key"] = json!("ZZZZZZZZZZZZZZZZZZZZZZZZZ");
        expected.as_object_mut().unwrap().remove("bearer_token");
        assert_eq!(creds, expected);

        // A mask is never stored.
        for mask in ["********", "••••••"] {
            let res = app
                .patch(&admin, &id, &json!({"auth": {"api_secret": mask}}))
                .await;
            let body = assert_envelope(res, 422, "validation_failed").await;
            assert!(
                body["errors"]["auth.api_secret"][0]
                    .as_str()
                    .unwrap()
                    .contains("masked")
            );
        }
        let creds: Value = app.credentials(&reader, &id).await.json().await.unwrap();
        assert_eq!(creds, expected);

        // Ordinary tokens (even an admin's) cannot read credentials.
        let res = app.credentials(&admin, &id).await;
        assert_envelope(res, 403, "forbidden").await;
        app.stop().await;
    }
);

both_databases!(
    resending_a_secret_looks_like_changing_it,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let id = app.create_id(&admin, &wordpress("Guess")).await;

        // What one secret write shows: the answer, the version, the
        // secret's time and the audit event it leaves.
        async fn effects(app: &TestApp, who: &Actor, id: &str, value: &str) -> Value {
            let before: Value = app.fetch(who, id).await.json().await.unwrap();
            let res = app
                .patch(who, id, &json!({"auth": {"application_password": value}}))
                .await;
            let status = res.status().as_u16();
            let after: Value = res.json().await.unwrap();
            let audit = app
                .get_json(who, &format!("/audit?connector_id={id}&limit=1"))
                .await;
            let event = &audit["items"][0];
            let secret_at = |v: &Value| v["secrets"]["application_password"]["updated_at"].clone();
            json!({
                "status": status,
                "version_step": after["version"].as_i64().unwrap() - before["version"].as_i64().unwrap(),
                "updated_at_moved": after["updated_at"] != before["updated_at"],
                "secret_updated_at_moved": secret_at(&after) != secret_at(&before),
                "set": after["secrets"]["application_password"]["set"],
                "action": event["action"],
                "changes": event["changes"],
                "audited_now": event["created_at"].as_str() > before["updated_at"].as_str(),
            })
        }

        let same = effects(&app, &admin, &id, APP_PASSWORD).await;
        let other = effects(&app, &admin, &id, "wxyz WXYZ wxyz WXYZ wxyz WXYZ").await;
        assert_eq!(same, other, "re-sending the stored value vs a new one");
        assert_eq!(other["status"], 200);
        assert_eq!(other["version_step"], 1);
        assert_eq!(other["secret_updated_at_moved"], true);
        assert_eq!(other["action"], "connector.secrets_changed");
        assert_eq!(
            other["changes"]["secrets"],
            json!({"application_password": "changed"})
        );
        app.stop().await;
    }
);
