//! Request helpers and request bodies for the connectors API.

use super::{Actor, TestApp};
use connectors::domain::identity::Role;
use reqwest::{Method, Response};
use serde_json::{Value, json};

pub const APP_PASSWORD: &str = "abcd EFGH ijkl MNOP qrst UVWX";

pub fn wordpress(name: &str) -> Value {
    json!({
        "catalog_key": "wordpress",
        "name": name,
        "config": {"site_url": "https://blog.example.com", "username": "editor"},
        "auth": {"application_password": APP_PASSWORD},
        "tags": ["blog", "main"]
    })
}

pub fn twitter(name: &str, secrets: Value) -> Value {
    json!({
        "catalog_key": "twitter",
        "name": name,
        "config": {"username": "acme_news"},
        "auth": secrets
    })
}

/// Sends `req` and reads its answer as JSON (whatever the status).
pub async fn send_json(req: reqwest::RequestBuilder) -> Value {
    req.send().await.unwrap().json().await.unwrap()
}

/// The `id` of a connector as the API shows it.
pub fn id_of(connector: &Value) -> String {
    connector["id"]
        .as_str()
        .expect("a connector id")
        .to_string()
}

impl TestApp {
    /// A member of `acme` whose token may read credentials.
    pub async fn reader(&self) -> Actor {
        self.actor_with_scopes("acme", "r@acme.test", Role::Member, &["credentials:read"])
            .await
    }

    pub async fn create(&self, who: &Actor, body: &Value) -> Response {
        self.post_json(who, "/connectors", body).await
    }

    pub async fn create_ok(&self, who: &Actor, body: &Value) -> Value {
        let res = self.create(who, body).await;
        assert_eq!(res.status(), 201, "{:?}", res.text().await);
        res.json().await.unwrap()
    }

    /// Creates a connector (expecting 201) and returns its id.
    pub async fn create_id(&self, who: &Actor, body: &Value) -> String {
        id_of(&self.create_ok(who, body).await)
    }

    /// Reads the API at `path` as `who`.
    pub async fn send_get(&self, who: &Actor, path: &str) -> Response {
        self.get(who, path).send().await.unwrap()
    }

    /// Reads the API at `path` as `who`, as JSON (whatever the status).
    pub async fn get_json(&self, who: &Actor, path: &str) -> Value {
        send_json(self.get(who, path)).await
    }

    /// The id of the first connector `who` sees in `/installed`.
    pub async fn first_installed_id(&self, who: &Actor) -> String {
        id_of(&self.get_json(who, "/installed").await["items"][0])
    }

    pub async fn fetch(&self, who: &Actor, id: &str) -> Response {
        self.send_get(who, &format!("/connectors/{id}")).await
    }

    pub async fn credentials(&self, who: &Actor, id: &str) -> Response {
        self.send_get(who, &format!("/connectors/{id}/credentials"))
            .await
    }

    /// Posts a JSON body to the API at `path` as `who`.
    pub async fn post_json(&self, who: &Actor, path: &str, body: &Value) -> Response {
        self.http
            .post(self.api(path))
            .bearer_auth(&who.token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Replaces the connector `id` as `who`.
    pub async fn put(&self, who: &Actor, id: &str, body: &Value) -> Response {
        self.write(Method::PUT, who, id, body, None).await
    }

    /// Updates the connector `id` as `who`.
    pub async fn patch(&self, who: &Actor, id: &str, body: &Value) -> Response {
        self.write(Method::PATCH, who, id, body, None).await
    }

    /// Replaces the connector `id` as `who`, at the version `etag`.
    pub async fn put_if(&self, who: &Actor, id: &str, body: &Value, etag: &str) -> Response {
        self.write(Method::PUT, who, id, body, Some(etag)).await
    }

    /// Updates the connector `id` as `who`, at the version `etag`.
    pub async fn patch_if(&self, who: &Actor, id: &str, body: &Value, etag: &str) -> Response {
        self.write(Method::PATCH, who, id, body, Some(etag)).await
    }

    async fn write(
        &self,
        method: Method,
        who: &Actor,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> Response {
        let mut req = self
            .http
            .request(method, self.api(&format!("/connectors/{id}")))
            .bearer_auth(&who.token);
        if let Some(etag) = if_match {
            req = req.header("if-match", etag);
        }
        req.json(body).send().await.unwrap()
    }

    /// Deletes the API resource at `path` as `who`.
    pub async fn delete(&self, who: &Actor, path: &str) -> Response {
        self.http
            .delete(self.api(path))
            .bearer_auth(&who.token)
            .send()
            .await
            .unwrap()
    }
}
