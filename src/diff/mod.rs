//! Object-aware diff of two renders, for reviewers (`skygen diff OLD NEW`) and CI drift checks
//! (`skygen diff --against DIR`).
//!
//! Takes two sets of normalized objects; returns a [`Report`]: for each object that differs, its
//! identity, whether it changed, was added or removed, the JSON pointers of the fields that differ,
//! and its canonical YAML on each side (Secret values masked unless asked otherwise). Objects are
//! matched by [`ObjectId`] (API group, kind, namespace, name; never the version). Noise never shows:
//! nulls are dropped by normalize, and the old side's keys are put in the new side's order before
//! printing, so key order and object order make no difference. The old side may be a Helm
//! release or a cluster dump: [`takeover`] removes what Helm and the server added to it first.
//! Each differing object carries its [`risk`]s (what the change will do to a running server).
//! Printing is in [`print`] (text, JSON) and [`markdown`] (a pull-request comment); reading the
//! inputs is in [`input`]. Never renders, never compiles the values schema.

mod dir;
pub mod input;
pub mod markdown;
mod mask;
pub mod print;
pub mod risk;
pub mod takeover;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::manifest::{self, Manifest, ObjectId};

/// Most lines of context honored: more than any object has, and small enough that the diff
/// library's arithmetic cannot overflow (`-C 18446744073709551615` once panicked).
pub const MAX_CONTEXT: usize = 1_000_000;

/// How to compare and show.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Unchanged lines shown around each change (`-C`).
    pub context: usize,
    /// Print Secret values instead of masks (`--show-secrets`).
    pub show_secrets: bool,
    /// Compare only the fields the new side (or the old side's last apply) sets
    /// (`--ignore-defaults`; see [`takeover::prune_to_set_fields`]).
    pub ignore_defaults: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            context: 3,
            show_secrets: false,
            ignore_defaults: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Changed,
    Added,
    Removed,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Changed => "changed",
            Change::Added => "added",
            Change::Removed => "removed",
        }
    }
}

/// One object that differs between the two sides.
#[derive(Clone, Debug)]
pub struct ObjectDiff {
    pub id: ObjectId,
    pub change: Change,
    /// JSON pointers of the fields that differ (`""`, the whole object, when added or removed).
    pub paths: Vec<String>,
    /// Canonical YAML of the old side (empty when added), Secret values masked unless shown.
    pub old_text: String,
    /// Canonical YAML of the new side (empty when removed).
    pub new_text: String,
    /// What the change will do, in [`risk::RiskKind`] order.
    pub risks: Vec<risk::Risk>,
}

/// Every object that differs, in the published stream order.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub objects: Vec<ObjectDiff>,
    /// The old side came from a cluster (objects with `status`, `uid` or `managedFields`) and
    /// was compared without `ignore_defaults`: server defaults show as removals.
    pub live_old_with_defaults: bool,
}

impl Report {
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// How many objects changed, were added and were removed.
    pub fn counts(&self) -> (usize, usize, usize) {
        let n = |c| self.objects.iter().filter(|o| o.change == c).count();
        (n(Change::Changed), n(Change::Added), n(Change::Removed))
    }

    /// How many risks of each class, in [`risk::RiskKind::ALL`] order.
    pub fn risk_counts(&self) -> Vec<(risk::RiskKind, usize)> {
        risk::RiskKind::ALL
            .iter()
            .map(|k| {
                let n = self
                    .objects
                    .iter()
                    .flat_map(|o| &o.risks)
                    .filter(|r| r.kind == *k)
                    .count();
                (*k, n)
            })
            .collect()
    }

    /// Is a risk of one of these classes present?
    pub fn has_risk(&self, kinds: &[risk::RiskKind]) -> bool {
        self.objects
            .iter()
            .flat_map(|o| &o.risks)
            .any(|r| kinds.contains(&r.kind))
    }
}

