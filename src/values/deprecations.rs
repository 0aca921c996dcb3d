//! Findings about the bundled ingress-nginx controller: keys kept only for old values files
//! (the legacy NodePort Service of the deployment guide), and images or clusters the controller
//! must not run on (CVE-2025-1974, "IngressNightmare"; the chart's minimum Kubernetes).

use super::merge::Origins;
use super::model::{ServiceType, Values};
use super::nginx_cves::parse_tag;
use crate::diagnostics::{quote, Code, Diagnostic, Origin};

/// First fixed release of each affected minor line of the controller (CVE-2025-1974 and the
/// other advisories of March 2025).
const FIXED: &[(u64, u64, u64)] = &[(1, 11, 5), (1, 12, 1)];
/// Oldest Kubernetes the ingress-nginx chart 4.11 installs on (its `kubeVersion`).
pub const MIN_KUBE_VERSION: (u32, u32) = (1, 21);

const TAG: &str = "/ingress-nginx/controller/image/tag";

fn at(
    severity_error: bool,
    code: Code,
    origins: &Origins,
    pointer: &str,
    msg: String,
) -> Diagnostic {
    let d = if severity_error {
        Diagnostic::error(code, msg)
    } else {
        Diagnostic::warning(code, msg)
    };
    d.with_key(super::validate_dotted(pointer))
        .with_origin(origins.of(pointer).cloned())
}

/// Deprecated keys and their consequences. Warnings, except two Services claiming the same
/// node port (which `kubectl apply` would refuse half-way).
///
/// # What it checks
/// `ingress.nodePortEnabled`, `ingress.httpNodePort` and `ingress.httpsNodePort`: removed from
/// the upstream chart in 2025-11 (silently ignored there). skygen still renders the Service
/// `<release>-ingress-controller-np` for `nodePortEnabled: true` and warns.
/// # Fix
/// `ingress-nginx.controller.service.type=NodePort` with
/// `ingress-nginx.controller.service.nodePorts.{http,https}`.
pub fn check(v: &Values, origins: &Origins) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let ing = &v.ingress;
    let fix = "set ingress-nginx.controller.service.type=NodePort and \
               ingress-nginx.controller.service.nodePorts.http/https instead; the controller \
               Service <release>-ingress-nginx-controller then listens on those node ports";
    match ing.node_port_enabled {
        Some(true) if v.ingress_nginx.enabled => out.push(
            at(
                false,
                Code::Deprecated,
                origins,
                "/ingress/nodePortEnabled",
                "ingress.nodePortEnabled is deprecated (the upstream chart removed it and \
                 ignores it); skygen still renders the extra Service \
                 <release>-ingress-controller-np"
                    .into(),
            )
            .with_help(fix),
        ),
        Some(true) => out.push(
            at(
                false,
                Code::Deprecated,
                origins,
                "/ingress/nodePortEnabled",
                "ingress.nodePortEnabled is deprecated and has no effect with \
                 ingress-nginx.enabled=false: there is no bundled controller to expose"
                    .into(),
            )
            .with_help("remove ingress.nodePortEnabled; expose your own controller yourself"),
        ),
        Some(false) => out.push(
            at(
                false,
                Code::Deprecated,
                origins,
                "/ingress/nodePortEnabled",
                "ingress.nodePortEnabled is deprecated; false is the only behaviour now".into(),
            )
            .with_help("remove it from your values"),
        ),
        None => {}
    }
    if ing.node_port_enabled != Some(true) {
        for (key, set) in [
            ("httpNodePort", ing.http_node_port.is_some()),
            ("httpsNodePort", ing.https_node_port.is_some()),
        ] {
            if set {
                out.push(
                    at(
                        false,
                        Code::Deprecated,
                        origins,
                        &format!("/ingress/{key}"),
                        format!(
                            "ingress.{key} is deprecated and has no effect without \
                             ingress.nodePortEnabled=true"
                        ),
                    )
                    .with_help(fix),
                );
            }
        }
    }
    legacy_port_clash(v, origins, &mut out);
    stale_digest(v, origins, &mut out);
    out
}

/// The legacy Service and the controller Service both asking for the same node port: the API
/// server would reject the second one.
fn legacy_port_clash(v: &Values, origins: &Origins, out: &mut Vec<Diagnostic>) {
    let s = &v.ingress_nginx.controller.service;
    if v.ingress.node_port_enabled != Some(true)
        || !v.ingress_nginx.enabled
        || !matches!(
            s.service_type,
            ServiceType::NodePort | ServiceType::LoadBalancer
        )
    {
        return;
    }
    let legacy = [
        v.ingress.http_node_port.unwrap_or(30050),
        v.ingress.https_node_port.unwrap_or(30051),
    ];
    for (name, port) in [("http", &s.node_ports.http), ("https", &s.node_ports.https)] {
        let port = port.as_ref().and_then(|p| p.port());
        if let Some(p) = port.filter(|p| legacy.contains(p)) {
            out.push(
                at(
                    true,
                    Code::Rule,
                    origins,
                    &format!("/ingress-nginx/controller/service/nodePorts/{name}"),
                    format!(
                        "node port {p} is used twice: by the controller Service and by the \
                         legacy Service of ingress.nodePortEnabled; the cluster refuses the second"
                    ),
                )
                .with_help("drop ingress.nodePortEnabled (the controller Service already is a NodePort Service)"),
            );
        }
    }
}

