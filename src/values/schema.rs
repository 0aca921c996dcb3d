//! The values JSON Schema: generated from the typed model, committed as
//! `schema/values.schema.json`, and walked to answer "what type does this key take?" (for
//! `--set` typing and YAML 1.1 warnings) and "which keys exist here?" (for did-you-mean).

use serde_json::Value;

use super::model::Values;
use super::set::Seg;

/// The schema as JSON, generated from [`Values`].
pub fn generate() -> Value {
    let schema = schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<Values>();
    let mut value = serde_json::to_value(schema)
        .expect("a generated schema is always JSON; this is a skygen bug");
    strip_defaults(&mut value, false);
    value
}

/// schemars records the Rust `Default` of each struct, which is not skygen's default (those
/// live in defaults.yaml); an editor showing them would mislead, so they are dropped.
fn strip_defaults(v: &mut Value, is_property_map: bool) {
    match v {
        Value::Object(m) => {
            if !is_property_map {
                m.shift_remove("default");
            }
            for (k, child) in m.iter_mut() {
                strip_defaults(
                    child,
                    !is_property_map && (k == "properties" || k == "$defs"),
                );
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| strip_defaults(x, false)),
        _ => {}
    }
}

/// The committed schema, embedded. `tests/schema.rs` fails when it differs from [`generate`],
/// so reading it is the same as generating it, without the cost (about 1 ms) at every run.
pub const SCHEMA_TEXT: &str = include_str!("../../schema/values.schema.json");

/// The schema, built once per process: both the load and the validate stage walk it. Built
/// from tokens that `build.rs` wrote from the committed file (see [`super::tokens`]), which
/// costs less than half of parsing [`SCHEMA_TEXT`]; debug builds (every test) check that both
/// give the same tree.
pub fn shared() -> &'static Value {
    static SCHEMA: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| {
        let built = super::tokens::build(&mut generated::TOKENS.iter());
        #[cfg(debug_assertions)]
        assert!(
            built == parsed(),
            "the schema tokens differ from schema/values.schema.json; this is a skygen bug"
        );
        built
    })
}

/// [`SCHEMA_TEXT`] parsed: the tree the build-time tokens stand for.
#[cfg(any(test, debug_assertions))]
fn parsed() -> Value {
    serde_json::from_str(SCHEMA_TEXT).expect("the committed schema is JSON; this is a skygen bug")
}

mod generated {
    use super::super::tokens::Tok::{self, *};
    include!(concat!(env!("OUT_DIR"), "/values_schema_tokens.rs"));
}

/// The schema compiled by `jsonschema`, once per process, for when values need explaining (see
/// [`super::schema_check`]).
pub fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    VALIDATOR.get_or_init(|| {
        jsonschema::options()
            .build(shared())
            .expect("the generated schema compiles; this is a skygen bug")
    })
}

/// The committed file's text: pretty JSON with a final newline.
pub fn generate_text() -> String {
    let mut text = serde_json::to_string_pretty(&generate())
        .expect("a schema serializes to JSON; this is a skygen bug");
    text.push('\n');
    text
}

/// The JSON types a key accepts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Accepts {
    pub any: bool,
    pub string: bool,
    pub boolean: bool,
    pub integer: bool,
    pub number: bool,
    pub object: bool,
    pub array: bool,
}

impl Accepts {
    /// Only text (and perhaps null): a value for it must stay exactly as typed.
    pub fn only_string(&self) -> bool {
        self.string
            && !(self.any
                || self.boolean
                || self.integer
                || self.number
                || self.object
                || self.array)
    }
}

/// A view of the schema for walking it.
pub struct SchemaWalker<'a> {
    root: &'a Value,
}

impl<'a> SchemaWalker<'a> {
    pub fn new(root: &'a Value) -> Self {
        SchemaWalker { root }
    }

    pub fn deref(&self, mut node: &'a Value) -> &'a Value {
        // Definitions do not chain deeply; the bound guards against a cycle.
        for _ in 0..16 {
            match keyword(node, "$ref").and_then(Value::as_str) {
                Some(r) => match r.strip_prefix("#/$defs/") {
                    Some(name) => match self.definition(name) {
                        Some(target) => node = target,
                        None => return node,
                    },
                    None => return node,
                },
                None => return node,
            }
        }
        node
    }

    /// `#/$defs/NAME`, as a JSON pointer reads it (a name holding `/` or `~` goes through the
    /// pointer rules; the generated names never do).
    fn definition(&self, name: &str) -> Option<&'a Value> {
        if name.contains(['/', '~']) {
            return self.root.pointer(&format!("/$defs/{name}"));
        }
        keyword(self.root, "$defs")?.get(name)
    }

