//! `privilege` from RBAC: every binding of each side is expanded into single grants (subject,
//! scope, API group, resource, verb, resource name); a grant of the new side that no grant of the
//! old side covers (wildcards and cluster scope cover more) is new privilege. This catches new
//! verbs, resources and wildcards, a new binding, a Role turned ClusterRole, a RoleBinding turned
//! ClusterRoleBinding, and a binding to a role outside the release (`cluster-admin`).
//!
//! A ServiceAccount subject is keyed by its namespace, not its name: a release renamed with
//! `fullnameOverride` binds the same rules to a renamed account, which grants nothing new. (The
//! price: a new account in the same namespace bound to rules another account already had is
//! not reported.) Users and Groups are keyed by name.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Findings, RiskKind, Sets};
use crate::manifest::ObjectId;

const RBAC: &str = "rbac.authorization.k8s.io";

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Grant {
    subject: String,
    /// `*` for the whole cluster, else the namespace.
    scope: String,
    group: String,
    resource: String,
    verb: String,
    /// Empty: every object of the resource.
    object: String,
}

fn covers(old: &Grant, new: &Grant) -> bool {
    let m = |o: &str, n: &str| o == "*" || o == n;
    old.subject == new.subject
        && m(&old.scope, &new.scope)
        && m(&old.group, &new.group)
        && (m(&old.resource, &new.resource)
            || old
                .resource
                .strip_suffix("/*")
                .is_some_and(|base| new.resource.starts_with(&format!("{base}/"))))
        && m(&old.verb, &new.verb)
        && (old.object.is_empty() || old.object == new.object)
}

fn strs(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// Grants of one side, each with the binding and the role it comes from.
fn grants(side: &BTreeMap<ObjectId, &Value>) -> Vec<(Grant, ObjectId, ObjectId)> {
    let mut out = vec![];
    for (bid, b) in side {
        if bid.group != RBAC || !matches!(bid.kind.as_str(), "RoleBinding" | "ClusterRoleBinding") {
            continue;
        }
        let scope = if bid.kind == "ClusterRoleBinding" {
            "*".to_owned()
        } else {
            bid.namespace.clone()
        };
        let rkind = b
            .pointer("/roleRef/kind")
            .and_then(Value::as_str)
            .unwrap_or("");
        let rname = b
            .pointer("/roleRef/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let rid = ObjectId {
            group: RBAC.into(),
            kind: rkind.into(),
            namespace: if rkind == "Role" {
                bid.namespace.clone()
            } else {
                String::new()
            },
            name: rname.into(),
        };
        // (group, resource, verb, object) tuples of the role; a role outside the set is opaque.
        let mut tuples = vec![];
        match side.get(&rid) {
            Some(role) => {
                for rule in role
                    .get("rules")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let mut groups = strs(rule.get("apiGroups"));
                    let mut resources = strs(rule.get("resources"));
                    for url in strs(rule.get("nonResourceURLs")) {
                        resources.push(format!("url:{url}"));
                        if groups.is_empty() {
                            groups.push(String::new());
                        }
                    }
                    let mut names = strs(rule.get("resourceNames"));
                    if names.is_empty() {
                        names.push(String::new());
                    }
                    for g in &groups {
                        for r in &resources {
                            for v in strs(rule.get("verbs")) {
                                for n in &names {
                                    tuples.push((g.clone(), r.clone(), v.clone(), n.clone()));
                                }
                            }
                        }
                    }
                }
            }
            None => tuples.push((
                String::new(),
                format!("everything {rkind} {rname} grants"),
                "*".into(),
                String::new(),
            )),
        }
        for s in b
            .get("subjects")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let kind = s.get("kind").and_then(Value::as_str).unwrap_or("");
            let subject = if kind == "ServiceAccount" {
                let ns = s
                    .get("namespace")
                    .and_then(Value::as_str)
                    .unwrap_or(&bid.namespace);
                format!("ServiceAccounts of namespace {ns}")
            } else {
                format!(
                    "{kind} {}",
                    s.get("name").and_then(Value::as_str).unwrap_or("")
                )
            };
            for (group, resource, verb, object) in &tuples {
                out.push((
                    Grant {
                        subject: subject.clone(),
                        scope: scope.clone(),
                        group: group.clone(),
                        resource: resource.clone(),
                        verb: verb.clone(),
                        object: object.clone(),
                    },
                    bid.clone(),
                    rid.clone(),
                ));
            }
        }
    }
    out
}

pub fn privilege(sets: &Sets, found: &mut Findings) {
    let before: Vec<Grant> = grants(&sets.old).into_iter().map(|(g, _, _)| g).collect();
    // New grants, grouped by the object that brings them.
    let mut by_owner: BTreeMap<(ObjectId, String), Vec<Grant>> = BTreeMap::new();
    for (g, bid, rid) in grants(&sets.new) {
        if before.iter().any(|o| covers(o, &g)) {
            continue;
        }
        // The role carries the risk when its rules changed under an unchanged binding.
        let role_changed = sets.new.contains_key(&rid) && sets.old.get(&rid) != sets.new.get(&rid);
        let owner = if role_changed && sets.old.get(&bid) == sets.new.get(&bid) {
            (rid, "/rules".to_owned())
        } else {
            (bid, String::new())
        };
        by_owner.entry(owner).or_default().push(g);
    }
    for ((id, path), list) in by_owner {
        let mut shown: Vec<String> = list
            .iter()
            .map(|g| {
                let what = if g.group.is_empty()
                    || g.resource.starts_with("everything")
                    || g.resource.starts_with("url:")
                {
                    g.resource.clone()
                } else {
                    format!("{}.{}", g.resource, g.group)
                };
                let obj = if g.object.is_empty() {
                    String::new()
                } else {
                    format!(" {}", g.object)
                };
                let scope = if g.scope == "*" {
                    "cluster-wide".to_owned()
                } else {
                    format!("in namespace {}", g.scope)
                };
                format!("{} {what}{obj} {scope}", g.verb)
            })
            .collect();
        shown.dedup();
        let total = shown.len();
        shown.truncate(4);
        let more = if total > 4 {
            format!(" and {} more", total - 4)
        } else {
            String::new()
        };
        let subject = &list[0].subject;
        let cause = if path == "/rules" {
            "rules grant more"
        } else {
            "new binding"
        };
        found.push(
            &id,
            RiskKind::Privilege,
            &path,
            format!("{cause}: {subject} may now {}{more}", shown.join(", ")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(scope: &str, group: &str, resource: &str, verb: &str, object: &str) -> Grant {
        Grant {
            subject: "s".into(),
            scope: scope.into(),
            group: group.into(),
            resource: resource.into(),
            verb: verb.into(),
            object: object.into(),
        }
    }

    #[test]
    fn wildcards_and_cluster_scope_cover() {
        assert!(covers(
            &g("*", "", "pods", "*", ""),
            &g("ns", "", "pods", "get", "")
        ));
        assert!(covers(
            &g("ns", "*", "*", "get", ""),
            &g("ns", "apps", "deployments", "get", "x")
        ));
        assert!(covers(
            &g("ns", "", "pods/*", "get", ""),
            &g("ns", "", "pods/exec", "get", "")
        ));
        assert!(!covers(
            &g("ns", "", "pods", "get", ""),
            &g("*", "", "pods", "get", "")
        ));
        assert!(!covers(
            &g("ns", "", "pods", "get", "a"),
            &g("ns", "", "pods", "get", "")
        ));
        assert!(!covers(
            &g("ns", "", "pods", "get", ""),
            &g("ns", "", "pods", "delete", "")
        ));
    }
}
