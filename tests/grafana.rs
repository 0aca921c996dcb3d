//! The bundled Grafana (`grafana.enabled`, issue #14): its objects against the Helm output of the
//! upstream chart with monitoring on (tests/fixtures/reference, copied from the reference
//! renders), and the cases the chart's templates decide: the Grafana Ingress's auth and
//! annotations (the chart's unit case "custom Grafana ingress annotations"), `ingress.unified`,
//! the sidecar toggles, `prometheus.scrapeEndpointMetrics`, the admin Secret, refused keys.
//!
//! Objects are compared as data, as in tests/ingress_nginx.rs: Helm's own label
//! (`helm.sh/chart`) and `helm.sh/*` annotations dropped, skygen's release labels dropped. What
//! Helm makes random is compared by shape only: the `checksum/*` pod annotations by key, the
//! admin-password Secret not at all (skygen does not render it without `adminPassword`), and
//! the dashboards by ConfigMap name, labels and data key (skygen writes its own JSON).

mod common;

use std::collections::BTreeMap;
use std::process::{Command, Output};

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_skygen");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/reference");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"))
}

/// Render the monitoring case (Grafana and Prometheus on) plus `args`.
fn render(args: &[&str]) -> (Vec<Value>, String) {
    let values = format!("{FIXTURES}/monitoring.values.yaml");
    let mut all = vec!["render", "-f", &values];
    all.extend_from_slice(args);
    let out = run(&all);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "skygen {all:?} failed:\n{stderr}");
    (
        common::stream_objects(&String::from_utf8(out.stdout).expect("UTF-8")),
        stderr,
    )
}

fn helm() -> Vec<Value> {
    common::stream_objects(
        &std::fs::read_to_string(format!("{FIXTURES}/monitoring.helm-output.yaml"))
            .expect("fixture"),
    )
}

fn id(o: &Value) -> String {
    format!(
        "{}/{}",
        o["kind"].as_str().unwrap_or("?"),
        o["metadata"]["name"].as_str().unwrap_or("?")
    )
}

fn find<'a>(objs: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
    objs.iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
}

/// The grafana subchart's objects (its labels), without Helm's `helm test` hooks.
fn subchart(objs: &[Value]) -> BTreeMap<String, Value> {
    objs.iter()
        .filter(|o| o["metadata"]["labels"]["app.kubernetes.io/name"] == "grafana")
        .filter(|o| o["metadata"]["annotations"]["helm.sh/hook"].is_null())
        .cloned()
        .map(normalize)
        .map(|o| (id(&o), o))
        .collect()
}

fn normalize(mut o: Value) -> Value {
    skygen::manifest::drop_nulls(&mut o);
    common::strip_lifecycle_metadata(&mut o);
    common::strip_helm_metadata(&mut o["metadata"]);
    let template = &mut o["spec"]["template"]["metadata"];
    if template.is_object() {
        common::strip_helm_metadata(template);
        // Checksums are of each side's own objects: compare which ones there are.
        if let Some(Value::Object(a)) = template.get_mut("annotations") {
            for (k, v) in a.iter_mut() {
                if k.starts_with("checksum/") {
                    *v = json!("<sha256>");
                }
            }
        }
    }
    o
}

fn assert_same(what: &str, ours: &Value, helm: &Value) {
    assert!(
        ours == helm,
        "{what} differs\n--- skygen\n{}\n--- helm\n{}",
        serde_json::to_string_pretty(ours).unwrap(),
        serde_json::to_string_pretty(helm).unwrap()
    );
}

#[test]
fn subchart_objects_match_helm() {
    let (ours, stderr) = render(&[]);
    let mut helm = subchart(&helm());
    // Helm's Secret holds a random password; skygen renders none without adminPassword, and
    // the Deployment reads the same Secret name and keys (compared below).
    let secret = helm
        .remove("Secret/skypilot-grafana")
        .expect("Helm renders the Secret");
    assert!(secret["data"]["admin-password"].is_string());
    // The Deployment's checksum/secret is of that random Secret: skygen has nothing to hash.
    helm.get_mut("Deployment/skypilot-grafana").unwrap()["spec"]["template"]["metadata"]
        ["annotations"]
        .as_object_mut()
        .unwrap()
        .remove("checksum/secret");
    assert_eq!(helm.len(), 10, "{:?}", helm.keys().collect::<Vec<_>>());
    let ours = subchart(&ours);
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        helm.keys().collect::<Vec<_>>(),
        "not the same grafana objects"
    );
    for (k, h) in &helm {
        assert_same(k, &ours[k], h);
    }
    assert!(
        stderr.contains("kubectl create secret generic skypilot-grafana -n skypilot")
            && stderr.contains("openssl rand"),
        "{stderr}"
    );
}

