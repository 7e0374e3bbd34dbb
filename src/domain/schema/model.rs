//! The form model: a catalog schema as forms render and decode it, built
//! once by [`FormSchema::build`] (which is also the import check) and read
//! without going back to the JSON.
//!
//! Every node has already passed the renderability check, so readers need
//! no fallbacks: `$ref`s are resolved, properties are in form order (by
//! `order`, read where the property is written, then as written), `oneOf`
//! branches are objects with their discriminating `const`.

use super::{SchemaIssue, SchemaRole, build, secrets};
use serde_json::{Number, Value};

/// One schema of a catalog entry (`default_config_schema` or
/// `auth_schema`): its top-level object.
#[derive(Debug, Clone, PartialEq)]
pub struct FormSchema {
    pub root: ObjectSchema,
    /// The top-level `groups`: the fieldsets, in order, that properties
    /// name with `group`.
    pub groups: Vec<Group>,
    /// Keywords the form does not know and ignores, as annotations.
    pub warnings: Vec<SchemaIssue>,
}

/// One entry of the top-level `groups`.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: String,
    pub title: Option<String>,
}

impl FormSchema {
    /// Builds the model of `schema` (found at `base`, a JSON pointer inside
    /// the manifest), or says why it cannot be rendered as a form: the
    /// keyword, its JSON pointer and the reason.
    pub fn build(schema: &Value, base: &str, role: SchemaRole) -> Result<FormSchema, SchemaIssue> {
        build::form_schema(schema, base, role)
    }
}

/// Both schemas of a catalog entry, as forms see them.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogForms {
    /// `default_config_schema`, under `config.` in forms.
    pub config: FormSchema,
    /// `auth_schema`, under `auth.`: every property a secret.
    pub auth: FormSchema,
}

impl CatalogForms {
    /// Builds both models, and checks that every secret (of either
    /// schema) has a name of its own.
    pub fn build(config_schema: &Value, auth_schema: &Value) -> Result<CatalogForms, SchemaIssue> {
        let forms = CatalogForms {
            config: FormSchema::build(config_schema, "/default_config_schema", SchemaRole::Config)?,
            auth: FormSchema::build(auth_schema, "/auth_schema", SchemaRole::Secrets)?,
        };
        let auth_names: Vec<String> = forms
            .auth
            .root
            .properties
            .iter()
            .map(|p| p.name.clone())
            .collect();
        secrets::check_places(&forms.config, &auth_names, "/default_config_schema")?;
        for p in &forms.auth.root.properties {
            let Some(after) = &p.node.after else {
                continue;
            };
            if forms.config.root.get(after).is_none() {
                return Err(super::issue(
                    "x-after",
                    format!("/auth_schema/properties/{}/x-after", super::escape(&p.name)),
                    "must name a top-level property of default_config_schema",
                ));
            }
        }
        Ok(forms)
    }
}

/// The properties of an object, in form order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObjectSchema {
    pub properties: Vec<Property>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    pub name: String,
    /// Listed in the object's `required`.
    pub required: bool,
    pub node: Node,
}

/// One schema node: the annotations forms use, the keywords any type may
/// carry (`const`, `enum`), and what the node is.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub title: Option<String>,
    pub description: Option<String>,
    pub default: Option<Value>,
    /// `writeOnly: true` or `airbyte_secret: true` (always a string), or
    /// any property of `auth_schema`.
    pub secret: bool,
    /// `airbyte_hidden: true`: not shown, its default kept.
    pub hidden: bool,
    /// `group`: the id of a top-level group.
    pub group: Option<String>,
    /// `always_show: true`: shown among the required fields.
    pub always_show: bool,
    /// The first of `examples`, as text: an input's placeholder.
    pub example: Option<String>,
    /// `const`: a fixed value, sent without an input.
    pub constant: Option<Value>,
    /// `enum`: the values a select offers.
    pub options: Option<Vec<Value>>,
    /// `x-enumNames`: a label per value of `options`, in the same order.
    pub option_labels: Option<Vec<String>>,
    /// `x-after` on a secret of `auth_schema`: the top-level config
    /// property the secret pairs with; forms show it right after that
    /// field.
    pub after: Option<String>,
    /// `x-masked: false` on a secret: an identifier typed in a plain text
    /// input, still stored sealed and never shown again.
    pub masked: bool,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Rendered as a fieldset.
    Object(ObjectSchema),
    /// A choice between object branches.
    OneOf(OneOf),
    String(StringRules),
    Integer(Limits),
    Number(Limits),
    Boolean,
    /// An array of strings or numbers; the node describes each item.
    Array(Box<Node>),
    /// An array of objects: a repeatable fieldset, one row per item.
    Rows(Rows),
    /// An `enum` or `const` without a `type`.
    Untyped,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct StringRules {
    pub format: Option<String>,
    pub pattern: Option<String>,
    /// `patternDescription` (or Airbyte's `pattern_descriptor`): what the
    /// pattern asks for, for people.
    pub pattern_description: Option<String>,
    /// `multiline: true`: a text area.
    pub multiline: bool,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
}

/// The rows of an array of objects, with its `minItems`/`maxItems`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rows {
    pub item: ObjectSchema,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Limits {
    pub minimum: Option<Number>,
    pub maximum: Option<Number>,
}

/// How a `oneOf` choice is offered (`display_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Display {
    #[default]
    Dropdown,
    Radio,
}

/// `oneOf` of objects told apart by the `const` (or single-value `enum`)
/// of one property.
#[derive(Debug, Clone, PartialEq)]
pub struct OneOf {
    pub display: Display,
    /// The property holding a distinct `const` in every branch.
    pub discriminator: String,
    pub branches: Vec<Branch>,
    /// The properties written beside `oneOf` when the node is itself an
    /// object: forms show them only where the node stands as an object
    /// (the schema's top level, a branch), never beside the choice.
    pub object: Option<ObjectSchema>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    /// The discriminator's `const` (or single `enum` value) in this branch.
    pub value: Value,
    pub title: Option<String>,
    /// The branch's properties, the discriminator among them.
    pub object: ObjectSchema,
}

impl Node {
    /// A node of this kind with no annotations.
    pub(super) fn plain(kind: Kind) -> Node {
        Node {
            title: None,
            description: None,
            default: None,
            secret: false,
            hidden: false,
            group: None,
            always_show: false,
            example: None,
            constant: None,
            options: None,
            option_labels: None,
            after: None,
            masked: true,
            kind,
        }
    }

    /// The properties of a node that stands as an object.
    pub fn as_object(&self) -> Option<&ObjectSchema> {
        match &self.kind {
            Kind::Object(o) => Some(o),
            Kind::OneOf(c) => c.object.as_ref(),
            _ => None,
        }
    }

    pub(super) fn into_object(self) -> Option<ObjectSchema> {
        match self.kind {
            Kind::Object(o) => Some(o),
            Kind::OneOf(c) => c.object,
            _ => None,
        }
    }
}

impl ObjectSchema {
    /// The property with this name.
    pub fn get(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.name == name)
    }
}
