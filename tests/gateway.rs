//! Gateway API mode and other edges (#13): the HTTPRoute and each implementation's policies
//! validated against their CRD schemas (tests/fixtures/crds), what the route sends where
//! (port 80 only, the prefix removed, stream timeouts), the Ingress and bundled controller left
//! out unless kept for a cut-over, and the refusals that keep the API from being served without
//! auth or with a broken path (Gateway, or an Ingress class that is not ingress-nginx).

mod common;

use std::process::{Command, Output};

use common::crd::{self, CrdSchema};
use common::TempDir;
use common::ROLLING;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_skygen");

/// Values with in-server basic auth (a hash of our own, not the chart's published default).
const AUTH: &str = "apiService:\n  enableUserManagement: true\n  initialBasicAuthCredentials: 'admin:$apr1$Qx9pL2aB$3cXZr2o1bq1H1jGm9dG2Q0'\n";

fn run_with(values: &str, args: &[&str]) -> Output {
    let dir = TempDir::new("gateway");
    let file = dir.write("values.yaml", values);
    let mut all = vec!["render", "-f", &file];
    all.extend_from_slice(args);
    Command::new(BIN).args(&all).output().expect("skygen runs")
}

/// Render `values`; panics with stderr unless it succeeds. Returns objects and stderr.
fn render(values: &str, args: &[&str]) -> (Vec<Value>, String) {
    let out = run_with(values, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "render failed:\n{stderr}\nvalues:\n{values}"
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let objs = skygen::yaml::read_stream(&text)
        .unwrap()
        .into_iter()
        .map(|d| d.value)
        .filter(Value::is_object)
        .collect();
    (objs, stderr)
}

/// Render `values`, expecting a refusal: exit 2, nothing on stdout. Returns stderr.
fn refused(values: &str) -> String {
    let out = run_with(values, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(2),
        "not refused:\n{values}\n{stderr}"
    );
    assert!(out.stdout.is_empty());
    stderr
}

fn gateway(implementation: &str, extra: &str) -> String {
    format!(
        "{AUTH}gateway:\n  enabled: true\n  parentRefs: [{{name: shared, namespace: gateways, sectionName: https}}]\n  hostnames: [sky.example.com]\n  implementation: '{implementation}'\n{extra}"
    )
}

fn kinds(objs: &[Value]) -> Vec<String> {
    objs.iter()
        .map(|o| o["kind"].as_str().unwrap().to_owned())
        .collect()
}

fn find<'a>(objs: &'a [Value], kind: &str) -> &'a Value {
    objs.iter()
        .find(|o| o["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {:?}", kinds(objs)))
}

fn schemas() -> Vec<CrdSchema> {
    [
        "gateway-api-v1.6.1-httproutes.yaml",
        "envoy-gateway-v1.9.0-backendtrafficpolicies.yaml",
        "gke-gateway-api-fc40d60-gcpbackendpolicies.yaml",
        "gke-gateway-api-fc40d60-healthcheckpolicies.yaml",
    ]
    .iter()
    .flat_map(|f| crd::load(f))
    .collect()
}

/// Groups whose objects must be checked against a CRD fixture (no built-in schema exists).
const CRD_GROUPS: &[&str] = &[
    "gateway.networking.k8s.io/",
    "gateway.envoyproxy.io/",
    "networking.gke.io/",
];

#[test]
fn every_implementation_validates_against_its_crds() {
    let schemas = schemas();
    let cases = [
        ("", vec!["HTTPRoute"]),
        ("envoy-gateway", vec!["HTTPRoute", "BackendTrafficPolicy"]),
        (
            "gke",
            vec!["HTTPRoute", "GCPBackendPolicy", "HealthCheckPolicy"],
        ),
    ];
    for (implementation, want) in cases {
        for (extra, flags) in [
            ("", &[][..]),
            ("  path: /sky\n  annotations: {example.com/team: ml}\n", &[]),
            ("", ROLLING),
        ] {
            if implementation == "gke" && !extra.is_empty() {
                continue; // a path prefix is refused on GKE (tested below)
            }
            let (objs, _) = render(&gateway(implementation, extra), flags);
            let custom: Vec<&Value> = objs
                .iter()
                .filter(|o| {
                    let v = o["apiVersion"].as_str().unwrap();
                    CRD_GROUPS.iter().any(|g| v.starts_with(g))
                })
                .collect();
            let got: Vec<&str> = custom.iter().map(|o| o["kind"].as_str().unwrap()).collect();
            assert_eq!(got, want, "implementation {implementation:?}");
            for o in custom {
                let schema = crd::schema_for(&schemas, o).unwrap_or_else(|| {
                    panic!("no CRD fixture for {} {}", o["apiVersion"], o["kind"])
                });
                let errors = schema.errors(o);
                assert!(
                    errors.is_empty(),
                    "{implementation:?} {}: {errors:#?}\n{}",
                    o["kind"],
                    serde_json::to_string_pretty(o).unwrap()
                );
                let name = o["metadata"]["name"].as_str().unwrap();
                assert!(name.len() <= 63 && o["metadata"]["namespace"] == "skypilot");
            }
        }
    }
}