    /// The alternatives a node stands for (anyOf/oneOf flattened, refs followed).
    pub fn branches(&self, node: &'a Value) -> Vec<&'a Value> {
        let node = self.deref(node);
        let mut out = Vec::new();
        let mut alternatives = false;
        for key in ["anyOf", "oneOf"] {
            if let Some(list) = keyword(node, key).and_then(Value::as_array) {
                alternatives = true;
                for b in list {
                    out.extend(self.branches(b));
                }
            }
        }
        if !alternatives || keyword(node, "properties").is_some() || keyword(node, "type").is_some()
        {
            out.push(node);
        }
        out
    }

    /// Schemas of the child `seg` of a node; an empty list means the child is not allowed.
    fn child(&self, node: &'a Value, seg: &Seg) -> Vec<&'a Value> {
        let mut out = Vec::new();
        for b in self.branches(node) {
            match seg {
                Seg::Key(k) => {
                    if let Some(p) = keyword(b, "properties").and_then(|p| p.get(k)) {
                        out.push(p);
                    } else if accepts_type(b, "object") || b.as_bool() == Some(true) || is_open(b) {
                        match keyword(b, "additionalProperties") {
                            Some(Value::Bool(false)) => {}
                            Some(extra @ Value::Object(_)) => out.push(extra),
                            _ => out.push(&Value::Bool(true)),
                        }
                    }
                }
                Seg::Index(_) => {
                    if let Some(items) = keyword(b, "items") {
                        out.push(items);
                    } else if accepts_type(b, "array") || is_open(b) {
                        out.push(&Value::Bool(true));
                    }
                }
            }
        }
        out
    }

    /// The schemas at a path, or an empty list when the path leaves the schema.
    pub fn at(&self, path: &[Seg]) -> Vec<&'a Value> {
        let mut nodes = vec![self.root];
        for seg in path {
            nodes = self.step(&nodes, seg);
            if nodes.is_empty() {
                break;
            }
        }
        nodes
    }

    /// The schema of the root, for walking a tree down with [`SchemaWalker::step`].
    pub fn root(&self) -> Vec<&'a Value> {
        vec![self.root]
    }

