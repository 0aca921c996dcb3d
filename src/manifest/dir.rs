//! The output directory of `skygen render -o DIR`: one YAML file per object, a
//! `kustomization.yaml` listing them in stream order (so the directory is a kustomize base), and
//! an index of the files skygen wrote, so a later render removes the files of objects that are
//! gone and never touches a file a person put there.
//!
//! Takes normalized objects; writes files. Every file is first written to a fresh directory on
//! DIR's filesystem (inside an existing DIR, beside a new one), so any error while preparing
//! leaves DIR's files exactly as they were. A new DIR is then one `rename`. An existing DIR is
//! updated by renames in an order that keeps the index a superset of what skygen wrote at every
//! instant, so even an interrupted update never turns a skygen file into a "user's file" that
//! would be kept forever; a file (the index included) whose content is unchanged is not
//! rewritten. See: #5.
//!
//! Only writes: `skygen diff` reads such a directory back in `diff::dir`. Never renders.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use super::ObjectId;
use crate::diagnostics::{Code, Diagnostic, Origin};

/// The kustomize base file skygen writes in DIR.
pub const KUSTOMIZATION: &str = "kustomization.yaml";
/// The list of files skygen wrote in DIR (its own file; a person should not edit it).
pub const INDEX: &str = ".skygen-index.json";
/// The other file names kustomize takes for a kustomization; none may sit beside ours.
const OTHER_KUSTOMIZATIONS: &[&str] = &["kustomization.yml", "Kustomization"];

/// What [`write_dir`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// Files of the new render, in stream order, `kustomization.yaml` last.
    pub files: Vec<String>,
    /// Files of an earlier render that were removed because their objects are gone.
    pub removed: Vec<String>,
}

/// Keep the characters a file name can safely hold; Kubernetes names are already almost safe
/// (`system:` prefixes of ClusterRoles are the common exception).
fn file_part(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The file name of each object, in the same order: `<kind>-<name>.yaml`, lowercase; when two
/// objects would share a name, `<kind>-<namespace>-<name>.yaml`; should that still collide (same
/// kind, namespace and name in two API groups), a `-2`, `-3`… suffix in stream order. A stem
/// over [`MAX_STEM`] characters is cut, with a hash of the whole appended.
///
/// ```
/// let objs = vec![
///     serde_json::json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "a"}}),
///     serde_json::json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "b"}}),
///     serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "a"}}),
/// ];
/// assert_eq!(
///     skygen::manifest::dir::file_names(&objs),
///     ["service-a-web.yaml", "service-b-web.yaml", "deployment-web.yaml"]
/// );
/// ```
pub fn file_names(objects: &[Value]) -> Vec<String> {
    let ids: Vec<ObjectId> = objects.iter().map(ObjectId::of).collect();
    let short = |id: &ObjectId| format!("{}-{}", file_part(&id.kind), file_part(&id.name));
    let mut uses: BTreeMap<String, usize> = BTreeMap::new();
    for id in &ids {
        *uses.entry(short(id)).or_default() += 1;
    }
    let mut taken: BTreeSet<String> = [KUSTOMIZATION.to_owned(), INDEX.to_owned()].into();
    let mut names = Vec::with_capacity(ids.len());
    for id in &ids {
        let stem = if uses[&short(id)] > 1 && !id.namespace.is_empty() {
            format!(
                "{}-{}-{}",
                file_part(&id.kind),
                file_part(&id.namespace),
                file_part(&id.name)
            )
        } else {
            short(id)
        };
        let stem = bounded(stem);
        let mut name = format!("{stem}.yaml");
        let mut n = 2;
        while taken.contains(&name) {
            name = format!("{stem}-{n}.yaml");
            n += 1;
        }
        taken.insert(name.clone());
        names.push(name);
    }
    names
}

/// Longest file stem kept as it is. Kubernetes names reach 253 characters and most
/// filesystems refuse file names over 255 bytes; room is left for the kind, a `-N` suffix and
/// `.yaml`.
pub const MAX_STEM: usize = 200;

/// `stem` itself when short enough; else its first part and a hash of the whole, so two long
/// names that share a beginning still get two files.
fn bounded(stem: String) -> String {
    if stem.len() <= MAX_STEM {
        return stem;
    }
    // FNV-1a: fixed and platform-independent, so the file name is the same on every run.
    let hash = stem.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    // file_part keeps only ASCII, so any byte index is a character boundary.
    format!("{}-{hash:016x}", &stem[..MAX_STEM - 17])
}

/// The `kustomization.yaml` that lists `files` as resources, in order.
pub fn kustomization(files: &[String]) -> String {
    let doc = serde_json::json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": files,
    });
    let mut text =
        String::from("# Written by skygen render -o; it is rewritten on every render.\n");
    text.push_str(&super::to_yaml(&doc));
    text
}

