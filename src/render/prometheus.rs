//! Facts for the bundled Prometheus (`prometheus.enabled`): the prometheus subchart 27.20.0
//! (server v3.4.1 with its config reloader), its kube-state-metrics 5.33.2 (v2.15.0), and the
//! chart's own `<fullname>-dcgm-exporter` scrape Service. Names, labels, images, the server's
//! flags and the whole `prometheus.yml` are computed here from the validated values, so
//! `templates/prometheus/*.yaml` only decide structure. Helm's own labels (`helm.sh/chart`,
//! `app.kubernetes.io/managed-by`) are deliberately absent, as for ingress-nginx; see
//! docs/monitoring.md and docs/helm-compat.md.
//!
//! `prometheus.yml` is built as data (the subchart's default jobs from
//! `prometheus-defaults.yaml`, the chart's jobs or the user's `extraScrapeConfigs`) and written
//! as one YAML text: the same configuration as Helm's, without its comments.

use std::sync::OnceLock;

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::values::model::KubeObject;
use crate::values::prometheus::{extra_jobs, substitute, Substitutions};
use crate::values::resolve::{dns_name, with_registry};
use crate::values::rules::non_empty;
use crate::values::Validated;

/// The subchart's `appVersion`, its `app.kubernetes.io/version` label.
const SERVER_VERSION: &str = "v3.4.1";
const SERVER_IMAGE: &str = "quay.io/prometheus/prometheus:v3.4.1";
const RELOADER_IMAGE: &str = "quay.io/prometheus-operator/prometheus-config-reloader:v0.83.0";
/// kube-state-metrics' `appVersion` (label) and its image, whose registry
/// `global.imageRegistry` replaces (the subchart honours Helm globals; the server does not).
const KSM_VERSION: &str = "2.15.0";
const KSM_IMAGE: &str = "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.15.0";
/// The collectors of the subchart's defaults: the `--resources` flag. The ClusterRole in
/// `templates/prometheus/kube-state-metrics.yaml` grants exactly these.
const KSM_COLLECTORS: &[&str] = &[
    "certificatesigningrequests",
    "configmaps",
    "cronjobs",
    "daemonsets",
    "deployments",
    "endpoints",
    "horizontalpodautoscalers",
    "ingresses",
    "jobs",
    "leases",
    "limitranges",
    "mutatingwebhookconfigurations",
    "namespaces",
    "networkpolicies",
    "nodes",
    "persistentvolumeclaims",
    "persistentvolumes",
    "poddisruptionbudgets",
    "pods",
    "replicasets",
    "replicationcontrollers",
    "resourcequotas",
    "secrets",
    "services",
    "statefulsets",
    "storageclasses",
    "validatingwebhookconfigurations",
    "volumeattachments",
];
/// The port the API server's metrics app always listens on (the chart's scrape jobs hard-code
/// it too; `apiService.metrics.port` only changes the Service).
const API_METRICS_PORT: u16 = 9090;

/// The prometheus subchart's matchLabels of the server.
#[derive(Serialize)]
pub struct ServerSelector<'a> {
    #[serde(rename = "app.kubernetes.io/component")]
    component: &'static str,
    #[serde(rename = "app.kubernetes.io/name")]
    name: &'static str,
    #[serde(rename = "app.kubernetes.io/instance")]
    instance: &'a str,
}

#[derive(Serialize)]
pub struct ServerLabels<'a> {
    #[serde(flatten)]
    selector: ServerSelector<'a>,
    #[serde(rename = "app.kubernetes.io/version")]
    version: &'static str,
    #[serde(rename = "app.kubernetes.io/part-of")]
    part_of: &'static str,
}

#[derive(Serialize)]
pub struct KsmSelector<'a> {
    #[serde(rename = "app.kubernetes.io/name")]
    name: &'static str,
    #[serde(rename = "app.kubernetes.io/instance")]
    instance: &'a str,
}

