//! Where an overlay's files come from: a built-in (embedded text) or a user directory listed with
//! walkdir in sorted order. Takes the `--overlay` argument; returns the overlay's [`Files`].
//! A file is read only when `overlay.yaml` names it, so other files in the directory (a README,
//! images) never matter. Never reads outside the directory: symlinks that leave it, and
//! references with `..` or an absolute path, are refused. Hidden entries (`.git`) are skipped.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use crate::diagnostics::{quote, Code, Diagnostic, Origin};

/// Most files one overlay directory may hold (an overlay is a handful of small files).
pub const MAX_FILES: usize = 1000;
/// Deepest directory level read below the overlay directory.
pub const MAX_DEPTH: usize = 8;

/// One file of an overlay.
#[derive(Debug)]
pub enum Entry {
    /// A built-in's embedded text.
    Text(&'static str),
    /// A file of a user directory, read when named.
    Path(PathBuf),
    /// A file that must not be read, and why.
    Refused(String),
}

/// The files of one overlay, by relative path (with `/`).
#[derive(Debug)]
pub struct Files {
    pub name: String,
    /// Whether this is a built-in (whose `conflicts` and `requires` name built-ins only).
    pub builtin: bool,
    /// What makes two `--overlay` arguments the same overlay: the built-in's name, or the
    /// directory's canonical path (so `./x` and `x/.` are one overlay).
    pub key: String,
    /// The directory as shown in messages, without a trailing `/`.
    pub dir: String,
    pub entries: BTreeMap<String, Entry>,
}

impl Files {
    /// The display path of a file of this overlay.
    pub fn display(&self, rel: &str) -> String {
        format!("{}/{rel}", self.dir)
    }

    /// The text of the file at `rel`, or a message saying why there is none.
    pub fn read(&self, rel: &str) -> Result<String, String> {
        let shown = quote(&self.display(rel));
        match self.entries.get(rel) {
            Some(Entry::Text(t)) => Ok((*t).to_owned()),
            Some(Entry::Path(p)) => {
                crate::values::read_text(&p.to_string_lossy(), &mut std::io::empty())
                    .map_err(|msg| format!("{shown}: {msg}"))
            }
            Some(Entry::Refused(why)) => Err(format!("{shown}: {why}")),
            None if rel.split('/').any(|part| part.starts_with('.')) => Err(format!(
                "{shown} is hidden (a name starting with `.`); hidden entries of an overlay directory are never read, rename it"
            )),
            None => Err(format!("no file {} in {}", quote(rel), quote(&self.dir))),
        }
    }
}

/// A built-in name gives the built-in; anything else is a directory path. A local directory
/// that shares a built-in's name is reached as `./NAME`.
pub fn resolve(spec: &str) -> Result<Files, Vec<Diagnostic>> {
    if let Some(files) = super::builtin::files(spec) {
        return Ok(files);
    }
    let path = Path::new(spec);
    if !path.is_dir() {
        if path.exists() {
            return Err(vec![Diagnostic::error(
                Code::Overlay,
                format!("overlay {} is a file, expected a directory", quote(spec)),
            )
            .with_help("give the directory that contains overlay.yaml")]);
        }
        return Err(vec![super::builtin::unknown_builtin(spec)]);
    }
    read_dir(spec)
}

fn io_error(path: &str, msg: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error(Code::Io, format!("overlay file {}: {msg}", quote(path))).with_origin(Some(
        Origin::File {
            path: path.to_owned(),
            pos: None,
        },
    ))
}

fn read_dir(spec: &str) -> Result<Files, Vec<Diagnostic>> {
    let dir = spec.trim_end_matches('/').to_owned();
    let dir = if dir.is_empty() { "/".to_owned() } else { dir };
    let root = std::fs::canonicalize(spec).map_err(|e| vec![io_error(spec, e)])?;
    let name = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.clone());
    let mut files = BTreeMap::new();
    let mut errors = Vec::new();
    let walk = walkdir::WalkDir::new(&root)
        .sort_by_file_name()
        .follow_links(false)
        .max_depth(MAX_DEPTH)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walk {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                errors.push(io_error(&dir, e));
                continue;
            }
        };
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(&root)
            .expect("walkdir yields paths below its root")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        let mut file = Entry::Path(entry.path().to_owned());
        if entry.path_is_symlink() {
            // A link is followed only when it stays inside the overlay directory.
            match std::fs::canonicalize(entry.path()) {
                Ok(real) if real.starts_with(&root) => {
                    if real.is_dir() {
                        continue;
                    }
                }
                Ok(real) => {
                    file = Entry::Refused(format!(
                        "is a link to {}, outside the overlay directory; refused",
                        quote(&real.to_string_lossy())
                    ));
                }
                Err(e) => file = Entry::Refused(format!("is a broken link ({e})")),
            }
        }
        if files.len() == MAX_FILES {
            errors.push(io_error(
                &dir,
                format!(
                    "holds more than {MAX_FILES} files; an overlay is a handful of small files"
                ),
            ));
            break;
        }
        files.insert(rel, file);
    }
    if !files.contains_key("overlay.yaml") {
        errors.push(
            Diagnostic::error(
                Code::Overlay,
                format!("{} has no overlay.yaml", quote(&dir)),
            )
            .with_help("an overlay directory holds overlay.yaml (docs/overlays.md describes it) and the files it names"),
        );
    }
    if errors.is_empty() {
        Ok(Files {
            name,
            builtin: false,
            key: root.to_string_lossy().into_owned(),
            dir,
            entries: files,
        })
    } else {
        Err(errors)
    }
}

/// Check a path written in overlay.yaml: relative, inside the directory, `/`-separated.
/// Returns the normalized path or why it is refused.
pub fn relative(path: &str) -> Result<String, String> {
    if path.is_empty() {
        return Err("an empty path".into());
    }
    if path.contains('\\') {
        return Err("use `/` between path segments".into());
    }
    let p = Path::new(path);
    let mut parts = Vec::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(
                    "paths outside the overlay directory are refused; keep the file inside it"
                        .into(),
                )
            }
        }
    }
    if parts.is_empty() {
        return Err("names no file".into());
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_stay_inside() {
        assert_eq!(relative("./a/b.yaml").unwrap(), "a/b.yaml");
        for bad in ["../x.yaml", "/etc/passwd", "a/../../x", "", ".", "a\\b"] {
            assert!(relative(bad).is_err(), "{bad}");
        }
    }
}
