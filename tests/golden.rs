//! Golden renders: each `tests/cases/NAME.values.yaml` (release, namespace and extra `args:`
//! such as `--overlay eks` in its first comment lines, as `tests/oracles.rs` reads them)
//! renders exactly to `tests/golden/NAME.yaml`. A person read every golden file
//! before it was committed; `tests/oracles.rs` checks the same renders with independent YAML
//! readers and the Kubernetes schemas. Set `UPDATE_GOLDEN=1` to rewrite the files after an
//! intended change, then read the diff.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn header(text: &str, key: &str, default: &str) -> String {
    text.lines()
        .take(3)
        .find_map(|l| {
            l.strip_prefix(&format!("# {key}: "))
                .map(|v| v.trim().to_owned())
        })
        .unwrap_or_else(|| default.to_owned())
}

fn render(case: &Path, format: &str) -> (String, String, i32) {
    let text = std::fs::read_to_string(case).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_skygen"))
        .args([
            "render",
            "--release-name",
            &header(&text, "release", "skypilot"),
        ])
        .args([
            "-n",
            &header(&text, "namespace", "skypilot"),
            "--format",
            format,
            "-f",
        ])
        .arg(case)
        .args(header(&text, "args", "").split_whitespace())
        .current_dir(root())
        .output()
        .expect("skygen runs");
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code().unwrap_or(-1),
    )
}

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root().join("tests/cases"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".values.yaml"))
        .collect();
    cases.sort();
    cases
}

#[test]
fn renders_match_golden_files() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    let cases = cases();
    assert!(cases.len() >= 12, "golden cases missing: {cases:?}");
    for case in cases {
        let name = case
            .file_name()
            .unwrap()
            .to_string_lossy()
            .trim_end_matches(".values.yaml")
            .to_owned();
        let (stdout, stderr, code) = render(&case, "yaml");
        if code != 0 {
            failures.push(format!("{name}: exit {code}\n{stderr}"));
            continue;
        }
        let golden = root().join(format!("tests/golden/{name}.yaml"));
        if update {
            std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
            std::fs::write(&golden, &stdout).unwrap();
            continue;
        }
        match std::fs::read_to_string(&golden) {
            Ok(want) if want == stdout => {}
            Ok(want) => {
                let first = want
                    .lines()
                    .zip(stdout.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or(0);
                failures.push(format!(
                    "{name}: differs from {} from line {}:\n  golden: {:?}\n  now:    {:?}",
                    golden.display(),
                    first + 1,
                    want.lines().nth(first),
                    stdout.lines().nth(first)
                ));
            }
            Err(_) => failures.push(format!(
                "{name}: no golden file {} (run with UPDATE_GOLDEN=1)",
                golden.display()
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_same_inputs_render_byte_identical_output() {
    for case in cases() {
        assert_eq!(
            render(&case, "yaml").0,
            render(&case, "yaml").0,
            "{}",
            case.display()
        );
    }
}

#[test]
fn json_and_yaml_outputs_hold_the_same_objects() {
    for case in cases() {
        let (yaml_text, _, _) = render(&case, "yaml");
        let (json_text, _, _) = render(&case, "json");
        let list: serde_json::Value = serde_json::from_str(&json_text).unwrap();
        assert_eq!(list["kind"], "List");
        let docs: Vec<serde_json::Value> = skygen::yaml::read_stream(&yaml_text)
            .unwrap()
            .into_iter()
            .map(|d| d.value)
            .collect();
        assert_eq!(
            list["items"].as_array().unwrap(),
            &docs,
            "{}",
            case.display()
        );
    }
}
