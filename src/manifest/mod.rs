//! Stages 5 and 6: normalize and emit. Objects get one canonical form (nulls dropped,
//! `apiVersion`/`kind`/`metadata` first, a published kind order) and are serialized once,
//! deterministically, as a YAML stream or a Kubernetes `List`.

pub mod dir;
pub mod lifecycle;
mod order;

use serde_json::{Map, Value};

pub use order::kind_rank;

/// Who an object is, for ordering, overlay targets and diff: API group, kind, namespace, name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
            namespace: s(obj.pointer("/metadata/namespace")),
            name: s(obj.pointer("/metadata/name")),
        }
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

/// Canonical form of a set of objects, in the published order.
pub fn normalize(objects: Vec<Value>) -> Vec<Value> {
    let mut objects: Vec<(ObjectId, Value)> = objects
        .into_iter()
        .map(|mut v| {
            drop_nulls(&mut v);
            lead_keys(&mut v);
            (ObjectId::of(&v), v)
        })
        .collect();
    objects.sort_by(|(a, _), (b, _)| {
        (kind_rank(&a.kind), &a.namespace, &a.name, &a.group).cmp(&(
            kind_rank(&b.kind),
            &b.namespace,
            &b.name,
            &b.group,
        ))
    });
    objects.into_iter().map(|(_, v)| v).collect()
}

fn yaml_of(v: &Value) -> String {
    let opts = serde_saphyr::ser_options! { folded_wrap_chars: usize::MAX };
    serde_saphyr::to_string_with_options(v, opts)
        .expect("JSON values always serialize to YAML; this is a skygen bug")
}

/// A YAML stream: each object starts with `---`.
pub fn to_yaml_stream(objects: &[Value]) -> String {
    let mut out = String::new();
    for o in objects {
        out.push_str("---\n");
        let text = yaml_of(o);
        out.push_str(&text);
        if !text.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// One YAML document of an object (no separator), as written to a file.
pub fn to_yaml(object: &Value) -> String {
    yaml_of(object)
}

/// A Kubernetes `List` as pretty JSON.
pub fn to_json_list(objects: &[Value]) -> String {
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": objects});
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
        let out = normalize(objs);
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
        let text =
            to_yaml_stream(&[json!({"data": {"a": "on", "b": "0755", "s": "set -e\necho hi\n"}})]);
        assert!(text.contains("a: \"on\""), "{text}");
        assert!(text.contains("b: \"0755\""), "{text}");
        assert!(text.contains("s: |\n    set -e\n    echo hi\n"), "{text}");
    }
}
