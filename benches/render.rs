//! Benchmark of the whole pipeline on the default values (values → validate → render →
//! normalize → check → emit), the work one `skygen render` does after startup, and the output
//! check alone.

use criterion::{criterion_group, criterion_main, Criterion};

fn inputs(overlays: &[&str]) -> skygen::inputs::Inputs {
    skygen::inputs::Inputs {
        sources: vec![],
        overlays: overlays.iter().map(|o| o.to_string()).collect(),
        release: skygen::render::Release {
            name: "skypilot".into(),
            namespace: "skypilot".into(),
            kube_version: (1, 35),
        },
        allow_vulnerable_ingress_nginx: false,
        skypilot_version: None,
        lifecycle: Default::default(),
    }
}

fn bench_render(c: &mut Criterion, name: &str, inputs: skygen::inputs::Inputs) {
    c.bench_function(name, |b| {
        b.iter(|| {
            let rendered = skygen::render_deployment(&inputs, &mut std::io::empty()).unwrap();
            skygen::manifest::to_yaml_stream(&rendered.objects)
        })
    });
}

fn default_render(c: &mut Criterion) {
    bench_render(c, "render default values to YAML", inputs(&[]));
}

/// The same with three built-in overlays (values, config merge, a resource), to see what the
/// overlay stage costs.
fn overlay_render(c: &mut Criterion) {
    bench_render(
        c,
        "render with eks,nodeport,minimal-rbac to YAML",
        inputs(&["eks", "nodeport", "minimal-rbac"]),
    );
}

/// The output check alone (#10): the default render's objects against the Kubernetes 1.35
/// types, including loading the embedded types, as every render does once.
fn output_check(c: &mut Criterion) {
    let rendered = skygen::render_deployment(&inputs(&[]), &mut std::io::empty()).unwrap();
    let values = serde_json::json!({});
    let sources = skygen::kubecheck::Sources::default();
    let prov = skygen::kubecheck::Provenance {
        values: &values,
        origins: &Default::default(),
        sources: &sources,
    };
    c.bench_function("output check of the default render", |b| {
        b.iter(|| skygen::kubecheck::check(&rendered.objects, (1, 35), &prov))
    });
}

criterion_group!(benches, default_render, overlay_render, output_check);
criterion_main!(benches);
