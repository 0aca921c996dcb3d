//! Applying loaded overlays to the rendered objects, in order: each overlay's checks over the
//! values, then its resources (extra objects from templates), then its patches (which may target
//! those resources). Takes the [`Rendered`] objects (with the context their templates saw, which
//! resource templates see too), the overlays and the validated values; returns [`Patched`]
//! objects or every failure. Fails only for reasons that need the objects
//! or the values; everything else was checked when the overlays were loaded.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use minijinja::Environment;
use serde_json::Value;

use super::strings::{render_strings, string_context, string_environment};
use super::{guard, patch, Overlay, Patch, Patched, Resource};
use crate::diagnostics::{Code, Diagnostic, Origin};
use crate::kubecheck::{Source, Sources};
use crate::manifest::ObjectId;
use crate::render::{Object, Rendered};
use crate::values::Validated;

/// Apply the overlays, in order, to the rendered objects: each adds its resources, then applies
/// its patches (which may target those resources). Every failure is reported. `sources` learns
/// which objects each overlay made or patched, for messages about them later.
pub fn apply(
    rendered: Rendered,
    overlays: &[Overlay],
    values: &Validated,
    sources: &mut Sources,
) -> Result<Patched, Vec<Diagnostic>> {
    let Rendered {
        mut objects,
        context,
    } = rendered;
    if overlays.is_empty() {
        return Ok(Patched { objects });
    }
    let resolved = values.resolved();
    // The bundled controller's names (`{{ ingress_nginx.controller }}`) follow its own
    // fullnameOverride.
    let strings_ctx = string_context(
        &resolved.names,
        Some(&resolved.nginx_names),
        values.release(),
    );
    // Resource templates see what skygen's own templates see, plus the overlay strings' names.
    let resource_ctx = minijinja::context! { ..context, ..strings_ctx.clone() };
    // Targets and patches see the names, and `v` for what depends on the values (a JSON
    // pointer into a list of the user's length). Not the rest of the resource context: its
    // `ingress` (facts) would hide the name `{{ ingress }}`.
    let patch_ctx = minijinja::context! {
        v => resource_ctx.get_attr("v").unwrap_or_default(),
        ..strings_ctx.clone()
    };
    let env = string_environment();
    let mut errors = Vec::new();
    // Identities are computed once and kept in step with `objects`: comparing every new object
    // with every old one made an overlay of a few thousand objects take seconds (issue 17).
    let mut ids: Vec<ObjectId> = objects.iter().map(|o| ObjectId::of(&o.value)).collect();
    let mut budget = guard::MAX_PATCH_NODES;
    let mut scans = 0;
    let mut fuel = guard::RUN_FUEL;
    for overlay in overlays {
        let mut known: HashSet<ObjectId> = ids.iter().cloned().collect();
        errors.extend(
            overlay
                .checks
                .iter()
                .filter_map(|c| c.run(&env, &resource_ctx)),
        );
        for r in &overlay.resources {
            match render_resource(r, &resource_ctx, &mut fuel) {
                Ok((rendered, new)) => {
                    let template: std::sync::Arc<str> = r.text.as_str().into();
                    let rendered: std::sync::Arc<str> = rendered.into();
                    for (obj, positions) in new {
                        let id = ObjectId::of(&obj);
                        sources.made(
                            id.clone(),
                            Source::OverlayResource {
                                file: r.name.clone(),
                                template: template.clone(),
                                rendered: rendered.clone(),
                                positions,
                            },
                        );
                        if objects.len() >= guard::MAX_OBJECTS {
                            errors.push(
                                Diagnostic::error(
                                    Code::Overlay,
                                    format!(
                                        "the overlays add more objects than the limit of {} in all",
                                        guard::MAX_OBJECTS
                                    ),
                                )
                                .with_origin(Some(Origin::Builtin {
                                    name: r.name.clone(),
                                    pos: None,
                                }))
                                .with_help("a deployment needs a few dozen objects; split the overlay's resources into several renders"),
                            );
                            break;
                        }
                        if !known.insert(id.clone()) {
                            errors.push(
                                Diagnostic::error(
                                    Code::Overlay,
                                    format!("adds {id}, which the deployment already has"),
                                )
                                .with_origin(Some(Origin::Builtin {
                                    name: r.name.clone(),
                                    pos: None,
                                }))
                                .with_help("change an existing object with a patch instead of adding it again"),
                            );
                        } else {
                            objects.push(Object {
                                value: obj,
                                template: Cow::Owned(r.name.clone()),
                            });
                            ids.push(id);
                        }
                    }
                }
                Err(d) => errors.push(*d),
            }
        }
        for p in &overlay.patches {
            match p.applies(&env, &resource_ctx) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(d) => {
                    errors.push(*d);
                    continue;
                }
            }
            match apply_patch(
                &mut objects,
                &mut ids,
                p,
                &env,
                &patch_ctx,
                &mut budget,
                &mut scans,
            ) {
                Ok(changed) => changed
                    .into_iter()
                    .for_each(|id| sources.patched(id, p.origin.clone())),
                Err(d) => {
                    errors.push(*d);
                    // A patch that failed half-way may have changed some objects.
                    ids = objects.iter().map(|o| ObjectId::of(&o.value)).collect();
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(Patched { objects })
    } else {
        Err(errors)
    }
}

/// The objects of one resource template with the positions of their nodes, and the text they
/// were read from.
type RenderedResource = (
    String,
    Vec<(Value, std::collections::BTreeMap<String, crate::yaml::Pos>)>,
);

/// Render one resource template; `fuel` is what the run's templates may still spend.
fn render_resource(
    r: &Resource,
    ctx: &minijinja::Value,
    fuel: &mut u64,
) -> Result<RenderedResource, Box<Diagnostic>> {
    let mut env = crate::templates::rules();
    let granted = guard::TEMPLATE_FUEL.min(*fuel);
    env.set_fuel(Some(granted));
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
    let rendered = env
        .get_template(&r.name)
        .and_then(|t| t.render_captured(ctx));
    let captured = match rendered {
        Ok(c) => c,
        Err(e) => {
            *fuel -= granted;
            let help = if e.kind() == minijinja::ErrorKind::OutOfFuel {
                format!("one template may do {} steps of work, and all templates of a run {} (docs/limits.md)", guard::TEMPLATE_FUEL, guard::RUN_FUEL)
            } else {
                "the overlay's resource templates follow the rules of skygen's own templates (docs/overlays.md)".to_owned()
            };
            return Err(Box::new(
                Diagnostic::error(Code::Overlay, format!("template failed: {e}"))
                    .with_origin(origin(e.line()))
                    .with_help(help),
            ));
        }
    };
    *fuel -= captured
        .state()
        .fuel_levels()
        .map_or(granted, |(used, _)| used.min(granted));
    let text = captured.into_output();
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
                out.push((obj, doc.positions));
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
    Ok((text, out))
}

impl Patch {
    /// Does the patch's `when` hold for these values (always, without one)?
    fn applies(
        &self,
        env: &Environment<'_>,
        ctx: &minijinja::Value,
    ) -> Result<bool, Box<Diagnostic>> {
        let Some(when) = &self.when else {
            return Ok(true);
        };
        env.compile_expression(when)
            .and_then(|expr| expr.eval(ctx))
            .map(|v| v.is_true())
            .map_err(|e| {
                Box::new(
                    Diagnostic::error(
                        Code::Overlay,
                        format!("patch condition `{when}` failed to evaluate: {e}"),
                    )
                    .with_origin(Some(self.origin.clone()))
                    .with_help("`when` sees the same names as checks and resource templates: v, names, release, … (docs/overlays.md)"),
                )
            })
    }
}

/// Apply one patch; `ids` are the identities of `objects`, index for index, and stay so.
/// Returns the identities of the objects it changed (and kept).
fn apply_patch(
    objects: &mut Vec<Object>,
    ids: &mut Vec<ObjectId>,
    p: &Patch,
    env: &Environment<'_>,
    ctx: &minijinja::Value,
    budget: &mut usize,
    scans: &mut usize,
) -> Result<Vec<ObjectId>, Box<Diagnostic>> {
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
    // Every patch looks at every object: bounded in all, as the nodes patches write are (#17).
    *scans += ids.len();
    if *scans > guard::MAX_PATCH_SCANS {
        return Err(Box::new(
            fail(format!(
                "the overlays' patch targets look at more than {} objects in all (each patch looks at each of the {} objects)",
                guard::MAX_PATCH_SCANS,
                ids.len()
            ))
            .with_help("use fewer patches: one patch with `expect: any` can change many objects"),
        ));
    }
    let matched = target.select(ids, |i| &objects[i].value);
    if let Some(expect) = p.expect.filter(|&n| n != matched.len()) {
        let mut d = Diagnostic::error(
            Code::Overlay,
            format!(
                "patch target {target} matches {} object(s), expected {expect}",
                matched.len(),
            ),
        )
        .with_origin(Some(p.origin.clone()));
        d = if matched.is_empty() {
            let closest = target.closest(ids, 3);
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
    // One more per object: patching an object costs something whatever the patch writes.
    let cost = (patcher.cost() + 1).saturating_mul(matched.len());
    if cost > *budget {
        return Err(Box::new(
            fail(format!(
                "the overlays' patches write more than {} nodes into the objects in all; this one writes up to {cost}",
                guard::MAX_PATCH_NODES
            ))
            .with_help("patch fewer objects, or with a smaller body"),
        ));
    }
    *budget -= cost;
    // Sets, not lists: a patch that deletes or renames thousands of objects searched a list per
    // object (#17).
    let mut deleted = std::collections::BTreeSet::new();
    let mut renamed: Vec<(usize, ObjectId)> = Vec::new();
    for &i in &matched {
        match patcher.apply(&mut objects[i].value) {
            Ok(patch::Effect::Keep) => {}
            Ok(patch::Effect::Delete) => {
                deleted.insert(i);
                continue;
            }
            Err(e) => {
                let d = fail(format!("cannot apply the patch to {}: {e}", ids[i]));
                return Err(Box::new(d.with_help(p.kind.apply_hint())));
            }
        }
        let id = ObjectId::of(&objects[i].value);
        if id.kind.is_empty() || id.name.is_empty() {
            return Err(fail(format!(
                "the patch leaves {} without kind or metadata.name",
                ids[i]
            )));
        }
        if id != ids[i] {
            renamed.push((i, id));
        }
    }
    if !renamed.is_empty() {
        let renamed_at: HashSet<usize> = renamed.iter().map(|(i, _)| *i).collect();
        let mut after: HashMap<&ObjectId, usize> = HashMap::new();
        for (j, id) in ids.iter().enumerate() {
            if !deleted.contains(&j) && !renamed_at.contains(&j) {
                *after.entry(id).or_default() += 1;
            }
        }
        for (_, id) in &renamed {
            *after.entry(id).or_default() += 1;
        }
        if let Some((i, id)) = renamed.iter().find(|(_, id)| after[id] > 1) {
            return Err(Box::new(
                fail(format!(
                    "the patch turns {} into {id}, which the deployment already has",
                    ids[*i]
                ))
                .with_help("two objects with one identity would overwrite each other when applied; pick another name, or delete one of them with a strategic `$patch: delete`"),
            ));
        }
    }
    for (i, id) in renamed {
        ids[i] = id;
    }
    let changed = matched
        .iter()
        .filter(|i| !deleted.contains(i))
        .map(|&i| ids[i].clone())
        .collect();
    if !deleted.is_empty() {
        let mut index = 0;
        objects.retain(|_| {
            index += 1;
            !deleted.contains(&(index - 1))
        });
        let mut index = 0;
        ids.retain(|_| {
            index += 1;
            !deleted.contains(&(index - 1))
        });
    }
    Ok(changed)
}
