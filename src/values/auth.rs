//! Authentication: which of the chart's auth modes a set of values turns on, and the rules that
//! keep the modes apart.
//!
//! Takes the typed [`Values`]; returns facts ([`proxy`], [`ingress_oauth`], …) that the render
//! stage builds objects from, and [`check`]'s diagnostics (errors for the chart's `fail`s,
//! warnings for keys the chart silently ignores). It never renders anything.
//!
//! The two OAuth modes configure the same oauth2-proxy with the same keys under two prefixes:
//! `auth.oauth` (the API server talks to the proxy) and the legacy `ingress.oauth2-proxy` (nginx
//! asks the proxy before passing a request on). [`Proxy`] is one view of either, so rules and
//! templates are written once and messages name the keys of the mode in use. See: #6.

use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

use super::merge::Origins;
use super::model::{IngressOAuth2Proxy, OAuth, SessionStore, TextOrNumber, Values};
use super::rules::non_empty;
use crate::diagnostics::{quote, Code, Diagnostic};

/// The image oauth2-proxy runs when the values name none (the chart's default).
pub const DEFAULT_PROXY_IMAGE: &str = "quay.io/oauth2-proxy/oauth2-proxy:v7.9.0";
/// The image of the bundled redis when the values name none.
pub const DEFAULT_REDIS_IMAGE: &str = "redis:7-alpine";
/// Secret lengths oauth2-proxy accepts for its cookie cipher (AES-128, -192, -256).
pub const COOKIE_SECRET_LENGTHS: [usize; 3] = [16, 24, 32];

/// Which OAuth mode is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `auth.oauth.enabled`: the API server forwards logins to the proxy.
    Api,
    /// `ingress.oauth2-proxy.enabled` with `ingress.enabled`: nginx asks the proxy.
    Ingress,
}

/// The oauth2-proxy settings of the mode that is on, with empty strings read as unset.
#[derive(Clone, Debug)]
pub struct Proxy<'a> {
    pub mode: Mode,
    /// Dotted prefix of the mode's keys, for messages: `auth.oauth` or `ingress.oauth2-proxy`.
    pub prefix: &'static str,
    /// JSON pointer of the same, for origins.
    pub pointer: &'static str,
    pub image: Option<&'a str>,
    pub issuer_url: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub client_secret: Option<&'a str>,
    pub client_details_from_secret: Option<&'a str>,
    pub email_domain: Option<&'a str>,
    pub session_store: SessionStore,
    pub redis_url: Option<&'a str>,
    pub redis_secret: Option<&'a str>,
    pub redis_image: Option<&'a str>,
    pub cookie_refresh: Option<&'a TextOrNumber>,
    pub cookie_expire: Option<&'a TextOrNumber>,
    pub use_https: bool,
    pub cookie_secret: Option<&'a str>,
    pub cookie_secret_from_secret: Option<&'a str>,
}

impl Proxy<'_> {
    /// The dotted key of one setting of this mode (`auth.oauth.client-id`).
    pub fn key(&self, name: &str) -> String {
        format!("{}.{name}", self.prefix)
    }

    fn ptr(&self, name: &str) -> String {
        format!("{}/{name}", self.pointer)
    }

    /// Redis is the session store and no external redis is named: skygen runs one.
    pub fn bundled_redis(&self) -> bool {
        self.session_store == SessionStore::Redis
            && self.redis_url.is_none()
            && self.redis_secret.is_none()
    }
}

/// `auth.oauth` and `ingress.oauth2-proxy` are two structs with the same fields (serde's
/// `flatten` cannot share them under `deny_unknown_fields`); one expansion reads either.
macro_rules! proxy_view {
    ($o:expr, $mode:expr, $prefix:literal, $pointer:literal) => {{
        let o = $o;
        Proxy {
            mode: $mode,
            prefix: $prefix,
            pointer: $pointer,
            image: non_empty(&o.image),
            issuer_url: non_empty(&o.oidc_issuer_url),
            client_id: non_empty(&o.client_id),
            client_secret: non_empty(&o.client_secret),
            client_details_from_secret: non_empty(&o.client_details_from_secret),
            email_domain: non_empty(&o.email_domain),
            session_store: o.session_store_type,
            redis_url: non_empty(&o.redis_url),
            redis_secret: non_empty(&o.redis_secret),
            redis_image: non_empty(&o.redis_image),
            cookie_refresh: o.cookie_refresh.as_ref(),
            cookie_expire: o.cookie_expire.as_ref(),
            use_https: o.use_https,
            cookie_secret: non_empty(&o.cookie_secret),
            cookie_secret_from_secret: non_empty(&o.cookie_secret_from_secret),
        }
    }};
}

