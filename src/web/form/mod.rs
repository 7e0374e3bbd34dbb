//! Forms generated from a catalog entry's schemas, and form bodies turned
//! back into the JSON the API takes — so the web UI goes through the same
//! validation and encryption path as the API.
//!
//! Inputs are named by their dotted path into the API body
//! (`config.site_url`, `auth.api_key`), which is also how validation errors
//! are keyed: an error lands next to its input by name.
//!
//! The form is a flat list of [`Item`]s (fieldsets and choices open and
//! close around their fields), so templates need no recursion. Both ways
//! read the catalog entry's form model ([`FormSchema`], built once per
//! catalog change), never the schema's JSON: [`render`] builds the items,
//! [`decode`] the bodies.

mod decode;
mod markdown;
mod render;
#[cfg(test)]
mod tests;

pub use markdown::{description_html, text_html};

use crate::domain::schema::FormSchema;
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
    /// A multi-line string (`multiline: true`).
    TextArea,
    /// A `oneOf` choice shown as radio buttons (`display_type: radio`).
    Radio {
        options: Vec<(String, String)>,
    },
    /// A secret: a password input, never pre-filled.
    Secret {
        set: bool,
        updated_at: Option<String>,
        /// `false` for an identifier (`x-masked: false`): a text input.
        masked: bool,
    },
}

#[derive(Debug, Clone)]
pub struct Field {
    /// Dotted path: the input's name and the key of its errors.
    pub name: String,
    /// HTML id derived from the name.
    pub id: String,
    pub label: String,
    /// Safe HTML: a description rendered and sanitised.
    pub help: Option<String>,
    /// From `examples`: shown in an empty input.
    pub placeholder: Option<String>,
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
    /// Focused when the form is shown again (after a row action).
    pub autofocus: bool,
    /// A required secret: a connector may be saved without it, but not
    /// activated.
    pub activation: bool,
    /// A set secret whose new value was refused: shown open, with its
    /// error, instead of folded back to "Set".
    pub open: bool,
    /// A set secret that is optional: it can be removed.
    pub removable: bool,
}

