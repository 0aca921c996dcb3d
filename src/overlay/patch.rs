//! The patch kinds behind one trait. [`PatchType::build`] checks a patch's form (at load time,
//! and again after its strings are rendered) and returns a [`Patcher`] that applies it to one
//! object; one file per kind holds the logic.

use serde_json::Value;

use super::{json6902, merge, strategic};

/// What a patch did to an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Keep,
    /// The patch deletes the whole object (strategic `$patch: delete` at the top).
    Delete,
}

/// A checked patch, ready to apply.
pub trait Patcher {
    /// Patch one object in place; an error says why the patch does not fit the object.
    fn apply(&self, object: &mut Value) -> Result<Effect, String>;
    /// Most nodes one application writes into an object, charged against the run's
    /// [`MAX_PATCH_NODES`](super::guard::MAX_PATCH_NODES).
    fn cost(&self) -> usize;
}

/// Why a patch is malformed: the JSON pointer (inside the patch) of the fault, and what is wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub pointer: String,
    pub message: String,
}

impl Problem {
    pub fn at(pointer: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

/// Merge-style patches are partial objects: anything but a mapping would replace the whole
/// object, which is never what an overlay means.
pub fn require_mapping(patch: &Value) -> Result<(), Problem> {
    if patch.is_object() {
        Ok(())
    } else {
        Err(Problem::at(
            "",
            format!(
                "expected a mapping (a partial object), found {}",
                crate::values::kind_of(patch)
            ),
        ))
    }
}

/// The `type` of a patch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchType {
    /// RFC 6902: a list of operations.
    Json6902,
    /// RFC 7386: a partial object; `null` removes, lists replace.
    Merge,
    /// Kubernetes strategic merge: like `merge`, but lists of containers, env, ports, volumes, …
    /// merge item by item on their key, and `$patch: delete` / `$patch: replace` are understood.
    Strategic,
}

impl PatchType {
    pub const NAMES: &'static [&'static str] = &["json6902", "merge", "strategic"];

    pub fn from_name(name: &str) -> Option<PatchType> {
        match name {
            "json6902" => Some(PatchType::Json6902),
            "merge" => Some(PatchType::Merge),
            "strategic" => Some(PatchType::Strategic),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            PatchType::Json6902 => "json6902",
            PatchType::Merge => "merge",
            PatchType::Strategic => "strategic",
        }
    }

    /// A one-line reminder of the form, for errors.
    pub fn hint(self) -> &'static str {
        match self {
            PatchType::Json6902 => "a json6902 patch is a list of operations, e.g. - {op: replace, path: /spec/replicas, value: 2}",
            PatchType::Merge => "a merge patch is a partial object, e.g. {spec: {replicas: 2}}; null removes a key",
            PatchType::Strategic => "a strategic patch is a partial object; list items of containers, env, ports, volumes, … are matched by their key (docs/overlays.md)",
        }
    }

    /// What usually makes a well-formed patch fail on its object, for errors.
    pub fn apply_hint(self) -> &'static str {
        match self {
            PatchType::Json6902 => "operations count from 0; a path's parent must exist (add it first: {op: add, path: /metadata/labels, value: {}}); `test` fails when the object holds another value",
            PatchType::Merge | PatchType::Strategic => "a merge-style patch applies to an object that is a mapping",
        }
    }

    /// Check the form of `patch` and make its patcher.
    pub fn build(self, patch: &Value) -> Result<Box<dyn Patcher>, Problem> {
        Ok(match self {
            PatchType::Json6902 => Box::new(json6902::JsonPatch::new(patch)?),
            PatchType::Merge => Box::new(merge::MergePatch::new(patch)?),
            PatchType::Strategic => Box::new(strategic::StrategicMerge::new(patch)?),
        })
    }
}
