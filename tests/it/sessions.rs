//! Sessions: sign-in and CSRF on API writes, tenant switching, idle and
//! absolute timeouts, and what ends a session or stays out of its table.

use crate::both_databases;
use crate::support::wordpress;
use crate::support::{
    OutputExt, SignedIn, TestApp, TestDb, assert_envelope, csrf_of, no_redirects, session_cookie,
    sign_in, without_login_form_token,
};
use connectors::domain::identity::Role;
use serde_json::Value;

both_databases!(sign_in_sessions_and_csrf, |db: TestDb| async move {
    let app = TestApp::spawn(db).await;
    app.add_user("acme", "ann@acme.test", Role::Admin, "correct horse")
        .await;

    // Unknown user and wrong password answer alike.
    let wrong = sign_in(&app, "ann@acme.test", "nope nope").await;
    let unknown = sign_in(&app, "who@acme.test", "nope nope").await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    assert!(wrong.headers().get("set-cookie").is_none());
    let (a, b) = (wrong.text().await.unwrap(), unknown.text().await.unwrap());
    assert!(a.contains("Invalid email or password."));
    // Each answer carries the token of its own sign-in form.
    assert_eq!(
        without_login_form_token(&a.replace("ann@acme.test", "X")),
        without_login_form_token(&b.replace("who@acme.test", "X"))
    );

    // A cross-site sign-in form is refused.
    let cross = no_redirects()
        .post(app.url("/login"))
        .header("origin", "http://evil.example")
        .form(&[("email", "ann@acme.test"), ("password", "correct horse")])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);

    let ok = sign_in(&app, "ann@acme.test", "correct horse").await;
    assert_eq!(ok.status(), 303);
    let cookie = session_cookie(&ok);
    // A new id at every sign-in.
    let again = app.session("ann@acme.test", "correct horse").await;
    assert_ne!(cookie, again);

    // The session reads the API; writes need the CSRF token and same origin.
    let list = app
        .page(&cookie, "/features/connectors/api/installed")
        .await;
    assert_eq!(list.status(), 200);
    let csrf = csrf_of(&app, &cookie).await;
    let body = wordpress("A");
    let refusals: [(&str, Vec<(&str, &str)>); 4] = [
        ("no token", vec![]),
        ("a wrong token", vec![("x-csrf-token", "x")]),
        (
            "another origin",
            vec![("x-csrf-token", &csrf), ("origin", "http://evil.example")],
        ),
        (
            "a cross-site request",
            vec![("x-csrf-token", &csrf), ("sec-fetch-site", "cross-site")],
        ),
    ];
    for (what, headers) in refusals {
        let refused = app
            .post_json_with_cookie(&cookie, "/connectors", &headers, &body)
            .await;
        assert_eq!(refused.status(), 403, "{what}");
        assert_envelope(refused, 403, "forbidden").await;
    }
    let created = app
        .post_json_with_cookie(
            &cookie,
            "/connectors",
            &[("x-csrf-token", &csrf), ("origin", &app.base)],
            &body,
        )
        .await;
    assert_eq!(created.status(), 201);
    let c: Value = created.json().await.unwrap();
    assert_eq!(c["created_by_name"], "ann");
    // The token of another session does not work with this one.
    let other_csrf = csrf_of(&app, &again).await;
    assert_ne!(csrf, other_csrf);
    let mixed = app
        .http
        .delete(app.api(&format!("/connectors/{}", c["id"].as_str().unwrap())))
        .header("cookie", &cookie)
        .header("x-csrf-token", &other_csrf)
        .send()
        .await
        .unwrap();
    assert_envelope(mixed, 403, "forbidden").await;
    // Sessions never read credentials, even with the CSRF token.
    let creds = app
        .http
        .get(app.api(&format!(
            "/connectors/{}/credentials",
            c["id"].as_str().unwrap()
        )))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_envelope(creds, 403, "forbidden").await;
    // A GET never changes state: the form routes only answer unsafe methods.
    let get_delete = app
        .page(
            &cookie,
            &format!("/features/connectors/forms/{}", c["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(get_delete.status(), 405);

    // Logout needs the token too, then the session is gone.
    let wrong = SignedIn {
        cookie: cookie.clone(),
        csrf: "wrong".into(),
    };
    let refused = wrong.post_form(&app, "/logout", &[]).await;
    assert_eq!(refused.status(), 403);
    let ann = SignedIn {
        cookie: cookie.clone(),
        csrf: csrf.clone(),
    };
    let out = ann.post_form(&app, "/logout", &[]).await;
    assert_eq!(out.status(), 303);
    assert!(
        out.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let after = app
        .page(&cookie, "/features/connectors/api/installed")
        .await;
    assert_envelope(after, 401, "unauthorized").await;
    let page = app
        .page_no_follow(&cookie, "/features/connectors/installed")
        .await;
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()["location"], "/login");
    app.stop().await;
});

both_databases!(
    users_switch_between_their_tenants,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        app.add_user("acme", "dee@multi.test", Role::Admin, "dee password")
            .await;
        app.add_user("globex", "dee@multi.test", Role::Member, "dee password")
            .await;
        let dee = app.signed_in("dee@multi.test", "dee password").await;
        let created = dee
            .post_json(&app, "/connectors", &wordpress("In acme"))
            .await;
        assert_eq!(created.status(), 201);
        let page = dee
            .get(&app, "/features/connectors/catalog")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("name=\"tenant\""),
            "a tenant switcher is shown"
        );
        let switched = dee
            .post_form(&app, "/switch-tenant", &[("tenant", "globex")])
            .await;
        assert_eq!(switched.status(), 303);
        let list: Value = dee
            .get(&app, "/features/connectors/api/installed")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            list["items"],
            serde_json::json!([]),
            "globex sees none of acme's connectors"
        );
        // In globex Dee is a member: no writes.
        let denied = dee
            .post_json(&app, "/connectors", &wordpress("In globex"))
            .await;
        assert_envelope(denied, 403, "forbidden").await;
        let not_member = dee
            .post_form(&app, "/switch-tenant", &[("tenant", "initech")])
            .await;
        assert_eq!(not_member.status(), 404);
        app.stop().await;
    }
);

