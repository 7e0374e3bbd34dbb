//! Sample values for a catalog entry's schemas, as an operator's first
//! install would give them: every field filled by its type, `format`,
//! `enum`, `const`, `pattern`, bounds, default or examples; one branch of
//! every `oneOf` (the first, or the second where there is one); every
//! secret a distinctive random string, recorded by its dotted path so that
//! a test can look for it everywhere. Optional fields the schema refuses
//! with the values made are left out.

use connectors::domain::catalog::compile_schema;
use rand::Rng;
use rand::distributions::Alphanumeric;
use regex_syntax::hir::{Class, Hir, HirKind};
use serde_json::{Map, Value, json};

/// How deep the generator follows nested objects and arrays.
const MAX_DEPTH: usize = 16;

/// The values for one install.
#[derive(Debug, Clone)]
pub struct Sample {
    pub config: Value,
    pub auth: Value,
    /// Every secret given: its dotted path (`auth.api_key`,
    /// `config.credentials.client_secret`) and its value.
    pub secrets: Vec<(String, String)>,
}

impl Sample {
    /// The secret values long enough to be looked for in a byte dump
    /// without matching something else by chance.
    pub fn needles(&self) -> Vec<&str> {
        self.secrets
            .iter()
            .map(|(_, v)| v.as_str())
            .filter(|v| v.len() >= 8)
            .collect()
    }
}

/// Whether a schema node is a secret inside the config.
pub fn is_secret(node: &Value) -> bool {
    ["airbyte_secret", "writeOnly"]
        .iter()
        .any(|k| node.get(*k) == Some(&Value::Bool(true)))
}

/// Whether some `oneOf` of `schema` has a second branch to exercise.
pub fn has_second_branch(schema: &Value) -> bool {
    fn walk(root: &Value, node: &Value, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let node = resolve(root, node);
        if node
            .get("oneOf")
            .and_then(Value::as_array)
            .is_some_and(|b| b.len() > 1)
        {
            return true;
        }
        let props = node
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|p| p.values());
        let branches = node
            .get("oneOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        let items = node.get("items").into_iter();
        props
            .chain(branches)
            .chain(items)
            .any(|n| walk(root, n, depth + 1))
    }
    walk(schema, schema, 0)
}

/// The schema a local `$ref` points at (followed a few times), or the node.
pub fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    let mut node = node;
    for _ in 0..8 {
        match node.get("$ref").and_then(Value::as_str) {
            Some(r) if r.starts_with('#') => match root.pointer(&r[1..]) {
                Some(target) => node = target,
                None => return node,
            },
            _ => return node,
        }
    }
    node
}

/// Sample values for a config schema and a secrets schema; `branch` picks
/// the branch of every `oneOf` (0: the first; 1: the second where there is
/// one). Fails, naming the fields, when a required field cannot be given a
/// value the schema accepts.
pub fn sample(config_schema: &Value, auth_schema: &Value, branch: usize) -> Result<Sample, String> {
    let mut secrets = Vec::new();
    let config = fill(config_schema, "config", branch, false, &mut secrets)?;
    let auth = fill(auth_schema, "auth", branch, true, &mut secrets)?;
    secrets.retain(|(path, _)| {
        let (root, rest) = path.split_once('.').unwrap_or((path, ""));
        let value = if root == "auth" { &auth } else { &config };
        value.pointer(&pointer_of(rest)).is_some()
    });
    Ok(Sample {
        config,
        auth,
        secrets,
    })
}

/// The JSON pointer of a dotted path below the root.
fn pointer_of(dotted: &str) -> String {
    dotted
        .split('.')
        .map(|p| format!("/{}", p.replace('~', "~0").replace('/', "~1")))
        .collect()
}

/// Fills one schema, then leaves out optional fields the schema refuses.
fn fill(
    schema: &Value,
    root_name: &str,
    branch: usize,
    all_secret: bool,
    secrets: &mut Vec<(String, String)>,
) -> Result<Value, String> {
    let mut g = Generator {
        root: schema,
        branch,
        secrets,
        optional: Vec::new(),
        all_secret,
    };
    let mut value = g.value(schema, root_name, "", false, 0);
    if value.is_null() {
        value = json!({});
    }
    let optional = std::mem::take(&mut g.optional);
    let validator = compile_schema(schema).map_err(|e| format!("{root_name} schema: {e}"))?;
    for _ in 0..64 {
        let errors: Vec<(String, String)> = validator
            .iter_errors(&value)
            .map(|e| (e.instance_path().as_str().to_string(), e.to_string()))
            .collect();
        let Some((at, message)) = errors.first() else {
            return Ok(value);
        };
        // The deepest optional field at or above the failing place.
        let Some(drop) = optional
            .iter()
            .filter(|p| at == *p || at.starts_with(&format!("{p}/")))
            .max_by_key(|p| p.len())
        else {
            return Err(format!(
                "{root_name}{at}: no sample value the schema accepts ({})",
                message.chars().take(200).collect::<String>()
            ));
        };
        let (parent, name) = drop.rsplit_once('/').unwrap_or(("", drop));
        match value.pointer_mut(parent).and_then(Value::as_object_mut) {
            Some(obj) => {
                obj.shift_remove(&name.replace("~1", "/").replace("~0", "~"));
            }
            None => return Err(format!("{root_name}{at}: cannot leave {drop} out")),
        }
    }
    Err(format!("{root_name}: too many fields refused"))
}

