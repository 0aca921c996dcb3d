//! Secret masking for diffs: the values of a Secret's `data` and `stringData` are replaced by a
//! placeholder that tells the length in bytes and, when the value differs between the two sides,
//! which side it is, so a reviewer sees that a credential changed without seeing it.
//!
//! Also masks kubectl's `last-applied-configuration` annotation of a Secret, which holds the same
//! values in clear (it appears when a diff side comes from `kubectl get -o yaml`), and the
//! literal values of credential-named env vars (`…SECRET…`, `…PASSWORD…`, `…TOKEN…`) in pod
//! templates, where the chart puts an OAuth client secret and the derived cookie secret.

use serde_json::{Map, Value};

use crate::manifest::ObjectId;

/// JSON pointer of the annotation in which `kubectl apply` keeps the whole applied object, secrets included.
const LAST_APPLIED: &str =
    "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration";

/// Does masking apply to this object?
pub fn is_secret(id: &ObjectId) -> bool {
    id.group.is_empty() && id.kind == "Secret"
}

/// Which side a changed value is shown on.
#[derive(Clone, Copy)]
enum Side {
    Same,
    Old,
    New,
}

/// Length in bytes of a secret value: `data` holds base64, so its decoded length; `stringData`
/// holds the text itself. Anything else counts the JSON text.
fn byte_len(value: &Value, base64: bool) -> usize {
    match value {
        Value::String(s) if base64 => {
            let t = s.trim_end();
            let valid = t
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
            if valid && t.len() % 4 == 0 {
                t.len() / 4 * 3 - t.bytes().rev().take_while(|b| *b == b'=').count()
            } else {
                s.len()
            }
        }
        Value::String(s) => s.len(),
        other => other.to_string().len(),
    }
}

fn placeholder(value: &Value, base64: bool, side: Side) -> Value {
    let n = byte_len(value, base64);
    let unit = if n == 1 { "byte" } else { "bytes" };
    Value::String(match side {
        Side::Same => format!("<hidden, {n} {unit}>"),
        Side::Old => format!("<hidden, {n} {unit}, old value>"),
        Side::New => format!("<hidden, {n} {unit}, new value>"),
    })
}

/// Replace one map of secret values on both sides (either may be missing).
fn mask_map(old: Option<&mut Map<String, Value>>, new: Option<&mut Map<String, Value>>, b64: bool) {
    let changed: std::collections::BTreeSet<String> = match (&old, &new) {
        (Some(o), Some(n)) => n
            .iter()
            .filter(|(k, v)| o.get(*k).is_some_and(|ov| ov != *v))
            .map(|(k, _)| k.clone())
            .collect(),
        _ => Default::default(),
    };
    for (map, side) in [(old, Side::Old), (new, Side::New)] {
        for (k, v) in map.into_iter().flat_map(|m| m.iter_mut()) {
            let side = if changed.contains(k) {
                side
            } else {
                Side::Same
            };
            *v = placeholder(v, b64, side);
        }
    }
}

/// Mask one field of a Secret (`data` or `stringData`) on both sides.
fn mask_field(old: Option<&mut Value>, new: Option<&mut Value>, field: &str, b64: bool) {
    let old = old.and_then(|o| o.get_mut(field));
    let new = new.and_then(|n| n.get_mut(field));
    // A mapping is masked value by value; anything else (malformed) as one value.
    let whole = |v: &mut Value, side| {
        if !v.is_object() {
            *v = placeholder(v, b64, side);
        }
    };
    match (old, new) {
        (Some(o), Some(n)) => {
            if !o.is_object() || !n.is_object() {
                let differ = o != n;
                whole(o, if differ { Side::Old } else { Side::Same });
                whole(n, if differ { Side::New } else { Side::Same });
            }
            mask_map(o.as_object_mut(), n.as_object_mut(), b64);
        }
        (Some(v), None) | (None, Some(v)) => {
            whole(v, Side::Same);
            mask_map(v.as_object_mut(), None, b64);
        }
        (None, None) => {}
    }
}

/// Mask the secret values of a Secret given as its old and new versions (a Secret that is only
/// added or removed has one side).
pub fn mask_pair(mut old: Option<&mut Value>, mut new: Option<&mut Value>) {
    mask_field(old.as_deref_mut(), new.as_deref_mut(), "data", true);
    mask_field(old.as_deref_mut(), new.as_deref_mut(), "stringData", false);
    let differ = match (
        old.as_deref().and_then(|v| v.pointer(LAST_APPLIED)),
        new.as_deref().and_then(|v| v.pointer(LAST_APPLIED)),
    ) {
        (Some(a), Some(b)) => a != b,
        _ => false,
    };
    for (value, side) in [(old, Side::Old), (new, Side::New)] {
        if let Some(v) = value.and_then(|v| v.pointer_mut(LAST_APPLIED)) {
            *v = placeholder(v, false, if differ { side } else { Side::Same });
        }
    }
}