both_databases!(
    idle_and_absolute_timeouts_end_sessions,
    |db: TestDb| async move {
        use chrono::Duration;
        use connectors::domain::identity::hash_token;
        use connectors::domain::time;
        use connectors::storage::SessionWrite;
        let app = TestApp::spawn(db).await;
        app.add_user("acme", "eve@acme.test", Role::Admin, "eve password")
            .await;
        let user = app
            .store
            .login_user("eve@acme.test")
            .await
            .unwrap()
            .unwrap()
            .user;
        let tenant = app.store.tenant_by_slug("acme").await.unwrap().unwrap();
        let now = time::now();
        let cases = [
            (
                "idle",
                now - Duration::minutes(45),
                now + Duration::hours(1),
            ),
            (
                "expired",
                now - Duration::minutes(1),
                now - Duration::seconds(1),
            ),
            ("live", now - Duration::minutes(1), now + Duration::hours(1)),
        ];
        for (value, created, expires) in cases {
            app.store
                .session_insert(&SessionWrite {
                    id_hash: hash_token(value),
                    user_id: user.id.clone(),
                    tenant_id: tenant.id.clone(),
                    now: created,
                    expires_at: expires,
                })
                .await
                .unwrap();
            let res = app
                .page(
                    &format!("connectors_session={value}"),
                    "/features/connectors/api/installed",
                )
                .await;
            let expected = if value == "live" { 200 } else { 401 };
            assert_eq!(res.status().as_u16(), expected, "{value}");
        }
        app.stop().await;
    }
);

/// Whether a session cookie still reads the API and the pages.
async fn session_alive(app: &TestApp, cookie: &str) -> bool {
    let api = app
        .page(cookie, "/features/connectors/api/installed")
        .await
        .status()
        .as_u16();
    let page = app
        .page_no_follow(cookie, "/features/connectors/installed")
        .await;
    match (api, page.status().as_u16()) {
        (200, 200) => true,
        (401, 303) => {
            assert_eq!(page.headers()["location"], "/login");
            false
        }
        other => panic!("unexpected answers {other:?}"),
    }
}

both_databases!(
    a_new_password_ends_the_users_sessions,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let db = app.db();
        db.cli(&["tenant", "create", "acme"]).assert_ok();
        let set_password = |password: &str| {
            db.user_create_with_password("acme", "jo@acme.test", "admin", password)
        };
        set_password("first password").assert_ok();
        let one = app.session("jo@acme.test", "first password").await;
        let two = app.session("jo@acme.test", "first password").await;
        app.add_user("acme", "kim@acme.test", Role::Admin, "kim password")
            .await;
        let other = app.session("kim@acme.test", "kim password").await;
        assert!(session_alive(&app, &one).await && session_alive(&app, &two).await);

        set_password("second password").assert_ok();
        assert!(!session_alive(&app, &one).await, "old session still works");
        assert!(!session_alive(&app, &two).await, "old session still works");
        assert!(session_alive(&app, &other).await, "another user's session");
        assert_eq!(
            sign_in(&app, "jo@acme.test", "first password")
                .await
                .status(),
            401
        );
        let new = app.session("jo@acme.test", "second password").await;
        assert!(session_alive(&app, &new).await);
        app.stop().await;
    }
);

