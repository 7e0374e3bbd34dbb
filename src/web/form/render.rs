//! The items of a form, built from the form model: one field per scalar
//! property, fieldsets around nested objects, a choice around `oneOf`.

use super::{Field, Item, Kind, capitalize, html_id, humanize, scalar_text};
use crate::domain::schema::model::{self, FormSchema, Node, ObjectSchema, OneOf};
use crate::domain::validation::FieldErrors;
use serde_json::{Map, Value};

struct Builder<'a> {
    errors: &'a FieldErrors,
    /// The connector's secret states by name (`config.…` for the config's
    /// own secrets), on edit forms.
    secrets: &'a Map<String, Value>,
    items: Vec<Item>,
    /// Appended to ids inside a `oneOf` branch (names repeat across branches).
    id_suffix: String,
    /// Inside a branch that is not chosen.
    disabled: bool,
}

impl Builder<'_> {
    fn new<'a>(errors: &'a FieldErrors, secrets: &'a Map<String, Value>) -> Builder<'a> {
        Builder {
            errors,
            secrets,
            items: Vec::new(),
            id_suffix: String::new(),
            disabled: false,
        }
    }

    fn errors_for(&self, name: &str) -> Vec<String> {
        self.errors.get(name).cloned().unwrap_or_default()
    }

    fn field(
        &self,
        name: &str,
        label_key: &str,
        node: &Node,
        required: bool,
        value: Option<&Value>,
    ) -> Field {
        let label = node.title.clone().unwrap_or_else(|| humanize(label_key));
        let value = value.or(node.default.as_ref());
        let kind = if let Some(opts) = &node.options {
            let mut options: Vec<(String, String)> = Vec::new();
            if !required || value.is_none() {
                options.push((String::new(), "—".to_string()));
            }
            options.extend(opts.iter().map(|o| (scalar_text(o), scalar_text(o))));
            Kind::Select { options }
        } else {
            match &node.kind {
                model::Kind::Boolean => Kind::Checkbox,
                model::Kind::Integer(_) => Kind::Number { step: "1" },
                model::Kind::Number(_) => Kind::Number { step: "any" },
                model::Kind::Array(_) => Kind::List,
                model::Kind::String(s) => match s.format.as_deref() {
                    Some("uri" | "url" | "iri") => Kind::Url,
                    Some("email" | "idn-email") => Kind::Email,
                    _ => Kind::Text,
                },
                _ => Kind::Text,
            }
        };
        let value_text = match (value, &kind) {
            (Some(Value::Array(a)), Kind::List) => {
                a.iter().map(scalar_text).collect::<Vec<_>>().join("\n")
            }
            (Some(v), _) => scalar_text(v),
            (None, _) => String::new(),
        };
        let (min, max) = match &node.kind {
            model::Kind::Integer(l) | model::Kind::Number(l) => (
                l.minimum.as_ref().map(ToString::to_string),
                l.maximum.as_ref().map(ToString::to_string),
            ),
            _ => (None, None),
        };
        let rules = match &node.kind {
            model::Kind::String(s) => Some(s),
            _ => None,
        };
        Field {
            id: format!("{}{}", html_id(name), self.id_suffix),
            name: name.to_string(),
            disabled: self.disabled,
            label,
            help: node.description.clone(),
            checked: value == Some(&Value::Bool(true)),
            value: value_text,
            kind,
            required,
            min,
            max,
            minlength: rules.and_then(|s| s.min_length),
            maxlength: rules.and_then(|s| s.max_length),
            pattern_help: rules
                .filter(|s| s.pattern.is_some())
                .and_then(|s| s.pattern_description.as_deref())
                .map(capitalize),
            errors: self.errors_for(name),
        }
    }

    /// Adds the fields of an object under `prefix`.
    fn object(&mut self, prefix: &str, object: &ObjectSchema, values: Option<&Value>) {
        for prop in &object.properties {
            let key = prop.name.as_str();
            let node = &prop.node;
            let name = format!("{prefix}.{key}");
            let value = values.and_then(|v| v.get(key));
            match &node.kind {
                model::Kind::OneOf(choice) => self.choice(&name, key, node, choice, value),
                model::Kind::Object(inner) => {
                    self.items.push(Item::FieldsetStart {
                        legend: node.title.clone().unwrap_or_else(|| humanize(key)),
                        help: node.description.clone(),
                    });
                    self.object(&name, inner, value);
                    self.items.push(Item::FieldsetEnd);
                }
                // A fixed value needs no input.
                _ if node.constant.is_some() => {}
                _ if node.secret => {
                    let f = self.secret(&name, key, node, prop.required);
                    self.items.push(Item::Field(Box::new(f)));
                }
                _ => {
                    let f = self.field(&name, key, node, prop.required, value);
                    self.items.push(Item::Field(Box::new(f)));
                }
            }
        }
    }

    /// A secret's field, wherever it sits: a password input, never
    /// pre-filled, shown as set (with "Update secret") when its state under
    /// `name` says so.
    fn secret(&self, name: &str, key: &str, node: &Node, required: bool) -> Field {
        let mut f = self.field(name, key, node, required, None);
        let state = self.secrets.get(name);
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
    }

    fn choice(
        &mut self,
        name: &str,
        key: &str,
        node: &Node,
        choice: &OneOf,
        value: Option<&Value>,
    ) {
        let disc = choice.discriminator.as_str();
        let consts: Vec<String> = choice
            .branches
            .iter()
            .map(|b| scalar_text(&b.value))
            .collect();
        let chosen = value
            .and_then(|v| v.get(disc))
            .map(scalar_text)
            .or_else(|| {
                node.default
                    .as_ref()
                    .and_then(|d| d.get(disc))
                    .map(scalar_text)
            })
            .unwrap_or_else(|| consts.first().cloned().unwrap_or_default());
        let options: Vec<(String, String)> = choice
            .branches
            .iter()
            .zip(&consts)
            .map(|(b, c)| (c.clone(), b.title.clone().unwrap_or_else(|| humanize(c))))
            .collect();
        let disc_name = format!("{name}.{disc}");
        let field = Field {
            id: html_id(&disc_name),
            name: disc_name.clone(),
            label: node.title.clone().unwrap_or_else(|| humanize(key)),
            help: node.description.clone(),
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
        for (b, c) in choice.branches.iter().zip(&consts) {
            let active = *c == chosen;
            self.items.push(Item::BranchStart {
                value: c.clone(),
                active,
            });
            self.id_suffix = format!("{outer_suffix}--{}", html_id(c).trim_start_matches("f-"));
            self.disabled = outer_disabled || !active;
            self.object(name, &b.object, if active { value } else { None });
            self.items.push(Item::BranchEnd);
        }
        self.id_suffix = outer_suffix;
        self.disabled = outer_disabled;
        self.items.push(Item::ChoiceEnd);
    }
}

pub(super) fn config_items(
    schema: &FormSchema,
    values: Option<&Value>,
    secrets: &Map<String, Value>,
    errors: &FieldErrors,
) -> Vec<Item> {
    let mut b = Builder::new(errors, secrets);
    b.object("config", &schema.root, values);
    b.items
}

pub(super) fn secret_fields(
    auth_schema: &FormSchema,
    set: &Map<String, Value>,
    errors: &FieldErrors,
) -> Vec<Field> {
    // The states of `auth_schema`'s secrets are named without `auth.`.
    let states: Map<String, Value> = set
        .iter()
        .map(|(k, v)| (format!("auth.{k}"), v.clone()))
        .collect();
    let b = Builder::new(errors, &states);
    auth_schema
        .root
        .properties
        .iter()
        .map(|prop| {
            let key = prop.name.as_str();
            b.secret(&format!("auth.{key}"), key, &prop.node, prop.required)
        })
        .collect()
}
