//! Risk classes of an upgrade (issue #12): what each change will *do* to a running SkyPilot API
//! server, not only what changed.
//!
//! Takes the two object sets of a diff (old and new, each normalized, identities unique) and
//! returns, per object identity, the risks that apply, each with its class ([`RiskKind`], spelled
//! exactly as other tools read it), a JSON pointer to the field that causes it and a one-line
//! reason a reviewer can act on. Rules look at one pair of objects (old/new, either may be
//! absent) and, where a risk needs context, at the whole sets: the Deployment's strategy for
//! `downtime`, the ConfigMap the API server mounts for `config-not-applied`, the PVC the API
//! server claims for `data-loss`, the IngressClass that decides whether nginx auth annotations
//! are read for `exposure`, every binding for `privilege`. One file per family of rules:
//! [`workload`] (restart, downtime, container privileges, config-not-applied, data-loss),
//! [`immutable`], [`exposure`] (and logout), [`rbac`]. Never prints; never reads files.
//!
//! Labels and annotations are never a risk by themselves: release labels, Helm's bookkeeping and
//! kubectl's annotations change no behaviour (a pod template label does, through `restart`).

mod exposure;
mod immutable;
mod rbac;
pub(crate) mod workload;

pub(crate) use exposure::{class_of as exposure_class_of, ingress_paths};

use std::collections::BTreeMap;

use serde_json::Value;

use crate::manifest::ObjectId;

/// The risk classes, in the order they are printed and counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RiskKind {
    /// A pod template changed: that workload's pods are replaced.
    Restart,
    /// The API server or the only ingress controller stops serving for a while.
    Downtime,
    /// A field Kubernetes refuses to change in place: `kubectl apply` fails.
    Immutable,
    /// The state volume (or what holds it) is deleted or replaced by an empty one.
    DataLoss,
    /// Authentication in front of the API server is removed or weakened, or something is newly
    /// reachable from outside the cluster.
    Exposure,
    /// RBAC or a container grants more than before.
    Privilege,
    /// The oauth2-proxy cookie secret changes: every user is logged out.
    Logout,
    /// The config ConfigMap changed, but the running server keeps its own copy.
    ConfigNotApplied,
}

impl RiskKind {
    pub const ALL: [RiskKind; 8] = [
        RiskKind::Restart,
        RiskKind::Downtime,
        RiskKind::Immutable,
        RiskKind::DataLoss,
        RiskKind::Exposure,
        RiskKind::Privilege,
        RiskKind::Logout,
        RiskKind::ConfigNotApplied,
    ];

    /// The stable name (`data-loss`, `config-not-applied`, …) that `--fail-on`, JSON and
    /// other tools use.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskKind::Restart => "restart",
            RiskKind::Downtime => "downtime",
            RiskKind::Immutable => "immutable",
            RiskKind::DataLoss => "data-loss",
            RiskKind::Exposure => "exposure",
            RiskKind::Privilege => "privilege",
            RiskKind::Logout => "logout",
            RiskKind::ConfigNotApplied => "config-not-applied",
        }
    }

    /// The class named `name`, spelled exactly.
    pub fn parse(name: &str) -> Option<RiskKind> {
        RiskKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for RiskKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The classes `--fail-on` names (comma-separated or repeated; `any` is every class).
pub fn parse_fail_on(
    names: &[String],
) -> Result<Vec<RiskKind>, Box<crate::diagnostics::Diagnostic>> {
    use crate::diagnostics::{did_you_mean, Code, Diagnostic};
    let mut out = vec![];
    for name in names.iter().map(|n| n.trim()) {
        if name == "any" {
            out.extend(RiskKind::ALL);
            continue;
        }
        match RiskKind::parse(name) {
            Some(k) => out.push(k),
            None => {
                let all: Vec<&str> = RiskKind::ALL
                    .iter()
                    .map(|k| k.as_str())
                    .chain(["any"])
                    .collect();
                let hint = did_you_mean(name, all.iter().copied())
                    .map(|s| format!("did you mean {s}? "))
                    .unwrap_or_default();
                return Err(Box::new(
                    Diagnostic::error(
                        Code::Usage,
                        format!("--fail-on: unknown risk class `{name}`"),
                    )
                    .with_help(format!("{hint}the classes are {}", all.join(", "))),
                ));
            }
        }
    }
    Ok(out)
}

/// One risk of one object's change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Risk {
    pub kind: RiskKind,
    /// JSON pointer (RFC 6901) of the field that causes it in the new object (the old one when
    /// removed); empty when the whole object is the cause.
    pub path: String,
    /// One line: the field, what Kubernetes will do, and what to do about it.
    pub message: String,
}

