//! The security headers every page carries.

use crate::both_databases;
use crate::support::{TestApp, TestDb};
use connectors::domain::identity::Role;

both_databases!(pages_carry_security_headers, |db: TestDb| async move {
    let app = TestApp::spawn(db).await;
    app.add_user("acme", "gus@acme.test", Role::Admin, "gus password")
        .await;
    let cookie = app.session("gus@acme.test", "gus password").await;
    for path in [
        "/login",
        "/features/connectors/catalog",
        "/features/connectors/installed",
        "/features/connectors/forms/new/wordpress",
    ] {
        let res = app.page(&cookie, path).await;
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
        .page(&cookie, "/features/connectors/forms/new/wordpress")
        .await
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
