//! `apiService.config` and `apiService.sshNodePools` are checked against the SkyPilot release in
//! the image (#15): valid configs from the deployment guide and the chart pass for every
//! committed release, wrong ones are refused with the line and column in the user's file, and the
//! release is read from every tag form. Expected positions are counted by hand in the texts below;
//! the verdicts (which configs each release refuses) were checked with the releases' own Python
//! validator (`sky.utils.common_utils.validate_schema`, server view) for 0.10.0, 0.12.3, 0.13.0
//! and 0.14.1.

mod common;

use common::TempDir;

struct Out {
    status: i32,
    stderr: String,
}

fn run(args: &[&str]) -> Out {
    let mut argv = vec!["skygen".to_owned()];
    argv.extend(args.iter().map(|s| s.to_string()));
    let outcome = skygen::run(argv, &mut std::io::empty()).expect("arguments parse");
    // Only what this check says: other stages warn too (the retired ingress-nginx, and that a
    // config seeds the volume once, docs/lifecycle.md).
    let stderr: Vec<String> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.key.as_ref().is_none_or(|k| k.starts_with("apiService")))
        .filter(|d| !d.message.contains("on the first start only"))
        .map(|d| d.render())
        .collect();
    Out {
        status: outcome.status.code(),
        stderr: stderr.join("\n"),
    }
}

/// Exit code 2, and every needle in the messages.
#[track_caller]
fn assert_refused<S: AsRef<str>>(out: &Out, needles: &[S]) {
    assert_eq!(out.status, 2, "{}", out.stderr);
    for needle in needles {
        let needle = needle.as_ref();
        assert!(
            out.stderr.contains(needle),
            "missing {needle:?} in\n{}",
            out.stderr
        );
    }
}

/// Values with `config` as a literal block under `apiService` (header on line 3, content
/// indented by 4: embedded line n, column c is file line 3 + n, column 4 + c).
fn values(image: &str, config: &str) -> String {
    let mut s = format!("apiService:\n  image: {image}\n  config: |\n");
    for line in config.lines() {
        if line.is_empty() {
            s.push('\n');
        } else {
            s.push_str(&format!("    {line}\n"));
        }
    }
    s
}

/// Versions skygen embeds (a unit test checks they are the files under schema/skypilot/).
fn committed() -> Vec<String> {
    skygen::skyconfig::schemas::SCHEMAS
        .iter()
        .map(|e| e.version.to_owned())
        .collect()
}

/// The deployment guide's `--set-file` example: admin policy, controller resources, clouds,
/// contexts.
const GUIDE: &str = "admin_policy: admin_policy_examples.AddLabelsPolicy
jobs:
  controller:
    resources:
      cpus: 2+
allowed_clouds:
  - aws
  - kubernetes
kubernetes:
  allowed_contexts:
    - my-context
    - my-other-context
";

/// The guide's multi-cluster example (the hosting cluster is `in-cluster`) and the least
/// privilege setup (`remote_identity` = the server's ServiceAccount).
const CONTEXTS: &str = "kubernetes:
  # the hosting cluster
  allowed_contexts:
    - in-cluster
    - context1
    - context2
  remote_identity: skypilot-api-sa
";

/// The chart's commented example in values.yaml.
const CHART: &str = "admin_policy: admin_policy_examples.AddLabelsPolicy

kubernetes:
  allowed_contexts:
    - gke_sky-dev-465_us-central1-c_skypilot-test-cluster
    - gke_sky-dev-465_us-central1-c_skypilot-test-cluster-2

jobs:
  controller:
    resources:
      cpus: 2+

allowed_clouds:
  - aws
  - kubernetes
";

const POOLS: &str = "my-cluster:
  hosts:
    - 1.2.3.4
    - 1.2.3.5
my-box:
  hosts:
    - hostname_in_ssh_config
  user: ubuntu
  identity_file: ~/.ssh/id_rsa
  password: null
";

