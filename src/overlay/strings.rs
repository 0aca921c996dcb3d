//! Templated strings of an overlay (targets, patches, `config`): the release names they may use
//! (`{{ fullname }}`, `{{ api_server }}`, …), the strict environment they render in, and the
//! walk that renders every string of a value. Takes values and names; returns strings, never
//! YAML (a rendered string cannot change the structure around it).

use minijinja::{Environment, UndefinedBehavior};
use serde_json::Value;

use crate::values::resolve::{Names, NginxNames, Release};

/// The context of overlay strings (targets, patches, config): every release name at the top
/// (`fullname`, `api_server`, `service_account`, …) plus `release.name` and `release.namespace`;
/// targets and patches also get `ingress_nginx.*` (the bundled controller's names).
pub fn string_context(
    names: &Names,
    nginx: Option<&NginxNames>,
    release: &Release,
) -> minijinja::Value {
    let top = minijinja::Value::from(minijinja::value::Serde(names));
    let release = minijinja::context! { name => &release.name, namespace => &release.namespace };
    match nginx {
        Some(n) => {
            minijinja::context! { release, ingress_nginx => minijinja::Value::from(minijinja::value::Serde(n)), ..top }
        }
        None => minijinja::context! { release, ..top },
    }
}

/// Environment for templated strings: strict, no escaping (the result is a string, never YAML).
pub fn string_environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env
}

pub fn is_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains("{#")
}

/// Render every templated string of `v` (keys stay as written). A failure gives the pointer of
/// the string and the template error.
pub fn render_strings(
    env: &Environment<'_>,
    v: &Value,
    ctx: &minijinja::Value,
    at: &str,
) -> Result<Value, (String, String)> {
    Ok(match v {
        Value::String(s) if is_template(s) => Value::String(
            env.render_str(s, ctx)
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
                    let child = format!("{at}/{}", crate::pointer::escape(k));
                    Ok((k.clone(), render_strings(env, x, ctx, &child)?))
                })
                .collect::<Result<_, (String, String)>>()?,
        ),
        other => other.clone(),
    })
}
