//! A browser's side: the sign-in form, the session cookie and the CSRF
//! token pages show.

use super::TestApp;
use connectors::domain::identity::Role;
use connectors::service::identity as svc;
use secrecy::SecretString;
use serde::Serialize;

/// A client that shows redirects instead of following them.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Where the text between the first `marker` in `html` and the quote
/// after it stands.
fn span_after(html: &str, marker: &str) -> std::ops::Range<usize> {
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not in the page"))
        + marker.len();
    start..start + html[start..].find('"').unwrap()
}

const LOGIN_FORM_TOKEN: &str = "name=\"_csrf\" value=\"";

/// The CSRF token of the sign-in form in `html`.
fn login_form_token(html: &str) -> &str {
    &html[span_after(html, LOGIN_FORM_TOKEN)]
}

/// The sign-in page `html` with its form's CSRF token cut out.
pub fn without_login_form_token(html: &str) -> String {
    let token = span_after(html, LOGIN_FORM_TOKEN);
    format!("{}{}", &html[..token.start], &html[token.end..])
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
    let cookie = cookie_pair(
        &res,
        "connectors_login=",
        "the sign-in page sets its cookie",
    );
    let html = res.text().await.unwrap();
    let token = login_form_token(&html).to_string();
    (cookie, token)
}

/// Signs in through the form of the server at `base`.
pub async fn sign_in_at(base: &str, email: &str, password: &str) -> reqwest::Response {
    sign_in_via(base, base, email, password).await
}

/// Signs in through the form shown by the server at `form_base`, posted
/// to the server at `base`.
pub async fn sign_in_via(
    form_base: &str,
    base: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let (cookie, token) = login_form(form_base).await;
    no_redirects()
        .post(format!("{base}/login"))
        .header("origin", base)
        .header("cookie", cookie)
        .form(&[("email", email), ("password", password), ("_csrf", &token)])
        .send()
        .await
        .unwrap()
}

/// The pair (`name=value`) of the cookie starting with `prefix` that the
/// answer sets, HttpOnly and SameSite=Lax.
fn cookie_pair(res: &reqwest::Response, prefix: &str, what: &str) -> String {
    let set = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(prefix))
        .expect(what)
        .to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    set.split(';').next().unwrap().to_string()
}

/// The session cookie pair (`name=value`) of a sign-in answer.
pub fn session_cookie(res: &reqwest::Response) -> String {
    cookie_pair(res, "connectors_session=", "a session cookie")
}

/// The CSRF token a page shows to this session.
pub async fn csrf_of(app: &TestApp, cookie: &str) -> String {
    csrf_at(&app.base, cookie).await
}

/// The CSRF token a page of the server at `base` shows to this session.
pub async fn csrf_at(base: &str, cookie: &str) -> String {
    let html = reqwest::Client::new()
        .get(format!("{base}/features/connectors/catalog"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    html[span_after(&html, "name=\"csrf-token\" content=\"")].to_string()
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

    /// Adds a member as [`TestApp::add_user`] does, signed in through the
    /// form, with the CSRF token their pages show.
    pub async fn signed_in_user(
        &self,
        tenant: &str,
        email: &str,
        role: Role,
        password: &str,
    ) -> SignedIn {
        self.add_user(tenant, email, role, password).await;
        self.signed_in(email, password).await
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

    /// Like [`TestApp::page`], showing a redirect instead of following it.
    pub async fn page_no_follow(&self, cookie: &str, path: &str) -> reqwest::Response {
        no_redirects()
            .get(self.url(path))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
    }

    /// Posts a JSON body to the API at `path` with the session `cookie` and
    /// exactly these other `headers` (a CSRF token or none, an origin…).
    pub async fn post_json_with_cookie(
        &self,
        cookie: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &serde_json::Value,
    ) -> reqwest::Response {
        let mut req = self.http.post(self.api(path)).header("cookie", cookie);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req.json(body).send().await.unwrap()
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
        self.post_form_with(app, path, &[], fields).await
    }

    /// Like [`SignedIn::post_form`], with these `headers` too.
    pub async fn post_form_with(
        &self,
        app: &TestApp,
        path: &str,
        headers: &[(&str, &str)],
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut form = vec![("_csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        let mut req = no_redirects()
            .post(app.url(path))
            .header("cookie", &self.cookie);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req.form(&form).send().await.unwrap()
    }

    /// Posts a form to `path` as the page's HTMX does: with this session,
    /// its CSRF token in the header, `HX-Request` and these `headers`.
    pub async fn post_htmx<F: Serialize + ?Sized>(
        &self,
        app: &TestApp,
        path: &str,
        headers: &[(&str, &str)],
        fields: &F,
    ) -> reqwest::Response {
        let mut req = app
            .http
            .post(app.url(path))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .header("hx-request", "true");
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req.form(fields).send().await.unwrap()
    }

    /// Sends a JSON body to the API at `path` with this session and its
    /// CSRF token in the header.
    pub async fn post_json(
        &self,
        app: &TestApp,
        path: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        app.post_json_with_cookie(&self.cookie, path, &[("x-csrf-token", &self.csrf)], body)
            .await
    }

    /// Reads `path` (a page or an API address) with this session.
    pub async fn get(&self, app: &TestApp, path: &str) -> reqwest::Response {
        app.page(&self.cookie, path).await
    }
}