fn from_api(o: &OAuth) -> Proxy<'_> {
    proxy_view!(o, Mode::Api, "auth.oauth", "/auth/oauth")
}

fn from_ingress(o: &IngressOAuth2Proxy) -> Proxy<'_> {
    proxy_view!(
        o,
        Mode::Ingress,
        "ingress.oauth2-proxy",
        "/ingress/oauth2-proxy"
    )
}

/// The legacy ingress OAuth is on (it needs the Ingress it annotates).
pub fn ingress_oauth(v: &Values) -> bool {
    v.ingress.enabled && v.ingress.oauth2_proxy.enabled
}

/// nginx basic auth is configured on the Ingress.
pub fn ingress_basic_auth(v: &Values) -> bool {
    v.ingress.enabled
        && (non_empty(&v.ingress.auth_secret).is_some()
            || non_empty(&v.ingress.auth_credentials).is_some())
}

/// The oauth2-proxy to deploy, if any. `auth.oauth` wins (both at once is refused by [`check`]).
pub fn proxy(v: &Values) -> Option<Proxy<'_>> {
    if v.auth.oauth.enabled {
        Some(from_api(&v.auth.oauth))
    } else if ingress_oauth(v) {
        Some(from_ingress(&v.ingress.oauth2_proxy))
    } else {
        None
    }
}

/// The API server runs its own basic auth (`--enable-basic-auth`): `enableUserManagement`,
/// unless the legacy ingress OAuth is switched on. The chart reads the legacy switch alone here,
/// without `ingress.enabled`, and so does skygen.
pub fn basic_auth_in_api_server(v: &Values) -> bool {
    v.api_service.enable_user_management && !v.ingress.oauth2_proxy.enabled
}

/// The ingress basic-auth annotations and the `<fullname>-basic-auth` Secret are left out: the
/// server does the basic auth, or an OAuth mode replaces it.
pub fn suppresses_ingress_basic_auth(v: &Values) -> bool {
    v.api_service.enable_user_management || v.ingress.oauth2_proxy.enabled || v.auth.oauth.enabled
}

/// `auth.externalProxy` or the legacy ingress OAuth: both make the server trust an identity
/// header, configured in the ConfigMap `<fullname>-server-config`.
pub fn server_config_enabled(v: &Values) -> bool {
    v.auth.external_proxy.enabled || ingress_oauth(v)
}

/// URL-safe base64 read as Go's `RawURLEncoding` reads it: no padding, trailing bits ignored.
const GO_RAW_URL: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// Is `s` a cookie secret oauth2-proxy accepts? It first reads the text, with any `=` padding
/// cut off, as URL-safe base64 and uses the bytes if they have a cipher length; else it uses
/// the text's own bytes, which then must have that length.
pub fn valid_cookie_secret(s: &str) -> bool {
    let decoded = GO_RAW_URL.decode(s.trim_end_matches('='));
    if decoded.is_ok_and(|b| COOKIE_SECRET_LENGTHS.contains(&b.len())) {
        return true;
    }
    COOKIE_SECRET_LENGTHS.contains(&s.len())
}

struct Rules<'o> {
    origins: &'o Origins,
    out: Vec<Diagnostic>,
}

impl Rules<'_> {
    fn error(&mut self, pointer: &str, message: String, help: &str) {
        self.error_from(pointer, pointer, message, help);
    }

    /// An error about the key at `pointer`, located where the value at `origin` was set: a
    /// missing key has no place of its own, the switch that needs it has.
    fn error_from(&mut self, pointer: &str, origin: &str, message: String, help: &str) {
        self.out.push(
            Diagnostic::error(Code::Rule, message)
                .with_key(super::validate_dotted(pointer))
                .with_origin(self.origins.of(origin).cloned())
                .with_help(help),
        );
    }

    fn warning(&mut self, pointer: &str, message: String, help: &str) {
        self.out
            .push(super::rules::rule_warning(self.origins, pointer, &message).with_help(help));
    }
}

/// Run every auth rule and return all findings.
pub fn check(v: &Values, origins: &Origins) -> Vec<Diagnostic> {
    let mut r = Rules {
        origins,
        out: Vec::new(),
    };
    exclusive_modes(v, &mut r);
    if let Some(p) = proxy(v) {
        proxy_settings(&p, &mut r);
    }
    snippets_allowed(v, &mut r);
    ignored_keys(v, &mut r);
    annotation_auth_needs_nginx(v, &mut r);
    r.out
}

