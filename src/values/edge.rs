//! Where traffic enters the API server: the Gateway API mode (`gateway.*`) and an Ingress served
//! by a controller that is not ingress-nginx. Rules that keep either from serving the API
//! without auth or with a broken path, and the cut-over normalization.
//!
//! Takes the typed [`Values`]; [`check`] returns diagnostics, [`normalize`] turns the Gateway
//! mode into the one shape later stages read (`ingress.enabled` and `ingress-nginx.enabled` off
//! unless `gateway.keepIngress`). It never renders anything. See: #13.

use super::auth::ingress_class_is_nginx;
use super::merge::Origins;
use super::model::{GatewayImplementation, Values};
use super::rules::non_empty;
use crate::diagnostics::{quote, Code, Diagnostic};

/// The htpasswd line the upstream chart ships for `apiService.initialBasicAuthCredentials`
/// (user `skypilot`, a published password). Refused where it would be the only protection.
pub const PUBLISHED_DEFAULT_CREDENTIALS: &str = "skypilot:$apr1$c1h4rNxt$2NnL7dIDUV0tWsnuNMGSr/";

/// An error at `pointer`, where it was set, with one fix.
pub(super) fn error(origins: &Origins, pointer: &str, message: String, help: &str) -> Diagnostic {
    Diagnostic::error(Code::Rule, message)
        .with_key(super::validate_dotted(pointer))
        .with_origin(origins.of(pointer).cloned())
        .with_help(help)
}

/// Run every edge rule on the values as the user wrote them (before [`normalize`]).
pub fn check(v: &Values, origins: &Origins) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if v.gateway.enabled {
        gateway_parents(v, origins, &mut out);
        gateway_auth(v, origins, &mut out);
        gateway_path(v, origins, &mut out);
    }
    if ingress_rendered(v) && !ingress_class_is_nginx(v) {
        foreign_class(v, origins, &mut out);
    }
    out
}

/// The Ingress is rendered: `ingress.enabled`, and no Gateway replacing it.
pub fn ingress_rendered(v: &Values) -> bool {
    v.ingress.enabled && (!v.gateway.enabled || v.gateway.keep_ingress)
}

/// The Gateway replaces the Ingress and the bundled controller unless the user keeps both for
/// a cut-over: later stages then only see `ingress.enabled` / `ingress-nginx.enabled`.
pub fn normalize(v: &mut Values) {
    if v.gateway.enabled && !v.gateway.keep_ingress {
        v.ingress.enabled = false;
        v.ingress_nginx.enabled = false;
    }
}

/// # What it checks
/// `gateway.enabled` has at least one `gateway.parentRefs` entry, each with a `name`.
/// # Why
/// An HTTPRoute without a parent is attached to nothing: the API server would be unreachable.
/// # Fix
/// `--set-json 'gateway.parentRefs=[{"name":"shared","namespace":"gateways"}]'`
fn gateway_parents(v: &Values, origins: &Origins, out: &mut Vec<Diagnostic>) {
    let refs = &v.gateway.parent_refs;
    if refs.is_empty() {
        out.push(error(
            origins,
            "/gateway/enabled",
            "gateway.enabled needs gateway.parentRefs: the Gateway the route attaches to".into(),
            "e.g. --set-json 'gateway.parentRefs=[{\"name\":\"shared\",\"namespace\":\"gateways\"}]'",
        ));
    }
    for (i, r) in refs.iter().enumerate() {
        if r.get("name")
            .and_then(|n| n.as_str())
            .is_none_or(str::is_empty)
        {
            out.push(error(
                origins,
                &format!("/gateway/parentRefs/{i}"),
                "a parentRef needs the Gateway's name (a non-empty string `name`)".into(),
                "add name: <gateway name>, and namespace: when the Gateway is in another namespace",
            ));
        }
    }
}

/// Does the API server itself authenticate every request? In-server basic auth with its own
/// credentials (middleware on), or `auth.oauth`. Service-account tokens alone do not: a request
/// without a token passes, and without `server.yaml` the server then trusts a client-sent
/// identity header (see docs/edge.md).
pub fn server_authenticates(v: &Values) -> bool {
    let api = &v.api_service;
    let basic = super::auth::basic_auth_in_api_server(v)
        && v.auth.disable_basic_auth_middleware != Some(true)
        && (non_empty(&api.initial_basic_auth_secret).is_some()
            || non_empty(&api.initial_basic_auth_credentials)
                .is_some_and(|c| c.trim() != PUBLISHED_DEFAULT_CREDENTIALS));
    basic || v.auth.oauth.enabled
}

