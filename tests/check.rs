//! `skygen check RENDER…` (issue #12): two releases rendered by skygen collide in each way the
//! issue lists (one object in both, cluster-scoped names, IngressClass, two controllers on one
//! class, node ports, overlapping Ingress host and path, objects in skypilot-system) plus
//! hand-written HTTPRoutes (skygen renders none); two pairs that share a cluster safely do not.
//! The expected kinds are reasoned from how the releases are set up, and the CLI test checks the
//! exit codes and that each collision prints its fix.

mod common;
use common::TempDir;

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::{json, Value};
use skygen::check::{collisions, CollisionKind, Release};
use skygen::inputs::Inputs;
use skygen::values::set::SetFlag;
use skygen::values::ValueSource;

/// Render a release with `--set` flags.
fn render(name: &str, namespace: &str, sets: &[&str]) -> Vec<Value> {
    let inputs = Inputs {
        sources: sets
            .iter()
            .map(|s| ValueSource::Set(SetFlag::Set, (*s).to_owned()))
            .collect(),
        overlays: vec![],
        release: skygen::render::Release {
            name: name.into(),
            namespace: namespace.into(),
            kube_version: (1, 35),
        },
        allow_vulnerable_ingress_nginx: false,
        skypilot_version: None,
        lifecycle: Default::default(),
    };
    skygen::render_deployment(&inputs, &mut std::io::empty())
        .unwrap_or_else(|d| panic!("{name}: {d:#?}"))
        .objects
        .into_objects()
}

fn kinds(a: Vec<Value>, b: Vec<Value>) -> BTreeSet<CollisionKind> {
    let releases = [
        Release {
            source: "a".into(),
            objects: a,
        },
        Release {
            source: "b".into(),
            objects: b,
        },
    ];
    collisions(&releases).into_iter().map(|c| c.kind).collect()
}

/// The second release of a shared cluster: no controller of its own, its own path.
const GUEST: &[&str] = &["ingress-nginx.enabled=false", "ingress.path=/team-b"];

#[test]
fn one_release_applied_twice_collides_on_every_object() {
    let k = kinds(render("sky", "ops", &[]), render("sky", "ops", &[]));
    assert!(k.contains(&CollisionKind::SameObject), "{k:?}");
}

#[test]
fn the_same_release_name_in_two_namespaces_collides_on_cluster_scoped_and_system_objects() {
    let k = kinds(
        render("sky", "team-a", &["ingress.path=/team-a"]),
        render("sky", "team-b", GUEST),
    );
    // ClusterRoles and ClusterRoleBindings are named after the release only; the Role and
    // RoleBinding in skypilot-system too. Namespaced objects live in two namespaces: no clash.
    assert_eq!(
        k,
        BTreeSet::from([
            CollisionKind::ClusterScopedName,
            CollisionKind::SystemNamespace
        ]),
    );
}

#[test]
fn two_bundled_controllers_collide_on_the_class_and_the_route() {
    let k = kinds(
        render("team-a", "team-a", &[]),
        render("team-b", "team-b", &[]),
    );
    // Both render IngressClass nginx and a controller for it, and both Ingresses take `/` on any
    // host of that class.
    assert_eq!(
        k,
        BTreeSet::from([
            CollisionKind::IngressClass,
            CollisionKind::ControllerClass,
            CollisionKind::IngressRoute
        ]),
    );
}

#[test]
fn one_controller_value_under_two_class_names_collides() {
    let b = render(
        "team-b",
        "team-b",
        &[
            "ingress-nginx.controller.ingressClassResource.name=nginx-b",
            "ingress.ingressClassName=nginx-b",
        ],
    );
    let k = kinds(render("team-a", "team-a", &[]), b);
    assert_eq!(k, BTreeSet::from([CollisionKind::ControllerClass]));
}

