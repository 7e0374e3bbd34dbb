//! Secret states beside the ciphertext: reads never open a ciphertext; a
//! ciphertext that does not open (moved from another row, or with changed
//! states beside it) is found on its first use and the connector stays
//! `error` from then on while the rest of the list works; `keys verify`
//! reports such rows and changes nothing; rows sealed before the states
//! were stored are backfilled by `migrate` and by a serving process.

use crate::both_databases;
use crate::support::{APP_PASSWORD, OutputExt, TestApp, TestDb, twitter, wordpress};
use connectors::domain::identity::Role;
use connectors::domain::secrets::{KeyRing, connector_aad};
use connectors::storage::{DynStore, SealedSecrets};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn sealed(store: &DynStore, id: &str) -> SealedSecrets {
    let tenant = store.tenant_by_slug("acme").await.unwrap().unwrap();
    store
        .connector_sealed(&tenant.id, &id.into())
        .await
        .unwrap()
        .expect("the connector exists")
}

/// Stores `auth` and `states` on `id` over its current envelope.
async fn overwrite(store: &DynStore, id: &str, auth: &str, states: &str) {
    let current = sealed(store, id).await;
    assert!(
        store
            .secret_reseal(&id.into(), &current.auth, auth, states)
            .await
            .unwrap(),
        "the envelope of {id} is replaced"
    );
}

/// Copies `from`'s ciphertext and states onto `to`: bound to `from`'s row,
/// they must not open on `to`.
async fn move_ciphertext(store: &DynStore, from: &str, to: &str) {
    let source = sealed(store, from).await;
    overwrite(store, to, &source.auth, source.states.as_deref().unwrap()).await;
}

fn item<'a>(list: &'a Value, id: &str) -> &'a Value {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("{id} is listed"))
}

fn decryptions(app: &TestApp) -> u64 {
    app.keys.as_ref().expect("a spawned app").decryptions()
}

both_databases!(reads_never_open_a_ciphertext, |db: TestDb| async move {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let reader = app.reader().await;
    let browser = app
        .signed_in_user("acme", "page@acme.test", Role::Admin, "page password 12345")
        .await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            app.create_id(&admin, &wordpress(&format!("Blog {i}")))
                .await,
        );
    }
    let res = app
        .patch(&admin, &ids[0], &json!({"status": "active"}))
        .await;
    assert_eq!(res.status(), 200, "activation opens the secrets once");

    let before = decryptions(&app);
    let list = app.get_json(&admin, "/installed").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    assert_eq!(
        item(&list, &ids[1])["secrets"]["application_password"]["set"],
        true,
        "the list shows the states"
    );
    assert_eq!(app.fetch(&admin, &ids[2]).await.status(), 200);
    let targets = app.get_json(&admin, "/publish-targets").await;
    assert_eq!(targets["items"].as_array().unwrap().len(), 1);
    for path in [
        "/features/connectors/installed".to_string(),
        format!("/features/connectors/forms/{}/edit", ids[1]),
    ] {
        let res = app.page(&browser.cookie, &path).await;
        assert_eq!(res.status(), 200, "{path}");
    }
    assert_eq!(
        decryptions(&app),
        before,
        "no list, GET, publish-target or page read opened a ciphertext"
    );

    assert_eq!(app.credentials(&reader, &ids[1]).await.status(), 200);
    assert_eq!(
        decryptions(&app),
        before + 1,
        "the credentials read opens exactly one"
    );
    app.stop().await;
});

