//! Helm's merge rules, with provenance: maps merge key by key, lists and scalars replace, and
//! `null` removes a key. Every node remembers which layer (file and line, or flag) set it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::diagnostics::Origin;

/// JSON pointer → where the value at that pointer came from.
///
/// Every node of the defaults comes from the defaults, so those origins are not stored one by
/// one (a thousand entries built and copied at every run): a values tree that starts from the
/// defaults ([`Origins::defaults`]) answers [`Origin::Defaults`] for a node of the defaults
/// tree that no layer has set or cleared since. The answers are those of storing every node:
/// `implicit_defaults_answer_as_stored` holds it to that.
#[derive(Clone, Debug, Default)]
pub struct Origins {
    set: BTreeMap<String, Origin>,
    /// The nodes of [`super::defaults`] count as set by the defaults...
    defaults: bool,
    /// ...except at and below these pointers, which a layer cleared.
    cleared: BTreeSet<String>,
}

impl Origins {
    /// The origins of the defaults tree as the first layer.
    pub fn defaults() -> Origins {
        Origins {
            defaults: true,
            ..Origins::default()
        }
    }

    /// The origin recorded at exactly `pointer`.
    fn own(&self, pointer: &str) -> Option<&Origin> {
        if let Some(o) = self.set.get(pointer) {
            return Some(o);
        }
        (self.defaults && super::defaults::has(pointer) && !self.was_cleared(pointer))
            .then_some(&Origin::Defaults)
    }

    /// Whether a layer cleared `pointer` or one of its ancestors.
    fn was_cleared(&self, pointer: &str) -> bool {
        if self.cleared.is_empty() {
            return false;
        }
        let mut p = pointer;
        loop {
            if self.cleared.contains(p) {
                return true;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return false,
            }
        }
    }

    /// The origin of the node at `pointer`, or of its nearest ancestor that has one.
    pub fn of(&self, pointer: &str) -> Option<&Origin> {
        let mut p = pointer;
        loop {
            if let Some(o) = self.own(p) {
                return Some(o);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }

    /// Who set the value at `pointer`, for a message about that value: its own origin, unless
    /// that is the defaults and a layer wrote below it (`--set a[0]=x` turning a default null
    /// into a list), in which case that layer.
    pub fn blame(&self, pointer: &str) -> Option<&Origin> {
        let own = self.of(pointer);
        if matches!(own, None | Some(Origin::Defaults)) {
            // Origins left implicit are all the defaults', so only stored ones can name a layer.
            let below = format!("{pointer}/");
            let layer = self
                .set
                .range(below.clone()..)
                .take_while(|(k, _)| k.starts_with(&below))
                .map(|(_, o)| o)
                .find(|o| !matches!(o, Origin::Defaults));
            if layer.is_some() {
                return layer;
            }
        }
        own
    }

    /// Whether the node at `pointer` and everything below it are exactly the defaults': the
    /// tree started from the defaults, they have a node there, and no layer set or cleared
    /// anything at or below it, nor cleared a node above it. Checks that the defaults are known
    /// to pass skip such a subtree (#11).
    pub fn untouched(&self, pointer: &str) -> bool {
        if !(self.defaults && super::defaults::has(pointer)) || self.was_cleared(pointer) {
            return false;
        }
        let below = format!("{pointer}/");
        let starts_below = |k: &String| k.starts_with(&below);
        !self.set.contains_key(pointer)
            && !self
                .set
                .range(below.clone()..)
                .next()
                .is_some_and(|(k, _)| starts_below(k))
            && !self
                .cleared
                .range(below.clone()..)
                .next()
                .is_some_and(starts_below)
    }

    /// [`Origins::untouched`] for many pointers: what it reads, gathered once into sorted lists.
    pub fn untouched_index(&self) -> Untouched<'_> {
        let mut marks: Vec<&str> = self
            .set
            .keys()
            .chain(&self.cleared)
            .map(String::as_str)
            .collect();
        marks.sort_unstable();
        Untouched {
            defaults: self.defaults,
            marks,
            cleared: self.cleared.iter().map(String::as_str).collect(),
        }
    }

    /// Forget every origin at or below `pointer`.
    pub fn clear_below(&mut self, pointer: &str) {
        // Only the range that starts with `pointer/` is visited: a values file of many keys
        // clears once per key, and a whole-map scan made that quadratic (issue 17).
        self.set.remove(pointer);
        let below = format!("{pointer}/");
        let doomed: Vec<String> = self
            .set
            .range(below.clone()..)
            .take_while(|(k, _)| k.starts_with(&below))
            .map(|(k, _)| k.clone())
            .collect();
        for k in doomed {
            self.set.remove(&k);
        }
        // A pointer outside the defaults tree has no default below it either.
        if self.defaults && super::defaults::has(pointer) {
            self.cleared.insert(pointer.to_owned());
        }
    }

    pub fn set(&mut self, pointer: String, origin: Origin) {
        self.set.insert(pointer, origin);
    }
}

/// [`Origins::untouched`] answered from sorted lists instead of map lookups and a new string per
/// question (a walk asks it for each child of every node a layer touched; see
/// [`Origins::untouched_index`]).
pub struct Untouched<'o> {
    defaults: bool,
    /// The pointers set or cleared, sorted.
    marks: Vec<&'o str>,
    cleared: Vec<&'o str>,
}

