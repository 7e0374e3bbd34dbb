//! The items of a form, built from the form model: one field per scalar
//! property, fieldsets around nested objects, a choice around `oneOf`.

use super::markdown::description_html;
use super::{Field, Item, Kind, capitalize, html_id, humanize, scalar_text};
use crate::domain::schema::model::{
    self, Display, FormSchema, Node, ObjectSchema, OneOf, Property,
};
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

    /// The message shown under a field: one per mistake (the first the
    /// validator gives for the value), none inside a branch that is not
    /// chosen (its inputs are not sent, so the errors are another
    /// branch's).
    fn errors_for(&self, name: &str) -> Vec<String> {
        if self.disabled {
            return Vec::new();
        }
        self.errors
            .get(name)
            .and_then(|m| m.first())
            .map(|m| vec![m.clone()])
            .unwrap_or_default()
    }

    /// The errors of a list's items (`NAME.0`, `NAME.1`…), each named by
    /// its line, under the list's own field.
    fn item_errors(&self, name: &str) -> Vec<String> {
        if self.disabled {
            return Vec::new();
        }
        let prefix = format!("{name}.");
        let mut items: Vec<(usize, &String)> = self
            .errors
            .iter()
            .filter_map(|(k, msgs)| {
                let index = k.strip_prefix(&prefix)?.parse::<usize>().ok()?;
                Some((index, msgs.first()?))
            })
            .collect();
        items.sort_by_key(|(i, _)| *i);
        items
            .into_iter()
            .map(|(i, m)| format!("Line {}: {m}", i + 1))
            .collect()
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
            // A blank choice only where leaving the field empty means
            // something: no default stands in for it.
            if node.default.is_none() && (!required || value.is_none()) {
                options.push((String::new(), "—".to_string()));
            }
            let labels = node.option_labels.as_deref().unwrap_or_default();
            options.extend(opts.iter().enumerate().map(|(i, o)| {
                let label = labels.get(i).cloned().unwrap_or_else(|| scalar_text(o));
                (scalar_text(o), label)
            }));
            Kind::Select { options }
        } else {
            match &node.kind {
                model::Kind::Boolean => Kind::Checkbox,
                model::Kind::Integer(_) => Kind::Number { step: "1" },
                model::Kind::Number(_) => Kind::Number { step: "any" },
                model::Kind::Array(_) => Kind::List,
                model::Kind::String(s) if s.multiline => Kind::TextArea,
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
        let mut errors = self.errors_for(name);
        if kind == Kind::List {
            errors.extend(self.item_errors(name));
        }
        let pattern_help = rules
            .filter(|s| s.pattern.is_some())
            .and_then(|s| s.pattern_description.as_deref())
            .map(capitalize)
            // Not repeated word for word when it is the error itself.
            .filter(|p| !errors.iter().any(|e| e.eq_ignore_ascii_case(p)));
        Field {
            id: format!("{}{}", html_id(name), self.id_suffix),
            name: name.to_string(),
            disabled: self.disabled,
            label,
            help: node.description.as_deref().map(description_html),
            placeholder: node.example.clone(),
            checked: value == Some(&Value::Bool(true)),
            value: value_text,
            kind,
            required,
            min,
            max,
            minlength: rules.and_then(|s| s.min_length),
            maxlength: rules.and_then(|s| s.max_length),
            pattern_help,
            errors,
            autofocus: false,
            activation: false,
            open: false,
            removable: false,
        }
    }

    /// Adds the fields of an object under `prefix`.
    fn object(&mut self, prefix: &str, object: &ObjectSchema, values: Option<&Value>) {
        let all: Vec<&Property> = object.properties.iter().collect();
        self.properties(prefix, &all, values);
    }

    /// Adds properties of one object: the required ones (and those with
    /// `always_show`) first, then the optional ones under a disclosure.
    fn properties(&mut self, prefix: &str, props: &[&Property], values: Option<&Value>) {
        let (shown, optional): (Vec<&Property>, Vec<&Property>) = props.iter().partition(|p| {
            p.required || p.node.always_show || p.node.hidden || p.node.constant.is_some()
        });
        for prop in shown {
            self.property(prefix, prop, values);
        }
        if optional.is_empty() {
            return;
        }
        let start = self.items.len();
        self.items.push(Item::OptionalStart { open: false });
        for prop in optional {
            self.property(prefix, prop, values);
        }
        self.items.push(Item::OptionalEnd);
        let open = self.items[start..].iter().any(|item| match item {
            Item::Field(f) | Item::ChoiceStart { field: f } => !f.errors.is_empty(),
            _ => false,
        });
        self.items[start] = Item::OptionalStart { open };
    }

    fn property(&mut self, prefix: &str, prop: &Property, values: Option<&Value>) {
        let key = prop.name.as_str();
        let node = &prop.node;
        let name = format!("{prefix}.{key}");
        let value = values.and_then(|v| v.get(key));
        if node.hidden {
            let kept = value.or(node.default.as_ref());
            let scalar = kept.is_some_and(|v| !v.is_object() && !v.is_array());
            if let (Some(v), true) = (kept, scalar) {
                self.items.push(Item::Hidden {
                    name,
                    value: scalar_text(v),
                    disabled: self.disabled,
                });
            }
            return;
        }
        match &node.kind {
            model::Kind::OneOf(choice) => self.choice(&name, key, node, choice, value),
            model::Kind::Rows(rows) => self.rows(&name, (key, prop.required), node, rows, value),
            model::Kind::Object(inner) => {
                self.items.push(Item::FieldsetStart {
                    legend: node.title.clone().unwrap_or_else(|| humanize(key)),
                    help: node.description.as_deref().map(description_html),
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
            masked: node.masked,
        };
        f.value = String::new();
        f.placeholder = None;
        // Installing without a secret is allowed; activating is not.
        f.activation = required;
        f.required = false;
        // A refused new value stays open, with its error.
        f.open = f.secret_is_set() && !f.errors.is_empty();
        f
    }

    /// An array of objects: one fieldset per row, with "Remove" per row
    /// and "Add" after the last, as `minItems`/`maxItems` allow. An
    /// optional array starts with no row (absent is valid).
    fn rows(
        &mut self,
        name: &str,
        (key, required): (&str, bool),
        node: &Node,
        rows: &model::Rows,
        value: Option<&Value>,
    ) {
        let label = node.title.clone().unwrap_or_else(|| humanize(key));
        let values: Vec<&Value> = value
            .or(node.default.as_ref())
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        let min = if required {
            usize::try_from(rows.min_items.unwrap_or(0)).unwrap_or(usize::MAX)
        } else {
            0
        };
        let count = values.len().max(min);
        let can_add = rows
            .max_items
            .is_none_or(|m| u64::try_from(count).is_ok_and(|c| c < m));
        let can_remove = count > min;
        self.items.push(Item::RowsStart {
            id: format!("{}{}", html_id(name), self.id_suffix),
            name: name.to_string(),
            legend: label.clone(),
            help: node.description.as_deref().map(description_html),
            errors: self.errors_for(name),
        });
        for i in 0..count {
            self.items.push(Item::RowStart {
                legend: format!("{label} {}", i + 1),
            });
            self.object(&format!("{name}.{i}"), &rows.item, values.get(i).copied());
            self.items.push(Item::RowEnd {
                remove: can_remove.then(|| format!("remove:{name}.{i}")),
                label: format!("Remove {label} {}", i + 1),
                disabled: self.disabled,
            });
        }
        self.items.push(Item::RowsEnd {
            add: can_add.then(|| format!("add:{name}")),
            label: format!("Add to {label}"),
            disabled: self.disabled,
            focus: false,
        });
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
            help: node.description.as_deref().map(description_html),
            placeholder: None,
            kind: match choice.display {
                Display::Dropdown => Kind::Select { options },
                Display::Radio => Kind::Radio { options },
            },
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
            autofocus: false,
            activation: false,
            open: false,
            removable: false,
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
    let grouped = schema
        .root
        .properties
        .iter()
        .any(|p| p.node.group.is_some());
    if !grouped {
        b.object("config", &schema.root, values);
        return b.items;
    }
    // Ungrouped properties first, then one fieldset per group: the
    // top-level `groups` in their order, then any other group named.
    let mut ids: Vec<&str> = schema.groups.iter().map(|g| g.id.as_str()).collect();
    for p in &schema.root.properties {
        if let Some(g) = p.node.group.as_deref() {
            if !ids.contains(&g) {
                ids.push(g);
            }
        }
    }
    let ungrouped: Vec<&Property> = schema
        .root
        .properties
        .iter()
        .filter(|p| p.node.group.is_none())
        .collect();
    b.properties("config", &ungrouped, values);
    for id in ids {
        let members: Vec<&Property> = schema
            .root
            .properties
            .iter()
            .filter(|p| p.node.group.as_deref() == Some(id))
            .collect();
        if members.is_empty() {
            continue;
        }
        let title = schema
            .groups
            .iter()
            .find(|g| g.id == id)
            .and_then(|g| g.title.clone())
            .unwrap_or_else(|| humanize(id));
        b.items.push(Item::FieldsetStart {
            legend: title,
            help: None,
        });
        b.properties("config", &members, values);
        b.items.push(Item::FieldsetEnd);
    }
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
            let mut f = b.secret(&format!("auth.{key}"), key, &prop.node, prop.required);
            // An optional secret that is set can be removed.
            f.removable = f.secret_is_set() && !prop.required;
            f
        })
        .collect()
}
