//! What the real binary logs at its most verbose: a sign-in, a token use
//! and form posts leave no password, token, session, CSRF token, hash or
//! secret value in the log, whatever the filter asks for.

use crate::both_databases;
use crate::support::{
    Actor, OutputExt, SignedIn, TestApp, TestDb, csrf_of, free_port, session_cookie, sign_in,
    start_server_logging, terminate,
};
use connectors::domain::identity::hash_token;

const EMAIL: &str = "logger@acme.test";
const PASSWORD: &str = "Pw-5tq8-Xr2m-Lg7c";
const FORM_SECRET: &str = "Fm8Hn3Jq6wRt2Yc5Kp9LZx4B";
const API_SECRET: &str = "Ap2Kd9Vz4pWe7Nu3Hj6SQm8D";

/// The filters tried, each as the environment variable that carries it.
const FILTERS: &[(&str, &str)] = &[
    ("RUST_LOG", "debug"),
    ("CONNECTORS_LOG_LEVEL", "trace"),
    (
        "RUST_LOG",
        "trace,tokio_postgres=trace,postgres=trace,deadpool=trace,rusqlite=trace,hyper=trace,h2=trace,reqwest=trace,tower_http=trace,log=trace",
    ),
];

both_databases!(
    no_secret_in_the_log_at_debug_or_trace,
    |db: TestDb| async move {
        let token = db.admin_token(&[]);
        db.user_create_with_password("acme", EMAIL, "admin", PASSWORD)
            .assert_ok();
        let actor = Actor {
            token: token.clone(),
        };
        let logs_dir = tempfile::tempdir().unwrap();
        let mut app = TestApp::attach(db, String::new()).await;
        for (n, (var, filter)) in FILTERS.iter().enumerate() {
            let log = logs_dir.path().join(format!("server-{n}.log"));
            let port = free_port();
            let mut child = start_server_logging(app.db(), port, &[(var, filter)], &log).await;
            app.base = format!("http://127.0.0.1:{port}");

            // Sign in through the form.
            let res = sign_in(&app, EMAIL, PASSWORD).await;
            assert_eq!(res.status(), 303, "{filter}: signed in");
            let cookie = session_cookie(&res);
            let session = cookie.split_once('=').unwrap().1.to_string();
            let browser = SignedIn {
                csrf: csrf_of(&app, &cookie).await,
                cookie,
            };

            // Install a connector through the page form (CSRF-protected).
            let name = format!("Logged {n}");
            let res = browser
                .post_htmx(
                    &app,
                    "/features/connectors/forms/new/wordpress",
                    &[("origin", &app.base)],
                    &[
                        ("name", name.as_str()),
                        ("config.site_url", "https://blog.example.com"),
                        ("config.username", "editor"),
                        ("auth.application_password", FORM_SECRET),
                    ],
                )
                .await;
            assert_eq!(res.status(), 200, "{filter}: form install");
            assert!(
                res.headers().contains_key("hx-trigger"),
                "{filter}: the form was saved"
            );

            // Use the token: install through the API, then list.
            let mut body = crate::support::wordpress(&format!("Api {n}"));
            body["auth"]["application_password"] = serde_json::json!(API_SECRET);
            let res = app.create(&actor, &body).await;
            assert_eq!(res.status(), 201, "{filter}: API install");
            let res = app.send_get(&actor, "/installed").await;
            assert_eq!(res.status(), 200);

            // Sign out (CSRF-protected form post).
            let res = browser
                .post_form_with(&app, "/logout", &[("origin", &app.base)], &[])
                .await;
            assert_eq!(res.status(), 303, "{filter}: signed out");

            assert!(terminate(&mut child).success());
            let text = std::fs::read_to_string(&log).unwrap();
            assert!(
                text.contains("/features/connectors/api/connectors") && text.contains("/logout"),
                "{filter}: requests were logged"
            );
            let needles = [
                ("the password", PASSWORD.to_string()),
                ("the token", token.clone()),
                ("the token's hash", hash_token(&token)),
                ("the session id", session.clone()),
                ("the session's hash", hash_token(&session)),
                ("the CSRF token", browser.csrf.clone()),
                ("a password hash", "$argon2".to_string()),
                ("the secret sent by the form", FORM_SECRET.to_string()),
                ("the secret sent to the API", API_SECRET.to_string()),
                ("the user's email", EMAIL.to_string()),
            ];
            for (what, needle) in needles {
                if let Some(line) = text.lines().find(|l| l.contains(&needle)) {
                    panic!("{what} is in the log at {var}={filter}: {line}");
                }
            }
        }
        app.stop().await;
    }
);
