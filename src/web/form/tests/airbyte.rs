//! Airbyte's UI keywords in forms: groups, hidden fields, optional fields
//! under a disclosure, text areas, placeholders, radio choices and
//! Markdown descriptions.

use super::*;
use serde_json::Map;

fn airbyte_schema() -> Value {
    json!({
        "type": "object",
        "groups": [{"id": "conn", "title": "Connection"}, {"id": "adv", "title": "Advanced"}],
        "required": ["host", "auth"],
        "properties": {
            "tuning": {"type": "integer", "group": "adv"},
            "host": {"type": "string", "group": "conn", "examples": ["db.example.com"],
                     "description": "See <a href=\"https://example.com/docs\">the docs</a>"},
            "port": {"type": "integer", "group": "conn", "always_show": true, "default": 5432},
            "query": {"type": "string", "multiline": true, "group": "conn"},
            "marker": {"type": "string", "airbyte_hidden": true, "default": "kept"},
            "free": {"type": "string"},
            "auth": {"type": "object", "display_type": "radio", "oneOf": [
                {"type": "object", "title": "Key", "properties": {"method": {"type": "string", "enum": ["key"]}, "key_id": {"type": "string"}}, "required": ["key_id"]},
                {"type": "object", "title": "None", "properties": {"method": {"type": "string", "enum": ["none"]}}}
            ]}
        }
    })
}

fn names_and_marks(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .map(|i| match i {
            Item::Field(f) => f.name.clone(),
            Item::FieldsetStart { legend, .. } => format!("[{legend}"),
            Item::FieldsetEnd => "]".into(),
            Item::OptionalStart { open } => format!("<optional open={open}"),
            Item::OptionalEnd => ">".into(),
            Item::Hidden { name, value, .. } => format!("hidden {name}={value}"),
            Item::ChoiceStart { field } => format!("choice {}", field.name),
            Item::BranchStart { value, .. } => format!("branch {value}"),
            Item::BranchEnd => "/branch".into(),
            Item::ChoiceEnd => "/choice".into(),
            Item::RowsStart { .. }
            | Item::RowStart { .. }
            | Item::RowEnd { .. }
            | Item::RowsEnd { .. } => names_and_marks_rows(std::slice::from_ref(i)).remove(0),
        })
        .collect()
}

#[test]
fn groups_in_order_with_optional_fields_under_a_disclosure() {
    let items = config_items(
        &config_model(&airbyte_schema()),
        None,
        &Map::new(),
        &FieldErrors::new(),
    );
    assert_eq!(
        names_and_marks(&items),
        [
            "hidden config.marker=kept",
            "choice config.auth.method",
            "branch key",
            "config.auth.key_id",
            "/branch",
            "branch none",
            "/branch",
            "/choice",
            "<optional open=false",
            "config.free",
            ">",
            "[Connection",
            "config.host",
            "config.port",
            "<optional open=false",
            "config.query",
            ">",
            "]",
            "[Advanced",
            "<optional open=false",
            "config.tuning",
            ">",
            "]",
        ]
    );
    let field = |name: &str| {
        items
            .iter()
            .find_map(|i| match i {
                Item::Field(f) | Item::ChoiceStart { field: f } if f.name == name => Some(f),
                _ => None,
            })
            .unwrap()
    };
    assert!(field("config.query").is_textarea());
    assert_eq!(
        field("config.host").placeholder.as_deref(),
        Some("db.example.com")
    );
    assert_eq!(
        field("config.host").help.as_deref(),
        Some(
            r#"<p>See <a href="https://example.com/docs" target="_blank" rel="noopener noreferrer">the docs</a></p>"#
        )
    );
    let auth = field("config.auth.method");
    assert!(auth.is_radio());
    assert_eq!(
        auth.options(),
        [
            ("key".to_string(), "Key".to_string()),
            ("none".to_string(), "None".to_string())
        ]
    );
}

