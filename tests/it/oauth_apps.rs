//! The operator's OAuth apps on the command line: `oauth set` (the client
//! secret from standard input, sealed with the key ring), `oauth list`
//! (never the secret; the redirect URI from the public URL), `oauth
//! remove`; refusals that write nothing; and the client secrets in `keys
//! rotate`, `keys verify` and the start-up key check. And what the
//! access token of an entry's `oauth` block means for a connector: X's
//! OAuth 2.0 tokens complete it without the OAuth 1.0a keys.

use crate::both_databases;
use crate::support::{OutputExt, TestApp, TestDb, assert_envelope, twitter};
use connectors::domain::catalog::Manifest;
use connectors::domain::secrets::{KeyRing, generate_key_line};
use connectors::service::oauth_apps::open_client_secret;
use connectors::storage::OAuthAppWrite;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

const SECRET: &str = "li-client-secret-canary-7Hq2";
const CALLBACK: &str = "https://connectors.example.com/features/connectors/oauth/callback";

fn set(db: &TestDb, keys: &str, key: &str, client_id: &str, secret: &str) -> std::process::Output {
    db.cli_with_stdin(
        &[
            "--encryption-keys",
            keys,
            "oauth",
            "set",
            key,
            "--client-id",
            client_id,
            "--client-secret-stdin",
        ],
        Some(&format!("{secret}\n")),
    )
}

fn list(db: &TestDb) -> std::process::Output {
    db.cli(&[
        "--encryption-keys",
        &db.keys,
        "--public-url",
        "https://connectors.example.com",
        "oauth",
        "list",
    ])
}

both_databases!(oauth_apps_set_list_remove, |db: TestDb| async move {
    let keys = db.keys.clone();
    let out = set(&db, &keys, "linkedin", "li-client-1", SECRET);
    out.assert_ok();
    assert!(
        out.stdout_text()
            .contains("set the OAuth app of 'linkedin' (client id li-client-1)"),
        "{}",
        out.stdout_text()
    );
    assert!(out.stderr_text().contains("CONNECTORS_PUBLIC_URL"));
    let out = set(&db, &keys, "linkedin", "li-client-2", SECRET);
    assert!(
        out.assert_ok()
            .stdout_text()
            .contains("replaced the OAuth app of 'linkedin'")
    );

    // Refusals: each one line, nothing written.
    set(&db, &keys, "wordpress", "wp", SECRET).assert_one_line_error("has no `oauth` block");
    set(&db, &keys, "nope", "x", SECRET).assert_one_line_error("no catalog entry with key 'nope'");
    set(&db, &keys, "linkedin", "has space", SECRET)
        .assert_one_line_error("printable ASCII characters without spaces");
    set(&db, &keys, "linkedin", "li-client-3", "")
        .assert_one_line_error("no client secret on standard input");
    let out = db.cli(&[
        "--encryption-keys",
        &keys,
        "oauth",
        "set",
        "linkedin",
        "--client-id",
        "li-client-3",
    ]);
    assert!(!out.status.success());
    assert!(
        out.stderr_text().contains("--client-secret-stdin"),
        "the secret is only read from standard input: {}",
        out.stderr_text()
    );

    let out = list(&db);
    let text = out.assert_ok().stdout_text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    let cols: Vec<&str> = lines[0].split('\t').collect();
    assert_eq!(
        (cols[0], cols[1], cols[3]),
        ("linkedin", "li-client-2", CALLBACK),
        "{text}"
    );
    assert!(!text.contains(SECRET) && !out.stderr_text().contains(SECRET));

    // At rest: an envelope under the configured key that opens to the
    // secret, bound to the key and client id; never the secret in clear.
    let store = db.open_store().await;
    let row = store.oauth_app_get("linkedin").await.unwrap().unwrap();
    assert!(!row.client_secret.contains(SECRET));
    let ring = KeyRing::parse(&keys).unwrap();
    assert_eq!(
        open_client_secret(&ring, &row).unwrap().expose_secret(),
        SECRET
    );
    let mut moved = row.clone();
    moved.client_id = "li-client-1".into();
    assert!(
        open_client_secret(&ring, &moved).is_err(),
        "the envelope opens only with its own client id"
    );

    db.cli(&["--encryption-keys", &keys, "oauth", "remove", "linkedin"])
        .assert_ok();
    assert!(list(&db).assert_ok().stdout_text().is_empty());
    db.cli(&["--encryption-keys", &keys, "oauth", "remove", "linkedin"])
        .assert_one_line_error("'linkedin' has no OAuth app");
});

