//! The bundled Prometheus (`prometheus.enabled`, #14): the prometheus subchart's server, its
//! kube-state-metrics and the chart's `<fullname>-dcgm-exporter` Service against Helm's output
//! (tests/fixtures/reference, copied from the reference renders), then one case per supported
//! option and the refusals. Expected values come from the subcharts' templates and defaults
//! (prometheus 27.20.0, kube-state-metrics 5.33.2) and the chart's `extraScrapeConfigs`, as
//! each test says.
//!
//! Objects are compared as data, as in tests/ingress_nginx.rs: Helm's own labels
//! (`helm.sh/chart`, `app.kubernetes.io/managed-by`), skygen's lifecycle metadata and nulls are
//! dropped; `prometheus.yml` is compared as the YAML data Prometheus reads (skygen writes it
//! without the chart's comments, docs/helm-compat.md).

mod common;

use std::collections::BTreeMap;

use common::{find, refused, render, render_with, run_render as run};
use serde_json::{json, Value};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/reference");

fn has(objects: &[Value], kind: &str, name: &str) -> bool {
    objects
        .iter()
        .any(|o| o["kind"] == kind && o["metadata"]["name"] == name)
}

/// The objects of the bundled Prometheus: the two subcharts' (by their name label) and the
/// DCGM Service.
fn is_monitoring(o: &Value) -> bool {
    let name = &o["metadata"]["labels"]["app.kubernetes.io/name"];
    name == "prometheus"
        || name == "kube-state-metrics"
        || o["metadata"]["name"]
            .as_str()
            .is_some_and(|n| n.ends_with("-dcgm-exporter"))
}

fn strip_helm(meta: &mut Value) {
    let Some(m) = meta.as_object_mut() else {
        return;
    };
    for field in ["labels", "annotations"] {
        if let Some(Value::Object(map)) = m.get_mut(field) {
            map.retain(|k, _| k != "app.kubernetes.io/managed-by" && !k.starts_with("helm.sh/"));
            if map.is_empty() {
                m.remove(field);
            }
        }
    }
}

/// `prometheus.yml` as data, so comments and quoting are not compared.
fn scrape_config(cm: &Value) -> Value {
    let text = cm["data"]["prometheus.yml"]
        .as_str()
        .expect("prometheus.yml is text");
    skygen::yaml::read_one(text)
        .expect("prometheus.yml is YAML")
        .value
}

fn normalize(mut o: Value) -> Value {
    skygen::manifest::drop_nulls(&mut o);
    common::strip_lifecycle_metadata(&mut o);
    strip_helm(&mut o["metadata"]);
    if o["spec"]["template"]["metadata"].is_object() {
        strip_helm(&mut o["spec"]["template"]["metadata"]);
    }
    if o["data"]["prometheus.yml"].is_string() {
        o["data"]["prometheus.yml"] = scrape_config(&o);
    }
    o
}

fn by_id(objects: impl IntoIterator<Item = Value>) -> BTreeMap<String, Value> {
    objects
        .into_iter()
        .filter(is_monitoring)
        .map(normalize)
        .map(|o| {
            let id = format!(
                "{}/{}",
                o["kind"].as_str().unwrap_or("?"),
                o["metadata"]["name"].as_str().unwrap_or("?")
            );
            (id, o)
        })
        .collect()
}

fn helm_objects() -> Vec<Value> {
    let text = std::fs::read_to_string(format!("{FIXTURES}/monitoring.helm-output.yaml"))
        .expect("fixture");
    skygen::yaml::read_stream(&text)
        .expect("Helm's output is YAML")
        .into_iter()
        .map(|d| d.value)
        .filter(Value::is_object)
        .collect()
}

/// The jobs of `prometheus.yml`, by name.
fn job_names(objects: &[Value], configmap: &str) -> Vec<String> {
    scrape_config(find(objects, "ConfigMap", configmap))["scrape_configs"]
        .as_array()
        .expect("scrape_configs")
        .iter()
        .map(|j| j["job_name"].as_str().expect("job_name").to_owned())
        .collect()
}

fn job(objects: &[Value], name: &str) -> Value {
    scrape_config(find(objects, "ConfigMap", "skypilot-prometheus-server"))["scrape_configs"]
        .as_array()
        .expect("scrape_configs")
        .iter()
        .find(|j| j["job_name"] == name)
        .unwrap_or_else(|| panic!("no job {name}"))
        .clone()
}

