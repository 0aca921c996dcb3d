//! Rules about workloads and what they mount: `restart` (a pod template changed), `downtime`
//! (that restart, or a removal, leaves the API server or the only ingress controller without a
//! serving pod), container `privilege`s, `data-loss` (the state PVC, the Namespace holding it,
//! a move to emptyDir) and `config-not-applied` (the API server's config ConfigMap).
//!
//! The API server is recognized by what it runs (`sky api start`), the ingress controller by
//! `/nginx-ingress-controller`, so renamed releases and overlays are recognized too.

use serde_json::Value;

use super::{field, first_change, Findings, RiskKind, Sets};
use crate::manifest::ObjectId;

/// Kinds that own a pod template, and the pointer of that template.
pub fn template_pointer(kind: &str) -> Option<&'static str> {
    match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => Some("/spec/template"),
        "CronJob" => Some("/spec/jobTemplate/spec/template"),
        _ => None,
    }
}

/// The pod spec of a workload.
pub fn pod_spec(obj: &Value) -> Option<&Value> {
    let kind = obj.get("kind").and_then(Value::as_str)?;
    obj.pointer(&format!("{}/spec", template_pointer(kind)?))
}

/// Every container of a pod spec (init containers first) with its pointer below the pod spec.
pub fn containers(pod: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for list in ["initContainers", "containers"] {
        if let Some(Value::Array(items)) = pod.get(list) {
            for (i, c) in items.iter().enumerate() {
                out.push((format!("/{list}/{i}"), c));
            }
        }
    }
    out
}

