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
//! line. [`apply`] then fails only for reasons that need the objects, such as a target matching
//! the wrong number of them. Neither ever writes anything.

mod builtin;
mod check;
mod config;
mod json6902;
mod merge;
mod patch;
mod source;
mod spec;
mod strategic;
mod target;

use std::collections::BTreeSet;

use minijinja::{Environment, UndefinedBehavior};
use serde_json::{Map, Value};

use crate::diagnostics::{did_you_mean, quote, Code, Diagnostic, Origin};
use crate::manifest::ObjectId;
use crate::render::Release;
use crate::values::{Validated, ValueSource};

pub use builtin::{builtin_names, list as list_builtins};
pub use config::merge_config;
pub use patch::PatchType;
pub use target::Target;

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
    /// `overlay.yaml`'s path as shown in messages (`overlays/eks/overlay.yaml`, or the user's).
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
    expect: usize,
    /// Where the patch is written, for every message about it.
    origin: Origin,
}

/// Load the overlays named on the command line (built-in names or directories), in order, and
/// check that they can be combined.
pub fn load(specs: &[String]) -> Result<Vec<Overlay>, Vec<Diagnostic>> {
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

/// The context of overlay strings (targets, patches, config): every release name at the top
/// (`fullname`, `api_server`, `service_account`, …) plus `release.name` and `release.namespace`;
/// targets and patches also get `ingress_nginx.*` (the bundled controller's names).
fn string_context(names: &Value, release: &Release) -> Value {
    let mut ctx = names.as_object().cloned().unwrap_or_default();
    ctx.insert(
        "release".into(),
        serde_json::json!({"name": release.name, "namespace": release.namespace}),
    );
    Value::Object(ctx)
}

/// Environment for templated strings: strict, no escaping (the result is a string, never YAML).
fn string_environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env
}

fn is_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains("{#")
}

/// Render every templated string of `v` (keys stay as written). A failure gives the pointer of
/// the string and the template error.
fn render_strings(
    env: &Environment<'_>,
    v: &Value,
    ctx: &Value,
    at: &str,
) -> Result<Value, (String, String)> {
    Ok(match v {
        Value::String(s) if is_template(s) => Value::String(
            env.render_str(s, minijinja::value::Serde(ctx))
                .map_err(|e| (at.to_owned(), e.to_string()))?,
        ),
        Value::Array(a) => Value::Array(
            a.iter()
                .enumerate()
                .map(|(i, x)| render_strings(env, x, ctx, &format!("{at}/{i}")))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| {
                    let child = format!("{at}/{}", crate::yaml::escape_pointer(k));
                    Ok((k.clone(), render_strings(env, x, ctx, &child)?))
                })
                .collect::<Result<_, (String, String)>>()?,
        ),
        other => other.clone(),
    })
}

