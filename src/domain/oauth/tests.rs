use super::*;
use serde_json::json;

fn names() -> Vec<String> {
    ["access_token", "refresh_token", "expires_at", "client_id"]
        .map(String::from)
        .to_vec()
}

fn base() -> Value {
    json!({
        "authorization_url": "https://provider.example/oauth/authorize",
        "token_url": "https://provider.example/oauth/token",
        "scopes": ["openid", "w_member_social"],
        "tokens": {"access_token": "access_token", "refresh_token": "refresh_token",
                   "expires_at": "expires_at"}
    })
}

fn parse(v: Value) -> OAuth {
    serde_json::from_value(v).unwrap()
}

fn validate(v: Value, required: &[&str]) -> Result<OAuth, OAuthIssue> {
    let names = names();
    let required: Vec<String> = required.iter().map(|s| s.to_string()).collect();
    let o = parse(v);
    o.validate(&AuthProperties {
        names: &names,
        required: &required,
    })?;
    Ok(o)
}

fn with(path: &[&str], value: Value) -> Value {
    let mut v = base();
    let mut at = &mut v;
    for p in &path[..path.len() - 1] {
        at = at.get_mut(*p).unwrap();
    }
    at[path[path.len() - 1]] = value;
    v
}

#[test]
fn defaults_are_pkce_s256_basic_auth_and_a_space() {
    let o = validate(base(), &["access_token"]).unwrap();
    assert_eq!(o.pkce, Pkce::S256);
    assert_eq!(o.client_auth, ClientAuth::ClientSecretBasic);
    assert_eq!(o.scope_param().as_deref(), Some("openid w_member_social"));
    // Defaults are not written back, so a stored document stays as authored.
    let text = serde_json::to_string(&o).unwrap();
    assert!(
        !text.contains("pkce") && !text.contains("client_auth"),
        "{text}"
    );
    assert_eq!(serde_json::from_str::<OAuth>(&text).unwrap(), o);
    let o = validate(with(&["scope_separator"], json!(",")), &["access_token"]).unwrap();
    assert_eq!(o.scope_param().as_deref(), Some("openid,w_member_social"));
    let o = parse(
        with(&["pkce"], json!("none"))
            .as_object()
            .cloned()
            .map(|mut m| {
                m.insert("client_auth".into(), json!("client_secret_post"));
                Value::Object(m)
            })
            .unwrap(),
    );
    assert_eq!(
        (o.pkce.as_str(), o.client_auth.as_str()),
        ("none", "client_secret_post")
    );
    assert!(serde_json::from_value::<OAuth>(with(&["pkce"], json!("plain"))).is_err());
    assert!(
        serde_json::from_value::<OAuth>(with(&["client_auth"], json!("private_key_jwt"))).is_err()
    );
    assert!(serde_json::from_value::<OAuth>(with(&["extra"], json!(1))).is_err());
}

#[test]
fn refusals_name_the_pointer() {
    for (doc, required, pointer, needle) in [
        (
            with(&["authorization_url"], json!("http://provider.example/a")),
            vec!["access_token"],
            "/oauth/authorization_url",
            "must be https://",
        ),
        (
            with(&["token_url"], json!("/oauth/token")),
            vec![],
            "/oauth/token_url",
            "not an absolute URL",
        ),
        (
            with(&["token_url"], json!("https://u:p@provider.example/t")),
            vec![],
            "/oauth/token_url",
            "user name or password",
        ),
        (
            with(&["token_url"], json!("https://provider.example/t?a=1")),
            vec![],
            "/oauth/token_url",
            "must not have a query",
        ),
        (
            with(&["revocation_url"], json!("https://provider.example/r#x")),
            vec![],
            "/oauth/revocation_url",
            "fragment",
        ),
        (
            with(
                &["authorization_url"],
                json!("https://provider.example/a?client_id=x"),
            ),
            vec![],
            "/oauth/authorization_url",
            "`client_id`",
        ),
        (
            with(&["scopes"], json!(["a", "b c"])),
            vec![],
            "/oauth/scopes/1",
            "a scope is",
        ),
        (
            with(&["scopes"], json!(["a", "a"])),
            vec![],
            "/oauth/scopes/1",
            "listed twice",
        ),
        (
            with(&["scope_separator"], json!(";")),
            vec![],
            "/oauth/scope_separator",
            "space, a comma",
        ),
        (
            with(&["authorization_params"], json!({"state": "x"})),
            vec![],
            "/oauth/authorization_params/state",
            "set by the flow",
        ),
        (
            with(&["authorization_params"], json!({"prompt": 1})),
            vec![],
            "/oauth/authorization_params/prompt",
            "a parameter value",
        ),
        (
            with(&["authorization_params"], json!({"a/b": "x"})),
            vec![],
            "/oauth/authorization_params/a~1b",
            "a parameter name",
        ),
        (
            with(&["tokens", "access_token"], json!("token")),
            vec![],
            "/oauth/tokens/access_token",
            "no property `token`",
        ),
        (
            with(&["tokens", "expires_at"], json!("refresh_token")),
            vec![],
            "/oauth/tokens/expires_at",
            "already receives the refresh token",
        ),
        (
            base(),
            vec!["access_token", "refresh_token"],
            "/oauth/tokens/refresh_token",
            "cannot be required",
        ),
    ] {
        let err = validate(doc, &required).unwrap_err();
        assert_eq!(err.pointer, pointer, "{err}");
        assert!(err.message.contains(needle), "{needle} not in {err}");
    }
}

#[test]
fn other_required_properties_are_for_pasted_credentials() {
    assert!(validate(base(), &["client_id"]).is_ok());
}

#[test]
fn only_the_access_token_is_needed() {
    let o = validate(
        json!({"authorization_url": "https://p.example/a?audience=api",
               "token_url": "https://p.example/t",
               "tokens": {"access_token": "access_token"}}),
        &["access_token"],
    )
    .unwrap();
    assert_eq!(o.scope_param(), None);
    assert_eq!(o.tokens.named(), vec![("access_token", "access_token")]);
}
