//! Forms from the model, and form bodies back into JSON.

use super::*;
use crate::domain::schema::SchemaRole;
use serde_json::json;

fn config_model(schema: &Value) -> FormSchema {
    FormSchema::build(schema, "/default_config_schema", SchemaRole::Config).unwrap()
}

fn auth_model(schema: &Value) -> FormSchema {
    FormSchema::build(schema, "/auth_schema", SchemaRole::Secrets).unwrap()
}

fn form(pairs: &[(&str, &str)]) -> FormData {
    let mut f = FormData::new();
    for (k, v) in pairs {
        f.entry(k.to_string()).or_default().push(v.to_string());
    }
    f
}

#[test]
fn fields_follow_order_types_and_defaults() {
    let schema = json!({
        "type": "object",
        "properties": {
            "b": {"type": "boolean", "title": "Flag", "default": true, "order": 3},
            "a": {"type": "string", "format": "uri", "title": "Site", "description": "Where", "pattern": "^https://", "patternDescription": "must start with https://", "order": 1},
            "n": {"type": "integer", "minimum": 1, "maximum": 9, "order": 2},
            "e": {"type": "string", "enum": ["x", "y"], "default": "y"},
            "l": {"type": "array", "items": {"type": "string"}},
            "o": {"type": "object", "title": "Nested", "properties": {"z": {"type": "string"}}}
        },
        "required": ["a"]
    });
    let mut errors = FieldErrors::new();
    errors.insert("config.a".into(), vec!["is required".into()]);
    let items = config_items(&config_model(&schema), None, &Map::new(), &errors);
    let names: Vec<String> = items
        .iter()
        .filter_map(|i| match i {
            Item::Field(f) => Some(f.name.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        names,
        [
            "config.a",
            "config.n",
            "config.b",
            "config.e",
            "config.l",
            "config.o.z"
        ]
    );
    let Item::Field(a) = &items[0] else { panic!() };
    assert_eq!(a.input_type(), "url");
    assert!(a.required);
    assert_eq!(a.errors, ["is required"]);
    assert_eq!(a.help.as_deref(), Some("<p>Where</p>"));
    assert_eq!(a.pattern_help.as_deref(), Some("Must start with https://"));
    // The optional fields follow the required one, under a disclosure
    // closed while none of them has an error.
    assert!(matches!(items[1], Item::OptionalStart { open: false }));
    let Item::Field(n) = &items[2] else { panic!() };
    assert_eq!(
        (n.min.as_deref(), n.max.as_deref(), n.step()),
        (Some("1"), Some("9"), "1")
    );
    let Item::Field(b) = &items[3] else { panic!() };
    assert!(b.is_checkbox() && b.checked);
    let Item::Field(e) = &items[4] else { panic!() };
    assert_eq!(e.value, "y");
    assert!(matches!(items[6], Item::FieldsetStart { .. }));
    assert!(matches!(items.last(), Some(Item::OptionalEnd)));
}

#[test]
fn form_bodies_decode_by_schema_type() {
    let schema = json!({
        "type": "object",
        "properties": {
            "url": {"type": "string"},
            "n": {"type": "integer"},
            "bad": {"type": "integer"},
            "flag": {"type": "boolean"},
            "off": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "empty": {"type": "string"},
            "author": {"type": "object", "oneOf": [
                {"type": "object", "properties": {"type": {"const": "person"}, "urn": {"type": "string"}}},
                {"type": "object", "properties": {"type": {"const": "org"}, "id": {"type": "integer"}}}
            ]}
        }
    });
    let f = form(&[
        ("config.url", "https://x"),
        ("config.n", "5"),
        ("config.bad", "five"),
        ("config.flag", "true"),
        ("config.tags", "a\n\n b \n"),
        ("config.empty", ""),
        ("config.author.type", "org"),
        ("config.author.id", "42"),
        ("config.author.urn", "ignored"),
    ]);
    let v = decode_config(&config_model(&schema), &f);
    assert_eq!(
        v,
        json!({"url": "https://x", "n": 5, "bad": "five", "flag": true, "off": false, "tags": ["a", "b"], "author": {"type": "org", "id": 42}})
    );
    let auth =
        json!({"type": "object", "properties": {"k": {"type": "string"}, "j": {"type": "string"}}});
    assert_eq!(
        decode_auth(
            &auth_model(&auth),
            &form(&[("auth.k", "v"), ("auth.j", "")])
        ),
        json!({"k": "v"})
    );
    assert_eq!(
        decode_tags(&form(&[("tags", "a, b,,c ")])),
        json!(["a", "b", "c"])
    );
}

// ------------------------------------------------- whole forms, rendered

/// The add/configure form template, with the fields its page fills in.
#[derive(askama::Template)]
#[template(path = "partials/connector_form.html")]
struct WholeForm {
    title: String,
    icon_url: String,
    action: String,
    check_action: String,
    submit_label: &'static str,
    version: Option<i64>,
    general_errors: Vec<String>,
    summary: Vec<SummaryLine>,
    status: Option<StatusLine>,
    basics: Vec<Field>,
    config: Vec<Item>,
    secrets: Vec<Field>,
}

/// What the page's error summary holds.
struct SummaryLine {
    id: String,
    text: String,
}

/// What the page says of a connector that is not active.
struct StatusLine {
    status: &'static str,
    message: Option<String>,
    activate_label: &'static str,
}

impl WholeForm {
    fn summary_title(&self) -> String {
        format!("{} problems", self.summary.len())
    }
}

fn built_in(key: &str) -> crate::domain::schema::CatalogForms {
    crate::service::catalog::builtin_manifests()
        .unwrap()
        .into_iter()
        .find(|m| m.key == key)
        .unwrap()
        .forms()
        .unwrap()
}

fn render_form(config: Vec<Item>, secrets: Vec<Field>) -> String {
    use askama::Template;
    WholeForm {
        title: "Add".into(),
        icon_url: "/icon.svg".into(),
        action: "/features/connectors/forms/new/x".into(),
        check_action: "/features/connectors/forms/new/x/check".into(),
        submit_label: "Add connector",
        version: None,
        general_errors: Vec::new(),
        summary: Vec::new(),
        status: None,
        basics: Vec::new(),
        config,
        secrets,
    }
    .render()
    .unwrap()
}

fn add_form(key: &str) -> String {
    let forms = built_in(key);
    let none = FieldErrors::new();
    render_form(
        config_items(&forms.config, None, &Map::new(), &none),
        secret_fields(&forms.auth, &Map::new(), &none),
    )
}

fn assert_in(html: &str, needles: &[&str]) {
    for n in needles {
        assert!(html.contains(n), "{n} not in {html}");
    }
}

#[test]
fn the_wordpress_add_form_renders_every_input_with_its_label() {
    let html = add_form("wordpress");
    assert_in(
        &html,
        &[
            r#"<label for="f-config-site_url">Site URL <span class="req" aria-hidden="true">*</span><span class="visually-hidden"> (required)</span></label>"#,
            r#"<input id="f-config-site_url" name="config.site_url" type="url" value="" required maxlength="2048""#,
            r#"<p class="help" id="f-config-site_url-pattern">Must start with http:// or https:// and contain no spaces</p>"#,
            r#"<input id="f-config-username" name="config.username" type="text" value="" required"#,
            r#"<select id="f-config-default_status" name="config.default_status""#,
            r#"<option value="draft" selected>Draft</option>"#,
            r#"<option value="publish">Published</option>"#,
            r#"<label for="f-config-default_category">Default category</label>"#,
            r#"<textarea id="f-config-default_tags" name="config.default_tags" rows="3""#,
            r#"<input id="f-config-sticky" name="config.sticky" type="checkbox" value="true""#,
            r#"<label for="f-config-sticky">Stick to the front page</label>"#,
            r#"<label for="f-auth-application_password">Application password <span class="needed">needed to activate</span></label>"#,
            r#"<input id="f-auth-application_password" name="auth.application_password" type="password" autocomplete="new-password" data-secret-input maxlength="29" aria-describedby"#,
            r##"<button type="button" class="secondary" hx-post="/features/connectors/forms/new/x/check" hx-target="#check-result""##,
            r#"<div id="check-result" aria-live="polite"></div>"#,
        ],
    );
    // A default stands in for an empty choice.
    assert!(!html.contains(">—</option>"));
    // Fields in the manifest's `order`; optional ones carry no mark.
    let at = |n: &str| html.find(&format!("name=\"{n}\"")).unwrap();
    assert!(at("config.site_url") < at("config.username"));
    assert!(at("config.default_tags") < at("config.sticky"));
    assert!(at("config.sticky") < at("auth.application_password"));
    assert!(!html.contains(r#"Default category <span class="req""#));
    // Every input has its label.
    for id in html
        .split("<input id=\"")
        .skip(1)
        .map(|r| &r[..r.find('"').unwrap()])
    {
        assert!(html.contains(&format!("<label for=\"{id}\">")), "{id}");
    }
}

#[test]
fn a_set_secret_shows_as_set_with_an_update_control() {
    let forms = built_in("wordpress");
    let mut set = Map::new();
    set.insert(
        "application_password".into(),
        json!({"set": true, "updated_at": "2026-01-02T03:04:05Z"}),
    );
    let html = render_form(
        Vec::new(),
        secret_fields(&forms.auth, &set, &FieldErrors::new()),
    );
    assert_in(
        &html,
        &[
            r#"<p class="secret-set">Set <span class="muted">(updated 2026-01-02T03:04:05Z)</span>"#,
            r#"data-reveal="f-auth-application_password""#,
            r#"data-unreveal="f-auth-application_password" aria-controls="f-auth-application_password" hidden>Keep the current secret</button>"#,
            r#"<input id="f-auth-application_password" name="auth.application_password" type="password" autocomplete="new-password" data-secret-input hidden disabled"#,
            "This connector has no settings.",
        ],
    );
}

#[test]
fn the_linkedin_add_form_offers_the_one_of_choice() {
    let html = add_form("linkedin");
    assert_in(
        &html,
        &[
            r#"<div class="choice">"#,
            r#"<label for="f-config-author-type">Post as <span class="req" aria-hidden="true">*</span>"#,
            r#"<select id="f-config-author-type" name="config.author.type" required"#,
            r#"<option value="person" selected>Member profile</option>"#,
            r#"<option value="organization">Company page</option>"#,
            r#"<div class="branch" data-value="person">"#,
            r#"<div class="branch" data-value="organization" hidden>"#,
            r#"<label for="f-config-author-urn--person">Member URN <span class="req""#,
            r#"<input id="f-config-author-urn--person" name="config.author.urn" type="text" value="" required maxlength="200""#,
            r#"<input id="f-config-author-urn--organization" name="config.author.urn" type="text" value="" required disabled maxlength="200""#,
            r#"<input id="f-config-api_version" name="config.api_version" type="text" value="202607""#,
            r#"<option value="PUBLIC" selected>Public</option>"#,
            r#"<option value="LOGGED_IN">Signed-in LinkedIn members</option>"#,
            r#"name="auth.access_token" type="password""#,
        ],
    );
    // The discriminator is the select, not an input of its own.
    assert!(!html.contains(r#"<input id="f-config-author-type"#));
}

#[test]
fn nested_objects_render_as_fieldsets_with_values_and_errors() {
    let schema = config_model(&json!({
        "type": "object",
        "properties": {
            "outer": {"type": "object", "title": "Outer", "description": "Around", "properties": {
                "leaf": {"type": "integer", "title": "Leaf", "minimum": 1, "maximum": 9}
            }, "required": ["leaf"]}
        }
    }));
    let mut errors = FieldErrors::new();
    errors.insert("config.outer.leaf".into(), vec!["must be at most 9".into()]);
    let values = json!({"outer": {"leaf": 12}});
    let html = render_form(
        config_items(&schema, Some(&values), &Map::new(), &errors),
        Vec::new(),
    );
    assert_in(
        &html,
        &[
            r#"<fieldset class="nested"><legend>Outer</legend><div class="help"><p>Around</p></div>"#,
            r#"<input id="f-config-outer-leaf" name="config.outer.leaf" type="number" value="12" required min="1" max="9" step="1" aria-invalid="true" aria-describedby="f-config-outer-leaf-error">"#,
            r#"<p class="error" id="f-config-outer-leaf-error">must be at most 9</p>"#,
        ],
    );
}

// ------------------------------------------------------- round trips

/// The name and value every enabled input of a form would send.
fn submitted(items: &[Item]) -> FormData {
    let mut out = FormData::new();
    let mut send = |f: &Field| {
        if f.disabled || (f.is_checkbox() && !f.checked) {
            return;
        }
        let v = if f.is_checkbox() {
            "true".to_string()
        } else {
            f.value.clone()
        };
        out.entry(f.name.clone()).or_default().push(v);
    };
    for item in items {
        match item {
            Item::Field(f) => send(f),
            Item::ChoiceStart { field } => send(field),
            _ => {}
        }
    }
    out
}

#[test]
fn a_rendered_config_decodes_back_to_itself() {
    let cases = [
        (
            "wordpress",
            json!({"site_url": "https://blog.example.com", "username": "ann", "default_status": "publish",
                   "format": "standard", "default_category": "news", "default_tags": ["a", "b"],
                   "comment_status": "closed", "ping_status": "open", "sticky": true}),
        ),
        (
            "linkedin",
            json!({"author": {"type": "organization", "urn": "urn:li:organization:1"},
                   "visibility": "CONNECTIONS", "disable_reshare": false, "api_version": "202601"}),
        ),
        (
            "twitter",
            json!({"username": "ann", "reply_settings": "following", "append_hashtags": ["x"],
                   "thread_long_posts": true, "max_thread_length": 5, "number_thread_posts": false}),
        ),
    ];
    for (key, config) in cases {
        let forms = built_in(key);
        let items = config_items(
            &forms.config,
            Some(&config),
            &Map::new(),
            &FieldErrors::new(),
        );
        let decoded = decode_config(&forms.config, &submitted(&items));
        assert_eq!(decoded, config, "{key}");
    }
}

#[test]
fn secrets_decode_by_name_and_empty_inputs_keep_them() {
    let forms = built_in("twitter");
    let f = form(&[
        ("auth.api_key", "k"),
        ("auth.api_secret", ""),
        ("auth.unknown", "x"),
    ]);
    assert_eq!(decode_auth(&forms.auth, &f), json!({"api_key": "k"}));
}

#[test]
fn a_nested_secret_renders_like_one_of_auth_and_a_closed_one_keeps() {
    let schema = config_model(&json!({
        "type": "object",
        "properties": {
            "credentials": {"type": "object", "oneOf": [
                {"type": "object", "title": "OAuth", "properties": {
                    "kind": {"const": "oauth"},
                    "client_secret": {"type": "string", "title": "Client secret", "airbyte_secret": true}
                }, "required": ["client_secret"]},
                {"type": "object", "title": "Token", "properties": {
                    "kind": {"const": "token"},
                    "token": {"type": "string", "title": "Token", "writeOnly": true}
                }}
            ]}
        }
    }));
    let states = json!({
        "config.credentials.client_secret": {"set": true, "updated_at": "2026-01-02T03:04:05Z"},
        "config.credentials.token": {"set": false}
    });
    // Values sent back after an error are never shown in a secret's input.
    let values = json!({"credentials": {"kind": "oauth", "client_secret": "typed-Zq9"}});
    let items = config_items(
        &schema,
        Some(&values),
        states.as_object().unwrap(),
        &FieldErrors::new(),
    );
    let html = render_form(items.clone(), Vec::new());
    assert!(!html.contains("typed-Zq9"), "{html}");
    assert_in(
        &html,
        &[
            r#"<p class="secret-set">Set <span class="muted">(updated 2026-01-02T03:04:05Z)</span>"#,
            r#"data-reveal="f-config-credentials-client_secret--oauth""#,
            r#"<input id="f-config-credentials-client_secret--oauth" name="config.credentials.client_secret" type="password" autocomplete="new-password" data-secret-input hidden disabled>"#,
            r#"name="config.credentials.token" type="password" autocomplete="new-password" data-secret-input disabled>"#,
        ],
    );
    // Posted with the secret left closed, the config leaves it out.
    let sent = form(&[("config.credentials.kind", "oauth")]);
    assert_eq!(
        decode_config(&schema, &sent),
        json!({"credentials": {"kind": "oauth"}})
    );
    let sent = form(&[
        ("config.credentials.kind", "oauth"),
        ("config.credentials.client_secret", "new-one"),
    ]);
    assert_eq!(
        decode_config(&schema, &sent),
        json!({"credentials": {"kind": "oauth", "client_secret": "new-one"}})
    );
}

#[test]
fn errors_show_once_next_to_the_visible_field_and_list_items_by_line() {
    let forms = built_in("linkedin");
    let mut errors = FieldErrors::new();
    // The URN of a company page: both branches name the same input.
    errors.insert(
        "config.author.urn".into(),
        vec![
            "must be urn:li:organization: followed by the numeric organization id".into(),
            "must be at most 200 characters".into(),
        ],
    );
    let values = json!({"author": {"type": "organization", "urn": "bad"}});
    let items = config_items(&forms.config, Some(&values), &Map::new(), &errors);
    let urns: Vec<&Field> = items
        .iter()
        .filter_map(|i| match i {
            Item::Field(f) if f.name == "config.author.urn" => Some(f.as_ref()),
            _ => None,
        })
        .collect();
    assert_eq!(urns.len(), 2);
    let (person, org) = (urns[0], urns[1]);
    assert!(person.disabled && person.errors.is_empty());
    assert_eq!(
        org.errors,
        ["must be urn:li:organization: followed by the numeric organization id"]
    );
    // The pattern's help line is not repeated under its own error.
    assert_eq!(org.pattern_help, None);
    assert!(person.pattern_help.is_some());

    let forms = built_in("twitter");
    let mut errors = FieldErrors::new();
    errors.insert(
        "config.append_hashtags.1".into(),
        vec!["must be a single word without the leading # and without spaces".into()],
    );
    let values = json!({"append_hashtags": ["ok", "#bad"]});
    let items = config_items(&forms.config, Some(&values), &Map::new(), &errors);
    let tags = items
        .iter()
        .find_map(|i| match i {
            Item::Field(f) if f.name == "config.append_hashtags" => Some(f),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        tags.errors,
        ["Line 2: must be a single word without the leading # and without spaces"]
    );
}

#[test]
fn enum_names_label_the_options() {
    let schema = config_model(&json!({
        "type": "object",
        "properties": {
            "who": {"type": "string", "enum": ["everyone", "mentionedUsers"], "x-enumNames": ["Everyone", "Mentioned accounts"]},
            "plain": {"type": "string", "enum": ["a", "b"]}
        },
        "required": ["who"]
    }));
    let html = render_form(
        config_items(&schema, None, &Map::new(), &FieldErrors::new()),
        Vec::new(),
    );
    assert_in(
        &html,
        &[
            r#"<option value="mentionedUsers">Mentioned accounts</option>"#,
            r#"<option value="everyone">Everyone</option>"#,
            r#"<option value="a">a</option>"#,
        ],
    );
    // No default: an optional select offers an empty choice.
    assert!(
        html.contains(r#"<option value="" selected>—</option>"#),
        "{html}"
    );
}

#[test]
fn a_refused_secret_update_stays_open_and_an_optional_one_can_be_removed() {
    let forms = built_in("linkedin");
    let mut set = Map::new();
    for k in ["access_token", "refresh_token"] {
        set.insert(
            k.into(),
            json!({"set": true, "updated_at": "2026-01-02T03:04:05Z"}),
        );
    }
    let mut errors = FieldErrors::new();
    errors.insert(
        "auth.access_token".into(),
        vec!["must be at least 20 characters".into()],
    );
    let fields = secret_fields(&forms.auth, &set, &errors);
    let access = &fields[0];
    assert!(access.open && access.activation && !access.removable);
    let refresh = &fields[1];
    assert!(!refresh.open && refresh.removable && !refresh.activation);
    let html = render_form(Vec::new(), fields);
    assert_in(
        &html,
        &[
            r#"<input id="f-auth-access_token" name="auth.access_token" type="password" autocomplete="new-password" data-secret-input aria-invalid="true""#,
            r#"data-remove-secret="f-auth-refresh_token""#,
            r#"<input type="hidden" name="_clear" value="auth.refresh_token" id="f-auth-refresh_token-clear" disabled>"#,
        ],
    );
    assert!(!html.contains(r#"data-remove-secret="f-auth-access_token""#));
}

mod airbyte;
