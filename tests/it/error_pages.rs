//! Page routes that fail answer pages, not the API's envelope: a browser
//! asking for a page gets HTML with a way back (404, 403, an expired
//! form), htmx gets an error toast with nothing swapped, and the API keeps
//! its JSON whatever the client accepts. The sign-in page's bootstrap hint
//! shows only while the bootstrap password is unchanged.

use crate::both_databases;
use crate::support::{TestApp, TestDb, no_redirects, wordpress};
use connectors::domain::identity::Role;
use serde_json::Value;

const HTML: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

fn content_type(res: &reqwest::Response) -> String {
    res.headers()["content-type"].to_str().unwrap().to_string()
}

both_databases!(failing_page_routes_answer_pages, |db: TestDb| async move {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let id = app.create_id(&admin, &wordpress("Blog")).await;
    let owner = app
        .signed_in_user("acme", "olga@acme.test", Role::Owner, "olga password")
        .await;
    let member = app
        .signed_in_user("acme", "mia@acme.test", Role::Member, "mia password")
        .await;
    let get = |cookie: &str, path: &str| {
        no_redirects()
            .get(app.url(path))
            .header("cookie", cookie.to_string())
            .header("accept", HTML)
            .send()
    };

    // A connector that is not there.
    let res = get(
        &owner.cookie,
        "/features/connectors/forms/0190d8e6-0000-7000-8000-000000000000/edit",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 404);
    assert!(content_type(&res).starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(
        html.contains("<h1 id=\"error-heading\">Not found</h1>"),
        "{html}"
    );
    assert!(
        html.contains("href=\"/features/connectors/catalog\""),
        "a way back: {html}"
    );
    assert!(!html.contains("\"error\":"), "no envelope: {html}");

    // A route that is not there.
    let res = get(&owner.cookie, "/features/connectors/nowhere")
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(content_type(&res).starts_with("text/html"));

    // A member asking for an admin's dialog.
    let res = get(&member.cookie, "/features/connectors/forms/new/wordpress")
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let html = res.text().await.unwrap();
    assert!(html.contains("Not allowed"), "{html}");
    assert!(html.contains("owner or admin"), "{html}");

    // The same from htmx: an error toast, nothing swapped, no envelope.
    let res = member
        .post_htmx(
            &app,
            &format!("/features/connectors/forms/{id}/status"),
            &[],
            &[("status", "active")],
        )
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(res.headers()["hx-reswap"], "none");
    let trigger: Value =
        serde_json::from_str(res.headers()["hx-trigger"].to_str().unwrap()).unwrap();
    assert_eq!(trigger["toast"]["level"], "error");
    assert!(
        trigger["toast"]["message"]
            .as_str()
            .unwrap()
            .starts_with("This action needs the owner or admin role"),
        "{trigger}"
    );
    assert_eq!(res.text().await.unwrap(), "");

    // A form sent without the session's token (an expired page): a page
    // that offers to sign in again.
    let res = no_redirects()
        .delete(app.url(&format!("/features/connectors/forms/{id}")))
        .header("cookie", &owner.cookie)
        .header("accept", HTML)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let html = res.text().await.unwrap();
    assert!(html.contains("href=\"/login\""), "sign in again: {html}");

    // The API keeps its envelope, even for a browser.
    let res = get(&owner.cookie, "/features/connectors/api/connectors/nope")
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(content_type(&res).starts_with("application/json"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
    // And so do page routes for clients that do not ask for pages.
    let res = app
        .page(&member.cookie, "/features/connectors/forms/new/wordpress")
        .await;
    assert_eq!(res.status(), 403);
    assert!(content_type(&res).starts_with("application/json"));
    app.stop().await;
});

both_databases!(
    the_sign_in_hint_lasts_while_the_bootstrap_password_does,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let login = || async { app.http.get(app.url("/login")).send().await.unwrap() };
        let html = login().await.text().await.unwrap();
        assert!(
            html.contains("sign in as <code>admin@localhost</code>"),
            "{html}"
        );
        // Another user's new password changes nothing.
        app.add_user("acme", "ann@acme.test", Role::Admin, "ann password one")
            .await;
        app.add_user("acme", "ann@acme.test", Role::Admin, "ann password two")
            .await;
        assert!(
            login()
                .await
                .text()
                .await
                .unwrap()
                .contains("admin@localhost")
        );
        // The bootstrap owner's new password ends the hint.
        app.add_user(
            "default",
            "admin@localhost",
            Role::Owner,
            "a new owner password",
        )
        .await;
        let html = login().await.text().await.unwrap();
        assert!(!html.contains("admin@localhost"), "{html}");
        assert!(html.contains("Sign in"));
        app.stop().await;
    }
);