#[test]
fn chart_objects_match_helm() {
    let (ours, _) = render(&[]);
    let helm = helm();
    for (kind, name) in [
        ("ConfigMap", "skypilot-prometheus-datasource"),
        ("Ingress", "skypilot-grafana-authed"),
    ] {
        assert_same(
            name,
            &normalize(common::find(&ours, kind, name).clone()),
            &normalize(common::find(&helm, kind, name).clone()),
        );
    }
    // The datasource points at the bundled Prometheus Service, on or off (as upstream).
    let (no_prometheus, _) = render(&["--set", "prometheus.enabled=false"]);
    assert_eq!(
        common::find(
            &no_prometheus,
            "ConfigMap",
            "skypilot-prometheus-datasource"
        ),
        common::find(&ours, "ConfigMap", "skypilot-prometheus-datasource"),
    );
    assert!(find(&no_prometheus, "Service", "skypilot-prometheus-server").is_none());
    // Dashboards: the same ConfigMaps, labels and keys; the JSON is skygen's own.
    let dashboards = |objs: &[Value]| -> Vec<(String, Value, Vec<String>)> {
        let mut d: Vec<_> = objs
            .iter()
            .filter(|o| o["metadata"]["labels"]["grafana_dashboard"].is_string())
            .map(|o| {
                let o = normalize(o.clone());
                (
                    o["metadata"]["name"].as_str().unwrap().to_owned(),
                    o["metadata"]["labels"].clone(),
                    o["data"].as_object().unwrap().keys().cloned().collect(),
                )
            })
            .collect();
        d.sort_by(|a, b| a.0.cmp(&b.0));
        d
    };
    assert_eq!(dashboards(&ours), dashboards(&helm));
    assert_eq!(dashboards(&ours).len(), 4);
}

/// The chart's unit case: custom annotations land on the Grafana Ingress, after its own.
#[test]
fn custom_grafana_ingress_annotations() {
    let (ours, _) = render(&[
        "--set",
        "ingress.unified=false",
        "--set",
        "grafana.ingress.enableAuthedIngress=true",
        "--set",
        "grafana.ingress.ingressClassName=nginx",
        "--set",
        "grafana.ingress.annotations.example\\.com/foo=bar",
        "--set",
        "grafana.ingress.annotations.example\\.com/baz=qux",
    ]);
    let ingresses: Vec<_> = ours
        .iter()
        .filter(|o| o["metadata"]["name"] == "skypilot-grafana-authed")
        .collect();
    assert_eq!(ingresses.len(), 1);
    let a = &ingresses[0]["metadata"]["annotations"];
    assert_eq!(a["example.com/foo"], "bar");
    assert_eq!(a["example.com/baz"], "qux");
    assert_eq!(a["nginx.ingress.kubernetes.io/auth-type"], "basic");
}

/// With an OAuth mode on, the Grafana Ingress asks oauth2-proxy and passes the header Grafana's
/// auth.proxy reads; otherwise basic auth with `ingress.authSecret` or `<fullname>-basic-auth`.
#[test]
fn grafana_ingress_auth_follows_the_api_servers() {
    let annotations = |args: &[&str]| {
        let (ours, _) = render(args);
        common::find(&ours, "Ingress", "skypilot-grafana-authed")["metadata"]["annotations"].clone()
    };
    let oauth = annotations(&[
        "--set",
        "ingress.oauth2-proxy.enabled=true",
        "--set",
        "ingress.oauth2-proxy.use-https=true",
        "--set",
        "ingress.oauth2-proxy.oidc-issuer-url=https://id.example.com",
        "--set",
        "ingress.oauth2-proxy.client-id=sky",
        "--set",
        "ingress.oauth2-proxy.client-secret=s3cret",
        "--set",
        "grafana.grafana\\.ini.auth\\.proxy.header_name=X-Email",
    ]);
    let p = "nginx.ingress.kubernetes.io/";
    assert_eq!(
        oauth[format!("{p}auth-url")],
        "https://$host/oauth2/auth",
        "{oauth:#}"
    );
    assert_eq!(
        oauth[format!("{p}auth-signin")],
        "https://$host/oauth2/start?rd=$escaped_request_uri"
    );
    assert_eq!(oauth[format!("{p}auth-response-headers")], "X-Email");
    assert!(oauth[format!("{p}auth-type")].is_null());
    assert_eq!(
        oauth[format!("{p}configuration-snippet")],
        "proxy_set_header X-WEBAUTH-USER admin;\n"
    );

    let basic = annotations(&["--set", "ingress.authSecret=my-htpasswd"]);
    assert_eq!(basic[format!("{p}auth-secret")], "my-htpasswd");
    assert_eq!(basic[format!("{p}auth-type")], "basic");
    assert!(basic[format!("{p}auth-url")].is_null());
}

