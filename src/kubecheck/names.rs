//! Object names and namespaces, by the rules the API server applies to each kind: a DNS-1123
//! label (Namespace, Service), a path segment (the RBAC kinds), or a DNS-1123 subdomain
//! (everything else, and unknown kinds). A namespace, when given, is a DNS-1123 label; an empty
//! one is refused, because kubectl reads `namespace: ""` as "the current namespace".
//!
//! Takes one object; returns [`Violation`]s at `/metadata/name` and `/metadata/namespace`. Type
//! errors (a namespace that is a list) are the walker's; this only checks strings.

use serde_json::Value;

use super::walk::{Problem, Violation};
use crate::manifest::entry;

/// How Kubernetes validates the name of a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameRule {
    /// At most 63 lowercase letters, digits and `-`, starting and ending alphanumeric.
    Label,
    /// At most 253 characters: labels joined by `.`.
    Subdomain,
    /// Anything but `.`, `..`, or text with `/` or `%` (RBAC objects).
    PathSegment,
}

impl NameRule {
    pub fn of(kind: &str) -> NameRule {
        match kind {
            "Namespace" | "Service" => NameRule::Label,
            "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => NameRule::PathSegment,
            _ => NameRule::Subdomain,
        }
    }

    /// Why `name` breaks the rule, or `None` when it is fine.
    pub fn check(self, name: &str) -> Option<String> {
        if name.is_empty() {
            return Some("is empty".into());
        }
        match self {
            NameRule::Label => (!is_label(name, 63)).then(|| {
                "must be a DNS-1123 label: at most 63 lowercase letters, digits and `-`, starting and ending with a letter or digit".into()
            }),
            NameRule::Subdomain => (name.len() > 253 || !name.split('.').all(|l| is_label(l, 253))).then(|| {
                "must be a DNS-1123 subdomain: at most 253 lowercase letters, digits, `-` and `.`, each part starting and ending with a letter or digit".into()
            }),
            NameRule::PathSegment => (name == "." || name == ".." || name.contains(['/', '%']))
                .then(|| "may not be `.` or `..`, nor contain `/` or `%`".into()),
        }
    }
}

/// A name that follows `rule`, made from `name` (lowercased, other characters replaced by
/// `-`), to show as a fix; `None` when nothing sensible is left.
pub fn suggest(rule: NameRule, name: &str) -> Option<String> {
    let keep_dot = rule == NameRule::Subdomain;
    let max = if rule == NameRule::Label { 63 } else { 253 };
    let mapped: String = name
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '-' => c,
            '.' if keep_dot => c,
            _ if rule == NameRule::PathSegment && c != '/' && c != '%' => c,
            _ => '-',
        })
        .take(max)
        .collect();
    let trimmed = mapped.trim_matches(|c| c == '-' || c == '.');
    (!trimmed.is_empty() && rule.check(trimmed).is_none() && trimmed != name)
        .then(|| trimmed.to_owned())
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    }
}

fn is_label(s: &str, max: usize) -> bool {
    crate::inputs::is_dns_label(s, max)
}

/// Problems with the object's `metadata.name` and `metadata.namespace`.
pub fn check(object: &Value, kind: &str) -> Vec<Violation> {
    let mut out = Vec::new();
    let bad = |pointer: &str, field: &str, rule: String, suggestion| Violation {
        pointer: pointer.into(),
        field: field.into(),
        problem: Problem::BadName { rule, suggestion },
    };
    // `entry` rather than `pointer`: a pointer unescapes each segment into a new string.
    let metadata = entry(object, "metadata");
    let meta = |key| metadata.and_then(|m| entry(m, key));
    match meta("name") {
        None | Some(Value::Null) => out.push(Violation {
            pointer: "/metadata".into(),
            field: "ObjectMeta".into(),
            problem: Problem::Missing {
                field: "name".into(),
            },
        }),
        Some(Value::String(name)) => {
            let rule = NameRule::of(kind);
            if let Some(why) = rule.check(name) {
                out.push(bad(
                    "/metadata/name",
                    "ObjectMeta.name",
                    format!("{} {kind} name {why}", article(kind)),
                    suggest(rule, name),
                ));
            }
        }
        Some(_) => {}
    }
    if let Some(Value::String(ns)) = meta("namespace") {
        if let Some(why) = NameRule::Label.check(ns) {
            out.push(bad(
                "/metadata/namespace",
                "ObjectMeta.namespace",
                format!("a namespace {why}"),
                suggest(NameRule::Label, ns),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_by_kind() {
        assert_eq!(NameRule::Label.check("skypilot-api-service"), None);
        assert!(NameRule::Label.check("a.b").is_some());
        assert_eq!(NameRule::Subdomain.check("a.b-c"), None);
        assert!(NameRule::Subdomain.check("A").is_some());
        assert!(NameRule::Subdomain.check("a..b").is_some());
        assert!(NameRule::Subdomain.check(&"a".repeat(254)).is_some());
        assert_eq!(NameRule::PathSegment.check("system:skypilot"), None);
        assert!(NameRule::PathSegment.check("a/b").is_some());
        for rule in [NameRule::Label, NameRule::Subdomain, NameRule::PathSegment] {
            assert!(rule.check("").is_some());
        }
    }
}
