//! docs/gitops.md runs as written: every `skygen` command in its `sh` blocks (and in the CI
//! workflow's `run:` steps) runs in one scratch directory, in page order, with a small values
//! file, and exits 0; every YAML block parses and has the shape its tool expects (the Argo CD
//! plugin, sidecar and Applications, the Flux Kustomization, the workflow); the plugin's
//! `generate` command runs the way argocd-cmp-server runs it.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::TempDir;
use serde_json::Value;

const VALUES: &str = "ingress:\n  host: sky.example.com\n";

fn docs() -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(root.join("docs/gitops.md")).expect("docs/gitops.md")
}

/// The fenced blocks of a Markdown text: (info string, body).
fn fences(md: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in md.lines() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => open = Some((info.trim().to_owned(), String::new())),
            (Some(_), Some(_)) => out.push(open.take().expect("open block")),
            (Some((_, body)), None) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "docs/gitops.md has an unclosed code block");
    out
}

/// The `skygen` command lines of a shell block: continuations joined, comments and anything
/// after a pipe (`| kubectl apply -f -`) dropped.
fn skygen_lines(sh: &str) -> Vec<String> {
    sh.replace("\\\n", " ")
        .lines()
        .map(|l| l.split(" #").next().unwrap_or_default())
        .map(|l| l.split(" | ").next().unwrap_or_default().trim().to_owned())
        .filter(|l| l.starts_with("skygen "))
        .collect()
}