/// The auth keys whose auth skygen writes as ingress-nginx annotations on the Ingress, as JSON
/// pointers: ingress basic auth (unless the server or an OAuth mode replaces it) and the legacy
/// ingress OAuth (unless `auth.oauth` replaces it).
pub fn annotation_auth_keys(v: &Values) -> Vec<&'static str> {
    let mut keys = Vec::new();
    if ingress_oauth(v) && !v.auth.oauth.enabled {
        keys.push("/ingress/oauth2-proxy/enabled");
    } else if ingress_basic_auth(v) && !suppresses_ingress_basic_auth(v) {
        if non_empty(&v.ingress.auth_secret).is_some() {
            keys.push("/ingress/authSecret");
        }
        if non_empty(&v.ingress.auth_credentials).is_some() {
            keys.push("/ingress/authCredentials");
        }
    }
    keys
}

/// The Ingress goes to a controller that reads ingress-nginx's annotations: what
/// `ingress.nginxCompatible` says, else the class `nginx` (ingress-nginx's own default), the
/// bundled controller's class, or no class while the bundled class is the cluster default.
pub fn ingress_class_is_nginx(v: &Values) -> bool {
    if let Some(said) = v.ingress.nginx_compatible {
        return said;
    }
    known_nginx_class(v, non_empty(&v.ingress.ingress_class_name))
}

/// The same question for another Ingress of the release (the Grafana one, #14): the main
/// Ingress's answer for its class, else `ingress.nginxCompatible=true` vouches for any class,
/// else only `nginx` and the bundled controller's class.
pub fn class_is_nginx(v: &Values, class: Option<&str>) -> bool {
    if class == non_empty(&v.ingress.ingress_class_name) {
        return ingress_class_is_nginx(v);
    }
    v.ingress.nginx_compatible == Some(true) || known_nginx_class(v, class)
}

fn known_nginx_class(v: &Values, class: Option<&str>) -> bool {
    let bundled = &v.ingress_nginx.controller.ingress_class_resource;
    match class {
        Some("nginx") => true,
        Some(c) => v.ingress_nginx.enabled && c == bundled.name,
        None => v.ingress_nginx.enabled && bundled.default,
    }
}

/// # What it checks
/// Auth that lives in ingress-nginx annotations (`ingress.authCredentials`,
/// `ingress.authSecret`, the legacy `ingress.oauth2-proxy`) is only used with an Ingress class
/// whose controller reads them: `nginx`, the bundled controller's class, or a class declared
/// with `ingress.nginxCompatible=true`. skygen's own rule.
/// # Why
/// Traefik, HAProxy, cloud load balancers and other controllers ignore
/// `nginx.ingress.kubernetes.io/auth-*`: the API server would be served to anyone, silently.
/// See: #10.
/// # Example
/// `--set ingress-nginx.enabled=false --set ingress.ingressClassName=traefik
/// --set ingress.authCredentials=…`
/// # Fix
/// Let the API server do the basic auth: `apiService.enableUserManagement=true` with
/// `apiService.initialBasicAuthCredentials` (the same htpasswd line) or
/// `apiService.initialBasicAuthSecret`. Or, if the class's controller is an ingress-nginx, set
/// `ingress.nginxCompatible=true`.
fn annotation_auth_needs_nginx(v: &Values, r: &mut Rules<'_>) {
    if ingress_class_is_nginx(v) {
        return;
    }
    let class = match non_empty(&v.ingress.ingress_class_name) {
        Some(c) => format!("class {}", quote(c)),
        None => "cluster's default class".to_owned(),
    };
    for key in annotation_auth_keys(v) {
        let fix = if key == "/ingress/oauth2-proxy/enabled" {
            "use auth.oauth.enabled instead (no nginx annotations)".to_owned()
        } else {
            "set apiService.enableUserManagement=true and apiService.initialBasicAuthCredentials to the same htpasswd line".to_owned()
        };
        r.error_from(
            "/ingress/ingressClassName",
            key,
            format!(
                "{} relies on ingress-nginx annotations, which the {class} may ignore: the API server would be open to anyone",
                super::validate_dotted(key)
            ),
            &format!("{fix}; or ingress.nginxCompatible=true if that class is ingress-nginx"),
        );
    }
}

