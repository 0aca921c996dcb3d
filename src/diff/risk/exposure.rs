//! `exposure` and `logout`: what stands between the network and the API server.
//!
//! - Ingress: nginx's auth annotations (`auth-type` with `auth-secret`, `auth-url`) protect only
//!   when ingress-nginx serves the Ingress's class (known from the IngressClass's
//!   `spec.controller`, else from the class name; no class: the default IngressClass), so dropping an annotation or moving the class to
//!   another controller (traefik ignores `nginx.ingress.kubernetes.io/*`) removes authentication.
//!   A renamed Ingress is compared with the removed one that served the same hosts and paths;
//!   one without such a counterpart is newly exposed.
//! - Service: ClusterIP → NodePort → LoadBalancer widens who can connect; so does dropping
//!   `loadBalancerSourceRanges`.
//! - The API server's own auth: `--enable-basic-auth`, OAuth (`SKYPILOT_AUTH_OAUTH2_PROXY_ENABLED`),
//!   the external-proxy config mounted at `~/.sky/.server.yaml`.
//! - `logout`: oauth2-proxy's `OAUTH2_PROXY_COOKIE_SECRET` (its value, or the Secret key it comes
//!   from and that key's data when the Secret is in the set) changes: existing cookies no longer
//!   decrypt.

use std::collections::BTreeSet;

use serde_json::Value;

use super::workload::{api_server, containers, pod_spec, template_pointer};
use super::{field, ptr, Findings, RiskKind, Sets};
use crate::manifest::ObjectId;

const NGINX: &str = "nginx.ingress.kubernetes.io/";

