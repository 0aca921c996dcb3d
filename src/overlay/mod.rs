//! Stage 4: overlays. kustomize-style components applied, in the order given, to the objects the
//! render stage produced.
//!
//! An overlay is a directory holding `overlay.yaml` (see `docs/overlays.md`): values it sets
//! (merged over the defaults and under the user's values), SkyPilot config entries it merges into
//! `apiService.config`, extra objects rendered from templates, and patches (RFC 6902 JSON patch,
//! RFC 7386 merge patch, strategic merge) with a target and how many objects they must match.
//! The built-ins (`overlays/<name>/`) are embedded in the binary and load like a user's own.
//!
//! Two phases. [`load`] reads and checks everything it can without the values (the YAML, every
//! field, the patch forms, template syntax, conflicts) and reports each problem with file and
//! line. [`apply`] then fails only for reasons that need the values or the objects, such as a
//! `checks` entry that holds or a target matching the wrong number of objects. Neither ever
//! writes anything.
//!
//! Modules: `source` and `builtin` find an overlay's files, `spec` reads `overlay.yaml`,
//! `config` merges its SkyPilot config entries into the values, `guard` bounds its templates
//! before they compile or run, `apply` runs its checks,
//! resources and patches, `check` and `target` are one check and one target, `patch` with
//! `json6902`, `merge` and `strategic` the patch kinds, and `strings` the templated strings.

mod apply;
mod builtin;
mod check;
mod config;
pub mod guard;
mod json6902;
mod merge;
mod patch;
mod source;
mod spec;
mod strategic;
mod strings;
mod target;

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::diagnostics::{quote, Code, Diagnostic, Origin};
use crate::values::ValueSource;

pub use apply::apply;
pub use builtin::{builtin_names, list as list_builtins};
pub use config::merge_config;
pub use patch::PatchType;
pub use spec::MAX_EXPECT;
pub use target::Target;

/// What the overlay stage made: the rendered objects with every overlay's resources added and
/// patches applied, each still naming the template it came from. Not yet in canonical form
/// (that is [`crate::manifest::normalize`]).
#[derive(Clone, Debug)]
pub struct Patched {
    pub objects: Vec<crate::render::Object>,
}

/// One loaded, checked overlay.
#[derive(Debug)]
pub struct Overlay {
    /// The built-in's name, or the user directory's last component.
    pub name: String,
    /// A built-in's `conflicts` and `requires` name built-ins only, never a directory that
    /// happens to share the name.
    builtin: bool,
    /// The identity of the overlay for duplicates: the built-in's name or the canonical path.
    key: String,
    /// `overlay.yaml`'s path in origins: the user's path, or `built-in:eks/overlay.yaml` for a
    /// built-in, which messages show as `built-in overlay 'eks' (overlay.yaml line N)`.
    pub file: String,
    pub description: String,
    pub conflicts: Vec<String>,
    pub requires: Vec<String>,
    /// The text of `overlay.yaml`, when it has `values` (they are read from it in place).
    values_text: Option<String>,
    /// SkyPilot config entries for `apiService.config`, and where they were written.
    config: Option<(Map<String, Value>, Origin)>,
    resources: Vec<Resource>,
    patches: Vec<Patch>,
    /// Value combinations the overlay cannot work with, checked before it applies.
    checks: Vec<check::Check>,
}

/// An extra object template of an overlay.
#[derive(Debug)]
struct Resource {
    /// Template name: `<overlay dir>/<path>`.
    name: String,
    text: String,
}

/// One patch of an overlay, as written (strings still templates).
#[derive(Debug)]
struct Patch {
    target: Target,
    kind: PatchType,
    body: Value,
    /// How many objects the target must match; `None` (`expect: any`) takes every match.
    expect: Option<usize>,
    /// An expression over the values (`v.…`, as in checks): the patch applies only when true.
    when: Option<String>,
    /// Where the patch is written, for every message about it.
    origin: Origin,
}

/// Load the overlays named on the command line (built-in names or directories), in order, and
/// check that they can be combined.
pub fn load(specs: &[String]) -> Result<Vec<Overlay>, Vec<Diagnostic>> {
    if specs.len() > guard::MAX_OVERLAYS {
        return Err(vec![Diagnostic::error(
            Code::Usage,
            format!(
                "{} overlays; one run applies at most {}",
                specs.len(),
                guard::MAX_OVERLAYS
            ),
        )
        .with_help("combine overlays into fewer directories")]);
    }
    let mut overlays = Vec::new();
    let mut errors = Vec::new();
    for spec in specs {
        match source::resolve(spec).and_then(|files| spec::parse(&files)) {
            Ok(o) => overlays.push(o),
            Err(mut d) => errors.append(&mut d),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    errors.extend(combination_errors(&overlays));
    if errors.is_empty() {
        Ok(overlays)
    } else {
        Err(errors)
    }
}

impl Overlay {
    /// How the overlay is shown in messages: the built-in's name or the directory.
    fn shown(&self) -> String {
        if self.builtin {
            quote(&self.name)
        } else {
            quote(self.file.trim_end_matches("/overlay.yaml"))
        }
    }

    /// Does this overlay's `conflicts` or `requires` list (`names`) name `other`? A built-in's
    /// lists name built-ins only; a user overlay's name built-ins and directories by last
    /// component.
    fn names(&self, names: &[String], other: &Overlay) -> bool {
        names.contains(&other.name) && (!self.builtin || other.builtin)
    }
}

/// Duplicates, conflicts (either side may declare one) and missing requirements.
fn combination_errors(overlays: &[Overlay]) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, o) in overlays.iter().enumerate() {
        if !seen.insert(o.key.as_str()) {
            errors.push(
                Diagnostic::error(
                    Code::Overlay,
                    format!("overlay {} is given twice", o.shown()),
                )
                .with_help("give each overlay once; they are applied in the order given"),
            );
        }
        for other in &overlays[i + 1..] {
            let (mine, theirs) = (
                o.names(&o.conflicts, other),
                other.names(&other.conflicts, o),
            );
            if mine || theirs {
                errors.push(
                    Diagnostic::error(
                        Code::Overlay,
                        format!(
                            "overlays {} and {} conflict and cannot be combined",
                            o.shown(),
                            other.shown()
                        ),
                    )
                    .with_help(format!(
                        "keep one of them: both set the same things differently (see `skygen overlays`); {} declares the conflict",
                        if mine { &o.file } else { &other.file }
                    )),
                );
            }
        }
        for r in &o.requires {
            let wanted = [r.clone()];
            if !overlays.iter().any(|other| o.names(&wanted, other)) {
                errors.push(
                    Diagnostic::error(
                        Code::Overlay,
                        format!("overlay {} requires overlay {}", o.shown(), quote(r)),
                    )
                    .with_origin(Some(Origin::Builtin {
                        name: o.file.clone(),
                        pos: None,
                    }))
                    .with_help(format!(
                        "add --overlay {r} (overlays apply in the order given)"
                    )),
                );
            }
        }
    }
    errors
}

/// The overlays' values layers, to merge over the defaults and under the user's sources.
pub fn value_sources(overlays: &[Overlay]) -> Vec<ValueSource> {
    overlays
        .iter()
        .filter_map(|o| {
            Some(ValueSource::Overlay {
                name: o.file.clone(),
                text: o.values_text.clone()?,
                pointer: "/values".into(),
            })
        })
        .collect()
}
