//! Facts for the bundled ingress-nginx controller (the subchart ingress-nginx 4.11.8, controller
//! v1.11.8): object names, labels, the image, the merged controller config and the legacy
//! NodePort Service. Computed once here so `templates/ingress-nginx/*.yaml` only decide
//! structure. Helm's own labels (`helm.sh/chart`, `app.kubernetes.io/managed-by`) and hook
//! annotations are deliberately absent: see docs/ingress-nginx.md.

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::values::merge::deep_merge;
use crate::values::model::{
    IntOrPercent, KubeObject, NginxController, NginxKind, NodePort, ServiceType, TrafficPolicy,
};
use crate::values::resolve::{NginxNames, Release, NGINX_CHART_NAME as CHART_NAME};
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

/// The subchart's common labels (`ingress-nginx.labels`), with the component when it has one.
#[derive(Serialize)]
pub struct Labels<'a> {
    #[serde(rename = "app.kubernetes.io/name")]
    pub name: &'static str,
    #[serde(rename = "app.kubernetes.io/instance")]
    pub instance: &'a str,
    #[serde(rename = "app.kubernetes.io/version")]
    pub version: &'static str,
    #[serde(rename = "app.kubernetes.io/part-of")]
    pub part_of: &'static str,
    #[serde(
        rename = "app.kubernetes.io/component",
        skip_serializing_if = "Option::is_none"
    )]
    pub component: Option<&'static str>,
}

fn labels<'a>(release: &'a Release, component: Option<&'static str>) -> Labels<'a> {
    Labels {
        name: CHART_NAME,
        instance: &release.name,
        version: APP_VERSION,
        part_of: CHART_NAME,
        component,
    }
}

/// The labels of each kind of object.
#[derive(Serialize)]
pub struct LabelSets<'a> {
    pub base: Labels<'a>,
    pub controller: Labels<'a>,
    pub admission: Labels<'a>,
}

/// The controller pods' selector (`ingress-nginx.selectorLabels` of the controller).
#[derive(Serialize)]
pub struct Selector<'a> {
    #[serde(rename = "app.kubernetes.io/name")]
    pub name: &'static str,
    #[serde(rename = "app.kubernetes.io/instance")]
    pub instance: &'a str,
    #[serde(rename = "app.kubernetes.io/component")]
    pub component: &'static str,
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

/// The workload's scaling objects, as the subchart renders them.
#[derive(Serialize)]
pub struct Scaling<'a> {
    /// `replicas` of the Deployment, unless an HPA owns it (or it is a DaemonSet).
    pub replicas: Option<i64>,
    /// A PodDisruptionBudget, when more than one pod must stay (Deployment only: a DaemonSet's
    /// pods are one per node).
    pub pdb: Option<Pdb<'a>>,
    pub hpa: Option<Hpa<'a>>,
}

#[derive(Serialize)]
pub struct Pdb<'a> {
    /// `minAvailable`; `None` when unset, 0 or empty.
    pub min_available: Option<&'a IntOrPercent>,
}

/// The HorizontalPodAutoscaler.
#[derive(Serialize)]
pub struct Hpa<'a> {
    pub min: i64,
    pub max: i64,
    /// `spec.metrics`, written as is.
    pub metrics: Vec<ResourceMetric>,
    pub behavior: Option<&'a KubeObject>,
}

/// One `spec.metrics` entry of an HPA (autoscaling/v2 `MetricSpec` of type `Resource`): average
/// utilization of a resource.
#[derive(Serialize)]
pub struct ResourceMetric {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub resource: MetricResource,
}

#[derive(Serialize)]
pub struct MetricResource {
    pub name: &'static str,
    pub target: MetricTarget,
}

#[derive(Serialize)]
pub struct MetricTarget {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(rename = "averageUtilization")]
    pub average_utilization: i64,
}

fn scaling(c: &NginxController) -> Scaling<'_> {
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
            metrics.push(ResourceMetric {
                kind: "Resource",
                resource: MetricResource {
                    name,
                    target: MetricTarget {
                        kind: "Utilization",
                        average_utilization: t,
                    },
                },
            });
        }
    }
    Scaling {
        replicas: (deployment && !hpa).then_some(c.replica_count),
        pdb: (deployment && least > 1).then_some(Pdb { min_available }),
        hpa: hpa.then(|| Hpa {
            min: a.min_replicas,
            max: a.max_replicas,
            metrics,
            behavior: Some(&a.behavior).filter(|b| !b.is_empty()),
        }),
    }
}

