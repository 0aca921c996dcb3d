//! Facts for the existing-stack monitoring mode (`monitoring.*`, skygen's own keys; #14): the
//! PodMonitor that lets a Prometheus Operator scrape the API server, skygen's dashboards as
//! ConfigMaps for an existing Grafana's sidecar, and the NetworkPolicy that keeps the
//! unauthenticated metrics port to the monitoring namespace. `templates/skypilot/monitoring.yaml`
//! only decides structure. The bundled stack (`prometheus.*`, `grafana.*`) is rendered elsewhere;
//! the values rules keep the two modes apart.
//!
//! Why a PodMonitor and not a ServiceMonitor: the API pods already carry the label to select
//! (`app: <fullname>-api`) and the named container port `metrics`, while the API Service has no
//! labels in the chart (adding some would be a difference from the chart for every user). Its
//! `podTargetLabels` keep the pod's `app` label, which every API server panel filters on.
//! See docs/monitoring.md.

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::dashboards::DASHBOARDS;
use crate::values::model::{FederatedScrape, KubeObject};
use crate::values::monitoring::{dashboards_on, network_policy_on, SERVER_METRICS_PORT};
use crate::values::Validated;

/// The API server's own port (the Service's port 80 targets it).
pub const API_PORT: i64 = 46580;

/// What `templates/skypilot/monitoring.yaml` reads, under the context key `monitoring`.
#[derive(Serialize)]
pub struct Monitoring<'a> {
    pub pod_monitor: Option<PodMonitor<'a>>,
    pub dashboards: Vec<DashboardMap<'a>>,
    pub network_policy: Option<NetworkPolicy>,
}

#[derive(Serialize)]
pub struct PodMonitor<'a> {
    /// `<fullname>-api`, the name the chart's unmerged ServiceMonitor uses.
    pub name: String,
    pub labels: Option<&'a KubeObject>,
    /// `podMetricsEndpoints`, in the order `/metrics`, `/gpu-metrics`, `/endpoints-metrics`.
    pub endpoints: Vec<Value>,
}

/// One dashboard ConfigMap.
#[derive(Serialize)]
pub struct DashboardMap<'a> {
    pub name: String,
    pub namespace: &'a str,
    pub labels: Map<String, Value>,
    pub annotations: Option<&'a KubeObject>,
    pub key: &'static str,
    pub json: &'static str,
}

#[derive(Serialize)]
pub struct NetworkPolicy {
    pub name: String,
    pub metrics_port: i64,
    pub api_port: i64,
    /// One `from` peer: the namespaces, and the pods in them if a pod selector is set.
    pub from: Value,
}

/// A federated endpoint: its labels are the remote series' own (`honorLabels`), and it is
/// scraped less often than `/metrics` because the server asks every Kubernetes context.
fn federated(path: &str, f: &FederatedScrape) -> Value {
    let mut e = json!({
        "port": "metrics",
        "path": path,
        "interval": f.interval,
        "scrapeTimeout": f.scrape_timeout,
        "honorLabels": true,
    });
    if path == "/gpu-metrics" {
        // As the chart's scrape job: series without a `node` label take it from `Hostname`
        // (the label DCGM exporters set), so the node panels group every GPU.
        e["metricRelabelings"] = json!([{
            "action": "replace",
            "sourceLabels": ["node", "Hostname"],
            "regex": ";(.+)",
            "targetLabel": "node",
            "replacement": "$1",
        }]);
    }
    e
}

/// The facts for one validated release.
pub fn facts(validated: &Validated) -> Monitoring<'_> {
    let v = validated.values();
    let names = &validated.resolved().names;
    let namespace = validated.release().namespace.as_str();
    let m = &v.monitoring;
    let sm = &m.service_monitor;
    let pod_monitor = sm.enabled.then(|| {
        let mut main = json!({"port": "metrics", "path": "/metrics"});
        if let Some(i) = &sm.interval {
            main["interval"] = json!(i);
        }
        if let Some(t) = &sm.scrape_timeout {
            main["scrapeTimeout"] = json!(t);
        }
        let mut endpoints = vec![main];
        if sm.gpu_metrics.enabled {
            endpoints.push(federated("/gpu-metrics", &sm.gpu_metrics));
        }
        if sm.endpoints_metrics.enabled {
            endpoints.push(federated("/endpoints-metrics", &sm.endpoints_metrics));
        }
        PodMonitor {
            name: format!("{}-api", names.fullname),
            labels: sm.labels.as_ref().map(|l| &l.0).filter(|l| !l.is_empty()),
            endpoints,
        }
    });
    let dashboards = if dashboards_on(v) {
        let d = &m.dashboards;
        let mut labels = Map::new();
        labels.insert("app".into(), json!(names.api_app));
        labels.insert(d.label.clone(), json!(d.label_value));
        DASHBOARDS
            .iter()
            // The serving dashboards show only what `/endpoints-metrics` brings (the chart's
            // gate is `prometheus.scrapeEndpointMetrics`).
            .filter(|b| !b.needs_endpoint_metrics || sm.endpoints_metrics.enabled)
            .map(|b| DashboardMap {
                name: format!("{}-{}", names.fullname, b.configmap_suffix),
                namespace: d.namespace.as_deref().unwrap_or(namespace),
                labels: labels.clone(),
                annotations: d
                    .annotations
                    .as_ref()
                    .map(|a| &a.0)
                    .filter(|a| !a.is_empty()),
                key: b.data_key,
                json: b.json,
            })
            .collect()
    } else {
        Vec::new()
    };
    let network_policy = network_policy_on(v).then(|| {
        let np = &m.network_policy;
        let mut peer = json!({"namespaceSelector": np.namespace_selector});
        if let Some(pods) = &np.pod_selector {
            peer["podSelector"] = json!(pods);
        }
        NetworkPolicy {
            name: format!("{}-api-metrics", names.fullname),
            metrics_port: SERVER_METRICS_PORT,
            api_port: API_PORT,
            from: peer,
        }
    });
    Monitoring {
        pod_monitor,
        dashboards,
        network_policy,
    }
}
