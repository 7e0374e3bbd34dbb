//! Forms generated from a catalog entry's schemas, and form bodies turned
//! back into the JSON the API takes — so the web UI goes through the same
//! validation and encryption path as the API.
//!
//! Inputs are named by their dotted path into the API body
//! (`config.site_url`, `auth.api_key`), which is also how validation errors
//! are keyed: an error lands next to its input by name.
//!
//! The form is a flat list of [`Item`]s (fieldsets and choices open and
//! close around their fields), so templates need no recursion.

use crate::domain::schema::{discriminator, schema_type};
use crate::domain::validation::FieldErrors;
use serde_json::{Map, Value};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Text,
    Url,
    Email,
    Number {
        step: &'static str,
    },
    Checkbox,
    Select {
        options: Vec<(String, String)>,
    },
    /// One string per line.
    List,
    /// A secret: a password input, never pre-filled.
    Secret {
        set: bool,
        updated_at: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub struct Field {
    /// Dotted path: the input's name and the key of its errors.
    pub name: String,
    /// HTML id derived from the name.
    pub id: String,
    pub label: String,
    pub help: Option<String>,
    pub kind: Kind,
    pub value: String,
    pub checked: bool,
    pub required: bool,
    pub min: Option<String>,
    pub max: Option<String>,
    pub minlength: Option<u64>,
    pub maxlength: Option<u64>,
    pub pattern_help: Option<String>,
    pub errors: Vec<String>,
    /// Inputs of a `oneOf` branch that is not chosen: hidden and not sent.
    pub disabled: bool,
}

impl Field {
    pub fn is_select(&self) -> bool {
        matches!(self.kind, Kind::Select { .. })
    }
    pub fn options(&self) -> &[(String, String)] {
        match &self.kind {
            Kind::Select { options } => options,
            _ => &[],
        }
    }
    pub fn input_type(&self) -> &'static str {
        match self.kind {
            Kind::Url => "url",
            Kind::Email => "email",
            Kind::Number { .. } => "number",
            Kind::Checkbox => "checkbox",
            Kind::Secret { .. } => "password",
            _ => "text",
        }
    }
    pub fn step(&self) -> &'static str {
        match self.kind {
            Kind::Number { step } => step,
            _ => "",
        }
    }
    pub fn is_checkbox(&self) -> bool {
        self.kind == Kind::Checkbox
    }
    pub fn is_list(&self) -> bool {
        self.kind == Kind::List
    }
    pub fn is_secret(&self) -> bool {
        matches!(self.kind, Kind::Secret { .. })
    }
    /// A set secret on an edit form: shown as set, with an "Update secret"
    /// control revealing an empty input.
    pub fn secret_is_set(&self) -> bool {
        matches!(self.kind, Kind::Secret { set: true, .. })
    }
    pub fn secret_updated_at(&self) -> &str {
        match &self.kind {
            Kind::Secret {
                updated_at: Some(t),
                ..
            } => t,
            _ => "",
        }
    }
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if self.help.is_some() {
            ids.push(format!("{}-help", self.id));
        }
        if self.pattern_help.is_some() {
            ids.push(format!("{}-pattern", self.id));
        }
        if !self.errors.is_empty() {
            ids.push(format!("{}-error", self.id));
        }
        ids.join(" ")
    }
}

#[derive(Debug, Clone)]
pub enum Item {
    FieldsetStart {
        legend: String,
        help: Option<String>,
    },
    FieldsetEnd,
    Field(Box<Field>),
    /// A `oneOf` choice: a select named by the discriminator path, then one
    /// branch per option, only the chosen one shown and enabled.
    ChoiceStart {
        field: Box<Field>,
    },
    BranchStart {
        value: String,
        active: bool,
    },
    BranchEnd,
    ChoiceEnd,
}

fn html_id(name: &str) -> String {
    let mut id = String::from("f-");
    for c in name.chars() {
        id.push(if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            c
        } else {
            '-'
        });
    }
    id
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_string)
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Properties in form order: by `order`, then as written.
pub fn ordered_properties(schema: &Value) -> Vec<(&String, &Value)> {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut list: Vec<(usize, &String, &Value)> = props
        .iter()
        .enumerate()
        .map(|(i, (k, v))| (i, k, v))
        .collect();
    list.sort_by_key(|(i, _, v)| {
        (
            v.get("order").and_then(Value::as_i64).unwrap_or(i64::MAX),
            *i,
        )
    });
    list.into_iter().map(|(_, k, v)| (k, v)).collect()
}

