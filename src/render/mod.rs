//! Stage 3: render. Turns [`Validated`] values into Kubernetes objects.
//!
//! Templates (`templates/`, embedded in the binary) are minijinja. In `.yaml` templates every
//! `{{ … }}` is written as JSON, which is always a correctly quoted YAML flow node, so a value
//! can never change the structure around it; `.sh` templates shell-quote every value. Each
//! rendered template is parsed at once and a parse failure names the template and line. What
//! leaves this stage is data ([`Object`]s), never text.

mod auth;
mod context;
mod ingress_nginx;
pub mod shell;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde_json::Value;

use crate::diagnostics::{Code, Diagnostic, Origin};
use crate::values::Validated;

pub use auth::derived_cookie_secret;
pub use context::names;

/// The release being rendered: what Helm takes from the command line and the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release {
    pub name: String,
    pub namespace: String,
    /// `major.minor` of the target cluster.
    pub kube_version: (u32, u32),
}

/// Longest name prefix (release name or `fullnameOverride`) whose derived names all fit.
pub const MAX_FULLNAME: usize = 63 - "-api-service".len();

/// One rendered Kubernetes object, with the template it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    pub value: Value,
    pub template: &'static str,
}

/// Every template, by name. `.yaml` templates produce objects; `.sh` templates produce scripts
/// that the object templates embed.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "skypilot/api-start.sh",
        include_str!("../../templates/skypilot/api-start.sh"),
    ),
    (
        "skypilot/logrotate.sh",
        include_str!("../../templates/skypilot/logrotate.sh"),
    ),
    (
        "skypilot/aws-init.sh",
        include_str!("../../templates/skypilot/aws-init.sh"),
    ),
    (
        "skypilot/gcp-init.sh",
        include_str!("../../templates/skypilot/gcp-init.sh"),
    ),
    (
        "skypilot/runpod-init.sh",
        include_str!("../../templates/skypilot/runpod-init.sh"),
    ),
    (
        "skypilot/lambda-init.sh",
        include_str!("../../templates/skypilot/lambda-init.sh"),
    ),
    (
        "skypilot/r2-init.sh",
        include_str!("../../templates/skypilot/r2-init.sh"),
    ),
    (
        "skypilot/coreweave-init.sh",
        include_str!("../../templates/skypilot/coreweave-init.sh"),
    ),
    (
        "skypilot/digitalocean-init.sh",
        include_str!("../../templates/skypilot/digitalocean-init.sh"),
    ),
    (
        "skypilot/vast-init.sh",
        include_str!("../../templates/skypilot/vast-init.sh"),
    ),
    (
        "skypilot/namespaces.yaml",
        include_str!("../../templates/skypilot/namespaces.yaml"),
    ),
    (
        "skypilot/rbac.yaml",
        include_str!("../../templates/skypilot/rbac.yaml"),
    ),
    (
        "skypilot/system-rbac.yaml",
        include_str!("../../templates/skypilot/system-rbac.yaml"),
    ),
    (
        "skypilot/secrets.yaml",
        include_str!("../../templates/skypilot/secrets.yaml"),
    ),
    (
        "skypilot/configmaps.yaml",
        include_str!("../../templates/skypilot/configmaps.yaml"),
    ),
    (
        "skypilot/pvc.yaml",
        include_str!("../../templates/skypilot/pvc.yaml"),
    ),
    (
        "skypilot/api-service.yaml",
        include_str!("../../templates/skypilot/api-service.yaml"),
    ),
    (
        "skypilot/api-deployment.yaml",
        include_str!("../../templates/skypilot/api-deployment.yaml"),
    ),
    (
        "skypilot/ingress.yaml",
        include_str!("../../templates/skypilot/ingress.yaml"),
    ),
    (
        "skypilot/server-config.yaml",
        include_str!("../../templates/skypilot/server-config.yaml"),
    ),
    (
        "skypilot/initial-basic-auth.yaml",
        include_str!("../../templates/skypilot/initial-basic-auth.yaml"),
    ),
    (
        "skypilot/oauth2-proxy.yaml",
        include_str!("../../templates/skypilot/oauth2-proxy.yaml"),
    ),
    (
        "skypilot/oauth2-proxy-redis.yaml",
        include_str!("../../templates/skypilot/oauth2-proxy-redis.yaml"),
    ),
    (
        "skypilot/oauth2-proxy-ingress.yaml",
        include_str!("../../templates/skypilot/oauth2-proxy-ingress.yaml"),
    ),
    (
        "ingress-nginx/controller.yaml",
        include_str!("../../templates/ingress-nginx/controller.yaml"),
    ),
    (
        "ingress-nginx/rbac.yaml",
        include_str!("../../templates/ingress-nginx/rbac.yaml"),
    ),
    (
        "ingress-nginx/admission.yaml",
        include_str!("../../templates/ingress-nginx/admission.yaml"),
    ),
    (
        "ingress-nginx/legacy-nodeport.yaml",
        include_str!("../../templates/ingress-nginx/legacy-nodeport.yaml"),
    ),
];