fn index_text(files: &BTreeSet<String>) -> String {
    let doc = serde_json::json!({
        "writtenBy": "skygen",
        "comment": "Files skygen render -o wrote here; a later render removes the ones it no longer writes. Files not listed are never touched.",
        "files": files,
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("JSON serializes; this is a skygen bug");
    s.push('\n');
    s
}

fn io_error(path: &Path, what: &str, e: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error(Code::Io, format!("{what}: {e}")).with_origin(Some(Origin::File {
        path: path.display().to_string(),
        pos: None,
    }))
}

/// Is `name` a plain file name inside the directory (no separators, not `.`/`..`)?
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// The files the last render wrote, from DIR's index (empty when there is none).
fn read_index(dir: &Path) -> Result<BTreeSet<String>, Box<Diagnostic>> {
    let path = dir.join(INDEX);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeSet::new()),
        Err(e) => return Err(Box::new(io_error(&path, "cannot read skygen's index", e))),
    };
    let bad = || {
        Box::new(Diagnostic::error(Code::Io, "this is not an index skygen wrote (expected JSON with a `files` list of plain file names)")
            .with_origin(Some(Origin::File { path: path.display().to_string(), pos: None }))
            .with_help(format!("delete {INDEX} and render again; skygen then treats every file in the directory as yours and replaces none of them")))
    };
    let doc: Value = serde_json::from_str(&text).map_err(|_| bad())?;
    let files = doc.get("files").and_then(Value::as_array).ok_or_else(bad)?;
    files
        .iter()
        .map(|f| match f.as_str() {
            Some(s) if is_plain_name(s) && s != INDEX => Ok(s.to_owned()),
            _ => Err(bad()),
        })
        .collect()
}

/// A temporary directory on DIR's filesystem, removed when dropped unless renamed into place.
struct Staging(Option<PathBuf>);

impl Staging {
    /// For a new DIR, a directory beside it (renamed to DIR at the end). For an existing DIR, a
    /// hidden directory inside it: files are moved from there into DIR, and inside DIR the renames
    /// stay on one filesystem even when DIR is a mount point (a volume in a CI container), and
    /// work when only DIR, not its parent, is writable.
    fn new(dir: &Path, exists: bool) -> Result<Staging, Box<Diagnostic>> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let unique = format!(
            "skygen-tmp-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let (path, where_) = if exists {
            (dir.join(format!(".{unique}")), "inside")
        } else {
            let parent = match dir.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let base = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "out".into());
            (parent.join(format!(".{base}.{unique}")), "beside")
        };
        std::fs::create_dir(&path).map_err(|e| {
            Box::new(io_error(
                &path,
                &format!("cannot create a temporary directory {where_} the output directory"),
                e,
            ))
        })?;
        Ok(Staging(Some(path)))
    }

    fn path(&self) -> &Path {
        self.0
            .as_deref()
            .expect("staging dir is present until consumed")
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_dir_all(p);
        }
    }
}