fn required_set(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

struct Builder<'a> {
    root: &'a Value,
    errors: &'a FieldErrors,
    items: Vec<Item>,
    /// Appended to ids inside a `oneOf` branch (names repeat across branches).
    id_suffix: String,
    /// Inside a branch that is not chosen.
    disabled: bool,
}

impl<'a> Builder<'a> {
    fn resolve(&self, node: &'a Value) -> &'a Value {
        let mut n = node;
        for _ in 0..16 {
            match n
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix('#'))
            {
                Some(p) => match self.root.pointer(p) {
                    Some(t) => n = t,
                    None => break,
                },
                None => break,
            }
        }
        n
    }

    fn errors_for(&self, name: &str) -> Vec<String> {
        self.errors.get(name).cloned().unwrap_or_default()
    }

    fn field(
        &self,
        name: &str,
        label_key: &str,
        schema: &Value,
        required: bool,
        value: Option<&Value>,
    ) -> Field {
        let obj = schema.as_object().cloned().unwrap_or_default();
        let ty = schema_type(&obj);
        let label = text(obj.get("title")).unwrap_or_else(|| humanize(label_key));
        let value = value.or_else(|| obj.get("default"));
        let enum_opts = obj.get("enum").and_then(Value::as_array).cloned();
        let kind = if let Some(opts) = enum_opts {
            let mut options: Vec<(String, String)> = Vec::new();
            if !required || value.is_none() {
                options.push((String::new(), "—".to_string()));
            }
            options.extend(opts.iter().map(|o| (scalar_text(o), scalar_text(o))));
            Kind::Select { options }
        } else {
            match ty {
                Some("boolean") => Kind::Checkbox,
                Some("integer") => Kind::Number { step: "1" },
                Some("number") => Kind::Number { step: "any" },
                Some("array") => Kind::List,
                _ => match obj.get("format").and_then(Value::as_str) {
                    Some("uri" | "url" | "iri") => Kind::Url,
                    Some("email" | "idn-email") => Kind::Email,
                    _ => Kind::Text,
                },
            }
        };
        let value_text = match (value, &kind) {
            (Some(Value::Array(a)), Kind::List) => {
                a.iter().map(scalar_text).collect::<Vec<_>>().join("\n")
            }
            (Some(v), _) => scalar_text(v),
            (None, _) => String::new(),
        };
        let num = |k: &str| obj.get(k).filter(|v| v.is_number()).map(scalar_text);
        Field {
            id: format!("{}{}", html_id(name), self.id_suffix),
            name: name.to_string(),
            disabled: self.disabled,
            label,
            help: text(obj.get("description")),
            checked: value == Some(&Value::Bool(true)),
            value: value_text,
            kind,
            required,
            min: num("minimum"),
            max: num("maximum"),
            minlength: obj.get("minLength").and_then(Value::as_u64),
            maxlength: obj.get("maxLength").and_then(Value::as_u64),
            pattern_help: obj
                .get("pattern")
                .and(text(obj.get("patternDescription")))
                .map(|d| capitalize(&d)),
            errors: self.errors_for(name),
        }
    }

    /// Adds the fields of an object schema under `prefix`.
    fn object(&mut self, prefix: &str, schema: &'a Value, values: Option<&Value>) {
        let schema = self.resolve(schema);
        let required = required_set(schema);
        for (key, prop) in ordered_properties(schema) {
            let prop = self.resolve(prop);
            let name = format!("{prefix}.{key}");
            let value = values.and_then(|v| v.get(key));
            let is_required = required.contains(&key.as_str());
            let obj = prop.as_object().cloned().unwrap_or_default();
            if let Some(branches) = prop.get("oneOf").and_then(Value::as_array) {
                self.choice(&name, key, prop, branches, value);
            } else if schema_type(&obj) == Some("object") {
                self.items.push(Item::FieldsetStart {
                    legend: text(obj.get("title")).unwrap_or_else(|| humanize(key)),
                    help: text(obj.get("description")),
                });
                self.object(&name, prop, value);
                self.items.push(Item::FieldsetEnd);
            } else if obj.contains_key("const") {
                // A fixed value needs no input.
                continue;
            } else {
                let f = self.field(&name, key, prop, is_required, value);
                self.items.push(Item::Field(Box::new(f)));
            }
        }
    }

