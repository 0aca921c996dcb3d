//! The existing-stack monitoring mode (`monitoring.*`, #14): the PodMonitor validated against
//! the prometheus-operator CRD (tests/fixtures/crds) and checked against the Deployment it
//! scrapes, the NetworkPolicy read with Kubernetes' NetworkPolicy semantics (the API port open
//! to everyone as before, the metrics port only to the monitoring namespace), the dashboard
//! ConfigMaps for a Grafana sidecar, and the rules that refuse or warn. Kubernetes schema
//! checks of the NetworkPolicy and ConfigMaps run in tests/oracles.rs (case
//! `monitoring-stack`).

mod common;

use common::crd;
use serde_json::{json, Value};

const STACK: &str = "apiService:\n  metrics:\n    enabled: true\nmonitoring:\n  serviceMonitor:\n    enabled: true\n    labels: {release: kps}\n";

/// Render `values` in process; panics with the messages unless it succeeds. Returns the objects
/// and every message (warnings) as the user sees them.
fn render(values: &str, args: &[&str]) -> (Vec<Value>, String) {
    let out = common::run_render(values, args);
    let messages: Vec<String> = out.diagnostics.iter().map(|d| d.render()).collect();
    assert_eq!(
        out.status,
        skygen::ExitStatus::Success,
        "{messages:#?}\nvalues:\n{values}"
    );
    let list: Value = serde_json::from_str(&out.stdout).expect("JSON output");
    (
        list["items"].as_array().expect("a List").clone(),
        messages.join("\n"),
    )
}

fn refused(values: &str) -> String {
    common::refused(values)
}

fn all<'a>(objs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objs.iter().filter(|o| o["kind"] == kind).collect()
}

fn one<'a>(objs: &'a [Value], kind: &str) -> &'a Value {
    let found = all(objs, kind);
    assert_eq!(found.len(), 1, "one {kind}");
    found[0]
}

fn api_deployment(objs: &[Value]) -> &Value {
    objs.iter()
        .find(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == "skypilot-api-server")
        .expect("the API server Deployment")
}