/// The controller Service.
#[derive(Serialize)]
pub struct Service<'a> {
    #[serde(rename = "type")]
    pub service_type: ServiceType,
    pub annotations: KubeObject,
    pub load_balancer_ip: Option<&'a str>,
    pub source_ranges: Option<&'a Vec<String>>,
    pub external_traffic_policy: Option<TrafficPolicy>,
    /// Fixed node ports, only for a NodePort or LoadBalancer Service.
    pub node_port_http: Option<i64>,
    pub node_port_https: Option<i64>,
}

/// The IngressClass.
#[derive(Serialize)]
pub struct Class<'a> {
    pub name: &'a str,
    pub default: bool,
    pub controller_value: &'a str,
}

/// The legacy NodePort Service of `ingress.nodePortEnabled`.
#[derive(Serialize)]
pub struct LegacyNodePort<'a> {
    pub name: &'a str,
    pub http: i64,
    pub https: i64,
}

/// Everything the ingress-nginx templates need, under the context key `nginx`.
#[derive(Serialize)]
pub struct Nginx<'a> {
    pub enabled: bool,
    /// The admission webhook and its certificate Jobs.
    pub webhooks: bool,
    pub names: &'a NginxNames,
    pub labels: LabelSets<'a>,
    pub selector: Selector<'a>,
    /// The controller image, with its digest if set.
    pub image: String,
    pub certgen_image: &'static str,
    pub kind: NginxKind,
    pub scaling: Scaling<'a>,
    pub pod_annotations: Option<&'a KubeObject>,
    pub extra_args: Vec<String>,
    pub metrics: bool,
    /// The controller ConfigMap's data.
    pub config: Map<String, Value>,
    /// The subchart's default requests with the user's `resources` merged over them.
    pub resources: Value,
    /// `kubernetes.io/os: linux` with the user's `nodeSelector` merged over it.
    pub node_selector: Value,
    pub tolerations: Option<&'a Vec<KubeObject>>,
    pub affinity: Option<&'a KubeObject>,
    pub service: Service<'a>,
    pub class: Class<'a>,
    pub legacy_node_port: Option<LegacyNodePort<'a>>,
}

/// The facts of the bundled controller for one validated release.
pub fn facts(validated: &Validated) -> Nginx<'_> {
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
        Value::String(c.allow_snippet_annotations.to_string()),
    );
    for (k, val) in &c.config {
        if !val.is_null() {
            config.insert(k.clone(), Value::String(config_text(val)));
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

    let s = &c.service;
    let set_node_ports = matches!(
        s.service_type,
        ServiceType::NodePort | ServiceType::LoadBalancer
    );
    let node_port = |p: &Option<NodePort>| {
        p.as_ref()
            .and_then(NodePort::port)
            .filter(|_| set_node_ports)
    };

    Nginx {
        enabled: n.enabled,
        webhooks: c.admission_webhooks.enabled,
        names,
        labels: LabelSets {
            base: labels(release, None),
            controller: labels(release, Some("controller")),
            admission: labels(release, Some("admission-webhook")),
        },
        selector: Selector {
            name: CHART_NAME,
            instance: &release.name,
            component: "controller",
        },
        image,
        certgen_image: CERTGEN_IMAGE,
        kind: c.kind,
        scaling: scaling(c),
        pod_annotations: c
            .pod_annotations
            .as_ref()
            .map(|a| &a.0)
            .filter(|a| !a.is_empty()),
        extra_args: extra_args(c),
        metrics: c.metrics.enabled,
        config,
        resources,
        node_selector,
        tolerations: c.tolerations.as_ref().filter(|t| !t.is_empty()),
        affinity: c.affinity.as_ref().filter(|a| !a.is_empty()),
        service: Service {
            service_type: s.service_type,
            annotations: s
                .annotations
                .as_ref()
                .map(|a| a.0.clone())
                .unwrap_or_default(),
            load_balancer_ip: non_empty(&s.load_balancer_ip),
            source_ranges: s
                .load_balancer_source_ranges
                .as_ref()
                .filter(|r| !r.is_empty()),
            external_traffic_policy: s.external_traffic_policy,
            node_port_http: node_port(&s.node_ports.http),
            node_port_https: node_port(&s.node_ports.https),
        },
        class: Class {
            name: &c.ingress_class_resource.name,
            default: c.ingress_class_resource.default,
            controller_value: &c.ingress_class_resource.controller_value,
        },
        legacy_node_port: validated
            .resolved()
            .legacy_node_port
            .then(|| LegacyNodePort {
                name: &names.legacy_node_port,
                http: v.ingress.http_node_port.unwrap_or(LEGACY_HTTP_NODE_PORT),
                https: v.ingress.https_node_port.unwrap_or(LEGACY_HTTPS_NODE_PORT),
            }),
    }
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
