//! Deprecated keys: keys kept only for old values files (the legacy NodePort Service of the
//! deployment guide) and what they collide with. The controller image guard is in
//! [`super::nginx_image`], the Kubernetes version rule in [`super::kube_version`].

use super::merge::Origins;
use super::model::{ServiceType, Values};
use crate::diagnostics::{Code, Diagnostic};

pub use super::kube_version::{check_kube_version, MIN_KUBE_VERSION};
pub use super::nginx_image::check_nginx_tag;

/// A finding at `pointer`, blamed on whoever set it.
pub(super) fn at(
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
    super::nginx_image::stale_digest(v, origins, &mut out);
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

#[cfg(test)]
mod tests {
    use super::*;

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
