//! Patch targets: which objects a patch applies to, by API group, kind, name, namespace and an
//! equality-based label selector (`app=x,tier!=db,flag,!other`). Names and namespaces may be
//! templates over the release names (`{{ fullname }}-api-server`), and by text that one of the
//! object's string values contains (`containing: "${"`, for the `flux` overlay). Also: the objects
//! closest to a target that matched nothing, for the error.

use std::fmt;

use minijinja::Environment;
use serde_json::{json, Map, Value};

use crate::manifest::ObjectId;

const FIELDS: &[&str] = &[
    "group",
    "kind",
    "name",
    "namespace",
    "labelSelector",
    "containing",
];

#[derive(Clone, Debug, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    Exists(String),
    Absent(String),
}

/// A target as written; [`Target::render`] fills in templates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Target {
    pub group: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub label_selector: Option<String>,
    /// Text that some string value of the object (at any depth) must contain.
    pub containing: Option<String>,
}

fn parse_selector(s: &str) -> Result<Vec<Requirement>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim) {
        let valid = |k: &str| {
            !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
        };
        let req = if let Some((k, v)) = part.split_once("!=") {
            Requirement::NotEquals(k.trim().into(), v.trim().into())
        } else if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
            Requirement::Equals(k.trim().into(), v.trim().into())
        } else if let Some(k) = part.strip_prefix('!') {
            Requirement::Absent(k.trim().into())
        } else {
            Requirement::Exists(part.into())
        };
        let (Requirement::Equals(k, _)
        | Requirement::NotEquals(k, _)
        | Requirement::Exists(k)
        | Requirement::Absent(k)) = &req;
        if !valid(k) || part.contains(' ') {
            return Err(format!(
                "cannot read label selector `{s}`: use key=value, key!=value, key or !key, separated by commas (set-based `in`/`notin` are not supported)"
            ));
        }
        out.push(req);
    }
    Ok(out)
}

impl Target {
    /// Read a target mapping; an error gives the pointer (inside the target) and the reason.
    pub fn parse(v: &Value) -> Result<Target, (String, String)> {
        let Value::Object(m) = v else {
            return Err((String::new(), "a target must be a mapping".into()));
        };
        let mut t = Target::default();
        for (k, x) in m {
            let at = format!("/{}", crate::pointer::escape(k));
            let Some(s) = x.as_str() else {
                return Err((at, format!("target field `{k}` must be a string")));
            };
            let slot = match k.as_str() {
                "group" => &mut t.group,
                "kind" => &mut t.kind,
                "name" => &mut t.name,
                "namespace" => &mut t.namespace,
                "labelSelector" => &mut t.label_selector,
                "containing" => &mut t.containing,
                _ => {
                    let help = crate::diagnostics::did_you_mean(k, FIELDS.iter().copied())
                        .map(|b| format!("; did you mean `{b}`?"))
                        .unwrap_or_default();
                    return Err((at, format!("unknown target field `{k}`{help}")));
                }
            };
            *slot = Some(s.to_owned());
        }
        if t.kind.is_none()
            && t.name.is_none()
            && t.label_selector.is_none()
            && t.containing.is_none()
        {
            return Err((
                String::new(),
                "a target needs at least a kind, a name, a labelSelector or `containing`".into(),
            ));
        }
        if let Some(sel) = &t.label_selector {
            if !super::strings::is_template(sel) {
                parse_selector(sel).map_err(|e| ("/labelSelector".to_owned(), e))?;
            }
        }
        Ok(t)
    }

    /// The target as a mapping (for template checks).
    pub fn as_value(&self) -> Value {
        let mut m = Map::new();
        for (k, v) in [
            ("group", &self.group),
            ("kind", &self.kind),
            ("name", &self.name),
            ("namespace", &self.namespace),
            ("labelSelector", &self.label_selector),
            ("containing", &self.containing),
        ] {
            if let Some(v) = v {
                m.insert(k.into(), json!(v));
            }
        }
        Value::Object(m)
    }

    /// Fill in the templates; an error gives the pointer of the field and the reason.
    pub fn render(
        &self,
        env: &Environment<'_>,
        ctx: &minijinja::Value,
    ) -> Result<Target, (String, String)> {
        let rendered = super::strings::render_strings(env, &self.as_value(), ctx, "")?;
        let t = Target::parse(&rendered)?;
        if let Some(sel) = &t.label_selector {
            parse_selector(sel).map_err(|e| ("/labelSelector".to_owned(), e))?;
        }
        Ok(t)
    }