fn container<'a>(deployment: &'a Value, name: &str) -> &'a Value {
    deployment["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no container {name}"))
}

/// The subchart's ten default jobs (its `serverFiles."prometheus.yml"`), in order.
const DEFAULT_JOBS: [&str; 10] = [
    "prometheus",
    "kubernetes-apiservers",
    "kubernetes-nodes",
    "kubernetes-nodes-cadvisor",
    "kubernetes-service-endpoints",
    "kubernetes-service-endpoints-slow",
    "prometheus-pushgateway",
    "kubernetes-services",
    "kubernetes-pods",
    "kubernetes-pods-slow",
];

const ON: &str = "prometheus: {enabled: true}\n";

/// Helm's render of the reference `monitoring` case, with the bundled Grafana off (#14: the
/// Grafana side is rendered separately): the same thirteen objects, equal as data.
#[test]
fn monitoring_reference_case_matches_helm() {
    let values = format!("{FIXTURES}/monitoring.values.yaml");
    let yaml = std::fs::read_to_string(&values).expect("fixture");
    let ours = by_id(render_with(&yaml, &["--set", "grafana.enabled=false"]));
    let helm = by_id(helm_objects());
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        helm.keys().collect::<Vec<_>>(),
        "not the same monitoring objects"
    );
    assert_eq!(helm.len(), 13, "{:#?}", helm.keys());
    for (id, h) in &helm {
        let o = &ours[id];
        assert!(
            o == h,
            "{id} differs\n--- skygen\n{}\n--- helm\n{}",
            serde_json::to_string_pretty(o).unwrap(),
            serde_json::to_string_pretty(h).unwrap()
        );
    }
}

/// Without `prometheus.enabled` nothing of it is rendered (the default render has none of
/// these objects).
#[test]
fn nothing_is_rendered_when_off() {
    assert!(by_id(render("")).is_empty());
}

/// The chart's `extraScrapeConfigs` adds the `/gpu-metrics` job of the API Service after the
/// subchart's defaults; with `scrapeEndpointMetrics` also `/endpoints-metrics`, with
/// `honor_labels` (the federated series keep their own `pod`/`namespace`).
#[test]
fn scrape_endpoint_metrics_adds_the_endpoints_job() {
    let objects = render(ON);
    let mut expected: Vec<String> = DEFAULT_JOBS.map(String::from).to_vec();
    expected.push("skypilot-api-server-gpu-metrics".into());
    assert_eq!(job_names(&objects, "skypilot-prometheus-server"), expected);

    let objects = render("prometheus: {enabled: true, scrapeEndpointMetrics: true}\n");
    expected.push("skypilot-api-server-endpoints-metrics".into());
    assert_eq!(job_names(&objects, "skypilot-prometheus-server"), expected);
    assert_eq!(
        job(&objects, "skypilot-api-server-endpoints-metrics"),
        json!({
            "job_name": "skypilot-api-server-endpoints-metrics",
            "honor_labels": true,
            "static_configs": [{"targets": ["skypilot-api-service.skypilot.svc.cluster.local:9090"]}],
            "metrics_path": "/endpoints-metrics",
            "scrape_interval": "60s",
            "scrape_timeout": "45s",
        })
    );
}

/// `useDedicatedScrapeConfig`: the API pod is annotated `skypilot.co/*` and a pod-discovery job
/// limited to the release namespace keeps only pods with `skypilot.co/scrape: true`.
#[test]
fn dedicated_scrape_config_adds_the_pod_job() {
    let objects = render_with(
        "prometheus: {enabled: true, useDedicatedScrapeConfig: true}\napiService: {metrics: {enabled: true}}\n",
        &["-n", "ops"],
    );
    let names = job_names(&objects, "skypilot-prometheus-server");
    assert_eq!(names.last().unwrap(), "skypilot-api-server-metrics");
    let j = job(&objects, "skypilot-api-server-metrics");
    assert_eq!(j["honor_labels"], true);
    assert_eq!(j["scrape_interval"], "30s");
    assert_eq!(j["scrape_timeout"], "20s");
    assert_eq!(
        j["kubernetes_sd_configs"],
        json!([{"role": "pod", "namespaces": {"names": ["ops"]}}])
    );
    let relabel = j["relabel_configs"].as_array().unwrap();
    assert_eq!(
        relabel[0],
        json!({"source_labels": ["__meta_kubernetes_pod_annotation_skypilot_co_scrape"], "action": "keep", "regex": true})
    );
    assert_eq!(
        relabel[2]["source_labels"],
        json!([
            "__meta_kubernetes_pod_annotation_skypilot_co_port",
            "__meta_kubernetes_pod_ip"
        ])
    );
    assert_eq!(relabel.len(), 8);
    let pod = &find(&objects, "Deployment", "skypilot-api-server")["spec"]["template"]["metadata"]
        ["annotations"];
    assert_eq!(pod["skypilot.co/scrape"], "true");
    assert!(pod.get("prometheus.io/scrape").is_none());
    // The GPU job's target follows the namespace too.
    assert_eq!(
        job(&objects, "skypilot-api-server-gpu-metrics")["static_configs"],
        json!([{"targets": ["skypilot-api-service.ops.svc.cluster.local:9090"]}])
    );
}

