//! The controller image guard: refuse an ingress-nginx controller image that CVE-2025-1974
//! ("IngressNightmare") lets any pod in the cluster take over, unless
//! `--allow-vulnerable-ingress-nginx`; and warn about a tag that a default digest overrides.

use super::deprecations::at;
use super::merge::Origins;
use super::model::Values;
use super::nginx_cves::parse_tag;
use crate::diagnostics::{quote, Code, Diagnostic, Origin};

/// First fixed release of each affected minor line of the controller (CVE-2025-1974 and the
/// other advisories of March 2025).
const FIXED: &[(u64, u64, u64)] = &[(1, 11, 5), (1, 12, 1)];

const TAG: &str = "/ingress-nginx/controller/image/tag";

/// A tag changed by the user while the digest is still skygen's default: the runtime pulls by
/// digest, so the tag would be silently ignored.
pub(super) fn stale_digest(v: &Values, origins: &Origins, out: &mut Vec<Diagnostic>) {
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
}