    /// The indexes of the objects the (rendered) target selects; `ids` are the objects'
    /// identities. The label selector is parsed once, not once per object (issue 17).
    pub fn select<'a>(&self, ids: &[ObjectId], object: impl Fn(usize) -> &'a Value) -> Vec<usize> {
        let requirements = self.requirements();
        (0..ids.len())
            .filter(|&i| self.matches_with(&ids[i], object(i), requirements.as_deref()))
            .collect()
    }

    /// Does the (rendered) target select this object?
    pub fn matches(&self, id: &ObjectId, obj: &Value) -> bool {
        self.matches_with(id, obj, self.requirements().as_deref())
    }

    fn requirements(&self) -> Option<Vec<Requirement>> {
        self.label_selector
            .as_deref()
            .map(|s| parse_selector(s).unwrap_or_default())
    }

    fn matches_with(
        &self,
        id: &ObjectId,
        obj: &Value,
        requirements: Option<&[Requirement]>,
    ) -> bool {
        let eq = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        eq(&self.group, &id.group)
            && eq(&self.kind, &id.kind)
            && eq(&self.name, &id.name)
            && eq(&self.namespace, &id.namespace)
            && self
                .containing
                .as_deref()
                .is_none_or(|text| contains_text(obj, text))
            && requirements.is_none_or(|r| labels_match(r, obj))
    }

    /// Up to `n` objects most like the target (same kind first, then by name similarity).
    pub fn closest(&self, ids: &[ObjectId], n: usize) -> Vec<String> {
        let mut scored: Vec<(f64, String)> = ids
            .iter()
            .map(|id| {
                let kind = self.kind.as_deref().map_or(0.5, |k| {
                    strsim::jaro_winkler(&k.to_lowercase(), &id.kind.to_lowercase())
                });
                let name = self
                    .name
                    .as_deref()
                    .map_or(0.5, |w| strsim::jaro_winkler(w, &id.name));
                let ns = match &self.namespace {
                    Some(ns) if *ns != id.namespace => 0.0,
                    _ => 0.2,
                };
                (2.0 * kind + 2.0 * name + ns, id.to_string())
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        scored.into_iter().take(n).map(|(_, s)| s).collect()
    }
}

/// Does some string value of `v` (at any depth) contain `text`?
fn contains_text(v: &Value, text: &str) -> bool {
    match v {
        Value::String(s) => s.contains(text),
        Value::Array(items) => items.iter().any(|x| contains_text(x, text)),
        Value::Object(m) => m.values().any(|x| contains_text(x, text)),
        _ => false,
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        for (k, v) in [
            ("group", &self.group),
            ("kind", &self.kind),
            ("namespace", &self.namespace),
            ("name", &self.name),
            ("labelSelector", &self.label_selector),
            ("containing", &self.containing),
        ] {
            if let Some(v) = v {
                parts.push(format!("{k}={v}"));
            }
        }
        write!(f, "{{{}}}", parts.join(", "))
    }
}

/// Do the object's labels satisfy every requirement of a selector?
fn labels_match(requirements: &[Requirement], obj: &Value) -> bool {
    let labels = obj
        .get("metadata")
        .and_then(|m| m.get("labels"))
        .and_then(Value::as_object);
    let label = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
    requirements.iter().all(|r| match r {
        Requirement::Equals(k, v) => label(k) == Some(v.as_str()),
        Requirement::NotEquals(k, v) => label(k) != Some(v.as_str()),
        Requirement::Exists(k) => label(k).is_some(),
        Requirement::Absent(k) => label(k).is_none(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(kind: &str, ns: &str, name: &str) -> ObjectId {
        ObjectId {
            group: String::new(),
            kind: kind.into(),
            namespace: ns.into(),
            name: name.into(),
        }
    }

    #[test]
    fn selectors_match_labels() {
        let t = Target::parse(&json!({"labelSelector": "app=x,tier!=db,flag,!gone"})).unwrap();
        let obj = json!({"metadata": {"labels": {"app": "x", "flag": "", "tier": "web"}}});
        assert!(t.matches(&id("Pod", "", "p"), &obj));
        let obj = json!({"metadata": {"labels": {"app": "x", "flag": "", "gone": "1"}}});
        assert!(!t.matches(&id("Pod", "", "p"), &obj));
        assert!(Target::parse(&json!({"labelSelector": "app in (a,b)"})).is_err());
    }

    #[test]
    fn containing_matches_any_nested_string() {
        let t = Target::parse(&json!({"containing": "${"})).unwrap();
        let obj = json!({"spec": {"args": ["-c", "echo ${HOME}"]}});
        assert!(t.matches(&id("Pod", "", "p"), &obj));
        let obj = json!({"spec": {"args": ["-c", "echo $HOME", "$(X)"]}});
        assert!(!t.matches(&id("Pod", "", "p"), &obj));
    }

    #[test]
    fn parse_refuses_unknown_and_empty_targets() {
        assert!(Target::parse(&json!({"knd": "Service"}))
            .unwrap_err()
            .1
            .contains("did you mean `kind`"));
        assert!(Target::parse(&json!({"namespace": "x"})).is_err());
    }

    #[test]
    fn closest_prefers_same_kind_and_similar_name() {
        let t = Target::parse(&json!({"kind": "Service", "name": "sky-api-servce"})).unwrap();
        let ids = [
            id("Deployment", "ns", "sky-api-server"),
            id("Service", "ns", "sky-api-service"),
            id("ConfigMap", "ns", "other"),
        ];
        assert_eq!(t.closest(&ids, 1), ["Service/ns/sky-api-service"]);
    }
}