/// # What it checks
/// At most one way of logging users in: `auth.oauth` excludes ingress basic auth
/// (`ingress.authSecret` / `ingress.authCredentials`) and the legacy `ingress.oauth2-proxy`;
/// `auth.externalProxy` excludes both OAuth modes.
/// # Why
/// Each mode decides who the user is; two of them disagree, and the chart refuses them too.
/// # Example
/// `--set auth.oauth.enabled=true --set ingress.authCredentials=…`
/// # Fix
/// Keep one mode and turn the other off.
fn exclusive_modes(v: &Values, r: &mut Rules<'_>) {
    let oauth = v.auth.oauth.enabled;
    let external = v.auth.external_proxy.enabled;
    if oauth && ingress_basic_auth(v) {
        let basic = if non_empty(&v.ingress.auth_secret).is_some() {
            "ingress.authSecret"
        } else {
            "ingress.authCredentials"
        };
        r.error(
            "/auth/oauth/enabled",
            format!("auth.oauth.enabled cannot be combined with ingress basic auth ({basic} is set): both decide who the user is"),
            "set auth.oauth.enabled=false, or remove ingress.authSecret and ingress.authCredentials",
        );
    }
    if oauth && ingress_oauth(v) {
        r.error(
            "/auth/oauth/enabled",
            "auth.oauth.enabled and ingress.oauth2-proxy.enabled are two OAuth modes; only one can be on".into(),
            "keep auth.oauth (the newer mode) and set ingress.oauth2-proxy.enabled=false, or the reverse",
        );
    }
    if external && oauth {
        r.error(
            "/auth/externalProxy/enabled",
            "auth.externalProxy.enabled cannot be combined with auth.oauth.enabled: the external proxy and oauth2-proxy both decide who the user is".into(),
            "set auth.externalProxy.enabled=false or auth.oauth.enabled=false",
        );
    }
    if external && ingress_oauth(v) {
        r.error(
            "/auth/externalProxy/enabled",
            "auth.externalProxy.enabled cannot be combined with ingress.oauth2-proxy.enabled: the external proxy and oauth2-proxy both decide who the user is".into(),
            "set auth.externalProxy.enabled=false or ingress.oauth2-proxy.enabled=false",
        );
    }
}

/// # What it checks
/// The oauth2-proxy of the mode in use has an issuer URL, a client id and secret (unless
/// `client-details-from-secret` names a Secret with them), at most one of `redis-url` and
/// `redis-secret`, and at most one valid cookie secret source.
/// # Why
/// oauth2-proxy does not start without them. The chart's messages always name the
/// `ingress.oauth2-proxy.*` keys; skygen names the keys of the mode in use.
/// # Example
/// `--set auth.oauth.enabled=true` alone.
/// # Fix
/// Set the named key, or `client-details-from-secret` for the client id and secret.
fn proxy_settings(p: &Proxy<'_>, r: &mut Rules<'_>) {
    let enabled = match p.mode {
        Mode::Api => "auth.oauth.enabled",
        Mode::Ingress => "ingress.oauth2-proxy.enabled",
    };
    let switch = p.ptr("enabled");
    if p.issuer_url.is_none() {
        r.error_from(
            &p.ptr("oidc-issuer-url"),
            &switch,
            format!(
                "{} is required with {enabled}: oauth2-proxy needs the OIDC issuer",
                p.key("oidc-issuer-url")
            ),
            &format!(
                "set {} to your identity provider's issuer URL (e.g. https://example.okta.com/oauth2/default)",
                p.key("oidc-issuer-url")
            ),
        );
    }
    if p.client_details_from_secret.is_none() {
        for (name, have) in [
            ("client-id", p.client_id.is_some()),
            ("client-secret", p.client_secret.is_some()),
        ] {
            if !have {
                r.error_from(
                    &p.ptr(name),
                    &switch,
                    format!(
                        "{} is required with {enabled} when {} is not set",
                        p.key(name),
                        p.key("client-details-from-secret")
                    ),
                    &format!(
                        "set {}, or name a Secret with keys client-id and client-secret in {}",
                        p.key(name),
                        p.key("client-details-from-secret")
                    ),
                );
            }
        }
    }
    if p.redis_url.is_some() && p.redis_secret.is_some() {
        r.error(
            &p.ptr("redis-secret"),
            format!(
                "{} and {} both name the session redis; set only one",
                p.key("redis-url"),
                p.key("redis-secret")
            ),
            &format!(
                "remove {} (the URL in plain text) or {} (a Secret with key redis_url)",
                p.key("redis-url"),
                p.key("redis-secret")
            ),
        );
    }
    if p.cookie_secret.is_some() && p.cookie_secret_from_secret.is_some() {
        r.error(
            &p.ptr("cookie-secret-from-secret"),
            format!(
                "{} and {} both give the cookie secret; set only one",
                p.key("cookie-secret"),
                p.key("cookie-secret-from-secret")
            ),
            &format!(
                "prefer {} (the value stays out of the manifests)",
                p.key("cookie-secret-from-secret")
            ),
        );
    }
    if let Some(secret) = p.cookie_secret {
        if !valid_cookie_secret(secret) {
            r.error(
                &p.ptr("cookie-secret"),
                format!(
                    "{} must be 16, 24 or 32 bytes, or URL-safe base64 of that many bytes; it has {} characters",
                    p.key("cookie-secret"),
                    secret.chars().count()
                ),
                "generate one with: openssl rand -base64 32 | tr -- '+/' '-_'",
            );
        }
    }
}

