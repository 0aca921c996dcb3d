//! Stage 3: render. Turns [`Validated`] values into [`Rendered`] Kubernetes objects, each with
//! the name of its template.
//!
//! Templates (`templates/`, embedded in the binary and compiled by [`crate::templates`] when
//! first used) are minijinja; they see the typed [`Context`] that `context` builds from the
//! validated values and their resolved model. A template whose guard (`{# when: … #}`) is false
//! is skipped; scripts are rendered when an object template reads them (`scripts`). In `.yaml`
//! templates every
//! `{{ … }}` is written as JSON, which is always a correctly quoted YAML flow node, so a value
//! can never change the structure around it; `.sh` templates shell-quote every value. Each
//! rendered template is parsed at once and a parse failure names the template and line. What
//! leaves this stage is data ([`Object`]s), never text.

mod auth;
mod context;
pub(crate) mod dashboards;
mod gateway;
mod grafana;
pub(crate) mod ingress_nginx;
mod monitoring;
mod prometheus;
mod scripts;
pub mod shell;

use std::borrow::Cow;

use serde_json::Value;

use crate::diagnostics::{Code, Diagnostic, Origin};
use crate::templates::{guard, is_part, template, TEMPLATES};
use crate::values::Validated;

pub use crate::values::Release;
pub use auth::derived_cookie_secret;
pub use context::Context;

/// Longest name prefix (release name or `fullnameOverride`) whose derived names all fit.
pub const MAX_FULLNAME: usize = 63 - "-api-service".len();

/// One Kubernetes object, with the template it came from (a path under `templates/`, or an
/// overlay's resource template).
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    pub value: Value,
    pub template: Cow<'static, str>,
}

/// What the render stage made: every object of the deployment, and the context the templates
/// saw, which an overlay's resource templates see too.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub objects: Vec<Object>,
    pub context: minijinja::Value,
}

fn template_error(name: &str, e: minijinja::Error) -> Diagnostic {
    let pos = e.line().map(|line| crate::yaml::Pos { line, col: 1 });
    Diagnostic::error(Code::Render, format!("template failed: {e}"))
        .with_origin(Some(Origin::Builtin {
            name: format!("templates/{name}"),
            pos,
        }))
        .with_help("this is a skygen bug unless a value above explains it; please report it")
}

/// The context the object templates see: `base` and `scripts`, in one map. (A merged context,
/// `context! { scripts => …, ..base }`, would search two maps at every variable a template
/// reads.)
fn with_scripts(
    base: &minijinja::Value,
    scripts: &std::sync::Arc<scripts::Scripts>,
) -> minijinja::Value {
    let keys = base
        .try_iter()
        .expect("the render context is a map; this is a skygen bug");
    minijinja::Value::from_pairs(
        keys.map(|key| {
            let value = base.get_item(&key).unwrap_or_default();
            (key, value)
        })
        .chain(std::iter::once((
            minijinja::Value::from("scripts"),
            minijinja::Value::from_dyn_object(scripts.clone()),
        ))),
    )
}

