//! Strategic merge patch (`type: strategic`), skygen's own, for the kinds skygen emits.
//!
//! Like a merge patch (maps merge, `null` removes a key), except that the lists named in
//! [`MERGE_KEYS`] merge item by item: a patch item updates the object's item with the same key
//! (containers by `name`, volume mounts by `mountPath`, …) or is appended. Directives:
//! `$patch: delete` in a list item removes the matching item, in a mapping removes that field,
//! at the top removes the whole object; `$patch: replace` replaces instead of merging (a list
//! item `{$patch: replace}` makes the whole list replace). Lists are recognised by their field
//! name, whatever the kind, which is how they appear in the objects skygen renders.

use serde_json::{Map, Value};

use super::patch::{require_mapping, Effect, Patcher, Problem};

/// Lists merged item by item, and the keys that identify an item (the first key a patch item
/// has is used: container ports have `containerPort`, Service ports have `port`).
pub const MERGE_KEYS: &[(&str, &[&str])] = &[
    ("containers", &["name"]),
    ("initContainers", &["name"]),
    ("ephemeralContainers", &["name"]),
    ("env", &["name"]),
    ("ports", &["containerPort", "port"]),
    ("volumes", &["name"]),
    ("volumeMounts", &["mountPath"]),
    ("volumeDevices", &["devicePath"]),
    ("imagePullSecrets", &["name"]),
    ("hostAliases", &["ip"]),
    ("topologySpreadConstraints", &["topologyKey"]),
    ("resourceClaims", &["name"]),
    ("readinessGates", &["conditionType"]),
];

const DIRECTIVE: &str = "$patch";

fn merge_keys(field: &str) -> Option<&'static [&'static str]> {
    MERGE_KEYS
        .iter()
        .find(|(f, _)| *f == field)
        .map(|(_, keys)| *keys)
}

fn directive(v: &Value) -> Option<&str> {
    v.get(DIRECTIVE).and_then(Value::as_str)
}

pub struct StrategicMerge(Value);

impl StrategicMerge {
    pub fn new(patch: &Value) -> Result<StrategicMerge, Problem> {
        require_mapping(patch)?;
        check(patch, None, "")?;
        Ok(StrategicMerge(patch.clone()))
    }
}