/// The validator is not vacuous: an unknown field, a wrong type and a bad duration all fail.
#[test]
fn crd_validator_refuses_unknown_fields_and_bad_values() {
    let schemas = schemas();
    let (objs, _) = render(&gateway("envoy-gateway", ""), &[]);
    let route = find(&objs, "HTTPRoute").clone();
    let schema = crd::schema_for(&schemas, &route).unwrap();
    assert!(schema.errors(&route).is_empty());
    for (pointer, bad) in [
        ("/spec/rules/0/timeout", json!({"request": "1h"})),
        ("/spec/rules/0/timeouts/request", json!("1 hour")),
        ("/spec/rules/0/backendRefs/0/port", json!("80")),
        ("/spec/parentRefs/0/colour", json!("blue")),
    ] {
        let mut o = route.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        o.pointer_mut(parent).unwrap()[key] = bad;
        assert!(!schema.errors(&o).is_empty(), "{pointer} accepted");
    }
    let btp = find(&objs, "BackendTrafficPolicy").clone();
    let schema = crd::schema_for(&schemas, &btp).unwrap();
    let mut o = btp.clone();
    o["spec"]["timeout"]["http"]["idleTimeout"] = json!("1h");
    assert!(!schema.errors(&o).is_empty(), "unknown BTP field accepted");
}