both_databases!(
    a_moved_ciphertext_is_found_on_first_use_and_stays_error,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let reader = app.reader().await;
        let a = app.create_id(&admin, &wordpress("A")).await;
        let b = app.create_id(&admin, &wordpress("B")).await;
        move_ciphertext(&app.store, &a, &b).await;

        // Reads do not open it, so nothing is found yet.
        let list = app.get_json(&admin, "/installed").await;
        assert_eq!(item(&list, &b)["status"], "inactive");

        // The first use finds it: refused, and B moves to error for good.
        assert_eq!(app.credentials(&reader, &b).await.status(), 409);
        let list = app.get_json(&admin, "/installed").await;
        assert_eq!(list["items"].as_array().unwrap().len(), 2);
        let bad = item(&list, &b);
        assert_eq!(bad["status"], "error");
        assert!(
            bad["status_message"]
                .as_str()
                .unwrap()
                .contains("could not be decrypted"),
            "{bad}"
        );
        assert_eq!(bad["version"], 2, "moving to error is a change");
        assert_eq!(item(&list, &a)["status"], "inactive");
        assert_eq!(app.credentials(&reader, &a).await.status(), 200);

        let one: Value = app.fetch(&admin, &b).await.json().await.unwrap();
        assert_eq!(one["status"], "error", "GET shows it too");
        let events = app
            .get_json(&admin, &format!("/audit?connector_id={b}"))
            .await;
        let actions: Vec<&str> = events["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert!(
            actions.contains(&"connector.secrets_unreadable"),
            "{actions:?}"
        );

        // Other updates still work, and the connector stays in error.
        let res = app.patch(&admin, &b, &json!({"name": "B renamed"})).await;
        assert_eq!(res.status(), 200);
        let renamed: Value = res.json().await.unwrap();
        assert_eq!(renamed["status"], "error");
        assert_eq!(
            app.credentials(&reader, &b).await.status(),
            409,
            "still unreadable"
        );
        let again: Value = app.fetch(&admin, &b).await.json().await.unwrap();
        assert_eq!(
            again["version"], renamed["version"],
            "a second failed use does not move it again"
        );

        // Setting every secret again in one update repairs it.
        let repaired = "wxyz WXYZ wxyz WXYZ wxyz WXYZ";
        let res = app
            .patch(
                &admin,
                &b,
                &json!({"auth": {"application_password": repaired}, "status": "inactive"}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let creds: Value = app.credentials(&reader, &b).await.json().await.unwrap();
        assert_eq!(creds["application_password"], repaired);
        app.stop().await;
    }
);

both_databases!(
    changed_states_beside_a_ciphertext_are_found_on_activation,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let a = app.create_id(&admin, &wordpress("A")).await;
        let b = app.create_id(&admin, &wordpress("B")).await;
        let sealed_b = sealed(&app.store, &b).await;
        // Claim another time for B's secret, keeping its ciphertext.
        overwrite(
            &app.store,
            &b,
            &sealed_b.auth,
            r#"{"application_password":"2020-01-01T00:00:00Z"}"#,
        )
        .await;
        let res = app.patch(&admin, &b, &json!({"status": "active"})).await;
        assert_eq!(res.status(), 409);
        let list = app.get_json(&admin, "/installed").await;
        assert_eq!(item(&list, &b)["status"], "error");
        let res = app.patch(&admin, &a, &json!({"status": "active"})).await;
        assert_eq!(res.status(), 200, "the other connector activates");
        app.stop().await;
    }
);

both_databases!(
    an_update_of_some_secrets_needs_the_others_to_open,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let secrets = json!({
            "api_key": "AAAAAAAAAAAAAAAAAAAAAAAAA",
            "api_secret": "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
            "access_token": "1234567890-CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC",
            "access_token_secret": "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD"
        });
        let x = app.create_id(&admin, &twitter("X", secrets.clone())).await;
        let y = app.create_id(&admin, &twitter("Y", secrets.clone())).await;
        move_ciphertext(&app.store, &x, &y).await;
        let res = app
            .patch(
                &admin,
                &y,
                &json!({"auth": {"api_key": "EEEEEEEEEEEEEEEEEEEEEEEEE"}}),
            )
            .await;
        assert_eq!(res.status(), 409, "the other three cannot be kept");
        let one: Value = app.fetch(&admin, &y).await.json().await.unwrap();
        assert_eq!(one["status"], "error");
        let res = app.patch(&admin, &y, &json!({"auth": secrets})).await;
        assert_eq!(res.status(), 200, "all four again repair it");
        app.stop().await;
    }
);

both_databases!(
    keys_verify_names_unreadable_rows_and_changes_nothing,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let a = app.create_id(&admin, &wordpress("A")).await;
        let b = app.create_id(&admin, &wordpress("B")).await;
        let clean = app
            .db()
            .cli(&["--encryption-keys", &app.db().keys, "keys", "verify"]);
        clean.assert_ok();
        assert!(
            clean
                .stdout_text()
                .contains("checked 2 connector(s): 2 open with the configured keys, 0 do not"),
            "{}",
            clean.stdout_text()
        );

        move_ciphertext(&app.store, &a, &b).await;
        let before = sealed(&app.store, &b).await;
        let out = app
            .db()
            .cli(&["--encryption-keys", &app.db().keys, "keys", "verify"]);
        assert!(!out.status.success(), "a failing row fails the command");
        let text = out.stdout_text();
        assert!(text.contains(&format!("unreadable  {b}")), "{text}");
        assert!(!text.contains(&a), "{text}");
        assert!(text.contains("2 connector(s): 1 open"), "{text}");
        assert!(
            out.stderr_text()
                .contains("1 connector(s) have secrets that do not open"),
            "{}",
            out.stderr_text()
        );
        let after = sealed(&app.store, &b).await;
        assert_eq!((after.auth, after.states), (before.auth, before.states));
        let one: Value = app.fetch(&admin, &b).await.json().await.unwrap();
        assert_eq!(
            (one["status"].as_str(), one["version"].as_i64()),
            (Some("inactive"), Some(1)),
            "keys verify changes nothing"
        );
        app.stop().await;
    }
);

