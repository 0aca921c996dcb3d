//! Taking over a Helm release (issue #12): the old side of a diff may be `helm get manifest`
//! output or a `kubectl get -o yaml` dump. What Helm and the API server add to it is not a change
//! skygen makes, so it is removed from the old side before comparing:
//!
//! - Helm's bookkeeping: the `helm.sh/chart` label, `app.kubernetes.io/managed-by: Helm`, every
//!   `helm.sh/*` and `meta.helm.sh/*` annotation (in pod templates too). Server-side apply leaves
//!   them in place (Helm's field manager owns them), so dropping them from the render changes
//!   nothing in the cluster.
//! - Server-populated fields: `status`, `metadata.uid`, `resourceVersion`, `generation`,
//!   `creationTimestamp`, `managedFields`, `selfLink`, kubectl's last-applied annotation, the
//!   annotations controllers write (`deployment.kubernetes.io/revision`, `pv.kubernetes.io/*`,
//!   `volume.kubernetes.io/*`, `kubectl.kubernetes.io/restartedAt`), the PVC protection finalizer,
//!   a Namespace's `kubernetes` finalizer and `kubernetes.io/metadata.name` label.
//! - Allocated fields the new side does not set: a Service's `clusterIP`, `clusterIPs`,
//!   `nodePort`s and `healthCheckNodePort`, a PVC's `volumeName`, a Job's generated selector and
//!   labels.
//!
//! A field or key the new side has too is never removed (it shows as changed, or not at all),
//! so two Helm renders, or two dumps, compare as they are. Fields the server *defaulted* (`dnsPolicy`, `terminationMessagePath`,
//! `revisionHistoryLimit`, …) cannot be told from fields a user set, so they stay unless
//! [`prune_to_set_fields`] (`--ignore-defaults`) keeps only the fields the new side sets plus
//! those the last `kubectl apply` set (its annotation), so removals are still seen.
//! Only the old side is cleaned. Never reads files.

use serde_json::{Map, Value};

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Labels that are bookkeeping (value `None`: any value).
const LABELS: &[(&str, Option<&str>)] = &[
    ("helm.sh/chart", None),
    ("app.kubernetes.io/managed-by", Some("Helm")),
];

/// Annotations that are bookkeeping, by prefix.
const ANNOTATION_PREFIXES: &[&str] = &[
    "helm.sh/",
    "meta.helm.sh/",
    LAST_APPLIED,
    "deployment.kubernetes.io/revision",
    "deprecated.daemonset.template.generation",
    "kubectl.kubernetes.io/restartedAt",
    "pv.kubernetes.io/",
    "volume.kubernetes.io/",
    "volume.beta.kubernetes.io/",
];

/// Metadata fields only the server writes.
const SERVER_METADATA: &[&str] = &[
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
];

/// The object kubectl's last-applied annotation holds, if any.
pub fn last_applied(obj: &Value) -> Option<Value> {
    let text = obj
        .pointer("/metadata/annotations")?
        .get(LAST_APPLIED)?
        .as_str()?;
    serde_json::from_str(text).ok()
}

/// Remove from `old` what Helm and the server added (see the module doc), keeping anything
/// `new` (the same object on the other side) sets to the same value.
pub fn clean_old(old: &mut Value, new: Option<&Value>) {
    let new_has = |pointer: &str| new.and_then(|n| n.pointer(pointer)).is_some();
    let Some(obj) = old.as_object_mut() else {
        return;
    };
    if !new_has("/status") {
        obj.shift_remove("status");
    }
    let kind = obj
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let name = obj
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if let Some(Value::Object(meta)) = obj.get_mut("metadata") {
        for k in SERVER_METADATA {
            if !new_has(&format!("/metadata/{k}")) {
                meta.shift_remove(*k);
            }
        }
        if new_has("/metadata/finalizers") {
            // Kept as they are: the new side has finalizers too.
        } else if let Some(Value::Array(f)) = meta.get_mut("finalizers") {
            f.retain(|x| x != "kubernetes.io/pvc-protection");
            if f.is_empty() {
                meta.shift_remove("finalizers");
            }
        }
        if kind == "Namespace" {
            if let Some(Value::Object(labels)) = meta.get_mut("labels") {
                if labels
                    .get("kubernetes.io/metadata.name")
                    .and_then(Value::as_str)
                    == Some(name.as_str())
                {
                    labels.shift_remove("kubernetes.io/metadata.name");
                }
            }
        }
    }
    if kind == "Namespace" {
        if let Some(Value::Object(spec)) = obj.get_mut("spec") {
            if spec.get("finalizers") == Some(&serde_json::json!(["kubernetes"])) {
                spec.shift_remove("finalizers");
            }
            if spec.is_empty() {
                obj.shift_remove("spec");
            }
        }
    }
    for at in metadata_pointers(old) {
        let kept = new.and_then(|n| n.pointer(&at));
        if let Some(Value::Object(meta)) = old.pointer_mut(&at) {
            clean_metadata(meta, kept);
        }
    }
    match kind.as_str() {
        "Service" => unset_allocated_service(old, new),
        "PersistentVolumeClaim" => unset_if_new_lacks(old, new, "/spec", "volumeName"),
        "Job" => unset_job_selector(old, new),
        _ => {}
    }
}