#[derive(Serialize)]
pub struct KsmLabels<'a> {
    #[serde(rename = "app.kubernetes.io/component")]
    component: &'static str,
    #[serde(rename = "app.kubernetes.io/part-of")]
    part_of: &'static str,
    #[serde(flatten)]
    selector: KsmSelector<'a>,
    #[serde(rename = "app.kubernetes.io/version")]
    version: &'static str,
}

/// The server's PersistentVolumeClaim, when skygen creates it.
#[derive(Serialize)]
pub struct Claim<'a> {
    access_modes: &'a [String],
    /// `""` for the chart's `-`; absent for the cluster default.
    storage_class: Option<&'a str>,
    size: &'a str,
    annotations: Option<&'a KubeObject>,
}

/// The server's Ingress (`server.ingress.enabled`).
#[derive(Serialize)]
pub struct Ingress<'a> {
    labels: Map<String, Value>,
    annotations: Option<&'a KubeObject>,
    class_name: Option<&'a str>,
    /// One rule per host: the part before the first `/`, as the subchart's `splitList`.
    hosts: Vec<&'a str>,
    path: &'a str,
    path_type: &'a str,
    tls: Option<&'a Vec<KubeObject>>,
}

/// Scheduling and resources of one pod, each absent when empty (the subcharts' `with`).
#[derive(Serialize)]
pub struct Placement<'a> {
    resources: Option<&'a KubeObject>,
    node_selector: Option<&'a KubeObject>,
    tolerations: Option<&'a Vec<KubeObject>>,
    affinity: Option<&'a KubeObject>,
}

impl<'a> Placement<'a> {
    fn of(
        resources: &'a Option<KubeObject>,
        node_selector: &'a Option<crate::values::model::StringMap>,
        tolerations: &'a Option<Vec<KubeObject>>,
        affinity: &'a Option<KubeObject>,
    ) -> Self {
        Placement {
            resources: resources.as_ref().filter(|m| !m.is_empty()),
            node_selector: node_selector
                .as_ref()
                .map(|m| &m.0)
                .filter(|m| !m.is_empty()),
            tolerations: tolerations.as_ref().filter(|t| !t.is_empty()),
            affinity: affinity.as_ref().filter(|m| !m.is_empty()),
        }
    }
}

/// The Prometheus server: ServiceAccount, ConfigMap, PVC, ClusterRole(Binding), Service and
/// Deployment, all named `name`.
#[derive(Serialize)]
pub struct Server<'a> {
    pub name: String,
    labels: ServerLabels<'a>,
    selector: ServerSelector<'a>,
    image: &'static str,
    reloader_image: &'static str,
    args: Vec<String>,
    /// `prometheus.yml` of the ConfigMap.
    config: String,
    /// The claim the pod mounts (created or existing); `None` for an `emptyDir`.
    volume_claim: Option<String>,
    claim: Option<Claim<'a>>,
    ingress: Option<Ingress<'a>>,
    pod_annotations: Option<&'a KubeObject>,
    priority_class_name: Option<&'a str>,
    placement: Placement<'a>,
}

/// kube-state-metrics: ServiceAccount, ClusterRole(Binding), Service and Deployment.
#[derive(Serialize)]
pub struct Ksm<'a> {
    pub name: String,
    labels: KsmLabels<'a>,
    selector: KsmSelector<'a>,
    image: String,
    args: Vec<String>,
    /// `global.imagePullSecrets`, on the pod and the ServiceAccount.
    pull_secrets: Option<&'a Vec<KubeObject>>,
    /// `resources` is always written (`{}` by default), as the subchart does.
    resources: &'a KubeObject,
    placement: Placement<'a>,
}

/// Everything `templates/prometheus/*.yaml` need, under the context key `prometheus`.
#[derive(Serialize)]
pub struct Prometheus<'a> {
    server: Server<'a>,
    kube_state_metrics: Option<Ksm<'a>>,
    /// The chart's Service `<fullname>-dcgm-exporter` (port 9400) for DCGM exporter pods.
    dcgm_exporter: String,
}