struct Generator<'a, 's> {
    root: &'a Value,
    branch: usize,
    secrets: &'s mut Vec<(String, String)>,
    /// JSON pointers of the optional fields filled.
    optional: Vec<String>,
    /// Every property of this schema is a secret (`auth_schema`).
    all_secret: bool,
}

fn types_of(node: &Value) -> Vec<String> {
    match node.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

impl Generator<'_, '_> {
    /// The value of `node` at `path` (dotted) and `pointer`.
    fn value(
        &mut self,
        node: &Value,
        path: &str,
        pointer: &str,
        secret: bool,
        depth: usize,
    ) -> Value {
        let root = self.root;
        let node = resolve(root, node);
        if let Some(c) = node.get("const") {
            return c.clone();
        }
        if let Some(first) = node
            .get("enum")
            .and_then(Value::as_array)
            .and_then(|e| e.iter().find(|v| !v.is_null()))
        {
            return first.clone();
        }
        let secret = secret || is_secret(node);
        let types = types_of(node);
        let kind = types.first().map(String::as_str).unwrap_or_else(|| {
            if node.get("properties").is_some() || node.get("oneOf").is_some() {
                "object"
            } else if node.get("items").is_some() {
                "array"
            } else {
                "string"
            }
        });
        if depth > MAX_DEPTH {
            return Value::Null;
        }
        match kind {
            "object" => self.object(node, path, pointer, depth),
            "array" => self.array(node, path, pointer, depth),
            "integer" | "number" => number(node, kind == "integer"),
            "boolean" => node
                .get("default")
                .filter(|d| d.is_boolean())
                .cloned()
                .unwrap_or(Value::Bool(false)),
            "null" => Value::Null,
            _ if secret => {
                let v = secret_string(node);
                self.secrets.push((path.to_string(), v.clone()));
                Value::String(v)
            }
            _ => Value::String(plain_string(node)),
        }
    }

    fn object(&mut self, node: &Value, path: &str, pointer: &str, depth: usize) -> Value {
        let root = self.root;
        let mut out = Map::new();
        self.properties(node, path, pointer, depth, &mut out);
        if let Some(branches) = node.get("oneOf").and_then(Value::as_array)
            && !branches.is_empty()
        {
            let chosen = resolve(root, &branches[self.branch.min(branches.len() - 1)]);
            self.properties(chosen, path, pointer, depth, &mut out);
        }
        Value::Object(out)
    }

    fn properties(
        &mut self,
        node: &Value,
        path: &str,
        pointer: &str,
        depth: usize,
        out: &mut Map<String, Value>,
    ) {
        let root = self.root;
        let required: Vec<&str> = node
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let Some(props) = node.get("properties").and_then(Value::as_object) else {
            return;
        };
        for (name, prop) in props {
            let prop_r = resolve(root, prop);
            let is_required = required.contains(&name.as_str());
            let hidden = prop_r.get("airbyte_hidden") == Some(&Value::Bool(true));
            if hidden && !is_required {
                continue;
            }
            let child_path = format!("{path}.{name}");
            let child_pointer = format!("{pointer}/{}", name.replace('~', "~0").replace('/', "~1"));
            let value = self.value(
                prop,
                &child_path,
                &child_pointer,
                self.all_secret && depth == 0,
                depth + 1,
            );
            if value.is_null() && !is_required {
                continue;
            }
            if !is_required {
                self.optional.push(child_pointer);
            }
            out.insert(name.clone(), value);
        }
    }

    fn array(&mut self, node: &Value, path: &str, pointer: &str, depth: usize) -> Value {
        let root = self.root;
        let min = node.get("minItems").and_then(Value::as_u64).unwrap_or(0);
        let max = node.get("maxItems").and_then(Value::as_u64);
        let Some(items) = node.get("items").filter(|i| i.is_object()) else {
            return if min > 0 {
                json!(["sample"])
            } else {
                json!([])
            };
        };
        let items = resolve(root, items);
        let mut count = min.max(1);
        if let Some(max) = max {
            count = count.min(max);
        }
        let choices = items.get("enum").and_then(Value::as_array);
        (0..count as usize)
            .map(|i| match choices {
                Some(c) if !c.is_empty() => c[i % c.len()].clone(),
                _ => {
                    let v = self.value(
                        items,
                        &format!("{path}.{i}"),
                        &format!("{pointer}/{i}"),
                        false,
                        depth + 1,
                    );
                    match v {
                        Value::String(s) if i > 0 => Value::String(format!("{s}{i}")),
                        other => other,
                    }
                }
            })
            .collect()
    }
}

/// Whether `value` satisfies the string keywords of `node`.
fn string_fits(node: &Value, value: &str) -> bool {
    let mut check = Map::new();
    check.insert("type".into(), json!("string"));
    for k in ["pattern", "format", "minLength", "maxLength"] {
        if let Some(v) = node.get(k) {
            check.insert(k.into(), v.clone());
        }
    }
    compile_schema(&Value::Object(check)).is_ok_and(|v| v.is_valid(&json!(value)))
}

fn format_value(format: &str) -> Option<&'static str> {
    Some(match format {
        "date" => "2024-01-15",
        "date-time" => "2024-01-15T00:00:00Z",
        "time" => "12:00:00",
        "email" => "ops@example.com",
        "uri" | "url" | "iri" | "uri-reference" => "https://example.com/",
        "hostname" => "example.com",
        "ipv4" => "192.0.2.10",
        "ipv6" => "2001:db8::10",
        "uuid" => "123e4567-e89b-12d3-a456-426614174000",
        _ => return None,
    })
}

