//! The SkyPilot documents embedded in the values: `apiService.config` (the server's
//! `~/.sky/config.yaml`) and `apiService.sshNodePools` (`~/.sky/ssh_node_pools.yaml`), checked
//! before they reach the server. See: #15.
//!
//! Takes merged values (after overlays edited the config) and the `--skypilot-version` choice;
//! returns diagnostics that point into the user's file: the line and column inside a `|` block or
//! a `--set-file` file, the key path inside the document, what was expected, did-you-mean for
//! unknown keys. The config is checked against the schema of the SkyPilot release the image
//! runs ([`version`]), generated from that release and embedded ([`schemas`]); the node pools
//! against skygen's own schema of the file's format ([`pools`]). Nothing is parsed or compiled
//! when neither document is set, so the default render pays nothing. Never changes the values.

mod check;
pub mod locate;
mod pools;
mod scan;
pub mod schemas;
pub mod version;

use serde_json::Value;

use crate::diagnostics::{quote, Code, Diagnostic, Origin};
use crate::values::Merged;
use version::{ImageVersion, SkyVersion};

pub const CONFIG_POINTER: &str = "/apiService/config";
pub const POOLS_POINTER: &str = "/apiService/sshNodePools";

/// What overlays wrote into `apiService.config` (recorded by the overlay stage), so an error in
/// an entry an overlay added names that overlay rather than the user's file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConfigEdits {
    /// The config text before any overlay edited it.
    pub original: Option<String>,
    /// Each overlay's name, where its entries are written, and the entries it merged.
    pub overlays: Vec<(String, Origin, Value)>,
}

/// Read `--skypilot-version`: the forms an image tag takes.
pub fn parse_version_flag(text: &str) -> Result<SkyVersion, Box<Diagnostic>> {
    SkyVersion::parse(text).ok_or_else(|| {
        Box::new(Diagnostic::error(
            Code::Usage,
            format!("--skypilot-version {} is not a SkyPilot version", quote(text)),
        )
        .with_help(format!(
            "write a release (0.14.1 or v0.14.1), a nightly (1.0.0.dev20261027) or latest; skygen has schemas for {}",
            version::known()
        )))
    })
}

/// A non-blank string at `pointer`.
fn text_at<'a>(merged: &'a Merged, pointer: &str) -> Option<&'a str> {
    merged
        .tree
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// Check the embedded documents of `merged`. `version_flag` is `--skypilot-version`, already
/// parsed. Returns warnings and errors; empty when neither document is set.
pub fn check(merged: &Merged, version_flag: Option<SkyVersion>) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    if let Some(text) = text_at(merged, CONFIG_POINTER) {
        let image = || {
            let image = merged
                .tree
                .pointer("/apiService/image")
                .and_then(Value::as_str);
            let origin = merged.origins.of("/apiService/image").cloned();
            (image.map(version::from_image), origin)
        };
        match choose(version_flag, image) {
            Ok((choice, note)) => {
                diags.extend(note);
                diags.extend(check::config(merged, text, &choice));
            }
            Err(note) => diags.push(*note),
        }
    }
    if let Some(text) = text_at(merged, POOLS_POINTER) {
        diags.extend(pools::check(merged, text));
    }
    diags
}

/// Pick the schema: the flag, else the image tag. The note is the one-line warning when the
/// schema is not the exact release; `Err` is a warning that nothing can be checked.
fn choose(
    flag: Option<SkyVersion>,
    image: impl FnOnce() -> (Option<ImageVersion>, Option<Origin>),
) -> Result<(version::Choice, Option<Diagnostic>), Box<Diagnostic>> {
    let (wanted, origin, source) = match flag {
        Some(v) => (ImageVersion::Known(v), None, "--skypilot-version"),
        None => {
            let (image, origin) = image();
            (
                image.unwrap_or(ImageVersion::Known(SkyVersion::Latest)),
                origin,
                "apiService.image",
            )
        }
    };
    let warn = |msg: String| {
        Diagnostic::warning(Code::SkyPilotVersion, msg)
            .with_key("apiService.config")
            .with_origin(origin.clone())
    };
    let v = match wanted {
        ImageVersion::Known(v) => v,
        ImageVersion::Unknown(what) => {
            let choice = version::choose(SkyVersion::Latest)
                .expect("skygen embeds at least one nightly schema; this is a skygen bug");
            let note = warn(format!(
                "{source} has {what}, not a SkyPilot version; checked against the newest schema skygen has ({}); pass --skypilot-version to choose",
                choice.schema.version
            ));
            return Ok((choice, Some(note)));
        }
    };
    match version::choose(v) {
        Some(choice) => {
            let note = choice.instead_of.map(|asked| {
                warn(format!(
                    "skygen has no schema for SkyPilot {asked} ({source}); checked against {}, the nearest older one{}",
                    choice.schema.version,
                    if choice.ahead { " (unknown keys are warnings)" } else { "" }
                ))
            });
            Ok((choice, note))
        }
        None => Err(Box::new(warn(format!(
            "skygen has no schema for SkyPilot {v} or older ({source}); apiService.config is not checked"
        ))
        .with_help(format!("skygen has schemas for {}", version::known())))),
    }
}
