//! `skygen check RENDER…` (issue #12): several releases in one cluster (team-a, team-b, …), each
//! given as its render (a manifest file or a `render -o` directory). Reports every collision that
//! would make one release break another, each with a fix:
//!
//! - the same object identity in two releases (last apply wins; a prune or an uninstall of one
//!   deletes the other's object), with a message of its own for cluster-scoped objects (the same
//!   release name in two namespaces), IngressClasses and objects in `skypilot-system`;
//! - two ingress-nginx controllers claiming one controller value (`--controller-class`): both
//!   serve every Ingress of the IngressClasses with that value;
//! - one `nodePort` in two Services (the second is refused);
//! - overlapping host + path between Ingresses of one class, and between HTTPRoutes attached to
//!   one Gateway: one release's requests reach the other's server.
//!
//! Identical Namespaces are not a collision (applying one twice changes nothing); docs/diff.md
//! says why they still must be kept out of pruning. Takes objects; returns collisions. Never
//! reads files and never prints.

use serde_json::Value;

use crate::diff::risk::workload;
use crate::manifest::ObjectId;

/// One release: where it was read and its objects.
pub struct Release {
    pub source: String,
    pub objects: Vec<Value>,
}

/// What collides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CollisionKind {
    SameObject,
    ClusterScopedName,
    IngressClass,
    SystemNamespace,
    ControllerClass,
    NodePort,
    IngressRoute,
    HttpRoute,
}

impl CollisionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CollisionKind::SameObject => "same object",
            CollisionKind::ClusterScopedName => "cluster-scoped name",
            CollisionKind::IngressClass => "ingress class",
            CollisionKind::SystemNamespace => "skypilot-system object",
            CollisionKind::ControllerClass => "ingress controller class",
            CollisionKind::NodePort => "node port",
            CollisionKind::IngressRoute => "ingress host and path",
            CollisionKind::HttpRoute => "HTTPRoute host and path",
        }
    }
}

/// One collision between two releases (indexes into the slice given to [`collisions`]).
#[derive(Clone, Debug)]
pub struct Collision {
    pub kind: CollisionKind,
    pub releases: (usize, usize),
    pub message: String,
    pub fix: String,
}

/// Every collision between every two releases, in release order.
///
/// ```
/// use serde_json::json;
/// use skygen::check::{collisions, Release};
/// let cr = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "skypilot-api-role"}});
/// let a = Release { source: "a.yaml".into(), objects: vec![cr.clone()] };
/// let b = Release { source: "b.yaml".into(), objects: vec![cr] };
/// assert_eq!(collisions(&[a, b]).len(), 1);
/// ```
pub fn collisions(releases: &[Release]) -> Vec<Collision> {
    let mut out = vec![];
    for i in 0..releases.len() {
        for j in i + 1..releases.len() {
            let (a, b) = (&releases[i].objects, &releases[j].objects);
            let mut push = |kind, message: String, fix: String| {
                out.push(Collision {
                    kind,
                    releases: (i, j),
                    message,
                    fix,
                })
            };
            same_objects(a, b, &mut push);
            controllers(a, b, &mut push);
            node_ports(a, b, &mut push);
            ingress_routes(a, b, &mut push);
            http_routes(a, b, &mut push);
        }
    }
    out
}

/// Most routes (Ingress host and path pairs, HTTPRoute matches) of one render that `check`
/// compares: routes are compared pair by pair with the other release's, so their count is
/// squared; a release has a handful (#17).
pub const MAX_ROUTES: usize = 1_000;

/// The routes of a render that [`collisions`] compares pair by pair (see [`MAX_ROUTES`]).
pub fn routes(objects: &[Value]) -> usize {
    ingress_rules(objects).len() + route_matches(objects).len()
}

type Push<'a> = dyn FnMut(CollisionKind, String, String) + 'a;

fn same_objects(a: &[Value], b: &[Value], push: &mut Push) {
    // By identity: a search of `b` per object of `a` was quadratic (#17).
    let in_b: std::collections::HashMap<ObjectId, &Value> =
        b.iter().map(|o| (ObjectId::of(o), o)).collect();
    for oa in a {
        let id = ObjectId::of(oa);
        let Some(&ob) = in_b.get(&id) else {
            continue;
        };
        if id.kind == "Namespace" && id.group.is_empty() && oa == ob {
            continue;
        }
        let (kind, fix) = if id.kind == "IngressClass" {
            (
                CollisionKind::IngressClass,
                format!("both releases bundle an ingress controller with IngressClass {}: set `ingress-nginx.enabled=false` for the second release and point its `ingress.ingressClassName` at the first's class, or give it its own class (`ingress-nginx.controller.ingressClassResource.name` and `.controllerValue`)", id.name),
            )
        } else if id.namespace == "skypilot-system" {
            (
                CollisionKind::SystemNamespace,
                "both releases manage the shared system components: set `rbac.manageSystemComponents=false` for all but one release, or give the releases distinct names".into(),
            )
        } else if id.namespace.is_empty() && id.kind != "Namespace" {
            (
                CollisionKind::ClusterScopedName,
                "cluster-scoped names come from the release name (or `fullnameOverride`) only, so the same release name in two namespaces collides: give one release another `--release-name` or `fullnameOverride`".into(),
            )
        } else {
            (
                CollisionKind::SameObject,
                "give the releases distinct names (`--release-name` or `fullnameOverride`), or distinct namespaces (`-n`)".into(),
            )
        };
        let differ = if oa == ob { "identical" } else { "different" };
        push(
            kind,
            format!("{id} is in both ({differ}): the last apply wins, and pruning or deleting one release deletes it for the other"),
            fix,
        );
    }
}

