//! Secrets at any depth of the config: an auth-method choice (OAuth or a
//! token) and an SSH tunnel choice (password or private key), through
//! install, reads, per-place updates, branch switches, the credentials
//! read and the forms, with no value ever in a response or in the database
//! in clear.

use crate::both_databases;
use crate::support::{Actor, OutputExt, TestApp, TestDb, id_of, write_file};
use connectors::domain::identity::Role;
use serde_json::{Value, json};

const CLIENT_SECRET: &str = "cs-Xq81Lm2Pz";
const REFRESH_TOKEN: &str = "rt-Vb8ZKd3P";
const REFRESH_TOKEN_2: &str = "rt-Wq6TYy5e";
const TUNNEL_PASSWORD: &str = "pw-Hq1Tt9vR";
const TOKEN: &str = "tk-Mm3NPp2R";
const PRIVATE_KEY: &str = "pk-Zk8s4Jd0";
const API_KEY: &str = "ak-Gf5Ew3Qa";
const SECRETS: &[&str] = &[
    CLIENT_SECRET,
    REFRESH_TOKEN,
    REFRESH_TOKEN_2,
    TUNNEL_PASSWORD,
    TOKEN,
    PRIVATE_KEY,
    API_KEY,
    "short-Lq0",
];

/// A manifest as real specs have them: secrets inside `oneOf` branches,
/// marked with `airbyte_secret` or `writeOnly`, and one in `auth_schema`.
pub fn manifest(key: &str) -> String {
    json!({
        "key": key,
        "name": "Warehouse",
        "category": "test",
        "auth_type": "oauth",
        "capabilities": {"publish": false},
        "default_config_schema": {
            "type": "object",
            "required": ["host", "credentials"],
            "properties": {
                "host": {"type": "string", "title": "Host"},
                "credentials": {"type": "object", "title": "Authentication", "oneOf": [
                    {"type": "object", "title": "OAuth", "required": ["auth_type", "client_id", "client_secret", "refresh_token"], "properties": {
                        "auth_type": {"const": "oauth"},
                        "client_id": {"type": "string", "title": "Client ID"},
                        "client_secret": {"type": "string", "title": "Client secret", "airbyte_secret": true, "minLength": 10},
                        "refresh_token": {"type": "string", "title": "Refresh token", "airbyte_secret": true}
                    }},
                    {"type": "object", "title": "Personal token", "required": ["auth_type", "token"], "properties": {
                        "auth_type": {"const": "token"},
                        "token": {"type": "string", "title": "Token", "writeOnly": true}
                    }}
                ]},
                "tunnel": {"type": "object", "title": "SSH tunnel", "oneOf": [
                    {"type": "object", "title": "Password", "required": ["method", "user", "password"], "properties": {
                        "method": {"const": "password"},
                        "user": {"type": "string", "title": "User"},
                        "password": {"type": "string", "title": "Password", "writeOnly": true}
                    }},
                    {"type": "object", "title": "Private key", "required": ["method", "user", "private_key"], "properties": {
                        "method": {"const": "key"},
                        "user": {"type": "string", "title": "User"},
                        "private_key": {"type": "string", "title": "Private key", "airbyte_secret": true}
                    }}
                ]}
            }
        },
        "auth_schema": {"type": "object", "properties": {"api_key": {"type": "string"}}}
    })
    .to_string()
}

fn oauth(client_id: &str) -> Value {
    json!({"auth_type": "oauth", "client_id": client_id})
}

/// Every answer read, so that none can be missed by the final search.
struct Seen {
    text: String,
}

impl Seen {
    async fn read(&mut self, res: reqwest::Response) -> (u16, Value) {
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        self.text.push_str(&text);
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn assert_clean(&self) {
        for s in SECRETS {
            assert!(!self.text.contains(s), "{s} in a response");
        }
    }
}

fn assert_no_secret(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{s} found in {what}");
    }
}

