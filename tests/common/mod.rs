//! Helpers shared by the integration test crates (each `tests/*.rs` is its own crate, so this
//! module is compiled into each one that declares `mod common;`).

#![allow(dead_code)] // not every test crate uses every helper

pub mod crd;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;
use skygen::inputs::Inputs;
use skygen::render::Release;
use skygen::values::ValueSource;

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new empty directory named after the test crate and `test`, unique in this process.
    pub fn new(test: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let krate = env!("CARGO_CRATE_NAME");
        let dir =
            std::env::temp_dir().join(format!("skygen-{krate}-{}-{test}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        Self(dir)
    }

    /// Writes `content` to `name` (parent directories created) and returns its path.
    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> String {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
        }
        std::fs::write(&path, content)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        path.to_str().expect("temp path is UTF-8").to_owned()
    }

    /// The path of `name` in this directory, which need not exist.
    pub fn join(&self, name: &str) -> String {
        self.0
            .join(name)
            .to_str()
            .expect("temp path is UTF-8")
            .to_owned()
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The metadata keys skygen adds for the release's lifecycle (docs/lifecycle.md): label and
/// annotation keys that Helm's output never has. Written out here (not taken from the library)
/// so a new key skygen adds shows up as a difference until it is listed in docs/helm-compat.md.
pub const LIFECYCLE_LABELS: &[&str] = &[
    "skygen.io/release",
    "skygen.io/release-namespace",
    "skygen.io/keep",
];
pub const LIFECYCLE_ANNOTATIONS: &[&str] = &[
    "argocd.argoproj.io/sync-options",
    "kustomize.toolkit.fluxcd.io/prune",
];

/// Remove exactly [`LIFECYCLE_LABELS`] and [`LIFECYCLE_ANNOTATIONS`] from an object's own
/// `metadata` (never from a pod template: skygen must not add them there), and the maps they
/// leave empty, so a comparison with Helm's output sees the chart's meaning only.
pub fn strip_lifecycle_metadata(obj: &mut serde_json::Value) {
    let Some(meta) = obj.get_mut("metadata").and_then(|m| m.as_object_mut()) else {
        return;
    };
    for (field, keys) in [
        ("labels", LIFECYCLE_LABELS),
        ("annotations", LIFECYCLE_ANNOTATIONS),
    ] {
        if let Some(map) = meta.get_mut(field).and_then(|m| m.as_object_mut()) {
            map.retain(|k, _| !keys.contains(&k.as_str()));
            if map.is_empty() {
                meta.remove(field);
            }
        }
    }
}

/// The objects of a YAML stream (Helm's output or skygen's), as data.
pub fn stream_objects(text: &str) -> Vec<serde_json::Value> {
    skygen::yaml::read_stream(text)
        .expect("the stream parses")
        .into_iter()
        .map(|d| d.value)
        .filter(|v| v.is_object())
        .collect()
}

/// Drop what Helm adds to a subchart object's `metadata` (or a pod template's) for itself: the
/// `helm.sh/*` labels and annotations and `app.kubernetes.io/managed-by`, and the maps that
/// leaves empty. skygen leaves them out (docs/helm-compat.md).
pub fn strip_helm_metadata(meta: &mut serde_json::Value) {
    let Some(m) = meta.as_object_mut() else {
        return;
    };
    for field in ["labels", "annotations"] {
        if let Some(map) = m.get_mut(field).and_then(|x| x.as_object_mut()) {
            map.retain(|k, _| !k.starts_with("helm.sh/") && k != "app.kubernetes.io/managed-by");
            if map.is_empty() {
                m.remove(field);
            }
        }
    }
}

/// `"word"` → `word` in a script line when the word has no character the shell treats
/// specially: the two spell the same shell word, so the quotes carry no meaning.
pub fn unquote_safe_words(line: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c);
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('"') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('"') {
            Some(end) if end > 0 && after[..end].chars().all(safe) => {
                out.push_str(&after[..end]);
                rest = &after[end + 1..];
            }
            _ => {
                out.push('"');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `tests/fixtures/reference`: values and real `helm template` output for them.
pub fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reference")
}

/// `# release: X` and `# namespace: Y` at the top of a values file.
pub fn release_of(values_text: &str) -> Release {
    let mut release = Release {
        name: "skypilot".into(),
        namespace: "skypilot".into(),
        kube_version: (1, 35),
    };
    for line in values_text.lines().take(3) {
        if let Some(r) = line.strip_prefix("# release: ") {
            release.name = r.trim().into();
        }
        if let Some(n) = line.strip_prefix("# namespace: ") {
            release.namespace = n.trim().into();
        }
    }
    release
}

/// The names of the reference cases that have a Helm output.
pub fn reference_cases() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(reference_dir())
        .expect("fixtures exist")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".helm-output.yaml"))
                .map(str::to_owned)
        })
        .collect();
    names.sort();
    names
}