/// # What it checks
/// `gateway.enabled` needs auth inside the API server: `apiService.enableUserManagement` with
/// `initialBasicAuthCredentials` other than the chart's published default (or
/// `initialBasicAuthSecret`) and the basic-auth middleware on, or `auth.oauth.enabled`.
/// Ingress basic auth (`ingress.authCredentials`, `ingress.authSecret`) and the legacy
/// `ingress.oauth2-proxy` are refused with the Gateway: they are ingress-nginx annotations.
/// # Why
/// An HTTPRoute carries no auth. Without in-server auth the API is open, and the server even
/// takes the user's identity from a header any client can send (`auth.externalProxy` does the
/// same on purpose, so it is refused too).
/// # Fix
/// Move the htpasswd line: `apiService.enableUserManagement=true` and
/// `apiService.initialBasicAuthCredentials=<the same line>` (apr1, bcrypt, sha-crypt and
/// `{SHA}` hashes all work in the server); or `auth.oauth.enabled=true`.
fn gateway_auth(v: &Values, origins: &Origins, out: &mut Vec<Diagnostic>) {
    let ing = &v.ingress;
    let user_management = v.api_service.enable_user_management;
    let mut specific = false;
    for (key, pointer) in [
        ("ingress.authCredentials", "/ingress/authCredentials"),
        ("ingress.authSecret", "/ingress/authSecret"),
    ] {
        let set = match pointer {
            "/ingress/authCredentials" => non_empty(&ing.auth_credentials).is_some(),
            _ => non_empty(&ing.auth_secret).is_some(),
        };
        if set && !user_management {
            specific = true;
            out.push(error(
                origins,
                pointer,
                format!("{key} is basic auth in ingress-nginx annotations; the HTTPRoute of gateway.enabled has none, so the API would be open"),
                "let the API server check the same htpasswd line: set apiService.enableUserManagement=true and apiService.initialBasicAuthCredentials (or apiService.initialBasicAuthSecret, key `auth`) and remove this key; apr1, bcrypt and {SHA} hashes all work there",
            ));
        }
    }
    if ing.oauth2_proxy.enabled {
        specific = true;
        out.push(error(
            origins,
            "/ingress/oauth2-proxy/enabled",
            "the legacy ingress.oauth2-proxy works through ingress-nginx auth annotations, which an HTTPRoute does not have".into(),
            "use auth.oauth.enabled=true with the same oauth2-proxy settings: the API server then sends logins to the proxy itself",
        ));
    }
    if v.auth.external_proxy.enabled && !server_authenticates(v) {
        specific = true;
        out.push(error(
            origins,
            "/auth/externalProxy/enabled",
            "auth.externalProxy trusts the identity header of every request; through a plain HTTPRoute any client can send it".into(),
            "use auth.oauth.enabled=true or apiService.enableUserManagement=true instead",
        ));
    }
    if specific || server_authenticates(v) {
        return;
    }
    let (pointer, message) = if user_management
        && v.auth.disable_basic_auth_middleware == Some(true)
    {
        (
            "/auth/disableBasicAuthMiddleware",
            "gateway.enabled with auth.disableBasicAuthMiddleware: the API server would not check passwords, and nothing at the Gateway does".to_owned(),
        )
    } else if user_management
        && non_empty(&v.api_service.initial_basic_auth_secret).is_none()
        && non_empty(&v.api_service.initial_basic_auth_credentials).is_some()
    {
        (
            "/apiService/initialBasicAuthCredentials",
            "gateway.enabled with the chart's published default apiService.initialBasicAuthCredentials: anyone who read the chart can log in".to_owned(),
        )
    } else {
        (
            "/gateway/enabled",
            "gateway.enabled needs auth in the API server: an HTTPRoute has none, and without it the server trusts an identity header any client can send".to_owned(),
        )
    };
    out.push(error(
        origins,
        pointer,
        message,
        "set apiService.enableUserManagement=true with your own apiService.initialBasicAuthCredentials (htpasswd line) or initialBasicAuthSecret, or auth.oauth.enabled=true",
    ));
}

/// # What it checks
/// `implementation: gke` is used with `gateway.path: /`.
/// # Why
/// A non-root path needs the route to strip the prefix (a URLRewrite filter); GKE's Gateway
/// does not claim path rewrites in its conformance report.
/// # Fix
/// Give the API server a host of its own (`gateway.hostnames`) and keep `path: /`.
fn gateway_path(v: &Values, origins: &Origins, out: &mut Vec<Diagnostic>) {
    let g = &v.gateway;
    if g.implementation == GatewayImplementation::Gke && !root(&g.path) {
        out.push(error(
            origins,
            "/gateway/path",
            format!(
                "gateway.path {} needs a path rewrite, which GKE's Gateway does not support",
                quote(&g.path)
            ),
            "serve the API server on a host of its own (gateway.hostnames) with gateway.path=/",
        ));
    }
}

/// Is `path` the root (`/` or empty)?
pub fn root(path: &str) -> bool {
    path.is_empty() || path == "/"
}

/// # What it checks
/// An Ingress for a class that is not ingress-nginx (see `ingress.nginxCompatible`): a
/// non-root `ingress.path` is refused; otherwise a warning says which settings the class
/// ignores.
/// # Why
/// skygen writes a non-root path as an nginx regular expression plus a `rewrite-target`
/// annotation; other controllers match the text literally and never strip the prefix. The
/// nginx timeout and body-size annotations (1 h, 1000m) are ignored too, so log streams and
/// uploads stop at that controller's defaults (Traefik: 60 s read timeout).
/// # Fix
/// Serve the API server at `/` on a host of its own, or use `gateway.enabled` with
/// `gateway.path`; set the controller's timeouts as docs/edge.md shows.
fn foreign_class(v: &Values, origins: &Origins, out: &mut Vec<Diagnostic>) {
    let class = match non_empty(&v.ingress.ingress_class_name) {
        Some(c) => format!("class {}", quote(c)),
        None => "cluster's default class".to_owned(),
    };
    if !root(&v.ingress.path) {
        out.push(error(
            origins,
            "/ingress/path",
            format!(
                "ingress.path {} is written as an ingress-nginx regular expression with a rewrite annotation; the {class} would match it literally and pass the prefix on to the API server",
                quote(&v.ingress.path)
            ),
            "serve the API server at ingress.path=/ on a host of its own, or use gateway.enabled with gateway.path; or ingress.nginxCompatible=true if that class is ingress-nginx",
        ));
        return;
    }
    if !super::auth::annotation_auth_keys(v).is_empty() {
        return; // refused by the auth rules already (#10); one finding is enough
    }
    out.push(
        Diagnostic::warning(
            Code::Rule,
            format!("the {class} ignores the Ingress's nginx timeout and body-size annotations; raise its read/idle timeouts to 1h for log streams (docs/edge.md)"),
        )
        .with_key("ingress.ingressClassName"),
    );
}
