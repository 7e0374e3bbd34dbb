use super::template::{Part, Source, Template};
use super::*;
use serde_json::json;

fn fields() -> (Vec<String>, Vec<String>) {
    (
        vec!["site_url".into(), "username".into()],
        vec!["password".into(), "token".into()],
    )
}

fn check(v: Value) -> Check {
    serde_json::from_value(v).unwrap()
}

fn validate(v: Value) -> Result<(), CheckIssue> {
    let (config, auth) = fields();
    check(v).validate(&Fields {
        config: &config,
        auth: &auth,
    })
}

fn base() -> Value {
    json!({
        "request": {"method": "GET", "url": "{{config.site_url}}/wp-json/wp/v2/users/me?context=edit", "allow_http": true},
        "auth": {"style": "basic", "username": "{{ config.username }}", "password": "{{auth.password}}"},
        "identity": "/name",
        "rules": [{"status": 401, "message": "Rejected."}]
    })
}

#[test]
fn templates_parse_and_render() {
    let t = Template::parse("{{config.site_url}}/a/{{ auth.token }}/b").unwrap();
    assert_eq!(
        t.0,
        vec![
            Part::Field(Source::Config, "site_url".into()),
            Part::Text("/a/".into()),
            Part::Field(Source::Auth, "token".into()),
            Part::Text("/b".into()),
        ]
    );
    assert!(t.starts_with_field() && t.uses(Source::Auth));
    let v = |s: Source, n: &str| match (s, n) {
        (Source::Config, "site_url") => Some("https://blog.example.com/".to_string()),
        (Source::Auth, "token") => Some("a b/c?".to_string()),
        _ => None,
    };
    assert_eq!(
        t.render_url(&v),
        "https://blog.example.com/a/a%20b%2Fc%3F/b"
    );
    assert_eq!(t.render(&v), "https://blog.example.com//a/a b/c?/b");
    let site = Template::parse("{{config.site_url}}/wp-json/x?context=edit").unwrap();
    for base in [
        "https://blog.example.com/news/",
        " https://blog.example.com/news?p=1",
        "https://blog.example.com/news#top",
    ] {
        let v = |_: Source, _: &str| Some(base.to_string());
        assert_eq!(
            site.render_url(&v),
            "https://blog.example.com/news/wp-json/x?context=edit"
        );
    }
    assert_eq!(
        Template::parse("plain").unwrap().0,
        vec![Part::Text("plain".into())]
    );
    assert_eq!(Template::parse("").unwrap().0, vec![]);
    for (bad, needle) in [
        ("{{config.x", "without a closing"),
        ("x}}", "without an opening"),
        ("{{secret.x}}", "is not a field"),
        ("{{config}}", "is not a field"),
        ("{{config.}}", "not a field name"),
        ("{{config.a.b}}", "not a field name"),
    ] {
        let err = Template::parse(bad).unwrap_err();
        assert!(err.contains(needle), "{bad}: {err}");
    }
}

#[test]
fn a_valid_check_passes_and_round_trips() {
    assert_eq!(validate(base()), Ok(()));
    let c = check(base());
    assert_eq!(c.success, vec![200]);
    assert_eq!(c.auth.style(), "basic");
    let back: Check = serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
    assert_eq!(back, c);
    for auth in [
        json!({"style": "bearer", "token": "{{auth.token}}"}),
        json!({"style": "header", "name": "X-Api-Key", "value": "{{auth.token}}"}),
        json!({"style": "query", "name": "key", "value": "{{auth.token}}"}),
        json!({"style": "oauth1", "consumer_key": "{{auth.token}}", "consumer_secret": "{{auth.password}}",
               "token": "{{auth.token}}", "token_secret": "{{auth.password}}"}),
    ] {
        let mut v = base();
        v["auth"] = auth.clone();
        assert_eq!(validate(v), Ok(()), "{auth}");
    }
}