/// The upstream chart's unit case (tests/metrics_test.yaml): with `fullnameOverride` (and the
/// matching `prometheus.fullnameOverride`) the target is `<override>-api-service`. skygen
/// follows the API Service it renders, so the top-level override alone is enough.
#[test]
fn the_scrape_target_follows_fullname_override() {
    for yaml in [
        "fullnameOverride: custom-name\nprometheus: {enabled: true, fullnameOverride: custom-name}\n",
        "fullnameOverride: custom-name\nprometheus: {enabled: true}\n",
    ] {
        let objects = render(yaml);
        assert_eq!(
            job(&objects, "skypilot-api-server-gpu-metrics")["static_configs"],
            json!([{"targets": ["custom-name-api-service.skypilot.svc.cluster.local:9090"]}]),
            "{yaml}"
        );
        // The subcharts name their objects after the release, not the override.
        assert!(has(&objects, "Deployment", "skypilot-prometheus-server"));
        assert!(has(&objects, "Service", "custom-name-dcgm-exporter"));
    }
}

/// The subcharts' fullname helpers: `<release>-prometheus-server`, or `<release>-server` when
/// the release name contains `prometheus`; the same rule for kube-state-metrics.
#[test]
fn subchart_names_follow_the_release() {
    let objects = render_with(ON, &["--release-name", "my-prometheus"]);
    assert!(has(&objects, "Deployment", "my-prometheus-server"));
    assert!(has(&objects, "ConfigMap", "my-prometheus-server"));
    assert!(has(
        &objects,
        "Deployment",
        "my-prometheus-kube-state-metrics"
    ));
    let objects = render_with(ON, &["--release-name", "kube-state-metrics"]);
    assert!(has(&objects, "Deployment", "kube-state-metrics"));
    assert!(has(
        &objects,
        "Deployment",
        "kube-state-metrics-prometheus-server"
    ));
}

/// `persistentVolume.enabled: false`: no claim, the samples live in an `emptyDir`; with
/// `existingClaim` no claim is created and the pod mounts the one named. `storageClass: "-"`
/// is the subchart's spelling of `storageClassName: ""`.
#[test]
fn persistence_off_existing_claim_and_storage_class() {
    for (volume, expected) in [
        (
            "{enabled: false}",
            json!({"name": "storage-volume", "emptyDir": {}}),
        ),
        (
            "{existingClaim: prom-data}",
            json!({"name": "storage-volume", "persistentVolumeClaim": {"claimName": "prom-data"}}),
        ),
    ] {
        let objects = render(&format!(
            "prometheus: {{enabled: true, server: {{persistentVolume: {volume}}}}}\n"
        ));
        assert!(!has(
            &objects,
            "PersistentVolumeClaim",
            "skypilot-prometheus-server"
        ));
        let pod =
            &find(&objects, "Deployment", "skypilot-prometheus-server")["spec"]["template"]["spec"];
        assert_eq!(pod["volumes"][1], expected, "{volume}");
    }

    for (class, expected) in [("\"-\"", json!("")), ("fast", json!("fast"))] {
        let objects = render(&format!(
            "prometheus: {{enabled: true, server: {{persistentVolume: {{size: 20Gi, storageClass: {class}}}}}}}\n"
        ));
        let pvc = find(
            &objects,
            "PersistentVolumeClaim",
            "skypilot-prometheus-server",
        );
        assert_eq!(pvc["spec"]["storageClassName"], expected);
        assert_eq!(pvc["spec"]["resources"]["requests"]["storage"], "20Gi");
    }
}

