//! Sign-in: the form and its CSRF token, invalid addresses, and the login
//! throttle per account, per address, under parallel and bursting sign-ins.

use crate::both_databases;
use crate::support::{
    TestApp, TestDb, at_once, count_of, free_port, login_form, no_redirects, sign_in, sign_in_at,
    start_server,
};
use connectors::domain::identity::Role;

both_databases!(
    failed_sign_ins_are_throttled_per_account,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        app.add_user("acme", "bob@acme.test", Role::Member, "right password")
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
        app.add_user("acme", "cat@acme.test", Role::Member, "cat password")
            .await;
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
    failed_sign_ins_are_throttled_per_address,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        app.add_user("acme", "fay@acme.test", Role::Member, "fay password")
            .await;
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

/// Sends `count` wrong-password sign-ins to the server at `base` at once;
/// their statuses.
async fn burst(base: &str, count: usize, email: impl Fn(usize) -> String) -> Vec<u16> {
    at_once((0..count).map(|i| {
        let (base, email) = (base.to_string(), email(i));
        async move {
            sign_in_at(&base, &email, "wrong password")
                .await
                .status()
                .as_u16()
        }
    }))
    .await
}

/// How many of a burst's sign-ins were checked (401), refused unchecked
/// (429) or left unchecked by a busy machine (503).
fn tally(statuses: &[u16]) -> (usize, usize, usize) {
    (
        count_of(statuses, 401),
        count_of(statuses, 429),
        count_of(statuses, 503),
    )
}

both_databases!(
    parallel_sign_ins_cannot_beat_the_throttle,
    |db: TestDb| async move {
        use chrono::Duration;
        use connectors::domain::time;
        let app = TestApp::spawn(db).await;
        app.add_user("acme", "hal@acme.test", Role::Member, "hal password")
            .await;

        // Thirty wrong passwords for one account at the same moment: at
        // most five are checked, the others are refused unchecked.
        // (A machine too busy to check them all in time may answer 503
        // for some instead: those are not checked either.)
        let statuses = burst(&app.base, 30, |_| "hal@acme.test".to_string()).await;
        let (checked, refused, busy) = tally(&statuses);
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
        let statuses = burst(&app.base, 40, |i| format!("nobody{i}@acme.test")).await;
        let (checked, refused, busy) = tally(&statuses);
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
        for status in burst(&base, 19, |i| format!("burst{i}@acme.test")).await {
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
        app.add_user("acme", "ida@acme.test", Role::Member, "ida password")
            .await;
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

both_databases!(
    sign_in_needs_the_forms_own_csrf_token,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        app.add_user("acme", "ned@acme.test", Role::Admin, "ned password")
            .await;
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
