//! The one walker over a catalog schema: it checks every keyword against
//! what a form can render and builds the [`FormSchema`] as it goes, so the
//! check and the model cannot disagree. `$ref`s are followed here, and only
//! here, inside the document.

use super::keywords::{ANNOTATIONS, SUPPORTED, TYPES, UNRENDERABLE};
use super::model::{
    Branch, Display, FormSchema, Group, Kind, Limits, Node, ObjectSchema, Property, Rows,
    StringRules,
};
use super::{SchemaIssue, SchemaRole, branch_tag, discriminator, escape, issue, schema_type};
use serde_json::{Map, Value};

struct Walker<'a> {
    root: &'a Value,
    /// JSON pointer prefix of the schema inside the manifest.
    base: &'a str,
    ref_stack: Vec<String>,
    /// Unknown keywords met outside `$ref` targets (a target is reported
    /// where it is written), each once.
    warnings: Vec<SchemaIssue>,
}

/// The labels of an `enum`'s values, for forms.
const ENUM_NAMES: &str = "x-enumNames";

fn flag(obj: &Map<String, Value>, key: &str) -> bool {
    obj.get(key) == Some(&Value::Bool(true))
}

/// The first of `examples` as text (an `example` written as one value
/// too).
fn example(obj: &Map<String, Value>) -> Option<String> {
    let v = match obj.get("examples") {
        Some(Value::Array(list)) => list.first(),
        other => other,
    }?;
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(_) | Value::Bool(_) => Some(v.to_string()),
        _ => None,
    }
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_string)
}

/// The node a reference inside the document (`#/$defs/…`,
/// `#/definitions/…`, any JSON pointer) points at, or why it cannot be
/// followed.
fn target<'a>(root: &'a Value, reference: &str) -> Result<&'a Value, &'static str> {
    let Some(pointer) = reference.strip_prefix('#') else {
        return Err("only references inside the same document (`#/$defs/…`) can be rendered");
    };
    let decoded: String = pointer
        .split('/')
        .map(unescape)
        .collect::<Vec<_>>()
        .join("/");
    root.pointer(&decoded)
        .ok_or("the reference does not point at anything in this document")
}

/// Builds the model of `schema` (found at `base` inside the manifest).
pub(super) fn form_schema(
    schema: &Value,
    base: &str,
    role: SchemaRole,
) -> Result<FormSchema, SchemaIssue> {
    let mut w = Walker {
        root: schema,
        base,
        ref_stack: Vec::new(),
        warnings: Vec::new(),
    };
    let (top, node) = w.node(schema, "")?;
    let Some(mut root) = node.into_object() else {
        return Err(issue(
            "type",
            format!("{base}/type"),
            "the top level must be `\"type\": \"object\"`",
        ));
    };
    if role == SchemaRole::Secrets {
        if let Some(props) = top.get("properties").and_then(Value::as_object) {
            for (name, prop) in props {
                let path = format!("/properties/{}", escape(name));
                let resolved = w.resolve(prop, &path)?;
                let ty = resolved.as_object().and_then(schema_type);
                if ty != Some("string") {
                    return Err(issue(
                        "type",
                        format!("{base}{path}"),
                        "every secret in auth_schema must be `\"type\": \"string\"`",
                    ));
                }
            }
        }
        for p in &mut root.properties {
            p.node.secret = true;
        }
    }
    let groups = groups(top, base)?;
    Ok(FormSchema {
        root,
        groups,
        warnings: w.warnings,
    })
}

/// The top-level `groups`: a list of `{"id": …, "title": …}`.
fn groups(top: &Value, base: &str) -> Result<Vec<Group>, SchemaIssue> {
    let Some(list) = top.get("groups") else {
        return Ok(Vec::new());
    };
    let bad = || {
        issue(
            "groups",
            format!("{base}/groups"),
            "must list objects with a string `id` (and an optional `title`)",
        )
    };
    let list = list.as_array().ok_or_else(bad)?;
    list.iter()
        .map(|g| {
            let id = g.get("id").and_then(Value::as_str).ok_or_else(bad)?;
            Ok(Group {
                id: id.to_string(),
                title: text(g.get("title")),
            })
        })
        .collect()
}