/// Write `objects` (normalized, in stream order) to `dir` as one file each plus a
/// `kustomization.yaml`, replacing the files an earlier render wrote and keeping every other file.
///
/// Refuses (and changes nothing) when a file it would write exists and is not in its index: that
/// file is someone else's.
pub fn write_dir(dir: &Path, objects: &super::Manifest) -> Result<Written, Vec<Diagnostic>> {
    let names = file_names(objects);
    let mut files: Vec<(String, String)> = names
        .iter()
        .zip(objects.iter())
        .map(|(n, o)| (n.clone(), super::to_yaml(o)))
        .collect();
    files.push((KUSTOMIZATION.to_owned(), kustomization(&names)));

    let exists = match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => true,
        Ok(_) => {
            return Err(vec![io_error(
                dir,
                "cannot write the output directory",
                "it exists and is not a directory",
            )
            .with_help("give -o a directory path (it is created when missing)")])
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(vec![io_error(dir, "cannot use the output directory", e)]),
    };
    // Resolve a symlink once, so every path below names the same real directory.
    let dir = if exists {
        dir.canonicalize()
            .map_err(|e| vec![io_error(dir, "cannot resolve the output directory", e)])?
    } else {
        dir.to_path_buf()
    };
    if !exists {
        let parent = dir.parent().filter(|p| !p.as_os_str().is_empty());
        // `-o deploy/skypilot` in a fresh checkout: create `deploy/` as `mkdir -p` would. Only
        // DIR itself is created atomically; parents are plain directories. See: #10.
        if let Some(parent) = parent.filter(|p| !p.is_dir()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                vec![io_error(
                    parent,
                    "cannot create the parent of the output directory",
                    e,
                )]
            })?;
        }
    }
    let old: BTreeSet<String> = if exists {
        read_index(&dir).map_err(|d| vec![*d])?
    } else {
        BTreeSet::new()
    };
    if exists {
        let mut foreign: Vec<Diagnostic> = files
            .iter()
            .filter(|(n, _)| !old.contains(n))
            .map(|(n, _)| dir.join(n))
            .filter(|p| std::fs::symlink_metadata(p).is_ok())
            .map(|p| {
                io_error(&p, "refusing to overwrite", "this file was not written by skygen")
                    .with_help(format!("skygen writes this file name itself; move your file elsewhere, or delete it if it is an old copy of skygen's output (it is not in {INDEX})"))
            })
            .collect();
        // kustomize refuses a directory with more than one kustomization file.
        for other in OTHER_KUSTOMIZATIONS {
            let p = dir.join(other);
            if !old.contains(*other) && std::fs::symlink_metadata(&p).is_ok() {
                foreign.push(
                    io_error(&p, &format!("refusing to write {KUSTOMIZATION}"), "kustomize reads only one kustomization file in a directory, and this one is not skygen's")
                        .with_help("give -o a directory of its own, and refer to it from your kustomization as a base (`resources: [../DIR]`)"),
                );
            }
        }
        if !foreign.is_empty() {
            return Err(foreign);
        }
    }

    let staging = Staging::new(&dir, exists).map_err(|d| vec![*d])?;
    for (name, text) in &files {
        let p = staging.path().join(name);
        std::fs::write(&p, text).map_err(|e| vec![io_error(&p, "cannot write", e)])?;
    }
    let new: BTreeSet<String> = files.iter().map(|(n, _)| n.clone()).collect();
    let index = staging.path().join(INDEX);
    std::fs::write(&index, index_text(&new))
        .map_err(|e| vec![io_error(&index, "cannot write", e)])?;

    let removed: Vec<String> = old.difference(&new).cloned().collect();
    if exists {
        commit_into(&dir, &staging, &files, &old, &new, &removed)?;
    } else {
        let from = staging.path().to_path_buf();
        std::fs::rename(&from, &dir).map_err(|e| {
            vec![io_error(
                &dir,
                "cannot move the rendered directory into place",
                e,
            )]
        })?;
        let mut staging = staging;
        staging.0 = None;
    }
    Ok(Written {
        files: files.into_iter().map(|(n, _)| n).collect(),
        removed,
    })
}

