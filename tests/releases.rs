//! Several releases in one run (`--release-name` given more than once, #11): the output is
//! exactly what one run per release gives, in the order the names were given, whether it goes to
//! stdout (YAML or JSON) or to `-o DIR` (one directory per release); standard input is read
//! once and used for every release.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::TempDir;

const VALUES: &str = "ingress:\n  host: sky.example.com\nawsCredentials:\n  enabled: true\n";

fn skygen(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_skygen"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("skygen runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn several_releases_equal_one_run_each() {
    let both = stdout(&skygen(
        &[
            "render",
            "-f",
            "-",
            "--release-name",
            "blue",
            "--release-name",
            "green",
        ],
        VALUES,
    ));
    let blue = stdout(&skygen(
        &["render", "-f", "-", "--release-name", "blue"],
        VALUES,
    ));
    let green = stdout(&skygen(
        &["render", "-f", "-", "--release-name", "green"],
        VALUES,
    ));
    assert!(blue.contains("name: blue-api-server"));
    assert_eq!(both, format!("{blue}{green}"));

    // Each release name becomes `--release-name NAME`.
    let json = |releases: &[&str]| -> serde_json::Value {
        let mut args = vec!["render", "-f", "-", "--format", "json"];
        for r in releases {
            args.extend(["--release-name", r]);
        }
        serde_json::from_str(&stdout(&skygen(&args, VALUES))).unwrap()
    };
    let both = json(&["blue", "green"]);
    let blue = json(&["blue"]);
    let green = json(&["green"]);
    let mut items = blue["items"].as_array().unwrap().clone();
    items.extend(green["items"].as_array().unwrap().iter().cloned());
    assert_eq!(both["items"], serde_json::Value::Array(items));
}

#[test]
fn several_releases_write_one_directory_each() {
    let tmp = TempDir::new("dirs");
    let out = tmp.join("out");
    stdout(&skygen(
        &[
            "render",
            "-f",
            "-",
            "-o",
            &out,
            "--release-name",
            "blue",
            "--release-name",
            "green",
        ],
        VALUES,
    ));
    let single = tmp.join("single");
    stdout(&skygen(
        &[
            "render",
            "-f",
            "-",
            "-o",
            &single,
            "--release-name",
            "green",
        ],
        VALUES,
    ));
    let read = |dir: &str| -> Vec<(String, String)> {
        let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
            .collect();
        files.sort();
        files
    };
    assert_eq!(read(&format!("{out}/green")), read(&single));
    assert!(std::path::Path::new(&format!("{out}/blue/kustomization.yaml")).is_file());
}

#[test]
fn a_release_given_twice_is_refused() {
    let out = skygen(
        &["render", "--release-name", "a", "--release-name", "a"],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("release name `a` is given twice"));
}

#[test]
fn validate_reports_each_release() {
    let out = skygen(
        &["validate", "--release-name", "a", "--release-name", "b"],
        "",
    );
    let text = stdout(&out);
    assert!(
        text.starts_with("ok: a: ") && text.contains("\nok: b: "),
        "{text}"
    );
}