/// `server.retention` / `retentionSize` become the TSDB flags; an empty one drops its flag
/// (the subchart's `if`).
#[test]
fn retention_flags() {
    let objects =
        render("prometheus: {enabled: true, server: {retention: 30d, retentionSize: \"\"}}\n");
    let server = container(
        find(&objects, "Deployment", "skypilot-prometheus-server"),
        "prometheus-server",
    );
    let args: Vec<&str> = server["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(args[0], "--storage.tsdb.retention.time=30d");
    assert!(!args
        .iter()
        .any(|a| a.starts_with("--storage.tsdb.retention.size")));
    assert!(args.contains(&"--web.enable-lifecycle"));
}

/// Resources and scheduling of each pod, written only when set; `server.global` is the
/// `global` block of `prometheus.yml`.
#[test]
fn resources_scheduling_and_global() {
    let objects = render(
        "prometheus:\n  enabled: true\n  server:\n    global: {scrape_interval: 30s}\n    resources: {requests: {memory: 2Gi}}\n    nodeSelector: {pool: infra}\n    tolerations: [{key: infra, operator: Exists}]\n  kube-state-metrics:\n    nodeSelector: {pool: infra}\n    metricLabelsAllowlist: [\"pods=[team]\"]\n",
    );
    let deploy = find(&objects, "Deployment", "skypilot-prometheus-server");
    assert_eq!(
        container(deploy, "prometheus-server")["resources"],
        json!({"requests": {"memory": "2Gi"}})
    );
    assert!(container(deploy, "prometheus-server-configmap-reload")
        .get("resources")
        .is_none());
    let pod = &deploy["spec"]["template"]["spec"];
    assert_eq!(pod["nodeSelector"], json!({"pool": "infra"}));
    assert_eq!(
        pod["tolerations"],
        json!([{"key": "infra", "operator": "Exists"}])
    );
    assert!(pod.get("affinity").is_none());
    // Maps merge with the defaults, as in Helm: the two other intervals stay.
    assert_eq!(
        scrape_config(find(&objects, "ConfigMap", "skypilot-prometheus-server"))["global"],
        json!({"evaluation_interval": "1m", "scrape_interval": "30s", "scrape_timeout": "10s"})
    );
    let ksm = find(&objects, "Deployment", "skypilot-kube-state-metrics");
    assert_eq!(
        ksm["spec"]["template"]["spec"]["nodeSelector"],
        json!({"pool": "infra"})
    );
    assert_eq!(
        container(ksm, "kube-state-metrics")["args"][2],
        "--metric-labels-allowlist=pods=[team]"
    );
}

/// kube-state-metrics honours `global.imageRegistry` and `global.imagePullSecrets` (Helm
/// globals reach it); the Prometheus server's images and pod do not (its own templates never
/// read them).
#[test]
fn globals_reach_kube_state_metrics_only() {
    let objects = render(
        "global: {imageRegistry: mirror.example.com, imagePullSecrets: [{name: pull}]}\nprometheus: {enabled: true}\n",
    );
    let ksm = find(&objects, "Deployment", "skypilot-kube-state-metrics");
    assert_eq!(
        container(ksm, "kube-state-metrics")["image"],
        "mirror.example.com/kube-state-metrics/kube-state-metrics:v2.15.0"
    );
    assert_eq!(
        ksm["spec"]["template"]["spec"]["imagePullSecrets"],
        json!([{"name": "pull"}])
    );
    assert_eq!(
        find(&objects, "ServiceAccount", "skypilot-kube-state-metrics")["imagePullSecrets"],
        json!([{"name": "pull"}])
    );
    let server = find(&objects, "Deployment", "skypilot-prometheus-server");
    assert_eq!(
        container(server, "prometheus-server")["image"],
        "quay.io/prometheus/prometheus:v3.4.1"
    );
    assert!(server["spec"]["template"]["spec"]
        .get("imagePullSecrets")
        .is_none());
}

/// `kube-state-metrics.enabled: false` drops its five objects and nothing else.
#[test]
fn kube_state_metrics_can_be_turned_off() {
    let on = by_id(render(ON));
    let off = by_id(render(
        "prometheus: {enabled: true, kube-state-metrics: {enabled: false}}\n",
    ));
    let gone: Vec<&String> = on.keys().filter(|k| !off.contains_key(*k)).collect();
    assert_eq!(gone.len(), 5, "{gone:#?}");
    assert!(gone
        .iter()
        .all(|k| k.ends_with("/skypilot-kube-state-metrics")));
}

/// A user's `extraScrapeConfigs` replaces the chart's jobs (as in Helm), with the chart's
/// template expressions resolved.
#[test]
fn own_extra_scrape_configs_replace_the_charts_jobs() {
    let yaml = "prometheus:\n  enabled: true\n  extraScrapeConfigs: |\n    - job_name: mine\n      static_configs:\n        - targets: ['{{ include \"skypilot.fullname\" . }}-api-service.{{ .Release.Namespace }}:9090']\n";
    let objects = render_with(yaml, &["--release-name", "sky", "-n", "ops"]);
    let names = job_names(&objects, "sky-prometheus-server");
    assert_eq!(names.len(), 11);
    assert_eq!(names[10], "mine");
    let cfg = scrape_config(find(&objects, "ConfigMap", "sky-prometheus-server"));
    assert_eq!(
        cfg["scrape_configs"][10]["static_configs"],
        json!([{"targets": ["sky-api-service.ops:9090"]}])
    );
}

/// Keys skygen does not render are errors at their own line, listing what is supported; the
/// sub-subcharts the chart keeps off must stay off; template logic in `extraScrapeConfigs` is
/// refused rather than passed to Prometheus as text.
#[test]
fn unsupported_keys_are_refused_at_their_location() {
    let msg = refused(
        "prometheus:\n  enabled: true\n  server:\n    service:\n      type: LoadBalancer\n",
    );
    assert!(
        msg.contains("unknown key prometheus.server.service"),
        "{msg}"
    );
    assert!(msg.contains("-:5:"), "{msg}");
    assert!(
        msg.contains("persistentVolume, podAnnotations, priorityClassName, remoteWrite, resources, retention"),
        "{msg}"
    );
    assert!(msg.contains("docs/monitoring.md"), "{msg}");

    let msg =
        refused("prometheus:\n  enabled: true\n  prometheus-node-exporter:\n    enabled: true\n");
    assert!(
        msg.contains("-:4:14: prometheus.prometheus-node-exporter.enabled"),
        "{msg}"
    );
    assert!(msg.contains("set it to false"), "{msg}");

    let msg = refused(
        "prometheus:\n  enabled: true\n  extraScrapeConfigs: |\n    {{- if .Values.scrapeEndpointMetrics }}\n    - job_name: x\n    {{- end }}\n",
    );
    assert!(msg.contains("prometheus.extraScrapeConfigs"), "{msg}");
    assert!(
        msg.contains("`{{ if .Values.scrapeEndpointMetrics }}` is not evaluated"),
        "{msg}"
    );
}

/// The `extraScrapeConfigs` example of docs/monitoring.md renders, keeping the GPU job and
/// adding the user's.
#[test]
fn the_documented_example_renders() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/monitoring.md"))
        .expect("docs/monitoring.md");
    let section = doc
        .split("### `extraScrapeConfigs`")
        .nth(1)
        .expect("the extraScrapeConfigs section");
    let example = section
        .split("```yaml\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("a yaml example");
    let objects = render(example);
    let names = job_names(&objects, "skypilot-prometheus-server");
    assert_eq!(
        names[10..],
        ["skypilot-api-server-gpu-metrics", "my-exporter"]
    );
    assert_eq!(
        job(&objects, "skypilot-api-server-gpu-metrics")["static_configs"],
        json!([{"targets": ["skypilot-api-service.skypilot.svc.cluster.local:9090"]}])
    );
}

/// `server.ingress`: one rule per host (the part before a `/`, as the subchart's `splitList`)
/// to the server Service's port 80, the server's labels plus `extraLabels`; without hosts the
/// subchart's Ingress would have no rules, which Kubernetes refuses, so skygen does too.
#[test]
fn server_ingress() {
    let objects = render(
        "prometheus:\n  enabled: true\n  server:\n    ingress:\n      enabled: true\n      ingressClassName: nginx\n      annotations: {a: b}\n      extraLabels: {team: ml}\n      hosts: [prom.example.com, example.org/prometheus]\n      tls: [{secretName: prom-tls, hosts: [prom.example.com]}]\n",
    );
    let ingress = normalize(find(&objects, "Ingress", "skypilot-prometheus-server").clone());
    let rule = |host: &str| {
        json!({"host": host, "http": {"paths": [{
            "path": "/",
            "pathType": "Prefix",
            "backend": {"service": {"name": "skypilot-prometheus-server", "port": {"number": 80}}},
        }]}})
    };
    assert_eq!(
        ingress,
        json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {
                "name": "skypilot-prometheus-server",
                "namespace": "skypilot",
                "labels": {
                    "app.kubernetes.io/component": "server",
                    "app.kubernetes.io/name": "prometheus",
                    "app.kubernetes.io/instance": "skypilot",
                    "app.kubernetes.io/version": "v3.4.1",
                    "app.kubernetes.io/part-of": "prometheus",
                    "team": "ml",
                },
                "annotations": {"a": "b"},
            },
            "spec": {
                "ingressClassName": "nginx",
                "rules": [rule("prom.example.com"), rule("example.org")],
                "tls": [{"secretName": "prom-tls", "hosts": ["prom.example.com"]}],
            },
        })
    );
    assert!(!has(&render(ON), "Ingress", "skypilot-prometheus-server"));

    let msg =
        refused("prometheus:\n  enabled: true\n  server:\n    ingress:\n      enabled: true\n");
    assert!(
        msg.contains("-:5:16: prometheus.server.ingress.enabled"),
        "{msg}"
    );
    assert!(msg.contains("prometheus.server.ingress.hosts"), "{msg}");
}