async fn creds(app: &TestApp, reader: &Actor, id: &str) -> Value {
    let res = app.credentials(reader, id).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

both_databases!(
    nested_secrets_are_sealed_per_place_and_never_shown,
    |db: TestDb| async move {
        let dir = db.data_dir().to_path_buf();
        let file = write_file(&dir, "warehouse.json", &manifest("warehouse"));
        db.cli(&["catalog", "import", file.to_str().unwrap()])
            .assert_ok();
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let reader = app.reader().await;
        let mut seen = Seen {
            text: String::new(),
        };

        // Validation of the whole config, secrets included, and no value
        // echoed: too short, a mask, not text.
        let mut config = json!({
            "host": "db.example",
            "credentials": oauth("cid-1"),
            "tunnel": {"method": "password", "user": "u1", "password": "********"}
        });
        config["credentials"]["client_secret"] = json!("short-Lq0");
        config["credentials"]["refresh_token"] = json!(7);
        let bad = json!({"catalog_key": "warehouse", "name": "W", "config": config});
        let (status, body) = seen.read(app.create(&admin, &bad).await).await;
        assert_eq!(status, 422, "{body}");
        let errors = &body["errors"];
        assert!(
            errors["config.credentials.client_secret"].is_array(),
            "{body}"
        );
        assert!(
            errors["config.tunnel.password"][0]
                .as_str()
                .unwrap()
                .contains("masked"),
            "{body}"
        );
        assert!(
            errors["config.credentials.refresh_token"].is_array(),
            "{body}"
        );
        // A secret the chosen branch requires is required.
        let (status, body) = seen
            .read(
                app.create(
                    &admin,
                    &json!({"catalog_key": "warehouse", "name": "W",
                            "config": {"host": "h", "credentials": {"auth_type": "token"}}}),
                )
                .await,
            )
            .await;
        assert_eq!(status, 422, "{body}");

        // Install: the secrets leave the config and are reported by path.
        let mut credentials = oauth("cid-1");
        credentials["client_secret"] = json!(CLIENT_SECRET);
        credentials["refresh_token"] = json!(REFRESH_TOKEN);
        let install = json!({
            "catalog_key": "warehouse", "name": "Warehouse",
            "config": {"host": "db.example", "credentials": credentials,
                       "tunnel": {"method": "password", "user": "u1", "password": TUNNEL_PASSWORD}},
            "auth": {"api_key": API_KEY}
        });
        let (status, c) = seen.read(app.create(&admin, &install).await).await;
        assert_eq!(status, 201, "{c}");
        let id = id_of(&c);
        assert_eq!(
            c["config"],
            json!({"host": "db.example", "credentials": oauth("cid-1"),
                   "tunnel": {"method": "password", "user": "u1"}})
        );
        let states = &c["secrets"];
        for set in [
            "api_key",
            "config.credentials.client_secret",
            "config.credentials.refresh_token",
            "config.tunnel.password",
        ] {
            assert_eq!(states[set]["set"], true, "{set}: {states}");
            assert!(states[set]["updated_at"].is_string(), "{set}");
        }
        for unset in ["config.credentials.token", "config.tunnel.private_key"] {
            assert_eq!(states[unset], json!({"set": false}), "{unset}");
        }

        // GET and list show the same, without opening a ciphertext.
        let opened = app.keys.as_ref().unwrap().decryptions();
        let (status, got) = seen.read(app.fetch(&admin, &id).await).await;
        assert_eq!(status, 200);
        assert_eq!(got["secrets"], c["secrets"]);
        let (_, list) = seen
            .read(
                app.send_get(&admin, "/installed?catalog_key=warehouse")
                    .await,
            )
            .await;
        assert_eq!(list["items"][0]["secrets"], c["secrets"]);
        assert_eq!(app.keys.as_ref().unwrap().decryptions(), opened);

        // The credentials read puts every value back at its place.
        let read = creds(&app, &reader, &id).await;
        assert_eq!(read["api_key"], API_KEY);
        assert_eq!(read["config"]["host"], "db.example");
        assert_eq!(
            read["config"]["credentials"]["client_secret"],
            CLIENT_SECRET
        );
        assert_eq!(
            read["config"]["credentials"]["refresh_token"],
            REFRESH_TOKEN
        );
        assert_eq!(read["config"]["tunnel"]["password"], TUNNEL_PASSWORD);

        // One nested secret replaced while other fields of its object
        // change; the secret left out is kept.
        let mut credentials = oauth("cid-2");
        credentials["refresh_token"] = json!(REFRESH_TOKEN_2);
        let (status, v) = seen
            .read(
                app.patch(
                    &admin,
                    &id,
                    &json!({"config": {"host": "db2.example", "credentials": credentials,
                                       "tunnel": {"method": "password", "user": "u2"}}}),
                )
                .await,
            )
            .await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["config"]["credentials"], oauth("cid-2"));
        assert_ne!(
            v["secrets"]["config.credentials.refresh_token"]["updated_at"],
            c["secrets"]["config.credentials.refresh_token"]["updated_at"]
        );
        assert_eq!(
            v["secrets"]["config.credentials.client_secret"],
            c["secrets"]["config.credentials.client_secret"]
        );
        let read = creds(&app, &reader, &id).await;
        assert_eq!(
            read["config"]["credentials"],
            json!({"auth_type": "oauth", "client_id": "cid-2",
                   "client_secret": CLIENT_SECRET, "refresh_token": REFRESH_TOKEN_2})
        );
        assert_eq!(read["config"]["tunnel"]["password"], TUNNEL_PASSWORD);

        // Switching both choices drops the secrets of the branches left;
        // a branch's required secret must then be given.
        let switch = json!({"config": {"host": "db2.example",
            "credentials": {"auth_type": "token"},
            "tunnel": {"method": "key", "user": "u2", "private_key": PRIVATE_KEY}}});
        let (status, body) = seen.read(app.patch(&admin, &id, &switch).await).await;
        assert_eq!(status, 422, "{body}");
        let mut switch = switch;
        switch["config"]["credentials"]["token"] = json!(TOKEN);
        let (status, v) = seen.read(app.patch(&admin, &id, &switch).await).await;
        assert_eq!(status, 200, "{v}");
        let states = &v["secrets"];
        for (name, set) in [
            ("config.credentials.client_secret", false),
            ("config.credentials.refresh_token", false),
            ("config.credentials.token", true),
            ("config.tunnel.password", false),
            ("config.tunnel.private_key", true),
            ("api_key", true),
        ] {
            assert_eq!(states[name]["set"], set, "{name}: {states}");
        }
        let read = creds(&app, &reader, &id).await;
        assert_eq!(
            read["config"],
            json!({"host": "db2.example",
                   "credentials": {"auth_type": "token", "token": TOKEN},
                   "tunnel": {"method": "key", "user": "u2", "private_key": PRIVATE_KEY}})
        );

        // Activation validates the whole config with its secrets in place.
        let (status, v) = seen
            .read(app.patch(&admin, &id, &json!({"status": "active"})).await)
            .await;
        assert_eq!(status, 200, "{v}");

        // `null` clears one place; a required one cannot then be active.
        let clear = json!({"config": {"host": "db2.example",
            "credentials": {"auth_type": "token"},
            "tunnel": {"method": "key", "user": "u2", "private_key": null}}});
        let (status, body) = seen.read(app.patch(&admin, &id, &clear).await).await;
        assert_eq!(status, 422, "{body}");
        let (status, v) = seen
            .read(
                app.patch(
                    &admin,
                    &id,
                    &json!({"status": "inactive", "config": {"host": "db2.example",
                        "credentials": {"auth_type": "token"}}}),
                )
                .await,
            )
            .await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(
            v["secrets"]["config.tunnel.private_key"],
            json!({"set": false})
        );
        assert_eq!(v["secrets"]["config.credentials.token"]["set"], true);

        // The audit names every place, never a value.
        let (_, audit) = seen
            .read(
                app.send_get(&admin, &format!("/audit?connector_id={id}"))
                    .await,
            )
            .await;
        let changes: Vec<&Value> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["changes"]["secrets"])
            .collect();
        assert!(
            changes
                .iter()
                .any(|s| s["config.credentials.token"] == "set"
                    && s["config.credentials.client_secret"] == "cleared"),
            "{audit}"
        );
        seen.assert_clean();

        // The edit form shows a nested secret like one of `auth`.
        let browser = app
            .signed_in_user("acme", "nest@acme.test", Role::Admin, "nest password 12345")
            .await;
        let res = app
            .page(
                &browser.cookie,
                &format!("/features/connectors/forms/{id}/edit"),
            )
            .await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert_no_secret("the edit form", &html);
        assert!(
            html.contains(r#"name="config.credentials.token" type="password" autocomplete="new-password" data-secret-input hidden disabled"#),
            "a set nested secret is behind Update secret: {html}"
        );
        assert!(html.contains("Update secret"));
        assert!(html.contains(r#"name="config.credentials.client_secret" type="password""#));

        // A form post that leaves the secret closed keeps it.
        let version = v["version"].to_string();
        let res = browser
            .post_htmx(
                &app,
                &format!("/features/connectors/forms/{id}/edit"),
                &[],
                &[
                    ("name", "Warehouse"),
                    ("config.host", "db3.example"),
                    ("config.credentials.auth_type", "token"),
                    ("version", version.as_str()),
                ],
            )
            .await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert_no_secret("the form's answer", &html);
        let read = creds(&app, &reader, &id).await;
        assert_eq!(read["config"]["host"], "db3.example");
        assert_eq!(read["config"]["credentials"]["token"], TOKEN);

        // At rest: no value in the SQLite files or a PostgreSQL dump.
        let db = app.into_db().await;
        match &db.pg_name {
            None => {
                for f in ["connectors.db", "connectors.db-wal"] {
                    if let Ok(bytes) = std::fs::read(db.data_dir().join(f)) {
                        assert_no_secret(f, &String::from_utf8_lossy(&bytes));
                    }
                }
            }
            Some(_) => {
                let out = std::process::Command::new("pg_dump")
                    .arg(db.url())
                    .output()
                    .expect("pg_dump");
                out.assert_ok();
                let dump = out.stdout_text();
                assert!(dump.contains("db3.example"), "the dump holds the config");
                assert_no_secret("pg_dump", &dump);
            }
        }
    }
);

/// An install of the warehouse with OAuth and a tunnel password.
fn warehouse(name: &str, client_secret: &str) -> Value {
    let mut credentials = oauth("cid");
    credentials["client_secret"] = json!(client_secret);
    credentials["refresh_token"] = json!(REFRESH_TOKEN);
    json!({
        "catalog_key": "warehouse", "name": name,
        "config": {"host": "h", "credentials": credentials,
                   "tunnel": {"method": "password", "user": "u", "password": TUNNEL_PASSWORD}},
        "auth": {"api_key": API_KEY}
    })
}

both_databases!(
    nested_secrets_are_checked_on_use_repaired_and_rotated_like_auth,
    |db: TestDb| async move {
        let dir = db.data_dir().to_path_buf();
        let file = write_file(&dir, "warehouse.json", &manifest("warehouse"));
        db.cli(&["catalog", "import", file.to_str().unwrap()])
            .assert_ok();
        let old = db.keys.clone();
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let reader = app.reader().await;

        // validate-config refuses a mask at a nested place too, and says
        // nothing of the value.
        let mut config = warehouse("V", "********")["config"].clone();
        config["tunnel"]["password"] = json!("pw-not-shown-Kq2");
        let res = app
            .post_json(
                &admin,
                "/validate-config",
                &json!({"catalog_key": "warehouse", "config": config}),
            )
            .await;
        let body: Value = res.json().await.unwrap();
        assert!(
            body["errors"]["config.credentials.client_secret"][0]
                .as_str()
                .unwrap()
                .contains("masked"),
            "{body}"
        );
        assert!(!body.to_string().contains("pw-not-shown-Kq2"));

        let a = id_of(&app.create_ok(&admin, &warehouse("A", CLIENT_SECRET)).await);
        let b = id_of(&app.create_ok(&admin, &warehouse("B", CLIENT_SECRET)).await);

        // A's ciphertext and states copied onto B do not open there: found
        // on first use, B stays error, A is unaffected.
        let tenant = app.store.tenant_by_slug("acme").await.unwrap().unwrap();
        let sealed_a = app
            .store
            .connector_sealed(&tenant.id, &a.as_str().into())
            .await
            .unwrap()
            .unwrap();
        let sealed_b = app
            .store
            .connector_sealed(&tenant.id, &b.as_str().into())
            .await
            .unwrap()
            .unwrap();
        assert!(
            app.store
                .secret_reseal(
                    &b.as_str().into(),
                    &sealed_b.auth,
                    &sealed_a.auth,
                    sealed_a.states.as_deref().unwrap()
                )
                .await
                .unwrap()
        );
        assert_eq!(app.credentials(&reader, &b).await.status(), 409);
        let one: Value = app.fetch(&admin, &b).await.json().await.unwrap();
        assert_eq!(one["status"], "error");
        assert_eq!(app.credentials(&reader, &a).await.status(), 200);

        // A config update that keeps B's nested secrets needs them: refused
        // while they do not open.
        let keep = json!({"config": {"host": "h2", "credentials": oauth("cid"),
                          "tunnel": {"method": "password", "user": "u"}}});
        assert_eq!(app.patch(&admin, &b, &keep).await.status(), 409);

        // Setting every secret again, nested ones in place, repairs it.
        let mut repair = warehouse("B", "cs-repaired-1");
        repair.as_object_mut().unwrap().remove("catalog_key");
        repair["status"] = json!("inactive");
        let res = app.patch(&admin, &b, &repair).await;
        assert_eq!(res.status(), 200, "{:?}", res.text().await);
        let creds: Value = app.credentials(&reader, &b).await.json().await.unwrap();
        assert_eq!(
            creds["config"]["credentials"]["client_secret"],
            "cs-repaired-1"
        );

        // Rotation moves the nested secrets to the new key with the rest.
        let db = app.into_db().await;
        let new = connectors::domain::secrets::generate_key_line();
        let both = format!("{new},{old}");
        db.cli(&["--encryption-keys", &both, "keys", "rotate"])
            .assert_ok();
        let app = TestApp::spawn_with(db, |c| {
            c.encryption_keys = Some(secrecy::SecretString::from(new.clone()))
        })
        .await;
        let creds: Value = app.credentials(&reader, &a).await.json().await.unwrap();
        assert_eq!(
            creds["config"]["credentials"]["client_secret"],
            CLIENT_SECRET
        );
        assert_eq!(creds["config"]["tunnel"]["password"], TUNNEL_PASSWORD);
        assert_eq!(creds["api_key"], API_KEY);
        app.stop().await;
    }
);

both_databases!(
    a_field_marked_secret_later_is_sealed_by_the_import,
    |db: TestDb| async move {
        let dir = db.data_dir().to_path_buf();
        let schema = |secret: bool| {
            json!({
                "key": "legacy", "name": "Legacy", "category": "test", "auth_type": "none",
                "capabilities": {"publish": false},
                "default_config_schema": {"type": "object", "properties": {
                    "db": {"type": "object", "properties": {
                        "user": {"type": "string"},
                        "password": {"type": "string", "writeOnly": secret}
                    }}
                }},
                "auth_schema": {"type": "object", "properties": {}}
            })
            .to_string()
        };
        let file = write_file(&dir, "legacy.json", &schema(false));
        db.cli(&["catalog", "import", file.to_str().unwrap()])
            .assert_ok();
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let reader = app.reader().await;
        let body = json!({"catalog_key": "legacy", "name": "L",
                          "config": {"db": {"user": "u", "password": PRIVATE_KEY}}});
        let id = id_of(&app.create_ok(&admin, &body).await);

        // The operator marks the field a secret: the import (which needs
        // the keys for it) seals the value stored in the config before,
        // and it is no longer shown.
        let file = write_file(&dir, "legacy.json", &schema(true));
        let out = app
            .db()
            .command(&["catalog", "import", file.to_str().unwrap()])
            .env("CONNECTORS_ENCRYPTION_KEYS", &app.db().keys)
            .output()
            .unwrap();
        out.assert_ok();
        assert!(out.stdout_text().contains("sealed     legacy"));
        let got: Value = app.fetch(&admin, &id).await.json().await.unwrap();
        assert_eq!(got["config"], json!({"db": {"user": "u"}}), "{got}");
        assert_eq!(got["secrets"]["config.db.password"]["set"], true, "{got}");
        let list = app.get_json(&admin, "/installed?catalog_key=legacy").await;
        assert_no_secret("the list", &list.to_string());
        let creds: Value = app.credentials(&reader, &id).await.json().await.unwrap();
        assert_eq!(
            creds["config"],
            json!({"db": {"user": "u", "password": PRIVATE_KEY}})
        );

        // A new value sent in place replaces the sealed one.
        let res = app
            .patch(
                &admin,
                &id,
                &json!({"config": {"db": {"user": "u", "password": TOKEN}}}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["secrets"]["config.db.password"]["set"], true);
        let creds: Value = app.credentials(&reader, &id).await.json().await.unwrap();
        assert_eq!(
            creds["config"],
            json!({"db": {"user": "u", "password": TOKEN}})
        );
        app.stop().await;
    }
);

both_databases!(
    a_replacement_keeps_only_the_nested_secrets_it_sends,
    |db: TestDb| async move {
        let dir = db.data_dir().to_path_buf();
        let file = write_file(&dir, "warehouse.json", &manifest("warehouse"));
        db.cli(&["catalog", "import", file.to_str().unwrap()])
            .assert_ok();
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let reader = app.reader().await;
        let id = id_of(&app.create_ok(&admin, &warehouse("R", CLIENT_SECRET)).await);

        // PUT sends the OAuth secrets again and leaves the tunnel password
        // (and `auth`) out: those are cleared.
        let mut credentials = oauth("cid");
        credentials["client_secret"] = json!(CLIENT_SECRET);
        credentials["refresh_token"] = json!(REFRESH_TOKEN_2);
        let res = app
            .put(
                &admin,
                &id,
                &json!({"name": "R", "tags": [], "status": "inactive",
                        "config": {"host": "h", "credentials": credentials,
                                   "tunnel": {"method": "password", "user": "u"}}}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let v: Value = res.json().await.unwrap();
        assert_eq!(
            v["secrets"]["config.tunnel.password"],
            json!({"set": false})
        );
        assert_eq!(v["secrets"]["api_key"], json!({"set": false}));
        assert_eq!(
            v["secrets"]["config.credentials.client_secret"]["set"],
            true
        );
        let creds: Value = app.credentials(&reader, &id).await.json().await.unwrap();
        assert_eq!(
            creds["config"]["credentials"]["refresh_token"],
            REFRESH_TOKEN_2
        );
        assert!(
            creds["config"]["tunnel"].get("password").is_none(),
            "{creds}"
        );
        app.stop().await;
    }
);