impl Untouched<'_> {
    /// [`Origins::untouched`].
    pub fn at(&self, pointer: &str) -> bool {
        if !(self.defaults && super::defaults::has(pointer)) {
            return false;
        }
        // `pointer` itself or a pointer below it is set or cleared: the marks that start with
        // it follow it in order (with siblings such as `/a-b` after `/a` among them).
        let from = self.marks.partition_point(|m| *m < pointer);
        let marked = self.marks[from..]
            .iter()
            .take_while(|m| m.starts_with(pointer))
            .any(|m| m.len() == pointer.len() || m.as_bytes()[pointer.len()] == b'/');
        // A node above it was cleared.
        let above = self.cleared.iter().any(|c| {
            pointer.len() > c.len() && pointer.starts_with(c) && pointer.as_bytes()[c.len()] == b'/'
        });
        !marked && !above
    }
}

/// What a `null` in a layer does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nulls {
    /// Remove the key, whatever the layers below set (Helm's coalescing of user values over the
    /// chart's defaults).
    Remove,
    /// Keep the null as a value (Helm's merge of user values files among themselves, and its
    /// `--set` flags): it removes the default only when the user values are coalesced over the
    /// defaults, so a later user layer that writes a map there gets the defaults back.
    Keep,
}

/// Merge `layer` into `base` in place. `origin_at` gives the origin of a node of the layer by
/// its pointer; it is recorded for every node the layer sets.
pub fn merge_layer(
    base: &mut Value,
    layer: Value,
    pointer: &str,
    origins: &mut Origins,
    origin_at: &dyn Fn(&str) -> Origin,
) {
    merge_with(base, layer, pointer, origins, origin_at, Nulls::Remove);
}

/// [`merge_layer`] with a choice of what a null does.
pub fn merge_with(
    base: &mut Value,
    layer: Value,
    pointer: &str,
    origins: &mut Origins,
    origin_at: &dyn Fn(&str) -> Origin,
    nulls: Nulls,
) {
    match (base, layer) {
        (Value::Object(base_map), Value::Object(layer_map)) => {
            origins.set(pointer.to_owned(), origin_at(pointer));
            merge_maps(base_map, layer_map, pointer, origins, origin_at, nulls);
        }
        (base, layer) => {
            origins.clear_below(pointer);
            record(&layer, pointer, origins, origin_at);
            *base = layer;
        }
    }
}

