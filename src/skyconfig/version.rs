//! Which SkyPilot release a deployment runs, and which embedded schema checks its config.
//!
//! Takes the `apiService.image` reference or the `--skypilot-version` text; returns a
//! [`Choice`]: the schema to use and, when it is not the exact release, a one-line note saying
//! which one was used instead. Tags are read as SkyPilot publishes them: `0.14.1`, `v0.14.1`,
//! `0.12.3.post1`, nightlies `1.0.0.dev20261101`, and `latest`. Never reads a file or the
//! network; the schemas themselves are compiled elsewhere, only once one is chosen.

use std::cmp::Ordering;

use super::schemas::{Embedded, SCHEMAS};

/// A SkyPilot version as written in an image tag or on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkyVersion {
    /// `X.Y.Z` or `X.Y.Z.postN` (post 0 when absent).
    Release { nums: [u32; 3], post: u32 },
    /// `1.0.0.devYYYYMMDD` (`skypilot-nightly`), by its date.
    Nightly { date: u32 },
    /// `latest`: the newest nightly skygen knows.
    Latest,
}

impl SkyVersion {
    /// Read `0.14.1`, `v0.14.1`, `0.12.3.post1`, `1.0.0.dev20261101` or `latest`.
    pub fn parse(text: &str) -> Option<SkyVersion> {
        if text == "latest" {
            return Some(SkyVersion::Latest);
        }
        let t = text.strip_prefix('v').unwrap_or(text);
        if let Some(date) = t.strip_prefix("1.0.0.dev") {
            return (date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()))
                .then(|| date.parse().ok())
                .flatten()
                .map(|date| SkyVersion::Nightly { date });
        }
        let (base, post) = match t.split_once(".post") {
            Some((b, p)) => (b, number(p)?),
            None => (t, 0),
        };
        let mut parts = base.split('.');
        let nums = [
            number(parts.next()?)?,
            number(parts.next()?)?,
            number(parts.next()?)?,
        ];
        parts
            .next()
            .is_none()
            .then_some(SkyVersion::Release { nums, post })
    }
}

fn number(s: &str) -> Option<u32> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

impl std::fmt::Display for SkyVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkyVersion::Release {
                nums: [a, b, c],
                post: 0,
            } => write!(f, "{a}.{b}.{c}"),
            SkyVersion::Release {
                nums: [a, b, c],
                post,
            } => write!(f, "{a}.{b}.{c}.post{post}"),
            SkyVersion::Nightly { date } => write!(f, "1.0.0.dev{date}"),
            SkyVersion::Latest => f.write_str("latest"),
        }
    }
}

/// What an image reference says about the SkyPilot version in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageVersion {
    Known(SkyVersion),
    /// The tag is not a SkyPilot version (a custom build), or there is only a digest.
    Unknown(String),
}

/// Read the version from an image reference: `[registry/]repo[:tag][@digest]`. No tag and no
/// digest means `latest`, as for `docker pull`.
pub fn from_image(image: &str) -> ImageVersion {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    // A `:` before the last `/` is a registry port, not a tag.
    let last = name.rsplit('/').next().unwrap_or(name);
    match last.split_once(':') {
        Some((_, tag)) => match SkyVersion::parse(tag) {
            Some(v) => ImageVersion::Known(v),
            None => ImageVersion::Unknown(format!("tag `{tag}`")),
        },
        None if digest.is_some() => ImageVersion::Unknown("a digest and no tag".into()),
        None => ImageVersion::Known(SkyVersion::Latest),
    }
}

/// The schema chosen for a version.
#[derive(Clone, Copy, Debug)]
pub struct Choice {
    pub schema: &'static Embedded,
    /// Set when the schema is not the exact release: the version asked for.
    pub instead_of: Option<SkyVersion>,
    /// The version is newer than every schema of its kind: keys added since are unknown to
    /// skygen, so unknown keys are reported as warnings, not errors.
    pub ahead: bool,
}

fn release_key(e: &Embedded) -> Option<([u32; 3], u32)> {
    match SkyVersion::parse(e.version) {
        Some(SkyVersion::Release { nums, post }) => Some((nums, post)),
        _ => None,
    }
}

fn nightly_date(e: &Embedded) -> Option<u32> {
    match SkyVersion::parse(e.version) {
        Some(SkyVersion::Nightly { date }) => Some(date),
        _ => None,
    }
}

/// `YYYY-MM-DD` → `YYYYMMDD`.
fn built_date(e: &Embedded) -> u32 {
    e.built
        .replace('-', "")
        .parse()
        .expect("embedded build dates are YYYY-MM-DD; this is a skygen bug")
}