/// Compare two sets of objects (each normalized, identities unique).
///
/// ```
/// use serde_json::json;
/// use skygen::manifest::Manifest;
/// let old = Manifest::from_objects(vec![json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}})]);
/// let new = Manifest::from_objects(vec![json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "2"}})]);
/// let report = skygen::diff::compare(old, new, &skygen::diff::Options::default());
/// assert_eq!(report.objects[0].paths, ["/data/a"]);
/// assert_eq!(report.counts(), (1, 0, 0));
/// ```
pub fn compare(old: Manifest, new: Manifest, opts: &Options) -> Report {
    let by_id = |objs: Manifest| -> BTreeMap<ObjectId, Value> {
        objs.into_objects()
            .into_iter()
            .map(|o| (ObjectId::of(&o), o))
            .collect()
    };
    let mut old = by_id(old);
    let mut new = by_id(new);
    let live_old_with_defaults = !opts.ignore_defaults
        && old.values().any(|o| {
            o.get("status").is_some()
                || o.get("metadata")
                    .is_some_and(|m| m.get("uid").is_some() || m.get("managedFields").is_some())
        });
    for (id, o) in old.iter_mut() {
        let applied = takeover::last_applied(o);
        takeover::clean_old(o, new.get(id));
        if opts.ignore_defaults {
            if let Some(n) = new.get(id) {
                takeover::prune_to_set_fields(o, n, applied.as_ref());
            }
        }
    }
    let mut risks = {
        let old_objects: Vec<Value> = old.values().cloned().collect();
        let new_objects: Vec<Value> = new.values().cloned().collect();
        risk::classify(&old_objects, &new_objects)
    };
    // Both sides' ids, in stream order (the order of `ObjectId`).
    let ids: BTreeSet<ObjectId> = old.keys().chain(new.keys()).cloned().collect();
    let mut objects = Vec::new();
    for id in ids {
        let mask = !opts.show_secrets && mask::is_secret(&id);
        let object_risks = risks.remove(&id).unwrap_or_default();
        let diff = match (old.remove(&id), new.remove(&id)) {
            (Some(o), Some(n)) if o == n => continue,
            (Some(mut o), Some(mut n)) => {
                let mut paths = Vec::new();
                changed_paths(&o, &n, &mut String::new(), &mut paths);
                align(&mut o, &n);
                if mask {
                    mask::mask_pair(Some(&mut o), Some(&mut n));
                }
                if !opts.show_secrets {
                    mask::mask_env_pair(Some(&mut o), Some(&mut n));
                }
                ObjectDiff {
                    id,
                    change: Change::Changed,
                    paths,
                    old_text: manifest::to_yaml(&o),
                    new_text: manifest::to_yaml(&n),
                    risks: object_risks,
                }
            }
            (one_old, one_new) => {
                let (change, mut v) = match (one_old, one_new) {
                    (Some(o), None) => (Change::Removed, o),
                    (None, Some(n)) => (Change::Added, n),
                    _ => {
                        unreachable!("every id comes from one side at least; this is a skygen bug")
                    }
                };
                if mask {
                    mask::mask_pair(Some(&mut v), None);
                }
                if !opts.show_secrets {
                    mask::mask_env_pair(Some(&mut v), None);
                }
                let text = manifest::to_yaml(&v);
                let (old_text, new_text) = match change {
                    Change::Added => (String::new(), text),
                    _ => (text, String::new()),
                };
                ObjectDiff {
                    id,
                    change,
                    paths: vec![String::new()],
                    old_text,
                    new_text,
                    risks: object_risks,
                }
            }
        };
        objects.push(diff);
    }
    Report {
        objects,
        live_old_with_defaults,
    }
}