/// Pointers of every metadata map in an object: its own and its templates'.
fn metadata_pointers(obj: &Value) -> Vec<String> {
    let mut out = vec!["/metadata".to_owned()];
    for t in [
        "/spec/template/metadata",
        "/spec/jobTemplate/metadata",
        "/spec/jobTemplate/spec/template/metadata",
    ] {
        if obj.pointer(t).is_some() {
            out.push(t.into());
        }
    }
    if let Some(Value::Array(v)) = obj.pointer("/spec/volumeClaimTemplates") {
        out.extend((0..v.len()).map(|i| format!("/spec/volumeClaimTemplates/{i}/metadata")));
    }
    out
}

fn clean_metadata(meta: &mut Map<String, Value>, kept: Option<&Value>) {
    // A key the new side has too stays, so it shows as changed (or not at all), never added.
    let keeps = |field: &str, k: &str| {
        kept.and_then(|m| m.get(field))
            .and_then(|m| m.get(k))
            .is_some()
    };
    if let Some(Value::Object(labels)) = meta.get_mut("labels") {
        labels.retain(|k, v| {
            let bookkeeping = LABELS
                .iter()
                .any(|(name, value)| k == name && value.is_none_or(|x| v == x));
            !bookkeeping || keeps("labels", k)
        });
    }
    if let Some(Value::Object(ann)) = meta.get_mut("annotations") {
        ann.retain(|k, _| {
            !ANNOTATION_PREFIXES.iter().any(|p| k.starts_with(p)) || keeps("annotations", k)
        });
    }
    for field in ["labels", "annotations"] {
        if meta
            .get(field)
            .is_some_and(|m| m.as_object().is_some_and(Map::is_empty))
        {
            meta.shift_remove(field);
        }
    }
}

fn unset_if_new_lacks(old: &mut Value, new: Option<&Value>, at: &str, key: &str) {
    if new
        .and_then(|n| n.pointer(at))
        .and_then(|s| s.get(key))
        .is_some()
    {
        return;
    }
    if let Some(Value::Object(m)) = old.pointer_mut(at) {
        m.shift_remove(key);
    }
}