/// Merge `layer` into `base` with the same rules, where no provenance is kept (a subchart's
/// defaults under the user's map, as Helm merges a parent chart's values over a subchart's).
///
/// ```
/// let mut base = serde_json::json!({"requests": {"cpu": "100m", "memory": "90Mi"}});
/// skygen::values::merge::deep_merge(&mut base, serde_json::json!({"requests": {"cpu": "1", "memory": null}}));
/// assert_eq!(base, serde_json::json!({"requests": {"cpu": "1"}}));
/// ```
pub fn deep_merge(base: &mut Value, layer: Value) {
    merge_layer(base, layer, "", &mut Origins::default(), &|_| {
        Origin::Defaults
    });
}

fn merge_maps(
    base: &mut Map<String, Value>,
    layer: Map<String, Value>,
    pointer: &str,
    origins: &mut Origins,
    origin_at: &dyn Fn(&str) -> Origin,
    nulls: Nulls,
) {
    for (key, value) in layer {
        let child = format!("{pointer}/{}", crate::pointer::escape(&key));
        if value.is_null() && nulls == Nulls::Remove {
            // Helm: a null removes the key, whatever the layers below set.
            base.shift_remove(&key);
            origins.clear_below(&child);
            continue;
        }
        match base.get_mut(&key) {
            Some(existing) if existing.is_object() && value.is_object() => {
                merge_with(existing, value, &child, origins, origin_at, nulls);
            }
            _ if value.is_object() && nulls == Nulls::Remove => {
                // A map over nothing (or over a scalar): the nulls inside it remove nothing
                // and must not be kept either.
                origins.clear_below(&child);
                let mut fresh = Value::Object(Map::new());
                merge_with(&mut fresh, value, &child, origins, origin_at, nulls);
                base.insert(key, fresh);
            }
            _ => {
                origins.clear_below(&child);
                record(&value, &child, origins, origin_at);
                base.insert(key, value);
            }
        }
    }
}

