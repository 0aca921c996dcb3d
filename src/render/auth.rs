//! The auth part of the render context: oauth2-proxy (either OAuth mode) and its redis, the
//! legacy OAuth annotations of the main Ingress, the server-config text, the API container's
//! auth env and start flag, and the initial basic-auth Secret.
//!
//! Takes validated values (the rules in `values::auth` have run, so at most one mode is on and
//! its required keys are set) and returns typed facts ([`Auth`]) for the templates
//! (`templates/skypilot/oauth2-proxy.yaml`, `server-config.yaml`, …). Computes; never reads a
//! cluster, a clock or a random source: the cookie secret is derived, see [`cookie_secret_env`].

use base64::engine::general_purpose::URL_SAFE;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::values::auth::{self, Mode, Proxy, DEFAULT_PROXY_IMAGE, DEFAULT_REDIS_IMAGE};
use crate::values::model::{BindHost, HeaderFormat, KubeObject, SessionStore, Values};
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

/// One entry of a container's `env`.
#[derive(Serialize)]
#[serde(untagged)]
pub enum EnvVar<'a> {
    /// One of the user's `global.extraEnvs`, as written.
    User(&'a KubeObject),
    Plain {
        name: &'static str,
        value: String,
    },
    Secret {
        name: &'static str,
        #[serde(rename = "valueFrom")]
        value_from: ValueFrom<'a>,
    },
}

/// `valueFrom` of an env entry: a key of a Secret.
#[derive(Serialize)]
pub struct ValueFrom<'a> {
    #[serde(rename = "secretKeyRef")]
    pub secret_key_ref: SecretKeyRef<'a>,
}

#[derive(Serialize)]
pub struct SecretKeyRef<'a> {
    pub name: &'a str,
    pub key: &'static str,
}

fn secret_ref<'a>(env: &'static str, secret: &'a str, key: &'static str) -> EnvVar<'a> {
    EnvVar::Secret {
        name: env,
        value_from: ValueFrom {
            secret_key_ref: SecretKeyRef { name: secret, key },
        },
    }
}

fn plain<'a>(env: &'static str, value: &str) -> EnvVar<'a> {
    EnvVar::Plain {
        name: env,
        value: value.to_owned(),
    }
}

/// `OAUTH2_PROXY_COOKIE_SECRET`, deterministic. In order: an explicit `cookie-secret`; a Secret
/// named by `cookie-secret-from-secret`; key `cookie-secret` of the client-details Secret; a
/// value derived from the client secret ([`derived_cookie_secret`]). The chart instead takes a
/// random value per render (or the live Deployment's, through `lookup`). See: #6.
fn cookie_secret_env<'a>(p: &Proxy<'a>, fullname: &str) -> EnvVar<'a> {
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

fn proxy_env<'a>(p: &Proxy<'a>, v: &'a Values, fullname: &str) -> Vec<EnvVar<'a>> {
    let mut env: Vec<EnvVar<'a>> = v
        .global
        .extra_envs
        .iter()
        .flatten()
        .map(EnvVar::User)
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

/// The labels (and selector) of oauth2-proxy's and its redis's pods.
#[derive(Serialize)]
pub struct Labels<'a> {
    pub app: &'a str,
    #[serde(rename = "skypilot.co/component")]
    pub component: &'static str,
}

/// The oauth2-proxy Deployment, Service and legacy Ingress.
#[derive(Serialize)]
pub struct Oauth<'a> {
    /// `api` (the API server asks oauth2-proxy) or `ingress` (the legacy mode: nginx asks).
    pub mode: &'static str,
    pub name: &'a str,
    pub labels: Labels<'a>,
    pub image: String,
    pub args: Vec<String>,
    pub env: Vec<EnvVar<'a>>,
    pub port: u16,
    /// The bundled redis, when redis is the session store and none is named.
    pub redis: Option<Redis<'a>>,
    /// Legacy mode, not unified: a separate Ingress for /oauth2.
    pub own_ingress: bool,
    /// Legacy mode, unified: an /oauth2 path on the main Ingress.
    pub unified_path: bool,
}

/// The bundled redis of oauth2-proxy's sessions.
#[derive(Serialize)]
pub struct Redis<'a> {
    pub name: &'a str,
    pub labels: Labels<'a>,
    pub image: String,
    /// The user's `global.extraEnvs`.
    pub env: &'a [KubeObject],
    pub port: u16,
}

