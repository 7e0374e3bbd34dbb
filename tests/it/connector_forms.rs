//! The Add and Configure dialogs' answers, through HTTP on both databases:
//! a failed save's summary and errors (never a secret), "Test connection"
//! on unsaved and proposed values, the add toast that says what is left to
//! do, "Save and activate" refused in words, and removing an optional
//! secret.

use crate::both_databases;
use crate::support::{TestApp, TestDb};
use connectors::domain::identity::Role;
use serde_json::{Value, json};

const KEY: &str = "AAAAAAAAAAAAAAAAAAAAAAAAA";
const SECRET: &str = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
const TOKEN: &str = "1234567890-CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC";
const TOKEN_SECRET: &str = "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD";

fn twitter_fields(handle: &str) -> Vec<(&'static str, String)> {
    vec![
        ("name", "News account".to_string()),
        ("config.username", handle.to_string()),
        ("config.reply_settings", "everyone".to_string()),
        ("auth.api_key", KEY.to_string()),
        ("auth.api_secret", SECRET.to_string()),
        ("auth.access_token", TOKEN.to_string()),
        ("auth.access_token_secret", TOKEN_SECRET.to_string()),
    ]
}

/// The message of a saved form's `connectors:saved` event.
fn toast_of(res: &reqwest::Response) -> String {
    let trigger: Value = res
        .headers()
        .get("hx-trigger")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| serde_json::from_str(v).ok())
        .unwrap_or_default();
    trigger["connectors:saved"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

both_databases!(
    a_failed_save_lists_its_errors_once_and_sends_no_secret_back,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let ann = app
            .signed_in_user("acme", "ann@acme.test", Role::Admin, "ann password")
            .await;
        let mut fields = twitter_fields("not a handle!");
        fields.push(("config.append_hashtags", "ok\n#bad".to_string()));
        let res = ann
            .post_htmx(&app, "/features/connectors/forms/new/twitter", &[], &fields)
            .await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        for secret in [KEY, SECRET, TOKEN, TOKEN_SECRET] {
            assert!(!html.contains(secret), "a secret came back: {html}");
        }
        assert!(html.contains("Not saved: 2 problems to fix"), "{html}");
        assert!(
            html.contains(r##"<a href="#f-config-username" data-focus-field="f-config-username">Account handle: must be 1 to 15 letters, digits or underscores, without the leading @</a>"##),
            "{html}"
        );
        // A list's item is named by its line, next to the list.
        assert!(
            html.contains("Line 2: must be a single word without the leading # and without spaces"),
            "{html}"
        );
        assert!(!html.contains("append_hashtags.1"), "no raw path: {html}");
        // One message for the handle, and its help line not repeated.
        assert_eq!(
            html.matches("must be 1 to 15 letters, digits or underscores")
                .count(),
            2,
            "once in the summary, once under the field: {html}"
        );
        assert!(!html.contains("f-config-username-pattern"), "{html}");
        // Labels, not raw values; no blank choice where a default exists.
        assert!(html.contains(r#"<option value="mentionedUsers">Mentioned accounts</option>"#));
        assert!(!html.contains(">—</option>"), "{html}");
        app.stop().await;
    }
);

both_databases!(
    the_add_toast_says_what_is_left_and_test_connection_checks_unsaved_values,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let ann = app
            .signed_in_user("acme", "ann@acme.test", Role::Admin, "ann password")
            .await;
        // Checked without saving: the stand-in accepts every key.
        let res = ann
            .post_htmx(
                &app,
                "/features/connectors/forms/new/twitter/check",
                &[],
                &twitter_fields("acme_news"),
            )
            .await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(html.contains("Connected as acme_news."), "{html}");
        let admin = app.admin().await;
        let list = app.get_json(&admin, "/installed").await;
        assert_eq!(
            list["items"].as_array().map(Vec::len),
            Some(0),
            "nothing saved: {list}"
        );
        // Missing values are said in words, not checked.
        let res = ann
            .post_htmx(
                &app,
                "/features/connectors/forms/new/medium/check",
                &[],
                &[("name", "Stories")],
            )
            .await;
        let html = res.text().await.unwrap();
        assert!(html.contains("Not tested: fix these first."), "{html}");
        assert!(
            html.contains("Add the integration token to test the connection."),
            "{html}"
        );

        // Saved without its token: the toast says where it is and what is left.
        let res = ann
            .post_htmx(
                &app,
                "/features/connectors/forms/new/medium",
                &[],
                &[("name", "Stories")],
            )
            .await;
        assert_eq!(res.status(), 200);
        let trigger = toast_of(&res);
        assert!(
            trigger.contains("Added “Stories”. It is on the Installed tab, inactive: add the integration token to activate it."),
            "{trigger}"
        );
        let id = app.first_installed_id(&admin).await;

        // "Save and activate" without the token: refused in words, in the dialog.
        let res = ann
            .post_htmx(
                &app,
                &format!("/features/connectors/forms/{id}/edit"),
                &[],
                &[("name", "Stories"), ("version", "1"), ("_status", "active")],
            )
            .await;
        let html = res.text().await.unwrap();
        assert!(
            html.contains("Add the integration token to activate."),
            "{html}"
        );
        assert!(html.contains("Save and activate"), "{html}");
        assert!(!html.contains("auth.integration_token is"), "{html}");
        let now: Value = app.fetch(&admin, &id).await.json().await.unwrap();
        assert_eq!(now["status"], "inactive");

        // With the token: checked on the proposed values, then activated.
        let token = "abcdefghijklmnopqrstuvwxyz0123456789";
        let res = ann
            .post_htmx(
                &app,
                &format!("/features/connectors/forms/{id}/edit/check"),
                &[],
                &[("name", "Stories"), ("auth.integration_token", token)],
            )
            .await;
        let html = res.text().await.unwrap();
        assert!(html.contains("Connected as"), "{html}");
        let res = ann
            .post_htmx(
                &app,
                &format!("/features/connectors/forms/{id}/edit"),
                &[],
                &[
                    ("name", "Stories"),
                    ("version", "1"),
                    ("auth.integration_token", token),
                    ("_status", "active"),
                ],
            )
            .await;
        assert!(
            toast_of(&res).contains("Saved and activated “Stories”."),
            "{}",
            toast_of(&res)
        );
        let now: Value = app.fetch(&admin, &id).await.json().await.unwrap();
        assert_eq!(now["status"], "active");
        app.stop().await;
    }
);

both_databases!(
    an_optional_secret_can_be_removed_from_the_configure_dialog,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let ann = app
            .signed_in_user("acme", "ann@acme.test", Role::Admin, "ann password")
            .await;
        let admin = app.admin().await;
        let id = app
            .create_id(
                &admin,
                &json!({"catalog_key": "linkedin", "name": "Page",
                    "config": {"author": {"type": "person", "urn": "urn:li:person:a1"}},
                    "auth": {"access_token": "t".repeat(24), "refresh_token": "r".repeat(24)}}),
            )
            .await;
        let edit = format!("/features/connectors/forms/{id}/edit");
        let html = ann.get(&app, &edit).await.text().await.unwrap();
        assert!(
            html.contains(r#"data-remove-secret="f-auth-refresh_token""#),
            "{html}"
        );
        assert!(
            !html.contains(r#"data-remove-secret="f-auth-access_token""#),
            "{html}"
        );
        assert!(html.contains("Save and activate"), "{html}");
        let res = ann
            .post_htmx(
                &app,
                &edit,
                &[],
                &[
                    ("name", "Page"),
                    ("version", "1"),
                    ("config.author.type", "person"),
                    ("config.author.urn", "urn:li:person:a1"),
                    ("_clear", "auth.refresh_token"),
                    // Not a secret of the entry: ignored.
                    ("_clear", "auth.nothing"),
                ],
            )
            .await;
        assert!(
            toast_of(&res).contains("Saved “Page”."),
            "{}",
            toast_of(&res)
        );
        let now: Value = app.fetch(&admin, &id).await.json().await.unwrap();
        assert_eq!(now["secrets"]["refresh_token"]["set"], false, "{now}");
        assert_eq!(now["secrets"]["access_token"]["set"], true, "{now}");
        app.stop().await;
    }
);