/// The command line of a container as one string.
fn command_line(c: &Value) -> String {
    ["command", "args"]
        .iter()
        .filter_map(|k| c.get(*k).and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

fn runs(obj: &Value, needle: &str) -> bool {
    obj.get("kind").and_then(Value::as_str) == Some("Deployment")
        && pod_spec(obj)
            .map(containers)
            .unwrap_or_default()
            .iter()
            .any(|(_, c)| command_line(c).contains(needle))
}

/// Is this the SkyPilot API server's Deployment?
pub fn is_api_server(obj: &Value) -> bool {
    runs(obj, "sky api start")
}

/// Is this an ingress-nginx controller Deployment?
pub fn is_ingress_controller(obj: &Value) -> bool {
    runs(obj, "/nginx-ingress-controller")
}

/// The value of a `--flag=value` argument of any container of a workload.
pub fn container_arg(obj: &Value, flag: &str) -> Option<String> {
    pod_spec(obj)
        .map(containers)
        .unwrap_or_default()
        .iter()
        .flat_map(|(_, c)| {
            c.get("args")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter_map(Value::as_str)
        .find_map(|a| a.strip_prefix(flag).map(str::to_owned))
}

/// The ingress class an ingress-nginx controller serves (`--ingress-class=`), `nginx` when unset.
pub fn controller_class(obj: &Value) -> String {
    container_arg(obj, "--ingress-class=").unwrap_or_else(|| "nginx".into())
}

/// The volume mounted at `path` by some container of a workload: its index and definition.
fn volume_at<'a>(obj: &'a Value, path: &str) -> Option<(usize, &'a Value)> {
    let pod = pod_spec(obj)?;
    let vol_name = containers(pod).into_iter().find_map(|(_, c)| {
        c.get("volumeMounts")?
            .as_array()?
            .iter()
            .find(|m| {
                m.get("mountPath")
                    .and_then(Value::as_str)
                    .is_some_and(|p| p.trim_end_matches('/') == path)
            })?
            .get("name")?
            .as_str()
    })?;
    pod.get("volumes")?
        .as_array()?
        .iter()
        .enumerate()
        .find(|(_, v)| v.get("name").and_then(Value::as_str) == Some(vol_name))
}

/// Where the API server keeps `~/.sky`.
#[derive(Debug, PartialEq)]
pub enum StateVolume {
    Claim(String),
    EmptyDir,
    Other,
}

/// The API server's state volume and the pointer of its definition.
pub fn state_volume(api: &Value) -> Option<(StateVolume, String)> {
    let (i, v) = volume_at(api, "/root/.sky")?;
    let kind = if let Some(c) = v
        .pointer("/persistentVolumeClaim/claimName")
        .and_then(Value::as_str)
    {
        StateVolume::Claim(c.to_owned())
    } else if v.get("emptyDir").is_some() {
        StateVolume::EmptyDir
    } else {
        StateVolume::Other
    };
    let tpl = template_pointer("Deployment").expect("Deployment has a template");
    Some((kind, format!("{tpl}/spec/volumes/{i}")))
}

/// The ConfigMap the API server seeds `~/.sky/config.yaml` from.
pub fn config_map(api: &Value) -> Option<String> {
    let (_, v) = volume_at(api, "/var/skypilot/config")?;
    Some(v.pointer("/configMap/name")?.as_str()?.to_owned())
}

/// The API server Deployment of one side (the first, if an overlay made several).
pub fn api_server<'a>(
    side: &std::collections::BTreeMap<ObjectId, &'a Value>,
) -> Option<(ObjectId, &'a Value)> {
    side.iter()
        .find(|(_, v)| is_api_server(v))
        .map(|(id, v)| (id.clone(), *v))
}

/// `restart` when a pod template changed; `downtime` when that restart, or a removal, leaves the
/// API server or the only ingress controller replica without a serving pod.
pub fn restart_and_downtime(
    sets: &Sets,
    id: &ObjectId,
    old: Option<&Value>,
    new: Option<&Value>,
    found: &mut Findings,
) {
    let Some(tpl) = template_pointer(&id.kind) else {
        return;
    };
    match (old, new) {
        (Some(o), Some(n)) => {
            // A Job's or CronJob's template changes no running pod: the first is immutable
            // (see `immutable`), the second applies to the next run.
            if matches!(id.kind.as_str(), "Job" | "CronJob") || o.pointer(tpl) == n.pointer(tpl) {
                return;
            }
            let at = first_change(o, n, tpl);
            // StatefulSets and DaemonSets with `OnDelete` replace a pod only when it is deleted.
            let when = if n
                .pointer("/spec/updateStrategy/type")
                .and_then(Value::as_str)
                == Some("OnDelete")
            {
                " when each is deleted (updateStrategy OnDelete)"
            } else {
                ""
            };
            found.push(
                id,
                RiskKind::Restart,
                &at,
                format!(
                    "{} changed: the pods of {} {} are replaced{when}",
                    field(n, &at),
                    id.kind,
                    id.name
                ),
            );
            downtime_of_restart(id, n, found);
        }
        (Some(o), None) if is_api_server(o) => {
            let successor = api_server(&sets.new)
                .map(|(nid, _)| format!("; {} starts in its place", nid.name))
                .unwrap_or_default();
            found.push(
                id,
                RiskKind::Downtime,
                "",
                format!(
                    "the API server Deployment {} is removed: its pods stop{successor}, requests fail until a new pod is ready",
                    id.name
                ),
            );
        }
        (Some(o), None) if is_ingress_controller(o) => {
            let class = controller_class(o);
            let users: Vec<String> = Sets::of_kind(&sets.new, "Ingress")
                .into_iter()
                .filter(|(_, ing)| {
                    super::exposure::class_of(ing).as_deref() == Some(class.as_str())
                })
                .map(|(iid, _)| iid.name)
                .collect();
            if !users.is_empty()
                && !sets
                    .new
                    .values()
                    .any(|v| is_ingress_controller(v) && controller_class(v) == class)
            {
                found.push(
                    id,
                    RiskKind::Downtime,
                    "",
                    format!(
                        "the ingress controller {} is removed while Ingress {} still uses class {class}: requests fail unless another controller in the cluster serves that class",
                        id.name,
                        users.join(", ")
                    ),
                );
            }
        }
        _ => {}
    }
}

fn downtime_of_restart(id: &ObjectId, new: &Value, found: &mut Findings) {
    let api = is_api_server(new);
    if !api && !is_ingress_controller(new) {
        return;
    }
    let what = if api {
        "the API server"
    } else {
        "the ingress controller"
    };
    let replicas = new
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let recreate = new.pointer("/spec/strategy/type").and_then(Value::as_str) == Some("Recreate");
    let why = if recreate {
        format!("{what} uses the Recreate strategy: its pod stops before the new one is ready, so requests fail meanwhile")
    } else if replicas <= 1 {
        format!("{what} has one replica: requests and open connections (log streams, websockets) to it fail while it is replaced")
    } else {
        return;
    };
    let path = if recreate {
        "/spec/strategy/type"
    } else {
        "/spec/replicas"
    };
    found.push(
        id,
        RiskKind::Downtime,
        path,
        format!("{why} ({} {})", id.kind, id.name),
    );
}

/// Container and pod settings that grant more than before: privileged, privilege escalation,
/// added capabilities, dropped drops, root, host namespaces, hostPath volumes.
pub fn container_privileges(
    id: &ObjectId,
    old: Option<&Value>,
    new: Option<&Value>,
    found: &mut Findings,
) {
    let Some(n) = new else { return };
    let (Some(tpl), Some(new_pod)) = (template_pointer(&id.kind), pod_spec(n)) else {
        return;
    };
    let old_pod = old.and_then(pod_spec);
    let base = format!("{tpl}/spec");
    let mut flag = |path: String, what: String| {
        found.push(
            id,
            RiskKind::Privilege,
            &path,
            format!("{}: {what}", field(n, &path)),
        );
    };
    let truthy = |v: Option<&Value>| v.and_then(Value::as_bool) == Some(true);
    for key in ["hostNetwork", "hostPID", "hostIPC"] {
        if truthy(new_pod.get(key)) && !truthy(old_pod.and_then(|p| p.get(key))) {
            flag(
                format!("{base}/{key}"),
                "the pods now share the node's namespace".into(),
            );
        }
    }
    let host_paths = |pod: Option<&Value>| -> Vec<String> {
        pod.and_then(|p| p.get("volumes"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.pointer("/hostPath/path").and_then(Value::as_str))
            .map(str::to_owned)
            .collect()
    };
    let old_host = host_paths(old_pod);
    if let Some(Value::Array(vols)) = new_pod.get("volumes") {
        for (i, v) in vols.iter().enumerate() {
            if let Some(p) = v.pointer("/hostPath/path").and_then(Value::as_str) {
                if !old_host.iter().any(|o| o == p) {
                    flag(
                        format!("{base}/volumes/{i}/hostPath"),
                        format!("mounts the node's {p}"),
                    );
                }
            }
        }
    }
    let old_containers: Vec<(String, &Value)> = old_pod.map(containers).unwrap_or_default();
    for (at, c) in containers(new_pod) {
        let cname = c.get("name").and_then(Value::as_str).unwrap_or("");
        let before = old_containers
            .iter()
            .find(|(_, oc)| oc.get("name").and_then(Value::as_str) == Some(cname))
            .map(|(_, oc)| *oc);
        let sc = |c: Option<&Value>, key: &str| {
            c.and_then(|c| c.pointer(&format!("/securityContext/{key}")))
                .cloned()
        };
        let here = |key: &str| format!("{base}{at}/securityContext/{key}");
        if truthy(sc(Some(c), "privileged").as_ref()) && !truthy(sc(before, "privileged").as_ref())
        {
            flag(
                here("privileged"),
                "the container runs privileged (full access to the node)".into(),
            );
        }
        if old.is_none() || before.is_none() {
            // A new workload or container is judged by `privileged` and host access only.
            continue;
        }
        if sc(before, "allowPrivilegeEscalation") == Some(Value::Bool(false))
            && sc(Some(c), "allowPrivilegeEscalation") != Some(Value::Bool(false))
        {
            flag(
                here("allowPrivilegeEscalation"),
                "privilege escalation is no longer refused".into(),
            );
        }
        if sc(before, "runAsNonRoot") == Some(Value::Bool(true))
            && sc(Some(c), "runAsNonRoot") != Some(Value::Bool(true))
        {
            flag(
                here("runAsNonRoot"),
                "the container may now run as root".into(),
            );
        }
        if sc(Some(c), "runAsUser") == Some(Value::from(0))
            && sc(before, "runAsUser") != Some(Value::from(0))
        {
            flag(
                here("runAsUser"),
                "the container now runs as root (uid 0)".into(),
            );
        }
        let caps = |c: Option<&Value>, list: &str| -> Vec<String> {
            sc(c, &format!("capabilities/{list}"))
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        };
        let added: Vec<String> = caps(Some(c), "add")
            .into_iter()
            .filter(|x| !caps(before, "add").contains(x))
            .collect();
        if !added.is_empty() {
            flag(
                here("capabilities/add"),
                format!("adds capabilities {}", added.join(", ")),
            );
        }
        let undropped: Vec<String> = caps(before, "drop")
            .into_iter()
            .filter(|x| !caps(Some(c), "drop").contains(x))
            .collect();
        if !undropped.is_empty() {
            flag(
                here("capabilities/drop"),
                format!("no longer drops {}", undropped.join(", ")),
            );
        }
    }
}

/// Removing a PVC (or the Namespace holding one) deletes its volume when the reclaim policy is
/// `Delete`, the default of dynamically provisioned volumes; moving the API server's state to an
/// emptyDir loses it on every restart; a smaller request can only be had by recreating.
pub fn data_loss(sets: &Sets, found: &mut Findings) {
    let old_api = api_server(&sets.old);
    let new_api = api_server(&sets.new);
    let state_claim = old_api.as_ref().and_then(|(_, a)| match state_volume(a) {
        Some((StateVolume::Claim(c), _)) => Some(c),
        _ => None,
    });
    for (id, pvc) in Sets::of_kind(&sets.old, "PersistentVolumeClaim") {
        let is_state = state_claim.as_deref() == Some(id.name.as_str());
        if let Some(new_pvc) = sets.new.get(&id) {
            let size = |v: &Value| {
                v.pointer("/spec/resources/requests/storage")
                    .and_then(Value::as_str)
                    .and_then(|s| crate::values::quantity::parse(s).ok())
            };
            if let (Some(a), Some(b)) = (size(pvc), size(new_pvc)) {
                if b < a {
                    found.push(
                        &id,
                        RiskKind::DataLoss,
                        "/spec/resources/requests/storage",
                        "spec.resources.requests.storage shrinks: Kubernetes cannot shrink a volume, only deleting and recreating the PVC would, which loses its data".into(),
                    );
                }
            }
            continue;
        }
        let what = if is_state {
            " (the API server's state: users, requests, clusters, logs)"
        } else {
            ""
        };
        let renamed = match (&new_api, is_state) {
            (Some((_, a)), true) => match state_volume(a) {
                Some((StateVolume::Claim(c), _)) if c != id.name => {
                    format!("; the API server now claims {c}, a new empty volume")
                }
                _ => String::new(),
            },
            _ => String::new(),
        };
        found.push(
            &id,
            RiskKind::DataLoss,
            "",
            format!(
                "PersistentVolumeClaim {} is removed: once it is deleted (by a prune or by hand), its volume and data{what} are gone unless the reclaim policy is Retain{renamed}",
                id.name
            ),
        );
    }
    for (id, _) in Sets::of_kind(&sets.old, "Namespace") {
        if sets.new.contains_key(&id) {
            continue;
        }
        let held: Vec<String> = Sets::of_kind(&sets.old, "PersistentVolumeClaim")
            .into_iter()
            .filter(|(p, _)| p.namespace == id.name)
            .map(|(p, _)| p.name)
            .collect();
        if !held.is_empty() {
            found.push(
                &id,
                RiskKind::DataLoss,
                "",
                format!(
                    "Namespace {} is removed: deleting it deletes PersistentVolumeClaim {} with their data",
                    id.name,
                    held.join(", ")
                ),
            );
        }
    }
    if let (Some((_, o)), Some((nid, n))) = (&old_api, &new_api) {
        if let (Some((StateVolume::Claim(c), _)), Some((StateVolume::EmptyDir, at))) =
            (state_volume(o), state_volume(n))
        {
            found.push(
                nid,
                RiskKind::DataLoss,
                &at,
                format!(
                    "{}: ~/.sky moves from PersistentVolumeClaim {c} to an emptyDir: the new pod starts without the state, and loses it again on every restart",
                    field(n, &at)
                ),
            );
        }
    }
}

/// The API server copies its config ConfigMap to `~/.sky/config.yaml` only while that file is
/// empty on the state volume (and writes the volume's copy back on start), so a changed
/// ConfigMap does not reach a server that already has state.
pub fn config_not_applied(sets: &Sets, found: &mut Findings) {
    let Some((api_id, api)) = api_server(&sets.new) else {
        return;
    };
    let Some(cm_name) = config_map(api) else {
        return;
    };
    let cm_id = ObjectId {
        group: String::new(),
        kind: "ConfigMap".into(),
        namespace: api_id.namespace.clone(),
        name: cm_name,
    };
    let (Some(old_cm), Some(new_cm)) = (sets.old.get(&cm_id), sets.new.get(&cm_id)) else {
        return;
    };
    if old_cm.get("data") == new_cm.get("data") {
        return;
    }
    let restarted = sets
        .old
        .get(&api_id)
        .is_some_and(|o| o.pointer("/spec/template") != api.pointer("/spec/template"));
    if restarted && matches!(state_volume(api), Some((StateVolume::EmptyDir, _))) {
        // The state is on an emptyDir and the pod is replaced: it seeds from the new ConfigMap.
        return;
    }
    let at = first_change(old_cm, new_cm, "/data");
    found.push(
        &cm_id,
        RiskKind::ConfigNotApplied,
        &at,
        format!(
            "{} changed, but {} keeps ~/.sky/config.yaml on its state volume and copies this ConfigMap only when that file is empty (on start it writes its own copy back here): to apply, edit the config in the SkyPilot dashboard, or write it into the pod (`kubectl exec -i -n {} deploy/{} -c skypilot-api -- sh -c 'cat > /root/.sky/config.yaml' < config.yaml`) and `kubectl rollout restart`",
            field(new_cm, &at),
            api_id.name,
            api_id.namespace,
            api_id.name,
        ),
    );
}
