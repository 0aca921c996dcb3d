//! `immutable`: fields the API server refuses to change in place, so `kubectl apply` fails and
//! the object has to be deleted and recreated. Each entry says what recreating costs.
//!
//! Facts (Kubernetes API reference and validation): a workload's `spec.selector` (apps/v1); a
//! StatefulSet's spec other than replicas, template, updateStrategy, ordinals, minReadySeconds,
//! persistentVolumeClaimRetentionPolicy; a Job's `spec.template` and `spec.selector`; a bound
//! PVC's spec except a growth of `resources.requests.storage` (and `volumeAttributesClassName`);
//! a StorageClass's `provisioner`, `parameters`, `reclaimPolicy`, `volumeBindingMode`; a Service's
//! `clusterIP`/`clusterIPs` once allocated; an IngressClass's `spec.controller`; a binding's
//! `roleRef`; the `data` of a ConfigMap or Secret marked `immutable: true`.
//!
//! A field the new object leaves out is only a change when the server cannot have filled it in
//! (an allocated cluster IP, a bound `volumeName`, a defaulted `volumeMode` are kept by apply).

use serde_json::Value;

use super::{field, first_change, Findings, RiskKind};
use crate::manifest::ObjectId;

/// Fields of a kind that cannot change, and what recreating the object costs.
fn rules(kind: &str) -> Option<(&'static [&'static str], &'static str)> {
    Some(match kind {
        "Deployment" | "DaemonSet" | "ReplicaSet" => (
            &["/spec/selector"],
            "delete it with `kubectl delete --cascade=orphan` and apply: the old pods keep running until the new ReplicaSet replaces them",
        ),
        "StatefulSet" => (
            &["/spec/selector", "/spec/serviceName", "/spec/volumeClaimTemplates", "/spec/podManagementPolicy"],
            "delete it with `kubectl delete --cascade=orphan` and apply: pods and their PVCs stay, and are adopted by the new StatefulSet",
        ),
        "Job" => (
            &["/spec/template", "/spec/selector"],
            "delete the Job and apply: it runs again (skip this when it already deleted itself after `ttlSecondsAfterFinished`)",
        ),
        "PersistentVolumeClaim" => (
            &["/spec"],
            "only deleting and recreating the PVC changes this, which loses its data unless the volume's reclaim policy is Retain: back up ~/.sky first, or keep the old setting",
        ),
        "StorageClass" => (
            &["/provisioner", "/parameters", "/reclaimPolicy", "/volumeBindingMode"],
            "delete and recreate the StorageClass: existing volumes keep the settings they were made with",
        ),
        "Service" => (
            &["/spec/clusterIP", "/spec/clusterIPs"],
            "delete and recreate the Service: it gets a new cluster IP, and clients that use the old one fail",
        ),
        "IngressClass" => (
            &["/spec/controller"],
            "delete and recreate the IngressClass: Ingresses of the class are not served in between",
        ),
        "RoleBinding" | "ClusterRoleBinding" => (
            &["/roleRef"],
            "delete and recreate the binding: its subjects lose these permissions in between",
        ),
        "ConfigMap" | "Secret" => (
            &["/data", "/binaryData", "/stringData"],
            "it is marked `immutable: true`: delete and recreate it, and restart the pods that read it",
        ),
        _ => return None,
    })
}

/// Fields the server fills in, so their absence in the new object is no change.
fn server_filled(kind: &str, pointer: &str) -> bool {
    matches!(
        (kind, pointer),
        ("Service", "/spec/clusterIP" | "/spec/clusterIPs")
            | (
                "PersistentVolumeClaim",
                "/spec/volumeName" | "/spec/volumeMode"
            )
    )
}

pub fn check(id: &ObjectId, old: Option<&Value>, new: Option<&Value>, found: &mut Findings) {
    let (Some(o), Some(n)) = (old, new) else {
        return;
    };
    let Some((fields, fix)) = rules(&id.kind) else {
        return;
    };
    if matches!(id.kind.as_str(), "ConfigMap" | "Secret")
        && o.get("immutable").and_then(Value::as_bool) != Some(true)
    {
        return;
    }
    for base in fields {
        let (mut ov, mut nv) = (o.pointer(base).cloned(), n.pointer(base).cloned());
        if id.kind == "PersistentVolumeClaim" {
            // Growth is allowed (with an expandable StorageClass); a shrink is refused too and
            // is reported, with its cost, under data-loss as well.
            for v in [&mut ov, &mut nv].into_iter().flatten() {
                if let Some(req) = v.pointer_mut("/resources/requests") {
                    if let Some(m) = req.as_object_mut() {
                        m.shift_remove("storage");
                    }
                }
                if let Some(m) = v.as_object_mut() {
                    m.shift_remove("volumeAttributesClassName");
                }
            }
            strip_unset_server_fields(&id.kind, base, ov.as_mut(), nv.as_ref());
            shrink(id, o, n, fix, found);
        }
        if matches!(id.kind.as_str(), "Service") && nv.is_none() && server_filled(&id.kind, base) {
            continue;
        }
        if ov == nv {
            continue;
        }
        let at = match (&ov, &nv) {
            (Some(_), Some(_)) => {
                first_change(&wrap(base, ov.as_ref()), &wrap(base, nv.as_ref()), base)
            }
            _ => (*base).to_owned(),
        };
        found.push(
            id,
            RiskKind::Immutable,
            &at,
            format!(
                "{} cannot be changed in place, so `kubectl apply` fails: {fix}",
                field(n, &at).trim_start_matches('.')
            ),
        );
        // One entry per object is enough to stop an apply.
        return;
    }
}

/// Rebuild a document holding `value` at `pointer`, so pointers into it stay whole.
fn wrap(pointer: &str, value: Option<&Value>) -> Value {
    let mut out = value.cloned().unwrap_or(Value::Null);
    for seg in pointer
        .split('/')
        .skip(1)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        let mut m = serde_json::Map::new();
        m.insert(crate::pointer::unescape(seg), out);
        out = Value::Object(m);
    }
    out
}

/// Drop from the old PVC spec the fields the server filled in that the new spec leaves out.
fn strip_unset_server_fields(kind: &str, base: &str, old: Option<&mut Value>, new: Option<&Value>) {
    let (Some(Value::Object(o)), Some(n)) = (old, new) else {
        return;
    };
    o.retain(|k, _| n.get(k).is_some() || !server_filled(kind, &format!("{base}/{k}")));
}

/// A smaller storage request is refused too.
fn shrink(id: &ObjectId, o: &Value, n: &Value, fix: &str, found: &mut Findings) {
    let at = "/spec/resources/requests/storage";
    let size = |v: &Value| {
        v.pointer(at)
            .and_then(Value::as_str)
            .and_then(|s| crate::values::quantity::parse(s).ok())
    };
    if let (Some(a), Some(b)) = (size(o), size(n)) {
        if b < a {
            found.push(
                id,
                RiskKind::Immutable,
                at,
                format!("spec.resources.requests.storage can grow but never shrink, so `kubectl apply` fails: {fix}"),
            );
        }
    }
}
