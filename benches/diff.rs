//! Benchmarks of `skygen diff` on two default renders (the committed golden files): the whole
//! command as `run` executes it after process start (read both files, parse, normalize,
//! compare, print), for identical inputs and for default against basic-auth.

use criterion::{criterion_group, criterion_main, Criterion};

fn golden(name: &str) -> String {
    format!("{}/tests/golden/{name}.yaml", env!("CARGO_MANIFEST_DIR"))
}

fn diff(c: &mut Criterion) {
    let run = |old: &str, new: &str| {
        let args = ["skygen", "diff", old, new].map(String::from);
        skygen::run(args, &mut std::io::empty()).unwrap()
    };
    let (default, basic_auth) = (golden("default"), golden("basic-auth"));
    assert_eq!(run(&default, &default).status, skygen::ExitStatus::Success);
    assert_eq!(
        run(&default, &basic_auth).status,
        skygen::ExitStatus::Failure
    );
    c.bench_function("diff two identical default renders", |b| {
        b.iter(|| run(&default, &default))
    });
    c.bench_function("diff default against basic-auth", |b| {
        b.iter(|| run(&default, &basic_auth))
    });
}

criterion_group!(benches, diff);
criterion_main!(benches);
