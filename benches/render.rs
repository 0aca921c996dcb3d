//! Benchmark of the whole pipeline on the default values (values → validate → render →
//! normalize → emit), the work one `skygen render` does after startup.

use criterion::{criterion_group, criterion_main, Criterion};

fn default_render(c: &mut Criterion) {
    let inputs = skygen::inputs::Inputs {
        sources: vec![],
        overlays: vec![],
        release: skygen::render::Release {
            name: "skypilot".into(),
            namespace: "skypilot".into(),
            kube_version: (1, 35),
        },
        allow_vulnerable_ingress_nginx: false,
    };
    c.bench_function("render default values to YAML", |b| {
        b.iter(|| {
            let rendered = skygen::render_deployment(&inputs, &mut std::io::empty()).unwrap();
            skygen::manifest::to_yaml_stream(&rendered.objects)
        })
    });
}

/// The same with three built-in overlays (values, config merge, a resource), to see what the
/// overlay stage costs.
fn overlay_render(c: &mut Criterion) {
    let inputs = skygen::inputs::Inputs {
        sources: vec![],
        overlays: vec!["eks".into(), "nodeport".into(), "minimal-rbac".into()],
        release: skygen::render::Release {
            name: "skypilot".into(),
            namespace: "skypilot".into(),
            kube_version: (1, 35),
        },
        allow_vulnerable_ingress_nginx: false,
    };
    c.bench_function("render with eks,nodeport,minimal-rbac to YAML", |b| {
        b.iter(|| {
            let rendered = skygen::render_deployment(&inputs, &mut std::io::empty()).unwrap();
            skygen::manifest::to_yaml_stream(&rendered.objects)
        })
    });
}

criterion_group!(benches, default_render, overlay_render);
criterion_main!(benches);
