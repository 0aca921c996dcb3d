//! The bundled ingress-nginx is retired: which published advisories affect the controller tag
//! being rendered, and the one-line warning every render that includes the controller prints.
//!
//! Takes the typed [`Values`]; returns at most one warning. The table is data (advisory → first
//! fixed release of each controller line), so the answer for any tag, including the final
//! releases a user may choose, comes from the same place. It never refuses anything: the
//! IngressNightmare refusal lives in `deprecations`. See: #13.

use super::model::Values;
use crate::diagnostics::{quote, Code, Diagnostic};

/// An advisory against the ingress-nginx controller.
pub struct Advisory {
    pub id: &'static str,
    /// First fixed release of each 1.x line, as `(minor, patch)`, oldest line first. Lines older
    /// than the first listed are affected; lines newer than the last listed shipped the fix.
    /// Empty: no ingress-nginx release has the fix (the bundled nginx itself is affected).
    pub fixed: &'static [(u64, u64)],
}

/// Advisories from the CVE-2025-1974 set (March 2025) to the retirement, and the nginx
/// advisories of May 2026 that the final releases (v1.13.9, v1.14.5, v1.15.1, still on nginx
/// 1.27.1) carry unfixed.
pub const ADVISORIES: &[Advisory] = &[
    Advisory {
        id: "CVE-2025-1974",
        fixed: &[(11, 5), (12, 1)],
    },
    Advisory {
        id: "CVE-2025-15566",
        fixed: &[(12, 5), (13, 1)],
    },
    Advisory {
        id: "CVE-2026-1580",
        fixed: &[(13, 7), (14, 3)],
    },
    Advisory {
        id: "CVE-2026-24512",
        fixed: &[(13, 7), (14, 3)],
    },
    Advisory {
        id: "CVE-2026-24513",
        fixed: &[(13, 7), (14, 3)],
    },
    Advisory {
        id: "CVE-2026-24514",
        fixed: &[(13, 7), (14, 3)],
    },
    Advisory {
        id: "CVE-2026-3288",
        fixed: &[(13, 8), (14, 4), (15, 0)],
    },
    Advisory {
        id: "CVE-2026-42945",
        fixed: &[],
    },
    Advisory {
        id: "CVE-2026-9256",
        fixed: &[],
    },
];

/// `v1.11.8` → (1, 11, 8, is-pre-release). `None` when the tag is not a version.
pub fn parse_tag(tag: &str) -> Option<(u64, u64, u64, bool)> {
    let t = tag.strip_prefix('v').unwrap_or(tag);
    let (core, pre) = match t.split_once(['-', '+']) {
        Some((c, rest)) => (c, !rest.is_empty() && t.as_bytes()[c.len()] == b'-'),
        None => (t, false),
    };
    let mut it = core.split('.').map(|p| p.parse::<u64>().ok());
    let (major, minor, patch) = (it.next()??, it.next()??, it.next()??);
    if it.next().is_some() {
        return None;
    }
    Some((major, minor, patch, pre))
}

impl Advisory {
    /// Does the advisory affect controller `1.minor.patch` (a pre-release of the fixed patch
    /// counts as affected)?
    pub fn affects(&self, minor: u64, patch: u64, pre: bool) -> bool {
        let Some(&(first, _)) = self.fixed.first() else {
            return true;
        };
        if minor < first {
            return true;
        }
        match self.fixed.iter().find(|(m, _)| *m == minor) {
            Some(&(_, p)) => patch < p || (patch == p && pre),
            // A line after the last listed one was released with the fix; a gap is affected.
            None => self.fixed.last().is_some_and(|(last, _)| minor < *last),
        }
    }
}

/// The advisories affecting a controller image tag; `None` when the tag is not a 1.x version.
pub fn advisories_for(tag: &str) -> Option<Vec<&'static str>> {
    let (major, minor, patch, pre) = parse_tag(tag)?;
    if major != 1 {
        return None;
    }
    Some(
        ADVISORIES
            .iter()
            .filter(|a| a.affects(minor, patch, pre))
            .map(|a| a.id)
            .collect(),
    )
}

/// The warning of every render that includes the bundled controller: retired, the advisories
/// of its tag, where to read on. One line, no origin (it is about the controller, not a key
/// the user wrote).
pub fn retired_warning(v: &Values) -> Option<Diagnostic> {
    if !v.ingress_nginx.enabled {
        return None;
    }
    let tag = &v.ingress_nginx.controller.image.tag;
    // Messages are cut at 200 characters: keep the words few so every id fits.
    let known = match advisories_for(tag) {
        Some(ids) if ids.is_empty() => "no known CVEs".to_owned(),
        Some(ids) => ids.join(", "),
        None => "unknown CVEs (not a version)".to_owned(),
    };
    Some(
        Diagnostic::warning(
            Code::Deprecated,
            format!(
                "ingress-nginx is retired; {} has {known} (docs/edge.md)",
                quote(tag)
            ),
        )
        .with_key("ingress-nginx.enabled"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_tag_has_every_advisory_since_july_2025() {
        let ids = advisories_for("v1.11.8").unwrap();
        assert_eq!(
            ids,
            [
                "CVE-2025-15566",
                "CVE-2026-1580",
                "CVE-2026-24512",
                "CVE-2026-24513",
                "CVE-2026-24514",
                "CVE-2026-3288",
                "CVE-2026-42945",
                "CVE-2026-9256"
            ]
        );
    }

    #[test]
    fn final_releases_keep_only_the_nginx_advisories() {
        for tag in ["v1.13.9", "v1.14.5", "v1.15.1", "v1.15.0"] {
            assert_eq!(
                advisories_for(tag).unwrap(),
                ["CVE-2026-42945", "CVE-2026-9256"],
                "{tag}"
            );
        }
    }

    #[test]
    fn fixed_lines_and_patches() {
        let a = &ADVISORIES[1]; // CVE-2025-15566: fixed in v1.12.5 and v1.13.1
        assert!(a.affects(11, 9, false));
        assert!(a.affects(12, 4, false));
        assert!(!a.affects(12, 5, false));
        assert!(a.affects(12, 5, true));
        assert!(a.affects(13, 0, false));
        assert!(!a.affects(13, 1, false));
        assert!(!a.affects(14, 0, false));
        assert!(advisories_for("v1.11.4")
            .unwrap()
            .contains(&"CVE-2025-1974"));
        assert!(advisories_for("latest").is_none());
    }
}
