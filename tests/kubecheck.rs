//! The output check (#10 item 7, #17 item 5): every object skygen writes passes the Kubernetes
//! API types of `--kube-version` and the name rules of its kind, and a failure points at the
//! values key (file:line:column or `--set` argument) or overlay file that produced it.
//!
//! Expected positions are worked out by hand from the values text (line of the key, column where
//! the scalar starts); every refused value here is one kubectl refuses (checked against
//! kubernetes-validate for the type cases in `tests/oracles.rs`).

mod common;

use common::TempDir;
use skygen::kubecheck::{check, schema, Provenance, Sources};

/// Run skygen in-process; returns (exit code, stdout, rendered diagnostics).
fn run(args: &[&str]) -> (i32, String, String) {
    let argv = std::iter::once("skygen".to_owned()).chain(args.iter().map(|a| a.to_string()));
    let out = skygen::run(argv, &mut std::io::empty()).expect("arguments parse");
    let diags: Vec<String> = out.diagnostics.iter().map(|d| d.render()).collect();
    (out.status.code(), out.stdout, diags.join("\n"))
}

/// Render with a values file written from `yaml`; returns (code, stdout, stderr, file path).
fn render_values(dir: &TempDir, yaml: &str, extra: &[&str]) -> (i32, String, String, String) {
    let path = dir.write("values.yaml", yaml);
    let mut args = vec!["render", "-f", &path];
    args.extend_from_slice(extra);
    let (code, out, err) = run(&args);
    (code, out, err, path)
}

/// The output check of `objects` with no values or sources (nothing to blame).
fn check_alone(objects: &[serde_json::Value], version: (u32, u32)) -> skygen::kubecheck::Report {
    let values = serde_json::json!({});
    let prov = Provenance {
        values: &values,
        origins: &Default::default(),
        sources: &Sources::default(),
    };
    check(objects, version, &prov)
}

fn assert_refused(code: i32, stdout: &str, stderr: &str, wants: &[&str]) {
    assert_eq!(code, 2, "expected a refusal; stderr:\n{stderr}");
    assert!(stdout.is_empty(), "nothing may be written on an error");
    for w in wants {
        assert!(stderr.contains(w), "missing {w:?} in:\n{stderr}");
    }
}

// Regression for #10 item 7: a number in extraEnvs rendered `value: 4`, which kubectl refuses,
// while `skygen validate` said ok.
#[test]
fn issue10_extra_env_number_is_refused_at_its_key_and_line() {
    let dir = TempDir::new("env");
    let yaml = "apiService:\n  extraEnvs:\n    - name: WORKERS\n      value: 4\n";
    let (code, out, err, path) = render_values(&dir, yaml, &[]);
    assert_refused(
        code,
        &out,
        &err,
        &[
            &format!("error: {path}:4:14: apiService.extraEnvs[0].value: expected a string (Kubernetes 1.35 EnvVar.value), found an integer 4"),
            "help: quote it: \"4\"",
            "Deployment skypilot/skypilot-api-server at spec.template.spec.containers[0].env[0].value",
        ],
    );
    let path2 = dir.write("v2.yaml", yaml);
    let (code, out, err) = run(&["validate", "-f", &path2]);
    assert_refused(
        code,
        &out,
        &err,
        &["apiService.extraEnvs[0].value: expected a string"],
    );
}

#[test]
fn issue10_extra_env_boolean_from_set_is_refused_at_the_flag() {
    let (code, out, err) = run(&[
        "render",
        "--set",
        "apiService.extraEnvs[0].name=DEBUG",
        "--set",
        "apiService.extraEnvs[0].value=true",
    ]);
    assert_refused(
        code,
        &out,
        &err,
        &["error: --set apiService.extraEnvs[0].value=true: apiService.extraEnvs[0].value: expected a string (Kubernetes 1.35 EnvVar.value), found a boolean true",
          "help: quote it: \"true\""],
    );
    // --set-string keeps it text: accepted.
    let (code, _, err) = run(&[
        "render",
        "--set",
        "apiService.extraEnvs[0].name=DEBUG",
        "--set-string",
        "apiService.extraEnvs[0].value=true",
    ]);
    assert_eq!(code, 0, "{err}");
}