    /// The schemas one step below `nodes` (the schemas at some path): `at(path + [seg])` from
    /// `at(path)`, so a walk over a whole tree never starts again from the root.
    pub fn step(&self, nodes: &[&'a Value], seg: &Seg) -> Vec<&'a Value> {
        nodes.iter().flat_map(|n| self.child(n, seg)).collect()
    }

    /// What a path accepts. A path outside the schema accepts anything (it is an unknown key,
    /// reported elsewhere).
    pub fn accepts(&self, path: &[Seg]) -> Accepts {
        self.accepts_at(&self.at(path))
    }

    /// [`SchemaWalker::accepts`] for the schemas at a path.
    pub fn accepts_at(&self, nodes: &[&'a Value]) -> Accepts {
        let mut acc = Accepts::default();
        if nodes.is_empty() {
            acc.any = true;
        }
        for &n in nodes {
            for b in self.branches(n) {
                if is_open(b) {
                    acc.any = true;
                }
                for (name, flag) in [
                    ("string", &mut acc.string),
                    ("boolean", &mut acc.boolean),
                    ("integer", &mut acc.integer),
                    ("number", &mut acc.number),
                    ("object", &mut acc.object),
                    ("array", &mut acc.array),
                ] {
                    if accepts_type(b, name) {
                        *flag = true;
                    }
                }
                // Enums of strings without a `type` (const-only oneOf branches).
                if keyword(b, "const").is_some_and(Value::is_string)
                    || keyword(b, "enum")
                        .and_then(Value::as_array)
                        .is_some_and(|e| e.iter().any(Value::is_string))
                {
                    acc.string = true;
                }
            }
        }
        acc
    }

    /// The property names of the object schemas at a path that forbids other keys; `None` when
    /// the path allows any key.
    pub fn closed_keys(&self, path: &[Seg]) -> Option<Vec<&'a str>> {
        self.closed_keys_at(&self.at(path))
    }

    /// [`SchemaWalker::closed_keys`] for the schemas at a path.
    pub fn closed_keys_at(&self, nodes: &[&'a Value]) -> Option<Vec<&'a str>> {
        let mut keys = Vec::new();
        let mut closed = false;
        for &n in nodes {
            for b in self.branches(n) {
                if !accepts_type(b, "object") {
                    continue;
                }
                if keyword(b, "additionalProperties") != Some(&Value::Bool(false)) {
                    return None;
                }
                closed = true;
                if let Some(props) = keyword(b, "properties").and_then(Value::as_object) {
                    keys.extend(props.keys().map(String::as_str));
                }
            }
        }
        closed.then_some(keys)
    }
}

/// A keyword of a schema node. Found by comparing names: a node has a handful of keywords, and
/// the walk looks up several per node of the values, where hashing each name (SipHash, as
/// serde_json's maps do) cost more than the rest of the walk.
pub fn keyword<'a>(node: &'a Value, name: &str) -> Option<&'a Value> {
    node.as_object()?
        .iter()
        .find_map(|(k, v)| (k == name).then_some(v))
}

fn is_open(b: &Value) -> bool {
    b.as_bool() == Some(true)
        || (b.is_object()
            && keyword(b, "type").is_none()
            && keyword(b, "$ref").is_none()
            && keyword(b, "anyOf").is_none()
            && keyword(b, "oneOf").is_none()
            && keyword(b, "const").is_none()
            && keyword(b, "enum").is_none())
}

fn accepts_type(b: &Value, name: &str) -> bool {
    match keyword(b, "type") {
        Some(Value::String(t)) => t == name || (name == "number" && t == "integer"),
        Some(Value::Array(ts)) => ts.iter().any(|t| t.as_str() == Some(name)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::tokens::Tok;

    fn path(p: &str) -> Vec<Seg> {
        p.split('.')
            .map(|s| match s.parse::<usize>() {
                Ok(i) => Seg::Index(i),
                Err(_) => Seg::Key(s.to_owned()),
            })
            .collect()
    }

    #[test]
    fn types_of_known_keys() {
        let schema = generate();
        let w = SchemaWalker::new(&schema);
        assert!(w.accepts(&path("apiService.image")).only_string());
        assert!(w.accepts(&path("ingress.host")).only_string());
        assert!(w.accepts(&path("apiService.upgradeStrategy")).only_string());
        assert!(w.accepts(&path("apiService.replicas")).integer);
        assert!(w.accepts(&path("ingress.enabled")).boolean);
        assert!(
            w.accepts(&path("apiService.readinessProbe.successThreshold"))
                .any
        );
        assert!(w.accepts(&path("apiService.annotations.foo")).only_string());
        let surge = w.accepts(&path("apiService.rollingUpdate.maxSurge"));
        assert!(surge.integer && surge.string);
        assert!(w
            .accepts(&path("rbac.namespaceRules.0.verbs.0"))
            .only_string());
    }

    /// The tokens `build.rs` wrote build exactly the committed schema.
    #[test]
    fn tokens_build_the_committed_schema() {
        let built = crate::values::tokens::build(&mut generated::TOKENS.iter());
        assert_eq!(built, parsed());
        let mut changed = generated::TOKENS.to_vec();
        let i = changed
            .iter()
            .position(|t| matches!(t, Tok::Pos(_)))
            .unwrap();
        changed[i] = Tok::Pos(12345);
        assert_ne!(crate::values::tokens::build(&mut changed.iter()), parsed());
    }

    #[test]
    fn closed_and_open_maps() {
        let schema = generate();
        let w = SchemaWalker::new(&schema);
        let keys = w.closed_keys(&path("apiService")).unwrap();
        assert!(keys.contains(&"image"));
        assert!(w.closed_keys(&path("apiService.resources")).is_none());
        assert!(w.closed_keys(&path("grafana")).is_some());
        assert!(w.closed_keys(&path("grafana.resources")).is_none());
        assert!(w.closed_keys(&path("prometheus.server")).is_some());
    }
}