#[test]
fn an_error_opens_the_optional_fields() {
    let mut errors = FieldErrors::new();
    errors.insert("config.free".into(), vec!["is not valid".into()]);
    let items = config_items(&config_model(&airbyte_schema()), None, &Map::new(), &errors);
    assert!(
        names_and_marks(&items)
            .iter()
            .any(|m| m == "<optional open=true")
    );
}

#[test]
fn hidden_fields_keep_their_default_and_enum_branches_decode() {
    let schema = config_model(&airbyte_schema());
    let v = decode_config(
        &schema,
        &form(&[
            ("config.host", "db"),
            ("config.auth.method", "key"),
            ("config.auth.key_id", "k1"),
        ]),
    );
    assert_eq!(
        v,
        json!({"host": "db", "marker": "kept", "auth": {"key_id": "k1", "method": "key"}})
    );
    let sent = decode_config(&schema, &form(&[("config.marker", "other")]));
    assert_eq!(sent["marker"], "other");
}

#[test]
fn the_whole_form_renders_radios_text_areas_and_the_disclosure() {
    let schema = config_model(&airbyte_schema());
    let html = render_form(
        config_items(&schema, None, &Map::new(), &FieldErrors::new()),
        Vec::new(),
    );
    assert_in(
        &html,
        &[
            r#"<input type="hidden" name="config.marker" value="kept">"#,
            r#"<details class="optional"><summary>Optional settings</summary>"#,
            r#"<fieldset class="nested"><legend>Connection</legend>"#,
            r#"<input type="radio" id="f-config-auth-method-1" name="config.auth.method" value="key" checked>"#,
            r#"<label for="f-config-auth-method-2">None</label>"#,
            r#"<textarea id="f-config-query" name="config.query" rows="4">"#,
            r#"placeholder="db.example.com""#,
            r#"target="_blank" rel="noopener noreferrer">the docs</a>"#,
        ],
    );
    assert!(!html.contains("style="));
}

#[test]
fn arrays_of_integers_decode_line_by_line() {
    let schema = config_model(&json!({
        "type": "object",
        "properties": {"ids": {"type": "array", "items": {"type": "integer"}}}
    }));
    let v = decode_config(&schema, &form(&[("config.ids", "12\n\n 7 \nseven")]));
    assert_eq!(v, json!({"ids": [12, 7, "seven"]}));
}

fn reports_schema() -> FormSchema {
    config_model(&json!({
        "type": "object",
        "required": ["reports"],
        "properties": {
            "reports": {"type": "array", "title": "Reports", "minItems": 1, "maxItems": 2, "items": {
                "type": "object", "required": ["name"],
                "properties": {"name": {"type": "string"}, "days": {"type": "integer"}}
            }}
        }
    }))
}

#[test]
fn rows_are_named_by_index_with_add_and_remove_within_the_limits() {
    let schema = reports_schema();
    let one = config_items(&schema, None, &Map::new(), &FieldErrors::new());
    let marks = names_and_marks_rows(&one);
    // No value: the one row `minItems` asks for, no "Remove", an "Add".
    assert_eq!(
        marks,
        [
            "rows",
            "row Reports 1",
            "config.reports.0.name",
            "<optional open=false",
            "config.reports.0.days",
            ">",
            "end row None",
            "end rows Some(\"add:config.reports\")",
        ]
    );
    let values = json!({"reports": [{"name": "a"}, {"name": "b", "days": 3}]});
    let two = config_items(&schema, Some(&values), &Map::new(), &FieldErrors::new());
    let marks = names_and_marks_rows(&two);
    assert!(marks.contains(&"end row Some(\"remove:config.reports.1\")".to_string()));
    assert_eq!(marks.last().unwrap(), "end rows None");
    let html = render_form(two, Vec::new());
    assert_in(
        &html,
        &[
            r#"<fieldset class="nested rows" id="f-config-reports" data-name="config.reports"><legend>Reports</legend>"#,
            r#"<fieldset class="row"><legend>Reports 2</legend>"#,
            r#"name="config.reports.1.days" type="number" value="3""#,
            r#"<button type="submit" class="secondary small" name="_row" value="remove:config.reports.0" formnovalidate>Remove Reports 1</button>"#,
        ],
    );
}