both_databases!(
    keys_rotate_and_verify_cover_the_client_secrets,
    |db: TestDb| async move {
        let old = db.keys.clone();
        let new = generate_key_line();
        let new_id = new.split_once(':').unwrap().0.to_string();
        let old_id = old.split_once(':').unwrap().0.to_string();
        set(&db, &old, "linkedin", "li-client", SECRET).assert_ok();

        // Without the old key, the start-up check refuses.
        db.cli(&["--encryption-keys", &new, "keys", "verify"])
            .assert_one_line_error(&format!(
                "'{old_id}' protects the client secret of 1 OAuth app(s)"
            ));

        let both = format!("{new},{old}");
        let text = db
            .cli(&["--encryption-keys", &both, "keys", "rotate"])
            .assert_ok()
            .stdout_text();
        assert!(
            text.contains(&format!(
                "re-encrypted the client secret of 1 OAuth app(s) under key '{new_id}'"
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!("key {new_id}: 1 OAuth app(s)")),
            "{text}"
        );
        let again = db
            .cli(&["--encryption-keys", &both, "keys", "rotate"])
            .assert_ok()
            .stdout_text();
        assert!(
            again.contains("re-encrypted the client secret of 0 OAuth app(s)"),
            "{again}"
        );

        let text = db
            .cli(&["--encryption-keys", &new, "keys", "verify"])
            .assert_ok()
            .stdout_text();
        assert!(
            text.contains("checked 1 OAuth app(s): 1 open with the configured keys, 0 do not"),
            "{text}"
        );
        let store = db.open_store().await;
        let row = store.oauth_app_get("linkedin").await.unwrap().unwrap();
        let ring = KeyRing::parse(&new).unwrap();
        assert_eq!(
            open_client_secret(&ring, &row).unwrap().expose_secret(),
            SECRET
        );

        // An envelope moved onto another app's row does not open there.
        store
            .oauth_app_upsert(&OAuthAppWrite {
                catalog_key: "medium".into(),
                client_id: "li-client".into(),
                client_secret: row.client_secret.clone(),
                at: row.updated_at,
            })
            .await
            .unwrap();
        let out = db.cli(&["--encryption-keys", &new, "keys", "verify"]);
        assert!(!out.status.success());
        let text = out.stdout_text();
        assert!(text.contains("unreadable  oauth app medium"), "{text}");
        assert!(
            text.contains("checked 2 OAuth app(s): 1 open with the configured keys, 1 do not"),
            "{text}"
        );
        assert!(
            out.stderr_text()
                .contains("1 OAuth app(s) have a client secret that does not open"),
            "{}",
            out.stderr_text()
        );
    }
);

#[test]
fn the_built_in_linkedin_entry_connects_with_oauth() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog/linkedin.json"),
    )
    .unwrap();
    let m = Manifest::parse(
        &text,
        connectors::domain::catalog::Format::Json,
        "linkedin.json",
    )
    .unwrap();
    let oauth = m.oauth.expect("LinkedIn has an oauth block");
    assert_eq!(
        oauth.authorization_url,
        "https://www.linkedin.com/oauth/v2/authorization"
    );
    assert_eq!(
        oauth.token_url,
        "https://www.linkedin.com/oauth/v2/accessToken"
    );
    assert_eq!(
        oauth.revocation_url.as_deref(),
        Some("https://www.linkedin.com/oauth/v2/revoke")
    );
    assert_eq!(oauth.client_auth.as_str(), "client_secret_post");
    assert!(oauth.scopes.iter().any(|s| s == "w_member_social"));
    assert_eq!(oauth.tokens.access_token, "access_token");
    assert_eq!(oauth.tokens.refresh_token.as_deref(), Some("refresh_token"));
}

both_databases!(
    an_oauth_access_token_completes_a_connector,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let token = "bWRWa3gzdnk3WHRGU1o0bmRRcTJ5VUxWX1lZTDdJSUtmaWcx";
        let connected = app
            .create_id(
                &admin,
                &twitter("Connected", json!({"oauth2_access_token": token})),
            )
            .await;
        let res = app
            .patch(&admin, &connected, &json!({"status": "active"}))
            .await;
        assert_eq!(res.status(), 200, "the OAuth 2.0 token alone completes it");
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["status"], "active");
        assert_eq!(v["secrets"]["oauth2_access_token"]["set"], true);
        assert!(!v.to_string().contains(token));

        // The pasted alternative still needs all four OAuth 1.0a keys.
        let pasted = app
            .create_id(
                &admin,
                &twitter("Pasted", json!({"api_key": "AAAAAAAAAAAAAAAAAAAAAAAAA"})),
            )
            .await;
        let res = app
            .patch(&admin, &pasted, &json!({"status": "active"}))
            .await;
        let body = assert_envelope(res, 422, "validation_failed").await;
        assert_eq!(
            body["errors"]["auth.access_token_secret"],
            json!(["is required to activate the connector"])
        );
        assert!(body["errors"]["auth.oauth2_access_token"].is_null());
        app.stop().await;
    }
);
