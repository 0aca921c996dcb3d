//! Strategic merge patch (`type: strategic`), skygen's own, for the kinds skygen emits.
//!
//! Like a merge patch (maps merge, `null` removes a key), except that the lists named in
//! [`MERGE_KEYS`] merge item by item: a patch item updates the object's item with the same key
//! (containers by `name`, volume mounts by `mountPath`, …) or is appended. Directives:
//! `$patch: delete` in a list item removes the matching item, in a mapping removes that field,
//! at the top removes the whole object; `$patch: replace` replaces instead of merging (a
//! mapping, a list item, or at the top the whole object; the list item `{$patch: replace}` alone
//! makes the whole list replace). Directives that meet a field the object lacks act on nothing.
//! Lists without a merge key (`tolerations`, `args`, …) replace whole, so a `$patch` in their
//! items is refused. Lists are recognised by their field name, whatever the kind, which is how
//! they appear in the objects skygen renders.

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
    ("schedulingGates", &["name"]),
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
                let child = format!("{at}/{}", crate::pointer::escape(k));
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
                    if !keyed && !is_replace_marker(item) {
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
                    let child = format!("{at}/{i}");
                    if item.get(DIRECTIVE).is_some() {
                        // Without a merge key the patch's list replaces the object's whole list,
                        // so a `$patch: delete` item would be added, not deleted.
                        return Err(Problem::at(
                            format!("{child}/{DIRECTIVE}"),
                            format!(
                                "`{}` has no merge key: this list replaces the object's whole list, so `$patch` here acts on nothing\nwrite the complete new list, or remove one item with a json6902 `remove` operation",
                                field.unwrap_or("this list")
                            ),
                        ));
                    }
                    check(item, None, &child)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// What a patch value becomes where the object has nothing to merge it with (the field is
/// missing, has another shape, or is replaced): the patch merged into an empty value, so its
/// directives act on nothing (`$patch: delete` deletes nothing) instead of being copied into the
/// object, and `null`s vanish as they would when merged.
fn fresh(field: &str, pv: &Value) -> Value {
    match pv {
        Value::Object(pm) => {
            let mut m = Map::new();
            merge_map(&mut m, pm);
            Value::Object(m)
        }
        Value::Array(patch_items) => match merge_keys(field) {
            Some(keys) => {
                let mut items = Vec::new();
                merge_list(&mut items, patch_items, keys);
                Value::Array(items)
            }
            None => Value::Array(patch_items.iter().map(|x| fresh("", x)).collect()),
        },
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
                None => *items = patch_items.iter().map(|x| fresh("", x)).collect(),
            },
            (Some(Value::Object(em)), Value::Object(pm)) if directive(pv) != Some("replace") => {
                merge_map(em, pm)
            }
            (existing, _) => {
                let new = fresh(k, pv);
                // Directives that found nothing to act on leave no empty field behind.
                if existing.is_some() || !is_empty(&new) || is_empty(pv) {
                    target.insert(k.clone(), new);
                }
            }
        }
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

/// The list item `{$patch: replace}` alone: the patch's list replaces the object's.
fn is_replace_marker(v: &Value) -> bool {
    v.as_object()
        .is_some_and(|m| m.len() == 1 && directive(v) == Some("replace"))
}

fn merge_list(items: &mut Vec<Value>, patch_items: &[Value], keys: &[&str]) {
    if patch_items.iter().any(is_replace_marker) {
        items.clear();
    }
    for p in patch_items.iter().filter(|p| !is_replace_marker(p)) {
        let Some((key, want)) = keys.iter().find_map(|k| Some((*k, p.get(*k)?))) else {
            unreachable!("`check` refuses keyed-list items without a key; this is a skygen bug")
        };
        let found = items.iter().position(|it| it.get(key) == Some(want));
        match (found, directive(p)) {
            (Some(i), Some("delete")) => {
                items.remove(i);
            }
            (None, Some("delete")) => {}
            (Some(i), Some("replace")) => items[i] = fresh("", p),
            (Some(i), _) => match (&mut items[i], p) {
                (Value::Object(em), Value::Object(pm)) => merge_map(em, pm),
                (slot, _) => *slot = fresh("", p),
            },
            (None, _) => items.push(fresh("", p)),
        }
    }
}

impl Patcher for StrategicMerge {
    fn apply(&self, object: &mut Value) -> Result<Effect, String> {
        match (directive(&self.0), object, &self.0) {
            (Some("delete"), _, _) => return Ok(Effect::Delete),
            (Some("replace"), object, patch) => *object = fresh("", patch),
            (_, Value::Object(om), Value::Object(pm)) => merge_map(om, pm),
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
            (
                "directives where the object has nothing act on nothing instead of being copied",
                json!({"spec": {"containers": [{"name": "api"}]}}),
                json!({"spec": {
                    "containers": [{"name": "api", "env": [{"name": "GONE", "$patch": "delete"}],
                                    "lifecycle": {"preStop": {"$patch": "delete"}, "x": null}}],
                    "initContainers": [{"$patch": "replace"}, {"name": "init", "image": "i"}]}}),
                json!({"spec": {
                    "containers": [{"name": "api"}],
                    "initContainers": [{"name": "init", "image": "i"}]}}),
            ),
            (
                "scheduling gates merge by name",
                json!({"spec": {"schedulingGates": [{"name": "a"}, {"name": "b"}]}}),
                json!({"spec": {"schedulingGates": [{"name": "a", "$patch": "delete"}, {"name": "c"}]}}),
                json!({"spec": {"schedulingGates": [{"name": "b"}, {"name": "c"}]}}),
            ),
            (
                "an item's own $patch: replace replaces that item only",
                json!({"spec": {"volumes": [{"name": "v1", "emptyDir": {}}, {"name": "v2"}]}}),
                json!({"spec": {"volumes": [{"name": "v1", "$patch": "replace", "hostPath": {"path": "/d"}}]}}),
                json!({"spec": {"volumes": [{"name": "v1", "hostPath": {"path": "/d"}}, {"name": "v2"}]}}),
            ),
            (
                "$patch: replace at the top replaces the object",
                json!({"kind": "A", "metadata": {"name": "a", "labels": {"x": "1"}}, "spec": {"y": 2}}),
                json!({"$patch": "replace", "kind": "A", "metadata": {"name": "a"}}),
                json!({"kind": "A", "metadata": {"name": "a"}}),
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
        // Tolerations have no merge key: a delete item would be added to the new list.
        let e = StrategicMerge::new(
            &json!({"spec": {"tolerations": [{"key": "a", "$patch": "delete"}]}}),
        )
        .err()
        .unwrap();
        assert_eq!(e.pointer, "/spec/tolerations/0/$patch");
        assert!(e.message.contains("no merge key"), "{}", e.message);
        assert!(StrategicMerge::new(&json!([])).is_err());
    }
}
