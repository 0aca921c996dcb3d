//! Reading back a directory written by `skygen render -o DIR`, for `skygen diff`: the files its
//! `kustomization.yaml` lists, each read as bounded text. Refuses a kustomization that does more
//! than list files, since diff would compare something other than what kustomize builds. Never
//! writes, never renders.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::diagnostics::{quote, Code, Diagnostic, Origin};
use crate::manifest::dir::KUSTOMIZATION;
use crate::text::{self, TextError};
use crate::yaml;

/// Largest manifest read for one side of a diff (a file, standard input, or all the files a
/// directory lists together), in bytes. A render is well under 1 MiB, and time grows with the
/// size: two 16 MiB manifests took about a second (#17).
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Most files a directory's `kustomization.yaml` may list: `render -o` writes one per object, and
/// a render has at most [`crate::overlay::guard::MAX_OBJECTS`] objects.
pub const MAX_FILES: usize = crate::overlay::guard::MAX_OBJECTS;

/// The manifest files a directory lists in its `kustomization.yaml`, in order, as paths inside
/// the directory. Refuses what `skygen diff` cannot compare faithfully: a kustomization that
/// does more than list files (patches, generators, name prefixes…), and resources outside DIR.
pub fn resource_files(dir: &Path) -> Result<Vec<PathBuf>, Vec<Diagnostic>> {
    let path = dir.join(KUSTOMIZATION);
    let shown = path.display().to_string();
    let at = |pos| {
        Some(Origin::File {
            path: shown.clone(),
            pos,
        })
    };
    let text = read_text(&path).map_err(|e| {
        vec![(*e).with_help(format!(
            "a directory to compare must be one written by `skygen render -o`, with its {KUSTOMIZATION}"
        ))]
    })?;
    let doc = yaml::read_one(&text).map_err(|e| {
        vec![Diagnostic::error(Code::Yaml, e.kind.to_string()).with_origin(at(e.pos))]
    })?;
    let Value::Object(map) = &doc.value else {
        return Err(vec![Diagnostic::error(
            Code::Yaml,
            "expected a Kustomization mapping",
        )
        .with_origin(at(doc.position_of("")))]);
    };
    let mut errors = Vec::new();
    for key in map.keys() {
        if !matches!(key.as_str(), "apiVersion" | "kind" | "resources") {
            let pointer = format!("/{}", crate::pointer::escape(key));
            errors.push(
                Diagnostic::error(
                    Code::Usage,
                    format!(
                        "skygen diff reads only `resources`; this kustomization also has {}",
                        quote(key)
                    ),
                )
                .with_origin(at(doc.position_of(&pointer)))
                .with_help(
                    "compare the output of `kustomize build DIR` instead (a manifest file, or `-`)",
                ),
            );
        }
    }
    let mut files = Vec::new();
    match map.get("resources") {
        None => {}
        Some(Value::Array(items)) if items.len() > MAX_FILES => errors.push(
            Diagnostic::error(
                Code::Usage,
                format!(
                    "{} resources; a directory written by `skygen render -o` lists at most {MAX_FILES}",
                    items.len()
                ),
            )
            .with_origin(at(doc.position_of("/resources"))),
        ),
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let pos = doc.position_of(&format!("/resources/{i}"));
                let inside = item.as_str().filter(|s| {
                    let p = Path::new(s);
                    !s.is_empty()
                        && p.components()
                            .all(|c| matches!(c, std::path::Component::Normal(_)))
                });
                match inside {
                    Some(s) => files.push(dir.join(s)),
                    None => errors.push(
                        Diagnostic::error(
                            Code::Usage,
                            "a resource must be a file path inside the directory",
                        )
                        .with_key(format!("resources[{i}]"))
                        .with_origin(at(pos))
                        .with_help(
                            "skygen diff does not follow remote bases, absolute paths or `..`",
                        ),
                    ),
                }
            }
        }
        Some(_) => errors.push(
            Diagnostic::error(Code::Yaml, "`resources` must be a list of file names")
                .with_origin(at(doc.position_of("/resources"))),
        ),
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

/// What a refused manifest text is, in words.
pub fn text_error(e: TextError) -> String {
    match e {
        TextError::NotFound => "no such file".into(),
        TextError::IsDirectory => "it is a directory".into(),
        TextError::Io(e) => e.to_string(),
        TextError::TooBig => format!(
            "larger than {} MiB, too big for a manifest",
            MAX_FILE_BYTES / 1024 / 1024
        ),
        TextError::Binary => "a binary file (it contains NUL bytes), expected YAML".into(),
        TextError::NotUtf8(at) => format!("not UTF-8 text (invalid byte at offset {at})"),
    }
}

/// Read a manifest or kustomization file as UTF-8 text, bounded in size.
pub fn read_text(path: &Path) -> Result<String, Box<Diagnostic>> {
    text::read_file(path, MAX_FILE_BYTES).map_err(|e| {
        Box::new(
            Diagnostic::error(Code::Io, format!("cannot read: {}", text_error(e))).with_origin(
                Some(Origin::File {
                    path: path.display().to_string(),
                    pos: None,
                }),
            ),
        )
    })
}