/// Record the origin of every node of a subtree that a layer sets wholesale.
fn record(value: &Value, pointer: &str, origins: &mut Origins, origin_at: &dyn Fn(&str) -> Origin) {
    origins.set(pointer.to_owned(), origin_at(pointer));
    match value {
        Value::Object(m) => {
            for (k, v) in m {
                let child = format!("{pointer}/{}", crate::pointer::escape(k));
                record(v, &child, origins, origin_at);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                record(v, &format!("{pointer}/{i}"), origins, origin_at);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::defaults::pointers;
    use serde_json::json;

    fn merged(base: Value, layer: Value) -> (Value, Origins) {
        let mut base = base;
        let mut origins = Origins::default();
        merge_layer(&mut base, layer, "", &mut origins, &|p| Origin::Builtin {
            name: format!("layer{p}"),
            pos: None,
        });
        (base, origins)
    }

    #[test]
    fn maps_merge_lists_replace_nulls_remove() {
        let (v, origins) = merged(
            json!({"a": {"x": 1, "y": 2}, "l": [1, 2, 3], "gone": {"deep": true}}),
            json!({"a": {"y": 5}, "l": [9], "gone": null}),
        );
        assert_eq!(v, json!({"a": {"x": 1, "y": 5}, "l": [9]}));
        assert_eq!(
            origins.of("/a/y"),
            Some(&Origin::Builtin {
                name: "layer/a/y".into(),
                pos: None
            })
        );
        assert!(origins.of("/gone/deep").is_none() || origins.of("/gone/deep") == origins.of(""));
    }

    /// Origins left implicit for the defaults answer exactly as one stored per default node
    /// (what the merge did before), through layers that merge into, replace, remove and
    /// re-create default maps, and through `--set`'s direct clearing.
    #[test]
    fn implicit_defaults_answer_as_stored() {
        let defaults = crate::values::defaults::tree();
        let mut stored = Origins::default();
        record(&defaults, "", &mut stored, &|_| Origin::Defaults);
        let mut implicit = Origins::defaults();
        let layers = [
            json!({"apiService": {"image": "x", "resources": "big", "newKey": {"a": 1}}}),
            json!({"ingress": null, "storage": {"size": "1Gi"}, "rbac": {"namespaceRules": [{"a": 1}]}}),
            json!({"ingress": {"enabled": true}, "apiService": {"resources": {"requests": {"cpu": 1}}}}),
            json!({"grafana": "off", "prometheus": {"server": null}}),
            json!({"grafana": {"x": {"y": 2}}, "global": [1, 2]}),
        ];
        let (mut a, mut b) = (defaults.clone(), defaults.clone());
        for (i, layer) in layers.into_iter().enumerate() {
            let origin = |p: &str| Origin::Builtin {
                name: format!("layer{i}{p}"),
                pos: None,
            };
            merge_layer(&mut a, layer.clone(), "", &mut stored, &origin);
            merge_layer(&mut b, layer, "", &mut implicit, &origin);
        }
        // As `--set` does: clear a default subtree, then set below it.
        for o in [&mut stored, &mut implicit] {
            o.clear_below("/apiService/livenessProbe");
            o.set("/apiService/livenessProbe/x".into(), Origin::Defaults);
            o.clear_below("/kubernetesCredentials");
        }
        assert_eq!(a, b);
        let mut all = Vec::new();
        pointers(&defaults, &mut String::new(), &mut all);
        pointers(&a, &mut String::new(), &mut all);
        all.extend(
            [
                "/nope",
                "/ingress/nope/deeper",
                "/apiService/livenessProbe/x/y",
            ]
            .map(String::from),
        );
        let mut differ = 0;
        for p in &all {
            assert_eq!(stored.of(p), implicit.of(p), "of({p})");
            assert_eq!(stored.blame(p), implicit.blame(p), "blame({p})");
            differ += usize::from(stored.of(p) != Some(&Origin::Defaults));
        }
        assert!(differ > 20, "the layers changed origins ({differ})");
        // Without the cleared set, removed and replaced defaults would still answer Defaults.
        let mut forgetful = implicit.clone();
        forgetful.cleared.clear();
        assert!(all.iter().any(|p| forgetful.of(p) != stored.of(p)));
    }

    /// The index answers as the plain question, for every pointer of the defaults and of a
    /// tree after layers that set, replace and remove values (also near siblings such as
    /// `/a-b` next to `/a`).
    #[test]
    fn untouched_index_answers_as_untouched() {
        let mut tree = super::super::defaults::tree();
        let mut origins = Origins::defaults();
        let layer = json!({
            "apiService": {"image": "x", "livenessProbe": null, "resources": {"limits": {"cpu": "1"}}},
            "ingress-nginx": {"controller": 3},
            "storage": {"size": null},
            "new": {"deep": {"er": 1}},
        });
        let origin = |_: &str| Origin::Defaults;
        merge_with(&mut tree, layer, "", &mut origins, &origin, Nulls::Remove);
        let mut pointers = Vec::new();
        super::super::defaults::pointers(&tree, &mut String::new(), &mut pointers);
        super::super::defaults::pointers(
            &super::super::defaults::tree(),
            &mut String::new(),
            &mut pointers,
        );
        pointers.extend(
            [
                "/ingress",
                "/ingress-",
                "/nope",
                "/apiService/livenessProbe/httpGet",
            ]
            .map(String::from),
        );
        let index = origins.untouched_index();
        let (mut yes, mut no) = (0, 0);
        for p in &pointers {
            assert_eq!(index.at(p), origins.untouched(p), "{p}");
            if origins.untouched(p) {
                yes += 1;
            } else {
                no += 1;
            }
        }
        assert!(yes > 100 && no > 10, "{yes} untouched, {no} touched");
    }

    #[test]
    fn a_scalar_can_replace_a_map_and_back() {
        let (v, _) = merged(json!({"a": {"x": 1}}), json!({"a": "text"}));
        assert_eq!(v, json!({"a": "text"}));
        let (v, _) = merged(json!({"a": "text"}), json!({"a": {"x": 1}}));
        assert_eq!(v, json!({"a": {"x": 1}}));
    }
}
