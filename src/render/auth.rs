//! The auth part of the render context: oauth2-proxy (either OAuth mode) and its redis, the
//! legacy OAuth annotations of the main Ingress, the server-config text, the API container's
//! auth env and start flag, and the initial basic-auth Secret.
//!
//! Takes validated values (the rules in `values::auth` have run, so at most one mode is on and
//! its required keys are set) and returns JSON facts for the templates
//! (`templates/skypilot/oauth2-proxy.yaml`, `server-config.yaml`, …). Computes; never reads a
//! cluster, a clock or a random source: the cookie secret is derived, see [`cookie_secret_env`].

use base64::engine::general_purpose::URL_SAFE;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::Sha256;

use crate::values::auth::{self, Mode, Proxy, DEFAULT_PROXY_IMAGE, DEFAULT_REDIS_IMAGE};
use crate::values::model::{BindHost, HeaderFormat, SessionStore, Values};
use crate::values::resolve::{with_registry, Names};
use crate::values::rules::non_empty;
use crate::values::Validated;

/// Port oauth2-proxy listens on, in its pod and on its Service.
pub const PROXY_PORT: u16 = 4180;
/// Port of the bundled redis.
pub const REDIS_PORT: u16 = 6379;
/// Fixed label of the derived cookie secret. Changing it changes every derived secret (and logs
/// every user out), so it carries a version.
pub const COOKIE_SECRET_LABEL: &str = "skygen oauth2-proxy cookie-secret v1";
/// Key of the cookie secret in a Secret (`client-details-from-secret`, `cookie-secret-from-secret`).
pub const COOKIE_SECRET_KEY: &str = "cookie-secret";
/// Response headers nginx copies from oauth2-proxy's answer to the API server (legacy mode).
const AUTH_RESPONSE_HEADERS: &str = "X-Auth-Request-Email, X-Skypilot-Auth";

/// The cookie secret derived from the client secret: HMAC-SHA256 keyed by the client secret
/// over [`COOKIE_SECRET_LABEL`], a NUL byte and the release's fullname; the 32 bytes are written
/// as URL-safe base64, the form oauth2-proxy decodes to an AES-256 key.
///
/// ```
/// let a = skygen::render::derived_cookie_secret("client-secret", "skypilot");
/// assert_eq!(a, skygen::render::derived_cookie_secret("client-secret", "skypilot"));
/// assert_ne!(a, skygen::render::derived_cookie_secret("client-secret", "other"));
/// assert_eq!(a.len(), 44);
/// ```
pub fn derived_cookie_secret(client_secret: &str, fullname: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(client_secret.as_bytes())
        .expect("HMAC accepts keys of any length; this is a skygen bug");
    mac.update(COOKIE_SECRET_LABEL.as_bytes());
    mac.update(&[0]);
    mac.update(fullname.as_bytes());
    URL_SAFE.encode(mac.finalize().into_bytes())
}

fn secret_ref(env: &str, secret: &str, key: &str) -> Value {
    json!({"name": env, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}})
}

fn plain(env: &str, value: &str) -> Value {
    json!({"name": env, "value": value})
}

/// `OAUTH2_PROXY_COOKIE_SECRET`, deterministic. In order: an explicit `cookie-secret`; a Secret
/// named by `cookie-secret-from-secret`; key `cookie-secret` of the client-details Secret; a
/// value derived from the client secret ([`derived_cookie_secret`]). The chart instead takes a
/// random value per render (or the live Deployment's, through `lookup`). See: #6.
fn cookie_secret_env(p: &Proxy<'_>, fullname: &str) -> Value {
    const NAME: &str = "OAUTH2_PROXY_COOKIE_SECRET";
    if let Some(value) = p.cookie_secret {
        plain(NAME, value)
    } else if let Some(secret) = p.cookie_secret_from_secret {
        secret_ref(NAME, secret, COOKIE_SECRET_KEY)
    } else if let Some(secret) = p.client_details_from_secret {
        secret_ref(NAME, secret, COOKIE_SECRET_KEY)
    } else {
        // The rules guarantee a client secret here.
        plain(
            NAME,
            &derived_cookie_secret(p.client_secret.unwrap_or_default(), fullname),
        )
    }
}