#[test]
fn guide_and_chart_configs_pass_for_every_committed_release() {
    let dir = TempDir::new("valid");
    let versions = committed();
    assert!(versions.len() >= 10, "{versions:?}");
    for (name, config) in [("guide", GUIDE), ("contexts", CONTEXTS), ("chart", CHART)] {
        let mut text = values("berkeleyskypilot/skypilot:0.14.1", config);
        text.push_str("  sshNodePools: |\n");
        for line in POOLS.lines() {
            text.push_str(&format!("    {line}\n"));
        }
        let file = dir.write(&format!("{name}.yaml"), text);
        for v in &versions {
            let out = run(&["validate", "-f", &file, "--skypilot-version", v]);
            assert_eq!(out.status, 0, "{name} with {v}: {}", out.stderr);
            assert!(
                !out.stderr.contains("apiService"),
                "{name} with {v}: {}",
                out.stderr
            );
        }
    }
}

#[test]
fn guide_config_through_set_file_passes() {
    let dir = TempDir::new("setfile-ok");
    let config = dir.write("config.yaml", GUIDE);
    let out = run(&[
        "render",
        "--set-file",
        &format!("apiService.config={config}"),
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(out.stderr, "");
}

/// Each wrong config, the release it runs on, and what the error must say (file line:column
/// then words).
const WRONG: &[(&str, &str, &[&str])] = &[
    (
        "kuberentes:\n  allowed_contexts: [in-cluster]\n",
        "0.14.1",
        &[":4:5: apiService.config: kuberentes: unknown key `kuberentes` — did you mean `kubernetes`?"],
    ),
    (
        "kubernetes:\n  allowed_context:\n    - in-cluster\n",
        "0.14.1",
        &[":5:7: apiService.config: kubernetes.allowed_context: unknown key `allowed_context` — did you mean `allowed_contexts`?"],
    ),
    (
        // The context list as a string.
        "kubernetes:\n  allowed_contexts: in-cluster\n",
        "0.14.1",
        &[":5:25: apiService.config: kubernetes.allowed_contexts: expected a list of strings or `all`, found a string `in-cluster`"],
    ),
    (
        // 0.10.0 has no `all` form.
        "kubernetes:\n  allowed_contexts: in-cluster\n",
        "0.10.0",
        &[":5:25: apiService.config: kubernetes.allowed_contexts: expected a list of strings, found a string `in-cluster`"],
    ),
    (
        "allowed_clouds: aws\nadmin_policy: 3\n",
        "0.14.1",
        &[
            ":4:21: apiService.config: allowed_clouds: expected a list of items, each one of `aws`, ",
            ":5:19: apiService.config: admin_policy: expected ",
            "found an integer 3",
        ],
    ),
    (
        "allowed_clouds:\n  - aws\n  - kubernets\n",
        "0.14.1",
        &[
            ":6:9: apiService.config: allowed_clouds[1]: expected one of `aws`, ",
            "help: did you mean `kubernetes`?",
        ],
    ),
    (
        "kubernetes:\n",
        "0.14.1",
        &[":4:5: apiService.config: kubernetes: expected a mapping, found null (no value)"],
    ),
    (
        // `metrics` exists from 0.14.0 on.
        "metrics:\n  prometheus:\n    port: 9090\n",
        "0.13.0",
        &[
            ":4:5: apiService.config: metrics: unknown key `metrics`",
            "help: `metrics` is known from SkyPilot 0.14.0 on",
        ],
    ),
    (
        // `viewer` came in 0.13.
        "rbac:\n  default_role: viewer\n",
        "0.12.3",
        &[":5:21: apiService.config: rbac.default_role: expected one of `admin`, `user` (any case), found a string `viewer`"],
    ),
    (
        "kubernetes:\n  allowed_contexts: [a\n",
        "0.14.1",
        &[":5:25: apiService.config is not valid YAML"],
    ),
    (
        "- kubernetes\n",
        "0.14.1",
        &[":4:5: apiService.config: must be a mapping of SkyPilot config keys, found a list"],
    ),
];

#[test]
fn wrong_configs_are_refused_with_their_line_and_column() {
    let dir = TempDir::new("wrong");
    for (i, (config, version, needles)) in WRONG.iter().enumerate() {
        let file = dir.write(
            &format!("v{i}.yaml"),
            values(&format!("berkeleyskypilot/skypilot:{version}"), config),
        );
        let out = run(&["render", "-f", &file]);
        assert_eq!(out.status, 2, "case {i}: {}", out.stderr);
        for needle in *needles {
            assert!(
                out.stderr.contains(&format!("error: {file}{needle}"))
                    || (!needle.starts_with(':') && out.stderr.contains(needle)),
                "case {i}: missing {needle:?} in\n{}",
                out.stderr
            );
        }
    }
}

#[test]
fn every_error_is_reported_at_once() {
    let dir = TempDir::new("all");
    let config = "kuberentes: {}\nallowed_clouds: aws\napi_server:\n  endpoint: 3\n  bogus: 1\n";
    let file = dir.write("v.yaml", values("berkeleyskypilot/skypilot:0.14.1", config));
    let out = run(&["validate", "-f", &file]);
    let at = |n: &str| format!("{file}{n}");
    assert_refused(
        &out,
        &[at(":4:5: "), at(":5:21: "), at(":7:17: "), at(":8:7: ")],
    );
    assert_eq!(out.stderr.matches("error: ").count(), 4, "{}", out.stderr);
}

#[test]
fn set_file_errors_point_into_that_file() {
    let dir = TempDir::new("setfile");
    let config = dir.write("config.yaml", "kubernetes:\n  allowed_contxts: [a]\n");
    let out = run(&[
        "render",
        "--set",
        "apiService.image=berkeleyskypilot/skypilot:v0.14.1",
        "--set-file",
        &format!("apiService.config={config}"),
    ]);
    assert_refused(
        &out,
        &[&format!(
            "error: {config}:2:3: apiService.config: kubernetes.allowed_contxts: unknown key"
        )],
    );
}

#[test]
fn set_flag_errors_name_the_flag_and_the_inner_position() {
    let out = run(&["render", "--set-string", "apiService.config=kuberentes: {}"]);
    assert_refused(&out, &["error: --set-string apiService.config=kuberentes: {}: apiService.config: kuberentes: unknown key `kuberentes` — did you mean `kubernetes`? (at line 1, column 1 of the embedded text)"]);
}

#[test]
fn a_quoted_config_names_the_string_and_the_inner_line() {
    let dir = TempDir::new("quoted");
    let file = dir.write(
        "v.yaml",
        "apiService:\n  config: \"kubernetes:\\n  allowed_contxts: [a]\\n\"\n",
    );
    let out = run(&["render", "-f", &file]);
    assert_refused(&out, &[&format!("error: {file}:2:11: apiService.config: kubernetes.allowed_contxts: unknown key `allowed_contxts` — did you mean `allowed_contexts`? (at line 2, column 3 of the embedded text)")]);
}

#[test]
fn minimal_rbac_is_checked_after_it_edits_the_config() {
    let dir = TempDir::new("rbac");
    // The user's typo still points into the user's file after the overlay rewrote the text.
    let file = dir.write("v.yaml", values("berkeleyskypilot/skypilot:0.14.1", "kubernetes:\n  allowed_contexts: [in-cluster]\nallowed_clouds: [kubernetes]\njobz: {}\n"));
    let out = run(&["render", "-f", &file, "--overlay", "minimal-rbac"]);
    assert_refused(
        &out,
        &[&format!(
            "error: {file}:7:5: apiService.config: jobz: unknown key `jobz` — did you mean `jobs`?"
        )],
    );
    // Without the typo, the edited config passes.
    let file = dir.write(
        "ok.yaml",
        values(
            "berkeleyskypilot/skypilot:0.10.0",
            "kubernetes:\n  allowed_contexts: [in-cluster]\n",
        ),
    );
    let out = run(&["validate", "-f", &file, "--overlay", "minimal-rbac"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
}

#[test]
fn an_entry_an_overlay_wrote_names_the_overlay() {
    let dir = TempDir::new("overlay");
    dir.write(
        "mine/overlay.yaml",
        "description: test overlay\nconfig:\n  kubernetes:\n    remote_identiti: me\n",
    );
    let overlay = dir.join("mine");
    let file = dir.write(
        "v.yaml",
        values(
            "berkeleyskypilot/skypilot:0.14.1",
            "allowed_clouds: [kubernetes]\n",
        ),
    );
    let out = run(&["render", "-f", &file, "--overlay", &overlay]);
    assert_refused(&out, &["apiService.config: kubernetes.remote_identiti: unknown key `remote_identiti` — did you mean `remote_identity`? (written by overlay"]);
    assert!(out.stderr.contains("mine/overlay.yaml"), "{}", out.stderr);
}

#[test]
fn invalid_yaml_in_the_block_is_an_error_with_or_without_overlays() {
    let dir = TempDir::new("yaml");
    let file = dir.write(
        "v.yaml",
        values(
            "berkeleyskypilot/skypilot:0.14.1",
            "kubernetes:\n  allowed_contexts: [a\n",
        ),
    );
    for extra in [&[][..], &["--overlay", "minimal-rbac"][..]] {
        let mut args = vec!["render", "-f", &file];
        args.extend_from_slice(extra);
        let out = run(&args);
        assert_refused(
            &out,
            &[format!(
                "error: {file}:5:25: apiService.config is not valid YAML"
            )],
        );
    }
}

/// The schema used for each tag form, seen through which verdict a probe gets: `metrics` exists
/// from 0.14.0, `viewer` from 0.13.0, `managed-job-status-refresh-daemon` up to 0.12.x.
#[test]
fn the_release_is_read_from_each_tag_form() {
    let dir = TempDir::new("tags");
    let newest_nightly = committed()
        .into_iter()
        .filter(|v| v.starts_with("1.0.0.dev"))
        .max()
        .expect("a nightly is committed");
    let date: u32 = newest_nightly["1.0.0.dev".len()..].parse().unwrap();
    let metrics = "metrics:\n  prometheus:\n    port: 9090\n";
    let viewer = "rbac:\n  default_role: viewer\n";
    let check = |image: &str, flag: Option<&str>, config: &str| {
        let file = dir.write("v.yaml", values(image, config));
        let mut args = vec!["validate", "-f", &file];
        if let Some(v) = flag {
            args.extend(["--skypilot-version", v]);
        }
        run(&args)
    };
    // Exact releases, with or without `v`: no note.
    for image in [
        "berkeleyskypilot/skypilot:0.14.1",
        "berkeleyskypilot/skypilot:v0.14.1",
    ] {
        let out = check(image, None, metrics);
        assert_eq!((out.status, out.stderr.as_str()), (0, ""), "{image}");
        assert_eq!(
            check(image.replace("0.14.1", "0.13.0").as_str(), None, metrics).status,
            2
        );
    }
    // A post release whose schema equals its base's is that release.
    let out = check("berkeleyskypilot/skypilot:0.12.3.post1", None, viewer);
    assert_eq!(out.status, 2);
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    // An unknown release: the nearest older one, with a one-line note.
    let out = check("berkeleyskypilot/skypilot:0.13.5", None, viewer);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("warning: ")
            && out.stderr.contains("no schema for SkyPilot 0.13.5")
            && out.stderr.contains("checked against 0.13.0"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert_eq!(
        check("berkeleyskypilot/skypilot:0.13.5", None, metrics).status,
        2
    );
    // Newer than every release: unknown keys become warnings, typos of known keys still say so.
    let out = check("berkeleyskypilot/skypilot:0.99.0", None, "newkey: 1\n");
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("warning: ") && out.stderr.contains("unknown key `newkey`"),
        "{}",
        out.stderr
    );
    // Nightlies: the exact one; a later date uses it with a note; an earlier date uses the
    // newest release built before it (0.13.0 was built 2026-07-22, before 0.14.0).
    let out = check(
        &format!("berkeleyskypilot/skypilot-nightly:{newest_nightly}"),
        None,
        metrics,
    );
    assert_eq!((out.status, out.stderr.as_str()), (0, ""));
    let later = format!("1.0.0.dev{}", date + 1);
    let out = check(
        &format!("berkeleyskypilot/skypilot-nightly:{later}"),
        None,
        metrics,
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("checked against {newest_nightly}")),
        "{}",
        out.stderr
    );
    let out = check(
        "berkeleyskypilot/skypilot-nightly:1.0.0.dev20260801",
        None,
        metrics,
    );
    assert_refused(&out, &["checked against 0.13.0"]);
    // `latest` (and no tag) is the newest nightly, silently.
    for image in [
        "berkeleyskypilot/skypilot-nightly:latest",
        "berkeleyskypilot/skypilot-nightly",
    ] {
        let out = check(image, None, metrics);
        assert_eq!((out.status, out.stderr.as_str()), (0, ""), "{image}");
    }
    // A digest or a custom tag: the newest schema, with a note to pass --skypilot-version.
    for image in ["me/skypilot@sha256:abcd", "me/skypilot:my-build"] {
        let out = check(image, None, metrics);
        assert_eq!(out.status, 0, "{image}: {}", out.stderr);
        assert!(
            out.stderr.contains("--skypilot-version"),
            "{image}: {}",
            out.stderr
        );
    }
    // --skypilot-version overrides the tag.
    assert_eq!(
        check("me/skypilot:my-build", Some("0.13.0"), metrics).status,
        2
    );
    let out = check("berkeleyskypilot/skypilot:0.13.0", Some("v0.14.1"), metrics);
    assert_eq!((out.status, out.stderr.as_str()), (0, ""));
    // Older than every schema: not checked, said once.
    let out = check("berkeleyskypilot/skypilot:0.9.3", None, "bogus: 1\n");
    assert_eq!(out.status, 0);
    assert!(out.stderr.contains("is not checked"), "{}", out.stderr);
}

#[test]
fn a_bad_version_flag_is_a_usage_error() {
    let out = run(&["render", "--skypilot-version", "0.14"]);
    assert_refused(
        &out,
        &["--skypilot-version `0.14` is not a SkyPilot version"],
    );
}

#[test]
fn ssh_node_pools_are_checked_without_showing_values() {
    let dir = TempDir::new("pools");
    let file = dir.write(
        "v.yaml",
        "apiService:\n  sshNodePools: |\n    gpu:\n      user: ubuntu\n      password: hunter2\n      hostz: [10.0.0.1]\n    cpu:\n      hosts:\n        - user: me\n        - 10.0.0.2\n      password: [hunter3]\n",
    );
    let out = run(&["render", "-f", &file]);
    let at = |n: &str| format!("{file}{n}");
    assert_refused(
        &out,
        &[
            at(":3:5: apiService.sshNodePools: gpu: missing key `hosts`"),
            at(":6:7: apiService.sshNodePools: gpu.hostz: unknown key `hostz` — did you mean `hosts`?"),
            at(":9:11: apiService.sshNodePools: cpu.hosts[0]: missing key `ip`"),
            at(":11:17: apiService.sshNodePools: cpu.password: expected a string or null, found a list"),
            format!("warning: {file}:6:7"),
        ],
    );
    assert!(!out.stderr.contains("hunter"), "{}", out.stderr);
}

#[test]
fn no_config_means_no_check_and_no_note() {
    let out = run(&["validate", "--set", "apiService.image=me/skypilot:my-build"]);
    assert_eq!((out.status, out.stderr.as_str()), (0, ""));
}
