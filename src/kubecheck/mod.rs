//! The output check: every object skygen is about to write, against the Kubernetes API types
//! of `--kube-version` (embedded, 1.30 to 1.35, see [`schema`]) and the name rules of its kind
//! ([`names`]), so that what `kubectl apply` would refuse never leaves skygen. See: #10, #17.
//!
//! Takes the final objects and their [`Provenance`] (the merged values with the origin of each
//! value, and which template or overlay made each object); returns a [`Report`] whose errors
//! name the values key (file:line:column or `--set` argument) that produced the bad field when
//! one can be found ([`blame`]), else the object, its template or overlay file and the field.
//! Objects of kinds without embedded types (custom resources, rare built-ins) get the name
//! checks only. Never changes an object.

mod blame;
#[cfg(test)]
mod generate;
pub mod names;
pub mod schema;
mod walk;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::diagnostics::{Diagnostic, Origin};
use crate::manifest::{entry, ObjectId};
use crate::values::merge::Origins;
use crate::yaml::Pos;

pub use walk::{Problem, Violation};

/// Where an object came from.
#[derive(Clone, Debug)]
pub enum Source {
    /// One of skygen's templates (`templates/skypilot/api-deployment.yaml`).
    Template(String),
    /// An overlay's resource: its file (as shown in messages), its template text, the text it
    /// rendered to, and where each node of the object starts in that rendered text. The texts
    /// are shared by every object of the file: a copy each made 10,000 objects quadratic (#17).
    OverlayResource {
        file: String,
        template: std::sync::Arc<str>,
        rendered: std::sync::Arc<str>,
        positions: BTreeMap<String, Pos>,
    },
}

/// Which template or overlay made each object, and which overlay patches changed it, keyed by
/// the object's identity when it was made or patched.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    objects: Vec<(ObjectId, Source)>,
    patches: Vec<(ObjectId, Origin)>,
}

impl Sources {
    pub fn made(&mut self, id: ObjectId, source: Source) {
        self.objects.push((id, source));
    }

    pub fn patched(&mut self, id: ObjectId, by: Origin) {
        self.patches.push((id, by));
    }

    fn of(&self, id: &ObjectId) -> Option<&Source> {
        self.objects.iter().find(|(i, _)| i == id).map(|(_, s)| s)
    }

    fn patches_of<'a>(&'a self, id: &'a ObjectId) -> impl Iterator<Item = &'a Origin> + 'a {
        self.patches
            .iter()
            .filter(move |(i, _)| i == id)
            .map(|(_, o)| o)
    }
}

/// Most problems explained (with their values key) in one run; more are counted.
pub const MAX_EXPLAINED: usize = 50;

/// What the check needs to point a problem at its cause.
pub struct Provenance<'a> {
    /// The merged values (before typing) and where each came from.
    pub values: &'a Value,
    pub origins: &'a Origins,
    pub sources: &'a Sources,
}

/// The outcome of checking a set of objects.
#[derive(Debug, Default)]
pub struct Report {
    pub errors: Vec<Diagnostic>,
    /// Objects checked against their Kubernetes type.
    pub checked: usize,
    /// Objects of kinds without embedded types (names and namespaces checked only).
    pub unchecked: Vec<ObjectId>,
    /// The Kubernetes version whose types were used.
    pub version: (u32, u32),
}

impl Report {
    /// One line for `skygen validate`: what was checked against which version.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} checked against the Kubernetes {}.{} API",
            self.checked, self.version.0, self.version.1
        );
        if !self.unchecked.is_empty() {
            let list: Vec<String> = self.unchecked.iter().map(ToString::to_string).collect();
            s.push_str(&format!(
                " ({} of kinds skygen has no types for, names only: {})",
                list.len(),
                crate::diagnostics::shorten(&list.join(", "))
            ));
        }
        s
    }
}

/// Check every object against the types of `kube_version` and the name rules.
///
/// ```
/// use skygen::kubecheck::{check, Provenance, Sources};
/// let deployment = serde_json::json!({
///     "apiVersion": "v1", "kind": "ConfigMap",
///     "metadata": {"name": "x", "namespace": "ops"}, "data": {"WORKERS": 4}
/// });
/// let values = serde_json::json!({});
/// let prov = Provenance { values: &values, origins: &Default::default(), sources: &Sources::default() };
/// let report = check(&[deployment], (1, 35), &prov);
/// assert_eq!(report.errors.len(), 1);
/// assert!(report.errors[0].message.contains("expected a string"));
/// ```
pub fn check(objects: &[Value], kube_version: (u32, u32), prov: &Provenance<'_>) -> Report {
    let schema = schema::Schema::for_version(kube_version);
    let mut report = Report {
        version: schema.used,
        ..Report::default()
    };
    let mut more = 0usize;
    for obj in objects {
        let text = |key| entry(obj, key).and_then(Value::as_str).unwrap_or("");
        let kind = text("kind");
        let mut found = names::check(obj, kind);
        match schema.kind(text("apiVersion"), kind) {
            Some(def) => {
                report.checked += 1;
                let mut walked = Vec::new();
                walk::walk(&schema, def, obj, &mut walked);
                // The name checks say more about a missing name than the schema's `required`.
                walked.retain(|v| {
                    !found
                        .iter()
                        .any(|f| f.pointer == v.pointer && f.problem == v.problem)
                });
                found.extend(walked);
            }
            None => report.unchecked.push(ObjectId::of(obj)),
        }
        if found.is_empty() {
            continue;
        }
        // Only an object with a problem needs its identity (the message names it).
        let id = ObjectId::of(obj);
        for v in &found {
            // Finding a cause searches the values; past a bound the rest are only counted, so
            // a values file with thousands of bad entries stays linear.
            if report.errors.len() < MAX_EXPLAINED {
                report
                    .errors
                    .push(blame::diagnose(obj, &id, v, prov, report.version));
            } else {
                more += 1;
            }
        }
    }
    if more > 0 {
        report.errors.push(Diagnostic::error(
            crate::diagnostics::Code::Output,
            format!("… and {more} more fields Kubernetes would refuse; fix the ones above first"),
        ));
    }
    report
}