/// The subchart's default rule files and scrape jobs, read once.
fn defaults() -> &'static Map<String, Value> {
    static DEFAULTS: OnceLock<Map<String, Value>> = OnceLock::new();
    DEFAULTS.get_or_init(|| {
        let doc = crate::yaml::read_one(include_str!("prometheus-defaults.yaml"))
            .expect("prometheus-defaults.yaml is YAML; this is a skygen bug");
        match doc.value {
            Value::Object(m) => m,
            _ => panic!("prometheus-defaults.yaml is a mapping; this is a skygen bug"),
        }
    })
}

/// The chart's own scrape jobs (its default `extraScrapeConfigs`): the API Service's
/// `/gpu-metrics`, `/endpoints-metrics` with `scrapeEndpointMetrics`, and with
/// `useDedicatedScrapeConfig` a pod-discovery job on the `skypilot.co/*` annotations.
fn chart_jobs(target: &str, namespace: &str, endpoints: bool, dedicated: bool) -> Vec<Value> {
    let mut jobs = vec![json!({
        "job_name": "skypilot-api-server-gpu-metrics",
        "static_configs": [{"targets": [target]}],
        "metrics_path": "/gpu-metrics",
        "scrape_interval": "60s",
        "scrape_timeout": "45s",
        // Series without a `node` label take it from DCGM's `Hostname`.
        "metric_relabel_configs": [{
            "action": "replace",
            "source_labels": ["node", "Hostname"],
            "regex": ";(.+)",
            "target_label": "node",
            "replacement": "$1",
        }],
    })];
    if endpoints {
        jobs.push(json!({
            "job_name": "skypilot-api-server-endpoints-metrics",
            "honor_labels": true,
            "static_configs": [{"targets": [target]}],
            "metrics_path": "/endpoints-metrics",
            "scrape_interval": "60s",
            "scrape_timeout": "45s",
        }));
    }
    if dedicated {
        let keep = |from: &[&str], to: &str| json!({"source_labels": from, "action": "replace", "target_label": to});
        jobs.push(json!({
            "job_name": "skypilot-api-server-metrics",
            "honor_labels": true,
            "scrape_interval": "30s",
            "scrape_timeout": "20s",
            "kubernetes_sd_configs": [{"role": "pod", "namespaces": {"names": [namespace]}}],
            "relabel_configs": [
                {"source_labels": ["__meta_kubernetes_pod_annotation_skypilot_co_scrape"], "action": "keep", "regex": true},
                {"source_labels": ["__meta_kubernetes_pod_annotation_skypilot_co_path"], "action": "replace", "target_label": "__metrics_path__", "regex": "(.+)"},
                {
                    "source_labels": ["__meta_kubernetes_pod_annotation_skypilot_co_port", "__meta_kubernetes_pod_ip"],
                    "action": "replace",
                    "regex": r"(\d+);((([0-9]+?)(\.|$)){4})",
                    "replacement": "$2:$1",
                    "target_label": "__address__",
                },
                {"action": "labelmap", "regex": "__meta_kubernetes_pod_label_(.+)"},
                keep(&["__meta_kubernetes_namespace"], "namespace"),
                keep(&["__meta_kubernetes_pod_name"], "pod"),
                {"source_labels": ["__meta_kubernetes_pod_phase"], "regex": "Pending|Succeeded|Failed|Completed", "action": "drop"},
                keep(&["__meta_kubernetes_pod_node_name"], "node"),
            ],
        }));
    }
    jobs
}