// Regression for #17 item 5: an IngressClass named "" while the controller kept its class.
#[test]
fn issue17_ingress_class_name_null_empty_or_invalid_is_refused_at_the_key() {
    let key = "ingress-nginx.controller.ingressClassResource.name";
    for (flag, arg) in [
        ("--set", format!("{key}=null")),
        ("--set-string", format!("{key}=")),
    ] {
        let (code, out, err) = run(&["render", flag, &arg]);
        assert_refused(
            code,
            &out,
            &err,
            &[&format!("error: {flag} {arg}: {key}: ")],
        );
    }
    let (code, out, err) = run(&["render", "--set", &format!("{key}=Nginx_1")]);
    assert_refused(
        code,
        &out,
        &err,
        &[
            &format!("error: --set {key}=Nginx_1: {key}: an IngressClass name must be a DNS-1123 subdomain"),
            "for example `nginx-1`",
        ],
    );
    // Without the bundled controller the value is unused.
    let (code, _, err) = run(&[
        "render",
        "--set",
        "ingress-nginx.enabled=false",
        "--set",
        &format!("{key}=null"),
    ]);
    assert_eq!(code, 0, "{err}");
}

/// An overlay directory with one resource file `res.yaml` holding `resource`.
fn overlay_with(dir: &TempDir, resource: &str) -> (String, String) {
    dir.write(
        "ov/overlay.yaml",
        "description: test\nresources:\n  - res.yaml\n",
    );
    let file = dir.write("ov/res.yaml", resource);
    (dir.join("ov"), file)
}

// Regression for #17 item 5: a user overlay's object with a namespace that is a list, a number
// or empty was written as is.
#[test]
fn issue17_overlay_object_with_a_bad_namespace_is_refused_at_its_file_and_line() {
    for (ns, want) in [
        (
            "[a]",
            "expected a string (Kubernetes 1.35 ObjectMeta.namespace), found a list [\"a\"]",
        ),
        (
            "5",
            "expected a string (Kubernetes 1.35 ObjectMeta.namespace), found an integer 5",
        ),
        ("\"\"", "a namespace is empty"),
        ("Team_A", "a namespace must be a DNS-1123 label"),
    ] {
        let dir = TempDir::new("ns");
        // A comment line that the template engine removes: the line reported is the file's.
        let (ov, file) = overlay_with(
            &dir,
            &format!("{{# note #}}\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x, namespace: {ns}}}\ndata:\n  a: b\n"),
        );
        let (code, out, err) = run(&["render", "--overlay", &ov]);
        assert_refused(
            code,
            &out,
            &err,
            &[
                &format!("error: {file}:4:32: {want}"),
                "x at metadata.namespace; fix the overlay's resource",
            ],
        );
    }
}

#[test]
fn overlay_object_with_a_bad_name_or_field_is_refused_at_its_line() {
    let dir = TempDir::new("name");
    let (ov, file) = overlay_with(
        &dir,
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: Allow_API\n  namespace: {{ release.namespace }}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n  ingres: []\n",
    );
    let (code, out, err) = run(&["render", "--overlay", &ov]);
    assert_refused(
        code,
        &out,
        &err,
        &[
            &format!("error: {file}:4:9: a NetworkPolicy name must be a DNS-1123 subdomain"),
            "for example `allow-api`",
            &format!(
                "error: {file}:9:11: unknown field `ingres` (Kubernetes 1.35 NetworkPolicySpec)"
            ),
            "did you mean `ingress`?",
        ],
    );
}

