//! The bundled Grafana's values (`grafana.*`, the grafana subchart 9.2.2 plus the chart's own
//! Grafana keys): the subchart's object name, and the rules that keep a Grafana values file from
//! rendering something other than what Helm renders, or Grafana from being open to anyone.
//!
//! Takes the typed [`Values`]; returns names and diagnostics. It never renders anything (that is
//! `render::grafana`). Keys of the subchart that skygen does not render are refused by the
//! unknown-key check (`validate.rs`), since the model lists only the supported ones. See: #14.

use serde_json::Value;

use super::merge::Origins;
use super::model::Values;
use super::resolve::Release;
use super::rules::non_empty;
use crate::diagnostics::{quote, Code, Diagnostic};

/// The subchart's name: its objects are `<release>-grafana` unless the release name contains it.
pub const CHART_NAME: &str = "grafana";

/// Helm's `trunc 63 | trimSuffix "-"`.
fn dns_label(name: &str) -> String {
    let cut: String = name.chars().take(63).collect();
    cut.strip_suffix('-').map(str::to_owned).unwrap_or(cut)
}

/// The name of the subchart's objects (its `grafana.fullname`): `grafana.fullnameOverride`, else
/// the release name if it contains `grafana`, else `<release>-grafana`.
pub fn fullname(v: &Values, release: &Release) -> String {
    if let Some(o) = non_empty(&v.grafana.fullname_override) {
        return dns_label(o);
    }
    if release.name.contains(CHART_NAME) {
        dns_label(&release.name)
    } else {
        dns_label(&format!("{}-{CHART_NAME}", release.name))
    }
}

fn error(origins: &Origins, pointer: &str, message: String, help: &str) -> Diagnostic {
    Diagnostic::error(Code::Rule, message)
        .with_key(super::validate_dotted(pointer))
        .with_origin(origins.of(pointer).cloned())
        .with_help(help)
}

/// Run the Grafana rules (only with `grafana.enabled`).
pub fn check(v: &Values, origins: &Origins) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if v.grafana.enabled {
        ini_values(v, origins, &mut out);
        authed_ingress_needs_nginx(v, origins, &mut out);
    }
    out
}

/// # What it checks
/// Every entry of `grafana.grafana.ini` is a plain value (text, number, boolean, list or null)
/// at the top level or inside a section, and no text holds `{{`.
/// # Why
/// The subchart writes each entry as `key = value`: a map inside a section comes out as Go's
/// `map[…]` text, and Helm evaluates `{{ … }}` in the text as a template, which skygen does not.
/// # Example
/// `--set grafana.grafana\.ini.server.root_url='{{ .Values.x }}'`
/// # Fix
/// Write the final text; one level of sections (`[auth.proxy]` is the key `auth.proxy`).
fn ini_values(v: &Values, origins: &Origins, out: &mut Vec<Diagnostic>) {
    let check = |pointer: String, value: &Value, out: &mut Vec<Diagnostic>| match value {
        Value::Object(_) => out.push(error(
            origins,
            &pointer,
            "grafana.ini has sections one level deep: this map would be written as Go's map text".into(),
            "write the section's keys directly under it; a dotted section name is one key (`auth.proxy`)",
        )),
        Value::String(s) if s.contains("{{") => out.push(error(
            origins,
            &pointer,
            format!("{} is a Helm template; skygen writes grafana.ini values as they are", quote(s)),
            "write the text the template would produce",
        )),
        _ => {}
    };
    for (key, value) in &v.grafana.ini {
        let at = format!("/grafana/grafana.ini/{}", crate::yaml::escape_pointer(key));
        match value {
            Value::Object(section) => {
                for (k, val) in section {
                    check(
                        format!("{at}/{}", crate::yaml::escape_pointer(k)),
                        val,
                        out,
                    );
                }
            }
            other => check(at, other, out),
        }
    }
}

/// # What it checks
/// The chart's Grafana Ingress (`grafana.ingress.enableAuthedIngress`, not with
/// `ingress.unified`) goes to a class whose controller reads ingress-nginx's annotations:
/// `nginx`, the bundled controller's class, or (with `ingress.nginxCompatible=true`) any class.
/// skygen's own rule, as for the main Ingress (#10).
/// # Why
/// That Ingress carries its auth (basic auth or oauth2-proxy) and the `X-WEBAUTH-USER: admin`
/// header as nginx annotations, and Grafana trusts that header (`auth.proxy`). Another
/// controller ignores them: Grafana would be open, and anyone sending the header is its admin.
/// # Example
/// `--set grafana.enabled=true --set grafana.ingress.ingressClassName=traefik`
/// # Fix
/// Use an ingress-nginx class, turn the Ingress off (`grafana.ingress.enableAuthedIngress=false`)
/// and reach Grafana with `kubectl port-forward`, or declare the class ingress-nginx with
/// `ingress.nginxCompatible=true`.
fn authed_ingress_needs_nginx(v: &Values, origins: &Origins, out: &mut Vec<Diagnostic>) {
    let g = &v.grafana.ingress;
    if !g.enable_authed_ingress || v.ingress.unified {
        return;
    }
    let class = non_empty(&g.ingress_class_name);
    if super::auth::class_is_nginx(v, class) {
        return;
    }
    let named = match class {
        Some(c) => format!("class {}", quote(c)),
        None => "cluster's default class".to_owned(),
    };
    out.push(error(
        origins,
        "/grafana/ingress/ingressClassName",
        format!("the Grafana Ingress keeps its auth and the X-WEBAUTH-USER header in ingress-nginx annotations, which the {named} may ignore: Grafana would be open to anyone, as admin"),
        "use an ingress-nginx class, or grafana.ingress.enableAuthedIngress=false (then kubectl port-forward), or ingress.nginxCompatible=true if that class is ingress-nginx",
    ));
}

/// The warning of a render whose Grafana admin Secret is the user's to create: neither
/// `grafana.adminPassword` nor `grafana.admin.existingSecret` is set. Helm would put a random
/// password in the manifest; skygen never invents one (docs/helm-compat.md).
pub fn admin_secret_warning(v: &Values, release: &Release) -> Option<Diagnostic> {
    let g = &v.grafana;
    if !g.enabled
        || non_empty(&g.admin_password).is_some()
        || non_empty(&g.admin.existing_secret).is_some()
    {
        return None;
    }
    let name = fullname(v, release);
    let user = non_empty(&g.admin_user).unwrap_or("admin");
    Some(
        Diagnostic::warning(
            Code::Rule,
            format!("the Grafana Deployment reads its admin user and password from the Secret {name}, which skygen does not render (a Helm release already has it)"),
        )
        .with_key("grafana.adminPassword")
        .with_help(format!(
            "on a fresh install create it first: kubectl create secret generic {name} -n {} --from-literal=admin-user={user} --from-literal=admin-password=\"$(openssl rand -base64 30)\"",
            release.namespace
        ))
        .with_help("or set grafana.admin.existingSecret to a Secret you manage, or grafana.adminPassword (then it is in the manifests)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(f: impl FnOnce(&mut Values)) -> Values {
        let mut v = Values::default();
        f(&mut v);
        v
    }

    #[test]
    fn fullname_follows_the_subchart() {
        let release = |name: &str| Release {
            name: name.into(),
            ..Release::default()
        };
        let v = Values::default();
        assert_eq!(fullname(&v, &release("skypilot")), "skypilot-grafana");
        assert_eq!(fullname(&v, &release("my-grafana")), "my-grafana");
        let over = values(|v| v.grafana.fullname_override = Some("g".into()));
        assert_eq!(fullname(&over, &release("skypilot")), "g");
    }
}