/// The chart's jobs scrape the API server's metrics app, which runs only with
/// `apiService.metrics.enabled`: a warning says so, the render goes on.
#[test]
fn a_warning_when_the_api_server_metrics_are_off() {
    let warnings = |yaml: &str| -> Vec<String> {
        let out = run(yaml, &[]);
        assert_eq!(out.status, skygen::ExitStatus::Success);
        out.diagnostics
            .iter()
            .map(|d| d.render())
            .filter(|m| m.contains("prometheus.enabled"))
            .collect()
    };
    let w = warnings(ON);
    assert_eq!(w.len(), 1, "{w:#?}");
    assert!(w[0].starts_with("warning: -:1:"), "{}", w[0]);
    assert!(w[0].contains("apiService.metrics.enabled=true"), "{}", w[0]);
    assert!(
        warnings("prometheus: {enabled: true}\napiService: {metrics: {enabled: true}}\n")
            .is_empty()
    );
    assert!(warnings("").is_empty());
}

/// `server.remoteWrite` becomes `remote_write` of `prometheus.yml` (the subchart writes it
/// after `global`, its URL through `tpl`); `podAnnotations` and `priorityClassName` go on the
/// server pod. A target without a URL is refused at its key.
#[test]
fn remote_write_pod_annotations_and_priority() {
    let objects = render_with(
        "prometheus:\n  enabled: true\n  server:\n    remoteWrite:\n      - url: \"https://mimir.{{ .Release.Namespace }}.svc/api/v1/push\"\n        queue_config: {max_samples_per_send: 1000}\n    podAnnotations: {team: ml}\n    priorityClassName: high\n",
        &["-n", "ops"],
    );
    let cfg = scrape_config(find(&objects, "ConfigMap", "skypilot-prometheus-server"));
    assert_eq!(
        cfg["remote_write"],
        json!([{"url": "https://mimir.ops.svc/api/v1/push", "queue_config": {"max_samples_per_send": 1000}}])
    );
    let template = &find(&objects, "Deployment", "skypilot-prometheus-server")["spec"]["template"];
    assert_eq!(template["metadata"]["annotations"], json!({"team": "ml"}));
    assert_eq!(template["spec"]["priorityClassName"], "high");
    assert!(
        scrape_config(find(&render(ON), "ConfigMap", "skypilot-prometheus-server"))
            .get("remote_write")
            .is_none()
    );

    let msg =
        refused("prometheus:\n  enabled: true\n  server:\n    remoteWrite:\n      - name: x\n");
    assert!(
        msg.contains(
            "-:5:9: prometheus.server.remoteWrite[0].url: each remote_write target needs a `url`"
        ),
        "{msg}"
    );
}
