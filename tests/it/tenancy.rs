//! Tenancy and roles: other tenants see 404, members and read-only tokens
//! get 403.

use crate::both_databases;
use crate::support::{TestApp, TestDb, assert_envelope, id_of, wordpress};
use connectors::domain::identity::Role;
use serde_json::{Value, json};

both_databases!(
    other_tenants_get_404_and_members_get_403,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let member = app.member().await;
        let other = app.other_admin().await;
        let other_reader = app
            .actor_with_scopes(
                "globex",
                "reader@globex.test",
                Role::Admin,
                &["credentials:read"],
            )
            .await;
        let c = app.create_ok(&admin, &wordpress("Mine")).await;
        let id = id_of(&c);
        let random = uuid::Uuid::new_v4().to_string();

        for target in [&id, &random] {
            let path = format!("/connectors/{target}");
            let theirs = app.fetch(&other, target).await;
            let b1 = assert_envelope(theirs, 404, "not_found").await;
            let res = app.put(&other, target, &json!({"name": "pwned"})).await;
            let b2 = assert_envelope(res, 404, "not_found").await;
            let res = app.patch(&other, target, &json!({"name": "pwned"})).await;
            assert_envelope(res, 404, "not_found").await;
            let res = app.delete(&other, &path).await;
            assert_envelope(res, 404, "not_found").await;
            let res = app.credentials(&other_reader, target).await;
            let b3 = assert_envelope(res, 404, "not_found").await;
            assert_eq!(b1, b2);
            assert_eq!(b1, b3);
        }
        let list = app.get_json(&other, "/installed").await;
        assert_eq!(list["items"], json!([]));
        let audit = app
            .get_json(&other, &format!("/audit?connector_id={id}"))
            .await;
        assert_eq!(audit["items"], json!([]));
        let after: Value = app.fetch(&admin, &id).await.json().await.unwrap();
        assert_eq!(after, c, "unchanged by the other tenant");

        // Members read but never change.
        assert_eq!(app.fetch(&member, &id).await.status(), 200);
        assert_eq!(app.send_get(&member, "/installed").await.status(), 200);
        let res = app.create(&member, &wordpress("Member's")).await;
        assert_envelope(res, 403, "forbidden").await;
        let res = app.patch(&member, &id, &json!({"name": "m"})).await;
        assert_envelope(res, 403, "forbidden").await;
        let res = app.put(&member, &id, &json!({"name": "m"})).await;
        assert_envelope(res, 403, "forbidden").await;
        let res = app.delete(&member, &format!("/connectors/{id}")).await;
        assert_envelope(res, 403, "forbidden").await;
        let res = app.send_get(&member, "/audit").await;
        assert_envelope(res, 403, "forbidden").await;
        let after: Value = app.fetch(&admin, &id).await.json().await.unwrap();
        assert_eq!(after, c, "unchanged by the member");
        app.stop().await;
    }
);