/// `--ingress-class=` and `--controller-class=` of every ingress-nginx controller.
fn controller_claims(objs: &[Value]) -> Vec<(String, String, String)> {
    objs.iter()
        .filter(|o| workload::is_ingress_controller(o))
        .map(|o| {
            let arg = |flag: &str| workload::container_arg(o, flag).unwrap_or_default();
            (
                ObjectId::of(o).to_string(),
                arg("--ingress-class="),
                arg("--controller-class="),
            )
        })
        .collect()
}

fn controllers(a: &[Value], b: &[Value], push: &mut Push) {
    let claims_b = controller_claims(b);
    for (ida, class_a, ctl_a) in controller_claims(a) {
        for (idb, class_b, ctl_b) in &claims_b {
            // ingress-nginx serves an Ingress whose IngressClass names its `--controller-class`;
            // `--ingress-class` only matters for the legacy annotation, so the value decides.
            if ctl_a.is_empty() || ctl_a != *ctl_b {
                continue;
            }
            let what = if class_a == *class_b {
                format!("controller value {ctl_a} (and class {class_a})")
            } else {
                format!("controller value {ctl_a}")
            };
            push(
                CollisionKind::ControllerClass,
                format!("ingress controllers {ida} and {idb} both claim {what}: both serve the same Ingresses, and each rewrites their status"),
                "run one controller: `ingress-nginx.enabled=false` for the second release; or give the second its own `ingress-nginx.controller.ingressClassResource.name` and `.controllerValue` (e.g. `k8s.io/ingress-nginx-team-b`) and use that class in its `ingress.ingressClassName`".into(),
            );
        }
    }
}

fn node_ports_of(objs: &[Value]) -> Vec<(String, i64)> {
    let mut out = vec![];
    for o in objs.iter().filter(|o| ObjectId::of(o).kind == "Service") {
        for p in o
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(n) = p.get("nodePort").and_then(Value::as_i64) {
                out.push((ObjectId::of(o).to_string(), n));
            }
        }
    }
    out
}

fn node_ports(a: &[Value], b: &[Value], push: &mut Push) {
    let mut ports_b: std::collections::HashMap<i64, Vec<String>> = Default::default();
    for (sb, pb) in node_ports_of(b) {
        ports_b.entry(pb).or_default().push(sb);
    }
    for (sa, pa) in node_ports_of(a) {
        for sb in ports_b.get(&pa).into_iter().flatten() {
            push(
                CollisionKind::NodePort,
                format!("{sa} and {sb} both ask for nodePort {pa}: the API server refuses the second Service"),
                "pick distinct node ports (`ingress-nginx.controller.service.nodePorts.http`/`.https`), or leave them unset so Kubernetes allocates free ones".into(),
            );
        }
    }
}

/// Do two hosts match a common request host? Absent matches every host; `*.x` one label.
fn hosts_overlap(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (None, _) | (_, None) => true,
        (Some(a), Some(b)) if a == b => true,
        (Some(a), Some(b)) => {
            let wild = |w: &str, h: &str| {
                w.strip_prefix("*.").is_some_and(|suffix| {
                    h.strip_suffix(suffix)
                        .and_then(|l| l.strip_suffix('.'))
                        .is_some_and(|label| !label.is_empty() && !label.contains('.'))
                })
            };
            wild(a, b) || wild(b, a) || (a.starts_with("*.") && a == b)
        }
    }
}

/// Do two paths share requests? Equal paths do; a prefix path covers the paths below it
/// (element-wise, as Kubernetes' `Prefix` matches).
fn paths_overlap(a: &str, b: &str) -> bool {
    // The chart writes a non-root path as the regex `/p(/|$)(.*)` (ImplementationSpecific).
    let plain = |p: &str| p.strip_suffix("(/|$)(.*)").unwrap_or(p).to_owned();
    let (a, b) = (plain(a), plain(b));
    let (a, b) = (a.as_str(), b.as_str());
    let under = |p: &str, q: &str| {
        let p = p.trim_end_matches('/');
        p.is_empty() || q == p || q.starts_with(&format!("{p}/"))
    };
    a == b || under(a, b) || under(b, a)
}

/// (class, host, path, object) of every Ingress route.
fn ingress_rules(objs: &[Value]) -> Vec<(Option<String>, Option<String>, String, String)> {
    let mut out = vec![];
    for o in objs.iter().filter(|o| ObjectId::of(o).kind == "Ingress") {
        let class = crate::diff::risk::exposure_class_of(o);
        for (host, path) in crate::diff::risk::ingress_paths(o) {
            out.push((class.clone(), host, path, ObjectId::of(o).to_string()));
        }
    }
    out
}