/// The two sides of a diff, by identity, for rules that need context.
pub struct Sets<'a> {
    pub old: BTreeMap<ObjectId, &'a Value>,
    pub new: BTreeMap<ObjectId, &'a Value>,
}

impl<'a> Sets<'a> {
    pub fn new(old: &'a [Value], new: &'a [Value]) -> Self {
        let by_id = |objs: &'a [Value]| objs.iter().map(|o| (ObjectId::of(o), o)).collect();
        Sets {
            old: by_id(old),
            new: by_id(new),
        }
    }

    /// Every identity of either side with its old and new object, in identity order.
    pub fn pairs(&self) -> Vec<(&ObjectId, Option<&'a Value>, Option<&'a Value>)> {
        let mut ids: Vec<&ObjectId> = self.old.keys().chain(self.new.keys()).collect();
        ids.sort();
        ids.dedup();
        ids.into_iter()
            .map(|id| (id, self.old.get(id).copied(), self.new.get(id).copied()))
            .collect()
    }

    /// Objects of one kind on one side.
    pub fn of_kind(side: &BTreeMap<ObjectId, &'a Value>, kind: &str) -> Vec<(ObjectId, &'a Value)> {
        side.iter()
            .filter(|(id, _)| id.kind == kind)
            .map(|(id, v)| (id.clone(), *v))
            .collect()
    }
}

/// Risks found so far, per object.
#[derive(Default)]
pub struct Findings(BTreeMap<ObjectId, Vec<Risk>>);

impl Findings {
    pub fn push(&mut self, id: &ObjectId, kind: RiskKind, path: &str, message: String) {
        let risks = self.0.entry(id.clone()).or_default();
        let risk = Risk {
            kind,
            path: path.to_owned(),
            message,
        };
        if !risks.contains(&risk) {
            risks.push(risk);
        }
    }
}

/// Classify every difference between `old` and `new`.
///
/// ```
/// use serde_json::json;
/// let dep = |image: &str| json!({"apiVersion": "apps/v1", "kind": "Deployment",
///     "metadata": {"name": "web", "namespace": "n"},
///     "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "c", "image": image}]}}}});
/// let risks = skygen::diff::risk::classify(&[dep("a:1")], &[dep("a:2")]);
/// let (_, list) = risks.iter().next().unwrap();
/// assert_eq!(list[0].kind.as_str(), "restart");
/// assert_eq!(list[0].path, "/spec/template/spec/containers/0/image");
/// ```
pub fn classify(old: &[Value], new: &[Value]) -> BTreeMap<ObjectId, Vec<Risk>> {
    let sets = Sets::new(old, new);
    let mut found = Findings::default();
    for (id, o, n) in sets.pairs() {
        if o == n {
            continue;
        }
        workload::restart_and_downtime(&sets, id, o, n, &mut found);
        workload::container_privileges(id, o, n, &mut found);
        immutable::check(id, o, n, &mut found);
    }
    workload::data_loss(&sets, &mut found);
    workload::config_not_applied(&sets, &mut found);
    exposure::ingresses(&sets, &mut found);
    exposure::services(&sets, &mut found);
    exposure::server_auth(&sets, &mut found);
    exposure::logout(&sets, &mut found);
    rbac::privilege(&sets, &mut found);
    let mut out = found.0;
    for risks in out.values_mut() {
        risks.sort_by_key(|r| r.kind);
    }
    out
}

