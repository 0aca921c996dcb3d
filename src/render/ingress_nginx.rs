//! Facts for the bundled ingress-nginx controller (the subchart ingress-nginx 4.11.8, controller
//! v1.11.8): object names, labels, the image, the merged controller config and the legacy
//! NodePort Service. Computed once here so `templates/ingress-nginx/*.yaml` only decide
//! structure. Helm's own labels (`helm.sh/chart`, `app.kubernetes.io/managed-by`) and hook
//! annotations are deliberately absent: see docs/ingress-nginx.md.

use serde_json::{json, Map, Value};

use crate::values::merge::deep_merge;
use crate::values::model::{IntOrPercent, NginxController, NginxKind, ServiceType};
use crate::values::resolve::{Release, NGINX_CHART_NAME as CHART_NAME};
use crate::values::rules::non_empty;
use crate::values::Validated;

/// The subchart's `appVersion`: its `app.kubernetes.io/version` label, whatever image runs.
const APP_VERSION: &str = "1.11.8";
/// The ingress-nginx chart version the upstream chart depends on (its Chart.yaml).
pub const CHART_VERSION: &str = "4.11.8";
/// The controller image tag of the defaults (`ingress-nginx.controller.image.tag`).
pub const CONTROLLER_TAG: &str = "v1.11.8";
/// The image of the admission certificate Jobs (not configurable, as in the chart's defaults).
pub const CERTGEN_IMAGE: &str = "registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.6.0@sha256:c9f76a75fd00e975416ea1b73300efd413116de0de8570346ed90766c5b5cefb";
/// Node ports of the legacy Service when `ingress.httpNodePort`/`httpsNodePort` are not set.
pub const LEGACY_HTTP_NODE_PORT: i64 = 30050;
pub const LEGACY_HTTPS_NODE_PORT: i64 = 30051;

/// Write a config value as the chart does (`toString`, then quoted): text as is, numbers and
/// booleans in their plain spelling.
fn config_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn labels(release: &Release, component: Option<&str>) -> Value {
    let mut m = Map::new();
    m.insert("app.kubernetes.io/name".into(), json!(CHART_NAME));
    m.insert("app.kubernetes.io/instance".into(), json!(release.name));
    m.insert("app.kubernetes.io/version".into(), json!(APP_VERSION));
    m.insert("app.kubernetes.io/part-of".into(), json!(CHART_NAME));
    if let Some(c) = component {
        m.insert("app.kubernetes.io/component".into(), json!(c));
    }
    Value::Object(m)
}

/// `controller.extraArgs` as flags, in key order (Helm ranges over a map sorted by key): an
/// empty value is a bare `--name`, anything else `--name=value`.
fn extra_args(c: &NginxController) -> Vec<String> {
    let mut keys: Vec<&String> = c.extra_args.keys().collect();
    keys.sort();
    keys.into_iter()
        .filter_map(|k| {
            let val = &c.extra_args[k];
            match val {
                Value::Null => None,
                Value::String(s) if s.is_empty() => Some(format!("--{k}")),
                other => Some(format!("--{k}={}", config_text(other))),
            }
        })
        .collect()
}

/// The workload's scaling objects, as the subchart renders them: `replicas` unless an HPA owns
/// it, a PodDisruptionBudget when more than one pod must stay (Deployment only: a DaemonSet's
/// pods are one per node), and the HPA itself.
fn scaling(c: &NginxController) -> Value {
    let deployment = c.kind == NginxKind::Deployment;
    let a = &c.autoscaling;
    let hpa = deployment && a.enabled;
    let least = if hpa { a.min_replicas } else { c.replica_count };
    let min_available = c.min_available.as_ref().filter(|m| match m {
        IntOrPercent::Int(n) => *n != 0,
        IntOrPercent::Percent(p) => !p.is_empty(),
    });
    // Memory first, then CPU, as the subchart lists them; 0 or null leaves a metric out.
    let mut metrics = Vec::new();
    for (name, target) in [
        ("memory", a.target_memory_utilization_percentage),
        ("cpu", a.target_cpu_utilization_percentage),
    ] {
        if let Some(t) = target.filter(|t| *t != 0) {
            metrics.push(json!({
                "type": "Resource",
                "resource": {"name": name, "target": {"type": "Utilization", "averageUtilization": t}},
            }));
        }
    }
    json!({
        "replicas": (deployment && !hpa).then_some(c.replica_count),
        "pdb": (deployment && least > 1).then(|| json!({"min_available": min_available})),
        "hpa": hpa.then(|| json!({
            "min": a.min_replicas,
            "max": a.max_replicas,
            "metrics": metrics,
            "behavior": Some(&a.behavior).filter(|b| !b.is_empty()),
        })),
    })
}