fn ingress_routes(a: &[Value], b: &[Value], push: &mut Push) {
    let mut seen = std::collections::BTreeSet::new();
    let rules_b = ingress_rules(b);
    for (ca, ha, pa, ia) in ingress_rules(a) {
        for (cb, hb, pb, ib) in &rules_b {
            if ca != *cb || !hosts_overlap(ha.as_deref(), hb.as_deref()) || !paths_overlap(&pa, pb)
            {
                continue;
            }
            if !seen.insert((ia.clone(), ib.clone())) {
                continue;
            }
            let host = |h: &Option<String>| h.clone().unwrap_or_else(|| "any host".into());
            push(
                CollisionKind::IngressRoute,
                format!(
                    "{ia} ({} {pa}) and {ib} ({} {pb}) overlap on class {}: requests meant for one release reach the other's API server",
                    host(&ha),
                    host(hb),
                    ca.as_deref().unwrap_or("(default)")
                ),
                "give each release its own `ingress.host`, or a distinct `ingress.path` (e.g. `/team-a` and `/team-b`)".into(),
            );
        }
    }
}

/// (gateway, hostname, path, object) of every HTTPRoute match.
fn route_matches(objs: &[Value]) -> Vec<(String, Option<String>, String, String)> {
    let mut out = vec![];
    for o in objs.iter().filter(|o| {
        let id = ObjectId::of(o);
        id.kind == "HTTPRoute" && id.group == "gateway.networking.k8s.io"
    }) {
        let id = ObjectId::of(o);
        let strs = |v: Option<&Value>| -> Vec<Option<String>> {
            let list: Vec<Option<String>> = v
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|s| Some(s.to_owned()))
                .collect();
            if list.is_empty() {
                vec![None]
            } else {
                list
            }
        };
        let hosts = strs(o.pointer("/spec/hostnames"));
        let mut paths = vec![];
        for rule in o
            .pointer("/spec/rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let matches = rule
                .get("matches")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if matches.is_empty() {
                paths.push("/".to_owned());
            }
            for m in matches {
                paths.push(
                    m.pointer("/path/value")
                        .and_then(Value::as_str)
                        .unwrap_or("/")
                        .to_owned(),
                );
            }
        }
        for parent in o
            .pointer("/spec/parentRefs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let gw = format!(
                "{}/{}",
                parent
                    .get("namespace")
                    .and_then(Value::as_str)
                    .unwrap_or(&id.namespace),
                parent.get("name").and_then(Value::as_str).unwrap_or("")
            );
            for h in &hosts {
                for p in &paths {
                    out.push((gw.clone(), h.clone(), p.clone(), id.to_string()));
                }
            }
        }
    }
    out
}

fn http_routes(a: &[Value], b: &[Value], push: &mut Push) {
    let mut seen = std::collections::BTreeSet::new();
    let matches_b = route_matches(b);
    for (ga, ha, pa, ia) in route_matches(a) {
        for (gb, hb, pb, ib) in &matches_b {
            if ga != *gb || !hosts_overlap(ha.as_deref(), hb.as_deref()) || !paths_overlap(&pa, pb)
            {
                continue;
            }
            if seen.insert((ia.clone(), ib.clone())) {
                push(
                    CollisionKind::HttpRoute,
                    format!("{ia} and {ib} both route {pa} on Gateway {ga} for overlapping hostnames: requests meant for one release reach the other's API server"),
                    "give each release its own hostname, or a distinct path".into(),
                );
            }
        }
    }
}

/// The report printed by `skygen check`.
pub fn print(releases: &[Release], found: &[Collision]) -> String {
    if found.is_empty() {
        let objects: usize = releases.iter().map(|r| r.objects.len()).sum();
        return format!(
            "ok: {} releases, {objects} objects, no collisions\n",
            releases.len()
        );
    }
    let mut out = String::new();
    for c in found {
        let (a, b) = c.releases;
        out.push_str(&format!(
            "collision ({}): {} and {}: {}\n  fix: {}\n",
            c.kind.as_str(),
            releases[a].source,
            releases[b].source,
            c.message,
            c.fix
        ));
    }
    let n = found.len();
    out.push_str(&format!(
        "\n{n} collision{}\n",
        if n == 1 { "" } else { "s" }
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_hosts() {
        assert!(paths_overlap("/", "/team-b"));
        assert!(paths_overlap("/a", "/a/b"));
        assert!(!paths_overlap("/a", "/ab"));
        assert!(!paths_overlap("/team-a", "/team-b"));
        assert!(!paths_overlap("/team-a(/|$)(.*)", "/team-b(/|$)(.*)"));
        assert!(paths_overlap("/", "/team-b(/|$)(.*)"));
        assert!(hosts_overlap(None, Some("a.example.com")));
        assert!(hosts_overlap(Some("*.example.com"), Some("a.example.com")));
        assert!(!hosts_overlap(
            Some("*.example.com"),
            Some("a.b.example.com")
        ));
        assert!(!hosts_overlap(Some("a.example.com"), Some("b.example.com")));
    }
}