    fn choice(
        &mut self,
        name: &str,
        key: &str,
        schema: &'a Value,
        branches: &'a [Value],
        value: Option<&Value>,
    ) {
        let resolved: Vec<&'a Value> = branches.iter().map(|b| self.resolve(b)).collect();
        let maps: Vec<&Map<String, Value>> =
            resolved.iter().filter_map(|b| b.as_object()).collect();
        let Some(disc) = discriminator(&maps) else {
            return;
        };
        let consts: Vec<String> = resolved
            .iter()
            .map(|b| {
                b.pointer(&format!("/properties/{disc}/const"))
                    .map(scalar_text)
                    .unwrap_or_default()
            })
            .collect();
        let chosen = value
            .and_then(|v| v.get(&disc))
            .map(scalar_text)
            .or_else(|| {
                schema
                    .get("default")
                    .and_then(|d| d.get(&disc))
                    .map(scalar_text)
            })
            .unwrap_or_else(|| consts.first().cloned().unwrap_or_default());
        let options: Vec<(String, String)> = resolved
            .iter()
            .zip(&consts)
            .map(|(b, c)| {
                (
                    c.clone(),
                    text(b.get("title")).unwrap_or_else(|| humanize(c)),
                )
            })
            .collect();
        let disc_name = format!("{name}.{disc}");
        let field = Field {
            id: html_id(&disc_name),
            name: disc_name.clone(),
            label: text(schema.get("title")).unwrap_or_else(|| humanize(key)),
            help: text(schema.get("description")),
            kind: Kind::Select { options },
            value: chosen.clone(),
            checked: false,
            required: true,
            min: None,
            max: None,
            minlength: None,
            maxlength: None,
            pattern_help: None,
            errors: self.errors_for(&disc_name),
            disabled: self.disabled,
        };
        self.items.push(Item::ChoiceStart {
            field: Box::new(field),
        });
        let (outer_suffix, outer_disabled) = (self.id_suffix.clone(), self.disabled);
        for (b, c) in resolved.iter().zip(&consts) {
            let active = *c == chosen;
            self.items.push(Item::BranchStart {
                value: c.clone(),
                active,
            });
            self.id_suffix = format!("{outer_suffix}--{}", html_id(c).trim_start_matches("f-"));
            self.disabled = outer_disabled || !active;
            self.object(name, b, if active { value } else { None });
            self.items.push(Item::BranchEnd);
        }
        self.id_suffix = outer_suffix;
        self.disabled = outer_disabled;
        self.items.push(Item::ChoiceEnd);
    }
}