/// `ingress.unified`: no Grafana Ingress of its own; `/grafana` is a path of the main Ingress.
#[test]
fn unified_ingress_carries_grafana() {
    let (ours, _) = render(&[
        "--set",
        "ingress.unified=true",
        "--set",
        "ingress.authCredentials=u:$apr1$x$y",
    ]);
    assert!(find(&ours, "Ingress", "skypilot-grafana-authed").is_none());
    let main = common::find(&ours, "Ingress", "skypilot-ingress");
    let paths = main["spec"]["rules"][0]["http"]["paths"]
        .as_array()
        .unwrap();
    assert!(
        paths.iter().any(|p| p["path"] == "/grafana"
            && p["pathType"] == "Prefix"
            && p["backend"]["service"]["name"] == "skypilot-grafana"
            && p["backend"]["service"]["port"]["number"] == 80),
        "{paths:#?}"
    );
}

#[test]
fn sidecar_toggles_gate_the_chart_configmaps() {
    let (ours, _) = render(&[
        "--set",
        "grafana.sidecar.datasources.enabled=false",
        "--set",
        "grafana.sidecar.dashboards.enabled=false",
    ]);
    assert!(find(&ours, "ConfigMap", "skypilot-prometheus-datasource").is_none());
    assert!(!ours
        .iter()
        .any(|o| o["metadata"]["labels"]["grafana_dashboard"].is_string()));
    // The subchart drops the sidecars, their volumes and the provider ConfigMap too.
    assert!(find(&ours, "ConfigMap", "skypilot-grafana-config-dashboards").is_none());
    let pod = &common::find(&ours, "Deployment", "skypilot-grafana")["spec"]["template"]["spec"];
    let names = |field: &str| -> Vec<String> {
        pod[field]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names("containers"), ["grafana"]);
    assert_eq!(names("initContainers"), ["init-chown-data"]);
    assert_eq!(names("volumes"), ["config", "storage"]);
}

#[test]
fn endpoint_metrics_add_the_two_serving_dashboards() {
    let names = |args: &[&str]| -> Vec<String> {
        let (ours, _) = render(args);
        let mut n: Vec<String> = ours
            .iter()
            .filter(|o| o["metadata"]["labels"]["grafana_dashboard"] == "true")
            .map(|o| o["metadata"]["name"].as_str().unwrap().to_owned())
            .collect();
        n.sort();
        n
    };
    let base = names(&[]);
    let more = names(&["--set", "prometheus.scrapeEndpointMetrics=true"]);
    let added: Vec<_> = more.iter().filter(|n| !base.contains(n)).collect();
    assert_eq!(
        added,
        [
            "skypilot-autoscaling-dashboard",
            "skypilot-vllm-serving-dashboard"
        ]
    );
    assert_eq!(more.len(), 6);
}

fn admin_refs(objs: &[Value]) -> Vec<(String, String)> {
    let pod = &common::find(objs, "Deployment", "skypilot-grafana")["spec"]["template"]["spec"];
    pod["containers"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["env"].as_array().unwrap().iter())
        .filter_map(|e| {
            let r = &e["valueFrom"]["secretKeyRef"];
            r.is_object().then(|| {
                (
                    r["name"].as_str().unwrap().to_owned(),
                    r["key"].as_str().unwrap().to_owned(),
                )
            })
        })
        .collect()
}