/// Does an env var of this name hold a credential? (`OAUTH2_PROXY_CLIENT_SECRET`,
/// `OAUTH2_PROXY_COOKIE_SECRET`, `…_PASSWORD`, `…_TOKEN`.)
fn is_secret_env(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ["SECRET", "PASSWORD", "PASSWD", "TOKEN"]
        .iter()
        .any(|w| upper.contains(w))
}

/// The literal `value`s of credential-named env vars of every container, by container and
/// variable name, with their pointers.
fn secret_envs(obj: &Value) -> Vec<(String, String, String)> {
    let mut out = vec![];
    for tpl in [
        "/spec/template/spec",
        "/spec/jobTemplate/spec/template/spec",
    ] {
        for list in ["initContainers", "containers"] {
            let at = format!("{tpl}/{list}");
            let Some(Value::Array(cs)) = obj.pointer(&at) else {
                continue;
            };
            for (i, c) in cs.iter().enumerate() {
                let cname = c
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                for (j, e) in c
                    .get("env")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    let name = e.get("name").and_then(Value::as_str).unwrap_or("");
                    if is_secret_env(name) && e.get("value").is_some() {
                        out.push((
                            format!("{list}/{cname}"),
                            name.to_owned(),
                            format!("{at}/{i}/env/{j}/value"),
                        ));
                    }
                }
            }
        }
    }
    out
}

/// Mask the literal values of credential-named env vars in a workload's pod template (the
/// chart puts an OAuth client secret and the derived cookie secret there), on both sides.
pub fn mask_env_pair(mut old: Option<&mut Value>, mut new: Option<&mut Value>) {
    let before = old.as_deref().map(secret_envs).unwrap_or_default();
    let after = new.as_deref().map(secret_envs).unwrap_or_default();
    let value_of = |side: Option<&Value>, p: &str| side.and_then(|v| v.pointer(p)).cloned();
    let mut masks: Vec<(bool, String, Value)> = vec![];
    for (list, (container, name, p)) in [(&before, true), (&after, false)]
        .into_iter()
        .flat_map(|(l, is_old)| l.iter().map(move |x| (is_old, x)))
    {
        let (other, this_side) = if list {
            (&after, old.as_deref())
        } else {
            (&before, new.as_deref())
        };
        let counterpart = other.iter().find(|(c, n, _)| c == container && n == name);
        let here = value_of(this_side, p).unwrap_or(Value::Null);
        let there = counterpart.and_then(|(_, _, op)| {
            value_of(if list { new.as_deref() } else { old.as_deref() }, op)
        });
        let side = match there {
            Some(t) if t != here => {
                if list {
                    Side::Old
                } else {
                    Side::New
                }
            }
            _ => Side::Same,
        };
        masks.push((list, p.clone(), placeholder(&here, false, side)));
    }
    for (is_old, p, m) in masks {
        let target = if is_old {
            old.as_deref_mut()
        } else {
            new.as_deref_mut()
        };
        if let Some(v) = target.and_then(|t| t.pointer_mut(&p)) {
            *v = m;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn credential_env_values_are_masked() {
        let dep = |v: &str| {
            json!({"spec": {"template": {"spec": {"containers": [{"name": "p",
            "env": [{"name": "OAUTH2_PROXY_COOKIE_SECRET", "value": v}, {"name": "PORT", "value": "1"}]}]}}}})
        };
        let (mut old, mut new) = (dep("abc"), dep("abcd"));
        mask_env_pair(Some(&mut old), Some(&mut new));
        assert_eq!(
            old.pointer("/spec/template/spec/containers/0/env/0/value")
                .unwrap(),
            "<hidden, 3 bytes, old value>"
        );
        assert_eq!(
            new.pointer("/spec/template/spec/containers/0/env/0/value")
                .unwrap(),
            "<hidden, 4 bytes, new value>"
        );
        assert_eq!(
            new.pointer("/spec/template/spec/containers/0/env/1/value")
                .unwrap(),
            "1"
        );
    }

    #[test]
    fn lengths_are_of_the_secret_bytes() {
        assert_eq!(byte_len(&json!("c2VjcmV0"), true), 6); // "secret"
        assert_eq!(byte_len(&json!("YQ=="), true), 1);
        assert_eq!(byte_len(&json!("not base64!"), true), 11);
        assert_eq!(byte_len(&json!("héllo"), false), 6);
    }

    #[test]
    fn changed_values_differ_unchanged_values_match() {
        let mut old = json!({"data": {"a": "YQ==", "b": "Yg==", "gone": "eA=="}});
        let mut new = json!({"data": {"a": "YQ==", "b": "Yw==", "added": "eQ=="}});
        mask_pair(Some(&mut old), Some(&mut new));
        assert_eq!(
            old,
            json!({"data": {"a": "<hidden, 1 byte>", "b": "<hidden, 1 byte, old value>", "gone": "<hidden, 1 byte>"}})
        );
        assert_eq!(
            new,
            json!({"data": {"a": "<hidden, 1 byte>", "b": "<hidden, 1 byte, new value>", "added": "<hidden, 1 byte>"}})
        );
    }
}