fn names_and_marks_rows(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .map(|i| match i {
            Item::RowsStart { .. } => "rows".to_string(),
            Item::RowStart { legend } => format!("row {legend}"),
            Item::RowEnd { remove, .. } => format!("end row {remove:?}"),
            Item::RowsEnd { add, .. } => format!("end rows {add:?}"),
            other => names_and_marks(std::slice::from_ref(other)).remove(0),
        })
        .collect()
}

#[test]
fn rows_decode_in_index_order_and_row_actions_add_and_remove() {
    let schema = reports_schema();
    let f = form(&[
        ("config.reports.1.name", "second"),
        ("config.reports.0.name", "first"),
        ("config.reports.0.days", "4"),
        ("config.reports.10.name", "eleventh"),
    ]);
    let mut v = decode_config(&schema, &f);
    assert_eq!(
        v,
        json!({"reports": [{"name": "first", "days": 4}, {"name": "second"}, {"name": "eleventh"}]})
    );
    assert!(apply_row_action(&mut v, "remove:config.reports.1"));
    assert!(apply_row_action(&mut v, "add:config.reports"));
    assert_eq!(
        v,
        json!({"reports": [{"name": "first", "days": 4}, {"name": "eleventh"}, {}]})
    );
    let mut empty = json!({});
    assert!(apply_row_action(&mut empty, "add:config.reports"));
    assert_eq!(empty, json!({"reports": [{}]}));
    // An optional array starts with no row.
    let optional = config_model(
        &json!({"type": "object", "properties": {"l": {"type": "array", "minItems": 1,
        "items": {"type": "object", "properties": {"a": {"type": "string"}}}}}}),
    );
    let marks = names_and_marks(&config_items(
        &optional,
        None,
        &Map::new(),
        &FieldErrors::new(),
    ));
    assert_eq!(
        marks,
        [
            "<optional open=false",
            "rows",
            "end rows Some(\"add:config.l\")",
            ">"
        ]
    );
    for bad in [
        "remove:config.reports.9",
        "drop:config.reports",
        "add:auth.x",
        "remove:config.reports",
    ] {
        assert!(!apply_row_action(&mut v, bad), "{bad}");
    }
}

#[test]
fn the_focus_follows_the_row_action() {
    let schema = reports_schema();
    let focused = |values: Value, action: &str| -> Vec<String> {
        let mut items = config_items(&schema, Some(&values), &Map::new(), &FieldErrors::new());
        focus_after_row_action(&mut items, action);
        items
            .iter()
            .filter_map(|i| match i {
                Item::Field(f) if f.autofocus => Some(f.name.clone()),
                Item::RowsEnd { focus: true, .. } => Some("add".into()),
                _ => None,
            })
            .collect()
    };
    let two = json!({"reports": [{"name": "a"}, {}]});
    assert_eq!(
        focused(two.clone(), "add:config.reports"),
        ["config.reports.1.name"]
    );
    assert_eq!(
        focused(two.clone(), "remove:config.reports.0"),
        ["config.reports.0.name"]
    );
    assert_eq!(
        focused(two, "remove:config.reports.7"),
        ["config.reports.1.name"]
    );
    let optional = config_model(
        &json!({"type": "object", "properties": {"l": {"type": "array",
        "items": {"type": "object", "properties": {"a": {"type": "string"}}}}}}),
    );
    let mut items = config_items(
        &optional,
        Some(&json!({"l": []})),
        &Map::new(),
        &FieldErrors::new(),
    );
    focus_after_row_action(&mut items, "remove:config.l.0");
    assert!(
        items
            .iter()
            .any(|i| matches!(i, Item::RowsEnd { focus: true, .. }))
    );
}