#[test]
fn admin_password_renders_the_secret_as_the_subchart() {
    let (ours, stderr) = render(&[
        "--set",
        "grafana.adminPassword=hunter2",
        "--set",
        "grafana.adminUser=root",
    ]);
    let secret = common::find(&ours, "Secret", "skypilot-grafana");
    // base64 of "root" and "hunter2".
    assert_eq!(secret["data"]["admin-user"], "cm9vdA==");
    assert_eq!(secret["data"]["admin-password"], "aHVudGVyMg==");
    assert_eq!(secret["data"]["ldap-toml"], "");
    let annotations = &common::find(&ours, "Deployment", "skypilot-grafana")["spec"]["template"]
        ["metadata"]["annotations"];
    assert!(annotations["checksum/secret"]
        .as_str()
        .is_some_and(|s| s.len() == 64));
    assert!(!stderr.contains("kubectl create secret"), "{stderr}");
    assert!(admin_refs(&ours)
        .iter()
        .all(|(n, _)| n == "skypilot-grafana"));
}

#[test]
fn existing_secret_is_read_and_not_rendered() {
    let (ours, stderr) = render(&[
        "--set",
        "grafana.admin.existingSecret=grafana-admin",
        "--set",
        "grafana.admin.userKey=user",
        "--set",
        "grafana.admin.passwordKey=pass",
    ]);
    assert!(find(&ours, "Secret", "skypilot-grafana").is_none());
    assert!(!stderr.contains("kubectl create secret"), "{stderr}");
    let refs = admin_refs(&ours);
    // The dashboard sidecar's reload credentials and Grafana's own.
    assert_eq!(refs.len(), 4, "{refs:?}");
    for (name, key) in &refs {
        assert_eq!(name, "grafana-admin");
        assert!(key == "user" || key == "pass");
    }
    let annotations = &common::find(&ours, "Deployment", "skypilot-grafana")["spec"]["template"]
        ["metadata"]["annotations"];
    assert!(annotations["checksum/secret"].is_null());
}

#[test]
fn neither_keeps_helms_secret_reference() {
    let (ours, _) = render(&[]);
    assert!(find(&ours, "Secret", "skypilot-grafana").is_none());
    let refs = admin_refs(&ours);
    assert_eq!(refs.len(), 4);
    assert!(refs.iter().all(|(n, _)| n == "skypilot-grafana"));
    // Identical to what Helm's Deployment reads.
    assert_eq!(refs, admin_refs(&helm()));
}