/// The ingress class of an Ingress (`spec.ingressClassName`, or the legacy annotation).
pub fn class_of(ing: &Value) -> Option<String> {
    ing.pointer("/spec/ingressClassName")
        .or_else(|| ing.pointer("/metadata/annotations/kubernetes.io~1ingress.class"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Does ingress-nginx serve `class`? The IngressClass of that name decides when either side has
/// it; otherwise the name does.
fn nginx_serves(sets: &Sets, class: Option<&str>) -> bool {
    let Some(class) = class else {
        // No class: the cluster's default IngressClass serves it, if one of the sides has it.
        return Sets::of_kind(&sets.new, "IngressClass")
            .into_iter()
            .chain(Sets::of_kind(&sets.old, "IngressClass"))
            .any(|(_, ic)| {
                ic.pointer("/metadata/annotations/ingressclass.kubernetes.io~1is-default-class")
                    .and_then(Value::as_str)
                    == Some("true")
                    && ic.pointer("/spec/controller").and_then(Value::as_str)
                        == Some("k8s.io/ingress-nginx")
            });
    };
    let id = ObjectId {
        group: "networking.k8s.io".into(),
        kind: "IngressClass".into(),
        namespace: String::new(),
        name: class.into(),
    };
    match sets.new.get(&id).or_else(|| sets.old.get(&id)) {
        Some(ic) => {
            ic.pointer("/spec/controller").and_then(Value::as_str) == Some("k8s.io/ingress-nginx")
        }
        None => class.contains("nginx"),
    }
}

/// The authentication an Ingress gets from ingress-nginx: (what, pointer of its annotation).
fn mechanisms(sets: &Sets, ing: &Value) -> Vec<(&'static str, String)> {
    if !nginx_serves(sets, class_of(ing).as_deref()) {
        return vec![];
    }
    let ann = |k: &str| {
        ing.pointer("/metadata/annotations")
            .and_then(|a| a.get(format!("{NGINX}{k}")))
            .and_then(Value::as_str)
    };
    let at = |k: &str| ptr("/metadata/annotations", &format!("{NGINX}{k}"));
    let mut out = vec![];
    if matches!(ann("auth-type"), Some("basic" | "digest")) && ann("auth-secret").is_some() {
        out.push(("basic auth", at("auth-type")));
    }
    if ann("auth-url").is_some() {
        out.push(("external auth (auth-url)", at("auth-url")));
    }
    out
}

/// The (host, path) pairs an Ingress routes; no host means every host.
pub fn ingress_paths(ing: &Value) -> Vec<(Option<String>, String)> {
    let mut out = vec![];
    let rules = ing.pointer("/spec/rules").and_then(Value::as_array);
    for rule in rules.into_iter().flatten() {
        let host = rule.get("host").and_then(Value::as_str).map(str::to_owned);
        let paths = rule.pointer("/http/paths").and_then(Value::as_array);
        for p in paths.into_iter().flatten() {
            let path = p.get("path").and_then(Value::as_str).unwrap_or("/");
            out.push((host.clone(), path.to_owned()));
        }
    }
    out
}

fn routes(ing: &Value) -> BTreeSet<(Option<String>, String)> {
    ingress_paths(ing).into_iter().collect()
}

pub fn ingresses(sets: &Sets, found: &mut Findings) {
    let removed: Vec<(ObjectId, &Value)> = Sets::of_kind(&sets.old, "Ingress")
        .into_iter()
        .filter(|(id, _)| !sets.new.contains_key(id))
        .collect();
    for (id, n) in Sets::of_kind(&sets.new, "Ingress") {
        let counterpart = sets.old.get(&id).copied().or_else(|| {
            removed
                .iter()
                .find(|(_, o)| routes(o) == routes(n))
                .map(|(_, o)| *o)
        });
        let now = mechanisms(sets, n);
        let Some(o) = counterpart else {
            let auth = match now.first() {
                Some((what, _)) => format!("with {what}"),
                None => "without authentication at the ingress".into(),
            };
            let hosts: Vec<String> = routes(n)
                .iter()
                .map(|(h, p)| format!("{}{p}", h.as_deref().unwrap_or("*")))
                .collect();
            found.push(
                &id,
                RiskKind::Exposure,
                "",
                format!(
                    "Ingress {} is new: it serves {} from outside the cluster, {auth}",
                    id.name,
                    hosts.join(", ")
                ),
            );
            continue;
        };
        let class_now = class_of(n);
        for (what, at) in mechanisms(sets, o) {
            if now.iter().any(|(w, _)| *w == what) {
                continue;
            }
            let message = if !nginx_serves(sets, class_now.as_deref()) && n.pointer(&at).is_some() {
                format!(
                    "spec.ingressClassName {}: the {NGINX}* annotations are read by ingress-nginx, so unless this class's controller reads them too, {what} no longer applies and the API server is reachable without it",
                    class_now.as_deref().unwrap_or("(none)")
                )
            } else {
                format!("{}: {what} is removed from Ingress {}, so the API server is reachable without it", field(o, &at), id.name)
            };
            let path = if n.pointer(&at).is_some() {
                "/spec/ingressClassName".to_owned()
            } else {
                at
            };
            found.push(&id, RiskKind::Exposure, &path, message);
        }
    }
}

/// How widely a Service type listens: cluster only, every node, a cloud load balancer.
fn reach(svc: &Value) -> u8 {
    match svc.pointer("/spec/type").and_then(Value::as_str) {
        Some("NodePort") => 1,
        Some("LoadBalancer") => 2,
        _ => 0,
    }
}

pub fn services(sets: &Sets, found: &mut Findings) {
    let removed_reach = Sets::of_kind(&sets.old, "Service")
        .into_iter()
        .filter(|(id, _)| !sets.new.contains_key(id))
        .map(|(_, v)| reach(v))
        .max()
        .unwrap_or(0);
    for (id, n) in Sets::of_kind(&sets.new, "Service") {
        let ty = n
            .pointer("/spec/type")
            .and_then(Value::as_str)
            .unwrap_or("ClusterIP");
        match sets.old.get(&id) {
            Some(o) => {
                if reach(n) > reach(o) {
                    found.push(
                        &id,
                        RiskKind::Exposure,
                        "/spec/type",
                        format!(
                            "spec.type becomes {ty}: Service {} is now reachable {}",
                            id.name,
                            if ty == "LoadBalancer" {
                                "through a load balancer, usually from the internet"
                            } else {
                                "on a port of every node"
                            }
                        ),
                    );
                }
                let ranges = |v: &Value| -> Vec<String> {
                    v.pointer("/spec/loadBalancerSourceRanges")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                };
                let (before, after) = (ranges(o), ranges(n));
                if reach(n) == 2
                    && !before.is_empty()
                    && (after.is_empty() || after.iter().any(|r| !before.contains(r)))
                {
                    found.push(
                        &id,
                        RiskKind::Exposure,
                        "/spec/loadBalancerSourceRanges",
                        format!(
                            "spec.loadBalancerSourceRanges widens from {} to {}",
                            before.join(", "),
                            if after.is_empty() {
                                "anywhere".into()
                            } else {
                                after.join(", ")
                            }
                        ),
                    );
                }
            }
            None if reach(n) > removed_reach => found.push(
                &id,
                RiskKind::Exposure,
                "/spec/type",
                format!(
                    "Service {} of type {ty} is new: reachable from outside the cluster",
                    id.name
                ),
            ),
            None => {}
        }
    }
}

/// The API server's own authentication: (what, pointer below the main container).
fn server_mechanisms(api: &Value) -> Vec<(&'static str, String)> {
    let Some(pod) = pod_spec(api) else {
        return vec![];
    };
    let tpl = template_pointer("Deployment").expect("Deployment has a template");
    let mut out = vec![];
    for (at, c) in containers(pod) {
        let args = c
            .get("args")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str);
        if args
            .clone()
            .any(|a| a.contains("sky api start") && a.contains("--enable-basic-auth"))
        {
            out.push((
                "the server's basic auth (--enable-basic-auth)",
                format!("{tpl}/spec{at}/args"),
            ));
        }
        let env = c.get("env").and_then(Value::as_array).into_iter().flatten();
        if env.clone().any(|e| {
            e.get("name").and_then(Value::as_str) == Some("SKYPILOT_AUTH_OAUTH2_PROXY_ENABLED")
                && e.get("value").and_then(Value::as_str) == Some("true")
        }) {
            out.push((
                "OAuth on the API server (auth.oauth)",
                format!("{tpl}/spec{at}/env"),
            ));
        }
        let mounts = c
            .get("volumeMounts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        if mounts
            .clone()
            .any(|m| m.get("mountPath").and_then(Value::as_str) == Some("/root/.sky/.server.yaml"))
        {
            out.push((
                "the external auth proxy config (auth.externalProxy)",
                format!("{tpl}/spec{at}/volumeMounts"),
            ));
        }
    }
    out
}

pub fn server_auth(sets: &Sets, found: &mut Findings) {
    let (Some((_, o)), Some((id, n))) = (api_server(&sets.old), api_server(&sets.new)) else {
        return;
    };
    let now = server_mechanisms(n);
    for (what, at) in server_mechanisms(o) {
        if !now.iter().any(|(w, _)| *w == what) {
            let path = if n.pointer(&at).is_some() {
                at
            } else {
                String::new()
            };
            found.push(
                &id,
                RiskKind::Exposure,
                &path,
                format!("{what} is turned off: the API server no longer asks for it"),
            );
        }
    }
}

/// Where oauth2-proxy's cookie secret comes from, in one side: the owner, the pointer of the
/// env entry, a description, and what decides the secret (the value or the Secret's data).
fn cookie_source(
    side: &std::collections::BTreeMap<ObjectId, &Value>,
) -> Option<(ObjectId, String, String, Value)> {
    for (id, obj) in side {
        let (Some(tpl), Some(pod)) = (template_pointer(&id.kind), pod_spec(obj)) else {
            continue;
        };
        for (at, c) in containers(pod) {
            let env = c
                .get("env")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate();
            for (i, e) in env {
                if e.get("name").and_then(Value::as_str) != Some("OAUTH2_PROXY_COOKIE_SECRET") {
                    continue;
                }
                let pointer = format!("{tpl}/spec{at}/env/{i}");
                if let Some(r) = e.pointer("/valueFrom/secretKeyRef") {
                    let sname = r.get("name").and_then(Value::as_str).unwrap_or("");
                    let key = r.get("key").and_then(Value::as_str).unwrap_or("");
                    let sid = ObjectId {
                        group: String::new(),
                        kind: "Secret".into(),
                        namespace: id.namespace.clone(),
                        name: sname.into(),
                    };
                    let data = side.get(&sid).map(|s| {
                        s.pointer(&format!("/data/{}", crate::pointer::escape(key)))
                            .or_else(|| {
                                s.pointer(&format!("/stringData/{}", crate::pointer::escape(key)))
                            })
                            .cloned()
                            .unwrap_or(Value::Null)
                    });
                    let decided = serde_json::json!({"secret": sname, "key": key, "data": data});
                    return Some((
                        id.clone(),
                        pointer,
                        format!("key {key} of Secret {sname}"),
                        decided,
                    ));
                }
                let decided = e.get("value").cloned().unwrap_or(Value::Null);
                return Some((
                    id.clone(),
                    pointer,
                    "a value in the Deployment".into(),
                    decided,
                ));
            }
        }
    }
    None
}

pub fn logout(sets: &Sets, found: &mut Findings) {
    let (Some((_, _, was, before)), Some((id, at, now, after))) =
        (cookie_source(&sets.old), cookie_source(&sets.new))
    else {
        return;
    };
    if before == after {
        return;
    }
    let same_ref = was == now && after.get("secret").is_some();
    // The env entry is the same: the Secret's data changed, so the Secret carries the risk.
    let (owner, path) = if same_ref {
        let name = after
            .get("secret")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        (
            ObjectId {
                group: String::new(),
                kind: "Secret".into(),
                namespace: id.namespace.clone(),
                name,
            },
            "/data".to_owned(),
        )
    } else {
        (id.clone(), at)
    };
    let how = if same_ref {
        format!("{now} changes")
    } else if was == now {
        "its value changes".to_owned()
    } else {
        format!("its source changes from {was} to {now}")
    };
    found.push(
        &owner,
        RiskKind::Logout,
        &path,
        format!("OAUTH2_PROXY_COOKIE_SECRET of {}: {how}, so existing session cookies no longer decrypt and every user logs in again", id.name),
    );
}