impl Field {
    pub fn is_select(&self) -> bool {
        matches!(self.kind, Kind::Select { .. })
    }
    pub fn options(&self) -> &[(String, String)] {
        match &self.kind {
            Kind::Select { options } | Kind::Radio { options } => options,
            _ => &[],
        }
    }
    pub fn is_radio(&self) -> bool {
        matches!(self.kind, Kind::Radio { .. })
    }
    pub fn is_textarea(&self) -> bool {
        self.kind == Kind::TextArea
    }
    pub fn input_type(&self) -> &'static str {
        match self.kind {
            Kind::Url => "url",
            Kind::Email => "email",
            Kind::Number { .. } => "number",
            Kind::Checkbox => "checkbox",
            Kind::Secret { masked: false, .. } => "text",
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
        /// Safe HTML, like [`Field::help`].
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
    /// A property with `airbyte_hidden`: not shown, its value (or default)
    /// sent back as it is.
    Hidden {
        name: String,
        value: String,
        disabled: bool,
    },
    /// The optional fields of an object, collapsed under a disclosure;
    /// `open` when one of them has an error.
    OptionalStart {
        open: bool,
    },
    OptionalEnd,
    /// An array of objects: a fieldset of rows, its own errors
    /// (`minItems`…) at the top.
    RowsStart {
        id: String,
        /// The array's dotted path, the key of its own errors.
        name: String,
        legend: String,
        help: Option<String>,
        errors: Vec<String>,
    },
    /// One row, named by its index (`config.reports.0.…`).
    RowStart {
        legend: String,
    },
    /// The end of a row, with its "Remove" action (`remove:PATH.INDEX`)
    /// unless the array is at its `minItems`.
    RowEnd {
        remove: Option<String>,
        label: String,
        disabled: bool,
    },
    /// The end of the rows, with the "Add" action (`add:PATH`) unless the
    /// array is at its `maxItems`.
    RowsEnd {
        add: Option<String>,
        label: String,
        disabled: bool,
        /// Focused when the form is shown again (the last row removed).
        focus: bool,
    },
}

/// Where the focus goes when a form comes back after a row action: the
/// first field of the row added, or of the row that took the removed
/// one's place (or the one before it), or "Add" when no row is left.
pub fn focus_after_row_action(items: &mut [Item], action: &str) {
    let (array, removed) = match action.split_once(':') {
        Some(("add", p)) => (p.to_string(), None),
        Some(("remove", p)) => match p.rsplit_once('.') {
            Some((a, i)) => (a.to_string(), i.parse::<usize>().ok()),
            None => return,
        },
        _ => return,
    };
    let prefix = format!("{array}.");
    let row_of = |name: &str| -> Option<usize> {
        name.strip_prefix(&prefix)?.split('.').next()?.parse().ok()
    };
    let rows: Vec<usize> = items
        .iter()
        .filter_map(|i| match i {
            Item::Field(f) => row_of(&f.name),
            _ => None,
        })
        .collect();
    let last = rows.iter().max().copied();
    let target = match (removed, last) {
        (None, last) => last,
        (Some(i), Some(last)) => Some(i.min(last)),
        (Some(_), None) => None,
    };
    let Some(target) = target else {
        let add = format!("add:{array}");
        for item in items.iter_mut() {
            if let Item::RowsEnd {
                add: Some(a),
                focus,
                ..
            } = item
            {
                if *a == add {
                    *focus = true;
                }
            }
        }
        return;
    };
    for item in items.iter_mut() {
        if let Item::Field(f) = item {
            if row_of(&f.name) == Some(target) && !f.disabled {
                f.autofocus = true;
                return;
            }
        }
    }
}

/// The form field a row's "Add" or "Remove" button sends.
pub const ROW_ACTION: &str = "_row";

/// Applies a row action (`add:config.reports`, `remove:config.reports.1`)
/// to a decoded config: adds an empty row at the end, or removes one.
/// `false` when the action names no array of the config.
pub fn apply_row_action(config: &mut Value, action: &str) -> bool {
    let (verb, path) = match action.split_once(':') {
        Some((v @ ("add" | "remove"), p)) => (v, p),
        _ => return false,
    };
    let Some(rest) = path.strip_prefix("config.") else {
        return false;
    };
    let mut segments: Vec<&str> = rest.split('.').collect();
    let index = if verb == "remove" {
        match segments.pop().and_then(|i| i.parse::<usize>().ok()) {
            Some(i) => Some(i),
            None => return false,
        }
    } else {
        None
    };
    let mut node = config;
    for seg in segments {
        let next = match node {
            Value::Object(map) => map
                .entry(seg.to_string())
                .or_insert_with(|| Value::Object(Map::new())),
            Value::Array(list) => match seg.parse::<usize>().ok().and_then(|i| list.get_mut(i)) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
        node = next;
    }
    if !node.is_array() {
        if node.as_object().is_some_and(Map::is_empty) && index.is_none() {
            *node = Value::Array(Vec::new());
        } else {
            return false;
        }
    }
    let Value::Array(list) = node else {
        return false;
    };
    match index {
        None => list.push(Value::Object(Map::new())),
        Some(i) if i < list.len() => {
            list.remove(i);
        }
        Some(_) => return false,
    }
    true
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

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
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

/// The config part of a form. A secret of the config, at any depth, is a
/// password input like those of `auth`; `secrets` (the connector's secret
/// states, on edit forms) says which are set.
pub fn config_items(
    schema: &FormSchema,
    values: Option<&Value>,
    secrets: &Map<String, Value>,
    errors: &FieldErrors,
) -> Vec<Item> {
    render::config_items(schema, values, secrets, errors)
}

/// The secrets part: every secret a password input, never pre-filled;
/// `set` says which are already stored (edit forms).
pub fn secret_fields(
    auth_schema: &FormSchema,
    set: &Map<String, Value>,
    errors: &FieldErrors,
) -> Vec<Field> {
    render::secret_fields(auth_schema, set, errors)
}

/// Form fields by name; a name may repeat.
pub type FormData = HashMap<String, Vec<String>>;

fn first<'f>(form: &'f FormData, name: &str) -> Option<&'f str> {
    form.get(name).and_then(|v| v.first()).map(String::as_str)
}

/// Rebuilds the `config` object from form fields, typed by the schema.
/// Values that do not parse are kept as text so that validation reports
/// them against their field. A secret's empty or absent input (an "Update
/// secret" left closed) is left out, which keeps the secret.
pub fn decode_config(schema: &FormSchema, form: &FormData) -> Value {
    decode::config(schema, form)
}

/// The `auth` object of a form: a non-empty `auth.NAME` sets that secret;
/// empty or absent (an "Update secret" input left closed) keeps it.
pub fn decode_auth(auth_schema: &FormSchema, form: &FormData) -> Value {
    decode::auth(auth_schema, form)
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