#[test]
fn a_subchart_key_skygen_does_not_render_is_refused_at_its_line() {
    let dir = common::TempDir::new("grafana-refused");
    let values = dir.write("values.yaml", "grafana:\n  enabled: true\n  replicas: 2\n");
    let out = run(&["render", "-f", &values]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown key grafana.replicas"), "{stderr}");
    assert!(stderr.contains("values.yaml:3:"), "{stderr}");
    assert!(
        stderr.contains("skygen supports only these keys here:")
            && stderr.contains("adminPassword"),
        "{stderr}"
    );
    assert!(stderr.contains("docs/monitoring.md"), "{stderr}");
}

#[test]
fn grafana_ingress_on_a_class_that_ignores_nginx_annotations_is_refused() {
    let out = run(&[
        "render",
        "--set",
        "grafana.enabled=true",
        "--set",
        "grafana.ingress.ingressClassName=traefik",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("grafana.ingress.ingressClassName") && stderr.contains("X-WEBAUTH-USER"),
        "{stderr}"
    );
    // Declared ingress-nginx: fine.
    let ok = run(&[
        "render",
        "--set",
        "grafana.enabled=true",
        "--set",
        "grafana.ingress.ingressClassName=traefik",
        "--set",
        "ingress.nginxCompatible=true",
    ]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

/// Proxy auth (the chart's grafana.ini) trusts a header; any way in that does not set it after
/// checking the user would make anyone Grafana's admin.
#[test]
fn proxy_auth_grafana_is_reachable_only_through_the_authenticated_ingress() {
    for (arg, key) in [
        ("grafana.ingress.enabled=true", "grafana.ingress.enabled"),
        ("grafana.service.type=LoadBalancer", "grafana.service.type"),
        ("grafana.service.type=NodePort", "grafana.service.type"),
        // No nginx auth on the main Ingress: the API server's own auth does not cover /grafana.
        ("ingress.unified=true", "ingress.unified"),
    ] {
        let out = run(&["render", "--set", "grafana.enabled=true", "--set", arg]);
        assert_eq!(out.status.code(), Some(2), "{arg}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("{key}: ")) && stderr.contains("X-WEBAUTH-USER: admin"),
            "{stderr}"
        );
    }
    // Grafana's own login instead: allowed.
    let (ours, _) = render(&[
        "--set",
        "grafana.service.type=LoadBalancer",
        "--set",
        "grafana.grafana\\.ini.auth\\.proxy.enabled=false",
    ]);
    assert_eq!(
        common::find(&ours, "Service", "skypilot-grafana")["spec"]["type"],
        "LoadBalancer"
    );
}

/// Helm points the Grafana Ingress at `<fullname>-basic-auth` even when nothing creates it.
#[test]
fn a_missing_basic_auth_secret_is_a_warning() {
    let (_, stderr) = render(&[]);
    assert!(
        stderr.contains("Secret skypilot-basic-auth, which this render does not create"),
        "{stderr}"
    );
    let (_, stderr) = render(&["--set", "ingress.authCredentials=u:$apr1$x$y"]);
    assert!(!stderr.contains("skypilot-basic-auth"), "{stderr}");
}

/// The chart routes to `<fullname>-grafana` whatever the subchart is called (upstream too);
/// skygen says so and how to line them up, as the chart's own tests do.
#[test]
fn a_chart_fullname_override_needs_the_subchart_one() {
    let (ours, stderr) = render(&["--set", "fullnameOverride=sky"]);
    let ingress = common::find(&ours, "Ingress", "sky-grafana-authed");
    assert_eq!(
        ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"],
        "sky-grafana"
    );
    assert!(find(&ours, "Service", "skypilot-grafana").is_some());
    assert!(
        stderr.contains("set grafana.fullnameOverride=sky-grafana"),
        "{stderr}"
    );
    let (ours, stderr) = render(&[
        "--set",
        "fullnameOverride=sky",
        "--set",
        "grafana.fullnameOverride=sky-grafana",
    ]);
    assert!(find(&ours, "Service", "sky-grafana").is_some());
    assert!(find(&ours, "Deployment", "sky-grafana").is_some());
    assert!(!stderr.contains("grafana.fullnameOverride"), "{stderr}");
}

/// grafana.ini is written as is: what Helm would evaluate (`{{ … }}`) or print as Go's map
/// text, and a size that is no quantity, are errors at their keys.
#[test]
fn values_helm_would_render_differently_are_refused_at_their_keys() {
    let dir = common::TempDir::new("grafana-ini");
    let values = dir.write(
        "values.yaml",
        "grafana:\n  enabled: true\n  persistence:\n    size: lots\n  grafana.ini:\n    server:\n      root_url: \"{{ .Values.x }}\"\n    smtp:\n      nested:\n        a: b\n",
    );
    let out = run(&["render", "-f", &values]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "values.yaml:4:11: grafana.persistence.size",
        "values.yaml:7:17: grafana.grafana.ini.server.root_url",
        "grafana.grafana.ini.smtp.nested",
    ] {
        assert!(stderr.contains(expected), "{expected}\n{stderr}");
    }
}

/// Taking over Helm's monitoring release (docs/takeover.md): nothing immutable, no data loss, no
/// new exposure; only Grafana's pod restarts (its checksums are skygen's) besides the API
/// server's (its script's comments, as for every case); the one object Helm has and skygen does
/// not render is Grafana's admin Secret, which stays on the cluster and which the Deployment
/// still reads.
#[test]
fn taking_over_helms_grafana_is_safe() {
    use skygen::diff::{compare, Change, Options};
    use skygen::manifest::Manifest;
    let (ours, _) = render(&[]);
    // Helm's objects of the release as `helm get manifest` lists them: no hooks.
    let helm: Vec<Value> = helm()
        .into_iter()
        .filter(|o| o["metadata"]["annotations"]["helm.sh/hook"].is_null())
        .collect();
    let report = compare(
        Manifest::from_objects(helm),
        Manifest::from_objects(ours),
        &Options::default(),
    );
    let mut restarts = vec![];
    for d in &report.objects {
        for r in &d.risks {
            assert!(
                !matches!(r.kind.as_str(), "immutable" | "data-loss" | "exposure"),
                "{} {}: {}",
                d.id,
                r.kind.as_str(),
                r.message
            );
            if r.kind.as_str() == "restart" {
                restarts.push(d.id.name.clone());
            }
        }
    }
    restarts.sort();
    assert_eq!(restarts, ["skypilot-api-server", "skypilot-grafana"]);
    let removed: Vec<String> = report
        .objects
        .iter()
        .filter(|d| d.change == Change::Removed)
        .map(|d| d.id.to_string())
        .collect();
    assert_eq!(removed.len(), 1, "{removed:?}");
    assert!(removed[0].contains("skypilot-grafana") && removed[0].contains("Secret"));
}