/// Directives are known and well placed; items of keyed lists are mappings with their key.
fn check(v: &Value, field: Option<&str>, at: &str) -> Result<(), Problem> {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let child = format!("{at}/{}", crate::yaml::escape_pointer(k));
                if k == DIRECTIVE {
                    match x.as_str() {
                        Some("delete" | "replace" | "merge") => {}
                        _ => {
                            return Err(Problem::at(
                                child,
                                "`$patch` must be delete, replace or merge",
                            ))
                        }
                    }
                } else if k.starts_with('$') {
                    return Err(Problem::at(
                        child,
                        format!("unsupported directive `{k}`; skygen understands `$patch` only"),
                    ));
                } else {
                    check(x, Some(k), &child)?;
                }
            }
        }
        Value::Array(items) => {
            if let Some(keys) = field.and_then(merge_keys) {
                for (i, item) in items.iter().enumerate() {
                    let child = format!("{at}/{i}");
                    let keyed = item
                        .as_object()
                        .is_some_and(|m| keys.iter().any(|k| m.contains_key(*k)));
                    if !keyed && directive(item) != Some("replace") {
                        return Err(Problem::at(
                            child,
                            format!(
                                "each item of `{}` needs `{}`, the key items are matched by",
                                field.unwrap_or_default(),
                                keys.join("` or `")
                            ),
                        ));
                    }
                    check(item, None, &child)?;
                }
            } else {
                for (i, item) in items.iter().enumerate() {
                    check(item, None, &format!("{at}/{i}"))?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// The patch without its directives, for content that is added as it is.
fn clean(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| k.as_str() != DIRECTIVE)
                .map(|(k, x)| (k.clone(), clean(x)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(clean).collect()),
        other => other.clone(),
    }
}

fn merge_map(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (k, pv) in patch {
        if k == DIRECTIVE {
            continue;
        }
        if pv.is_null() || directive(pv) == Some("delete") {
            target.shift_remove(k);
            continue;
        }
        match (target.get_mut(k), pv) {
            (Some(Value::Array(items)), Value::Array(patch_items)) => match merge_keys(k) {
                Some(keys) => merge_list(items, patch_items, keys),
                None => *items = patch_items.iter().map(clean).collect(),
            },
            (Some(existing), Value::Object(pm)) if directive(pv) != Some("replace") => {
                match existing {
                    Value::Object(em) => merge_map(em, pm),
                    other => *other = clean(pv),
                }
            }
            _ => {
                target.insert(k.clone(), clean(pv));
            }
        }
    }
}

fn merge_list(items: &mut Vec<Value>, patch_items: &[Value], keys: &[&str]) {
    if patch_items.iter().any(|p| directive(p) == Some("replace")) {
        *items = patch_items
            .iter()
            .filter(|p| directive(p) != Some("replace"))
            .map(clean)
            .collect();
        return;
    }
    for p in patch_items {
        let Some((key, want)) = keys.iter().find_map(|k| Some((*k, p.get(*k)?))) else {
            continue; // refused by `check`
        };
        let found = items.iter().position(|it| it.get(key) == Some(want));
        match (found, directive(p)) {
            (Some(i), Some("delete")) => {
                items.remove(i);
            }
            (None, Some("delete")) => {}
            (Some(i), Some("replace")) => items[i] = clean(p),
            (Some(i), _) => match (&mut items[i], p) {
                (Value::Object(em), Value::Object(pm)) => merge_map(em, pm),
                (slot, _) => *slot = clean(p),
            },
            (None, _) => items.push(clean(p)),
        }
    }
}

impl Patcher for StrategicMerge {
    fn apply(&self, object: &mut Value) -> Result<Effect, String> {
        if directive(&self.0) == Some("delete") {
            return Ok(Effect::Delete);
        }
        match (object, &self.0) {
            (Value::Object(om), Value::Object(pm)) => merge_map(om, pm),
            _ => return Err("the object is not a mapping".into()),
        }
        Ok(Effect::Keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patched(obj: Value, patch: Value) -> Value {
        let mut obj = obj;
        StrategicMerge::new(&patch)
            .unwrap()
            .apply(&mut obj)
            .unwrap();
        obj
    }

    /// Table: name, object, patch, expected object.
    #[test]
    fn table() {
        let pod = json!({"spec": {"containers": [
            {"name": "api", "image": "a:1", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
             "ports": [{"containerPort": 80, "name": "http"}],
             "volumeMounts": [{"name": "state", "mountPath": "/s"}]},
            {"name": "log", "image": "l:1"}
        ]}});
        let cases: Vec<(&str, Value, Value, Value)> = vec![
            (
                "container merged by name, env merged by name, new env appended",
                pod.clone(),
                json!({"spec": {"containers": [{"name": "api", "image": "a:2", "env": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}]}]}}),
                json!({"spec": {"containers": [
                    {"name": "api", "image": "a:2", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}, {"name": "C", "value": "4"}],
                     "ports": [{"containerPort": 80, "name": "http"}],
                     "volumeMounts": [{"name": "state", "mountPath": "/s"}]},
                    {"name": "log", "image": "l:1"}
                ]}}),
            ),
            (
                "$patch: delete removes a list item and a field",
                pod.clone(),
                json!({"spec": {"containers": [{"name": "log", "$patch": "delete"}, {"name": "api", "volumeMounts": [{"mountPath": "/s", "$patch": "delete"}], "ports": {"$patch": "delete"}}]}}),
                json!({"spec": {"containers": [
                    {"name": "api", "image": "a:1", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                     "volumeMounts": []}
                ]}}),
            ),
            (
                "service ports merge by port; unkeyed lists replace; null removes",
                json!({"spec": {"ports": [{"port": 80, "name": "http"}, {"port": 443, "name": "https"}], "externalIPs": ["1.1.1.1"], "type": "LoadBalancer"}}),
                json!({"spec": {"ports": [{"port": 80, "nodePort": 30050}], "externalIPs": ["2.2.2.2"], "type": null}}),
                json!({"spec": {"ports": [{"port": 80, "name": "http", "nodePort": 30050}, {"port": 443, "name": "https"}], "externalIPs": ["2.2.2.2"]}}),
            ),
            (
                "$patch: replace on a mapping and on a list",
                json!({"a": {"x": 1, "y": 2}, "spec": {"volumes": [{"name": "v1"}, {"name": "v2"}]}}),
                json!({"a": {"$patch": "replace", "z": 3}, "spec": {"volumes": [{"$patch": "replace"}, {"name": "v3"}]}}),
                json!({"a": {"z": 3}, "spec": {"volumes": [{"name": "v3"}]}}),
            ),
        ];
        for (name, obj, patch, want) in cases {
            assert_eq!(patched(obj, patch), want, "{name}");
        }
    }

    #[test]
    fn top_level_delete_removes_the_object() {
        let p = StrategicMerge::new(&json!({"$patch": "delete"})).unwrap();
        assert_eq!(p.apply(&mut json!({})).unwrap(), Effect::Delete);
    }

    #[test]
    fn malformed_patches_are_refused_with_their_place() {
        let e = StrategicMerge::new(&json!({"spec": {"containers": [{"image": "x"}]}}))
            .err()
            .unwrap();
        assert_eq!(e.pointer, "/spec/containers/0");
        let e = StrategicMerge::new(&json!({"spec": {"$retainKeys": []}}))
            .err()
            .unwrap();
        assert_eq!(e.pointer, "/spec/$retainKeys");
        assert!(StrategicMerge::new(&json!({"$patch": "drop"})).is_err());
        assert!(StrategicMerge::new(&json!([])).is_err());
    }
}