// Found by tests/properties.rs: a patch that writes a wrong type where no values key holds the
// value gave an error with no location at all; it points at the patch.
#[test]
fn a_wrong_value_written_by_an_overlay_patch_is_reported_at_the_patch() {
    let dir = TempDir::new("patch");
    let file = dir.write(
        "ov/overlay.yaml",
        "description: test\npatches:\n  - target: {kind: Deployment, name: skypilot-api-server}\n    type: merge\n    patch: {metadata: {annotations: on}}\n",
    );
    let (code, out, err) = run(&["render", "--overlay", &dir.join("ov")]);
    assert_refused(
        code,
        &out,
        &err,
        &[&format!(
            "error: {file}:3:5: expected a mapping (Kubernetes 1.35 ObjectMeta.annotations), found a boolean true"
        )],
    );
}

/// Values that render objects Kubernetes refuses, each reported at its key, line and column.
#[test]
fn a_corpus_of_wrong_values_is_reported_at_the_right_key_and_line() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "apiService:\n  extraEnvs:\n    - value: x\n",
            "3:7: apiService.extraEnvs[0]",
            "EnvVar needs the field `name`",
        ),
        (
            "apiService:\n  tolerations:\n    - key: a\n      operator: Exists\n      tolerationSeconds: soon\n",
            "5:26: apiService.tolerations[0].tolerationSeconds",
            "expected an integer (Kubernetes 1.35 Toleration.tolerationSeconds), found a string `soon`",
        ),
        (
            "apiService:\n  extraVolumes:\n    - name: scratch\n      emptyDir:\n        sizeLimit: big\n",
            "5:20: apiService.extraVolumes[0].emptyDir.sizeLimit",
            "`big` is not a Kubernetes quantity",
        ),
        (
            "apiService:\n  extraVolumeMounts:\n    - name: scratch\n",
            "3:7: apiService.extraVolumeMounts[0]",
            "VolumeMount needs the field `mountPath`",
        ),
        (
            "apiService:\n  affinity:\n    nodeAffinity:\n      requiredDuringScheduling: {}\n",
            "4:33: apiService.affinity.nodeAffinity.requiredDuringScheduling",
            "unknown field `requiredDuringScheduling` (Kubernetes 1.35 NodeAffinity)",
        ),
        (
            "apiService:\n  sidecarContainers:\n    - name: side\n      image: busybox\n      ports:\n        - containerPort: 99999999999\n",
            "6:26: apiService.sidecarContainers[0].ports[0].containerPort",
            "does not fit in 32 bits",
        ),
        (
            "securityContext:\n  runAsUser: root\n",
            "2:14: securityContext.runAsUser",
            "expected an integer (Kubernetes 1.35 SecurityContext.runAsUser), found a string `root`",
        ),
        (
            "ingress-nginx:\n  controller:\n    tolerations:\n      - effect: 5\n",
            "4:17: ingress-nginx.controller.tolerations[0].effect",
            "expected a string (Kubernetes 1.35 Toleration.effect), found an integer 5",
        ),
        (
            "apiService:\n  livenessProbe:\n    httpGet:\n      path: /api/health\n      port: 46580\n    periodSeconds: \"10\"\n",
            "6:20: apiService.livenessProbe.periodSeconds",
            "expected an integer (Kubernetes 1.35 Probe.periodSeconds), found a string `10`",
        ),
        (
            "podSecurityContext:\n  fsGroup: 1000\n  runAsNonRoot: \"yes\"\n",
            "3:17: podSecurityContext.runAsNonRoot",
            "expected a boolean (true or false) (Kubernetes 1.35 PodSecurityContext.runAsNonRoot)",
        ),
    ];
    let mut failures = Vec::new();
    for (i, (yaml, at, want)) in cases.iter().enumerate() {
        let dir = TempDir::new(&format!("corpus{i}"));
        let (code, out, err, path) = render_values(&dir, yaml, &[]);
        let prefix = format!("error: {path}:{at}: ");
        if code != 2 || !out.is_empty() || !err.contains(&prefix) || !err.contains(want) {
            failures.push(format!(
                "case {i} ({yaml:?}): want `{prefix}…{want}`, got exit {code}:\n{err}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn validate_says_what_it_checked() {
    let (code, out, err) = run(&["validate", "--kube-version", "1.31"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("checked against the Kubernetes 1.31 API"),
        "{out}"
    );
}

/// Every golden render passes the check for every supported version, and every object of a
/// built-in kind in them has embedded types (so the generated file covers every built-in kind
/// skygen renders; Gateway API and vendor custom resources get the name checks only).
#[test]
fn every_golden_passes_for_every_supported_version() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/golden")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() > 20, "goldens not found");
    let mut failures = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("golden");
        let objects: Vec<serde_json::Value> = skygen::yaml::read_stream(&text)
            .expect("golden YAML")
            .into_iter()
            .map(|d| d.value)
            .filter(|v| !v.is_null())
            .collect();
        for minor in schema::OLDEST.1..=schema::NEWEST.1 {
            let report = check_alone(&objects, (1, minor));
            for e in &report.errors {
                failures.push(format!("{} (1.{minor}): {}", f.display(), e.render()));
            }
            for id in report
                .unchecked
                .iter()
                .filter(|id| !is_custom_group(&id.group))
            {
                failures.push(format!("{} (1.{minor}): no types for {id}", f.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// API groups served by custom resources, not by Kubernetes itself (Gateway API, vendors'
/// policies): their objects get the name checks only (docs/output-check.md).
fn is_custom_group(group: &str) -> bool {
    group.contains('.')
        && (!group.ends_with(".k8s.io")
            || group == "gateway.networking.k8s.io"
            || group.ends_with(".x-k8s.io"))
}

/// The generated file is whole: every supported version is there and every reference resolves.
#[test]
fn embedded_types_are_complete_for_every_version() {
    for minor in schema::OLDEST.1..=schema::NEWEST.1 {
        let s = schema::Schema::for_version((1, minor));
        assert_eq!(s.used, (1, minor));
        assert_eq!(s.dangling_refs(), Vec::<String>::new(), "1.{minor}");
        for kind in [
            "apps/v1/Deployment",
            "networking.k8s.io/v1/NetworkPolicy",
            "policy/v1/PodDisruptionBudget",
        ] {
            let (api, k) = kind.rsplit_once('/').expect("api/kind");
            assert!(s.kind(api, k).is_some(), "1.{minor} lacks {kind}");
        }
    }
    // Outside the embedded range, the nearest version's types are used.
    assert_eq!(schema::Schema::for_version((1, 28)).used, schema::OLDEST);
    assert_eq!(schema::Schema::for_version((1, 40)).used, schema::NEWEST);
}

/// Kinds without embedded types (custom resources) are not refused for their fields, only for
/// their names.
#[test]
fn unknown_kinds_get_the_name_checks_only() {
    let crd = serde_json::json!({
        "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
        "metadata": {"name": "sky", "namespace": "ops"}, "spec": {"anything": [1, true]}
    });
    let report = check_alone(std::slice::from_ref(&crd), (1, 35));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.unchecked.len(), 1);
    let mut bad = crd;
    bad["metadata"]["name"] = "Sky!".into();
    assert_eq!(check_alone(&[bad], (1, 35)).errors.len(), 1);
}

/// The documents of `tests/fixtures/kubecheck/refused.yaml`, each with whether it breaks a rule
/// beyond the JSON schema.
fn refused_fixtures() -> Vec<(serde_json::Value, bool)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/kubecheck/refused.yaml");
    let text = std::fs::read_to_string(path).expect("refused.yaml");
    text.split("\n---\n")
        .skip(1)
        .map(|chunk| {
            let doc = skygen::yaml::read_one(chunk).expect("fixture YAML");
            (doc.value, chunk.contains("# beyond-schema"))
        })
        .collect()
}

/// Each hand-written object Kubernetes refuses is refused (tests/oracles.rs checks that
/// kubernetes-validate refuses the schema ones too).
#[test]
fn every_refused_fixture_is_refused_for_every_version() {
    let fixtures = refused_fixtures();
    assert!(fixtures.len() >= 10);
    for (obj, _) in &fixtures {
        for minor in schema::OLDEST.1..=schema::NEWEST.1 {
            let report = check_alone(std::slice::from_ref(obj), (1, minor));
            assert_eq!(
                report.errors.len(),
                1,
                "1.{minor}: {}: {:?}",
                obj["metadata"],
                report.errors
            );
        }
    }
}

/// Thousands of bad entries are refused quickly: the first are explained, the rest counted.
#[test]
fn many_bad_values_are_counted_past_a_bound() {
    let dir = TempDir::new("many");
    let mut yaml = String::from("apiService:\n  extraEnvs:\n");
    for i in 0..3000 {
        yaml.push_str(&format!("    - name: V{i}\n      value: {i}\n"));
    }
    let (code, out, err, _) = render_values(&dir, &yaml, &[]);
    assert_refused(
        code,
        &out,
        &err,
        &[
            "apiService.extraEnvs[0].value: expected a string",
            "more problems not shown",
        ],
    );
    let env: Vec<_> = (0..3000)
        .map(|i| serde_json::json!({"name": "V", "value": i}))
        .collect();
    let cm = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "env": env}]}});
    let report = check_alone(&[cm], (1, 35));
    assert_eq!(report.errors.len(), skygen::kubecheck::MAX_EXPLAINED + 1);
    assert!(report
        .errors
        .last()
        .unwrap()
        .message
        .contains("2950 more fields"));
}

/// Required fields (Kubernetes API reference: `Subject` needs `kind` and `name`, `RoleBinding`
/// needs `roleRef`, `Container` needs `name`): each absent or null one is refused, in the order
/// the type lists them; none is refused when all have values. Guards the walker's shortcut that
/// skips looking them up when it counted every one while walking the fields (#11).
#[test]
fn missing_or_null_required_fields_are_refused() {
    let binding = |subject: serde_json::Value| {
        serde_json::json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "b", "namespace": "ops"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
            "subjects": [subject]
        })
    };
    let messages = |obj| -> Vec<String> {
        check_alone(&[obj], (1, 35))
            .errors
            .iter()
            .map(|e| e.message.clone())
            .collect()
    };
    assert_eq!(
        messages(binding(serde_json::json!({"kind": "User", "name": "u"}))),
        Vec::<String>::new()
    );
    for (subject, missing) in [
        (serde_json::json!({}), &["kind", "name"][..]),
        (serde_json::json!({"kind": "User"}), &["name"][..]),
        (
            serde_json::json!({"kind": "User", "name": null}),
            &["name"][..],
        ),
        (
            serde_json::json!({"kind": null, "name": "u"}),
            &["kind"][..],
        ),
        // A field that is not required does not stand in for one that is.
        (
            serde_json::json!({"kind": "User", "apiGroup": "x"}),
            &["name"][..],
        ),
    ] {
        let got = messages(binding(subject.clone()));
        assert_eq!(got.len(), missing.len(), "{subject}: {got:?}");
        for (m, field) in got.iter().zip(missing) {
            assert!(
                m.contains(&format!(
                    "Subject needs the field `{field}`, which is missing"
                )),
                "{subject}: {m}"
            );
        }
    }
    let pod = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"image": "x"}]}});
    let got = messages(pod);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].contains("Container needs the field `name`"),
        "{}",
        got[0]
    );
}

/// An unknown field far from every known one lists the type's fields in alphabetical order, the
/// first twelve (Kubernetes API reference, Container), whatever order the check keeps them in
/// for its look-ups (#11).
#[test]
fn an_unknown_field_lists_the_known_ones_alphabetically() {
    let pod = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "qqqqqqqqqqqq": 1}]}});
    let report = check_alone(&[pod], (1, 35));
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    let shown = report.errors[0].render();
    assert!(
        shown.contains(
            "Container has: args, command, env, envFrom, image, imagePullPolicy, lifecycle, \
             livenessProbe, name, ports, readinessProbe, resizePolicy, …"
        ),
        "{shown}"
    );
}