fn oauth<'a>(v: &'a Values, p: &Proxy<'a>, names: &'a Names) -> Oauth<'a> {
    let f = &names.fullname;
    let registry = v.global.image_registry.as_deref();
    let ipv6 = v.api_service.host == BindHost::Ipv6Any;
    let name = &names.oauth2_proxy;
    let redis_name = &names.oauth2_proxy_redis;
    let redis = p.bundled_redis().then(|| Redis {
        name: redis_name,
        labels: Labels {
            app: redis_name,
            component: "oauth2-proxy-redis",
        },
        image: with_registry(p.redis_image.unwrap_or(DEFAULT_REDIS_IMAGE), registry),
        env: v.global.extra_envs.as_deref().unwrap_or_default(),
        port: REDIS_PORT,
    });
    let legacy = p.mode == Mode::Ingress;
    Oauth {
        mode: match p.mode {
            Mode::Api => "api",
            Mode::Ingress => "ingress",
        },
        name,
        labels: Labels {
            app: name,
            component: "oauth2-proxy",
        },
        image: with_registry(p.image.unwrap_or(DEFAULT_PROXY_IMAGE), registry),
        args: proxy_args(p, ipv6),
        env: proxy_env(p, v, f),
        port: PROXY_PORT,
        redis,
        own_ingress: legacy && !v.ingress.unified,
        unified_path: legacy && v.ingress.unified,
    }
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
        Value::from(format!(
            "{scheme}://$host/oauth2/start?rd=$escaped_request_uri"
        )),
    );
    a.insert(
        nginx("auth-url"),
        Value::from(format!("{scheme}://$host/oauth2/auth")),
    );
    a.insert(
        nginx("auth-response-headers"),
        Value::from(AUTH_RESPONSE_HEADERS),
    );
    a.insert(
        nginx("auth-snippet"),
        Value::from(concat!(
            "# A service-account token skips the browser login; the API server validates it.\n",
            "if ($http_authorization ~ \"^Bearer sky_.+\") {\n",
            "  set $x_skypilot_auth_mode \"token\";\n",
            "  return 200;\n",
            "}\n",
        )),
    );
    a.insert(
        nginx("configuration-snippet"),
        Value::from(concat!(
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
fn api_env<'a>(v: &'a Values, names: &'a Names) -> Vec<EnvVar<'a>> {
    let mut env = Vec::new();
    if auth::basic_auth_in_api_server(v) {
        let api = &v.api_service;
        let secret = non_empty(&api.initial_basic_auth_secret).or_else(|| {
            non_empty(&api.initial_basic_auth_credentials)
                .map(|_| names.initial_basic_auth.as_str())
        });
        if let Some(secret) = secret {
            env.push(secret_ref("SKYPILOT_INITIAL_BASIC_AUTH", secret, "auth"));
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

/// `<fullname>-server-config` and its `server.yaml`.
#[derive(Serialize)]
pub struct ServerConfig<'a> {
    pub name: &'a str,
    pub text: String,
}

/// The Secret of `apiService.initialBasicAuthCredentials` (`user:hash`).
#[derive(Serialize)]
pub struct InitialBasicAuth<'a> {
    pub name: &'a str,
    pub auth: &'a str,
}

/// Everything the templates need about auth, under the context key `auth`.
#[derive(Serialize)]
pub struct Auth<'a> {
    /// oauth2-proxy, in either OAuth mode.
    pub oauth: Option<Oauth<'a>>,
    pub server_config: Option<ServerConfig<'a>>,
    /// Auth env of the API container, after the chart's own.
    pub api_env: Vec<EnvVar<'a>>,
    /// `sky api start --enable-basic-auth`.
    pub enable_basic_auth: bool,
    pub initial_basic_auth_secret: Option<InitialBasicAuth<'a>>,
}

/// The auth facts of one validated release.
pub fn facts(validated: &Validated) -> Auth<'_> {
    let v = validated.values();
    let names = &validated.resolved().names;
    let api = &v.api_service;
    let initial_secret = (api.enable_user_management
        && !v.ingress.oauth2_proxy.enabled
        && non_empty(&api.initial_basic_auth_secret).is_none())
    .then(|| non_empty(&api.initial_basic_auth_credentials))
    .flatten()
    .map(|creds| InitialBasicAuth {
        name: &names.initial_basic_auth,
        auth: creds,
    });
    Auth {
        oauth: auth::proxy(v).map(|p| oauth(v, &p, names)),
        server_config: server_config(v).map(|text| ServerConfig {
            name: &names.server_config,
            text,
        }),
        api_env: api_env(v, names),
        enable_basic_auth: validated.resolved().auth.api_server_basic_auth,
        initial_basic_auth_secret: initial_secret,
    }
}