fn plain_string(node: &Value) -> String {
    let mut candidates: Vec<String> = Vec::new();
    if let Some(d) = node.get("default").and_then(Value::as_str) {
        candidates.push(d.to_string());
    }
    match node.get("examples") {
        Some(Value::Array(list)) => {
            candidates.extend(list.iter().filter_map(Value::as_str).map(str::to_string))
        }
        Some(Value::String(s)) => candidates.push(s.clone()),
        _ => {}
    }
    if let Some(f) = node
        .get("format")
        .and_then(Value::as_str)
        .and_then(format_value)
    {
        candidates.push(f.to_string());
    }
    let pattern = node.get("pattern").and_then(Value::as_str);
    if let Some(p) = pattern {
        candidates.extend(from_pattern(p, false));
    }
    candidates.push("sample".to_string());
    candidates.push(padded("sample", node));
    candidates
        .iter()
        .find(|c| !c.is_empty() && string_fits(node, c))
        .cloned()
        .unwrap_or_else(|| candidates[0].clone())
}

/// "sample" lengthened or shortened to the node's length bounds.
fn padded(base: &str, node: &Value) -> String {
    let min = node.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    let max = node
        .get("maxLength")
        .and_then(Value::as_u64)
        .map(|m| m as usize);
    let mut s = base.to_string();
    while s.chars().count() < min {
        s.push('x');
    }
    if let Some(max) = max {
        s = s.chars().take(max.max(1)).collect();
    }
    s
}

/// A distinctive random secret the node accepts: random letters and
/// digits, or random text of its pattern.
fn secret_string(node: &Value) -> String {
    let random: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(20)
        .map(char::from)
        .collect();
    let plain = format!("Sx{random}");
    if string_fits(node, &plain) {
        return plain;
    }
    for _ in 0..8 {
        if let Some(p) = node.get("pattern").and_then(Value::as_str)
            && let Some(v) = from_pattern(p, true)
            && string_fits(node, &v)
        {
            return v;
        }
    }
    padded(&plain, node)
}

/// A string matching the regular expression `pattern`: random characters
/// of each class when `random`, the first letter or digit otherwise;
/// repetitions at their minimum (at least one, about twenty when random).
pub fn from_pattern(pattern: &str, random: bool) -> Option<String> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .ok()?;
    let mut out = String::new();
    emit(&hir, random, &mut out);
    Some(out)
}