/// Rewrites `id` as a row sealed before states were stored: its secrets
/// under the associated data of then, and no states.
async fn make_legacy(db: &TestDb, tenant_id: &str, id: &str) {
    let ring = KeyRing::parse(&db.keys).unwrap();
    let payload = json!({
        "v": {"application_password": APP_PASSWORD},
        "t": {"application_password": "2025-05-05T05:05:05Z"}
    });
    let env = ring
        .encrypt(
            payload.to_string().as_bytes(),
            &connector_aad(tenant_id, id, None),
        )
        .unwrap()
        .to_json();
    match db.pg_name {
        Some(_) => {
            let (client, conn) = tokio_postgres::connect(&db.url(), tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            let n = client
                .execute(
                    "UPDATE connectors SET auth = $1::text::jsonb, secret_states = NULL WHERE id = $2",
                    &[&env, &id],
                )
                .await
                .unwrap();
            assert_eq!(n, 1);
        }
        None => {
            let conn = rusqlite::Connection::open(db.data_dir().join("connectors.db")).unwrap();
            let n = conn
                .execute(
                    "UPDATE connectors SET auth = ?1, secret_states = NULL WHERE id = ?2",
                    rusqlite::params![env, id],
                )
                .unwrap();
            assert_eq!(n, 1);
        }
    }
}

both_databases!(
    rows_sealed_before_states_are_backfilled,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let reader = app.reader().await;
        let a = app.create_id(&admin, &wordpress("A")).await;
        let b = app.create_id(&admin, &wordpress("B")).await;
        let tenant = app.store.tenant_by_slug("acme").await.unwrap().unwrap();
        for id in [&a, &b] {
            make_legacy(app.db(), tenant.id.as_str(), id).await;
        }

        // Until the backfill, reads still show the states, from the row.
        let list = app.get_json(&admin, "/installed").await;
        assert_eq!(
            item(&list, &a)["secrets"]["application_password"],
            json!({"set": true, "updated_at": "2025-05-05T05:05:05Z"})
        );
        assert_eq!(sealed(&app.store, &a).await.states, None);

        let out = app
            .db()
            .cli(&["--encryption-keys", &app.db().keys, "migrate"]);
        out.assert_ok();
        assert!(
            out.stdout_text()
                .contains("stored the secret states of 2 connector(s)"),
            "{}",
            out.stdout_text()
        );
        for id in [&a, &b] {
            assert_eq!(
                sealed(&app.store, id).await.states.as_deref(),
                Some(r#"{"application_password":"2025-05-05T05:05:05Z"}"#)
            );
        }
        let before = decryptions(&app);
        let list = app.get_json(&admin, "/installed").await;
        assert_eq!(
            item(&list, &b)["secrets"]["application_password"],
            json!({"set": true, "updated_at": "2025-05-05T05:05:05Z"})
        );
        assert_eq!(decryptions(&app), before, "read from the states now");
        let creds: Value = app.credentials(&reader, &a).await.json().await.unwrap();
        assert_eq!(creds["application_password"], APP_PASSWORD);
        let again = app
            .db()
            .cli(&["--encryption-keys", &app.db().keys, "migrate"]);
        assert!(
            !again.stdout_text().contains("stored the secret states"),
            "a second run has nothing to do: {}",
            again.stdout_text()
        );

        // A serving process backfills in the background.
        make_legacy(app.db(), tenant.id.as_str(), &a).await;
        let db = app.into_db().await;
        let app = TestApp::spawn(db).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while sealed(&app.store, &a).await.states.is_none() {
            assert!(
                Instant::now() < deadline,
                "the serving process stores the states within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let creds: Value = app.credentials(&reader, &a).await.json().await.unwrap();
        assert_eq!(creds["application_password"], APP_PASSWORD);
        app.stop().await;
    }
);