fn proxy_args(p: &Proxy<'_>, ipv6: bool) -> Vec<String> {
    let bind = if ipv6 { "[::]" } else { "0.0.0.0" };
    let store = match p.session_store {
        SessionStore::Redis => "redis",
        SessionStore::Cookie => "cookie",
    };
    let mut args = vec![
        "--provider=oidc".to_owned(),
        format!("--oidc-issuer-url={}", p.issuer_url.unwrap_or_default()),
        format!("--email-domain={}", p.email_domain.unwrap_or("*")),
        "--upstream=file:///dev/null".to_owned(),
        format!("--http-address={bind}:{PROXY_PORT}"),
        "--skip-provider-button=true".to_owned(),
        "--reverse-proxy=true".to_owned(),
        "--set-xauthrequest".to_owned(),
        format!("--session-store-type={store}"),
    ];
    if !p.use_https {
        args.push("--cookie-secure=false".to_owned());
    }
    if let Some(t) = p.cookie_refresh {
        args.push(format!("--cookie-refresh={t}"));
    }
    if let Some(t) = p.cookie_expire {
        args.push(format!("--cookie-expire={t}"));
    }
    if p.session_store == SessionStore::Redis {
        let url = match (p.redis_url, p.redis_secret) {
            (Some(url), _) => url.to_owned(),
            (None, Some(_)) => "$(REDIS_URL)".to_owned(),
            // Kubernetes expands $(SERVICE_NAME) from the env below.
            (None, None) => format!("redis://$(SERVICE_NAME)-oauth2-proxy-redis:{REDIS_PORT}/0"),
        };
        args.push(format!("--redis-connection-url={url}"));
    }
    args
}

fn proxy_env(p: &Proxy<'_>, v: &Values, fullname: &str) -> Vec<Value> {
    let mut env: Vec<Value> = v
        .global
        .extra_envs
        .iter()
        .flatten()
        .map(|e| Value::Object(e.clone()))
        .collect();
    for (name, key, value) in [
        ("OAUTH2_PROXY_CLIENT_ID", "client-id", p.client_id),
        (
            "OAUTH2_PROXY_CLIENT_SECRET",
            "client-secret",
            p.client_secret,
        ),
    ] {
        env.push(match p.client_details_from_secret {
            Some(secret) => secret_ref(name, secret, key),
            None => plain(name, value.unwrap_or_default()),
        });
    }
    env.push(plain("SERVICE_NAME", fullname));
    if let Some(secret) = p.redis_secret {
        env.push(secret_ref("REDIS_URL", secret, "redis_url"));
    }
    env.push(cookie_secret_env(p, fullname));
    env
}

fn labels(name: &str, component: &str) -> Value {
    json!({"app": name, "skypilot.co/component": component})
}

/// The oauth2-proxy Deployment, Service, bundled redis and legacy Ingress, or null.
fn oauth(v: &Values, p: &Proxy<'_>, names: &Names) -> Value {
    let f = &names.fullname;
    let registry = v.global.image_registry.as_deref();
    let ipv6 = v.api_service.host == BindHost::Ipv6Any;
    let name = &names.oauth2_proxy;
    let redis_name = &names.oauth2_proxy_redis;
    let redis = p.bundled_redis().then(|| {
        json!({
            "name": redis_name,
            "labels": labels(redis_name, "oauth2-proxy-redis"),
            "image": with_registry(p.redis_image.unwrap_or(DEFAULT_REDIS_IMAGE), registry),
            "env": v.global.extra_envs.clone().unwrap_or_default(),
            "port": REDIS_PORT,
        })
    });
    let legacy = p.mode == Mode::Ingress;
    json!({
        "mode": match p.mode { Mode::Api => "api", Mode::Ingress => "ingress" },
        "name": name,
        "labels": labels(name, "oauth2-proxy"),
        "image": with_registry(p.image.unwrap_or(DEFAULT_PROXY_IMAGE), registry),
        "args": proxy_args(p, ipv6),
        "env": proxy_env(p, v, f),
        "port": PROXY_PORT,
        "redis": redis,
        // Legacy mode: a separate Ingress for /oauth2, or a path on the main one when unified.
        "own_ingress": legacy && !v.ingress.unified,
        "unified_path": legacy && v.ingress.unified,
    })
}