fn environment() -> Environment<'static> {
    let mut env = template_environment();
    for (name, source) in TEMPLATES {
        env.add_template(name, source).unwrap_or_else(|e| {
            panic!("template {name} does not compile ({e}); this is a skygen bug")
        });
    }
    env
}

/// An environment with the template rules of `templates/` (strict undefined, JSON-escaped
/// `.yaml`, shell-quoted `.sh`) and no templates; overlays add their resources to it.
pub fn template_environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
        .expect("static syntax config; this is a skygen bug");
    env.set_syntax(syntax);
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".sh") {
            AutoEscape::Custom("shell".into())
        } else if name.ends_with(".yaml") {
            AutoEscape::Json
        } else {
            AutoEscape::None
        }
    });
    env.set_formatter(|out, state, value| {
        if let AutoEscape::Custom(kind) = state.auto_escape() {
            if kind == "shell" {
                if value.is_safe() {
                    return out
                        .write_str(value.as_str().unwrap_or_default())
                        .map_err(Into::into);
                }
                let text = match value.as_str() {
                    Some(s) => s.to_owned(),
                    None => value.to_string(),
                };
                return out.write_str(&shell::quote(&text)).map_err(Into::into);
            }
        }
        if matches!(state.auto_escape(), AutoEscape::Json) && !value.is_safe() {
            // minijinja writes JSON, which may carry DEL, C1 controls or U+FFFE raw; YAML
            // cannot (issue 17). Written as serde_json does, then those escaped.
            let json = serde_json::to_string(value).map_err(|e| {
                minijinja::Error::new(
                    minijinja::ErrorKind::BadSerialization,
                    format!("cannot write the value as JSON: {e}"),
                )
            })?;
            return out
                .write_str(&crate::yaml::escape_json_for_yaml(&json))
                .map_err(Into::into);
        }
        minijinja::escape_formatter(out, state, value)
    });
    env
}

/// What the templates of `templates/` see (`names`, `release`, `v`, `api`, …), for overlay
/// resources, which follow the same rules.
pub fn template_context(values: &Validated, release: &Release) -> Value {
    context::build(values.values(), release)
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

/// Render every object of the deployment.
pub fn render(values: &Validated, release: &Release) -> Result<Vec<Object>, Vec<Diagnostic>> {
    // Service names are DNS labels (≤ 63 characters) and the longest the chart derives is
    // `<fullname>-api-service`.
    let fullname = context::fullname(values.values(), release);
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
    let env = environment();
    let mut ctx = context::build(values.values(), release);
    let mut errors = Vec::new();

    // Scripts first: object templates embed them as strings.
    let mut scripts = serde_json::Map::new();
    for (name, _) in TEMPLATES.iter().filter(|(n, _)| n.ends_with(".sh")) {
        let key = name
            .trim_start_matches("skypilot/")
            .trim_end_matches(".sh")
            .replace('-', "_");
        let tmpl = env.get_template(name).expect("registered above");
        match tmpl.render(minijinja::value::Serde(&ctx)) {
            Ok(text) => {
                scripts.insert(key, Value::String(text));
            }
            Err(e) => errors.push(template_error(name, e)),
        }
    }
    ctx["scripts"] = Value::Object(scripts);
    let mut objects = Vec::new();
    for (name, _) in TEMPLATES.iter().filter(|(n, _)| n.ends_with(".yaml")) {
        let tmpl = env.get_template(name).expect("registered above");
        let text = match tmpl.render(minijinja::value::Serde(&ctx)) {
            Ok(t) => t,
            Err(e) => {
                errors.push(template_error(name, e));
                continue;
            }
        };
        match crate::yaml::read_stream(&text) {
            Ok(docs) => {
                for doc in docs {
                    match doc.value {
                        Value::Null => {}
                        Value::Object(_) => objects.push(Object {
                            value: doc.value,
                            template: name,
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
    if errors.is_empty() {
        Ok(objects)
    } else {
        Err(errors)
    }
}
