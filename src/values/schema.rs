//! The values JSON Schema: generated from the typed model, committed as
//! `schema/values.schema.json`, and walked to answer "what type does this key take?" (for
//! `--set` typing and YAML 1.1 warnings) and "which keys exist here?" (for did-you-mean).

use serde_json::Value;

use super::model::Values;
use super::set::Seg;
use super::static_json::{Json, Node};

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

/// The schema as static data that `build.rs` wrote from the committed file (see
/// [`super::static_json`]): what the schema walk and the fast check read, with nothing to build.
pub fn compiled() -> &'static Json {
    &generated::SCHEMA
}

/// The schema as a `serde_json` tree, built once per process from [`compiled`]: only
/// `jsonschema` needs it ([`validator`], when values need explaining). Debug builds (every test)
/// check that it is the committed file.
pub fn shared() -> &'static Value {
    static SCHEMA: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| {
        let built = super::static_json::to_value(compiled());
        #[cfg(debug_assertions)]
        assert!(
            built == parsed(),
            "the static schema differs from schema/values.schema.json; this is a skygen bug"
        );
        built
    })
}

/// [`SCHEMA_TEXT`] parsed: the tree the static schema stands for.
#[cfg(any(test, debug_assertions))]
fn parsed() -> Value {
    serde_json::from_str(SCHEMA_TEXT).expect("the committed schema is JSON; this is a skygen bug")
}

mod generated {
    use super::super::static_json::Json::{self, *};
    include!(concat!(env!("OUT_DIR"), "/values_schema.rs"));
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

/// A view of the schema for walking it: the static schema ([`compiled`]) at run time, or a
/// `serde_json` tree (tests read both and compare).
pub struct SchemaWalker<'a, S: Node = Json> {
    root: &'a S,
}

impl<'a, S: Node> SchemaWalker<'a, S> {
    pub fn new(root: &'a S) -> Self {
        SchemaWalker { root }
    }