/// A tag changed by the user while the digest is still skygen's default: the runtime pulls by
/// digest, so the tag would be silently ignored.
fn stale_digest(v: &Values, origins: &Origins, out: &mut Vec<Diagnostic>) {
    let img = &v.ingress_nginx.controller.image;
    let digest_pointer = "/ingress-nginx/controller/image/digest";
    let tag_is_user = !matches!(origins.of(TAG), None | Some(Origin::Defaults));
    let digest_is_default = matches!(origins.of(digest_pointer), None | Some(Origin::Defaults));
    if v.ingress_nginx.enabled
        && tag_is_user
        && digest_is_default
        && img.digest.as_deref().is_some_and(|d| !d.is_empty())
    {
        out.push(
            at(
                false,
                Code::Rule,
                origins,
                TAG,
                format!(
                    "the controller image tag is {} but the digest is still skygen's default \
                     one; the image is pulled by digest, so the tag has no effect",
                    quote(&img.tag)
                ),
            )
            .with_help(
                "also set ingress-nginx.controller.image.digest to the digest of that tag, or \
                 to \"\" to pull by tag",
            ),
        );
    }
}

/// Is this controller version affected by CVE-2025-1974?
fn vulnerable(major: u64, minor: u64, patch: u64, pre: bool) -> bool {
    let v = (major, minor, patch);
    if let Some(fixed) = FIXED.iter().find(|f| f.0 == major && f.1 == minor) {
        return v < *fixed || (v == *fixed && pre);
    }
    // Every line before the oldest fixed one is affected; later lines shipped the fix.
    v < (FIXED[0].0, FIXED[0].1, 0)
}

/// The IngressNightmare guard: refuse a controller image tag older than v1.11.5 (or v1.12.0),
/// which CVE-2025-1974 lets any pod in the cluster take over, unless `allow_vulnerable`
/// (`--allow-vulnerable-ingress-nginx`) is given; then only warn.
pub fn check_nginx_tag(v: &Values, origins: &Origins, allow_vulnerable: bool) -> Vec<Diagnostic> {
    let n = &v.ingress_nginx;
    if !n.enabled {
        return Vec::new();
    }
    let tag = &n.controller.image.tag;
    let Some((major, minor, patch, pre)) = parse_tag(tag) else {
        return vec![at(
            false,
            Code::Rule,
            origins,
            TAG,
            format!(
                "cannot tell whether controller image tag {} is fixed for CVE-2025-1974; make \
                 sure it is v1.11.5, v1.12.1 or newer",
                quote(tag)
            ),
        )];
    };
    if !vulnerable(major, minor, patch, pre) {
        return Vec::new();
    }
    let msg = format!(
        "controller image tag {} is vulnerable to CVE-2025-1974 (IngressNightmare: \
         unauthenticated remote code execution through the admission webhook)",
        quote(tag)
    );
    let d = at(!allow_vulnerable, Code::Rule, origins, TAG, msg);
    vec![if allow_vulnerable {
        d.with_help("rendered anyway because of --allow-vulnerable-ingress-nginx")
    } else {
        d.with_help("use v1.11.5 or newer (skygen's default is v1.11.8), or v1.12.1 or newer")
            .with_help("to render it anyway, pass --allow-vulnerable-ingress-nginx")
    }]
}

/// The bundled controller needs Kubernetes 1.21 or newer (the chart's `kubeVersion`).
pub fn check_kube_version(v: &Values, origins: &Origins, kube: (u32, u32)) -> Vec<Diagnostic> {
    if !v.ingress_nginx.enabled || kube >= MIN_KUBE_VERSION {
        return Vec::new();
    }
    vec![at(
        true,
        Code::Rule,
        origins,
        "/ingress-nginx/enabled",
        format!(
            "the bundled ingress-nginx controller needs Kubernetes {}.{} or newer; the target \
             is {}.{}",
            MIN_KUBE_VERSION.0, MIN_KUBE_VERSION.1, kube.0, kube.1
        ),
    )
    .with_help("set ingress-nginx.enabled=false and use a controller that supports your cluster")]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_parse() {
        assert_eq!(parse_tag("v1.11.8"), Some((1, 11, 8, false)));
        assert_eq!(parse_tag("1.12.0-beta.0"), Some((1, 12, 0, true)));
        assert_eq!(parse_tag("v1.11.5+build"), Some((1, 11, 5, false)));
        assert_eq!(parse_tag("latest"), None);
        assert_eq!(parse_tag("v1.11"), None);
    }

    #[test]
    fn affected_versions() {
        let bad = |t: &str| {
            let (a, b, c, p) = parse_tag(t).unwrap();
            vulnerable(a, b, c, p)
        };
        for t in [
            "v1.11.4",
            "v1.11.5-rc.1",
            "v1.10.6",
            "v0.49.3",
            "v1.12.0",
            "v1.12.0-beta.0",
        ] {
            assert!(bad(t), "{t}");
        }
        for t in ["v1.11.5", "v1.11.8", "v1.12.1", "v1.13.0", "v2.0.0"] {
            assert!(!bad(t), "{t}");
        }
    }

    #[test]
    fn guard_refuses_unless_allowed() {
        let mut v = Values::default();
        v.ingress_nginx.enabled = true;
        v.ingress_nginx.controller.image.tag = "v1.11.3".into();
        let o = Origins::default();
        let d = check_nginx_tag(&v, &o, false);
        assert_eq!(d.len(), 1);
        assert!(d[0].is_error());
        assert!(!check_nginx_tag(&v, &o, true)[0].is_error());
        v.ingress_nginx.enabled = false;
        assert!(check_nginx_tag(&v, &o, false).is_empty());
    }

    #[test]
    fn legacy_keys_warn() {
        let mut v = Values::default();
        v.ingress_nginx.enabled = true;
        v.ingress.node_port_enabled = Some(true);
        let d = check(&v, &Origins::default());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, Code::Deprecated);
        assert!(!d[0].is_error());
    }
}