fn unset_allocated_service(old: &mut Value, new: Option<&Value>) {
    for key in ["clusterIP", "clusterIPs", "healthCheckNodePort"] {
        unset_if_new_lacks(old, new, "/spec", key);
    }
    let new_ports: Vec<Value> = new
        .and_then(|n| n.pointer("/spec/ports"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if let Some(Value::Array(ports)) = old.pointer_mut("/spec/ports") {
        for p in ports {
            let same = new_ports
                .iter()
                .find(|np| np.get("name") == p.get("name") && np.get("port") == p.get("port"));
            if same.is_none_or(|np| np.get("nodePort").is_none()) {
                if let Some(m) = p.as_object_mut() {
                    m.shift_remove("nodePort");
                }
            }
        }
    }
}

/// The Job controller writes a selector on `controller-uid` and labels into the template.
fn unset_job_selector(old: &mut Value, new: Option<&Value>) {
    if new.and_then(|n| n.pointer("/spec/selector")).is_some() {
        return;
    }
    if let Some(Value::Object(spec)) = old.pointer_mut("/spec") {
        spec.shift_remove("selector");
        spec.shift_remove("manualSelector");
    }
    if let Some(Value::Object(labels)) = old.pointer_mut("/spec/template/metadata/labels") {
        labels.retain(|k, _| {
            !matches!(
                k.as_str(),
                "controller-uid"
                    | "job-name"
                    | "batch.kubernetes.io/controller-uid"
                    | "batch.kubernetes.io/job-name"
            )
        });
        if labels.is_empty() {
            if let Some(Value::Object(meta)) = old.pointer_mut("/spec/template/metadata") {
                meta.shift_remove("labels");
            }
        }
    }
}

/// `--ignore-defaults`: keep in `old` only the fields `new` sets or `applied` (the last-applied
/// configuration) set. A field the server defaulted is in neither, so it disappears; a field the
/// last apply set and the new render drops stays, and shows as removed. Items of lists are
/// matched by `name` when they have one, else by position; an old item with no counterpart is
/// kept whole.
pub fn prune_to_set_fields(old: &mut Value, new: &Value, applied: Option<&Value>) {
    match old {
        Value::Object(m) => {
            let has = |v: Option<&Value>, k: &str| {
                v.and_then(Value::as_object)
                    .is_some_and(|o| o.contains_key(k))
            };
            let (new_obj, applied_obj) = (new.is_object(), applied.is_some_and(Value::is_object));
            if !new_obj && !applied_obj {
                return;
            }
            m.retain(|k, _| has(Some(new), k) || has(applied, k));
            for (k, v) in m.iter_mut() {
                let a = applied.and_then(|x| x.get(k));
                match new.get(k) {
                    Some(n) => prune_to_set_fields(v, n, a),
                    None => {
                        if let Some(a) = a {
                            prune_to_set_fields(v, a, None);
                        }
                    }
                }
            }
        }
        Value::Array(items) => {
            let Some(new_items) = new.as_array() else {
                return;
            };
            let named = |v: &Value| v.get("name").and_then(Value::as_str).map(str::to_owned);
            for (i, item) in items.iter_mut().enumerate() {
                let counterpart = match named(item) {
                    Some(n) => new_items
                        .iter()
                        .find(|x| named(x).as_deref() == Some(n.as_str())),
                    None => new_items.get(i),
                };
                let applied_item =
                    applied
                        .and_then(Value::as_array)
                        .and_then(|a| match named(item) {
                            Some(n) => a.iter().find(|x| named(x).as_deref() == Some(n.as_str())),
                            None => a.get(i),
                        });
                if let Some(c) = counterpart {
                    prune_to_set_fields(item, c, applied_item);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn helm_and_server_fields_go_unless_new_sets_them() {
        let mut old = json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "s", "uid": "u", "resourceVersion": "1",
                "labels": {"helm.sh/chart": "x-1", "app.kubernetes.io/managed-by": "Helm", "app": "a"},
                "annotations": {"meta.helm.sh/release-name": "r"}},
            "spec": {"clusterIP": "10.0.0.1", "ports": [{"name": "http", "port": 80, "nodePort": 30080}]},
            "status": {"loadBalancer": {}}
        });
        let new = json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "s", "labels": {"app": "a"}},
            "spec": {"ports": [{"name": "http", "port": 80}]}});
        clean_old(&mut old, Some(&new));
        assert_eq!(old, new);
        let mut helm = json!({"kind": "ConfigMap", "metadata": {"name": "c", "labels": {"helm.sh/chart": "x-1"}}});
        let same = helm.clone();
        clean_old(&mut helm, Some(&same));
        assert_eq!(helm, same);
    }

    #[test]
    fn ignore_defaults_keeps_set_and_last_applied_fields() {
        let mut old = json!({"spec": {"replicas": 1, "revisionHistoryLimit": 10, "paused": false,
            "template": {"spec": {"dnsPolicy": "ClusterFirst",
                "containers": [{"name": "c", "image": "a", "terminationMessagePath": "/dev/termination-log"}]}}}});
        let new = json!({"spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "c", "image": "b"}]}}}});
        let applied = json!({"spec": {"paused": false}});
        prune_to_set_fields(&mut old, &new, Some(&applied));
        assert_eq!(
            old,
            json!({"spec": {"replicas": 1, "paused": false, "template": {"spec": {"containers": [{"name": "c", "image": "a"}]}}}})
        );
    }
}
