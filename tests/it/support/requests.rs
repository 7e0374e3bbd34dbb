//! Request helpers and request bodies for the connectors API.

use super::{Actor, TestApp};
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

impl TestApp {
    pub async fn create(&self, who: &Actor, body: &Value) -> reqwest::Response {
        self.http
            .post(self.api("/connectors"))
            .bearer_auth(&who.token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn create_ok(&self, who: &Actor, body: &Value) -> Value {
        let res = self.create(who, body).await;
        assert_eq!(res.status(), 201, "{:?}", res.text().await);
        res.json().await.unwrap()
    }

    pub async fn patch(&self, who: &Actor, id: &str, body: &Value) -> reqwest::Response {
        self.http
            .patch(self.api(&format!("/connectors/{id}")))
            .bearer_auth(&who.token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn fetch(&self, who: &Actor, id: &str) -> reqwest::Response {
        self.get(who, &format!("/connectors/{id}"))
            .send()
            .await
            .unwrap()
    }

    pub async fn credentials(&self, who: &Actor, id: &str) -> reqwest::Response {
        self.get(who, &format!("/connectors/{id}/credentials"))
            .send()
            .await
            .unwrap()
    }
}

impl TestApp {
    /// Posts a JSON body to the API at `path` as `who`.
    pub async fn post_json(&self, who: &Actor, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(self.api(path))
            .bearer_auth(&who.token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Replaces the connector `id` as `who`, at the version `if_match`.
    pub async fn put_if(
        &self,
        who: &Actor,
        id: &str,
        body: &Value,
        if_match: &str,
    ) -> reqwest::Response {
        self.send_if(reqwest::Method::PUT, who, id, body, if_match)
            .await
    }

    /// Updates the connector `id` as `who`, at the version `if_match`.
    pub async fn patch_if(
        &self,
        who: &Actor,
        id: &str,
        body: &Value,
        if_match: &str,
    ) -> reqwest::Response {
        self.send_if(reqwest::Method::PATCH, who, id, body, if_match)
            .await
    }

    async fn send_if(
        &self,
        method: reqwest::Method,
        who: &Actor,
        id: &str,
        body: &Value,
        if_match: &str,
    ) -> reqwest::Response {
        self.http
            .request(method, self.api(&format!("/connectors/{id}")))
            .bearer_auth(&who.token)
            .header("if-match", if_match)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Deletes the API resource at `path` as `who`.
    pub async fn delete(&self, who: &Actor, path: &str) -> reqwest::Response {
        self.http
            .delete(self.api(path))
            .bearer_auth(&who.token)
            .send()
            .await
            .unwrap()
    }
}