/// The newest embedded nightly (what `latest` means).
fn newest_nightly() -> Option<&'static Embedded> {
    SCHEMAS
        .iter()
        .filter_map(|e| Some((nightly_date(e)?, e)))
        .max_by_key(|(d, _)| *d)
        .map(|(_, e)| e)
}

/// The schema for `v`: the exact release, else the nearest older one. `None` when every
/// embedded schema is newer than `v`.
pub fn choose(v: SkyVersion) -> Option<Choice> {
    match v {
        SkyVersion::Latest => newest_nightly().map(|schema| Choice {
            schema,
            instead_of: None,
            ahead: false,
        }),
        SkyVersion::Release { nums, post } => {
            let want = (nums, post);
            let releases = SCHEMAS.iter().filter_map(|e| Some((release_key(e)?, e)));
            let newest = releases.clone().map(|(k, _)| k).max();
            let (key, schema) = releases
                .filter(|(k, _)| k.cmp(&want) != Ordering::Greater)
                .max_by_key(|(k, _)| *k)?;
            // The script commits a `.postN` only when its schema differs from the release's,
            // so a post release without a file of its own is exactly its release.
            let exact = key == want || (key.0 == nums && key.1 == 0);
            Some(Choice {
                schema,
                instead_of: (!exact).then_some(v),
                ahead: !exact && newest.is_some_and(|n| want > n),
            })
        }
        SkyVersion::Nightly { date } => {
            if let Some(schema) = SCHEMAS.iter().find(|e| nightly_date(e) == Some(date)) {
                return Some(Choice {
                    schema,
                    instead_of: None,
                    ahead: false,
                });
            }
            // A nightly contains every release built before it: the newest schema (release or
            // nightly) built on or before that date.
            let schema = SCHEMAS
                .iter()
                .filter(|e| nightly_date(e).unwrap_or_else(|| built_date(e)) <= date)
                .max_by_key(|e| nightly_date(e).unwrap_or_else(|| built_date(e)))?;
            let newest = SCHEMAS.iter().filter_map(nightly_date).max();
            Some(Choice {
                schema,
                instead_of: Some(v),
                ahead: newest.is_some_and(|n| date > n),
            })
        }
    }
}

/// The versions skygen has schemas for, oldest release first, for messages.
pub fn known() -> String {
    SCHEMAS
        .iter()
        .map(|e| e.version)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_tag_form() {
        let r = |a, b, c, post| SkyVersion::Release {
            nums: [a, b, c],
            post,
        };
        assert_eq!(SkyVersion::parse("0.14.1"), Some(r(0, 14, 1, 0)));
        assert_eq!(SkyVersion::parse("v0.14.1"), Some(r(0, 14, 1, 0)));
        assert_eq!(SkyVersion::parse("0.12.3.post1"), Some(r(0, 12, 3, 1)));
        assert_eq!(
            SkyVersion::parse("1.0.0.dev20261101"),
            Some(SkyVersion::Nightly { date: 20261101 })
        );
        assert_eq!(SkyVersion::parse("latest"), Some(SkyVersion::Latest));
        for bad in [
            "",
            "0.14",
            "0.14.1.2",
            "vv0.14.1",
            "0.14.x",
            "1.0.0.dev2026",
            "main",
            "0.14.1rc1",
        ] {
            assert_eq!(SkyVersion::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn reads_the_tag_of_an_image_reference() {
        let k = |s| ImageVersion::Known(SkyVersion::parse(s).unwrap());
        assert_eq!(from_image("berkeleyskypilot/skypilot:0.14.1"), k("0.14.1"));
        assert_eq!(from_image("berkeleyskypilot/skypilot:v0.14.1"), k("0.14.1"));
        assert_eq!(
            from_image("registry:5000/berkeleyskypilot/skypilot-nightly:1.0.0.dev20261101"),
            k("1.0.0.dev20261101")
        );
        assert_eq!(
            from_image("berkeleyskypilot/skypilot-nightly:latest"),
            k("latest")
        );
        assert_eq!(from_image("registry:5000/skypilot"), k("latest"));
        assert_eq!(
            from_image("skypilot:0.14.1@sha256:0123abcd"),
            k("0.14.1"),
            "a tag next to a digest still names the release"
        );
        assert_eq!(
            from_image("skypilot@sha256:0123abcd"),
            ImageVersion::Unknown("a digest and no tag".into())
        );
        assert_eq!(
            from_image("me/skypilot:my-build"),
            ImageVersion::Unknown("tag `my-build`".into())
        );
    }
}