#[test]
fn bad_checks_are_refused_at_their_pointer() {
    type Change = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Change, &str)> = vec![
        (
            Box::new(|v| v["request"]["url"] = json!("{{config.site}}/x")),
            "/check/request/url: unknown field `config.site`: `default_config_schema` has no property `site`",
        ),
        (
            Box::new(|v| v["request"]["url"] = json!("https://api.example.com/{{auth.token}}")),
            "/check/request/url: secret `auth.token` cannot go here",
        ),
        (
            Box::new(|v| v["auth"]["password"] = json!("{{auth.pass}}")),
            "/check/auth/password: unknown field `auth.pass`: `auth_schema` has no property `pass`",
        ),
        (
            Box::new(|v| v["request"]["headers"] = json!({"X-Thing": "{{config.nope}}"})),
            "/check/request/headers/X-Thing: unknown field `config.nope`",
        ),
        (
            Box::new(|v| v["request"]["headers"] = json!({"Bad Header": "x"})),
            "/check/request/headers/Bad Header: `Bad Header` is not a header name",
        ),
        (
            Box::new(|v| v["request"]["headers"] = json!({"X-N": 1})),
            "a header value must be a string",
        ),
        (
            Box::new(|v| {
                v["request"] = json!({"method": "GET", "url": "http://api.example.com/me"})
            }),
            "/check/request/url: an http:// URL needs `allow_http`",
        ),
        (
            Box::new(|v| v["request"]["url"] = json!("ftp://api.example.com/me")),
            "is not http or https",
        ),
        (
            Box::new(|v| v["request"]["url"] = json!("/v1/me")),
            "not an absolute URL",
        ),
        (
            Box::new(|v| v["request"]["url"] = json!("https://u:p@api.example.com/me")),
            "user name or password",
        ),
        (
            Box::new(|v| v["success"] = json!([])),
            "/check/success: at least one status",
        ),
        (
            Box::new(|v| v["success"] = json!([200, 302])),
            "/check/success/1: 302 is not a 2xx status",
        ),
        (
            Box::new(|v| v["identity"] = json!("name")),
            "/check/identity: `name` is not a JSON pointer",
        ),
        (
            Box::new(|v| v["rules"] = json!([{"status": 200, "message": "x"}])),
            "/check/rules/0/status: a success status cannot have a failure rule",
        ),
        (
            Box::new(|v| v["rules"] = json!([{"status": 700, "message": "x"}])),
            "/check/rules/0/status: not an HTTP status",
        ),
        (
            Box::new(|v| v["rules"] = json!([{"status": 403, "pointer": "/code", "message": "x"}])),
            "/check/rules/0: `pointer` and `equals` go together",
        ),
        (
            Box::new(|v| v["rules"] = json!([{"status": 403, "code": "ok", "message": "x"}])),
            "/check/rules/0/code: a rule describes a failure",
        ),
        (
            Box::new(|v| v["rules"] = json!([{"status": 403, "message": " "}])),
            "/check/rules/0/message: a message must be 1-300 characters",
        ),
        (
            Box::new(|v| {
                v["warn"] = json!([{"pointer": "/data/username", "equals": "{{auth.token}}", "message": "x"}])
            }),
            "/check/warn/0/equals: secret `auth.token` cannot go here",
        ),
        (
            Box::new(|v| v["require"] = json!([{"pointer": "x", "equals": true, "message": "x"}])),
            "/check/require/0/pointer: not a JSON pointer",
        ),
        (
            Box::new(|v| {
                v["auth"] = json!({"style": "query", "name": "{{config.username}}", "value": "x"})
            }),
            "/check/auth/name: the parameter or header name must be literal",
        ),
        (
            Box::new(|v| v["auth"] = json!({"style": "header", "name": "a b", "value": "x"})),
            "/check/auth/name: `a b` is not a header name",
        ),
    ];
    for (change, needle) in cases {
        let mut v = base();
        change(&mut v);
        let err = validate(v).expect_err(needle).to_string();
        assert!(err.contains(needle), "{needle}\n not in {err}");
    }
    for bad in [
        json!({"style": "digest", "token": "x"}),
        json!({"style": "bearer", "token": "x", "extra": 1}),
    ] {
        let mut v = base();
        v["auth"] = bad;
        assert!(serde_json::from_value::<Check>(v).is_err());
    }
}

#[test]
fn status_codes_have_their_default_meaning() {
    assert_eq!(CheckCode::of_status(401), CheckCode::AuthRejected);
    assert_eq!(CheckCode::of_status(403), CheckCode::Forbidden);
    assert_eq!(CheckCode::of_status(404), CheckCode::NotFound);
    assert_eq!(CheckCode::of_status(429), CheckCode::RateLimited);
    assert_eq!(CheckCode::of_status(500), CheckCode::UnexpectedResponse);
    assert_eq!(
        serde_json::to_value(CheckCode::BlockedAddress).unwrap(),
        json!("blocked_address")
    );
    assert_eq!(CheckCode::NoCheck.as_str(), "no_check");
}