/// # What it checks
/// The legacy ingress OAuth with the bundled ingress-nginx keeps
/// `ingress-nginx.controller.allowSnippetAnnotations` on.
/// # Why
/// The OAuth annotations include an `auth-snippet` (service-account tokens bypass the login);
/// without snippets the controller's admission webhook refuses the Ingress at apply time, after
/// part of the stream was applied. skygen's own rule.
/// # Fix
/// Set `ingress-nginx.controller.allowSnippetAnnotations=true`, or use `auth.oauth`.
fn snippets_allowed(v: &Values, r: &mut Rules<'_>) {
    if ingress_oauth(v)
        && !v.auth.oauth.enabled
        && v.ingress_nginx.enabled
        && !v.ingress_nginx.controller.allow_snippet_annotations
    {
        r.error(
            "/ingress-nginx/controller/allowSnippetAnnotations",
            "ingress.oauth2-proxy.enabled needs ingress-nginx.controller.allowSnippetAnnotations=true: its Ingress carries an auth-snippet that the controller otherwise refuses".into(),
            "set ingress-nginx.controller.allowSnippetAnnotations=true, or use auth.oauth.enabled (no snippets) instead of ingress.oauth2-proxy",
        );
    }
}

/// # What it checks
/// Auth keys the chart accepts but then ignores: `ingress.oauth2-proxy.enabled` without
/// `ingress.enabled`, and ingress basic auth under the legacy ingress OAuth.
/// # Why
/// The chart renders them silently without effect; a warning says so without refusing a values
/// file the chart accepts.
fn ignored_keys(v: &Values, r: &mut Rules<'_>) {
    if v.ingress.oauth2_proxy.enabled && !v.ingress.enabled && !v.auth.oauth.enabled {
        r.warning(
            "/ingress/oauth2-proxy/enabled",
            "ingress.oauth2-proxy.enabled has no effect with ingress.enabled=false: no oauth2-proxy is deployed (it still turns off apiService.enableUserManagement's basic auth, as in the chart)".into(),
            "use auth.oauth.enabled for OAuth without the chart's Ingress",
        );
    }
    if ingress_oauth(v) && ingress_basic_auth(v) && !v.auth.oauth.enabled {
        r.warning(
            "/ingress/oauth2-proxy/enabled",
            "ingress basic auth (ingress.authSecret / ingress.authCredentials) is ignored while ingress.oauth2-proxy.enabled is on; the Ingress uses OAuth".into(),
            "remove ingress.authSecret and ingress.authCredentials",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_secret_lengths() {
        assert!(valid_cookie_secret(&"a".repeat(32)));
        assert!(valid_cookie_secret(&"a".repeat(16)));
        // URL-safe base64 of 32 bytes, with and without padding.
        let b64 = base64::engine::general_purpose::URL_SAFE.encode([7u8; 32]);
        assert_eq!(b64.len(), 44);
        assert!(valid_cookie_secret(&b64));
        assert!(valid_cookie_secret(b64.trim_end_matches('=')));
        assert!(!valid_cookie_secret("short"));
        assert!(!valid_cookie_secret(&"a".repeat(33)));
        // Standard base64 with `+` or `/` is not URL-safe: oauth2-proxy would take the raw text.
        let std = base64::engine::general_purpose::STANDARD.encode([0xfbu8; 32]);
        assert!(std.contains('+') || std.contains('/'));
        assert!(!valid_cookie_secret(&std));
    }
}