/// Annotations the legacy ingress OAuth puts on the main Ingress: nginx asks oauth2-proxy about
/// each request, except those with a SkyPilot service-account token (`Bearer sky_…`), which the
/// API server checks itself.
pub fn ingress_annotations(v: &Values) -> Map<String, Value> {
    let mut a = Map::new();
    let Some(p) = auth::proxy(v).filter(|p| p.mode == Mode::Ingress) else {
        return a;
    };
    let scheme = if p.use_https { "https" } else { "http" };
    let nginx = |k: &str| format!("nginx.ingress.kubernetes.io/{k}");
    a.insert(
        nginx("auth-signin"),
        json!(format!(
            "{scheme}://$host/oauth2/start?rd=$escaped_request_uri"
        )),
    );
    a.insert(
        nginx("auth-url"),
        json!(format!("{scheme}://$host/oauth2/auth")),
    );
    a.insert(nginx("auth-response-headers"), json!(AUTH_RESPONSE_HEADERS));
    a.insert(
        nginx("auth-snippet"),
        json!(concat!(
            "# A service-account token skips the browser login; the API server validates it.\n",
            "if ($http_authorization ~ \"^Bearer sky_.+\") {\n",
            "  set $x_skypilot_auth_mode \"token\";\n",
            "  return 200;\n",
            "}\n",
        )),
    );
    a.insert(
        nginx("configuration-snippet"),
        json!(concat!(
            "# Tell the API server which requests came in with a token.\n",
            "proxy_set_header X-Skypilot-Auth-Mode $x_skypilot_auth_mode;\n",
        )),
    );
    a
}

/// `server.yaml` of `<fullname>-server-config`: trust the identity header of an external proxy,
/// or of oauth2-proxy in the legacy mode. Values are JSON strings, which YAML reads unchanged.
fn server_config(v: &Values) -> Option<String> {
    if !auth::server_config_enabled(v) {
        return None;
    }
    let q = |s: &str| serde_json::to_string(s).expect("a string serializes");
    let (header, format, claim) = if v.auth.external_proxy.enabled {
        let e = &v.auth.external_proxy;
        (
            non_empty(&e.header_name).unwrap_or_default(),
            match e.header_format {
                HeaderFormat::Plaintext => "plaintext",
                HeaderFormat::Jwt => "jwt",
            },
            non_empty(&e.jwt_identity_claim).unwrap_or_default(),
        )
    } else {
        // The legacy ingress OAuth: nginx passes oauth2-proxy's e-mail header on.
        ("X-Auth-Request-Email", "plaintext", "sub")
    };
    Some(format!(
        "auth:\n  external_proxy:\n    enabled: true\n    header_name: {}\n    header_format: {}\n    jwt_identity_claim: {}",
        q(header),
        q(format),
        q(claim)
    ))
}

/// Auth env of the API container, after the chart's own.
fn api_env(v: &Values, names: &Names) -> Vec<Value> {
    let mut env = Vec::new();
    if auth::basic_auth_in_api_server(v) {
        let api = &v.api_service;
        let secret = non_empty(&api.initial_basic_auth_secret)
            .map(str::to_owned)
            .or_else(|| {
                non_empty(&api.initial_basic_auth_credentials)
                    .map(|_| names.initial_basic_auth.clone())
            });
        if let Some(secret) = secret {
            env.push(secret_ref("SKYPILOT_INITIAL_BASIC_AUTH", &secret, "auth"));
        }
    }
    if v.auth.oauth.enabled {
        env.push(plain("SKYPILOT_AUTH_OAUTH2_PROXY_ENABLED", "true"));
        env.push(plain(
            "SKYPILOT_AUTH_OAUTH2_PROXY_BASE_URL",
            &format!("http://{}:{PROXY_PORT}", names.oauth2_proxy),
        ));
    }
    env
}

/// Everything the templates need about auth, under the context key `auth`.
pub fn facts(validated: &Validated) -> Value {
    let v = validated.values();
    let names = &validated.resolved().names;
    let api = &v.api_service;
    let initial_secret = (api.enable_user_management
        && !v.ingress.oauth2_proxy.enabled
        && non_empty(&api.initial_basic_auth_secret).is_none())
    .then(|| non_empty(&api.initial_basic_auth_credentials))
    .flatten()
    .map(|creds| json!({"name": names.initial_basic_auth, "auth": creds}));
    json!({
        "oauth": auth::proxy(v).map(|p| oauth(v, &p, names)),
        "server_config": server_config(v).map(|text| json!({"name": names.server_config, "text": text})),
        "api_env": api_env(v, names),
        "enable_basic_auth": validated.resolved().auth.api_server_basic_auth,
        "initial_basic_auth_secret": initial_secret,
    })
}
