//! Publish targets by capability, their paging, and the audit trail of
//! connector changes.

use crate::both_databases;
use crate::support::{Actor, TestApp, TestDb, assert_envelope, wordpress};
use serde_json::{Value, json};

both_databases!(publish_targets_and_audit, |db: TestDb| async move {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let member = app.member().await;
    let reader = app.reader().await;
    let wp_id = app.create_id(&admin, &wordpress("WP")).await;
    let idle = app.create_id(&admin, &wordpress("Idle")).await;
    let res = app
        .patch(&admin, &wp_id, &json!({"status": "active"}))
        .await;
    assert_eq!(res.status(), 200);

    let targets = app.get_json(&member, "/publish-targets").await;
    let items = targets["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], wp_id.as_str());
    assert_eq!(items[0]["name"], "WP");
    assert_eq!(items[0]["catalog_key"], "wordpress");
    assert_eq!(items[0]["capabilities"]["publish"], true);
    assert_eq!(items[0].as_object().unwrap().len(), 4);
    let none = app
        .get_json(&member, "/publish-targets?capability=no_such_capability")
        .await;
    assert_eq!(none["items"], json!([]));
    let some = app
        .get_json(&member, "/publish-targets?capability=publish")
        .await;
    assert_eq!(some["items"].as_array().unwrap().len(), 1);

    app.patch(
        &admin,
        &wp_id,
        &json!({"auth": {"application_password": "wxyz WXYZ wxyz WXYZ wxyz WXYZ"}}),
    )
    .await;
    app.credentials(&reader, &wp_id).await;
    let del = app.delete(&admin, &format!("/connectors/{idle}")).await;
    assert_eq!(del.status(), 204);

    let audit = app
        .get_json(&admin, &format!("/audit?connector_id={wp_id}"))
        .await;
    let events = audit["items"].as_array().unwrap();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "connector.credentials_read",
            "connector.secrets_changed",
            "connector.checked",
            "connector.status_changed",
            "connector.created"
        ]
    );
    assert_eq!(events[2]["changes"]["trigger"], "activation");
    assert_eq!(events[2]["changes"]["code"], "ok");
    assert_eq!(
        events[1]["changes"]["secrets"],
        json!({"application_password": "changed"})
    );
    assert_eq!(
        events[3]["changes"]["status"],
        json!({"from": "inactive", "to": "active"})
    );
    assert_eq!(
        events[4]["changes"]["secrets"],
        json!({"application_password": "set"})
    );
    assert_eq!(events[4]["actor_name"], "admin");
    assert!(!audit.to_string().contains("wxyz") && !audit.to_string().contains("EFGH"));
    let all = app.get_json(&admin, "/audit?limit=2").await;
    assert_eq!(all["items"][0]["action"], "connector.deleted");
    assert!(all["next_cursor"].is_string());
    app.stop().await;
});

/// A minimal manifest with these capabilities and one required secret.
fn manifest_with_capabilities(key: &str, capabilities: Value) -> String {
    json!({
        "key": key,
        "name": key,
        "category": "test",
        "auth_type": "api_key",
        "capabilities": capabilities,
        "default_config_schema": {"type": "object", "properties": {"note": {"type": "string"}}},
        "auth_schema": {
            "type": "object",
            "properties": {"token": {"type": "string"}},
            "required": ["token"]
        }
    })
    .to_string()
}

impl TestApp {
    /// Every id of a publish-targets listing, a page of `limit` at a time;
    /// checks that every page but the last is full.
    async fn publish_target_ids(&self, who: &Actor, query: &str, limit: usize) -> Vec<String> {
        let mut ids = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..100 {
            let mut path = format!("/publish-targets?limit={limit}{query}");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let res = self.send_get(who, &path).await;
            assert_eq!(res.status(), 200, "{path}");
            let page: Value = res.json().await.unwrap();
            let items = page["items"].as_array().unwrap();
            for item in items {
                assert_eq!(item.as_object().unwrap().len(), 4, "{item}");
                assert_eq!(item["capabilities"]["publish"], true, "{item}");
                ids.push(item["id"].as_str().unwrap().to_string());
            }
            match page["next_cursor"].as_str() {
                Some(c) => {
                    assert_eq!(items.len(), limit, "a page before the last is full");
                    cursor = Some(c.to_string());
                }
                None => return ids,
            }
        }
        panic!("publish targets did not end");
    }
}

both_databases!(
    publish_targets_page_like_other_lists,
    |db: TestDb| async move {
        use crate::support::{OutputExt, write_file};
        let dir = db.data_dir().to_path_buf();
        let video = write_file(
            &dir,
            "video.json",
            &manifest_with_capabilities("videos", json!({"publish": true, "video": true})),
        );
        let nopub = write_file(
            &dir,
            "nopub.json",
            &manifest_with_capabilities("archive", json!({"publish": false, "video": true})),
        );
        db.cli(&[
            "catalog",
            "import",
            video.to_str().unwrap(),
            nopub.to_str().unwrap(),
        ])
        .assert_ok();
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let member = app.member().await;

        // Creates the connector `body` describes and activates it.
        let activate = |body: Value| {
            let (app, admin) = (&app, &admin);
            async move {
                let id = app.create_id(admin, &body).await;
                let res = app.patch(admin, &id, &json!({"status": "active"})).await;
                assert_eq!(res.status(), 200);
                id
            }
        };
        let other = |key: &str, name: String| json!({"catalog_key": key, "name": name, "config": {}, "auth": {"token": "t0ken"}});
        // 120 active targets in creation (id) order, every sixth a video one;
        // around them inactive ones and active ones that cannot publish.
        let (mut all, mut videos) = (Vec::new(), Vec::new());
        for i in 0..120 {
            if i % 6 == 0 {
                let id = activate(other("videos", format!("V{i}"))).await;
                videos.push(id.clone());
                all.push(id);
            } else {
                all.push(activate(wordpress(&format!("W{i}"))).await);
            }
            if i % 20 == 0 {
                app.create_ok(&admin, &wordpress(&format!("Idle {i}")))
                    .await;
                activate(other("archive", format!("A{i}"))).await;
            }
        }
        assert_eq!(videos.len(), 20);

        let listed = app.publish_target_ids(&member, "", 50).await;
        assert_eq!(listed, all, "every active target once, in id order");
        let listed = app
            .publish_target_ids(&member, "&capability=video", 7)
            .await;
        assert_eq!(listed, videos, "the capability filter pages correctly");
        assert!(
            app.publish_target_ids(&member, "&capability=no_such", 50)
                .await
                .is_empty()
        );
        // The default page is 50.
        let page = app.get_json(&member, "/publish-targets").await;
        assert_eq!(page["items"].as_array().unwrap().len(), 50);
        assert!(page["next_cursor"].is_string());

        for bad in ["limit=201", "limit=0", "cursor=not-a-cursor"] {
            let res = app
                .send_get(&member, &format!("/publish-targets?{bad}"))
                .await;
            assert_envelope(res, 422, "validation_failed").await;
        }
        app.stop().await;
    }
);