impl<'a> Walker<'a> {
    fn at(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Follows a `$ref` chain inside the document.
    fn resolve(&mut self, node: &'a Value, path: &str) -> Result<&'a Value, SchemaIssue> {
        let mut current = node;
        let mut seen: Vec<&str> = Vec::new();
        while let Some(r) = current.get("$ref").and_then(Value::as_str) {
            let at = || self.at(&format!("{path}/$ref"));
            if r.starts_with('#') && seen.contains(&r) {
                return Err(issue("$ref", at(), "circular reference"));
            }
            seen.push(r);
            current = target(self.root, r).map_err(|reason| issue("$ref", at(), reason))?;
        }
        Ok(current)
    }

    /// Checks one schema node at `path` (relative to the schema root) and
    /// builds its model; also returns the node after `$ref` resolution.
    fn node(&mut self, node: &'a Value, path: &str) -> Result<(&'a Value, Node), SchemaIssue> {
        let Some(obj) = node.as_object() else {
            return Err(issue(
                "(schema)",
                self.at(path),
                "a schema here must be an object",
            ));
        };
        for key in obj.keys() {
            let k = key.as_str();
            if k.starts_with("x-") || ANNOTATIONS.contains(&k) || SUPPORTED.contains(&k) {
                continue;
            }
            let at = self.at(&format!("{path}/{}", escape(k)));
            if UNRENDERABLE.contains(&k) {
                return Err(issue(k, at, "this keyword cannot be rendered as a form"));
            }
            self.warn(k, at, "unknown keyword, ignored");
        }
        for k in [
            "writeOnly",
            "airbyte_secret",
            "airbyte_hidden",
            "always_show",
            "multiline",
        ] {
            if obj.get(k).is_some_and(|v| !v.is_boolean()) {
                return Err(issue(
                    k,
                    self.at(&format!("{path}/{k}")),
                    "must be true or false",
                ));
            }
        }
        if let Some(defs) = obj.get("$defs").or_else(|| obj.get("definitions")) {
            let defs_key = if obj.contains_key("$defs") {
                "$defs"
            } else {
                "definitions"
            };
            let Some(map) = defs.as_object() else {
                return Err(issue(
                    defs_key,
                    self.at(&format!("{path}/{defs_key}")),
                    "must be an object",
                ));
            };
            for (name, def) in map {
                self.node(def, &format!("{path}/{defs_key}/{}", escape(name)))?;
            }
        }
        if let Some(r) = obj.get("$ref") {
            let Some(r) = r.as_str() else {
                return Err(issue(
                    "$ref",
                    self.at(&format!("{path}/$ref")),
                    "must be a string",
                ));
            };
            if self.ref_stack.iter().any(|s| s == r) {
                return Err(issue(
                    "$ref",
                    self.at(&format!("{path}/$ref")),
                    "recursive schemas cannot be rendered as a form",
                ));
            }
            let target = self.resolve(node, path)?;
            self.ref_stack.push(r.to_string());
            let out = self.node(target, path);
            self.ref_stack.pop();
            // A secret may be marked beside the reference.
            let (resolved, mut built) = out?;
            if marks_secret(obj) && !built.secret {
                self.secret_shape(obj, &built.kind, path)?;
                built.secret = true;
            }
            return Ok((resolved, built));
        }
        if let Some(t) = obj.get("type") {
            let at = || self.at(&format!("{path}/type"));
            match (t, schema_type(obj)) {
                (Value::String(_) | Value::Array(_), Some(s)) if TYPES.contains(&s) => {}
                (Value::String(_), _) => {
                    return Err(issue(
                        "type",
                        at(),
                        "only object, string, integer, number, boolean and array can be rendered",
                    ));
                }
                _ => {
                    return Err(issue(
                        "type",
                        at(),
                        "a list of types can be rendered only as one type and `null` \
                         (`[\"string\", \"null\"]`, an optional field)",
                    ));
                }
            }
        }
        let ty = schema_type(obj);
        if ty.is_none()
            && !obj.contains_key("enum")
            && !obj.contains_key("const")
            && !obj.contains_key("oneOf")
        {
            return Err(issue(
                "type",
                self.at(path),
                "every field needs a `type` (or `enum`, `const`, `oneOf`)",
            ));
        }
        if let Some(ap) = obj.get("additionalProperties") {
            if !ap.is_boolean() {
                return Err(issue(
                    "additionalProperties",
                    self.at(&format!("{path}/additionalProperties")),
                    "only `true` or `false` can be rendered",
                ));
            }
        }
        let mut object = ObjectSchema::default();
        if let Some(props) = obj.get("properties") {
            let Some(props) = props.as_object() else {
                return Err(issue(
                    "properties",
                    self.at(&format!("{path}/properties")),
                    "must be an object",
                ));
            };
            let mut built = Vec::with_capacity(props.len());
            for (name, prop) in props {
                let (_, n) = self.node(prop, &format!("{path}/properties/{}", escape(name)))?;
                built.push((prop, name, n));
            }
            let required: Vec<&str> = match obj.get("required") {
                None => Vec::new(),
                Some(req) => {
                    let names = req.as_array().and_then(|a| {
                        a.iter()
                            .map(|r| r.as_str().filter(|r| props.contains_key(*r)))
                            .collect::<Option<Vec<&str>>>()
                    });
                    let Some(names) = names else {
                        return Err(issue(
                            "required",
                            self.at(&format!("{path}/required")),
                            "must list names of properties defined in `properties`",
                        ));
                    };
                    names
                }
            };
            object = in_form_order(built, &required);
        }
        let mut array_kind = None;
        if ty == Some("array") {
            let items_path = format!("{path}/items");
            let kind = match obj.get("items") {
                Some(items) => self.items(items, &items_path, obj)?,
                // Any item is valid: the form offers strings.
                None => Kind::Array(Box::new(Node::plain(Kind::String(StringRules::default())))),
            };
            let holds_secret = match &kind {
                Kind::Array(item) => contains_secret(item),
                Kind::Rows(rows) => rows
                    .item
                    .properties
                    .iter()
                    .any(|p| contains_secret(&p.node)),
                _ => false,
            };
            if holds_secret {
                return Err(issue(
                    secret_keyword(obj.get("items").and_then(Value::as_object)),
                    self.at(&items_path),
                    "a secret cannot sit inside an array: secrets are stored apart from the config, one per place",
                ));
            }
            array_kind = Some(kind);
        } else if obj.contains_key("items") {
            return Err(issue(
                "items",
                self.at(&format!("{path}/items")),
                "`items` only applies to `\"type\": \"array\"`",
            ));
        }
        let one_of = match obj.get("oneOf") {
            Some(one_of) => Some(self.one_of(one_of, &format!("{path}/oneOf"))?),
            None => None,
        };
        let kind = match (one_of, ty) {
            (Some((discriminator, branches)), _) => Kind::OneOf(super::model::OneOf {
                display: self.display(obj, path),
                discriminator,
                branches,
                object: (ty == Some("object")).then_some(object),
            }),
            (None, Some("object")) => Kind::Object(object),
            (None, Some("string")) => Kind::String(StringRules {
                format: text(obj.get("format")),
                pattern: text(obj.get("pattern")),
                pattern_description: text(obj.get("patternDescription"))
                    .or_else(|| text(obj.get("pattern_descriptor"))),
                min_length: obj.get("minLength").and_then(Value::as_u64),
                max_length: obj.get("maxLength").and_then(Value::as_u64),
                multiline: flag(obj, "multiline"),
            }),
            (None, Some("integer")) => Kind::Integer(limits(obj)),
            (None, Some("number")) => Kind::Number(limits(obj)),
            (None, Some("boolean")) => Kind::Boolean,
            (None, Some("array")) => array_kind.unwrap_or(Kind::Untyped),
            (None, _) => Kind::Untyped,
        };
        let option_labels = self.option_labels(obj, path)?;
        if obj.get("x-masked").is_some_and(|v| !v.is_boolean()) {
            return Err(issue(
                "x-masked",
                self.at(&format!("{path}/x-masked")),
                "must be true or false",
            ));
        }
        if obj.get("x-after").is_some_and(|v| !v.is_string()) {
            return Err(issue(
                "x-after",
                self.at(&format!("{path}/x-after")),
                "must be the name of a top-level property of default_config_schema",
            ));
        }
        let secret = marks_secret(obj);
        if secret {
            self.secret_shape(obj, &kind, path)?;
        }
        Ok((
            node,
            Node {
                title: text(obj.get("title")),
                description: text(obj.get("description")),
                default: obj.get("default").cloned(),
                secret,
                hidden: flag(obj, "airbyte_hidden"),
                group: text(obj.get("group")),
                always_show: flag(obj, "always_show"),
                example: example(obj),
                constant: branch_tag(node).cloned(),
                options: obj.get("enum").and_then(Value::as_array).cloned(),
                option_labels,
                after: text(obj.get("x-after")),
                masked: obj.get("x-masked") != Some(&Value::Bool(false)),
                kind,
            },
        ))
    }

    /// `x-enumNames`: one label per value of the node's `enum`, in its
    /// order, shown in place of the raw values.
    fn option_labels(
        &self,
        obj: &Map<String, Value>,
        path: &str,
    ) -> Result<Option<Vec<String>>, SchemaIssue> {
        let Some(names) = obj.get(ENUM_NAMES) else {
            return Ok(None);
        };
        let at = self.at(&format!("{path}/{ENUM_NAMES}"));
        let Some(values) = obj.get("enum").and_then(Value::as_array) else {
            return Err(issue(ENUM_NAMES, at, "needs an `enum` beside it to label"));
        };
        let labels: Option<Vec<String>> = names.as_array().and_then(|a| {
            a.iter()
                .map(|n| {
                    n.as_str()
                        .map(str::to_string)
                        .filter(|t| !t.trim().is_empty())
                })
                .collect()
        });
        match labels {
            Some(l) if l.len() == values.len() => Ok(Some(l)),
            _ => Err(issue(
                ENUM_NAMES,
                at,
                "must be an array of non-empty strings, one per value of `enum`",
            )),
        }
    }

    fn warn(&mut self, keyword: &str, path: String, reason: &str) {
        if !self.ref_stack.is_empty()
            || self
                .warnings
                .iter()
                .any(|w| w.keyword == keyword && w.path == path)
        {
            return;
        }
        self.warnings.push(issue(keyword, path, reason));
    }

    /// `display_type`: `dropdown` (the default) or `radio`; any other
    /// value is ignored with a warning.
    fn display(&mut self, obj: &Map<String, Value>, path: &str) -> Display {
        match obj.get("display_type") {
            None => Display::Dropdown,
            Some(Value::String(s)) if s == "dropdown" => Display::Dropdown,
            Some(Value::String(s)) if s == "radio" => Display::Radio,
            Some(_) => {
                let at = self.at(&format!("{path}/display_type"));
                self.warn(
                    "display_type",
                    at,
                    "only `dropdown` or `radio` is known; shown as a dropdown",
                );
                Display::Dropdown
            }
        }
    }

    /// The `items` of an array: strings (or a string `enum`), integers or
    /// numbers (one per line), or objects (rows).
    fn items(
        &mut self,
        items: &'a Value,
        items_path: &str,
        array: &Map<String, Value>,
    ) -> Result<Kind, SchemaIssue> {
        let (resolved, item) = self.node(items, items_path)?;
        let item_ty = resolved.as_object().and_then(schema_type);
        let string_enum = resolved
            .get("enum")
            .and_then(Value::as_array)
            .is_some_and(|e| e.iter().all(Value::is_string));
        if let Kind::Object(object) = item.kind {
            return Ok(Kind::Rows(Rows {
                item: object,
                min_items: array.get("minItems").and_then(Value::as_u64),
                max_items: array.get("maxItems").and_then(Value::as_u64),
            }));
        }
        let scalar = matches!(item_ty, Some("string" | "integer" | "number"));
        if !(scalar || (item_ty.is_none() && string_enum)) {
            return Err(issue(
                "items",
                self.at(items_path),
                "only arrays of strings, numbers or objects without a `oneOf` can be rendered",
            ));
        }
        Ok(Kind::Array(Box::new(item)))
    }

    /// `oneOf` must list object schemas that share a property holding a
    /// distinct `const` in each branch, so the form can offer a choice.
    fn one_of(
        &mut self,
        one_of: &'a Value,
        path: &str,
    ) -> Result<(String, Vec<Branch>), SchemaIssue> {
        let bad = |w: &Self| {
            issue(
                "oneOf",
                w.at(path),
                "`oneOf` must list object schemas told apart by a property with a distinct `const` \
                 (or single-value `enum`) in each",
            )
        };
        let Some(branches) = one_of.as_array() else {
            return Err(bad(self));
        };
        if branches.is_empty() {
            return Err(bad(self));
        }
        let mut resolved: Vec<&Map<String, Value>> = Vec::new();
        let mut objects: Vec<ObjectSchema> = Vec::new();
        for (i, b) in branches.iter().enumerate() {
            let (r, n) = self.node(b, &format!("{path}/{i}"))?;
            match (r.as_object(), n.into_object()) {
                (Some(o), Some(object)) if schema_type(o) == Some("object") => {
                    resolved.push(o);
                    objects.push(object);
                }
                _ => return Err(bad(self)),
            }
        }
        let Some(disc) = discriminator(&resolved) else {
            return Err(bad(self));
        };
        let branches = resolved
            .iter()
            .zip(objects)
            .map(|(o, object)| Branch {
                value: o
                    .get("properties")
                    .and_then(|p| p.get(&disc))
                    .and_then(branch_tag)
                    .cloned()
                    .unwrap_or(Value::Null),
                title: text(o.get("title")),
                object,
            })
            .collect();
        Ok((disc, branches))
    }
}

/// Whether a schema object marks a secret: `writeOnly: true` (JSON
/// Schema's own keyword) or Airbyte's `airbyte_secret: true`.
fn marks_secret(obj: &Map<String, Value>) -> bool {
    ["writeOnly", "airbyte_secret"]
        .iter()
        .any(|k| obj.get(*k) == Some(&Value::Bool(true)))
}

/// The keyword that marks a schema object as a secret, for messages.
fn secret_keyword(obj: Option<&Map<String, Value>>) -> &'static str {
    match obj {
        Some(o) if o.get("airbyte_secret") == Some(&Value::Bool(true)) => "airbyte_secret",
        _ => "writeOnly",
    }
}

/// Whether a node is a secret or holds one anywhere below it.
fn contains_secret(node: &Node) -> bool {
    let in_object = |o: &ObjectSchema| o.properties.iter().any(|p| contains_secret(&p.node));
    node.secret
        || match &node.kind {
            Kind::Object(o) => in_object(o),
            Kind::OneOf(c) => {
                c.object.as_ref().is_some_and(in_object)
                    || c.branches.iter().any(|b| in_object(&b.object))
            }
            Kind::Array(item) => contains_secret(item),
            Kind::Rows(rows) => in_object(&rows.item),
            _ => false,
        }
}

impl Walker<'_> {
    /// Where a secret may sit in a config: a string with a value of its
    /// own, stored apart from the config and sealed like `auth`.
    fn secret_shape(
        &self,
        obj: &Map<String, Value>,
        kind: &Kind,
        path: &str,
    ) -> Result<(), SchemaIssue> {
        let keyword = secret_keyword(Some(obj));
        let at = self.at(&format!("{path}/{keyword}"));
        if !matches!(kind, Kind::String(_)) {
            return Err(issue(
                keyword,
                at,
                "a secret must be `\"type\": \"string\"`",
            ));
        }
        if obj.contains_key("const") {
            return Err(issue(
                keyword,
                at,
                "a secret cannot have a fixed value (`const`)",
            ));
        }
        Ok(())
    }
}

fn limits(obj: &Map<String, Value>) -> Limits {
    let num = |k: &str| obj.get(k).and_then(Value::as_number).cloned();
    Limits {
        minimum: num("minimum"),
        maximum: num("maximum"),
    }
}

/// Properties in form order: by `order` (read where the property is
/// written, beside a `$ref` if there is one), then as written.
fn in_form_order(built: Vec<(&Value, &String, Node)>, required: &[&str]) -> ObjectSchema {
    let mut list: Vec<(i64, usize, Property)> = built
        .into_iter()
        .enumerate()
        .map(|(i, (raw, name, node))| {
            let order = raw.get("order").and_then(Value::as_i64).unwrap_or(i64::MAX);
            let property = Property {
                required: required.contains(&name.as_str()),
                name: name.clone(),
                node,
            };
            (order, i, property)
        })
        .collect();
    list.sort_by_key(|(order, i, _)| (*order, *i));
    ObjectSchema {
        properties: list.into_iter().map(|(_, _, p)| p).collect(),
    }
}