    pub fn deref(&self, mut node: &'a S) -> &'a S {
        // Definitions do not chain deeply; the bound guards against a cycle.
        for _ in 0..16 {
            match node.keyword("$ref").and_then(Node::as_str) {
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
    fn definition(&self, name: &str) -> Option<&'a S> {
        if name.contains(['/', '~']) {
            return pointer_get(self.root, &format!("/$defs/{name}"));
        }
        self.root.keyword("$defs")?.get(name)
    }

    /// The alternatives a node stands for (anyOf/oneOf flattened, refs followed).
    pub fn branches(&self, node: &'a S) -> Vec<&'a S> {
        let mut out = Vec::new();
        self.branches_into(node, &mut out);
        out
    }

    /// [`SchemaWalker::branches`], appended to `out`.
    fn branches_into(&self, node: &'a S, out: &mut Vec<&'a S>) {
        let node = self.deref(node);
        let mut alternatives = false;
        for key in ["anyOf", "oneOf"] {
            if let Some(list) = node.keyword(key).and_then(Node::as_list) {
                alternatives = true;
                for b in list {
                    self.branches_into(b, out);
                }
            }
        }
        if !alternatives || node.keyword("properties").is_some() || node.keyword("type").is_some() {
            out.push(node);
        }
    }

    /// The alternatives of all of `nodes` (the schemas at some path), in order: what
    /// [`SchemaWalker::child_of`] and [`SchemaWalker::closed_keys_of`] take, so a walk that looks
    /// at many children of one node finds its alternatives once.
    pub fn branches_at(&self, nodes: &[&'a S]) -> Vec<&'a S> {
        let mut out = Vec::new();
        for n in nodes {
            self.branches_into(n, &mut out);
        }
        out
    }

    /// The schemas of the child `key` (a list item when `None`) of a node whose alternatives
    /// are `branches`; an empty list means the child is not allowed.
    pub fn child_of(&self, branches: &[&'a S], key: Option<&str>) -> Vec<&'a S> {
        let mut out = Vec::new();
        for &b in branches {
            match key {
                Some(k) => {
                    if let Some(p) = b.keyword("properties").and_then(|p| p.get(k)) {
                        out.push(p);
                    } else if accepts_type(b, "object") || b.as_bool() == Some(true) || is_open(b) {
                        match b.keyword("additionalProperties") {
                            Some(extra) if extra.as_bool() == Some(false) => {}
                            Some(extra) if extra.is_object() => out.push(extra),
                            _ => out.push(S::accept_all()),
                        }
                    }
                }
                None => {
                    if let Some(items) = b.keyword("items") {
                        out.push(items);
                    } else if accepts_type(b, "array") || is_open(b) {
                        out.push(S::accept_all());
                    }
                }
            }
        }
        out
    }

    /// The schemas at a path, or an empty list when the path leaves the schema.
    pub fn at(&self, path: &[Seg]) -> Vec<&'a S> {
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
    pub fn root(&self) -> Vec<&'a S> {
        vec![self.root]
    }

    /// The schemas one step below `nodes` (the schemas at some path): `at(path + [seg])` from
    /// `at(path)`, so a walk over a whole tree never starts again from the root.
    pub fn step(&self, nodes: &[&'a S], seg: &Seg) -> Vec<&'a S> {
        let key = match seg {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        };
        self.child_of(&self.branches_at(nodes), key)
    }

    /// What a path accepts. A path outside the schema accepts anything (it is an unknown key,
    /// reported elsewhere).
    pub fn accepts(&self, path: &[Seg]) -> Accepts {
        self.accepts_at(&self.at(path))
    }

    /// [`SchemaWalker::accepts`] for the schemas at a path.
    pub fn accepts_at(&self, nodes: &[&'a S]) -> Accepts {
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
                if b.keyword("const").is_some_and(|c| c.as_str().is_some())
                    || b.keyword("enum")
                        .and_then(Node::as_list)
                        .is_some_and(|e| e.iter().any(|x| x.as_str().is_some()))
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
    pub fn closed_keys_at(&self, nodes: &[&'a S]) -> Option<Vec<&'a str>> {
        self.closed_keys_of(&self.branches_at(nodes))
    }

    /// [`SchemaWalker::closed_keys`] for the alternatives of the schemas at a path
    /// ([`SchemaWalker::branches_at`]).
    pub fn closed_keys_of(&self, branches: &[&'a S]) -> Option<Vec<&'a str>> {
        let mut keys = Vec::new();
        let mut closed = false;
        for &b in branches {
            if !accepts_type(b, "object") {
                continue;
            }
            if b.keyword("additionalProperties").and_then(Node::as_bool) != Some(false) {
                return None;
            }
            closed = true;
            if let Some(props) = b.keyword("properties").and_then(Node::entries) {
                keys.extend(props.map(|(k, _)| k));
            }
        }
        closed.then_some(keys)
    }
}

/// A JSON pointer into a schema document (for the rare definition name that needs its rules).
fn pointer_get<'a, S: Node>(root: &'a S, pointer: &str) -> Option<&'a S> {
    let mut node = root;
    for token in pointer.split('/').skip(1) {
        let key = token.replace("~1", "/").replace("~0", "~");
        node = match node.as_list() {
            // serde_json's reading of an index: no sign, no leading zero.
            Some(_) if key.starts_with('+') || (key.starts_with('0') && key.len() > 1) => {
                return None
            }
            Some(items) => items.get(key.parse::<usize>().ok()?)?,
            None => node.get(&key)?,
        };
    }
    Some(node)
}

fn is_open<S: Node>(b: &S) -> bool {
    b.as_bool() == Some(true)
        || (b.is_object()
            && b.keyword("type").is_none()
            && b.keyword("$ref").is_none()
            && b.keyword("anyOf").is_none()
            && b.keyword("oneOf").is_none()
            && b.keyword("const").is_none()
            && b.keyword("enum").is_none())
}

fn accepts_type<S: Node>(b: &S, name: &str) -> bool {
    match b.keyword("type") {
        Some(t) => match (t.as_str(), t.as_list()) {
            (Some(t), _) => t == name || (name == "number" && t == "integer"),
            (None, Some(ts)) => ts.iter().any(|t| t.as_str() == Some(name)),
            (None, None) => false,
        },
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// The static schema `build.rs` wrote is exactly the committed file, and a changed entry
    /// would show.
    #[test]
    fn static_schema_is_the_committed_schema() {
        assert_eq!(to_value_of(compiled()), parsed());
        let Json::Map(entries) = compiled() else {
            panic!("the schema is a mapping")
        };
        let mut changed = entries.to_vec();
        changed[0].1 = Json::Str("something else");
        let changed: &'static [(&'static str, Json)] = Box::leak(changed.into_boxed_slice());
        assert_ne!(to_value_of(&Json::Map(changed)), parsed());
    }

    fn to_value_of(j: &Json) -> Value {
        crate::values::static_json::to_value(j)
    }

    /// The same answers at `path` from the walker over the static schema and the walker over
    /// the `serde_json` tree (the reading that was there before the static schema): the schemas
    /// found, what they accept, which keys they allow. Returns the keys to try below `path`.
    fn same_answers(
        fast: &SchemaWalker<'_, Json>,
        slow: &SchemaWalker<'_, Value>,
        path: &[Seg],
    ) -> Vec<Seg> {
        let (f, s) = (fast.at(path), slow.at(path));
        let f_values: Vec<Value> = f.iter().map(|n| to_value_of(n)).collect();
        let s_values: Vec<Value> = s.iter().map(|n| (*n).clone()).collect();
        assert_eq!(f_values, s_values, "schemas at {path:?}");
        assert_eq!(
            fast.accepts(path),
            slow.accepts(path),
            "accepts at {path:?}"
        );
        assert_eq!(
            fast.closed_keys(path),
            slow.closed_keys(path),
            "keys at {path:?}"
        );
        for (a, b) in f.iter().zip(&s) {
            let fb: Vec<Value> = fast.branches(a).iter().map(|n| to_value_of(n)).collect();
            let sb: Vec<Value> = slow.branches(b).iter().map(|n| (*n).clone()).collect();
            assert_eq!(fb, sb, "branches at {path:?}");
        }
        let mut below: Vec<Seg> = s
            .iter()
            .flat_map(|n| slow.branches(n))
            .filter_map(|b| b.get("properties").and_then(Value::as_object))
            .flat_map(|p| p.keys().map(|k| Seg::Key(k.clone())))
            .collect();
        below.extend([Seg::Key("no-such-key".into()), Seg::Index(0)]);
        below
    }

    /// Every path of the schema (and an unknown key and a list index under each) gets the same
    /// answers from both walkers.
    #[test]
    fn static_walk_answers_as_the_json_walk() {
        let tree = parsed();
        let (fast, slow) = (SchemaWalker::new(compiled()), SchemaWalker::new(&tree));
        let mut paths = vec![Vec::new()];
        let mut seen = 0;
        while let Some(path) = paths.pop() {
            seen += 1;
            let below = same_answers(&fast, &slow, &path);
            // Unknown keys and indexes twice at most on a path, so open schemas end the walk.
            let extras = path
                .iter()
                .filter(|s| matches!(s, Seg::Index(_)) || **s == Seg::Key("no-such-key".into()))
                .count();
            if path.len() < 8 && extras < 3 && !slow.at(&path).is_empty() {
                for seg in below {
                    let mut p = path.clone();
                    p.push(seg);
                    paths.push(p);
                }
            }
        }
        assert!(seen > 1000, "paths compared: {seen}");
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
