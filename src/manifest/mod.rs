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
        let s = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
        let api_version = s(obj.get("apiVersion"));
        let group = match api_version.split_once('/') {
            Some((g, _)) => g.to_owned(),
            None => String::new(),
        };
        ObjectId {
            group,
            kind: s(obj.get("kind")),
            // `get`, not `pointer`: a pointer allocates per segment, and identities are taken
            // of every object many times (#17).
            namespace: s(obj.get("metadata").and_then(|m| m.get("namespace"))),
            name: s(obj.get("metadata").and_then(|m| m.get("name"))),
        }
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

/// `apiVersion`, `kind`, `metadata` first, the rest in the order the template wrote them.
fn lead_keys(v: &mut Value) {
    if let Value::Object(m) = v {
        let mut out = Map::new();
        for key in ["apiVersion", "kind", "metadata"] {
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
