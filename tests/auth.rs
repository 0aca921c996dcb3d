//! Authentication (issue #6, auth part): every auth mode rendered and its objects asserted
//! field by field, every auth rule's refusal and message, and the deterministic oauth2-proxy
//! cookie secret.
//!
//! What belongs here: what the auth values do to the rendered objects, seen through the library
//! entry point `skygen::run` (values on stdin, flags as on the command line). Whole objects are
//! also pinned by the golden cases `tests/cases/oauth*.values.yaml`, `external-proxy` and
//! `user-management`, which the oracles check.

use serde_json::Value;
use skygen::diagnostics::{Code, Severity};
use skygen::{ExitStatus, Outcome};

const OAUTH: &str = "
auth:
  oauth:
    enabled: true
    oidc-issuer-url: https://idp.example.com/oauth2/default
    client-id: my-client
    client-secret: my-secret
";

const LEGACY: &str = "
ingress:
  host: sky.example.com
  oauth2-proxy:
    enabled: true
    oidc-issuer-url: https://idp.example.com
    client-id: legacy-client
    client-secret: legacy-secret
";

fn run(values: &str, flags: &[&str]) -> Outcome {
    let mut args: Vec<String> = ["skygen", "render", "-f", "-"].map(String::from).to_vec();
    args.extend(flags.iter().map(|s| s.to_string()));
    skygen::run(args, &mut values.as_bytes()).expect("arguments parse")
}

/// Render and return the objects; panics with the diagnostics on failure.
fn render(values: &str, flags: &[&str]) -> Vec<Value> {
    let out = run(values, flags);
    assert_eq!(
        out.status,
        ExitStatus::Success,
        "render failed: {:#?}",
        out.diagnostics
    );
    skygen::yaml::read_stream(&out.stdout)
        .expect("output parses")
        .into_iter()
        .map(|d| d.value)
        .filter(Value::is_object)
        .collect()
}

/// The diagnostics of a refused render (exit 2, nothing on stdout).
fn refuse(values: &str, flags: &[&str]) -> Vec<skygen::diagnostics::Diagnostic> {
    let out = run(values, flags);
    assert_eq!(out.status, ExitStatus::Error, "expected a refusal");
    assert!(out.stdout.is_empty(), "nothing may be written on refusal");
    out.diagnostics
}

fn find<'a>(objs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objs.iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

fn has(objs: &[Value], kind: &str, name: &str) -> bool {
    objs.iter()
        .any(|o| o["kind"] == kind && o["metadata"]["name"] == name)
}

fn container<'a>(deploy: &'a Value, name: &str) -> &'a Value {
    deploy["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no container {name}"))
}

fn args(c: &Value) -> Vec<&str> {
    c["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect()
}

fn env<'a>(c: &'a Value, name: &str) -> Option<&'a Value> {
    c["env"].as_array()?.iter().find(|e| e["name"] == name)
}

