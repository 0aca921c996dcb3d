//! The bundled Grafana's values (`grafana.*`, the grafana subchart 9.2.2 plus the chart's own
//! Grafana keys): the subchart's object name, and the rules that keep a Grafana values file from
//! rendering something other than what Helm renders, or Grafana from being open to anyone.
//!
//! Takes the typed [`Values`]; returns names and diagnostics. It never renders anything (that is
//! `render::grafana`). Keys of the subchart that skygen does not render are refused by the
//! unknown-key check (`validate.rs`), since the model lists only the supported ones. See: #14.

use serde_json::Value;

use super::edge::error;
use super::merge::Origins;
use super::model::{ServiceType, Values};
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

/// Run the Grafana rules (only with `grafana.enabled`).
pub fn check(v: &Values, origins: &Origins) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if v.grafana.enabled {
        ini_values(v, origins, &mut out);
        if let Some(size) = non_empty(&v.grafana.persistence.size) {
            // The PVC's size is not a value kubecheck can trace back to this key.
            if let Err(e) = super::quantity::parse(size) {
                out.push(super::rules::rule(origins, "/grafana/persistence/size", e));
            }
        }
        authed_ingress_needs_nginx(v, origins, &mut out);
        proxy_auth_behind_auth(v, origins, &mut out);
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
    let check = |pointer: String, value: &Value, out: &mut Vec<Diagnostic>| {
        match value {
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
    }
    };
    for (key, value) in &v.grafana.ini {
        let at = format!("/grafana/grafana.ini/{}", crate::yaml::escape_pointer(key));
        match value {
            Value::Object(section) => {
                for (k, val) in section {
                    check(format!("{at}/{}", crate::yaml::escape_pointer(k)), val, out);
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

/// `grafana.ini` `[auth.proxy] enabled`: Grafana takes the user from a request header.
fn proxy_auth_on(v: &Values) -> bool {
    let enabled = v
        .grafana
        .ini
        .get("auth.proxy")
        .and_then(|s| s.get("enabled"));
    matches!(enabled, Some(Value::Bool(true)))
        || matches!(enabled, Some(Value::String(s)) if s == "true")
}

/// # What it checks
/// With `grafana.ini` `auth.proxy.enabled` (the chart's default), Grafana is reachable only
/// through an Ingress that checks the user: not through the subchart's own Ingress
/// (`grafana.ingress.enabled`), a `LoadBalancer` or `NodePort` Service, or the unified Ingress
/// (`ingress.unified`) without ingress basic auth or the legacy ingress OAuth. skygen's own rule.
/// # Why
/// Proxy auth makes Grafana trust the `X-WEBAUTH-USER` header as the logged-in user. Only the
/// authenticated Ingress sets it after checking who the user is; through any other way in,
/// anyone can send `X-WEBAUTH-USER: admin` and is Grafana's admin. Helm renders this silently.
/// # Example
/// `--set grafana.enabled=true --set grafana.service.type=LoadBalancer`
/// # Fix
/// Keep Grafana behind the authenticated Ingress, or turn proxy auth off and give Grafana its
/// own login: `grafana.ini` `auth.proxy.enabled: false`, `auth.disable_login_form: false`.
fn proxy_auth_behind_auth(v: &Values, origins: &Origins, out: &mut Vec<Diagnostic>) {
    if !proxy_auth_on(v) {
        return;
    }
    let g = &v.grafana;
    let own_login = "or set grafana.ini auth.proxy.enabled=false and auth.disable_login_form=false to use Grafana's own login";
    let mut refuse = |pointer: &str, what: &str, fix: &str| {
        out.push(error(
            origins,
            pointer,
            format!("{what} lets anyone reach Grafana, which trusts the X-WEBAUTH-USER header (grafana.ini auth.proxy.enabled): anyone sending `X-WEBAUTH-USER: admin` would be its admin"),
            &format!("{fix}; {own_login}"),
        ))
    };
    let through_chart = "reach Grafana through the chart's authenticated Ingress (grafana.ingress.enableAuthedIngress)";
    if g.ingress.enabled {
        refuse(
            "/grafana/ingress/enabled",
            "the subchart's Grafana Ingress (no auth)",
            through_chart,
        );
    }
    if let Some(t @ (ServiceType::LoadBalancer | ServiceType::NodePort)) = g.service.service_type {
        refuse(
            "/grafana/service/type",
            &format!("a {t:?} Service"),
            through_chart,
        );
    }
    // The unified Ingress does not set the header, and without nginx auth of its own it does
    // not check the user either: the API server's own auth does not cover /grafana.
    if v.ingress.unified && v.ingress.enabled && super::auth::annotation_auth_keys(v).is_empty() {
        refuse(
            "/ingress/unified",
            "/grafana on the unified Ingress, which has no nginx auth of its own,",
            "give the Ingress nginx auth (ingress.authCredentials or ingress.authSecret without apiService.enableUserManagement, or the legacy ingress.oauth2-proxy), or set ingress.unified=false to use the chart's Grafana Ingress",
        );
    }
}

/// A warning: the chart's Grafana Ingress asks nginx for basic auth with a Secret this render
/// does not create (no OAuth, no `ingress.authSecret`, and `ingress.authCredentials` unset or
/// handled by the API server). Helm does the same; nginx then refuses every request.
fn authed_ingress_secret(v: &Values, release: &Release) -> Option<Diagnostic> {
    let g = &v.grafana.ingress;
    if !v.grafana.enabled
        || !g.enable_authed_ingress
        || v.ingress.unified
        || super::auth::proxy(v).is_some()
        || non_empty(&v.ingress.auth_secret).is_some()
    {
        return None;
    }
    let created =
        super::auth::ingress_basic_auth(v) && !super::auth::suppresses_ingress_basic_auth(v);
    let secret = format!(
        "{}-basic-auth",
        super::resolve::fullname(v.fullname_override.as_deref(), release)
    );
    (!created).then(|| {
        Diagnostic::warning(
            Code::Rule,
            format!("the Grafana Ingress asks nginx for basic auth with the Secret {secret}, which this render does not create: nginx refuses every request to Grafana until it exists"),
        )
        .with_key("grafana.ingress.enableAuthedIngress")
        .with_help("set ingress.authSecret to an htpasswd Secret (key `auth`), or ingress.authCredentials; or set grafana.ingress.enableAuthedIngress=false and reach Grafana with kubectl port-forward")
    })
}

/// A warning: the chart's Ingress routes to `<fullname>-grafana`, but the subchart names its
/// Service otherwise (a chart `fullnameOverride`, or a release name containing `grafana`). Helm
/// renders the same dangling backend; the fix is the subchart's `fullnameOverride`.
fn backend_name(v: &Values, release: &Release) -> Option<Diagnostic> {
    let g = &v.grafana;
    let routed = g.ingress.enable_authed_ingress || (v.ingress.unified && v.ingress.enabled);
    let backend = format!(
        "{}-grafana",
        super::resolve::fullname(v.fullname_override.as_deref(), release)
    );
    let service = fullname(v, release);
    (g.enabled && routed && backend != service).then(|| {
        Diagnostic::warning(
            Code::Rule,
            format!("the chart's Grafana route points at the Service {backend}, but Grafana's Service is {service}: requests to Grafana would fail"),
        )
        .with_key("grafana.fullnameOverride")
        .with_help(format!("set grafana.fullnameOverride={backend}, as the chart's own tests do"))
    })
}

/// The warnings of a render with the bundled Grafana, which need the release's names.
pub fn warnings(v: &Values, release: &Release) -> Vec<Diagnostic> {
    [
        admin_secret_warning(v, release),
        authed_ingress_secret(v, release),
        backend_name(v, release),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The warning of a render whose Grafana admin Secret is the user's to create: neither
/// `grafana.adminPassword` nor `grafana.admin.existingSecret` is set. Helm would put a random
/// password in the manifest; skygen never invents one (docs/helm-compat.md).
fn admin_secret_warning(v: &Values, release: &Release) -> Option<Diagnostic> {
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
            "on a fresh install create it first: kubectl create secret generic {name} -n {} {} --from-literal=admin-password=\"$(openssl rand -base64 30)\"",
            release.namespace,
            crate::render::shell::quote(&format!("--from-literal=admin-user={user}")),
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
