//! The command line against a real database: every command's success and
//! bad-input paths. Bad input means one line on stderr, a non-zero exit,
//! and nothing written.

use crate::both_databases;
use crate::support::{OutputExt, TestDb, write_file};

pub const CUSTOM: &str = r#"{
  "key": "mastodon",
  "name": "Mastodon",
  "description": "Toots to a Mastodon instance.",
  "category": "social",
  "icon": "mastodon",
  "auth_type": "api_key",
  "capabilities": {"publish": true, "max_text_length": 500},
  "default_config_schema": {
    "type": "object",
    "properties": {
      "instance_url": {"type": "string", "format": "uri", "title": "Instance URL"},
      "visibility": {"type": "string", "enum": ["public", "unlisted"], "default": "public"}
    },
    "required": ["instance_url"],
    "additionalProperties": false
  },
  "auth_schema": {
    "type": "object",
    "properties": {"access_token": {"type": "string", "minLength": 1}},
    "required": ["access_token"]
  }
}"#;

fn catalog_lines(db: &TestDb) -> Vec<String> {
    db.cli(&["catalog", "list"])
        .assert_ok()
        .stdout_text()
        .lines()
        .map(str::to_string)
        .collect()
}

both_databases!(migrate_from_empty_and_status, |db: TestDb| async move {
    let status = db.cli(&["migrate", "--status"]);
    status.assert_ok();
    let text = status.stdout_text();
    assert!(text.lines().count() >= 1);
    assert!(text.lines().all(|l| l.starts_with("pending  ")), "{text}");

    let first = db.cli(&["migrate"]);
    first.assert_ok();
    assert!(first.stdout_text().contains("applied  0001_init"));

    let second = db.cli(&["migrate"]);
    second.assert_ok();
    assert_eq!(second.stdout_text().trim(), "database is up to date");

    let status = db.cli(&["migrate", "--status"]).assert_ok().stdout_text();
    assert!(
        status.lines().all(|l| l.starts_with("applied  ")),
        "{status}"
    );
    assert!(status.contains("0001_init"));
});

both_databases!(seed_twice_changes_nothing, |db: TestDb| async move {
    let first = db.cli(&["seed"]);
    first.assert_ok();
    assert_eq!(
        first.stdout_text().matches("created").count(),
        4,
        "{}",
        first.stdout_text()
    );
    let before = db.cli(&["catalog", "list"]).assert_ok().stdout_text();

    let second = db.cli(&["seed"]);
    second.assert_ok();
    let out = second.stdout_text();
    assert_eq!(out.matches("unchanged").count(), 4, "{out}");
    assert!(
        !out.contains("created") && !out.contains("updated"),
        "{out}"
    );
    assert_eq!(
        db.cli(&["catalog", "list"]).assert_ok().stdout_text(),
        before
    );

    let keys: Vec<String> = catalog_lines(&db)
        .iter()
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect();
    assert_eq!(keys, ["linkedin", "medium", "twitter", "wordpress"]);
});

both_databases!(
    import_creates_then_updates_in_place,
    |db: TestDb| async move {
        let dir = db.data_dir().to_path_buf();
        let path = write_file(&dir, "mastodon.json", CUSTOM);
        let out = db.cli(&["catalog", "import", path.to_str().unwrap()]);
        out.assert_ok();
        assert!(out.stdout_text().contains("created    mastodon"));

        let store = db.open_store().await;
        let before = store.catalog_get("mastodon").await.unwrap().unwrap();

        // Same file again: unchanged.
        let again = db.cli(&["catalog", "import", path.to_str().unwrap()]);
        assert!(
            again
                .assert_ok()
                .stdout_text()
                .contains("unchanged  mastodon")
        );

        // Changed manifest, in YAML this time: updated in place, same id.
        let yaml = "key: mastodon\nname: Mastodon (fediverse)\ncategory: social\nauth_type: api_key\ncapabilities: {publish: true}\ndefault_config_schema:\n  type: object\n  properties:\n    instance_url: {type: string, format: uri}\nauth_schema:\n  type: object\n  properties:\n    access_token: {type: string}\n";
        let ypath = write_file(&dir, "mastodon.yaml", yaml);
        let upd = db.cli(&["catalog", "import", ypath.to_str().unwrap()]);
        assert!(
            upd.assert_ok()
                .stdout_text()
                .contains("updated    mastodon")
        );
        let after = store.catalog_get("mastodon").await.unwrap().unwrap();
        assert_eq!(after.id, before.id);
        assert!(after.document.contains("Mastodon (fediverse)"));
        assert!(after.updated_at > before.updated_at);
        assert_eq!(after.created_at, before.created_at);
        assert!(
            catalog_lines(&db)
                .iter()
                .any(|l| l.ends_with("Mastodon (fediverse)"))
        );
    }
);