fn env_names(c: &Value) -> Vec<&str> {
    c["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect()
}

fn api(objs: &[Value]) -> &Value {
    container(
        find(objs, "Deployment", "skypilot-api-server"),
        "skypilot-api",
    )
}

fn proxy(objs: &[Value]) -> &Value {
    container(
        find(objs, "Deployment", "skypilot-oauth2-proxy"),
        "oauth2-proxy",
    )
}

fn cookie_secret(objs: &[Value]) -> String {
    env(proxy(objs), "OAUTH2_PROXY_COOKIE_SECRET").expect("cookie secret env")["value"]
        .as_str()
        .expect("a plain value")
        .to_owned()
}

fn secret_ref(e: &Value) -> (&str, &str) {
    let r = &e["valueFrom"]["secretKeyRef"];
    (r["name"].as_str().unwrap(), r["key"].as_str().unwrap())
}

// ---------------------------------------------------------------------------
// auth.oauth
// ---------------------------------------------------------------------------

#[test]
fn api_oauth_deploys_proxy_service_bundled_redis_and_api_env() {
    let objs = render(OAUTH, &[]);
    let deploy = find(&objs, "Deployment", "skypilot-oauth2-proxy");
    assert_eq!(deploy["metadata"]["labels"]["app"], "skypilot-oauth2-proxy");
    assert_eq!(
        deploy["spec"]["selector"]["matchLabels"]["app"],
        "skypilot-oauth2-proxy"
    );
    assert_eq!(
        deploy["spec"]["template"]["metadata"]["labels"]["skypilot.co/component"],
        "oauth2-proxy"
    );
    let c = proxy(&objs);
    assert_eq!(c["image"], "quay.io/oauth2-proxy/oauth2-proxy:v7.9.0");
    assert_eq!(c["ports"][0]["containerPort"], 4180);
    assert_eq!(
        args(c),
        [
            "--provider=oidc",
            "--oidc-issuer-url=https://idp.example.com/oauth2/default",
            "--email-domain=*",
            "--upstream=file:///dev/null",
            "--http-address=0.0.0.0:4180",
            "--skip-provider-button=true",
            "--reverse-proxy=true",
            "--set-xauthrequest",
            "--session-store-type=redis",
            "--cookie-secure=false",
            "--redis-connection-url=redis://$(SERVICE_NAME)-oauth2-proxy-redis:6379/0",
        ]
    );
    assert_eq!(
        env_names(c),
        [
            "OAUTH2_PROXY_CLIENT_ID",
            "OAUTH2_PROXY_CLIENT_SECRET",
            "SERVICE_NAME",
            "OAUTH2_PROXY_COOKIE_SECRET"
        ]
    );
    assert_eq!(
        env(c, "OAUTH2_PROXY_CLIENT_ID").unwrap()["value"],
        "my-client"
    );
    assert_eq!(
        env(c, "OAUTH2_PROXY_CLIENT_SECRET").unwrap()["value"],
        "my-secret"
    );
    assert_eq!(env(c, "SERVICE_NAME").unwrap()["value"], "skypilot");

    let svc = find(&objs, "Service", "skypilot-oauth2-proxy");
    assert_eq!(svc["spec"]["ports"][0]["port"], 4180);
    assert_eq!(svc["spec"]["ports"][0]["targetPort"], 4180);
    assert_eq!(svc["spec"]["selector"]["app"], "skypilot-oauth2-proxy");
    assert!(svc["spec"].get("ipFamilyPolicy").is_none());

    let redis = find(&objs, "Deployment", "skypilot-oauth2-proxy-redis");
    let rc = container(redis, "redis");
    assert_eq!(rc["image"], "redis:7-alpine");
    assert_eq!(rc["ports"][0]["containerPort"], 6379);
    assert_eq!(rc["resources"]["limits"]["memory"], "256Mi");
    let rsvc = find(&objs, "Service", "skypilot-oauth2-proxy-redis");
    assert_eq!(rsvc["spec"]["ports"][0]["port"], 6379);
    assert_eq!(
        rsvc["spec"]["selector"]["app"],
        "skypilot-oauth2-proxy-redis"
    );

    let a = api(&objs);
    assert_eq!(
        env(a, "SKYPILOT_AUTH_OAUTH2_PROXY_ENABLED").unwrap()["value"],
        "true"
    );
    assert_eq!(
        env(a, "SKYPILOT_AUTH_OAUTH2_PROXY_BASE_URL").unwrap()["value"],
        "http://skypilot-oauth2-proxy:4180"
    );
    // The API-side mode adds nothing to the Ingress and no server config.
    assert!(!has(&objs, "Ingress", "skypilot-oauth2-proxy"));
    let ingress = find(&objs, "Ingress", "skypilot-ingress");
    assert!(ingress["metadata"]["annotations"]
        .get("nginx.ingress.kubernetes.io/auth-url")
        .is_none());
    assert!(!has(&objs, "ConfigMap", "skypilot-server-config"));
}

#[test]
fn api_oauth_base_url_and_names_follow_fullname_override() {
    let objs = render(OAUTH, &["--set", "fullnameOverride=sky"]);
    assert!(has(&objs, "Deployment", "sky-oauth2-proxy"));
    assert!(has(&objs, "Service", "sky-oauth2-proxy-redis"));
    let a = container(find(&objs, "Deployment", "sky-api-server"), "skypilot-api");
    assert_eq!(
        env(a, "SKYPILOT_AUTH_OAUTH2_PROXY_BASE_URL").unwrap()["value"],
        "http://sky-oauth2-proxy:4180"
    );
    let c = container(
        find(&objs, "Deployment", "sky-oauth2-proxy"),
        "oauth2-proxy",
    );
    assert_eq!(env(c, "SERVICE_NAME").unwrap()["value"], "sky");
}

#[test]
fn client_details_from_a_secret_include_the_cookie_secret() {
    let objs = render(
        OAUTH,
        &[
            "--set",
            "auth.oauth.client-details-from-secret=oauth-client",
        ],
    );
    let c = proxy(&objs);
    for (name, key) in [
        ("OAUTH2_PROXY_CLIENT_ID", "client-id"),
        ("OAUTH2_PROXY_CLIENT_SECRET", "client-secret"),
        ("OAUTH2_PROXY_COOKIE_SECRET", "cookie-secret"),
    ] {
        let e = env(c, name).unwrap();
        assert_eq!(secret_ref(e), ("oauth-client", key), "{name}");
        assert!(e.get("value").is_none());
    }
}

#[test]
fn explicit_cookie_secret_value_or_secret_wins() {
    let value = "0123456789abcdef0123456789abcdef";
    let objs = render(
        OAUTH,
        &[
            "--set",
            &format!("auth.oauth.cookie-secret={value}"),
            "--set",
            "auth.oauth.client-details-from-secret=oauth-client",
        ],
    );
    assert_eq!(cookie_secret(&objs), value);

    let objs = render(
        OAUTH,
        &["--set", "auth.oauth.cookie-secret-from-secret=cookie-store"],
    );
    let e = env(proxy(&objs), "OAUTH2_PROXY_COOKIE_SECRET").unwrap();
    assert_eq!(secret_ref(e), ("cookie-store", "cookie-secret"));
}

#[test]
fn external_redis_by_url_or_secret_and_cookie_sessions_drop_the_bundled_redis() {
    let objs = render(OAUTH, &["--set", "auth.oauth.redis-url=redis://r:6379/1"]);
    assert!(args(proxy(&objs)).contains(&"--redis-connection-url=redis://r:6379/1"));
    assert!(!has(&objs, "Deployment", "skypilot-oauth2-proxy-redis"));
    assert!(!has(&objs, "Service", "skypilot-oauth2-proxy-redis"));

    let objs = render(OAUTH, &["--set", "auth.oauth.redis-secret=redis-conn"]);
    let c = proxy(&objs);
    assert!(args(c).contains(&"--redis-connection-url=$(REDIS_URL)"));
    assert_eq!(
        secret_ref(env(c, "REDIS_URL").unwrap()),
        ("redis-conn", "redis_url")
    );
    assert!(!has(&objs, "Deployment", "skypilot-oauth2-proxy-redis"));

    let objs = render(OAUTH, &["--set", "auth.oauth.session-store-type=cookie"]);
    let a = args(proxy(&objs));
    assert!(a.contains(&"--session-store-type=cookie"));
    assert!(!a.iter().any(|x| x.starts_with("--redis-connection-url")));
    assert!(!has(&objs, "Deployment", "skypilot-oauth2-proxy-redis"));
}

#[test]
fn cookie_settings_reach_the_args() {
    let objs = render(
        &format!("{OAUTH}    cookie-refresh: 3600\n    cookie-expire: 168h\n    use-https: true\n    email-domain: example.com\n"),
        &[],
    );
    let a = args(proxy(&objs));
    assert!(a.contains(&"--cookie-refresh=3600"));
    assert!(a.contains(&"--cookie-expire=168h"));
    assert!(a.contains(&"--email-domain=example.com"));
    assert!(
        !a.contains(&"--cookie-secure=false"),
        "use-https keeps secure cookies"
    );
}

#[test]
fn proxy_and_redis_share_the_api_pods_registry_pull_secrets_env_and_scheduling() {
    let values = format!(
        "{OAUTH}    image: oauth2/proxy:custom\n    redis-image: quay.io/redis/redis:custom\n\
global:
  imageRegistry: registry.example.com/mirror
  imagePullSecrets: [{{name: pull}}]
  extraEnvs: [{{name: GLOBAL_ENV, value: global}}]
apiService:
  nodeSelector: {{pool: system}}
  tolerations: [{{key: dedicated, operator: Exists}}]
  affinity: {{nodeAffinity: {{requiredDuringSchedulingIgnoredDuringExecution: {{nodeSelectorTerms: [{{matchExpressions: [{{key: zone, operator: In, values: [a]}}]}}]}}}}}}
"
    );
    let objs = render(&values, &[]);
    for (deploy, c, image) in [
        (
            "skypilot-oauth2-proxy",
            "oauth2-proxy",
            "registry.example.com/mirror/oauth2/proxy:custom",
        ),
        (
            "skypilot-oauth2-proxy-redis",
            "redis",
            "registry.example.com/mirror/redis/redis:custom",
        ),
    ] {
        let d = find(&objs, "Deployment", deploy);
        let spec = &d["spec"]["template"]["spec"];
        assert_eq!(spec["imagePullSecrets"][0]["name"], "pull", "{deploy}");
        assert_eq!(spec["nodeSelector"]["pool"], "system", "{deploy}");
        assert_eq!(spec["tolerations"][0]["key"], "dedicated", "{deploy}");
        assert!(spec["affinity"]["nodeAffinity"].is_object(), "{deploy}");
        let c = container(d, c);
        assert_eq!(c["image"], image);
        assert_eq!(env(c, "GLOBAL_ENV").unwrap()["value"], "global", "{deploy}");
    }
    // global.extraEnvs come first, as in the chart.
    assert_eq!(env_names(proxy(&objs))[0], "GLOBAL_ENV");
}

#[test]
fn ipv6_binds_the_proxy_on_all_addresses_and_makes_services_dual_stack() {
    let objs = render(OAUTH, &["--set", "apiService.host=::"]);
    assert!(args(proxy(&objs)).contains(&"--http-address=[::]:4180"));
    for svc in ["skypilot-oauth2-proxy", "skypilot-oauth2-proxy-redis"] {
        assert_eq!(
            find(&objs, "Service", svc)["spec"]["ipFamilyPolicy"],
            "PreferDualStack",
            "{svc}"
        );
    }
}

// ---------------------------------------------------------------------------
// Legacy ingress.oauth2-proxy
// ---------------------------------------------------------------------------

#[test]
fn legacy_mode_annotates_the_ingress_and_routes_oauth2() {
    let objs = render(LEGACY, &[]);
    assert!(has(&objs, "Deployment", "skypilot-oauth2-proxy"));
    assert!(has(&objs, "Service", "skypilot-oauth2-proxy"));
    assert!(has(&objs, "Deployment", "skypilot-oauth2-proxy-redis"));
    let a = &find(&objs, "Ingress", "skypilot-ingress")["metadata"]["annotations"];
    let n = |k: &str| a[format!("nginx.ingress.kubernetes.io/{k}")].clone();
    assert_eq!(
        n("auth-signin"),
        "http://$host/oauth2/start?rd=$escaped_request_uri"
    );
    assert_eq!(n("auth-url"), "http://$host/oauth2/auth");
    assert_eq!(
        n("auth-response-headers"),
        "X-Auth-Request-Email, X-Skypilot-Auth"
    );
    let snippet = n("auth-snippet");
    let snippet = snippet.as_str().unwrap();
    assert!(snippet.contains(r#"if ($http_authorization ~ "^Bearer sky_.+") {"#));
    assert!(snippet.contains("return 200;"));
    assert!(n("configuration-snippet")
        .as_str()
        .unwrap()
        .contains("proxy_set_header X-Skypilot-Auth-Mode $x_skypilot_auth_mode;"));
    assert!(n("auth-type").is_null(), "no basic auth with OAuth");

    let oauth_ingress = find(&objs, "Ingress", "skypilot-oauth2-proxy");
    assert_eq!(oauth_ingress["spec"]["ingressClassName"], "nginx");
    let rule = &oauth_ingress["spec"]["rules"][0];
    assert_eq!(rule["host"], "sky.example.com");
    assert_eq!(rule["http"]["paths"][0]["path"], "/oauth2");
    assert_eq!(rule["http"]["paths"][0]["pathType"], "Prefix");
    assert_eq!(
        rule["http"]["paths"][0]["backend"]["service"],
        serde_json::json!({"name": "skypilot-oauth2-proxy", "port": {"number": 4180}})
    );

    // The server trusts oauth2-proxy's e-mail header, from the server-config ConfigMap.
    let cm = find(&objs, "ConfigMap", "skypilot-server-config");
    let text = cm["data"]["server.yaml"].as_str().unwrap();
    let server: Value = skygen::yaml::read_stream(text).unwrap()[0].value.clone();
    assert_eq!(
        server["auth"]["external_proxy"],
        serde_json::json!({"enabled": true, "header_name": "X-Auth-Request-Email", "header_format": "plaintext", "jwt_identity_claim": "sub"})
    );
    let api_deploy = find(&objs, "Deployment", "skypilot-api-server");
    let mounts = api(&objs)["volumeMounts"].as_array().unwrap();
    assert!(mounts.contains(&serde_json::json!({"name": "skypilot-server-config", "mountPath": "/root/.sky/.server.yaml", "subPath": "server.yaml", "readOnly": true})));
    let volumes = api_deploy["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .unwrap();
    assert!(volumes.contains(&serde_json::json!({"name": "skypilot-server-config", "configMap": {"name": "skypilot-server-config"}})));
    // The API-side OAuth env belongs to auth.oauth only.
    assert!(env(api(&objs), "SKYPILOT_AUTH_OAUTH2_PROXY_ENABLED").is_none());
    // The legacy keys configure the same proxy.
    let c = proxy(&objs);
    assert_eq!(
        env(c, "OAUTH2_PROXY_CLIENT_ID").unwrap()["value"],
        "legacy-client"
    );
    assert!(args(c).contains(&"--oidc-issuer-url=https://idp.example.com"));
}

#[test]
fn legacy_mode_scheme_follows_use_https() {
    let objs = render(LEGACY, &["--set", "ingress.oauth2-proxy.use-https=true"]);
    let a = &find(&objs, "Ingress", "skypilot-ingress")["metadata"]["annotations"];
    assert_eq!(
        a["nginx.ingress.kubernetes.io/auth-url"],
        "https://$host/oauth2/auth"
    );
    assert_eq!(
        a["nginx.ingress.kubernetes.io/auth-signin"],
        "https://$host/oauth2/start?rd=$escaped_request_uri"
    );
    assert!(!args(proxy(&objs)).contains(&"--cookie-secure=false"));
}

#[test]
fn legacy_mode_unified_puts_oauth2_on_the_main_ingress() {
    let objs = render(LEGACY, &["--set", "ingress.unified=true"]);
    assert!(!has(&objs, "Ingress", "skypilot-oauth2-proxy"));
    let paths = find(&objs, "Ingress", "skypilot-ingress")["spec"]["rules"][0]["http"]["paths"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(paths.len(), 2);
    assert_eq!(paths[1]["path"], "/oauth2");
    assert_eq!(
        paths[1]["backend"]["service"]["name"],
        "skypilot-oauth2-proxy"
    );
    assert_eq!(paths[1]["backend"]["service"]["port"]["number"], 4180);
}

#[test]
fn legacy_mode_redis_secret_is_supported() {
    let objs = render(
        LEGACY,
        &["--set", "ingress.oauth2-proxy.redis-secret=redis-conn"],
    );
    let c = proxy(&objs);
    assert!(args(c).contains(&"--redis-connection-url=$(REDIS_URL)"));
    assert_eq!(
        secret_ref(env(c, "REDIS_URL").unwrap()),
        ("redis-conn", "redis_url")
    );
    assert!(!has(&objs, "Deployment", "skypilot-oauth2-proxy-redis"));
}

#[test]
fn legacy_mode_without_the_ingress_deploys_nothing_and_warns() {
    let out = run(LEGACY, &["--set", "ingress.enabled=false"]);
    assert_eq!(out.status, ExitStatus::Success);
    assert!(!out.stdout.contains("oauth2-proxy"));
    assert!(!out.stdout.contains("server-config"));
    let w = out
        .diagnostics
        .iter()
        .find(|d| d.key.as_deref() == Some("ingress.oauth2-proxy.enabled"))
        .expect("a warning about the ignored switch");
    assert_eq!(w.severity, Severity::Warning);
    assert!(w.message.contains("ingress.enabled=false"));
}

#[test]
fn legacy_mode_ignores_ingress_basic_auth_with_a_warning() {
    let out = run(LEGACY, &["--set", "ingress.authCredentials=user:hash"]);
    assert_eq!(out.status, ExitStatus::Success);
    assert!(out
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Warning && d.message.contains("ignored")));
    let objs: Vec<Value> = skygen::yaml::read_stream(&out.stdout)
        .unwrap()
        .into_iter()
        .map(|d| d.value)
        .collect();
    assert!(!has(&objs, "Secret", "skypilot-basic-auth"));
    let a = &find(&objs, "Ingress", "skypilot-ingress")["metadata"]["annotations"];
    assert!(a.get("nginx.ingress.kubernetes.io/auth-type").is_none());
}

// ---------------------------------------------------------------------------
// External proxy, service accounts, user management
// ---------------------------------------------------------------------------

#[test]
fn external_proxy_writes_and_mounts_the_server_config() {
    let objs = render(
        "auth:\n  externalProxy:\n    enabled: true\n    headerName: X-Forwarded-User\n    headerFormat: jwt\n    jwtIdentityClaim: email\n",
        &[],
    );
    let cm = find(&objs, "ConfigMap", "skypilot-server-config");
    let text = cm["data"]["server.yaml"].as_str().unwrap();
    let server: Value = skygen::yaml::read_stream(text).unwrap()[0].value.clone();
    assert_eq!(
        server["auth"]["external_proxy"],
        serde_json::json!({"enabled": true, "header_name": "X-Forwarded-User", "header_format": "jwt", "jwt_identity_claim": "email"})
    );
    let mount = api(&objs)["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "skypilot-server-config")
        .expect("server config mount")
        .clone();
    assert_eq!(mount["mountPath"], "/root/.sky/.server.yaml");
    assert_eq!(mount["readOnly"], true);
    assert!(!has(&objs, "Deployment", "skypilot-oauth2-proxy"));
}

#[test]
fn server_config_values_cannot_change_its_structure() {
    let objs = render(
        "auth:\n  externalProxy:\n    enabled: true\n    headerName: \"X-User\\n    enabled: false\"\n",
        &[],
    );
    let text = find(&objs, "ConfigMap", "skypilot-server-config")["data"]["server.yaml"]
        .as_str()
        .unwrap()
        .to_owned();
    let server: Value = skygen::yaml::read_stream(&text).unwrap()[0].value.clone();
    assert_eq!(server["auth"]["external_proxy"]["enabled"], true);
    assert_eq!(
        server["auth"]["external_proxy"]["header_name"],
        "X-User\n    enabled: false"
    );
}

#[test]
fn service_account_setting_wins_over_the_deprecated_one_and_basic_auth_turns_it_off() {
    let on = |objs: &[Value]| env(api(objs), "ENABLE_SERVICE_ACCOUNTS").is_some();
    assert!(
        on(&render("", &[])),
        "default: apiService.enableServiceAccounts"
    );
    assert!(!on(&render(
        "",
        &["--set", "apiService.enableServiceAccounts=false"]
    )));
    assert!(!on(&render(
        "",
        &["--set", "auth.serviceAccount.enabled=false"]
    )));
    assert!(on(&render(
        "",
        &[
            "--set",
            "auth.serviceAccount.enabled=true",
            "--set",
            "apiService.enableServiceAccounts=false"
        ]
    )));
    assert!(!on(&render(
        "",
        &[
            "--set",
            "auth.serviceAccount.enabled=true",
            "--set",
            "ingress.authSecret=htpasswd"
        ]
    )));
}

#[test]
fn user_management_runs_basic_auth_in_the_server() {
    let objs = render("apiService:\n  enableUserManagement: true\n", &[]);
    let a = api(&objs);
    let script = a["args"][2].as_str().unwrap();
    assert!(script.contains("exec sky api start --deploy --enable-basic-auth --host=0.0.0.0"));
    assert_eq!(
        secret_ref(env(a, "SKYPILOT_INITIAL_BASIC_AUTH").unwrap()),
        ("skypilot-initial-basic-auth", "auth")
    );
    let secret = find(&objs, "Secret", "skypilot-initial-basic-auth");
    assert_eq!(
        secret["stringData"]["auth"],
        "skypilot:$apr1$c1h4rNxt$2NnL7dIDUV0tWsnuNMGSr/"
    );

    // An existing Secret replaces the chart's.
    let objs = render(
        "apiService:\n  enableUserManagement: true\n  initialBasicAuthSecret: first-user\n",
        &[],
    );
    assert_eq!(
        secret_ref(env(api(&objs), "SKYPILOT_INITIAL_BASIC_AUTH").unwrap()),
        ("first-user", "auth")
    );
    assert!(!has(&objs, "Secret", "skypilot-initial-basic-auth"));

    // Off by default.
    let objs = render("", &[]);
    assert!(!api(&objs)["args"][2]
        .as_str()
        .unwrap()
        .contains("--enable-basic-auth"));
    assert!(env(api(&objs), "SKYPILOT_INITIAL_BASIC_AUTH").is_none());
    assert!(!has(&objs, "Secret", "skypilot-initial-basic-auth"));
}

#[test]
fn user_management_suppresses_ingress_basic_auth_but_keeps_its_env() {
    let objs = render(
        "apiService:\n  enableUserManagement: true\ningress:\n  authCredentials: user:hash\n",
        &[],
    );
    let a = &find(&objs, "Ingress", "skypilot-ingress")["metadata"]["annotations"];
    assert!(a.get("nginx.ingress.kubernetes.io/auth-type").is_none());
    assert!(a.get("nginx.ingress.kubernetes.io/auth-secret").is_none());
    assert!(!has(&objs, "Secret", "skypilot-basic-auth"));
    let c = api(&objs);
    assert_eq!(
        env(c, "SKYPILOT_INGRESS_BASIC_AUTH_ENABLED").unwrap()["value"],
        "true"
    );
    assert!(env(c, "ENABLE_SERVICE_ACCOUNTS").is_none());
}

#[test]
fn legacy_oauth_switch_turns_server_basic_auth_off() {
    let objs = render(
        &format!("{LEGACY}apiService:\n  enableUserManagement: true\n"),
        &[],
    );
    let c = api(&objs);
    assert!(!c["args"][2]
        .as_str()
        .unwrap()
        .contains("--enable-basic-auth"));
    assert!(env(c, "SKYPILOT_INITIAL_BASIC_AUTH").is_none());
    assert!(!has(&objs, "Secret", "skypilot-initial-basic-auth"));
}

#[test]
fn disable_basic_auth_middleware_sets_its_env() {
    let objs = render("auth:\n  disableBasicAuthMiddleware: true\n", &[]);
    assert_eq!(
        env(api(&objs), "SKYPILOT_DISABLE_BASIC_AUTH_MIDDLEWARE").unwrap()["value"],
        "true"
    );
    assert!(env(
        api(&render("", &[])),
        "SKYPILOT_DISABLE_BASIC_AUTH_MIDDLEWARE"
    )
    .is_none());
}

// ---------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------

/// The refusal with this key; asserts it is a rule error naming every listed text.
fn refusal(values: &str, flags: &[&str], key: &str, names: &[&str]) {
    let diags = refuse(values, flags);
    let d = diags
        .iter()
        .find(|d| d.key.as_deref() == Some(key))
        .unwrap_or_else(|| panic!("no diagnostic for {key}: {diags:#?}"));
    assert_eq!(d.code, Code::Rule);
    assert_eq!(d.severity, Severity::Error);
    let text = format!("{} {}", d.message, d.help.join(" "));
    for n in names {
        assert!(text.contains(n), "{key}: {text:?} does not name {n}");
    }
    assert!(!d.help.is_empty(), "{key}: a fix is offered");
}

#[test]
fn oauth_with_ingress_basic_auth_is_refused() {
    refusal(
        OAUTH,
        &["--set", "ingress.authCredentials=user:hash"],
        "auth.oauth.enabled",
        &[
            "auth.oauth.enabled",
            "ingress.authCredentials",
            "ingress.authSecret",
        ],
    );
    refusal(
        OAUTH,
        &["--set", "ingress.authSecret=htpasswd"],
        "auth.oauth.enabled",
        &["auth.oauth.enabled", "ingress.authSecret"],
    );
}

#[test]
fn both_oauth_modes_are_refused() {
    refusal(
        &format!("{OAUTH}{LEGACY}"),
        &[],
        "auth.oauth.enabled",
        &["auth.oauth.enabled", "ingress.oauth2-proxy.enabled"],
    );
}

#[test]
fn external_proxy_with_either_oauth_mode_is_refused() {
    let external = ["--set", "auth.externalProxy.enabled=true"];
    refusal(
        OAUTH,
        &external,
        "auth.externalProxy.enabled",
        &["auth.externalProxy.enabled", "auth.oauth.enabled"],
    );
    refusal(
        LEGACY,
        &external,
        "auth.externalProxy.enabled",
        &["auth.externalProxy.enabled", "ingress.oauth2-proxy.enabled"],
    );
}

#[test]
fn missing_issuer_and_client_name_the_keys_of_the_mode_in_use() {
    for (switch, prefix) in [
        ("auth.oauth.enabled=true", "auth.oauth"),
        ("ingress.oauth2-proxy.enabled=true", "ingress.oauth2-proxy"),
    ] {
        let diags = refuse("", &["--set", switch]);
        for key in ["oidc-issuer-url", "client-id", "client-secret"] {
            let key = format!("{prefix}.{key}");
            let d = diags
                .iter()
                .find(|d| d.key.as_deref() == Some(&key))
                .unwrap_or_else(|| panic!("no refusal for {key}: {diags:#?}"));
            assert!(d.message.contains(&key), "{}", d.message);
            // Located at the switch that needs it.
            assert!(
                d.origin.as_ref().unwrap().to_string().contains(switch),
                "{:?}",
                d.origin
            );
        }
        // The other mode's keys are not named.
        let other = if prefix == "auth.oauth" {
            "ingress.oauth2-proxy"
        } else {
            "auth.oauth."
        };
        assert!(diags.iter().all(|d| !d.message.contains(other)));
    }
}

#[test]
fn client_details_from_a_secret_replace_the_client_id_and_secret() {
    let out = run(
        "",
        &[
            "--set",
            "auth.oauth.enabled=true",
            "--set",
            "auth.oauth.oidc-issuer-url=https://idp",
            "--set",
            "auth.oauth.client-details-from-secret=oauth-client",
        ],
    );
    assert_eq!(out.status, ExitStatus::Success, "{:#?}", out.diagnostics);
}

#[test]
fn legacy_mode_needs_snippet_annotations_on_the_bundled_controller() {
    refusal(
        LEGACY,
        &[
            "--set",
            "ingress-nginx.controller.allowSnippetAnnotations=false",
        ],
        "ingress-nginx.controller.allowSnippetAnnotations",
        &[
            "ingress.oauth2-proxy.enabled",
            "allowSnippetAnnotations=true",
        ],
    );
    // A controller run elsewhere is the admin's to configure.
    let out = run(
        LEGACY,
        &[
            "--set",
            "ingress-nginx.controller.allowSnippetAnnotations=false",
            "--set",
            "ingress-nginx.enabled=false",
        ],
    );
    assert_eq!(out.status, ExitStatus::Success, "{:#?}", out.diagnostics);
}

#[test]
fn redis_url_and_secret_are_exclusive() {
    refusal(
        OAUTH,
        &[
            "--set",
            "auth.oauth.redis-url=redis://r",
            "--set",
            "auth.oauth.redis-secret=s",
        ],
        "auth.oauth.redis-secret",
        &["auth.oauth.redis-url", "auth.oauth.redis-secret"],
    );
    refusal(
        LEGACY,
        &[
            "--set",
            "ingress.oauth2-proxy.redis-url=redis://r",
            "--set",
            "ingress.oauth2-proxy.redis-secret=s",
        ],
        "ingress.oauth2-proxy.redis-secret",
        &[
            "ingress.oauth2-proxy.redis-url",
            "ingress.oauth2-proxy.redis-secret",
        ],
    );
}

#[test]
fn cookie_secret_must_fit_oauth2_proxy_and_come_from_one_place() {
    refusal(
        OAUTH,
        &["--set", "auth.oauth.cookie-secret=too-short"],
        "auth.oauth.cookie-secret",
        &["16, 24 or 32 bytes"],
    );
    refusal(
        OAUTH,
        &[
            "--set",
            "auth.oauth.cookie-secret=0123456789abcdef",
            "--set",
            "auth.oauth.cookie-secret-from-secret=s",
        ],
        "auth.oauth.cookie-secret-from-secret",
        &[
            "auth.oauth.cookie-secret",
            "auth.oauth.cookie-secret-from-secret",
        ],
    );
}

// ---------------------------------------------------------------------------
// Deterministic cookie secret
// ---------------------------------------------------------------------------

#[test]
fn derived_cookie_secret_is_stable_and_changes_with_its_inputs() {
    let a = render(OAUTH, &[]);
    let b = render(OAUTH, &[]);
    assert_eq!(a, b, "two renders are identical");
    let secret = cookie_secret(&a);
    // Known answer: HMAC-SHA256(key "my-secret", "skygen oauth2-proxy cookie-secret v1\0skypilot"),
    // URL-safe base64. Changing it logs every user out: only on purpose, with a release note.
    assert_eq!(secret, "qgWttIIL3EmtPbMDGe-hv486V1JkdPHBy2m562CDgdg=");
    assert!(skygen::values::auth::valid_cookie_secret(&secret));
    assert_eq!(
        secret,
        skygen::render::derived_cookie_secret("my-secret", "skypilot")
    );

    let other_secret = render(OAUTH, &["--set", "auth.oauth.client-secret=rotated"]);
    assert_ne!(cookie_secret(&other_secret), secret);
    let other_name = render(OAUTH, &["--set", "fullnameOverride=sky2"]);
    let c = container(
        find(&other_name, "Deployment", "sky2-oauth2-proxy"),
        "oauth2-proxy",
    );
    assert_ne!(
        env(c, "OAUTH2_PROXY_COOKIE_SECRET").unwrap()["value"],
        secret.as_str()
    );
    // The namespace is not an input: moving a release keeps its sessions.
    let moved = render(OAUTH, &["-n", "elsewhere"]);
    let c = container(
        find(&moved, "Deployment", "skypilot-oauth2-proxy"),
        "oauth2-proxy",
    );
    assert_eq!(
        env(c, "OAUTH2_PROXY_COOKIE_SECRET").unwrap()["value"],
        secret.as_str()
    );
}

#[test]
fn legacy_mode_derives_its_cookie_secret_the_same_way() {
    let objs = render(LEGACY, &[]);
    assert_eq!(
        cookie_secret(&objs),
        skygen::render::derived_cookie_secret("legacy-secret", "skypilot")
    );
    assert_eq!(objs, render(LEGACY, &[]));
}

// ---------------------------------------------------------------------------
// Auth carried by ingress-nginx annotations needs an ingress-nginx (#10, item 2)
// ---------------------------------------------------------------------------

const TRAEFIK: &[&str] = &[
    "--set",
    "ingress-nginx.enabled=false",
    "--set",
    "ingress.ingressClassName=traefik",
];

fn nginx_auth_annotations(objs: &[Value]) -> Vec<String> {
    find(objs, "Ingress", "skypilot-ingress")["metadata"]["annotations"]
        .as_object()
        .map(|m| {
            m.keys()
                .filter(|k| k.starts_with("nginx.ingress.kubernetes.io/auth-"))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn issue10_basic_auth_on_a_traefik_class_is_refused_with_the_in_server_fix() {
    for values in [
        "ingress:\n  authCredentials: 'admin:$apr1$x$y'\n",
        "ingress:\n  authSecret: my-htpasswd\n",
    ] {
        refusal(
            values,
            TRAEFIK,
            "ingress.ingressClassName",
            &[
                "`traefik`",
                "ingress-nginx annotations",
                "apiService.enableUserManagement=true",
                "apiService.initialBasicAuthCredentials",
                "ingress.nginxCompatible=true",
            ],
        );
    }
    // No class at all: the cluster's default class is not known to be ingress-nginx either.
    refusal(
        "ingress:\n  ingressClassName: null\n  authCredentials: 'admin:$apr1$x$y'\n",
        &["--set", "ingress-nginx.enabled=false"],
        "ingress.ingressClassName",
        &["default class"],
    );
}

#[test]
fn issue10_legacy_ingress_oauth_on_a_traefik_class_is_refused() {
    refusal(
        LEGACY,
        TRAEFIK,
        "ingress.ingressClassName",
        &["ingress.oauth2-proxy.enabled", "auth.oauth.enabled"],
    );
}

#[test]
fn issue10_nginx_classes_keep_their_annotation_auth() {
    let creds = "ingress:\n  authCredentials: 'admin:$apr1$x$y'\n";
    // An ingress-nginx the user runs already, under its usual class.
    let objs = render(creds, &["--set", "ingress-nginx.enabled=false"]);
    assert!(!nginx_auth_annotations(&objs).is_empty());
    // The bundled controller under a class of its own.
    let objs = render(
        creds,
        &[
            "--set",
            "ingress-nginx.controller.ingressClassResource.name=sky-nginx",
            "--set",
            "ingress.ingressClassName=sky-nginx",
        ],
    );
    assert!(!nginx_auth_annotations(&objs).is_empty());
    // A class the user vouches for.
    let mut flags = TRAEFIK.to_vec();
    flags.extend(["--set", "ingress.nginxCompatible=true"]);
    let objs = render(creds, &flags);
    assert!(
        nginx_auth_annotations(&objs).contains(&"nginx.ingress.kubernetes.io/auth-type".to_owned())
    );
    // And one the user says is not: refused even though it is called nginx.
    refusal(
        creds,
        &[
            "--set",
            "ingress-nginx.enabled=false",
            "--set",
            "ingress.nginxCompatible=false",
        ],
        "ingress.ingressClassName",
        &["`nginx`"],
    );
}

#[test]
fn issue10_in_server_basic_auth_works_behind_traefik() {
    let objs = render(
        "apiService:\n  enableUserManagement: true\n  initialBasicAuthCredentials: 'admin:$apr1$x$y'\n",
        TRAEFIK,
    );
    assert!(nginx_auth_annotations(&objs).is_empty());
    let script = api(&objs)["args"][2].as_str().unwrap().to_owned();
    assert!(script.contains("--enable-basic-auth"));
    assert_eq!(
        find(&objs, "Ingress", "skypilot-ingress")["spec"]["ingressClassName"],
        "traefik"
    );
}
