//! The metrics exposition: requests counted by route and status, the
//! change listener reported, and the same size whatever clients invent.

use crate::both_databases;
use crate::support::{TestApp, TestDb};

/// The metrics exposition as text.
async fn metrics_text(app: &TestApp) -> String {
    app.http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

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
        let text = metrics_text(&app).await;
        assert!(!text.contains("JUNK"), "{text}");
        assert!(text.contains("method=\"OTHER\""), "{text}");
        assert!(!text.contains("/no/such/path"), "{text}");
        app.stop().await;
    }
);

both_databases!(
    metrics_count_requests_by_route_and_status,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        app.get(&admin, "/catalog").send().await.unwrap();
        app.get(&admin, "/catalog").send().await.unwrap();
        app.fetch(&admin, &uuid::Uuid::new_v4().to_string()).await;
        let text = metrics_text(&app).await;
        assert!(text.contains("# TYPE connectors_http_requests_total counter"));
        assert!(text.contains("connectors_http_requests_total{method=\"GET\",route=\"/features/connectors/api/catalog\",status=\"200\"} 2"), "{text}");
        assert!(text.contains("route=\"/features/connectors/api/connectors/{id}\",status=\"404\""));
        assert!(text.contains("connectors_http_request_duration_seconds_bucket{"));
        assert!(!text.contains(&admin.token));
        // PostgreSQL replicas report their change listener, which connects
        // shortly after start-up; SQLite has none.
        let mut listener = None;
        for _ in 0..200 {
            let text = metrics_text(&app).await;
            listener = text
                .lines()
                .find_map(|l| l.strip_prefix("connectors_change_listener_up "))
                .map(str::to_string);
            if listener.as_deref() != Some("0") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let on_postgres = app.store.backend() == connectors::storage::Backend::Postgres;
        assert_eq!(listener.as_deref(), on_postgres.then_some("1"));
        app.stop().await;
    }
);
