//! Hostile input: malformed bodies and queries, and names built to break pages.

use crate::both_databases;
use crate::support::wordpress;
use crate::support::{TestApp, TestDb, assert_envelope};
use connectors::domain::identity::Role;
use serde_json::{Value, json};

both_databases!(
    hostile_bodies_and_queries_get_a_4xx_envelope,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let url = app.api("/connectors");
        let post_raw = |body: Vec<u8>| {
            app.http
                .post(&url)
                .bearer_auth(&admin.token)
                .header("content-type", "application/json")
                .body(body)
                .send()
        };
        // 10,000 levels of nesting.
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_envelope(
            post_raw(deep.into_bytes()).await.unwrap(),
            400,
            "bad_request",
        )
        .await;
        let deep_obj = format!(
            "{{\"catalog_key\":\"wordpress\",\"name\":\"x\",\"config\":{}1{}}}",
            "{\"a\":".repeat(5_000),
            "}".repeat(5_000)
        );
        let res = post_raw(deep_obj.into_bytes()).await.unwrap();
        assert!(res.status().is_client_error(), "{}", res.status());
        // Invalid UTF-8.
        let mut bad = b"{\"name\": \"".to_vec();
        bad.extend_from_slice(&[0xff, 0xfe, 0xfd]);
        bad.extend_from_slice(b"\"}");
        assert_envelope(post_raw(bad).await.unwrap(), 400, "bad_request").await;
        // A huge array of tags: within the body limit, refused by validation.
        let tags: Vec<String> = (0..5_000).map(|i| format!("t{i}")).collect();
        let mut body = wordpress("Tags");
        body["tags"] = json!(tags);
        let res = app.create(&admin, &body).await;
        let b = assert_envelope(res, 422, "validation_failed").await;
        assert!(b["errors"]["tags"].is_array());
        // Overlong names.
        let res = app.create(&admin, &wordpress(&"n".repeat(256))).await;
        let b = assert_envelope(res, 422, "validation_failed").await;
        assert_eq!(
            b["errors"]["name"],
            json!(["must be at most 255 characters"])
        );
        // Ids that are not UUIDs, on every route that takes one.
        for path in [
            "/connectors/1",
            "/connectors/..%2f..%2fetc",
            "/connectors/%00",
            "/connectors/%3Cscript%3E",
        ] {
            assert_envelope(app.send_get(&admin, path).await, 404, "not_found").await;
        }
        let res = app.delete(&admin, "/connectors/not-an-id").await;
        assert_envelope(res, 404, "not_found").await;
        // Unknown and malformed query parameters.
        for path in [
            "/installed?foo=1",
            "/publish-targets?x=y",
            "/audit?connector_id=nope",
            "/installed?limit=-1",
            "/installed?limit=99999999999999999999",
        ] {
            let res = app.send_get(&admin, path).await;
            assert!(res.status().is_client_error(), "{path}: {}", res.status());
            let v: Value = res.json().await.unwrap();
            assert!(v["error"].is_string(), "{path}");
        }
        // Bodies that are not objects.
        for body in [json!([1, 2]), json!("text"), json!(null), json!(42)] {
            let res = app.create(&admin, &body).await;
            assert!(res.status().is_client_error());
        }
        app.stop().await;
    }
);

both_databases!(
    hostile_names_render_inert_in_pages,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.actor("default", "admin@localhost", Role::Owner).await;
        let hostile = [
            "<script>alert(1)</script>",
            "\"><img src=x onerror=alert(1)>",
            "x\" hx-get=\"/logout\" hx-trigger=\"load",
            "javascript:alert(1)",
        ];
        for (i, name) in hostile.iter().enumerate() {
            let mut body = wordpress(name);
            body["config"]["username"] = json!(format!("u{i}"));
            body["tags"] = json!([name]);
            app.create_ok(&admin, &body).await;
        }
        // Sign in as the bootstrap owner and read the installed page.
        let owner = app
            .signed_in("admin@localhost", "bootstrap-password-1")
            .await;
        let html = owner
            .get(&app, "/features/connectors/installed")
            .await
            .text()
            .await
            .unwrap();
        assert!(!html.contains("<script>alert"));
        assert!(!html.contains("<img src=x"));
        assert!(!html.contains("hx-trigger=\"load"));
        assert!(
            html.contains("&#60;script&#62;alert(1)") || html.contains("&lt;script&gt;alert(1)")
        );
        assert!(
            html.contains("&#34;&#62;&#60;img") || html.contains("&quot;&gt;&lt;img"),
            "escaped"
        );
        assert!(
            html.contains("x&#34; hx-get=&#34;/logout")
                || html.contains("x&quot; hx-get=&quot;/logout")
        );
        // In a toast, through the HX-Trigger header: JSON, ASCII only.
        let id = app.first_installed_id(&admin).await;
        let res = owner
            .post_htmx(
                &app,
                &format!("/features/connectors/forms/{id}/status"),
                &[],
                &[("status", "active")],
            )
            .await;
        assert_eq!(res.status(), 200);
        let trigger = res.headers()["hx-trigger"].to_str().unwrap().to_string();
        let parsed: Value = serde_json::from_str(&trigger).unwrap();
        assert!(
            parsed["toast"]["message"]
                .as_str()
                .unwrap()
                .contains("<script>"),
            "kept as text for textContent"
        );
        app.stop().await;
    }
);