#[test]
fn one_node_port_in_two_services_collides() {
    let ports = |class: &str| -> Vec<String> {
        let mut v = vec![
            "ingress-nginx.controller.service.type=NodePort".to_owned(),
            "ingress-nginx.controller.service.nodePorts.http=30080".to_owned(),
        ];
        if !class.is_empty() {
            v.extend([
                format!("ingress-nginx.controller.ingressClassResource.name={class}"),
                format!(
                    "ingress-nginx.controller.ingressClassResource.controllerValue=k8s.io/{class}"
                ),
                format!("ingress.ingressClassName={class}"),
            ]);
        }
        v
    };
    let a = ports("");
    let b = ports("nginx-b");
    let (a, b): (Vec<&str>, Vec<&str>) = (
        a.iter().map(String::as_str).collect(),
        b.iter().map(String::as_str).collect(),
    );
    let k = kinds(
        render("team-a", "team-a", &a),
        render("team-b", "team-b", &b),
    );
    assert_eq!(k, BTreeSet::from([CollisionKind::NodePort]));
}

#[test]
fn one_path_on_one_class_collides() {
    let k = kinds(
        render("team-a", "team-a", &[]),
        render("team-b", "team-b", &["ingress-nginx.enabled=false"]),
    );
    assert_eq!(k, BTreeSet::from([CollisionKind::IngressRoute]));
}

fn route(ns: &str, host: &str, path: &str) -> Value {
    json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": "skypilot", "namespace": ns},
        "spec": {"parentRefs": [{"name": "shared", "namespace": "gateways"}],
            "hostnames": [host],
            "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": path}}],
                "backendRefs": [{"name": "skypilot-api-service", "port": 80}]}]}})
}

#[test]
fn http_routes_on_one_gateway_collide_when_host_and_path_overlap() {
    let k = kinds(
        vec![route("a", "sky.example.com", "/")],
        vec![route("b", "sky.example.com", "/api")],
    );
    assert_eq!(k, BTreeSet::from([CollisionKind::HttpRoute]));
    let k = kinds(
        vec![route("a", "a.example.com", "/")],
        vec![route("b", "b.example.com", "/")],
    );
    assert!(k.is_empty(), "{k:?}");
}

#[test]
fn releases_that_share_a_cluster_safely_do_not_collide() {
    // Distinct names and namespaces, one controller, distinct paths. The identical Namespace
    // skypilot-system that both render is not a collision.
    let k = kinds(
        render("team-a", "team-a", &["ingress.path=/team-a"]),
        render("team-b", "team-b", GUEST),
    );
    assert!(k.is_empty(), "{k:?}");
    // Distinct hosts on one class.
    let k = kinds(
        render("team-a", "team-a", &["ingress.host=a.example.com"]),
        render(
            "team-b",
            "team-b",
            &["ingress-nginx.enabled=false", "ingress.host=b.example.com"],
        ),
    );
    assert!(k.is_empty(), "{k:?}");
}

fn yaml_stream(objs: &[Value]) -> String {
    skygen::manifest::to_yaml_stream(&skygen::manifest::Manifest::from_objects(objs.to_vec()))
}

#[test]
fn the_command_exits_1_with_a_fix_per_collision_and_0_when_clean() {
    let tmp = TempDir::new("check");
    let write = |name: &str, objs: &[Value]| tmp.write(name, yaml_stream(objs));
    let a = write("a.yaml", &render("team-a", "team-a", &[]));
    let b = write("b.yaml", &render("team-b", "team-b", &[]));
    let guest = write("guest.yaml", &render("team-b", "team-b", GUEST));
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_skygen"))
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["check", &a, &b]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let collisions = stdout
        .lines()
        .filter(|l| l.starts_with("collision ("))
        .count();
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("  fix: ")).count(),
        collisions
    );
    assert!(stdout.contains("ingress-nginx.enabled=false"), "{stdout}");
    let out = run(&[
        "check",
        &write(
            "a2.yaml",
            &render("team-a", "team-a", &["ingress.path=/team-a"]),
        ),
        &guest,
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .starts_with("ok: 2 releases"));
    // Unreadable input: exit 2, nothing on stdout.
    let out = run(&["check", &a, &tmp.join("missing.yaml")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}