/// `prometheus.yml`: `global` (keys sorted, as Helm's `toYaml`), the default rule files and
/// jobs, then the chart's or the user's jobs.
fn config(validated: &Validated) -> String {
    let v = validated.values();
    let p = &v.prometheus;
    let release = validated.release();
    let names = &validated.resolved().names;
    let mut global: Vec<(&String, &Value)> = p.server.global.iter().collect();
    global.sort_by(|a, b| a.0.cmp(b.0));
    let global: Map<String, Value> = global
        .into_iter()
        .filter(|(_, x)| !x.is_null())
        .map(|(k, x)| (k.clone(), x.clone()))
        .collect();
    let subs = Substitutions {
        fullname: &names.fullname,
        release: &release.name,
        namespace: &release.namespace,
    };
    let mut cfg = Map::new();
    cfg.insert("global".into(), Value::Object(global));
    if let Some(targets) = p.server.remote_write.as_ref().filter(|t| !t.is_empty()) {
        let targets: Vec<Value> = targets
            .iter()
            .map(|t| {
                let mut t = t.clone();
                if let Some(Value::String(url)) = t.get("url") {
                    let url = substitute(url, &subs).expect(
                        "remoteWrite was checked by the values stage; this is a skygen bug",
                    );
                    t.insert("url".into(), Value::String(url));
                }
                Value::Object(t)
            })
            .collect();
        cfg.insert("remote_write".into(), Value::Array(targets));
    }
    cfg.extend(defaults().clone());
    let extra = match &p.extra_scrape_configs {
        None => chart_jobs(
            &format!(
                "{}.{}.svc.cluster.local:{API_METRICS_PORT}",
                names.api_service, release.namespace
            ),
            &release.namespace,
            p.endpoint_metrics(),
            p.dedicated_scrape(),
        ),
        Some(text) => extra_jobs(text, &subs)
            .expect("extraScrapeConfigs was checked by the values stage; this is a skygen bug"),
    };
    if let Some(Value::Array(jobs)) = cfg.get_mut("scrape_configs") {
        jobs.extend(extra);
    }
    crate::manifest::to_yaml(&Value::Object(cfg))
}

/// `<release>-<chart>` unless the release name already contains the chart's name (the
/// subcharts' `fullname` helpers), cut to 63 characters.
fn subchart_fullname(release: &str, chart: &str) -> String {
    if release.contains(chart) {
        dns_name(release)
    } else {
        dns_name(&format!("{release}-{chart}"))
    }
}

fn server<'a>(validated: &'a Validated) -> Server<'a> {
    let v = validated.values();
    let release = validated.release();
    let s = &v.prometheus.server;
    let pv = &s.persistent_volume;
    // `prometheus.server.fullname`: `<release>-prometheus-server`, or `<release>-server` when
    // the release name contains `prometheus`.
    let name = if release.name.contains("prometheus") {
        dns_name(&format!("{}-server", release.name))
    } else {
        dns_name(&format!("{}-prometheus-server", release.name))
    };
    let selector = || ServerSelector {
        component: "server",
        name: "prometheus",
        instance: &release.name,
    };
    let mut args = Vec::new();
    if let Some(r) = non_empty(&s.retention) {
        args.push(format!("--storage.tsdb.retention.time={r}"));
    }
    if let Some(r) = non_empty(&s.retention_size) {
        args.push(format!("--storage.tsdb.retention.size={r}"));
    }
    args.extend(
        [
            "--config.file=/etc/config/prometheus.yml",
            "--storage.tsdb.path=/data",
            "--web.console.libraries=/etc/prometheus/console_libraries",
            "--web.console.templates=/etc/prometheus/consoles",
            // The subchart's default `server.extraFlags`: the reloader needs `/-/reload`.
            "--web.enable-lifecycle",
        ]
        .map(String::from),
    );
    let existing = non_empty(&pv.existing_claim);
    let claim = (pv.enabled && existing.is_none()).then(|| Claim {
        access_modes: &pv.access_modes,
        storage_class: non_empty(&pv.storage_class).map(|c| if c == "-" { "" } else { c }),
        size: &pv.size,
        annotations: pv
            .annotations
            .as_ref()
            .map(|a| &a.0)
            .filter(|a| !a.is_empty()),
    });
    let labels = ServerLabels {
        selector: selector(),
        version: SERVER_VERSION,
        part_of: "prometheus",
    };
    let i = &s.ingress;
    let ingress = i.enabled.then(|| {
        let Ok(Value::Object(mut all)) = serde_json::to_value(&labels) else {
            panic!("the server's labels serialize to a map; this is a skygen bug");
        };
        if let Some(extra) = &i.extra_labels {
            all.extend(extra.0.clone());
        }
        Ingress {
            labels: all,
            annotations: i
                .annotations
                .as_ref()
                .map(|a| &a.0)
                .filter(|a| !a.is_empty()),
            class_name: non_empty(&i.ingress_class_name),
            hosts: i
                .hosts
                .iter()
                .map(|h| h.split('/').next().unwrap_or_default())
                .collect(),
            path: &i.path,
            path_type: &i.path_type,
            tls: i.tls.as_ref().filter(|t| !t.is_empty()),
        }
    });
    Server {
        ingress,
        pod_annotations: s
            .pod_annotations
            .as_ref()
            .map(|a| &a.0)
            .filter(|a| !a.is_empty()),
        priority_class_name: non_empty(&s.priority_class_name),
        volume_claim: pv
            .enabled
            .then(|| existing.map_or_else(|| name.clone(), str::to_owned)),
        claim,
        name,
        labels,
        selector: selector(),
        image: SERVER_IMAGE,
        reloader_image: RELOADER_IMAGE,
        args,
        config: config(validated),
        placement: Placement::of(&s.resources, &s.node_selector, &s.tolerations, &s.affinity),
    }
}

