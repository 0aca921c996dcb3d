//! Oracle tests: independent checkers run on every rendered output.
//!
//! Each `tests/cases/*.values.yaml` (sorted) is rendered by the skygen binary
//! as `render --release-name NAME -n NS -f CASE --format yaml|json [ARGS...]`,
//! where the case file's leading comment lines may set
//!
//! ```text
//! # release: NAME      (default skypilot)
//! # namespace: NS      (default skypilot)
//! # args: --flag value (optional, split on whitespace)
//! ```
//!
//! Both outputs are written to a fresh directory under the system temp dir and
//! handed to the checkers that `tests/oracles/install.sh` installs (see
//! `tests/oracles/README.md`):
//!
//! - `python3 tests/oracles/check.py STREAM.yaml LIST.json`: `PyYAML` (YAML 1.1)
//!   reads the stream as exactly the JSON List's items, and every item passes
//!   kubernetes-validate strict for Kubernetes 1.30 and 1.35;
//! - `target/oracles/k8syaml STREAM.yaml LIST.json`: kubectl's YAML reader
//!   (sigs.k8s.io/yaml) reads the stream as exactly the JSON List's items.
//!
//! Every case is checked; all failures are reported together. The temp
//! directory is removed when all cases pass and kept (its path is in the panic
//! message) when one fails.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

const INSTALL_HINT: &str = "run tests/oracles/install.sh first";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

struct Case {
    name: String,
    file: PathBuf,
    release: String,
    namespace: String,
    args: Vec<String>,
}

fn cases() -> Vec<Case> {
    let dir = root().join("tests/cases");
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("reading tests/cases").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".values.yaml"))
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no tests/cases/*.values.yaml found");
    files
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
            let name = file.file_name().unwrap().to_string_lossy();
            let mut case = Case {
                name: name.trim_end_matches(".values.yaml").to_string(),
                file: file.clone(),
                release: "skypilot".into(),
                namespace: "skypilot".into(),
                args: Vec::new(),
            };
            for line in text.lines().take(3) {
                let Some(comment) = line.strip_prefix('#') else {
                    break;
                };
                let comment = comment.trim();
                if let Some(v) = comment.strip_prefix("release:") {
                    case.release = v.trim().to_string();
                } else if let Some(v) = comment.strip_prefix("namespace:") {
                    case.namespace = v.trim().to_string();
                } else if let Some(v) = comment.strip_prefix("args:") {
                    case.args = v.split_whitespace().map(String::from).collect();
                }
            }
            case
        })
        .collect()
}

/// Renders `case` in `format` into `out`; on failure returns the command and its stderr.
fn render(case: &Case, format: &str, out: &Path) -> Result<(), String> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_skygen"));
    cmd.args([
        "render",
        "--release-name",
        &case.release,
        "-n",
        &case.namespace,
        "-f",
    ])
    .arg(&case.file)
    .args(["--format", format])
    .args(&case.args)
    .current_dir(root());
    let output = cmd
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{cmd:?} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    std::fs::write(out, &output.stdout).map_err(|e| format!("cannot write {}: {e}", out.display()))
}

fn unique_temp_dir(oracle: &str) -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "skygen-oracle-{oracle}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// Renders every case and runs `checker(yaml, json)` on it; panics with all failures.
fn run_oracle(oracle: &str, checker: impl Fn(&Path, &Path) -> Command) {
    let dir = unique_temp_dir(oracle);
    let cases = cases();
    let mut failures = Vec::new();
    for case in &cases {
        let yaml = dir.join(format!("{}.yaml", case.name));
        let json = dir.join(format!("{}.json", case.name));
        if let Err(e) = render(case, "yaml", &yaml).and_then(|()| render(case, "json", &json)) {
            failures.push(format!("== {}: render failed: {e}", case.name));
            continue;
        }
        let mut cmd = checker(&yaml, &json);
        let output = match cmd.current_dir(root()).output() {
            Ok(o) => o,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                panic!("{oracle}: cannot run {cmd:?}: {e}: {INSTALL_HINT}")
            }
            Err(e) => panic!("{oracle}: cannot run {cmd:?}: {e}"),
        };
        if !output.status.success() {
            failures.push(format!(
                "== {}: {oracle} failed ({}):\n{}{}",
                case.name,
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    if failures.is_empty() {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        panic!(
            "{} of {} cases failed the {oracle} oracle (rendered files kept in {}):\n\n{}",
            failures.len(),
            cases.len(),
            dir.display(),
            failures.join("\n")
        );
    }
}

#[test]
fn pyyaml_reads_json_items_and_schemas_pass_strict() {
    let check = root().join("tests/oracles/check.py");
    let deps = Command::new("python3")
        .args(["-c", "import yaml, kubernetes_validate"])
        .output();
    match deps {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "python3 cannot import yaml and kubernetes_validate: {INSTALL_HINT}\n{}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!("cannot run python3: {e}: {INSTALL_HINT}"),
    }
    run_oracle("check.py", |yaml, json| {
        let mut cmd = Command::new("python3");
        cmd.arg(&check).arg(yaml).arg(json);
        cmd
    });
}

#[test]
fn kubectl_yaml_reader_reads_json_items() {
    let k8syaml = root().join("target/oracles/k8syaml");
    assert!(
        k8syaml.is_file(),
        "{} is missing: {INSTALL_HINT}",
        k8syaml.display()
    );
    run_oracle("k8syaml", |yaml, json| {
        let mut cmd = Command::new(&k8syaml);
        cmd.arg(yaml).arg(json);
        cmd
    });
}

/// `schema/kubernetes.jsonl` is what `scripts/kube-schemas.py` makes from the installed
/// kubernetes-validate (its pinned version is in tests/oracles/install.sh).
#[test]
fn generated_kubernetes_types_are_current() {
    let script = root().join("scripts/kube-schemas.py");
    assert_python_succeeds(&[script.as_os_str(), "--check".as_ref()]);
}

/// Run python3 with `args`; fail with its output unless it exits 0.
fn assert_python_succeeds(args: &[&std::ffi::OsStr]) {
    let out = Command::new("python3")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3: {e}: {INSTALL_HINT}"));
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every object of tests/fixtures/kubecheck/refused.yaml that breaks the JSON schema (not
/// marked `# beyond-schema`) is refused by kubernetes-validate (strict, 1.30 and 1.35) too:
/// skygen's check refuses nothing Kubernetes accepts there.
#[test]
fn kubernetes_validate_refuses_the_refused_fixtures() {
    let script = r##"
import sys, yaml, kubernetes_validate
text = open(sys.argv[1]).read()
bad = []
for chunk in text.split("\n---\n")[1:]:
    if "# beyond-schema" in chunk:
        continue
    obj = yaml.safe_load(chunk)
    for v in ("1.30", "1.35"):
        try:
            kubernetes_validate.validate(obj, v, strict=True)
            bad.append(f"{v}: {obj['metadata']} passes")
        except kubernetes_validate.ValidationError:
            pass
print("\n".join(bad))
sys.exit(1 if bad else 0)
"##;
    let fixtures = root().join("tests/fixtures/kubecheck/refused.yaml");
    assert_python_succeeds(&["-c".as_ref(), script.as_ref(), fixtures.as_os_str()]);
}