/// Render every object of the deployment.
pub fn render(values: &Validated) -> Result<Rendered, Vec<Diagnostic>> {
    // Service names are DNS labels (≤ 63 characters) and the longest the chart derives is
    // `<fullname>-api-service`.
    let fullname = &values.resolved().names.fullname;
    if fullname.len() > MAX_FULLNAME {
        return Err(vec![Diagnostic::error(
            Code::Rule,
            format!(
                "the name prefix `{fullname}` is {} characters; skygen derives Service names like `{fullname}-api-service`, which Kubernetes limits to 63",
                fullname.len()
            ),
        )
        .with_help(format!(
            "use a release name (or fullnameOverride) of at most {MAX_FULLNAME} characters"
        ))]);
    }
    // Converted to template values once, not once per template.
    let base = minijinja::Value::from(minijinja::value::Serde(context::build(values)));
    let mut errors = Vec::new();

    // Object templates embed scripts as strings; each is rendered when first read.
    let scripts = scripts::Scripts::new(base.clone());
    let ctx = with_scripts(&base, &scripts);
    let mut objects = Vec::new();
    for (name, _) in TEMPLATES
        .iter()
        .filter(|(n, _)| n.ends_with(".yaml") && !is_part(n))
    {
        if let Some(guard) = guard(name) {
            match guard.eval(&ctx) {
                Ok(on) if on.is_true() => {}
                Ok(_) => continue,
                Err(e) => {
                    errors.push(template_error(name, e));
                    continue;
                }
            }
        }
        let tmpl = template(name);
        let text = match tmpl.render(&ctx) {
            Ok(t) => t,
            Err(e) => {
                errors.push(template_error(name, e));
                continue;
            }
        };
        // Positions are never needed: a parse error carries its own.
        match crate::template_yaml::read_own(&text) {
            Ok(docs) => {
                for value in docs {
                    match value {
                        Value::Null => {}
                        Value::Object(_) => objects.push(Object {
                            value,
                            template: Cow::Borrowed(name),
                        }),
                        other => errors.push(Diagnostic::error(
                            Code::Render,
                            format!(
                                "templates/{name} produced {} instead of an object",
                                crate::values::kind_of(&other)
                            ),
                        )),
                    }
                }
            }
            Err(e) => errors.push(
                Diagnostic::error(
                    Code::Render,
                    format!("templates/{name} rendered invalid YAML: {}", e.kind),
                )
                .with_origin(Some(Origin::Builtin {
                    name: format!("templates/{name} (rendered)"),
                    pos: e.pos,
                }))
                .with_help("this is a skygen bug; please report it with the values used"),
            ),
        }
    }
    // A script's error before those of the templates that read it, as each is the cause.
    let mut script_errors = scripts.take_errors();
    if !script_errors.is_empty() {
        script_errors.append(&mut errors);
        errors = script_errors;
    }
    if errors.is_empty() {
        Ok(Rendered {
            objects,
            context: ctx,
        })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use crate::values::{set::SetFlag, Validated, ValueSource};

    fn validated(sets: &[&str]) -> Validated {
        let inputs = crate::inputs::Inputs {
            sources: sets
                .iter()
                .map(|s| ValueSource::Set(SetFlag::SetJson, (*s).to_owned()))
                .collect(),
            overlays: vec![],
            release: crate::values::Release::default(),
            allow_vulnerable_ingress_nginx: true,
            skypilot_version: None,
            lifecycle: Default::default(),
        };
        crate::load_values(&inputs, &mut std::io::empty())
            .unwrap_or_else(|e| panic!("{sets:?}: {e:?}"))
            .validated
    }

    /// The API server's Deployment as text, with `api.other_credentials` as computed or forced.
    fn deployment(validated: &Validated, other_credentials: Option<bool>) -> String {
        let mut facts = serde_json::to_value(super::context::build(validated)).unwrap();
        if let Some(on) = other_credentials {
            facts["api"]["other_credentials"] = on.into();
        }
        let base = minijinja::Value::from(minijinja::value::Serde(&facts));
        let ctx = super::with_scripts(&base, &super::scripts::Scripts::new(base.clone()));
        super::template("skypilot/api-deployment.yaml")
            .render(&ctx)
            .unwrap()
    }

    /// The Deployment includes its parts only when `api.other_credentials` is true (#11): for
    /// every value that one of them reads, alone, the fact is true, and the Deployment is the
    /// one that always including the parts gives. And each such value does change the
    /// Deployment, so this list names only what the parts read.
    #[test]
    fn other_credentials_covers_every_part() {
        let plain = deployment(&validated(&[]), None);
        assert_eq!(plain, deployment(&validated(&[]), Some(true)));
        for set in [
            r#"apiService.sshNodePools="lab:\n  user: ubuntu\n  hosts: [10.0.0.11]\n""#,
            r#"apiService.sshKeySecret="ssh-key""#,
            r#"slurmCredentials.config="clusters: {}""#,
            "kubernetesCredentials.useKubeconfig=true",
            "r2Credentials.enabled=true",
            "coreweaveCredentials.enabled=true",
            "runpodCredentials.enabled=true",
            "digitaloceanCredentials.enabled=true",
            "lambdaCredentials.enabled=true",
            "vastCredentials.enabled=true",
            "nebiusCredentials.enabled=true",
        ] {
            let v = validated(&[set]);
            let computed = deployment(&v, None);
            assert_eq!(computed, deployment(&v, Some(true)), "{set}");
            assert_ne!(computed, deployment(&v, Some(false)), "{set}");
        }
    }

    /// Every template of every golden case, and the defaults, are read by the fast reader
    /// (`template_yaml`), not left to the full YAML parser. Debug builds check each fast read
    /// against the full parser, so this also checks that they agree on all of them.
    #[test]
    fn every_rendered_template_takes_the_fast_reader() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cases");
        let mut cases: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".values.yaml"))
            .collect();
        cases.sort();
        let mut rendered = 0;
        for case in cases {
            let inputs = crate::inputs::Inputs {
                sources: vec![crate::values::ValueSource::File(
                    case.to_string_lossy().into_owned(),
                )],
                overlays: vec![],
                release: crate::values::Release {
                    name: "skypilot".into(),
                    namespace: "skypilot".into(),
                    kube_version: (1, 35),
                },
                allow_vulnerable_ingress_nginx: true,
                skypilot_version: None,
                lifecycle: Default::default(),
            };
            // Some cases need flags from their header (overlays); the others are enough.
            let Ok(loaded) = crate::load_values(&inputs, &mut std::io::empty()) else {
                continue;
            };
            crate::template_yaml::DECLINED.with(|d| d.borrow_mut().clear());
            super::render(&loaded.validated).unwrap();
            let declined = crate::template_yaml::DECLINED.with(|d| d.borrow().clone());
            assert!(
                declined.is_empty(),
                "{}: a template wrote YAML that src/template_yaml.rs leaves to the full parser \
                 (write every {{{{ … }}}} as JSON; no block scalars, single quotes, anchors, tags or \
                 multi-line flow); the texts: {declined:#?}",
                case.display()
            );
            rendered += 1;
        }
        assert!(rendered >= 20, "only {rendered} cases rendered");
    }
}