/// Everything the ingress-nginx templates need, under the context key `nginx`.
pub fn facts(validated: &Validated) -> Value {
    let v = validated.values();
    let release = validated.release();
    let names = &validated.resolved().nginx_names;
    let n = &v.ingress_nginx;
    let c = &n.controller;

    let img = &c.image;
    let mut image = format!("{}/{}:{}", img.registry, img.image, img.tag);
    if let Some(d) = non_empty(&img.digest) {
        image.push('@');
        image.push_str(d);
    }

    // The ConfigMap: the snippet switch first, then `controller.config` (which wins on a clash).
    let mut config = Map::new();
    config.insert(
        "allow-snippet-annotations".into(),
        json!(c.allow_snippet_annotations.to_string()),
    );
    for (k, val) in &c.config {
        if !val.is_null() {
            config.insert(k.clone(), json!(config_text(val)));
        }
    }

    // The subchart's defaults, with the user's maps merged over them.
    let mut resources = json!({"requests": {"cpu": "100m", "memory": "90Mi"}});
    if let Some(r) = &c.resources {
        deep_merge(&mut resources, Value::Object(r.clone()));
    }
    let mut node_selector = json!({"kubernetes.io/os": "linux"});
    if let Some(ns) = &c.node_selector {
        deep_merge(&mut node_selector, Value::Object(ns.0.clone()));
    }
    let tolerations = c.tolerations.clone().filter(|t| !t.is_empty());
    let affinity = c.affinity.clone().filter(|a| !a.is_empty());

    let s = &c.service;
    let set_node_ports = matches!(
        s.service_type,
        ServiceType::NodePort | ServiceType::LoadBalancer
    );
    let annotations = s
        .annotations
        .as_ref()
        .map(|a| a.0.clone())
        .unwrap_or_default();

    let legacy = validated.resolved().legacy_node_port.then(|| {
        json!({
            "name": names.legacy_node_port,
            "http": v.ingress.http_node_port.unwrap_or(LEGACY_HTTP_NODE_PORT),
            "https": v.ingress.https_node_port.unwrap_or(LEGACY_HTTPS_NODE_PORT),
        })
    });

    json!({
        "enabled": n.enabled,
        "webhooks": c.admission_webhooks.enabled,
        "names": names,
        "labels": {
            "base": labels(release, None),
            "controller": labels(release, Some("controller")),
            "admission": labels(release, Some("admission-webhook")),
        },
        "selector": {
            "app.kubernetes.io/name": CHART_NAME,
            "app.kubernetes.io/instance": release.name,
            "app.kubernetes.io/component": "controller",
        },
        "image": image,
        "certgen_image": CERTGEN_IMAGE,
        "kind": c.kind,
        "scaling": scaling(c),
        "pod_annotations": c.pod_annotations.as_ref().map(|a| a.0.clone()).filter(|a| !a.is_empty()),
        "extra_args": extra_args(c),
        "metrics": c.metrics.enabled,
        "config": config,
        "resources": resources,
        "node_selector": node_selector,
        "tolerations": tolerations,
        "affinity": affinity,
        "service": {
            "type": s.service_type,
            "annotations": annotations,
            "load_balancer_ip": non_empty(&s.load_balancer_ip),
            "source_ranges": s.load_balancer_source_ranges.clone().filter(|r| !r.is_empty()),
            "external_traffic_policy": s.external_traffic_policy,
            "node_port_http": s.node_ports.http.as_ref().and_then(|p| p.port()).filter(|_| set_node_ports),
            "node_port_https": s.node_ports.https.as_ref().and_then(|p| p.port()).filter(|_| set_node_ports),
        },
        "class": {
            "name": c.ingress_class_resource.name,
            "default": c.ingress_class_resource.default,
            "controller_value": c.ingress_class_resource.controller_value,
        },
        "legacy_node_port": legacy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_values_are_written_like_helm_to_string() {
        assert_eq!(config_text(&json!(5)), "5");
        assert_eq!(config_text(&json!(1000.0)), "1000");
        assert_eq!(config_text(&json!(0.5)), "0.5");
        assert_eq!(config_text(&json!(true)), "true");
        assert_eq!(config_text(&json!("x")), "x");
    }
}