#[test]
fn route_sends_the_api_to_port_80_with_the_prefix_removed() {
    let (objs, stderr) = render(
        &gateway("", "  path: /sky\n"),
        &["--set", "apiService.metrics.enabled=true"],
    );
    let route = find(&objs, "HTTPRoute");
    assert_eq!(route["metadata"]["name"], "skypilot-api");
    assert_eq!(
        route["spec"]["parentRefs"],
        json!([{"name": "shared", "namespace": "gateways", "sectionName": "https"}])
    );
    assert_eq!(route["spec"]["hostnames"], json!(["sky.example.com"]));
    let rules = route["spec"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 1);
    let rule = &rules[0];
    assert_eq!(
        rule["matches"],
        json!([{"path": {"type": "PathPrefix", "value": "/sky"}}])
    );
    // nginx's `rewrite-target: /$2` on `/sky(/|$)(.*)`: /sky/api/health reaches the server as
    // /api/health. ReplacePrefixMatch `/` on the PathPrefix does the same.
    assert_eq!(
        rule["filters"],
        json!([{"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}])
    );
    assert_eq!(
        rule["backendRefs"],
        json!([{"name": "skypilot-api-service", "port": 80}])
    );
    // No total deadline: `sky logs -f` streams for hours (nginx's timeouts are idle timers).
    assert_eq!(rule["timeouts"], json!({"request": "0s"}));
    // The metrics port exists on the Service but nothing at the edge points to it.
    let svc = objs
        .iter()
        .find(|o| o["kind"] == "Service" && o["metadata"]["name"] == "skypilot-api-service")
        .unwrap();
    assert!(svc["spec"]["ports"].to_string().contains("9090"));
    for o in objs.iter().filter(|o| {
        o["apiVersion"].as_str().unwrap().contains("gateway")
            || o["apiVersion"].as_str().unwrap().contains("gke")
    }) {
        assert!(!o.to_string().contains("9090"), "{o}");
    }
    // Gateway only: no Ingress, no bundled controller, so no retirement warning either.
    assert!(objs
        .iter()
        .all(|o| o["kind"] != "Ingress" && o["kind"] != "IngressClass"));
    assert!(objs
        .iter()
        .all(|o| o["metadata"]["labels"]["app.kubernetes.io/name"] != "ingress-nginx"));
    assert!(!stderr.contains("retired"), "{stderr}");
}

#[test]
fn request_timeout_can_be_left_out() {
    let (objs, _) = render(&gateway("", "  requestTimeout: null\n"), &[]);
    assert!(find(&objs, "HTTPRoute")["spec"]["rules"][0]
        .get("timeouts")
        .is_none());
    let (objs, _) = render(&gateway("", "  requestTimeout: 2h\n"), &[]);
    assert_eq!(
        find(&objs, "HTTPRoute")["spec"]["rules"][0]["timeouts"]["request"],
        "2h"
    );
    let err = refused(&gateway("", "  requestTimeout: 2 hours\n"));
    assert!(err.contains("gateway.requestTimeout"), "{err}");
}

#[test]
fn envoy_gateway_policy_keeps_streams_open_and_checks_health() {
    let (objs, _) = render(&gateway("envoy-gateway", ""), &[]);
    let btp = find(&objs, "BackendTrafficPolicy");
    // The CRD's CEL rules: targets in the Gateway API group, of a route kind.
    assert_eq!(
        btp["spec"]["targetRefs"],
        json!([{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "skypilot-api"}])
    );
    // Envoy's own default would close a silent stream after 5 minutes.
    assert_eq!(btp["spec"]["timeout"]["http"]["streamIdleTimeout"], "3600s");
    let active = &btp["spec"]["healthCheck"]["active"];
    assert_eq!(active["type"], "HTTP"); // CEL: type HTTP needs `http`
    assert_eq!(active["http"]["path"], "/api/health");
    assert!(
        btp["spec"].get("requestBuffer").is_none(),
        "buffering breaks websockets"
    );
}

#[test]
fn gke_policies_raise_the_backend_timeout_and_probe_the_health_path() {
    let (objs, _) = render(&gateway("gke", ""), &[]);
    let route = find(&objs, "HTTPRoute");
    assert!(
        route["spec"]["rules"][0].get("timeouts").is_none(),
        "GKE has no route timeouts"
    );
    let target = json!({"group": "", "kind": "Service", "name": "skypilot-api-service"});
    let backend = find(&objs, "GCPBackendPolicy");
    assert_eq!(backend["spec"]["targetRef"], target);
    // GKE's default is 30 s, which is also the longest a websocket may live.
    assert_eq!(backend["spec"]["default"]["timeoutSec"], 3600);
    let health = find(&objs, "HealthCheckPolicy");
    assert_eq!(health["spec"]["targetRef"], target);
    assert_eq!(
        health["spec"]["default"]["config"],
        json!({"type": "HTTP", "httpHealthCheck": {"requestPath": "/api/health"}})
    );
    let err = refused(&gateway("gke", "  path: /sky\n"));
    assert!(err.contains("gateway.path") && err.contains("GKE"), "{err}");
}

#[test]
fn keep_ingress_renders_both_for_a_cut_over() {
    let (objs, stderr) = render(&gateway("", "  keepIngress: true\n"), &[]);
    let k = kinds(&objs);
    assert!(
        k.contains(&"Ingress".to_owned()) && k.contains(&"HTTPRoute".to_owned()),
        "{k:?}"
    );
    assert!(
        k.contains(&"IngressClass".to_owned()),
        "the bundled controller stays: {k:?}"
    );
    assert!(stderr.contains("retired"), "{stderr}");
}

#[test]
fn gateway_needs_auth_in_the_api_server() {
    let route = "gateway:\n  enabled: true\n  parentRefs: [{name: shared}]\n";
    let err = refused(route);
    assert!(
        err.contains("gateway.enabled") && err.contains("identity header"),
        "{err}"
    );
    assert!(
        err.contains("enableUserManagement") && err.contains("auth.oauth"),
        "{err}"
    );

    // The chart's published default password is no protection.
    let err = refused(&format!(
        "{route}apiService:\n  enableUserManagement: true\n"
    ));
    assert!(
        err.contains("apiService.initialBasicAuthCredentials") && err.contains("published"),
        "{err}"
    );

    let err = refused(&format!(
        "{route}{AUTH}auth:\n  disableBasicAuthMiddleware: true\n"
    ));
    assert!(err.contains("auth.disableBasicAuthMiddleware"), "{err}");

    // Ingress basic auth is not translated: refused with the in-server fix.
    let err = refused(&format!(
        "{route}ingress:\n  authCredentials: 'u:$apr1$x$y'\n"
    ));
    assert!(err.contains("ingress.authCredentials"), "{err}");
    assert!(
        err.contains("apiService.initialBasicAuthCredentials"),
        "{err}"
    );
    assert!(
        !err.contains("identity header"),
        "one error, not two: {err}"
    );

    let err = refused(&format!(
        "{route}ingress:\n  oauth2-proxy:\n    enabled: true\n"
    ));
    assert!(
        err.contains("ingress.oauth2-proxy") && err.contains("auth.oauth.enabled"),
        "{err}"
    );

    let err = refused(&format!(
        "{route}auth:\n  externalProxy:\n    enabled: true\n"
    ));
    assert!(err.contains("auth.externalProxy"), "{err}");

    let err = refused(&format!("{AUTH}gateway:\n  enabled: true\n"));
    assert!(err.contains("gateway.parentRefs"), "{err}");

    // What does protect the API.
    render(&format!("{route}{AUTH}"), &[]);
    render(
        &format!("{route}apiService:\n  enableUserManagement: true\n  initialBasicAuthSecret: my-users\n"),
        &[],
    );
    render(
        &format!("{route}auth:\n  oauth:\n    enabled: true\n    oidc-issuer-url: https://idp.example.com\n    client-id: sky\n    client-secret: s3cret\n    cookie-secret: 0123456789abcdef\n"),
        &[],
    );
}

#[test]
fn own_ingress_controller_refuses_an_nginx_path_and_warns_about_timeouts() {
    let traefik = "ingress-nginx:\n  enabled: false\ningress:\n  ingressClassName: traefik\n";
    let err = refused(&format!("{traefik}  path: /sky\n"));
    assert!(
        err.contains("ingress.path") && err.contains("traefik"),
        "{err}"
    );
    let (objs, stderr) = render(traefik, &[]);
    assert_eq!(
        find(&objs, "Ingress")["spec"]["ingressClassName"],
        "traefik"
    );
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains("timeout")).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with("warning: ") && lines[0].contains("docs/edge.md"),
        "{stderr}"
    );
    // The bundled class and `nginx` get neither.
    let (_, stderr) = render("", &[]);
    assert!(!stderr.contains("timeout"), "{stderr}");
}
