//! Shell, editor and man integration (issue 16): `completion`, `man`, `values` (the schema line,
//! `--effective`, `--show-origin`), the long `--version`, and the README's install and GitOps
//! commands. Runs the binary, as a user would.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

use common::TempDir;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn skygen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_skygen"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("skygen runs")
}

fn stdout(args: &[&str]) -> String {
    let out = skygen(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn yaml(text: &str) -> Value {
    skygen::yaml::read_one(text)
        .unwrap_or_else(|e| panic!("not YAML ({e:?}):\n{text}"))
        .value
}

#[test]
fn completion_scripts_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout(&["completion", shell]);
        assert!(script.contains("skygen"), "{shell}");
        // Subcommands and flags are completed.
        for word in ["render", "overlay", "show-origin"] {
            assert!(script.contains(word), "{shell}: {word}");
        }
    }
    // bash parses its script (bash is always there; the other shells may not be).
    let dir = TempDir::new("completion");
    let file = dir.write("skygen.bash", stdout(&["completion", "bash"]));
    let check = Command::new("bash")
        .args(["-n", &file])
        .output()
        .expect("bash");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let bad = skygen(&["completion", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(bad.stdout.is_empty());
}

#[test]
fn man_page_is_roff_with_every_subcommand() {
    let page = stdout(&["man"]);
    assert!(
        page.contains(".TH skygen 1"),
        "{}",
        &page[..page.len().min(300)]
    );
    for sub in [
        "render",
        "diff",
        "validate",
        "values",
        "schema",
        "overlays",
        "completion",
        "man",
    ] {
        assert!(page.contains(sub), "man page lists {sub}");
    }
    // The version section carries the long version.
    assert!(page.contains("147db0f6"));
    // groff reads it without warnings, where groff is installed.
    if let Ok(out) = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(page.as_bytes())?;
            child.wait_with_output()
        })
    {
        assert!(out.status.success());
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn version_names_the_upstream_commit_and_bundled_versions() {
    let long = stdout(&["--version"]);
    let short = stdout(&["-V"]);
    assert_eq!(
        short.trim(),
        format!("skygen {}", env!("CARGO_PKG_VERSION"))
    );
    // The commit docs/helm-compat.md says skygen reproduces.
    let compat = std::fs::read_to_string(root().join("docs/helm-compat.md")).unwrap();
    let commit = compat
        .split("reference commit\n`")
        .nth(1)
        .and_then(|s| s.split('`').next())
        .expect("docs/helm-compat.md names the reference commit");
    assert!(long.contains(&format!("at commit {commit}")), "{long}");
    // The chart version Helm wrote into the reference output's labels, and the default tag.
    let helm = std::fs::read_to_string(
        root().join("tests/fixtures/reference/minimal-rbac.helm-output.yaml"),
    )
    .unwrap();
    let chart = helm
        .split("helm.sh/chart: ingress-nginx-")
        .nth(1)
        .and_then(|s| s.lines().next())
        .expect("helm's chart label");
    assert!(
        long.contains(&format!("ingress-nginx: chart {chart}, ")),
        "{long}"
    );
    let defaults = yaml(&stdout(&["values"]));
    let tag = defaults["ingress-nginx"]["controller"]["image"]["tag"]
        .as_str()
        .unwrap();
    assert!(long.contains(&format!("controller {tag}, ")), "{long}");
    assert!(long.contains("kube-webhook-certgen v1.6.0"), "{long}");
}

#[test]
fn values_starts_with_the_schema_line_for_editors() {
    let text = stdout(&["values"]);
    let first = text.lines().next().unwrap();
    assert_eq!(first, "# yaml-language-server: $schema=values.schema.json");
    // The schema it names is what `skygen schema` prints (the committed schema, tests/schema.rs).
    let schema: Value = serde_json::from_str(&stdout(&["schema"])).unwrap();
    assert_eq!(schema["type"], "object");
    // Input flags belong to --effective.
    let out = skygen(&["values", "--set", "a=b"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--set only with --effective"));
    assert!(out.stdout.is_empty());
}

#[test]
fn effective_values_merge_overlays_files_and_flags_with_origins() {
    let dir = TempDir::new("effective");
    // storage.size on line 3, column 9.
    let file = dir.write(
        "values.yaml",
        "# mine\nstorage:\n  size: 30Gi\n  accessMode: ReadWriteOnce\n",
    );
    let args = [
        "values",
        "--effective",
        "-f",
        &file,
        "--overlay",
        "eks",
        "--set",
        "apiService.replicas=2",
    ];
    let plain = stdout(&args);
    assert!(plain.starts_with("# yaml-language-server: $schema=values.schema.json\n"));
    let v = yaml(&plain);
    assert_eq!(v["storage"]["size"], "30Gi");
    assert_eq!(v["storage"]["storageClassName"], "skypilot-gp3");
    assert_eq!(v["apiService"]["replicas"], 2);
    // Every key is there, defaults included (as `helm get values --all`).
    assert_eq!(
        v["apiService"]["image"],
        "berkeleyskypilot/skypilot-nightly:latest"
    );

    let mut with = args.to_vec();
    with.push("--show-origin");
    let shown = stdout(&with);
    assert_eq!(yaml(&shown), v, "comments change nothing");
    let line = |key: &str| {
        shown
            .lines()
            .find(|l| l.starts_with(key))
            .unwrap_or_else(|| panic!("no {key} line:\n{shown}"))
            .to_owned()
    };
    assert!(
        line("  size:").ends_with(&format!("# {file}:3:9")),
        "{}",
        line("  size:")
    );
    assert!(line("  replicas:").ends_with("# --set apiService.replicas=2"));
    assert!(line("  storageClassName:").contains("# built-in overlay 'eks' (overlay.yaml line "));
    assert!(line("  image:").ends_with("# <defaults>"));

    // Invalid inputs fail as render fails them: exit 2, nothing on stdout.
    let out = skygen(&["values", "--effective", "--set", "storage.size=lots"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(!out.stderr.is_empty());
}

#[test]
fn readme_shows_install_completions_and_the_three_gitops_paths() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let install = readme
        .split("## Install")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("README has an Install section");
    for cmd in [
        "cargo install --locked --path .",
        "skygen completion bash >",
        "skygen completion zsh >",
        "skygen completion fish >",
        "skygen man >",
        "skygen schema > values.schema.json",
    ] {
        assert!(install.contains(cmd), "README install section: {cmd}");
    }
    let gitops = readme
        .split("## GitOps")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("README has a GitOps section");
    for path in [
        "**kubectl.**",
        "**Argo CD.**",
        "**Flux.**",
        "kubectl apply -k deploy/skypilot",
    ] {
        assert!(gitops.contains(path), "README GitOps section: {path}");
    }
    // Its skygen commands run, in order, in a scratch directory.
    let dir = TempDir::new("readme");
    dir.write("values.yaml", "ingress:\n  host: sky.example.com\n");
    let mut ran = 0;
    for line in gitops.lines().map(str::trim) {
        let line = line.split("   #").next().unwrap_or_default().trim();
        let line = line.split(" | ").next().unwrap_or_default();
        let line = match line.strip_prefix("mkdir -p deploy && ") {
            Some(rest) => {
                std::fs::create_dir_all(dir.join("deploy")).unwrap();
                rest
            }
            None => line,
        };
        let Some(rest) = line.strip_prefix("skygen ") else {
            continue;
        };
        let out = Command::new(env!("CARGO_BIN_EXE_skygen"))
            .args(rest.split_whitespace())
            .current_dir(dir.join(""))
            .output()
            .expect("skygen runs");
        assert!(
            out.status.success(),
            "README: `{line}`: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        ran += 1;
    }
    assert_eq!(ran, 5, "render, render -o, argocd, flux, diff --against");
}

#[test]
fn effective_values_take_one_release() {
    let out = skygen(&[
        "values",
        "--effective",
        "--release-name",
        "a",
        "--release-name",
        "b",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("one --release-name"));
}
