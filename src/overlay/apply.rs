//! Applying loaded overlays to the rendered objects, in order: each overlay's checks over the
//! values, then its resources (extra objects from templates), then its patches (which may target
//! those resources). Takes the [`Rendered`] objects (with the context their templates saw, which
//! resource templates see too), the overlays and the validated values; returns [`Patched`]
//! objects or every failure. Fails only for reasons that need the objects
//! or the values; everything else was checked when the overlays were loaded.

use std::borrow::Cow;

use minijinja::Environment;
use serde_json::Value;

use super::strings::{render_strings, string_context, string_environment};
use super::{patch, Overlay, Patch, Patched, Resource};
use crate::diagnostics::{Code, Diagnostic, Origin};
use crate::manifest::ObjectId;
use crate::render::{Object, Rendered};
use crate::values::Validated;

/// Apply the overlays, in order, to the rendered objects: each adds its resources, then applies
/// its patches (which may target those resources). Every failure is reported.
pub fn apply(
    rendered: Rendered,
    overlays: &[Overlay],
    values: &Validated,
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
                        if objects.iter().any(|o| ObjectId::of(&o.value) == id) {
                            errors.push(
                                Diagnostic::error(
                                    Code::Overlay,
                                    format!("{} adds {id}, which the deployment already has", r.name),
                                )
                                .with_help("change an existing object with a patch instead of adding it again"),
                            );
                        } else {
                            objects.push(Object {
                                value: obj,
                                template: Cow::Owned(r.name.clone()),
                            });
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
            if let Err(d) = apply_patch(&mut objects, p, &env, &patch_ctx) {
                errors.push(*d);
            }
        }
    }
    if errors.is_empty() {
        Ok(Patched { objects })
    } else {
        Err(errors)
    }
}

fn render_resource(r: &Resource, ctx: &minijinja::Value) -> Result<Vec<Value>, Box<Diagnostic>> {
    let mut env = crate::templates::rules();
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
        .and_then(|t| t.render(ctx))
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

fn apply_patch(
    objects: &mut Vec<Object>,
    p: &Patch,
    env: &Environment<'_>,
    ctx: &minijinja::Value,
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
    let ids: Vec<ObjectId> = objects.iter().map(|o| ObjectId::of(&o.value)).collect();
    let matched: Vec<usize> = (0..objects.len())
        .filter(|&i| target.matches(&ids[i], &objects[i].value))
        .collect();
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
        match patcher.apply(&mut objects[i].value) {
            Ok(patch::Effect::Keep) => {}
            Ok(patch::Effect::Delete) => deleted.push(i),
            Err(e) => {
                let d = fail(format!("cannot apply the patch to {}: {e}", ids[i]));
                return Err(Box::new(d.with_help(p.kind.apply_hint())));
            }
        }
        let id = ObjectId::of(&objects[i].value);
        if !deleted.contains(&i) && (id.kind.is_empty() || id.name.is_empty()) {
            return Err(fail(format!(
                "the patch leaves {} without kind or metadata.name",
                ids[i]
            )));
        }
    }
    for &i in &matched {
        let id = ObjectId::of(&objects[i].value);
        let clash = (0..objects.len())
            .any(|j| j != i && !deleted.contains(&j) && ObjectId::of(&objects[j].value) == id);
        if id != ids[i] && !deleted.contains(&i) && clash {
            return Err(Box::new(
                fail(format!(
                    "the patch turns {} into {id}, which the deployment already has",
                    ids[i]
                ))
                .with_help("two objects with one identity would overwrite each other when applied; pick another name, or delete one of them with a strategic `$patch: delete`"),
            ));
        }
    }
    for i in deleted.into_iter().rev() {
        objects.remove(i);
    }
    Ok(())
}