fn humanize(key: &str) -> String {
    capitalize(&key.replace(['_', '-'], " "))
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// The config part of a form.
pub fn config_items(schema: &Value, values: Option<&Value>, errors: &FieldErrors) -> Vec<Item> {
    let mut b = Builder {
        root: schema,
        errors,
        items: Vec::new(),
        id_suffix: String::new(),
        disabled: false,
    };
    b.object("config", schema, values);
    b.items
}

/// The secrets part: every secret a password input, never pre-filled;
/// `set` says which are already stored (edit forms).
pub fn secret_fields(
    auth_schema: &Value,
    set: &Map<String, Value>,
    errors: &FieldErrors,
) -> Vec<Field> {
    let b = Builder {
        root: auth_schema,
        errors,
        items: Vec::new(),
        id_suffix: String::new(),
        disabled: false,
    };
    let required = required_set(auth_schema);
    ordered_properties(auth_schema)
        .into_iter()
        .map(|(key, prop)| {
            let prop = b.resolve(prop);
            let name = format!("auth.{key}");
            let mut f = b.field(&name, key, prop, required.contains(&key.as_str()), None);
            let state = set.get(key);
            f.kind = Kind::Secret {
                set: state
                    .and_then(|s| s.get("set"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                updated_at: state
                    .and_then(|s| s.get("updated_at"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
            };
            f.value = String::new();
            f
        })
        .collect()
}

// ------------------------------------------------------------- decoding

/// Form fields by name; a name may repeat.
pub type FormData = HashMap<String, Vec<String>>;

fn first<'f>(form: &'f FormData, name: &str) -> Option<&'f str> {
    form.get(name).and_then(|v| v.first()).map(String::as_str)
}

/// Rebuilds the `config` object from form fields, typed by the schema.
/// Values that do not parse are kept as text so that validation reports
/// them against their field.
pub fn decode_config(schema: &Value, form: &FormData) -> Value {
    decode_object(schema, schema, "config", form).unwrap_or_else(|| Value::Object(Map::new()))
}

fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    let mut n = node;
    for _ in 0..16 {
        match n
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|p| root.pointer(p))
        {
            Some(t) => n = t,
            None => break,
        }
    }
    n
}

fn decode_object(root: &Value, schema: &Value, prefix: &str, form: &FormData) -> Option<Value> {
    let schema = resolve(root, schema);
    let mut out = Map::new();
    for (key, prop) in ordered_properties(schema) {
        let prop = resolve(root, prop);
        let name = format!("{prefix}.{key}");
        let obj = prop.as_object().cloned().unwrap_or_default();
        let value = if let Some(branches) = obj.get("oneOf").and_then(Value::as_array) {
            let resolved: Vec<&Value> = branches.iter().map(|b| resolve(root, b)).collect();
            let maps: Vec<&Map<String, Value>> =
                resolved.iter().filter_map(|b| b.as_object()).collect();
            discriminator(&maps).and_then(|disc| {
                let chosen = first(form, &format!("{name}.{disc}"))?;
                let branch = resolved.iter().find(|b| {
                    b.pointer(&format!("/properties/{disc}/const"))
                        .map(scalar_text)
                        .as_deref()
                        == Some(chosen)
                })?;
                let mut v = decode_object(root, branch, &name, form)
                    .unwrap_or_else(|| Value::Object(Map::new()));
                if let Some(c) = branch.pointer(&format!("/properties/{disc}/const")) {
                    v[&disc] = c.clone();
                }
                Some(v)
            })
        } else if obj.contains_key("const") {
            obj.get("const").cloned()
        } else {
            match schema_type(&obj) {
                Some("object") => decode_object(root, prop, &name, form),
                Some("boolean") => Some(Value::Bool(
                    first(form, &name).is_some_and(|v| v == "true" || v == "on"),
                )),
                Some("array") => first(form, &name).map(|t| {
                    Value::Array(
                        t.lines()
                            .map(str::trim)
                            .filter(|l| !l.is_empty())
                            .map(|l| Value::String(l.to_string()))
                            .collect(),
                    )
                }),
                Some(ty @ ("integer" | "number")) => first(form, &name)
                    .filter(|t| !t.trim().is_empty())
                    .map(|t| {
                        let t = t.trim();
                        let parsed = if ty == "integer" {
                            t.parse::<i64>().ok().map(Value::from)
                        } else {
                            t.parse::<f64>()
                                .ok()
                                .and_then(serde_json::Number::from_f64)
                                .map(Value::Number)
                        };
                        parsed.unwrap_or_else(|| Value::String(t.to_string()))
                    }),
                _ => first(form, &name)
                    .filter(|t| !t.is_empty())
                    .map(|t| Value::String(t.to_string())),
            }
        };
        if let Some(v) = value {
            out.insert(key.clone(), v);
        }
    }
    if out.is_empty() && prefix != "config" {
        None
    } else {
        Some(Value::Object(out))
    }
}

/// The `auth` object of a form: a non-empty `auth.NAME` sets that secret;
/// empty or absent (an "Update secret" input left closed) keeps it.
pub fn decode_auth(auth_schema: &Value, form: &FormData) -> Value {
    let mut out = Map::new();
    for (key, _) in ordered_properties(auth_schema) {
        if let Some(v) = first(form, &format!("auth.{key}")).filter(|v| !v.is_empty()) {
            out.insert(key.clone(), Value::String(v.to_string()));
        }
    }
    Value::Object(out)
}

/// Tags typed as a comma-separated line.
pub fn decode_tags(form: &FormData) -> Value {
    Value::Array(
        first(form, "tags")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| Value::String(t.to_string()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        let items = config_items(&schema, None, &errors);
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
        assert_eq!(a.pattern_help.as_deref(), Some("Must start with https://"));
        let Item::Field(n) = &items[1] else { panic!() };
        assert_eq!(
            (n.min.as_deref(), n.max.as_deref(), n.step()),
            (Some("1"), Some("9"), "1")
        );
        let Item::Field(b) = &items[2] else { panic!() };
        assert!(b.is_checkbox() && b.checked);
        let Item::Field(e) = &items[3] else { panic!() };
        assert_eq!(e.value, "y");
        assert!(matches!(items[5], Item::FieldsetStart { .. }));
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
        let v = decode_config(&schema, &f);
        assert_eq!(
            v,
            json!({"url": "https://x", "n": 5, "bad": "five", "flag": true, "off": false, "tags": ["a", "b"], "author": {"type": "org", "id": 42}})
        );
        let auth = json!({"type": "object", "properties": {"k": {"type": "string"}, "j": {"type": "string"}}});
        assert_eq!(
            decode_auth(&auth, &form(&[("auth.k", "v"), ("auth.j", "")])),
            json!({"k": "v"})
        );
        assert_eq!(
            decode_tags(&form(&[("tags", "a, b,,c ")])),
            json!(["a", "b", "c"])
        );
    }
}
