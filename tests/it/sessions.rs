//! Sign-in, sessions, CSRF and the login throttle over HTTP.

use crate::api_connectors::wordpress;
use crate::both_databases;
use crate::support::{
    OutputExt, TestApp, TestDb, assert_envelope, csrf_of, free_port, login_form, no_redirects,
    session_cookie, sign_in, sign_in_at, start_server,
};
use connectors::domain::identity::Role;
use connectors::service::identity as svc;
use secrecy::SecretString;
use serde_json::Value;

async fn add_user(app: &TestApp, tenant: &str, email: &str, role: Role, password: &str) {
    let store = app.store.as_ref();
    if store.tenant_by_slug(tenant).await.unwrap().is_none() {
        svc::create_tenant(store, tenant, None).await.unwrap();
    }
    svc::add_member(
        store,
        tenant,
        email,
        role,
        Some(&SecretString::from(password.to_string())),
    )
    .await
    .unwrap();
}

both_databases!(sign_in_sessions_and_csrf, |db: TestDb| async move {
    let app = TestApp::spawn(db).await;
    add_user(&app, "acme", "ann@acme.test", Role::Admin, "correct horse").await;

    // Unknown user and wrong password answer alike.
    let wrong = sign_in(&app, "ann@acme.test", "nope nope").await;
    let unknown = sign_in(&app, "who@acme.test", "nope nope").await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    assert!(wrong.headers().get("set-cookie").is_none());
    let (a, b) = (wrong.text().await.unwrap(), unknown.text().await.unwrap());
    assert!(a.contains("Invalid email or password."));
    // Each answer carries the token of its own sign-in form.
    let without_token = |html: &str| {
        let marker = "name=\"_csrf\" value=\"";
        let start = html.find(marker).unwrap() + marker.len();
        let end = start + html[start..].find('"').unwrap();
        format!("{}{}", &html[..start], &html[end..])
    };
    assert_eq!(
        without_token(&a.replace("ann@acme.test", "X")),
        without_token(&b.replace("who@acme.test", "X"))
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
    let again = session_cookie(&sign_in(&app, "ann@acme.test", "correct horse").await);
    assert_ne!(cookie, again);

    // The session reads the API; writes need the CSRF token and same origin.
    let list = app
        .http
        .get(app.api("/installed"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200);
    let csrf = csrf_of(&app, &cookie).await;
    let no_token = app
        .http
        .post(app.api("/connectors"))
        .header("cookie", &cookie)
        .json(&wordpress("A"))
        .send()
        .await
        .unwrap();
    assert_envelope(no_token, 403, "forbidden").await;
    let bad_token = app
        .http
        .post(app.api("/connectors"))
        .header("cookie", &cookie)
        .header("x-csrf-token", "x")
        .json(&wordpress("A"))
        .send()
        .await
        .unwrap();
    assert_envelope(bad_token, 403, "forbidden").await;
    let other_origin = app
        .http
        .post(app.api("/connectors"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .header("origin", "http://evil.example")
        .json(&wordpress("A"))
        .send()
        .await
        .unwrap();
    assert_envelope(other_origin, 403, "forbidden").await;
    let cross_site = app
        .http
        .post(app.api("/connectors"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .header("sec-fetch-site", "cross-site")
        .json(&wordpress("A"))
        .send()
        .await
        .unwrap();
    assert_envelope(cross_site, 403, "forbidden").await;
    let created = app
        .http
        .post(app.api("/connectors"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .header("origin", app.base.clone())
        .json(&wordpress("A"))
        .send()
        .await
        .unwrap();
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
        .http
        .get(app.url(&format!(
            "/features/connectors/forms/{}",
            c["id"].as_str().unwrap()
        )))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(get_delete.status(), 405);

    // Logout needs the token too, then the session is gone.
    let refused = no_redirects()
        .post(app.url("/logout"))
        .header("cookie", &cookie)
        .form(&[("_csrf", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let out = no_redirects()
        .post(app.url("/logout"))
        .header("cookie", &cookie)
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    assert!(
        out.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let after = app
        .http
        .get(app.api("/installed"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_envelope(after, 401, "unauthorized").await;
    let page = no_redirects()
        .get(app.url("/features/connectors/installed"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()["location"], "/login");
    app.stop().await;
});

both_databases!(
    failed_sign_ins_are_throttled_per_account,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        add_user(
            &app,
            "acme",
            "bob@acme.test",
            Role::Member,
            "right password",
        )
        .await;
        for _ in 0..5 {
            assert_eq!(sign_in(&app, "bob@acme.test", "wrong").await.status(), 401);
        }
        // Even the right password is refused while throttled.
        let throttled = sign_in(&app, "bob@acme.test", "right password").await;
        assert_eq!(throttled.status(), 429);
        assert!(
            throttled
                .text()
                .await
                .unwrap()
                .contains("Too many failed sign-ins")
        );
        // Another account from the same address is not yet affected.
        add_user(&app, "acme", "cat@acme.test", Role::Member, "cat password").await;
        assert_eq!(
            sign_in(&app, "cat@acme.test", "cat password")
                .await
                .status(),
            303
        );
        app.stop().await;
    }
);

both_databases!(
    users_switch_between_their_tenants,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        add_user(&app, "acme", "dee@multi.test", Role::Admin, "dee password").await;
        add_user(
            &app,
            "globex",
            "dee@multi.test",
            Role::Member,
            "dee password",
        )
        .await;
        let cookie = session_cookie(&sign_in(&app, "dee@multi.test", "dee password").await);
        let csrf = csrf_of(&app, &cookie).await;
        let created = app
            .http
            .post(app.api("/connectors"))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .json(&wordpress("In acme"))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
        let page = app
            .http
            .get(app.url("/features/connectors/catalog"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("name=\"tenant\""),
            "a tenant switcher is shown"
        );
        let switched = no_redirects()
            .post(app.url("/switch-tenant"))
            .header("cookie", &cookie)
            .form(&[("_csrf", csrf.as_str()), ("tenant", "globex")])
            .send()
            .await
            .unwrap();
        assert_eq!(switched.status(), 303);
        let list: Value = app
            .http
            .get(app.api("/installed"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            list["items"],
            serde_json::json!([]),
            "globex sees none of acme's connectors"
        );
        // In globex Dee is a member: no writes.
        let denied = app
            .http
            .post(app.api("/connectors"))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .json(&wordpress("In globex"))
            .send()
            .await
            .unwrap();
        assert_envelope(denied, 403, "forbidden").await;
        let not_member = no_redirects()
            .post(app.url("/switch-tenant"))
            .header("cookie", &cookie)
            .form(&[("_csrf", csrf.as_str()), ("tenant", "initech")])
            .send()
            .await
            .unwrap();
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
        add_user(&app, "acme", "eve@acme.test", Role::Admin, "eve password").await;
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
                .http
                .get(app.api("/installed"))
                .header("cookie", format!("connectors_session={value}"))
                .send()
                .await
                .unwrap();
            let expected = if value == "live" { 200 } else { 401 };
            assert_eq!(res.status().as_u16(), expected, "{value}");
        }
        app.stop().await;
    }
);

both_databases!(
    failed_sign_ins_are_throttled_per_address,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        add_user(&app, "acme", "fay@acme.test", Role::Member, "fay password").await;
        for i in 0..20 {
            let res = sign_in(&app, &format!("nobody{i}@acme.test"), "wrong").await;
            assert_eq!(res.status(), 401);
        }
        let res = sign_in(&app, "fay@acme.test", "fay password").await;
        assert_eq!(
            res.status(),
            429,
            "the address is throttled across accounts"
        );
        app.stop().await;
    }
);

both_databases!(pages_carry_security_headers, |db: TestDb| async move {
    let app = TestApp::spawn(db).await;
    add_user(&app, "acme", "gus@acme.test", Role::Admin, "gus password").await;
    let cookie = session_cookie(&sign_in(&app, "gus@acme.test", "gus password").await);
    for path in [
        "/login",
        "/features/connectors/catalog",
        "/features/connectors/installed",
        "/features/connectors/forms/new/wordpress",
    ] {
        let res = app
            .http
            .get(app.url(path))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["referrer-policy"], "same-origin");
        assert_eq!(h["cache-control"], "no-store", "{path}");
        let html = res.text().await.unwrap();
        assert!(
            !html.contains("<script>") && !html.contains(" style=\""),
            "{path}: no inline script or style"
        );
        for attr in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
            assert!(
                !html.contains(attr),
                "{path}: nothing from other hosts ({attr})"
            );
        }
    }
    // Fields render in the schema's order on every database.
    let form = app
        .http
        .get(app.url("/features/connectors/forms/new/wordpress"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let pos = |n: &str| {
        form.find(&format!("name=\"{n}\""))
            .unwrap_or_else(|| panic!("{n}"))
    };
    assert!(pos("config.site_url") < pos("config.username"));
    assert!(pos("config.username") < pos("config.default_status"));
    assert!(
        form.contains("type=\"password\"") && form.contains("name=\"auth.application_password\"")
    );
    app.stop().await;
});

/// Sends `count` sign-ins at once and returns their statuses.
async fn burst(app: &TestApp, count: usize, email: impl Fn(usize) -> String) -> Vec<u16> {
    let mut tasks = Vec::new();
    for i in 0..count {
        let (base, email) = (app.base.clone(), email(i));
        tasks.push(tokio::spawn(async move {
            sign_in_at(&base, &email, "wrong password")
                .await
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses
}

both_databases!(
    parallel_sign_ins_cannot_beat_the_throttle,
    |db: TestDb| async move {
        use chrono::Duration;
        use connectors::domain::time;
        let app = TestApp::spawn(db).await;
        add_user(&app, "acme", "hal@acme.test", Role::Member, "hal password").await;

        // Thirty wrong passwords for one account at the same moment: at
        // most five are checked, the others are refused unchecked.
        // (A machine too busy to check them all in time may answer 503
        // for some instead: those are not checked either.)
        let statuses = burst(&app, 30, |_| "hal@acme.test".to_string()).await;
        let checked = statuses.iter().filter(|s| **s == 401).count();
        let refused = statuses.iter().filter(|s| **s == 429).count();
        let busy = statuses.iter().filter(|s| **s == 503).count();
        assert!(checked <= 5, "{checked} checked: {statuses:?}");
        assert!(refused + busy >= 25, "{statuses:?}");
        assert_eq!(checked + refused + busy, 30, "{statuses:?}");
        let throttled = sign_in(&app, "hal@acme.test", "hal password").await;
        assert_eq!(throttled.status(), 429);

        // Once the window has passed, the right password works.
        let later = time::now() + Duration::minutes(1);
        for subject in ["account:hal@acme.test", "address:127.0.0.1"] {
            app.store.login_failure_clear(subject, later).await.unwrap();
        }
        let ok = sign_in(&app, "hal@acme.test", "hal password").await;
        assert_eq!(ok.status(), 303);

        // The same for the address: forty accounts at once from one
        // address, at most twenty checked.
        let statuses = burst(&app, 40, |i| format!("nobody{i}@acme.test")).await;
        let checked = statuses.iter().filter(|s| **s == 401).count();
        let refused = statuses.iter().filter(|s| **s == 429).count();
        let busy = statuses.iter().filter(|s| **s == 503).count();
        assert!(checked <= 20, "{checked} checked: {statuses:?}");
        assert!(refused + busy >= 20, "{statuses:?}");
        assert_eq!(checked + refused + busy, 40, "{statuses:?}");
        app.stop().await;
    }
);

/// The peak resident memory of a process, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

both_databases!(
    a_burst_of_sign_ins_hashes_a_bounded_number_at_once,
    |db: TestDb| async move {
        let port = free_port();
        let mut server = start_server(&db, port, &db.url()).await;
        let base = format!("http://127.0.0.1:{port}");
        // Warm up (the first check also builds the hash unknown users are
        // checked against).
        assert_eq!(
            sign_in_at(&base, "warm@acme.test", "wrong password")
                .await
                .status(),
            401
        );
        let before = peak_rss_kib(server.id());
        // Nineteen unknown accounts at once, under the address limit: each
        // argon2 check holds about 19 MiB while it runs.
        let mut tasks = Vec::new();
        for i in 0..19 {
            let base = base.clone();
            tasks.push(tokio::spawn(async move {
                sign_in_at(&base, &format!("burst{i}@acme.test"), "wrong password")
                    .await
                    .status()
                    .as_u16()
            }));
        }
        for t in tasks {
            let status = t.await.unwrap();
            assert!(status == 401 || status == 503, "{status}");
        }
        let grown_mib = peak_rss_kib(server.id()).saturating_sub(before) / 1024;
        let _ = server.kill();
        let _ = server.wait();
        assert!(
            grown_mib < 150,
            "peak memory grew by {grown_mib} MiB during the burst"
        );
    }
);

both_databases!(
    an_email_that_cannot_be_an_address_is_an_invalid_sign_in,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        add_user(&app, "acme", "ida@acme.test", Role::Member, "ida password").await;
        for email in [
            "ida\0@acme.test",
            "ida@acme.test\0",
            "\0",
            "a\u{1}b@acme.test",
        ] {
            let res = sign_in(&app, email, "ida password").await;
            assert_eq!(res.status(), 401, "{email:?}");
            assert!(res.headers().get("set-cookie").is_none());
            let html = res.text().await.unwrap();
            assert!(html.contains("Invalid email or password."), "{email:?}");
            assert!(!html.contains(['\0', '\u{1}']), "{email:?}");
        }
        // The account itself is untouched.
        assert_eq!(
            sign_in(&app, "ida@acme.test", "ida password")
                .await
                .status(),
            303
        );
        app.stop().await;
    }
);

/// Whether a session cookie still reads the API and the pages.
async fn session_alive(app: &TestApp, cookie: &str) -> bool {
    let api = app
        .http
        .get(app.api("/installed"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    let page = no_redirects()
        .get(app.url("/features/connectors/installed"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
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
        let cli = |args: &[&str], stdin: Option<&str>| app.db().cli_with_stdin(args, stdin);
        cli(&["tenant", "create", "acme"], None).assert_ok();
        let create = [
            "user",
            "create",
            "--tenant",
            "acme",
            "--email",
            "jo@acme.test",
            "--role",
            "admin",
            "--password-stdin",
        ];
        cli(&create, Some("first password\n")).assert_ok();
        let one = session_cookie(&sign_in(&app, "jo@acme.test", "first password").await);
        let two = session_cookie(&sign_in(&app, "jo@acme.test", "first password").await);
        add_user(&app, "acme", "kim@acme.test", Role::Admin, "kim password").await;
        let other = session_cookie(&sign_in(&app, "kim@acme.test", "kim password").await);
        assert!(session_alive(&app, &one).await && session_alive(&app, &two).await);

        cli(&create, Some("second password\n")).assert_ok();
        assert!(!session_alive(&app, &one).await, "old session still works");
        assert!(!session_alive(&app, &two).await, "old session still works");
        assert!(session_alive(&app, &other).await, "another user's session");
        assert_eq!(
            sign_in(&app, "jo@acme.test", "first password")
                .await
                .status(),
            401
        );
        let new = session_cookie(&sign_in(&app, "jo@acme.test", "second password").await);
        assert!(session_alive(&app, &new).await);
        app.stop().await;
    }
);

both_databases!(
    a_changed_or_removed_membership_ends_that_tenants_sessions,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let cli = |args: &[&str], stdin: Option<&str>| app.db().cli_with_stdin(args, stdin);
        add_user(&app, "acme", "lu@multi.test", Role::Admin, "lu password").await;
        add_user(&app, "globex", "lu@multi.test", Role::Admin, "lu password").await;
        let in_acme = session_cookie(&sign_in(&app, "lu@multi.test", "lu password").await);
        let in_globex = session_cookie(&sign_in(&app, "lu@multi.test", "lu password").await);
        let csrf = csrf_of(&app, &in_globex).await;
        let switched = no_redirects()
            .post(app.url("/switch-tenant"))
            .header("cookie", &in_globex)
            .form(&[("_csrf", csrf.as_str()), ("tenant", "globex")])
            .send()
            .await
            .unwrap();
        assert_eq!(switched.status(), 303);

        // A role change in acme ends the sessions in acme only.
        let role = |r: &'static str| {
            [
                "user",
                "create",
                "--tenant",
                "acme",
                "--email",
                "lu@multi.test",
                "--role",
                r,
            ]
        };
        cli(&role("member"), None).assert_ok();
        assert!(!session_alive(&app, &in_acme).await, "role changed");
        assert!(session_alive(&app, &in_globex).await, "other tenant");
        // The same role again changes nothing.
        let in_acme = session_cookie(&sign_in(&app, "lu@multi.test", "lu password").await);
        cli(&role("member"), None).assert_ok();
        assert!(session_alive(&app, &in_acme).await, "role unchanged");

        // Removing the membership ends the sessions in acme too.
        let remove = [
            "user",
            "remove",
            "--tenant",
            "acme",
            "--email",
            "lu@multi.test",
        ];
        let out = cli(&remove, None);
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
        let again = session_cookie(&sign_in(&app, "lu@multi.test", "lu password").await);
        let page = app
            .http
            .get(app.url("/features/connectors/installed"))
            .header("cookie", &again)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("globex"));

        // Bad input: one-line errors, nothing changed.
        cli(&remove, None).assert_one_line_error("lu@multi.test is not a member of tenant 'acme'");
        cli(
            &[
                "user",
                "remove",
                "--tenant",
                "nope",
                "--email",
                "lu@multi.test",
            ],
            None,
        )
        .assert_one_line_error("no tenant 'nope'");
        cli(
            &[
                "user",
                "remove",
                "--tenant",
                "globex",
                "--email",
                "not an email",
            ],
            None,
        )
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
        add_user(&app, "acme", "max@acme.test", Role::Admin, "max password").await;
        let cookie = session_cookie(&sign_in(&app, "max@acme.test", "max password").await);
        let csrf = csrf_of(&app, &cookie).await;
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
        let created = app
            .http
            .post(app.api("/connectors"))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .json(&wordpress("Guarded"))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
        // A restarted application derives the same token.
        let db = app.into_db().await;
        let app = TestApp::spawn(db).await;
        assert_eq!(csrf_of(&app, &cookie).await, csrf);
        app.stop().await;
    }
);

both_databases!(
    sign_in_needs_the_forms_own_csrf_token,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        add_user(&app, "acme", "ned@acme.test", Role::Admin, "ned password").await;
        // A form posted from elsewhere by a client that sends neither
        // Origin nor Sec-Fetch-Site is refused.
        let forged = no_redirects()
            .post(app.url("/login"))
            .form(&[("email", "ned@acme.test"), ("password", "ned password")])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 403, "a sign-in without a token");
        let (cookie, token) = login_form(&app.base).await;
        let (other_cookie, other_token) = login_form(&app.base).await;
        assert_ne!(token, other_token);
        assert!(!token.contains(cookie.split_once('=').unwrap().1));
        let post = |cookie: Option<&str>, token: Option<&str>| {
            let mut req = no_redirects().post(app.url("/login"));
            if let Some(c) = cookie {
                req = req.header("cookie", c);
            }
            let mut form = vec![("email", "ned@acme.test"), ("password", "ned password")];
            if let Some(t) = token {
                form.push(("_csrf", t));
            }
            req.form(&form).send()
        };
        // No Origin, no Sec-Fetch-Site: only the token tells a forged form
        // from the real one.
        for (what, c, t) in [
            ("nothing", None, None),
            ("no token", Some(cookie.as_str()), None),
            ("no cookie", None, Some(token.as_str())),
            (
                "another form's token",
                Some(cookie.as_str()),
                Some(other_token.as_str()),
            ),
            (
                "another form's cookie",
                Some(other_cookie.as_str()),
                Some(token.as_str()),
            ),
            ("a made-up token", Some(cookie.as_str()), Some("x")),
        ] {
            let res = post(c, t).await.unwrap();
            assert_eq!(res.status(), 403, "{what}");
            assert!(
                res.headers()
                    .get_all("set-cookie")
                    .iter()
                    .all(|v| !v.to_str().unwrap().starts_with("connectors_session=")),
                "{what}"
            );
            let html = res.text().await.unwrap();
            assert!(html.contains("Reload the page"), "{what}: {html}");
        }
        let ok = post(Some(&cookie), Some(&token)).await.unwrap();
        assert_eq!(ok.status(), 303);
        let set: Vec<&str> = ok
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert!(
            set.iter().any(|c| c.starts_with("connectors_session=")),
            "{set:?}"
        );
        // The pre-session cookie is done with.
        assert!(
            set.iter()
                .any(|c| c.starts_with("connectors_login=") && c.contains("Max-Age=0")),
            "{set:?}"
        );
        app.stop().await;
    }
);
