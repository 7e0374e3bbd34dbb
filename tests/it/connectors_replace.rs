//! `PUT /connectors/{id}` replaces what a client sets, where `PATCH`
//! changes only what it names: the required fields, the secrets and status
//! message a replacement leaves out, and the version guard.

use crate::both_databases;
use crate::support::{TestApp, TestDb, assert_envelope, id_of, twitter};
use serde_json::{Value, json};

const KEY_1: &str = "AAAAAAAAAAAAAAAAAAAAAAAAA";
const KEY_2: &str = "BBBBBBBBBBBBBBBBBBBBBBBBB";
const SECRET: &str = "SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS";
const TOKEN: &str = "1234567890-TTTTTTTTTTTT";
const TOKEN_SECRET: &str = "UUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUU";

fn all_secrets() -> Value {
    json!({
        "api_key": KEY_1,
        "api_secret": SECRET,
        "access_token": TOKEN,
        "access_token_secret": TOKEN_SECRET
    })
}

both_databases!(put_replaces_the_whole_connector, |db: TestDb| async move {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let mut body = twitter("News", all_secrets());
    body["tags"] = json!(["news", "main"]);
    let c = app.create_ok(&admin, &body).await;
    let id = id_of(&c);

    // A replacement must name name, config, tags and status; nothing changes.
    let res = app
        .put(&admin, &id, &json!({"name": "Renamed", "version": 1}))
        .await;
    let err = assert_envelope(res, 422, "validation_failed").await;
    for f in ["config", "tags", "status"] {
        let msg = err["errors"][f][0].as_str().unwrap_or_default();
        assert!(msg.starts_with("is required"), "{f}: {msg}");
    }
    assert!(err["errors"].get("name").is_none());
    let now: Value = app.fetch(&admin, &id).await.json().await.unwrap();
    assert_eq!(now, c, "a refused replacement changes nothing");

    // Move it to error with a message, through PATCH.
    let res = app
        .patch(
            &admin,
            &id,
            &json!({"status": "error", "status_message": "rate limited"}),
        )
        .await;
    assert_eq!(res.status(), 200);

    // The replacement: one secret named (changed), the others cleared, the
    // status message left out (cleared), the tags replaced.
    let res = app
        .put_if(
            &admin,
            &id,
            &json!({
                "name": "News desk",
                "config": {"username": "acme_desk"},
                "tags": ["desk"],
                "status": "inactive",
                "auth": {"api_key": KEY_2}
            }),
            "\"2\"",
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["etag"], "\"3\"");
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["name"], "News desk");
    assert_eq!(r["config"], json!({"username": "acme_desk"}));
    assert_eq!(r["tags"], json!(["desk"]));
    assert_eq!(r["status"], "inactive");
    assert!(r["status_message"].is_null());
    assert_eq!(r["secrets"]["api_key"]["set"], true);
    for s in ["api_secret", "access_token", "access_token_secret"] {
        assert_eq!(r["secrets"][s], json!({"set": false}), "{s} cleared");
    }
    let reader = app.reader().await;
    let creds: Value = app.credentials(&reader, &id).await.json().await.unwrap();
    assert_eq!(creds, json!({"api_key": KEY_2}));

    // The audit event names each secret's change.
    let audit = app
        .get_json(&admin, &format!("/audit?connector_id={id}&limit=2"))
        .await;
    let replaced = &audit["items"][1];
    assert_eq!(replaced["action"], "connector.updated");
    assert_eq!(
        replaced["changes"]["secrets"],
        json!({"api_key": "changed", "api_secret": "cleared", "access_token": "cleared", "access_token_secret": "cleared"})
    );

    // PATCH, by contrast, keeps what it does not name.
    let res = app
        .patch(&admin, &id, &json!({"auth": {"api_secret": SECRET}}))
        .await;
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["secrets"]["api_key"]["set"], true);
    assert_eq!(p["secrets"]["api_secret"]["set"], true);
    assert_eq!(p["tags"], json!(["desk"]));
    assert_eq!(p["name"], "News desk");

    // A stale version is refused, and nothing changes.
    let res = app
        .put_if(
            &admin,
            &id,
            &json!({"name": "Late", "config": {"username": "late"}, "tags": [], "status": "inactive"}),
            "\"3\"",
        )
        .await;
    assert_envelope(res, 412, "precondition_failed").await;
    let now: Value = app.fetch(&admin, &id).await.json().await.unwrap();
    assert_eq!(now["name"], "News desk");
    app.stop().await;
});