/// A readable name for a field: `spec.template.spec.containers[skypilot-api].image`. List items
/// that have a `name` are named by it, others by index.
pub fn field(obj: &Value, pointer: &str) -> String {
    let mut out = String::new();
    let mut at = Some(obj);
    for raw in pointer.split('/').skip(1) {
        let seg = crate::pointer::unescape(raw);
        let item = at.and_then(|v| match v {
            Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
            Value::Object(m) => m.get(&seg),
            _ => None,
        });
        if at.is_some_and(Value::is_array) {
            match item.and_then(|i| i.get("name")).and_then(Value::as_str) {
                Some(name) => out.push_str(&format!("[{name}]")),
                None => out.push_str(&format!("[{seg}]")),
            }
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
        at = item;
    }
    out
}

/// The first pointer at which `old` and `new` differ below `base` (a pointer), or `base`.
pub fn first_change(old: &Value, new: &Value, base: &str) -> String {
    let (Some(o), Some(n)) = (old.pointer(base), new.pointer(base)) else {
        return base.to_owned();
    };
    let mut paths = Vec::new();
    let mut at = base.to_owned();
    super::changed_paths(o, n, &mut at, &mut paths);
    paths.into_iter().next().unwrap_or_else(|| base.to_owned())
}

/// The pointer of a key below `base`, escaped.
pub fn ptr(base: &str, key: &str) -> String {
    format!("{base}/{}", crate::pointer::escape(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kinds(old: Vec<Value>, new: Vec<Value>) -> Vec<(String, &'static str, String)> {
        classify(&old, &new)
            .into_iter()
            .flat_map(|(id, rs)| {
                rs.into_iter()
                    .map(move |r| (id.name.clone(), r.kind.as_str(), r.path))
            })
            .collect()
    }

    fn obj(api: &str, kind: &str, name: &str, rest: Value) -> Value {
        let mut v =
            json!({"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": "n"}});
        if let (Some(m), Value::Object(r)) = (v.as_object_mut(), rest) {
            m.extend(r);
        }
        v
    }

    #[test]
    fn immutable_fields_per_kind() {
        let dep = |sel: &str| {
            obj(
                "apps/v1",
                "Deployment",
                "d",
                json!({"spec": {"replicas": 3,
            "selector": {"matchLabels": {"app": sel}},
            "template": {"metadata": {"labels": {"app": sel}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}}),
            )
        };
        let got = kinds(vec![dep("a")], vec![dep("b")]);
        assert!(
            got.contains(&(
                "d".into(),
                "immutable",
                "/spec/selector/matchLabels/app".into()
            )),
            "{got:?}"
        );
        assert!(got.iter().any(|g| g.1 == "restart"));
        let job = |img: &str| {
            obj(
                "batch/v1",
                "Job",
                "j",
                json!({"spec": {"template": {"spec": {"containers": [{"name": "c", "image": img}]}}}}),
            )
        };
        assert_eq!(
            kinds(vec![job("a")], vec![job("b")]),
            [(
                "j".into(),
                "immutable",
                "/spec/template/spec/containers/0/image".into()
            )]
        );
        let svc = |ip: Option<&str>| {
            obj(
                "v1",
                "Service",
                "s",
                json!({"spec": {"clusterIP": ip, "ports": [{"port": 80}]}}),
            )
        };
        // An allocated IP the new side leaves out is kept by apply: no change.
        let mut unset = svc(None);
        crate::manifest::drop_nulls(&mut unset);
        assert!(kinds(vec![svc(Some("10.0.0.1"))], vec![unset]).is_empty());
        assert_eq!(
            kinds(vec![svc(Some("10.0.0.1"))], vec![svc(Some("10.0.0.2"))])[0].1,
            "immutable"
        );
        let ic = |c: &str| json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "x"}, "spec": {"controller": c}});
        assert_eq!(
            kinds(vec![ic("a")], vec![ic("b")]),
            [("x".into(), "immutable", "/spec/controller".into())]
        );
        let rb = |role: &str| {
            obj(
                "rbac.authorization.k8s.io/v1",
                "RoleBinding",
                "rb",
                json!({"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role}, "subjects": []}),
            )
        };
        assert_eq!(kinds(vec![rb("a")], vec![rb("b")])[0].1, "immutable");
        let cm = |imm: bool, v: &str| {
            obj(
                "v1",
                "ConfigMap",
                "c",
                json!({"immutable": imm, "data": {"k": v}}),
            )
        };
        assert_eq!(
            kinds(vec![cm(true, "1")], vec![cm(true, "2")])[0].1,
            "immutable"
        );
        assert!(kinds(vec![cm(false, "1")], vec![cm(false, "2")]).is_empty());
    }

    #[test]
    fn pvc_growth_is_allowed_and_a_shrink_is_refused_and_costs_data() {
        let pvc = |size: &str| {
            obj(
                "v1",
                "PersistentVolumeClaim",
                "p",
                json!({"spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}}),
            )
        };
        assert!(kinds(vec![pvc("10Gi")], vec![pvc("20Gi")]).is_empty());
        let got: Vec<&str> = kinds(vec![pvc("20Gi")], vec![pvc("10Gi")])
            .into_iter()
            .map(|g| g.1)
            .collect();
        assert_eq!(got, ["immutable", "data-loss"]);
    }

    fn api(volume: Value, extra_args: &str) -> Value {
        obj(
            "apps/v1",
            "Deployment",
            "api",
            json!({"spec": {"strategy": {"type": "Recreate"},
            "template": {"spec": {
                "containers": [{"name": "skypilot-api", "image": "i",
                    "args": ["/bin/sh", "-c", format!("exec sky api start --deploy{extra_args}")],
                    "volumeMounts": [{"name": "state", "mountPath": "/root/.sky"}]}],
                "volumes": [volume]}}}}),
        )
    }

    #[test]
    fn state_on_an_emptydir_or_a_removed_namespace_loses_data() {
        let claim = json!({"name": "state", "persistentVolumeClaim": {"claimName": "p"}});
        let empty = json!({"name": "state", "emptyDir": {}});
        let got = kinds(vec![api(claim.clone(), "")], vec![api(empty, "")]);
        assert!(
            got.contains(&(
                "api".into(),
                "data-loss",
                "/spec/template/spec/volumes/0".into()
            )),
            "{got:?}"
        );
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}});
        let pvc = obj("v1", "PersistentVolumeClaim", "p", json!({"spec": {}}));
        let got = kinds(
            vec![ns, pvc.clone(), api(claim.clone(), "")],
            vec![api(claim, "")],
        );
        let names: Vec<(&str, &str)> = got.iter().map(|g| (g.0.as_str(), g.1)).collect();
        assert_eq!(names, [("n", "data-loss"), ("p", "data-loss")]);
    }

    #[test]
    fn exposure_from_services_and_the_server_own_auth() {
        let svc = |ty: &str| obj("v1", "Service", "s", json!({"spec": {"type": ty}}));
        assert_eq!(
            kinds(vec![svc("ClusterIP")], vec![svc("LoadBalancer")])[0].1,
            "exposure"
        );
        assert!(kinds(vec![svc("LoadBalancer")], vec![svc("NodePort")]).is_empty());
        let claim = json!({"name": "state", "persistentVolumeClaim": {"claimName": "p"}});
        let got = kinds(
            vec![api(claim.clone(), " --enable-basic-auth")],
            vec![api(claim, "")],
        );
        assert!(
            got.iter()
                .any(|g| g.1 == "exposure" && g.2 == "/spec/template/spec/containers/0/args"),
            "{got:?}"
        );
    }

    #[test]
    fn container_privileges_and_rbac_growth() {
        let dep = |sc: Value| {
            obj(
                "apps/v1",
                "Deployment",
                "d",
                json!({"spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "c", "securityContext": sc}]}}}}),
            )
        };
        let before = dep(json!({"runAsNonRoot": true, "capabilities": {"drop": ["ALL"]}}));
        let after = dep(json!({"privileged": true, "capabilities": {"add": ["SYS_ADMIN"]}}));
        let got: Vec<String> = kinds(vec![before], vec![after])
            .into_iter()
            .filter(|g| g.1 == "privilege")
            .map(|g| g.2)
            .collect();
        let base = "/spec/template/spec/containers/0/securityContext";
        assert_eq!(
            got,
            [
                format!("{base}/privileged"),
                format!("{base}/runAsNonRoot"),
                format!("{base}/capabilities/add"),
                format!("{base}/capabilities/drop")
            ]
        );
        let role = |verbs: Value| {
            obj(
                "rbac.authorization.k8s.io/v1",
                "Role",
                "r",
                json!({"rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": verbs}]}),
            )
        };
        let rb = obj(
            "rbac.authorization.k8s.io/v1",
            "RoleBinding",
            "rb",
            json!({"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
            "subjects": [{"kind": "ServiceAccount", "name": "sa", "namespace": "n"}]}),
        );
        let got = kinds(
            vec![role(json!(["get"])), rb.clone()],
            vec![role(json!(["get", "delete"])), rb.clone()],
        );
        assert_eq!(got, [("r".into(), "privilege", "/rules".into())]);
        // Fewer verbs, or the same under a wildcard that was there before: nothing new.
        assert!(kinds(
            vec![role(json!(["*"])), rb.clone()],
            vec![role(json!(["get"])), rb]
        )
        .is_empty());
    }

    #[test]
    fn a_changed_cookie_secret_in_its_secret_logs_everyone_out() {
        let proxy = obj(
            "apps/v1",
            "Deployment",
            "proxy",
            json!({"spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "p",
            "env": [{"name": "OAUTH2_PROXY_COOKIE_SECRET", "valueFrom": {"secretKeyRef": {"name": "cs", "key": "cookie-secret"}}}]}]}}}}),
        );
        let secret = |v: &str| obj("v1", "Secret", "cs", json!({"data": {"cookie-secret": v}}));
        let got = kinds(
            vec![proxy.clone(), secret("YQ==")],
            vec![proxy, secret("Yg==")],
        );
        assert_eq!(got, [("cs".into(), "logout", "/data".into())]);
    }

    #[test]
    fn names_round_trip() {
        for k in RiskKind::ALL {
            assert_eq!(RiskKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(RiskKind::parse("dataloss"), None);
    }

    #[test]
    fn fields_name_list_items() {
        let obj = json!({"spec": {"containers": [{"name": "api", "env": [{"value": "x"}]}]}});
        assert_eq!(
            field(&obj, "/spec/containers/0/env/0/value"),
            "spec.containers[api].env[0].value"
        );
        assert_eq!(
            field(&json!({}), "/metadata/annotations/a~1b"),
            "metadata.annotations.a/b"
        );
    }
}