/// Run one documented command line in `dir`; it must exit 0.
fn run_line(dir: &Path, line: &str) {
    assert!(
        !line.contains(['"', '\'', '$', '*']),
        "keep documented commands free of shell syntax (or extend this test): {line}"
    );
    let words: Vec<&str> = line.split_whitespace().collect();
    let out = Command::new(env!("CARGO_BIN_EXE_skygen"))
        .args(&words[1..])
        .current_dir(dir)
        .output()
        .expect("skygen runs");
    assert!(
        out.status.success(),
        "`{line}` exited {:?}:\n{}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every YAML block, by the file name on its first line (`# plugin.yaml`).
fn yaml_blocks(blocks: &[(String, String)]) -> BTreeMap<String, (String, Value)> {
    let mut out = BTreeMap::new();
    for (info, body) in blocks.iter().filter(|(i, _)| i == "yaml") {
        let name = body
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# "))
            .unwrap_or_else(|| panic!("a ```{info} block must start with `# FILE`:\n{body}"))
            .trim()
            .to_owned();
        let docs = skygen::yaml::read_stream(body)
            .unwrap_or_else(|e| panic!("{name} in docs/gitops.md does not parse: {e:?}"));
        assert_eq!(docs.len(), 1, "{name}: one document");
        let value = docs.into_iter().next().expect("one document").value;
        assert!(
            out.insert(name.clone(), (body.clone(), value)).is_none(),
            "two blocks named {name}"
        );
    }
    out
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn check_application(name: &str, app: &Value) {
    assert_eq!(app["apiVersion"], "argoproj.io/v1alpha1", "{name}");
    assert_eq!(app["kind"], "Application", "{name}");
    let ignored = app["spec"]["ignoreDifferences"]
        .as_array()
        .unwrap_or_else(|| panic!("{name}: spec.ignoreDifferences"));
    assert!(
        ignored
            .iter()
            .any(|i| i["group"] == "admissionregistration.k8s.io"
                && i["kind"] == "ValidatingWebhookConfiguration"
                && strs(&i["jqPathExpressions"])
                    .iter()
                    .any(|p| p.contains("clientConfig.caBundle"))),
        "{name}: ignoreDifferences must cover the webhook caBundle"
    );
    assert!(
        strs(&app["spec"]["syncPolicy"]["syncOptions"]).contains(&"RespectIgnoreDifferences=true"),
        "{name}: RespectIgnoreDifferences=true"
    );
}

#[test]
fn gitops_page_commands_run_and_its_files_parse() {
    let md = docs();
    let blocks = fences(&md);
    let dir = TempDir::new("gitops");
    let work = PathBuf::from(dir.join(""));
    dir.write("values.yaml", VALUES);
    dir.write("skygen-values.yaml", VALUES);

    // The shell blocks, in page order.
    let mut ran = Vec::new();
    for (_, body) in blocks.iter().filter(|(i, _)| i == "sh") {
        for parent in body.lines().filter_map(|l| l.strip_prefix("mkdir -p ")) {
            let parent = parent.split(" #").next().unwrap_or_default().trim();
            std::fs::create_dir_all(work.join(parent)).expect("mkdir -p");
        }
        for line in skygen_lines(body) {
            run_line(&work, &line);
            ran.push(line);
        }
    }
    for needed in [
        "skygen render -f values.yaml --overlay argocd -o deploy/skypilot",
        "skygen render -f values.yaml --overlay flux -o deploy/skypilot",
        "skygen diff --against deploy/skypilot -f values.yaml --overlay flux",
    ] {
        assert!(
            ran.iter().any(|l| l == needed),
            "docs/gitops.md no longer shows `{needed}`"
        );
    }
    assert!(work.join("deploy/skypilot/kustomization.yaml").exists());

    let files = yaml_blocks(&blocks);
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            ".github/workflows/skygen.yml",
            "application-plugin.yaml",
            "application.yaml",
            "argocd-repo-server-patch.yaml",
            "flux-kustomization.yaml",
            "plugin.yaml",
        ]
    );

    // The Config Management Plugin: its shape, then its generate command as the sidecar runs it.
    let plugin = &files["plugin.yaml"].1;
    assert_eq!(plugin["apiVersion"], "argoproj.io/v1alpha1");
    assert_eq!(plugin["kind"], "ConfigManagementPlugin");
    let spec = &plugin["spec"];
    let discover = spec["discover"]["fileName"]
        .as_str()
        .expect("discover.fileName");
    assert!(work.join(discover).exists(), "discover.fileName {discover}");
    let mut argv = strs(&spec["generate"]["command"]);
    argv.extend(strs(&spec["generate"]["args"]));
    assert!(argv.len() >= 2, "generate.command and args: {argv:?}");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_skygen"))
        .parent()
        .expect("binary directory");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(argv[0])
        .args(&argv[1..])
        .current_dir(&work)
        .env("PATH", path)
        .env("ARGOCD_APP_NAME", "skypilot")
        .env("ARGOCD_APP_NAMESPACE", "skypilot")
        .env_remove("ARGOCD_ENV_RELEASE_NAME")
        .output()
        .expect("the plugin's generate command runs");
    assert!(
        out.status.success(),
        "generate: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rendered = skygen::yaml::read_stream(&String::from_utf8_lossy(&out.stdout))
        .expect("generate prints YAML");
    let hooks = rendered
        .iter()
        .filter(|d| d.value["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "Sync")
        .count();
    assert_eq!(hooks, 2, "generate renders with the argocd overlay");

    // The Applications: the webhook caBundle ignored; the plugin one names the plugin.
    check_application("application.yaml", &files["application.yaml"].1);
    assert_eq!(
        files["application.yaml"].1["spec"]["source"]["path"],
        "deploy/skypilot"
    );
    let app = &files["application-plugin.yaml"].1;
    check_application("application-plugin.yaml", app);
    assert_eq!(
        app["spec"]["source"]["plugin"]["name"].as_str(),
        Some(format!(
            "{}-{}",
            plugin["metadata"]["name"].as_str().expect("plugin name"),
            spec["version"].as_str().expect("plugin version")
        ))
        .as_deref(),
        "an Application names a versioned plugin <name>-<version>"
    );

    // The sidecar: argocd-cmp-server, the plugin file where it looks for it, volumes that exist.
    let pod = &files["argocd-repo-server-patch.yaml"].1["spec"]["template"]["spec"];
    let sidecar = &pod["containers"][0];
    assert_eq!(
        strs(&sidecar["command"]),
        ["/var/run/argocd/argocd-cmp-server"]
    );
    let mounts = sidecar["volumeMounts"].as_array().expect("volumeMounts");
    assert!(mounts.iter().any(
        |m| m["mountPath"] == "/home/argocd/cmp-server/config/plugin.yaml"
            && m["subPath"] == "plugin.yaml"
    ));
    let volumes: Vec<&str> = pod["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    for m in mounts {
        let name = m["name"].as_str().expect("mount name");
        // var-files and plugins are volumes of the argocd-repo-server Deployment itself.
        assert!(
            volumes.contains(&name) || ["var-files", "plugins"].contains(&name),
            "mount {name} has no volume"
        );
    }

    // Flux: the Kustomization applies the directory the render wrote.
    let ks = &files["flux-kustomization.yaml"].1;
    assert_eq!(ks["apiVersion"], "kustomize.toolkit.fluxcd.io/v1");
    assert_eq!(ks["kind"], "Kustomization");
    assert_eq!(ks["spec"]["prune"], true);
    let ks_path = ks["spec"]["path"].as_str().expect("spec.path");
    assert!(
        work.join(ks_path).join("kustomization.yaml").exists(),
        "{ks_path}"
    );

    // The CI workflow: the drift check passes; the review comment compares a base checkout
    // (here: the same values with a bigger volume) with the pull request's render.
    let wf = &files[".github/workflows/skygen.yml"].1;
    let steps = wf["jobs"]["drift"]["steps"].as_array().expect("steps");
    let lines: Vec<&str> = steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .flat_map(str::lines)
        .map(str::trim)
        .filter(|l| l.starts_with("skygen "))
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with("skygen diff --against"),
        "{}",
        lines[0]
    );
    run_line(&work, lines[0]);
    std::fs::create_dir_all(work.join("base/deploy")).expect("mkdir");
    run_line(
        &work,
        "skygen render -f values.yaml --overlay flux --set storage.size=20Gi -o base/deploy/skypilot",
    );
    let (cmd, file) = lines[1]
        .split_once(" > ")
        .expect("the review goes to a file");
    assert!(cmd.contains("--format markdown"), "{cmd}");
    let out = Command::new(env!("CARGO_BIN_EXE_skygen"))
        .args(cmd.split_whitespace().skip(1))
        .current_dir(&work)
        .output()
        .expect("skygen runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let review = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        review.starts_with("### skygen diff: 1 changed"),
        "{file}:\n{review}"
    );
    assert!(review.contains("PersistentVolumeClaim"), "{review}");

    // And the drift check fails once the committed render is stale.
    let stale = Command::new(env!("CARGO_BIN_EXE_skygen"))
        .args([
            "diff",
            "--against",
            "deploy/skypilot",
            "-f",
            "values.yaml",
            "--overlay",
            "flux",
            "--set",
            "storage.size=50Gi",
        ])
        .current_dir(&work)
        .output()
        .expect("skygen runs");
    assert_eq!(stale.status.code(), Some(1));
}