/// A label selector's `matchLabels` hold in `labels` (the selectors rendered here use no
/// `matchExpressions`; one would fail this check on purpose).
fn selects(selector: &Value, labels: &Value) -> bool {
    assert!(selector.get("matchExpressions").is_none(), "{selector}");
    selector["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v))
}

#[test]
fn the_pod_monitor_validates_against_the_operator_crd() {
    let schemas = crd::load("prometheus-operator-kps88.5.3-podmonitors.yaml");
    for values in [
        STACK.to_owned(),
        format!("{STACK}    interval: null\n    scrapeTimeout: null\n    gpuMetrics: {{enabled: false}}\n"),
        format!("{STACK}    endpointsMetrics: {{enabled: true, interval: 2m, scrapeTimeout: 90s}}\n"),
    ] {
        let (objs, _) = render(&values, &[]);
        let pm = one(&objs, "PodMonitor");
        let schema = crd::schema_for(&schemas, pm).expect("PodMonitor v1 schema");
        let errors = schema.errors(pm);
        assert!(errors.is_empty(), "{errors:#?}\n{pm:#}");
    }
}

#[test]
fn the_crd_check_refuses_what_the_operator_would() {
    let schemas = crd::load("prometheus-operator-kps88.5.3-podmonitors.yaml");
    let (objs, _) = render(STACK, &[]);
    let pm = one(&objs, "PodMonitor");
    let schema = crd::schema_for(&schemas, pm).unwrap();
    for (pointer, bad) in [
        ("/spec/podMetricsEndpoints/0/interval", json!("30")),
        ("/spec/podMetricsEndpoints/1/honorLabel", json!(true)),
        ("/spec/podTargetLabels", json!("app")),
    ] {
        let mut broken = pm.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        broken.pointer_mut(parent).unwrap()[key] = bad;
        assert!(!schema.errors(&broken).is_empty(), "{pointer} accepted");
    }
}

#[test]
fn the_pod_monitor_scrapes_the_api_server_pods_as_the_dashboards_need() {
    let (objs, _) = render(
        &format!("{STACK}    endpointsMetrics: {{enabled: true}}\n"),
        &["-n", "sky"],
    );
    let pm = one(&objs, "PodMonitor");
    assert_eq!(pm["metadata"]["name"], "skypilot-api");
    assert_eq!(pm["metadata"]["namespace"], "sky");
    assert_eq!(pm["metadata"]["labels"]["release"], "kps");
    let spec = &pm["spec"];
    assert_eq!(spec["namespaceSelector"], json!({"matchNames": ["sky"]}));
    // The API server panels filter on the pod's `app` label.
    assert_eq!(spec["podTargetLabels"], json!(["app"]));
    let pod = &api_deployment(&objs)["spec"]["template"];
    assert!(selects(&spec["selector"], &pod["metadata"]["labels"]));
    // Every other pod of the release is left alone.
    for o in &objs {
        if let Some(labels) = o.pointer("/spec/template/metadata/labels") {
            if o["metadata"]["name"] != "skypilot-api-server" {
                assert!(
                    !selects(&spec["selector"], labels),
                    "{}",
                    o["metadata"]["name"]
                );
            }
        }
    }
    // `port` names a container port of the API container, on 9090, where the server listens.
    let container = &pod["spec"]["containers"][0];
    let ports = container["ports"].as_array().unwrap();
    let endpoints = spec["podMetricsEndpoints"].as_array().unwrap();
    let paths: Vec<&str> = endpoints
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/metrics", "/gpu-metrics", "/endpoints-metrics"]);
    for e in endpoints {
        let port = ports
            .iter()
            .find(|p| p["name"] == e["port"])
            .unwrap_or_else(|| panic!("no container port named {}", e["port"]));
        assert_eq!(port["containerPort"], 9090);
        // Federated series keep their own pod and namespace labels (not exported_*).
        let federated = e["path"] != "/metrics";
        assert_eq!(
            e["honorLabels"].as_bool().unwrap_or(false),
            federated,
            "{e}"
        );
    }
    // The server gives each Kubernetes context up to 30 s; the federated scrape waits longer.
    assert_eq!(endpoints[1]["scrapeTimeout"], "45s");
}

/// Whether `policy` admits a TCP connection to `port` of a pod it selects from a pod with
/// `pod_labels` in a namespace with `ns_labels` (Kubernetes NetworkPolicy semantics: a rule
/// admits when one of its `from` peers matches, or it has none, and one of its `ports`
/// matches, or it has none; `endPort` makes a range; a peer's namespaceSelector and
/// podSelector must both match).
fn admits(policy: &Value, port: i64, ns_labels: &Value, pod_labels: &Value) -> bool {
    policy["spec"]["ingress"]
        .as_array()
        .unwrap()
        .iter()
        .any(|rule| {
            let peer_ok = match rule["from"].as_array() {
                None => true,
                Some(peers) => peers.iter().any(|p| {
                    p.get("namespaceSelector")
                        .is_none_or(|s| selects(s, ns_labels))
                        && p.get("podSelector").is_none_or(|s| selects(s, pod_labels))
                }),
            };
            let port_ok = match rule["ports"].as_array() {
                None => true,
                Some(ports) => ports.iter().any(|p| {
                    let proto = p["protocol"].as_str().unwrap_or("TCP");
                    let Some(start) = p["port"].as_i64() else {
                        return proto == "TCP";
                    };
                    let end = p["endPort"].as_i64().unwrap_or(start);
                    proto == "TCP" && (start..=end).contains(&port)
                }),
            };
            peer_ok && port_ok
        })
}

#[test]
fn the_network_policy_guards_only_the_metrics_port() {
    let values = format!(
        "{STACK}  networkPolicy:\n    podSelector: {{matchLabels: {{app.kubernetes.io/name: prometheus}}}}\n"
    );
    let (objs, _) = render(&values, &[]);
    let np = one(&objs, "NetworkPolicy");
    assert_eq!(
        np["spec"]["policyTypes"],
        json!(["Ingress"]),
        "egress untouched"
    );
    let pod = &api_deployment(&objs)["spec"]["template"];
    assert!(selects(
        &np["spec"]["podSelector"],
        &pod["metadata"]["labels"]
    ));
    let monitoring = json!({"kubernetes.io/metadata.name": "monitoring"});
    let other = json!({"kubernetes.io/metadata.name": "default"});
    let prometheus = json!({"app.kubernetes.io/name": "prometheus"});
    let anyone = json!({"app": "client"});
    // The API port and any other port a user's container may open: from everywhere.
    for port in [46580, 80, 8080, 9089, 9091, 65535] {
        assert!(admits(np, port, &other, &anyone), "port {port} cut");
    }
    // The metrics port: only Prometheus pods of the monitoring namespace.
    assert!(admits(np, 9090, &monitoring, &prometheus));
    assert!(!admits(np, 9090, &monitoring, &anyone));
    assert!(!admits(np, 9090, &other, &prometheus));
    // A network plugin that ignores endPort reads `port` alone: the API port must still be
    // listed by itself.
    let single: Vec<i64> = np["spec"]["ingress"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("from").is_none())
        .flat_map(|r| r["ports"].as_array().unwrap())
        .filter(|p| p.get("endPort").is_none())
        .filter_map(|p| p["port"].as_i64())
        .collect();
    assert_eq!(single, [46580]);
}

#[test]
fn dashboards_carry_the_sidecar_label_and_the_charts_names() {
    let (objs, _) = render(STACK, &[]);
    let maps: Vec<&Value> = all(&objs, "ConfigMap")
        .into_iter()
        .filter(|c| c["metadata"]["labels"].get("grafana_dashboard").is_some())
        .collect();
    let names: Vec<&str> = maps
        .iter()
        .map(|c| c["metadata"]["name"].as_str().unwrap())
        .collect();
    // The chart's ConfigMap names (reference/rendered/monitoring.helm-output.yaml); the two
    // serving dashboards only with /endpoints-metrics.
    assert_eq!(
        names,
        [
            "skypilot-api-server-overview-dashboard",
            "skypilot-compute-overview-dashboard",
            "skypilot-dcgm-cluster-dashboard",
            "skypilot-dcgm-skycluster-dashboard",
        ]
    );
    for c in &maps {
        // kube-prometheus-stack's sidecar matches the value exactly: "1", not the chart's "true".
        assert_eq!(c["metadata"]["labels"]["grafana_dashboard"], "1");
        assert_eq!(c["metadata"]["namespace"], "skypilot");
        let data = c["data"].as_object().unwrap();
        assert_eq!(data.len(), 1);
        let (key, text) = data.iter().next().unwrap();
        assert!(key.ends_with(".json"));
        let d: Value = serde_json::from_str(text.as_str().unwrap()).unwrap();
        assert!(d["uid"].as_str().unwrap().starts_with("skypilot-"));
    }

    let values = format!(
        "{STACK}    endpointsMetrics: {{enabled: true}}\n  dashboards:\n    namespace: grafana\n    label: dash\n    labelValue: 'yes'\n"
    );
    let (objs, _) = render(&values, &[]);
    let maps: Vec<&Value> = all(&objs, "ConfigMap")
        .into_iter()
        .filter(|c| c["metadata"]["labels"].get("dash").is_some())
        .collect();
    assert_eq!(maps.len(), 6);
    for c in maps {
        assert_eq!(c["metadata"]["labels"]["dash"], "yes");
        assert!(c["metadata"]["labels"].get("grafana_dashboard").is_none());
        assert_eq!(c["metadata"]["namespace"], "grafana");
    }
}

#[test]
fn each_part_can_be_turned_off_or_used_alone() {
    let count = |objs: &[Value]| {
        (
            all(objs, "PodMonitor").len(),
            all(objs, "NetworkPolicy").len(),
            all(objs, "ConfigMap")
                .iter()
                .filter(|c| {
                    c["metadata"]["name"]
                        .as_str()
                        .unwrap()
                        .ends_with("-dashboard")
                })
                .count(),
        )
    };
    let (objs, _) = render("{}", &[]);
    assert_eq!(count(&objs), (0, 0, 0), "nothing by default");
    let (objs, _) = render(STACK, &[]);
    assert_eq!(count(&objs), (1, 1, 4));
    let (objs, _) = render(
        &format!("{STACK}  dashboards: {{enabled: false}}\n  networkPolicy: {{enabled: false}}\n"),
        &[],
    );
    assert_eq!(count(&objs), (1, 0, 0));
    // Dashboards alone, for a Prometheus that scrapes the pod annotations.
    let (objs, _) = render("monitoring:\n  dashboards: {enabled: true}\n", &[]);
    assert_eq!(count(&objs), (0, 0, 4));
}

#[test]
fn refusals_name_the_key_and_the_fix() {
    let e = refused("monitoring:\n  serviceMonitor: {enabled: true}\n");
    assert!(e.contains("monitoring.serviceMonitor.enabled"), "{e}");
    assert!(e.contains("apiService.metrics.enabled=true"), "{e}");

    let e = refused(&STACK.replace(
        "enabled: true\nmonitoring",
        "enabled: true\n    port: 8000\nmonitoring",
    ));
    assert!(e.contains("apiService.metrics.port"), "{e}");
    assert!(e.contains("9090"), "{e}");

    let e = refused(&format!("{STACK}prometheus:\n  enabled: true\n"));
    assert!(
        e.contains("prometheus.enabled") && e.contains("monitoring"),
        "{e}"
    );
    let e = refused("monitoring:\n  dashboards: {enabled: true}\ngrafana:\n  enabled: true\n");
    assert!(e.contains("grafana.enabled"), "{e}");

    let e = refused(&format!("{STACK}    gpuMetrics: {{scrapeTimeout: 2m}}\n"));
    assert!(
        e.contains("monitoring.serviceMonitor.gpuMetrics.scrapeTimeout"),
        "{e}"
    );

    let e = refused(&format!("{STACK}    interval: 30\n"));
    assert!(e.contains("monitoring.serviceMonitor.interval"), "{e}");

    // The sidecar's label must be one Kubernetes accepts (the output check does not read label
    // keys).
    for (key, value) in [("label", "''"), ("labelValue", "'a b'")] {
        let e = refused(&format!("{STACK}  dashboards:\n    {key}: {value}\n"));
        assert!(e.contains(&format!("monitoring.dashboards.{key}")), "{e}");
    }
}

#[test]
fn warnings_for_a_pod_monitor_nothing_selects_and_duplicated_federation() {
    let (_, stderr) = render(
        "apiService:\n  metrics: {enabled: true}\nmonitoring:\n  serviceMonitor: {enabled: true}\n",
        &[],
    );
    assert!(
        stderr.contains("monitoring.serviceMonitor.labels"),
        "{stderr}"
    );
    assert!(stderr.contains("release="), "{stderr}");
    let (_, stderr) = render(STACK, &[]);
    assert!(
        !stderr.contains("monitoring.serviceMonitor.labels"),
        "{stderr}"
    );

    let two_pods = [&["--set", "apiService.replicas=2"], common::ROLLING].concat();
    let (_, stderr) = render(STACK, &two_pods);
    assert!(stderr.contains("apiService.replicas"), "{stderr}");
    assert!(stderr.contains("once per pod"), "{stderr}");
}