both_databases!(
    changed_builtin_manifest_updates_in_place,
    |db: TestDb| async move {
        use connectors::service::catalog;
        db.cli(&["seed"]).assert_ok();
        let store = db.open_store().await;
        let original = store.catalog_get("medium").await.unwrap().unwrap();
        let mut changed = catalog::builtin_manifests().unwrap();
        for m in &mut changed {
            if m.key == "medium" {
                m.description = Some("A changed description".into());
            }
        }
        let report = catalog::upsert_all(store.as_ref(), &changed).await.unwrap();
        assert_eq!(report.updated, ["medium"]);
        assert_eq!(report.unchanged.len(), 3);
        let row = store.catalog_get("medium").await.unwrap().unwrap();
        assert_eq!(row.id, original.id);
        assert!(row.document.contains("A changed description"));
        // Seeding again restores the built-in, still in place.
        let out = db.cli(&["seed"]).assert_ok().stdout_text();
        assert!(out.contains("updated    medium"), "{out}");
        let row = store.catalog_get("medium").await.unwrap().unwrap();
        assert_eq!(row.id, original.id);
        assert_eq!(row.document, original.document);
    }
);

both_databases!(
    bad_manifests_are_refused_and_nothing_is_written,
    |db: TestDb| async move {
        db.cli(&["seed"]).assert_ok();
        let before = catalog_lines(&db);
        let dir = db.data_dir().to_path_buf();
        let good = write_file(&dir, "good.json", CUSTOM);

        let any_of = CUSTOM.replace(
        r#""visibility": {"type": "string", "enum": ["public", "unlisted"], "default": "public"}"#,
        r#""visibility": {"anyOf": [{"type": "string"}]}"#,
    );
        let cases: Vec<(String, String, Vec<&str>)> = vec![
            (
                "anyof.json".into(),
                any_of,
                vec![
                    "anyof.json",
                    "`anyOf`",
                    "/default_config_schema/properties/visibility/anyOf",
                ],
            ),
            (
                "ref.json".into(),
                CUSTOM.replace(
                    r#"{"type": "string", "format": "uri", "title": "Instance URL"}"#,
                    r#"{"$ref": "https://example.com/x.json"}"#,
                ),
                vec![
                    "ref.json",
                    "`$ref`",
                    "/default_config_schema/properties/instance_url/$ref",
                ],
            ),
            (
                "regex.json".into(),
                CUSTOM.replace(r#""format": "uri","#, r#""pattern": "([a-z","#),
                vec!["regex.json", "not a valid JSON Schema"],
            ),
            (
                "array.json".into(),
                CUSTOM.replace(
                    r#"{"type": "string", "format": "uri", "title": "Instance URL"}"#,
                    r#"{"type": "array", "items": {"type": "array", "items": {"type": "string"}}}"#,
                ),
                vec!["array.json", "`items`", "arrays of strings"],
            ),
            (
                "secret.json".into(),
                CUSTOM.replace(
                    r#"{"type": "string", "minLength": 1}"#,
                    r#"{"type": "integer"}"#,
                ),
                vec!["secret.json", "/auth_schema/properties/access_token"],
            ),
            (
                "builtin.json".into(),
                CUSTOM.replace(r#""key": "mastodon""#, r#""key": "twitter""#),
                vec!["builtin.json", "built-in"],
            ),
            (
                "broken.json".into(),
                "{ not json".into(),
                vec!["broken.json", "not valid JSON"],
            ),
            (
                "broken.yaml".into(),
                "key: [unclosed".into(),
                vec!["broken.yaml", "not valid YAML"],
            ),
            (
                "unknown.json".into(),
                CUSTOM.replace(
                    r#""icon": "mastodon","#,
                    r#""icon": "mastodon", "colour": "red","#,
                ),
                vec!["unknown.json", "unknown field"],
            ),
            (
                "notes.txt".into(),
                CUSTOM.into(),
                vec!["notes.txt", "unknown file type"],
            ),
        ];
        for (name, text, needles) in cases {
            let bad = write_file(&dir, &name, &text);
            // The good file comes first: one bad file must keep it out too.
            let out = db.cli(&[
                "catalog",
                "import",
                good.to_str().unwrap(),
                bad.to_str().unwrap(),
            ]);
            for n in needles {
                out.assert_one_line_error(n);
            }
            assert_eq!(catalog_lines(&db), before, "nothing written for {name}");
        }
        db.cli(&["catalog", "import", "/no/such/file.json"])
            .assert_one_line_error("cannot read");
        let none = db.cli(&["catalog", "import"]);
        assert!(!none.status.success());
    }
);

both_databases!(tenant_user_token_commands, |db: TestDb| async move {
    // tenant create
    let out = db.cli(&["tenant", "create", "acme", "--name", "Acme Inc"]);
    let line = out.assert_ok().stdout_text();
    assert!(line.contains("\tacme\tAcme Inc"), "{line}");
    db.cli(&["tenant", "create", "acme"])
        .assert_one_line_error("already exists");
    db.cli(&["tenant", "create", "Bad Slug"])
        .assert_one_line_error("invalid tenant slug");
    db.cli(&["tenant", "create", "ok", "--name", "   "])
        .assert_one_line_error("tenant name");
    assert!(db.cli(&["tenant", "create", "ok2"]).status.success());

    // user create
    let u = db.user_create_with_password("acme", "Ann@Acme.test", "admin", "a-long-password");
    u.assert_ok();
    assert!(u.stdout_text().contains("ann@acme.test"));
    assert!(u.stderr_text().contains("created user"));
    db.user_create("nope", "x@y.z", "member")
        .assert_one_line_error("no tenant 'nope'");
    db.user_create("acme", "not-an-email", "member")
        .assert_one_line_error("invalid email");
    db.user_create_with_password("acme", "short@acme.test", "member", "short")
        .assert_one_line_error("password too short");
    let bad_role = db.user_create("acme", "r@acme.test", "root");
    assert!(!bad_role.status.success());
    assert!(bad_role.stderr_text().contains("root"));
    // The refused users were not created: a token for them is refused.
    db.token_create("acme", "short@acme.test", &[])
        .assert_one_line_error("not a member");
    // Existing user, new role.
    let again = db.user_create("acme", "ann@acme.test", "member");
    assert!(
        again
            .assert_ok()
            .stderr_text()
            .contains("changed to member")
    );

    // token create / list / revoke
    let t = db.token_create(
        "acme",
        "ann@acme.test",
        &["--name", "ci", "--scope", "credentials:read"],
    );
    let token = t.assert_ok().stdout_text();
    assert_eq!(token.lines().count(), 1);
    let token = token.trim().to_string();
    assert!(token.starts_with("cnk_") && token.len() >= 40);
    db.token_create("acme", "ann@acme.test", &["--scope", "admin:all"])
        .assert_one_line_error("unknown scope");
    db.token_create("ok2", "ann@acme.test", &[])
        .assert_one_line_error("not a member");

    let list = db
        .cli(&["token", "list", "--tenant", "acme"])
        .assert_ok()
        .stdout_text();
    assert_eq!(list.lines().count(), 1, "{list}");
    assert!(!list.contains(&token), "token values are never listed");
    assert!(list.contains("\tci\tann@acme.test\tcredentials:read\t"));
    assert!(list.trim_end().ends_with("active"));
    let id = list.split('\t').next().unwrap().to_string();
    db.cli(&["token", "list", "--tenant", "nope"])
        .assert_one_line_error("no tenant");

    db.cli(&["token", "revoke", &id]).assert_ok();
    db.cli(&["token", "revoke", &id])
        .assert_one_line_error("already revoked");
    db.cli(&["token", "revoke", "not-a-uuid"])
        .assert_one_line_error("not a token id");
    db.cli(&["token", "revoke", &uuid::Uuid::new_v4().to_string()])
        .assert_one_line_error("no token");
    let list = db
        .cli(&["token", "list", "--tenant", "acme"])
        .assert_ok()
        .stdout_text();
    assert!(list.contains("revoked "), "{list}");
});

#[test]
fn keys_generate_prints_a_usable_key() {
    let db = TestDb::sqlite();
    let out = db.cli(&["keys", "generate"]);
    let line = out.assert_ok().stdout_text();
    let ring = connectors::domain::secrets::KeyRing::parse(line.trim()).unwrap();
    assert!(line.starts_with(ring.primary_id()));
    let other = db.cli(&["keys", "generate"]).assert_ok().stdout_text();
    assert_ne!(line, other);
}

#[test]
fn every_command_has_help() {
    let db = TestDb::sqlite();
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["seed", "--help"],
        vec!["catalog", "import", "--help"],
        vec!["catalog", "list", "--help"],
        vec!["tenant", "create", "--help"],
        vec!["user", "create", "--help"],
        vec!["token", "create", "--help"],
        vec!["token", "list", "--help"],
        vec!["token", "revoke", "--help"],
        vec!["keys", "generate", "--help"],
        vec!["oauth", "--help"],
        vec!["oauth", "set", "--help"],
        vec!["oauth", "list", "--help"],
        vec!["oauth", "remove", "--help"],
    ] {
        let out = db.cli(&args);
        out.assert_ok();
        assert!(out.stdout_text().contains("Usage:"), "{args:?}");
    }
    let bad = db.cli(&["frobnicate"]);
    assert!(!bad.status.success());
}

#[test]
fn bad_database_url_is_one_line_error() {
    let db = TestDb::sqlite();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_connectors"))
        .env_remove("CONNECTORS_DATABASE_URL")
        .args(["--database-url", "mysql://x/y", "migrate"])
        .current_dir(db.data_dir())
        .output()
        .unwrap();
    out.assert_one_line_error("unsupported database URL");
}