/// Put the keys of every mapping in `old` in the order `new` has them (keys only `old` has
/// follow, in their own order), so equal content prints as equal text.
fn align(old: &mut Value, new: &Value) {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            // One pass over each side: removing keys one by one from the order-keeping map
            // shifts the rest each time, quadratic in the keys (a 99,000-key ConfigMap took
            // 20 s; #17).
            let mut shared = std::collections::HashMap::new();
            let mut rest = Vec::new();
            for (k, v) in std::mem::take(o) {
                if n.contains_key(&k) {
                    shared.insert(k, v);
                } else {
                    rest.push((k, v));
                }
            }
            let mut out = Map::new();
            for k in n.keys() {
                if let Some(v) = shared.remove(k) {
                    out.insert(k.clone(), v);
                }
            }
            out.extend(rest);
            for (k, v) in out.iter_mut() {
                if let Some(nv) = n.get(k) {
                    align(v, nv);
                }
            }
            *o = out;
        }
        (Value::Array(o), Value::Array(n)) => {
            for (ov, nv) in o.iter_mut().zip(n) {
                align(ov, nv);
            }
        }
        _ => {}
    }
}

/// JSON pointers of the fields that differ. Lists of equal length are compared item by item; a
/// list whose length changed is reported as a whole.
pub(crate) fn changed_paths(old: &Value, new: &Value, at: &mut String, out: &mut Vec<String>) {
    if old == new {
        return;
    }
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            let keys = n.keys().chain(o.keys().filter(|k| !n.contains_key(*k)));
            for k in keys {
                let len = at.len();
                at.push('/');
                at.push_str(&crate::pointer::escape(k));
                match (o.get(k), n.get(k)) {
                    (Some(a), Some(b)) => changed_paths(a, b, at, out),
                    _ => out.push(at.clone()),
                }
                at.truncate(len);
            }
        }
        (Value::Array(o), Value::Array(n)) if o.len() == n.len() => {
            for (i, (a, b)) in o.iter().zip(n).enumerate() {
                let len = at.len();
                at.push('/');
                at.push_str(&i.to_string());
                changed_paths(a, b, at, out);
                at.truncate(len);
            }
        }
        _ => out.push(at.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(objects: Vec<Value>) -> Manifest {
        Manifest::from_objects(objects)
    }
    use serde_json::json;

    fn cm(data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"}, "data": data})
    }

    #[test]
    fn key_order_is_not_a_change_and_aligns_for_printing() {
        let old = cm(json!({"b": "1", "a": "1", "z": "gone"}));
        let new = cm(json!({"a": "1", "b": "2"}));
        let r = compare(m(vec![old]), m(vec![new]), &Options::default());
        assert_eq!(r.objects[0].paths, ["/data/b", "/data/z"]);
        assert!(r.objects[0]
            .old_text
            .contains("  a: \"1\"\n  b: \"1\"\n  z: gone\n"));
        let same = compare(
            m(vec![cm(json!({"b": "1", "a": "1"}))]),
            m(vec![cm(json!({"a": "1", "b": "1"}))]),
            &Options::default(),
        );
        assert!(same.is_empty());
    }

    #[test]
    fn lists_of_other_length_are_one_change() {
        let mut out = Vec::new();
        changed_paths(
            &json!({"l": [1, 2], "m": [{"x": 1}]}),
            &json!({"l": [1], "m": [{"x": 2}]}),
            &mut String::new(),
            &mut out,
        );
        assert_eq!(out, ["/l", "/m/0/x"]);
    }

    #[test]
    fn pointers_escape_tilde_before_slash() {
        let r = compare(
            m(vec![cm(json!({"a~/b": "1", "~1": "x"}))]),
            m(vec![cm(json!({"a~/b": "2", "~1": "y"}))]),
            &Options::default(),
        );
        // RFC 6901: `~` is `~0` and `/` is `~1`; escaping `~` first keeps `~1` a literal.
        assert_eq!(r.objects[0].paths, ["/data/a~0~1b", "/data/~01"]);
    }

    #[test]
    fn identity_ignores_version() {
        let a = json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"}});
        let b = json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"}});
        let r = compare(m(vec![a]), m(vec![b]), &Options::default());
        assert_eq!(r.counts(), (1, 0, 0));
        assert_eq!(r.objects[0].paths, ["/apiVersion"]);
    }
}
