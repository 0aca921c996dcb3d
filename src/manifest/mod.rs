//! Stages 5 and 6: normalize and emit. [`normalize`] turns the overlay stage's [`Patched`]
//! objects into a [`Manifest`]: one canonical form (nulls dropped, `apiVersion`/`kind`/`metadata`
//! first) in the published order of [`ObjectId`]. A `Manifest` is the only thing emit (a YAML
//! stream, a Kubernetes `List`, a directory in [`dir`]) and `diff` take, so nothing is written or
//! compared before it is canonical. Never renders, never reads the values.

pub mod dir;
pub mod lifecycle;
mod order;

use serde_json::{Map, Value};

use crate::overlay::Patched;
pub use order::kind_rank;

/// Who an object is, for ordering, overlay targets and diff: API group, kind, namespace, name.
/// Ordered as a stream is: by the published kind order ([`kind_rank`]), then namespace, name,
/// group, and the kind itself (kinds skygen does not know share one rank).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ObjectId {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl ObjectId {
    pub fn of(obj: &Value) -> ObjectId {
        fn s(v: Option<&Value>) -> &str {
            v.and_then(Value::as_str).unwrap_or_default()
        }
        let group = match s(entry(obj, "apiVersion")).split_once('/') {
            Some((g, _)) => g.to_owned(),
            None => String::new(),
        };
        // [`entry`], not `pointer`: a pointer allocates per segment, and identities are taken
        // of every object many times (#17).
        let meta = entry(obj, "metadata");
        ObjectId {
            group,
            kind: s(entry(obj, "kind")).to_owned(),
            namespace: s(meta.and_then(|m| entry(m, "namespace"))).to_owned(),
            name: s(meta.and_then(|m| entry(m, "name"))).to_owned(),
        }
    }
}

/// Keys compared one by one before a mapping's hash index is asked.
const SCANNED: usize = 8;

/// `v[key]` for the small mappings an identity is read from (an object's top level, its
/// metadata): their first few keys are compared before the map's index is asked, which
/// hashes the key with SipHash, several times the cost of a few comparisons (#11).
pub fn entry<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    let m = v.as_object()?;
    if let Some((_, x)) = m.iter().take(SCANNED).find(|(k, _)| *k == key) {
        return Some(x);
    }
    if m.len() > SCANNED {
        m.get(key)
    } else {
        None
    }
}

impl Ord for ObjectId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // The rank is a search of the kind list: skipped when the kinds are equal (most
        // comparisons when sorting or looking up many objects; #17).
        let rank = if self.kind == other.kind {
            std::cmp::Ordering::Equal
        } else {
            kind_rank(&self.kind).cmp(&kind_rank(&other.kind))
        };
        rank.then_with(|| {
            (&self.namespace, &self.name, &self.group, &self.kind).cmp(&(
                &other.namespace,
                &other.name,
                &other.group,
                &other.kind,
            ))
        })
    }
}