fn kube_state_metrics<'a>(validated: &'a Validated) -> Ksm<'a> {
    static EMPTY: OnceLock<KubeObject> = OnceLock::new();
    let v = validated.values();
    let release = validated.release();
    let k = &v.prometheus.kube_state_metrics;
    let selector = || KsmSelector {
        name: "kube-state-metrics",
        instance: &release.name,
    };
    let mut args = vec![
        "--port=8080".to_owned(),
        format!("--resources={}", KSM_COLLECTORS.join(",")),
    ];
    if !k.metric_labels_allowlist.is_empty() {
        args.push(format!(
            "--metric-labels-allowlist={}",
            k.metric_labels_allowlist.join(",")
        ));
    }
    Ksm {
        name: subchart_fullname(&release.name, "kube-state-metrics"),
        labels: KsmLabels {
            component: "metrics",
            part_of: "kube-state-metrics",
            selector: selector(),
            version: KSM_VERSION,
        },
        selector: selector(),
        image: with_registry(KSM_IMAGE, v.global.image_registry.as_deref()),
        args,
        pull_secrets: v
            .global
            .image_pull_secrets
            .as_ref()
            .filter(|s| !s.is_empty()),
        resources: k
            .resources
            .as_ref()
            .unwrap_or_else(|| EMPTY.get_or_init(KubeObject::new)),
        placement: Placement::of(&k.resources, &k.node_selector, &k.tolerations, &k.affinity),
    }
}

/// The facts of `prometheus.enabled`, or `None` when it is off.
pub fn facts(validated: &Validated) -> Option<Prometheus<'_>> {
    let v = validated.values();
    if !v.prometheus.enabled {
        return None;
    }
    Some(Prometheus {
        server: server(validated),
        kube_state_metrics: v
            .prometheus
            .kube_state_metrics
            .enabled
            .then(|| kube_state_metrics(validated)),
        dcgm_exporter: format!("{}-dcgm-exporter", validated.resolved().names.fullname),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subchart_names_follow_their_helpers() {
        assert_eq!(
            subchart_fullname("sky", "kube-state-metrics"),
            "sky-kube-state-metrics"
        );
        assert_eq!(
            subchart_fullname("my-kube-state-metrics", "kube-state-metrics"),
            "my-kube-state-metrics"
        );
    }

    #[test]
    fn the_defaults_hold_the_subcharts_ten_jobs() {
        let jobs = defaults()["scrape_configs"].as_array().unwrap();
        assert_eq!(jobs.len(), 10);
        assert_eq!(jobs[0]["job_name"], "prometheus");
        assert_eq!(defaults()["rule_files"].as_array().unwrap().len(), 4);
    }
}
