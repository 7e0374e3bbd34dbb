//! A browser's side: the sign-in form, the session cookie and the CSRF
//! token pages show.

use super::TestApp;
use connectors::domain::identity::Role;
use connectors::service::identity as svc;
use secrecy::SecretString;

/// A client that shows redirects instead of following them.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs in through the form (the answer carries the session cookie).
pub async fn sign_in(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    sign_in_at(&app.base, email, password).await
}

/// Opens the sign-in page at `base` as a browser would: the pre-session
/// cookie (`name=value`) it sets and the form's CSRF token.
pub async fn login_form(base: &str) -> (String, String) {
    let res = no_redirects()
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let set = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("connectors_login="))
        .expect("the sign-in page sets its cookie")
        .to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap().to_string();
    let html = res.text().await.unwrap();
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).expect("the form carries a token") + marker.len();
    let token = html[start..start + html[start..].find('"').unwrap()].to_string();
    (cookie, token)
}

/// Signs in through the form of the server at `base`.
pub async fn sign_in_at(base: &str, email: &str, password: &str) -> reqwest::Response {
    let (cookie, token) = login_form(base).await;
    no_redirects()
        .post(format!("{base}/login"))
        .header("origin", base)
        .header("cookie", cookie)
        .form(&[("email", email), ("password", password), ("_csrf", &token)])
        .send()
        .await
        .unwrap()
}

/// The session cookie pair (`name=value`) of a sign-in answer.
pub fn session_cookie(res: &reqwest::Response) -> String {
    let set = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("connectors_session="))
        .expect("a session cookie")
        .to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    set.split(';').next().unwrap().to_string()
}

/// The CSRF token a page shows to this session.
pub async fn csrf_of(app: &TestApp, cookie: &str) -> String {
    let html = app
        .page(cookie, "/features/connectors/catalog")
        .await
        .text()
        .await
        .unwrap();
    let start = html.find("name=\"csrf-token\" content=\"").unwrap()
        + "name=\"csrf-token\" content=\"".len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

impl TestApp {
    /// Creates (if needed) a tenant, and adds a member with `role` who signs
    /// in with `password`.
    pub async fn add_user(&self, tenant: &str, email: &str, role: Role, password: &str) {
        let store = self.store.as_ref();
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
}

/// A signed-in browser: its session cookie (`name=value`) and the CSRF token
/// its pages show.
pub struct SignedIn {
    pub cookie: String,
    pub csrf: String,
}

impl TestApp {
    /// Reads `path` (a page or an API address) with the session `cookie`.
    pub async fn page(&self, cookie: &str, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
    }

    /// Signs in through the form and returns the session cookie pair.
    pub async fn session(&self, email: &str, password: &str) -> String {
        session_cookie(&sign_in(self, email, password).await)
    }

    /// Signs in through the form and reads the session's CSRF token.
    pub async fn signed_in(&self, email: &str, password: &str) -> SignedIn {
        let cookie = self.session(email, password).await;
        let csrf = csrf_of(self, &cookie).await;
        SignedIn { cookie, csrf }
    }
}

impl SignedIn {
    /// Posts a form to `path` with this session and its CSRF token first,
    /// without following redirects.
    pub async fn post_form(
        &self,
        app: &TestApp,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut form = vec![("_csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        no_redirects()
            .post(app.url(path))
            .header("cookie", &self.cookie)
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// Sends a JSON body to the API at `path` with this session and its
    /// CSRF token in the header.
    pub async fn post_json(
        &self,
        app: &TestApp,
        path: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        app.http
            .post(app.api(path))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Reads `path` (a page or an API address) with this session.
    pub async fn get(&self, app: &TestApp, path: &str) -> reqwest::Response {
        app.page(&self.cookie, path).await
    }
}