impl PartialOrd for ObjectId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for ObjectId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let group = if self.group.is_empty() {
            String::new()
        } else {
            format!(".{}", self.group)
        };
        if self.namespace.is_empty() {
            write!(f, "{}{group}/{}", self.kind, self.name)
        } else {
            write!(f, "{}{group}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// Remove nulls (kubectl drops them; they only add noise) everywhere in an object.
pub fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(drop_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// The keys a canonical object starts with, in this order.
const LEAD: [&str; 3] = ["apiVersion", "kind", "metadata"];

/// `apiVersion`, `kind`, `metadata` first, the rest in the order the template wrote them.
fn lead_keys(v: &mut Value) {
    if let Value::Object(m) = v {
        // Templates write these first: then the order is already canonical and rebuilding the
        // map (hashing every key again) is skipped (#11).
        let mut keys = m.keys().peekable();
        for key in LEAD {
            keys.next_if(|k| *k == key);
        }
        if keys.all(|k| !LEAD.contains(&k.as_str())) {
            return;
        }
        let mut out = Map::new();
        for key in LEAD {
            if let Some(x) = m.shift_remove(key) {
                out.insert(key.to_owned(), x);
            }
        }
        out.extend(std::mem::take(m));
        *m = out;
    }
}

/// Objects in canonical form and order: what emit writes and diff compares. Only
/// [`normalize`] and [`Manifest::from_objects`] build one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Manifest {
    objects: Vec<Value>,
}

impl Manifest {
    /// Normalize objects read from elsewhere (a file given to `diff`).
    pub fn from_objects(objects: Vec<Value>) -> Manifest {
        let mut objects: Vec<(ObjectId, Value)> = objects
            .into_iter()
            .map(|mut v| {
                drop_nulls(&mut v);
                lead_keys(&mut v);
                (ObjectId::of(&v), v)
            })
            .collect();
        // Stable: objects with one identity (refused before emit, possible in a diff input
        // being checked) keep their order.
        objects.sort_by(|(a, _), (b, _)| a.cmp(b));
        Manifest {
            objects: objects.into_iter().map(|(_, v)| v).collect(),
        }
    }

    /// Several releases' manifests, one after the other (each already canonical; the whole is
    /// in release order, not re-sorted).
    pub fn concat(parts: Vec<Manifest>) -> Manifest {
        Manifest {
            objects: parts.into_iter().flat_map(|m| m.objects).collect(),
        }
    }

    pub fn into_objects(self) -> Vec<Value> {
        self.objects
    }
}

impl std::ops::Deref for Manifest {
    type Target = [Value];

    fn deref(&self) -> &[Value] {
        &self.objects
    }
}

/// Stage 5: the overlay stage's objects in canonical form and order.
pub fn normalize(patched: Patched) -> Manifest {
    Manifest::from_objects(patched.objects.into_iter().map(|o| o.value).collect())
}

/// A YAML stream: each object starts with `---`.
pub fn to_yaml_stream(objects: &Manifest) -> String {
    let mut out = String::new();
    for o in objects.iter() {
        out.push_str("---\n");
        crate::yaml_write::write(&mut out, o);
    }
    out
}

/// One YAML document of an object (no separator), as written to a file.
pub fn to_yaml(object: &Value) -> String {
    crate::yaml_write::to_string(object)
}

/// A Kubernetes `List` as pretty JSON.
pub fn to_json_list(objects: &Manifest) -> String {
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": objects.objects});
    let mut s =
        serde_json::to_string_pretty(&list).expect("JSON values serialize; this is a skygen bug");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn order_by_kind_then_namespace_then_name() {
        let objs = vec![
            json!({"kind": "Deployment", "apiVersion": "apps/v1", "metadata": {"name": "b", "namespace": "x"}}),
            json!({"kind": "Service", "apiVersion": "v1", "metadata": {"name": "a", "namespace": "x"}}),
            json!({"metadata": {"name": "z"}, "kind": "Namespace", "apiVersion": "v1", "spec": null}),
        ];
        let out = Manifest::from_objects(objs);
        let kinds: Vec<_> = out.iter().map(|o| o["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["Namespace", "Service", "Deployment"]);
        assert_eq!(
            out[0],
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "z"}})
        );
        let keys: Vec<_> = out[0].as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["apiVersion", "kind", "metadata"]);
    }

    /// The lead keys move to the front, in their order, whichever of them are present and
    /// wherever they stand; an object that already starts with them is left as it is.
    #[test]
    fn lead_keys_go_first_in_their_order() {
        for (given, want) in [
            (
                json!({"apiVersion": "v1", "kind": "K", "metadata": {}, "spec": 1}),
                &["apiVersion", "kind", "metadata", "spec"][..],
            ),
            (
                json!({"apiVersion": "v1", "spec": 1, "kind": "K"}),
                &["apiVersion", "kind", "spec"][..],
            ),
            (
                json!({"kind": "K", "apiVersion": "v1", "data": 1}),
                &["apiVersion", "kind", "data"][..],
            ),
            (
                json!({"data": 1, "metadata": {}}),
                &["metadata", "data"][..],
            ),
            (json!({"kind": "K", "data": 1}), &["kind", "data"][..]),
            (
                json!({"apiVersion": "v1", "metadata": {}, "kind": "K"}),
                &["apiVersion", "kind", "metadata"][..],
            ),
        ] {
            let mut v = given.clone();
            lead_keys(&mut v);
            let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
            assert_eq!(keys, want, "{given}");
            assert_eq!(v, given, "only the order changes");
        }
    }

    /// `entry` finds a key wherever it stands, past the scanned ones too, and nothing else.
    #[test]
    fn entry_finds_keys_in_small_and_large_mappings() {
        let mut big = serde_json::Map::new();
        for i in 0..20 {
            big.insert(format!("k{i}"), json!(i));
        }
        let big = Value::Object(big);
        for i in 0..20 {
            assert_eq!(entry(&big, &format!("k{i}")), Some(&json!(i)));
        }
        assert_eq!(entry(&big, "k20"), None);
        let small = json!({"name": "a", "namespace": "b"});
        assert_eq!(entry(&small, "namespace"), Some(&json!("b")));
        assert_eq!(entry(&small, "labels"), None);
        assert_eq!(entry(&json!("text"), "name"), None);
    }

    #[test]
    fn yaml_keeps_trap_strings_quoted_and_scripts_literal() {
        let text = to_yaml_stream(&Manifest::from_objects(vec![
            json!({"data": {"a": "on", "b": "0755", "s": "set -e\necho hi\n"}}),
        ]));
        assert!(text.contains("a: \"on\""), "{text}");
        assert!(text.contains("b: \"0755\""), "{text}");
        assert!(text.contains("s: |\n    set -e\n    echo hi\n"), "{text}");
    }
}