/// The inputs of a reference case: its values file, with the release its header names.
pub fn reference_inputs(name: &str) -> Inputs {
    let path = reference_dir().join(format!("{name}.values.yaml"));
    let text = std::fs::read_to_string(&path).expect("values fixture");
    Inputs {
        sources: vec![ValueSource::File(path.to_string_lossy().into_owned())],
        overlays: vec![],
        release: release_of(&text),
        allow_vulnerable_ingress_nginx: false,
        skypilot_version: None,
        lifecycle: Default::default(),
    }
}

/// skygen's render of a reference case's values, with the release its header names.
pub fn render_reference(name: &str) -> Vec<Value> {
    let inputs = reference_inputs(name);
    match skygen::render_deployment(&inputs, &mut std::io::empty()) {
        Ok(r) => r.objects.into_objects(),
        Err(d) => panic!("{name}: skygen refused the values: {d:#?}"),
    }
}

/// Run `skygen render --format json -f - ARGS…` in process, with `yaml` as the values on stdin.
pub fn run_render(yaml: &str, args: &[&str]) -> skygen::Outcome {
    let mut argv: Vec<String> = ["skygen", "render", "--format", "json", "-f", "-"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    argv.extend(args.iter().map(|s| s.to_string()));
    skygen::run(argv, &mut yaml.as_bytes()).expect("arguments parse")
}

/// Render values (YAML text) with these arguments and return the objects; panics with the
/// diagnostics if the render fails.
pub fn render_with(yaml: &str, args: &[&str]) -> Vec<Value> {
    let out = run_render(yaml, args);
    let messages: Vec<String> = out.diagnostics.iter().map(|d| d.render()).collect();
    assert_eq!(out.status, skygen::ExitStatus::Success, "{messages:#?}");
    let list: Value = serde_json::from_str(&out.stdout).expect("JSON output");
    list["items"].as_array().expect("a List").clone()
}

/// Render values that must be refused; return every message, rendered as the user sees it.
pub fn refused(yaml: &str) -> String {
    let out = run_render(yaml, &[]);
    assert_eq!(out.status, skygen::ExitStatus::Error, "{yaml} was accepted");
    assert!(out.stdout.is_empty());
    out.diagnostics
        .iter()
        .map(|d| d.render())
        .collect::<Vec<_>>()
        .join("\n")
}

/// [`render_with`] without arguments.
pub fn render(yaml: &str) -> Vec<Value> {
    render_with(yaml, &[])
}

/// The object of this kind and name; panics listing the objects there are.
pub fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in {:?}", names(objects)))
}

/// `Kind/name` of each object.
pub fn names(objects: &[Value]) -> Vec<String> {
    objects
        .iter()
        .map(|o| {
            format!(
                "{}/{}",
                o["kind"].as_str().unwrap_or("?"),
                o["metadata"]["name"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

/// Flags for RollingUpdate (an external database, no chart volume).
pub const ROLLING: &[&str] = &[
    "--set",
    "apiService.upgradeStrategy=RollingUpdate",
    "--set",
    "apiService.dbConnectionString=postgresql://db.example.com/sky",
    "--set",
    "storage.enabled=false",
];

/// Cases per property test: `PROPTEST_CASES` when set (for a longer hunt), else `default`.
pub fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(default)
}