/// Move the staged files into an existing DIR. Order matters: first an index that lists old and
/// new files, then the files, then the removals, then the final index.
fn commit_into(
    dir: &Path,
    staging: &Staging,
    files: &[(String, String)],
    old: &BTreeSet<String>,
    new: &BTreeSet<String>,
    removed: &[String],
) -> Result<(), Vec<Diagnostic>> {
    let partial = |e: Diagnostic| {
        vec![e.with_help(
            "the directory may be partly updated; run the same render again to finish it",
        )]
    };
    // The index already covers every file about to be written when there is no new name.
    if !new.is_subset(old) {
        let union: BTreeSet<String> = old.union(new).cloned().collect();
        let journal = staging.path().join(".index.journal");
        std::fs::write(&journal, index_text(&union))
            .map_err(|e| vec![io_error(&journal, "cannot write", e)])?;
        std::fs::rename(&journal, dir.join(INDEX)).map_err(|e| {
            vec![io_error(
                &dir.join(INDEX),
                "cannot update skygen's index",
                e,
            )]
        })?;
    }
    for (name, text) in files {
        let target = dir.join(name);
        // An unchanged file keeps its timestamp: GitOps tools and editors see no change.
        if std::fs::read(&target).is_ok_and(|b| b == text.as_bytes()) {
            continue;
        }
        std::fs::rename(staging.path().join(name), &target)
            .map_err(|e| partial(io_error(&target, "cannot replace", e)))?;
    }
    for name in removed {
        let target = dir.join(name);
        match std::fs::remove_file(&target) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(partial(io_error(&target, "cannot remove a stale file", e))),
        }
    }
    if std::fs::read(dir.join(INDEX)).is_ok_and(|b| b == index_text(new).as_bytes()) {
        return Ok(());
    }
    std::fs::rename(staging.path().join(INDEX), dir.join(INDEX)).map_err(|e| {
        partial(io_error(
            &dir.join(INDEX),
            "cannot update skygen's index",
            e,
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(api: &str, kind: &str, ns: &str, name: &str) -> Value {
        let mut o = json!({"apiVersion": api, "kind": kind, "metadata": {"name": name}});
        if !ns.is_empty() {
            o["metadata"]["namespace"] = json!(ns);
        }
        o
    }

    #[test]
    fn names_are_lowercase_safe_and_unique() {
        let objs = [
            obj(
                "rbac.authorization.k8s.io/v1",
                "ClusterRole",
                "",
                "system:Reader",
            ),
            obj("v1", "Secret", "a", "x"),
            obj("v1", "Secret", "b", "x"),
            obj("v1", "Thing", "a", "x"),
            obj("example.com/v1", "Thing", "a", "x"),
        ];
        assert_eq!(
            file_names(&objs),
            [
                "clusterrole-system_reader.yaml",
                "secret-a-x.yaml",
                "secret-b-x.yaml",
                "thing-a-x.yaml",
                "thing-a-x-2.yaml"
            ]
        );
    }

    /// An existing DIR may be a mount point (renames out of its parent fail) or the only
    /// writable directory: its staging directory is inside it. A new DIR is staged beside.
    #[test]
    fn staging_is_inside_an_existing_dir() {
        let base = std::env::temp_dir().join(format!("skygen-staging-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(&base).unwrap();
        let staged = Staging::new(&base, true).unwrap();
        assert_eq!(staged.path().parent(), Some(base.as_path()));
        let new = base.join("new");
        let beside = Staging::new(&new, false).unwrap();
        assert_eq!(beside.path().parent(), Some(base.as_path()));
        let (a, b) = (staged.path().to_path_buf(), beside.path().to_path_buf());
        drop((staged, beside));
        assert!(!a.exists() && !b.exists(), "dropped staging is removed");
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn long_names_are_cut_and_stay_unique() {
        let a = "a".repeat(253);
        let b = format!("{}b", "a".repeat(252));
        let names = file_names(&[
            obj("v1", "ConfigMap", "n", &a),
            obj("v1", "ConfigMap", "n", &b),
            obj("v1", "ConfigMap", "n", &"c".repeat(190)),
        ]);
        assert!(
            names.iter().all(|n| n.len() <= MAX_STEM + ".yaml".len()),
            "{names:?}"
        );
        assert_ne!(names[0], names[1]);
        assert!(names[0].starts_with("configmap-aaaa"), "{}", names[0]);
        assert_eq!(names[2], format!("configmap-{}.yaml", "c".repeat(190)));
    }

    #[test]
    fn plain_names_only() {
        for bad in ["", ".", "..", "a/b", "../x", "a\\b"] {
            assert!(!is_plain_name(bad), "{bad}");
        }
        assert!(is_plain_name("service-x.yaml"));
    }
}