/// Apply the overlays, in order, to the rendered objects: each adds its resources, then applies
/// its patches (which may target those resources). Every failure is reported.
pub fn apply(
    mut objects: Vec<Value>,
    overlays: &[Overlay],
    values: &Validated,
    release: &Release,
) -> Result<Vec<Value>, Vec<Diagnostic>> {
    if overlays.is_empty() {
        return Ok(objects);
    }
    let names = crate::render::names(values.values(), release);
    let mut strings_ctx = string_context(&names, release);
    let mut resource_ctx = crate::render::template_context(values, release);
    // The bundled controller's names (`{{ ingress_nginx.controller }}`), which follow its own
    // fullnameOverride.
    if let (Some(ctx), Some(n)) = (
        strings_ctx.as_object_mut(),
        resource_ctx.pointer("/nginx/names"),
    ) {
        ctx.insert("ingress_nginx".into(), n.clone());
    }
    if let (Some(ctx), Some(top)) = (resource_ctx.as_object_mut(), strings_ctx.as_object()) {
        for (k, v) in top {
            ctx.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let env = string_environment();
    let mut errors = Vec::new();
    for overlay in overlays {
        errors.extend(
            overlay
                .checks
                .iter()
                .filter_map(|c| c.run(&env, &resource_ctx)),
        );
        for r in &overlay.resources {
            match render_resource(r, &resource_ctx) {
                Ok(new) => {
                    for obj in new {
                        let id = ObjectId::of(&obj);
                        if objects.iter().any(|o| ObjectId::of(o) == id) {
                            errors.push(
                                Diagnostic::error(
                                    Code::Overlay,
                                    format!("{} adds {id}, which the deployment already has", r.name),
                                )
                                .with_help("change an existing object with a patch instead of adding it again"),
                            );
                        } else {
                            objects.push(obj);
                        }
                    }
                }
                Err(d) => errors.push(*d),
            }
        }
        for p in &overlay.patches {
            if let Err(d) = apply_patch(&mut objects, p, &env, &strings_ctx) {
                errors.push(*d);
            }
        }
    }
    if errors.is_empty() {
        Ok(objects)
    } else {
        Err(errors)
    }
}

fn render_resource(r: &Resource, ctx: &Value) -> Result<Vec<Value>, Box<Diagnostic>> {
    let mut env = crate::render::template_environment();
    let origin = |line: Option<usize>| {
        Some(Origin::Builtin {
            name: r.name.clone(),
            pos: line.map(|line| crate::yaml::Pos { line, col: 1 }),
        })
    };
    let fail = |msg: String, line| {
        Box::new(Diagnostic::error(Code::Overlay, msg)
            .with_origin(origin(line))
            .with_help("the overlay's resource templates follow the rules of skygen's own templates (docs/overlays.md)"))
    };
    env.add_template(&r.name, &r.text)
        .map_err(|e| fail(format!("template does not compile: {e}"), e.line()))?;
    let text = env
        .get_template(&r.name)
        .and_then(|t| t.render(minijinja::value::Serde(ctx)))
        .map_err(|e| fail(format!("template failed: {e}"), e.line()))?;
    let docs = crate::yaml::read_stream(&text).map_err(|e| {
        fail(
            format!("rendered invalid YAML: {}", e.kind),
            e.pos.map(|p| p.line),
        )
    })?;
    let mut out = Vec::new();
    for doc in docs {
        match doc.value {
            Value::Null => {}
            obj @ Value::Object(_) => {
                let id = ObjectId::of(&obj);
                if id.kind.is_empty()
                    || id.name.is_empty()
                    || obj.get("apiVersion").and_then(Value::as_str).is_none()
                {
                    return Err(fail(
                        "an object needs apiVersion, kind and metadata.name".into(),
                        None,
                    ));
                }
                out.push(obj);
            }
            other => {
                return Err(fail(
                    format!(
                        "rendered {} instead of an object",
                        crate::values::kind_of(&other)
                    ),
                    None,
                ))
            }
        }
    }
    Ok(out)
}

fn apply_patch(
    objects: &mut Vec<Value>,
    p: &Patch,
    env: &Environment<'_>,
    ctx: &Value,
) -> Result<(), Box<Diagnostic>> {
    let fail = |msg: String| {
        Box::new(Diagnostic::error(Code::Overlay, msg).with_origin(Some(p.origin.clone())))
    };
    let target = p
        .target
        .render(env, ctx)
        .map_err(|(at, e)| fail(format!("target{at}: {e}")))?;
    let body =
        render_strings(env, &p.body, ctx, "").map_err(|(at, e)| fail(format!("patch{at}: {e}")))?;
    let patcher = p
        .kind
        .build(&body)
        .map_err(|prob| fail(format!("patch{}: {}", prob.pointer, prob.message)))?;
    let ids: Vec<ObjectId> = objects.iter().map(ObjectId::of).collect();
    let matched: Vec<usize> = (0..objects.len())
        .filter(|&i| target.matches(&ids[i], &objects[i]))
        .collect();
    if matched.len() != p.expect {
        let mut d = Diagnostic::error(
            Code::Overlay,
            format!(
                "patch target {target} matches {} object(s), expected {}",
                matched.len(),
                p.expect
            ),
        )
        .with_origin(Some(p.origin.clone()));
        d = if matched.is_empty() {
            let closest = target.closest(&ids, 3);
            if !closest.is_empty() {
                d = d.with_help(format!("closest objects: {}", closest.join(", ")));
            }
            d.with_help("fix the target (names may use the release's names, e.g. \"{{ fullname }}-api-service\"), or set `expect: 0` if the object is optional")
        } else {
            let list: Vec<String> = matched.iter().map(|&i| ids[i].to_string()).collect();
            d.with_help(format!("matched: {}", list.join(", ")))
                .with_help("narrow the target (kind, name, namespace, labelSelector), or set `expect` to the number of objects it should match")
        };
        return Err(Box::new(d));
    }
    let mut deleted = Vec::new();
    for &i in &matched {
        match patcher.apply(&mut objects[i]) {
            Ok(patch::Effect::Keep) => {}
            Ok(patch::Effect::Delete) => deleted.push(i),
            Err(e) => return Err(fail(format!("cannot apply the patch to {}: {e}", ids[i]))),
        }
        let id = ObjectId::of(&objects[i]);
        if !deleted.contains(&i) && (id.kind.is_empty() || id.name.is_empty()) {
            return Err(fail(format!(
                "the patch leaves {} without kind or metadata.name",
                ids[i]
            )));
        }
    }
    for i in deleted.into_iter().rev() {
        objects.remove(i);
    }
    Ok(())
}

/// An error for an unknown built-in, listing the built-ins.
fn unknown_builtin(spec: &str) -> Diagnostic {
    let names = builtin_names();
    let mut d = Diagnostic::error(
        Code::Overlay,
        format!(
            "unknown overlay {}: not a built-in and not a directory",
            quote(spec)
        ),
    );
    if let Some(best) = did_you_mean(spec, names.iter().copied()) {
        d = d.with_help(format!("did you mean `{best}`?"));
    }
    d.with_help(format!(
        "the built-in overlays are {} (`skygen overlays` describes them); a directory of your own must contain overlay.yaml",
        names.join(", ")
    ))
}
