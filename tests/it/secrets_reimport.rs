//! A re-imported schema that marks secret a field connectors held in
//! clear: `catalog import` moves those values into the sealed secrets and
//! out of the stored config, in every tenant, so that no value is left in
//! the database in clear; the credentials read gives each back at its
//! place. And the reverse: a secret the schema no longer marks stays
//! sealed, still read back at its place, until the connector's next update.

use crate::both_databases;
use crate::support::{Actor, OutputExt, TestApp, TestDb, id_of, write_file};
use connectors::domain::identity::Role;
use serde_json::{Value, json};
use std::process::Output;

const TOKEN_A: &str = "tok-Qz81Lm2Pz7Wc";
const TOKEN_B: &str = "tok-Vb8ZKd3PjR4s";
const PASSWORD: &str = "pw-Hq1Tt9vRn6Ke";
const GLOBEX_TOKEN: &str = "tok-Mm3NPp2RfA0u";
const VALUES: &[&str] = &[TOKEN_A, TOKEN_B, PASSWORD, GLOBEX_TOKEN];

/// The ledger manifest; `marked` says which of `api_token` and
/// `login.password` carry a secret mark.
fn manifest(token_secret: bool, password_secret: bool) -> String {
    let mut token = json!({"type": "string", "title": "API token", "minLength": 8});
    if token_secret {
        token["airbyte_secret"] = json!(true);
    }
    let mut password = json!({"type": "string", "title": "Password"});
    if password_secret {
        password["writeOnly"] = json!(true);
    }
    json!({
        "key": "ledger",
        "name": "Ledger",
        "category": "test",
        "auth_type": "none",
        "capabilities": {"publish": false},
        "default_config_schema": {
            "type": "object",
            "required": ["host", "api_token", "login"],
            "properties": {
                "host": {"type": "string", "title": "Host"},
                "api_token": token,
                "login": {"type": "object", "title": "Login", "oneOf": [
                    {"type": "object", "title": "Password", "required": ["method", "user", "password"], "properties": {
                        "method": {"const": "password"},
                        "user": {"type": "string"},
                        "password": password
                    }},
                    {"type": "object", "title": "None", "required": ["method"], "properties": {
                        "method": {"const": "none"}
                    }}
                ]}
            }
        },
        "auth_schema": {"type": "object", "properties": {}}
    })
    .to_string()
}

/// `catalog import` of a manifest, with the database's keys.
fn import(db: &TestDb, name: &str, text: &str) -> Output {
    let file = write_file(db.data_dir(), name, text);
    let out = db
        .command(&["catalog", "import", file.to_str().unwrap()])
        .env("CONNECTORS_ENCRYPTION_KEYS", &db.keys)
        .output()
        .expect("run connectors");
    out.assert_ok();
    out
}

/// The whole database as bytes turned to text: the SQLite file and its
/// write-ahead log, or a `pg_dump`.
fn at_rest(db: &TestDb) -> String {
    match &db.pg_name {
        None => ["connectors.db", "connectors.db-wal"]
            .iter()
            .filter_map(|f| std::fs::read(db.data_dir().join(f)).ok())
            .map(|b| String::from_utf8_lossy(&b).to_string())
            .collect(),
        Some(_) => {
            let out = std::process::Command::new("pg_dump")
                .arg(db.url())
                .output()
                .expect("pg_dump");
            out.assert_ok();
            out.stdout_text()
        }
    }
}