both_databases!(
    a_changed_or_removed_membership_ends_that_tenants_sessions,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let db = app.db();
        app.add_user("acme", "lu@multi.test", Role::Admin, "lu password")
            .await;
        app.add_user("globex", "lu@multi.test", Role::Admin, "lu password")
            .await;
        let in_acme = app.session("lu@multi.test", "lu password").await;
        let globex = app.signed_in("lu@multi.test", "lu password").await;
        let in_globex = globex.cookie.clone();
        let switched = globex
            .post_form(&app, "/switch-tenant", &[("tenant", "globex")])
            .await;
        assert_eq!(switched.status(), 303);

        // A role change in acme ends the sessions in acme only.
        let role = |r: &str| db.user_create("acme", "lu@multi.test", r);
        role("member").assert_ok();
        assert!(!session_alive(&app, &in_acme).await, "role changed");
        assert!(session_alive(&app, &in_globex).await, "other tenant");
        // The same role again changes nothing.
        let in_acme = app.session("lu@multi.test", "lu password").await;
        role("member").assert_ok();
        assert!(session_alive(&app, &in_acme).await, "role unchanged");

        // Removing the membership ends the sessions in acme too.
        let out = db.user_remove("acme", "lu@multi.test");
        out.assert_ok();
        assert!(
            out.stderr_text()
                .contains("removed lu@multi.test from 'acme'"),
            "{}",
            out.stderr_text()
        );
        assert!(!session_alive(&app, &in_acme).await, "membership removed");
        assert!(session_alive(&app, &in_globex).await, "other tenant");
        // Signing in now opens the remaining tenant.
        let again = app.session("lu@multi.test", "lu password").await;
        let page = app
            .page(&again, "/features/connectors/installed")
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("globex"));

        // Bad input: one-line errors, nothing changed.
        db.user_remove("acme", "lu@multi.test")
            .assert_one_line_error("lu@multi.test is not a member of tenant 'acme'");
        db.user_remove("nope", "lu@multi.test")
            .assert_one_line_error("no tenant 'nope'");
        db.user_remove("globex", "not an email")
            .assert_one_line_error("invalid email address");
        assert!(session_alive(&app, &in_globex).await);
        app.stop().await;
    }
);

/// Every column name and every stored value of the sessions table, read
/// straight from the database.
async fn sessions_table(db: &TestDb) -> (Vec<String>, Vec<String>) {
    if db.pg_name.is_some() {
        let (client, conn) = tokio_postgres::connect(&db.url(), tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        let columns = client
            .query(
                "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'sessions'",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect();
        let rows = client
            .query("SELECT row_to_json(s)::text FROM sessions s", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect();
        (columns, rows)
    } else {
        let conn = rusqlite::Connection::open(db.data_dir().join("connectors.db")).unwrap();
        let mut stmt = conn.prepare("SELECT * FROM sessions").unwrap();
        let columns: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
        let n = columns.len();
        let rows = stmt
            .query_map([], |r| {
                let mut text = String::new();
                for i in 0..n {
                    let v: rusqlite::types::Value = r.get(i)?;
                    text.push_str(&format!("{v:?}|"));
                }
                Ok(text)
            })
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        (columns, rows)
    }
}

both_databases!(
    the_csrf_token_is_not_stored_in_clear,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let max = app
            .signed_in_user("acme", "max@acme.test", Role::Admin, "max password")
            .await;
        let (cookie, csrf) = (max.cookie.clone(), max.csrf.clone());
        let (columns, rows) = sessions_table(app.db()).await;
        assert!(!columns.iter().any(|c| c.contains("csrf")), "{columns:?}");
        assert_eq!(rows.len(), 1);
        assert!(
            !rows[0].contains(&csrf),
            "the CSRF token is stored: {rows:?}"
        );
        let session_id = cookie.split_once('=').unwrap().1;
        assert!(!rows[0].contains(session_id), "the session id is stored");
        // The token still guards writes.
        let created = max
            .post_json(&app, "/connectors", &wordpress("Guarded"))
            .await;
        assert_eq!(created.status(), 201);
        // A restarted application derives the same token.
        let db = app.into_db().await;
        let app = TestApp::spawn(db).await;
        assert_eq!(csrf_of(&app, &cookie).await, csrf);
        app.stop().await;
    }
);