fn emit(hir: &Hir, random: bool, out: &mut String) {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(l) => out.push_str(&String::from_utf8_lossy(&l.0)),
        HirKind::Class(class) => {
            let mut chars: Vec<char> = Vec::new();
            match class {
                Class::Unicode(c) => {
                    for r in c.iter() {
                        let (a, b) = (r.start() as u32, r.end() as u32);
                        chars.extend((a..=b.min(a + 200)).filter_map(char::from_u32));
                    }
                }
                Class::Bytes(c) => {
                    for r in c.iter() {
                        chars.extend((r.start()..=r.end()).map(char::from));
                    }
                }
            }
            let good: Vec<char> = chars
                .iter()
                .copied()
                .filter(char::is_ascii_alphanumeric)
                .collect();
            let pool = if good.is_empty() { &chars } else { &good };
            if pool.is_empty() {
                return;
            }
            let at = if random {
                rand::thread_rng().gen_range(0..pool.len())
            } else {
                0
            };
            out.push(pool[at]);
        }
        HirKind::Repetition(r) => {
            let want = if random { 20 } else { 1 };
            let mut n = r.min.max(want);
            if let Some(max) = r.max {
                n = n.min(max);
            }
            for _ in 0..n {
                emit(&r.sub, random, out);
            }
        }
        HirKind::Capture(c) => emit(&c.sub, random, out),
        HirKind::Concat(list) => list.iter().for_each(|h| emit(h, random, out)),
        HirKind::Alternation(list) => {
            // The first branch that gives some text.
            for h in list {
                let mut s = String::new();
                emit(h, random, &mut s);
                if !s.is_empty() {
                    out.push_str(&s);
                    return;
                }
            }
        }
    }
}

/// A number the node accepts: its default, an example, its bounds, 1.
fn number(node: &Value, integer: bool) -> Value {
    let f = |k: &str| node.get(k).and_then(Value::as_f64);
    let mut candidates: Vec<f64> = Vec::new();
    candidates.extend(f("default"));
    if let Some(Value::Array(list)) = node.get("examples") {
        candidates.extend(list.iter().filter_map(Value::as_f64));
    }
    candidates.extend(f("minimum"));
    candidates.extend(f("exclusiveMinimum").map(|m| m + 1.0));
    candidates.extend([1.0, 0.0]);
    candidates.extend(f("maximum"));
    candidates.extend(f("exclusiveMaximum").map(|m| m - 1.0));
    let mut check = Map::new();
    check.insert(
        "type".into(),
        json!(if integer { "integer" } else { "number" }),
    );
    for k in [
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
    ] {
        if let Some(v) = node.get(k) {
            check.insert(k.into(), v.clone());
        }
    }
    let validator = compile_schema(&Value::Object(check)).ok();
    let as_json = |n: f64| {
        if integer || n.fract() == 0.0 {
            json!(n as i64)
        } else {
            json!(n)
        }
    };
    candidates
        .iter()
        .map(|n| as_json(*n))
        .find(|v| validator.as_ref().is_some_and(|val| val.is_valid(v)))
        .unwrap_or_else(|| as_json(candidates[0]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_give_matching_text() {
        for p in [
            "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
            "^(https?://)?[a-z]+\\.example$",
            "^$|^[A-Z]{3}\\d+$",
            "^[a-f0-9]{32}$",
        ] {
            for random in [false, true] {
                let s = from_pattern(p, random).unwrap();
                assert!(string_fits(&json!({ "pattern": p }), &s), "{p}: {s}");
            }
        }
    }

    #[test]
    fn secrets_are_recorded_at_their_places_and_branches_switch() {
        let schema = json!({"type": "object", "required": ["creds"], "properties": {
            "host": {"type": "string", "format": "hostname"},
            "port": {"type": "integer", "minimum": 1024, "maximum": 65535},
            "creds": {"type": "object", "oneOf": [
                {"properties": {"kind": {"const": "oauth"}, "secret": {"type": "string", "airbyte_secret": true}}},
                {"properties": {"kind": {"enum": ["token"]}, "token": {"type": "string", "writeOnly": true, "pattern": "^tk_[a-z]{8,}$"}}}
            ]}
        }});
        let auth = json!({"type": "object", "properties": {"api_key": {"type": "string"}}});
        let first = sample(&schema, &auth, 0).unwrap();
        assert_eq!(first.config["host"], "example.com");
        assert_eq!(first.config["port"], 1024);
        assert_eq!(first.config["creds"]["kind"], "oauth");
        let paths: Vec<&str> = first.secrets.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["config.creds.secret", "auth.api_key"]);
        assert!(has_second_branch(&schema));
        let second = sample(&schema, &auth, 1).unwrap();
        assert_eq!(second.config["creds"]["kind"], "token");
        let token = second.config["creds"]["token"].as_str().unwrap();
        assert!(token.starts_with("tk_") && token.len() > 10, "{token}");
        assert_eq!(
            second.secrets[0],
            ("config.creds.token".into(), token.into())
        );
    }
}