async fn creds(app: &TestApp, who: &Actor, id: &str) -> Value {
    let res = app.credentials(who, id).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn install(host: &str, token: &str, password: Option<&str>) -> Value {
    let login = match password {
        Some(p) => json!({"method": "password", "user": "u1", "password": p}),
        None => json!({"method": "none"}),
    };
    json!({"catalog_key": "ledger", "name": host,
           "config": {"host": host, "api_token": token, "login": login}})
}

both_databases!(
    values_of_fields_made_secret_are_sealed_by_the_import,
    |db: TestDb| async move {
        import(&db, "ledger-1.json", &manifest(false, false));
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let globex = app.other_admin().await;
        let a = app
            .create_id(&admin, &install("a.example", TOKEN_A, Some(PASSWORD)))
            .await;
        let b = app
            .create_id(&admin, &install("b.example", TOKEN_B, None))
            .await;
        let g = app
            .create_id(&globex, &install("g.example", GLOBEX_TOKEN, None))
            .await;
        let db = app.into_db().await;
        let before = at_rest(&db);
        assert!(
            VALUES.iter().all(|v| before.contains(v)),
            "the values are in clear before the import"
        );

        // The new schema marks both fields: every value moves, in both
        // tenants, and none is left in the database in clear.
        let out = import(&db, "ledger-2.json", &manifest(true, true));
        let stdout = out.stdout_text();
        assert!(stdout.contains("updated    ledger"), "{stdout}");
        assert!(
            stdout.contains(
                "sealed     ledger: values of fields now secret moved out of 3 connector config(s)"
            ),
            "{stdout}"
        );
        let after = at_rest(&db);
        for v in VALUES {
            assert!(!after.contains(v), "{v} in the database after the import");
        }
        // Importing the same schema again finds nothing left to move.
        let again = import(&db, "ledger-2.json", &manifest(true, true)).stdout_text();
        assert!(again.contains("unchanged  ledger"), "{again}");
        assert!(!again.contains("sealed"), "{again}");

        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let reader = app.reader().await;
        let globex_reader = app
            .actor_with_scopes(
                "globex",
                "r@globex.test",
                Role::Member,
                &["credentials:read"],
            )
            .await;
        let got = app.get_json(&admin, &format!("/connectors/{a}")).await;
        assert_eq!(
            got["config"],
            json!({"host": "a.example", "login": {"method": "password", "user": "u1"}}),
            "{got}"
        );
        for key in ["config.api_token", "config.login.password"] {
            assert_eq!(got["secrets"][key]["set"], true, "{key}: {got}");
        }
        let text = got.to_string();
        assert!(VALUES.iter().all(|v| !text.contains(v)), "{text}");
        let ca = creds(&app, &reader, &a).await;
        assert_eq!(ca["config"]["api_token"], TOKEN_A);
        assert_eq!(ca["config"]["login"]["password"], PASSWORD);
        assert_eq!(
            creds(&app, &reader, &b).await["config"]["api_token"],
            TOKEN_B
        );
        assert_eq!(
            creds(&app, &globex_reader, &g).await["config"]["api_token"],
            GLOBEX_TOKEN
        );
        let db = app.into_db().await;

        // The reverse: the password is no longer marked. It stays sealed
        // (never written into the config in clear) and the credentials read
        // still gives it at its place, until the connector's next update.
        let out = import(&db, "ledger-3.json", &manifest(true, false)).stdout_text();
        assert!(out.contains("updated    ledger"), "{out}");
        assert!(
            !at_rest(&db).contains(PASSWORD),
            "the password stays sealed"
        );
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let reader = app.reader().await;
        let got = app.get_json(&admin, &format!("/connectors/{a}")).await;
        assert!(!got.to_string().contains(PASSWORD), "{got}");
        assert!(
            got["secrets"].get("config.login.password").is_none(),
            "{got}"
        );
        let ca = creds(&app, &reader, &a).await;
        assert_eq!(ca["config"]["login"]["password"], PASSWORD, "{ca}");
        assert_eq!(ca["config"]["api_token"], TOKEN_A);
        // An update gives the field again, now in clear as the schema says.
        let res = app
            .patch(
                &admin,
                &a,
                &json!({"config": {"host": "a.example", "login": {"method": "password", "user": "u1", "password": "now-in-clear"}}}),
            )
            .await;
        assert_eq!(res.status(), 200, "{:?}", res.text().await);
        let got = app.get_json(&admin, &format!("/connectors/{a}")).await;
        assert_eq!(got["config"]["login"]["password"], "now-in-clear", "{got}");
        let ca = creds(&app, &reader, &a).await;
        assert_eq!(ca["config"]["login"]["password"], "now-in-clear", "{ca}");
        assert_eq!(ca["config"]["api_token"], TOKEN_A);
        assert_eq!(id_of(&got), a);
    }
);
