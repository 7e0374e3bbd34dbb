//! The metrics exposition stays the same size whatever clients invent.

use crate::both_databases;
use crate::support::{TestApp, TestDb};

async fn series(app: &TestApp) -> usize {
    let res = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap().lines().count()
}

both_databases!(
    invented_methods_and_paths_add_no_series,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let junk_method =
            |i: usize| reqwest::Method::from_bytes(format!("JUNK{i}").as_bytes()).unwrap();
        // The first request of each kind may add its series, and so may
        // the first scrape.
        app.http
            .request(junk_method(0), app.url("/healthz"))
            .send()
            .await
            .unwrap();
        app.http
            .get(app.url("/no/such/path/0"))
            .send()
            .await
            .unwrap();
        series(&app).await;
        let before = series(&app).await;
        for i in 1..1000 {
            let res = app
                .http
                .request(junk_method(i), app.url("/healthz"))
                .send()
                .await
                .unwrap();
            assert!(res.status().is_client_error(), "{}", res.status());
            let res = app
                .http
                .get(app.url(&format!("/no/such/path/{i}")))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 404);
        }
        let after = series(&app).await;
        assert_eq!(after, before, "series added by invented methods or paths");
        let text = app
            .http
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!text.contains("JUNK"), "{text}");
        assert!(text.contains("method=\"OTHER\""), "{text}");
        assert!(!text.contains("/no/such/path"), "{text}");
        app.stop().await;
    }
);
