//! `skygen render` (YAML or JSON on stdout, or a directory) and `skygen validate` (the same
//! pipeline, a one-line summary).

use std::io::Read;

use super::given_on_command_line;
use crate::diagnostics::{Code, Diagnostic};
use crate::{cli, inputs, manifest, render_deployment, render_releases, Outcome};

/// `skygen render`: the pipeline, then emit.
pub fn render(args: &cli::RenderArgs, matches: &clap::ArgMatches, stdin: &mut dyn Read) -> Outcome {
    let inputs = match inputs::from_args(&args.inputs, matches)
        .and_then(|i| inputs::no_positionals(&args.helm).map(|()| i))
    {
        Ok(i) => i,
        Err(d) => return Outcome::failed(d),
    };
    if args.output_dir.is_some() && given_on_command_line(matches, "format") {
        return Outcome::failed(vec![Diagnostic::error(
            Code::Usage,
            "--format applies to stdout; -o/--output-dir always writes YAML files",
        )
        .with_help("drop --format, or drop -o to print JSON")]);
    }
    let names = inputs::release_names(&args.inputs);
    if names.len() > 1 {
        return render_many(args, &inputs, names, stdin);
    }
    let r = match render_deployment(&inputs, stdin) {
        Ok(r) => r,
        Err(d) => return Outcome::failed(d),
    };
    let stdout = match (&args.output_dir, args.format) {
        (Some(dir), _) => match manifest::dir::write_dir(std::path::Path::new(dir), &r.objects) {
            Ok(_) => String::new(),
            Err(mut d) => {
                d.extend(r.warnings);
                return Outcome::failed(d);
            }
        },
        (None, cli::Format::Yaml) => manifest::to_yaml_stream(&r.objects),
        (None, cli::Format::Json) => manifest::to_json_list(&r.objects),
    };
    keep_until_exit(r.objects);
    Outcome::ok(stdout, r.warnings)
}

/// The objects of the last render, kept once their output is built: the process exits next
/// (`main` ends with `process::exit`, which frees nothing), so freeing the trees would be wasted
/// work, an eighth of a million instructions for a realistic render (#11). A later render in
/// the same process (the tests run many) replaces them, so at most one set is ever held.
static LAST_OBJECTS: std::sync::Mutex<Option<manifest::Manifest>> = std::sync::Mutex::new(None);

fn keep_until_exit(objects: manifest::Manifest) {
    let old = match LAST_OBJECTS.lock() {
        Ok(mut last) => last.replace(objects),
        // A test that panicked while holding the lock: nothing is kept then.
        Err(_) => None,
    };
    drop(old);
}

/// Several releases (`--release-name` repeated): one YAML stream or JSON `List` holding every
/// release's objects in the order the names were given, or one directory per release
/// (`DIR/<release>/`). Warnings that every release shares are shown once.
fn render_many(
    args: &cli::RenderArgs,
    inputs: &inputs::Inputs,
    names: &[String],
    stdin: &mut dyn Read,
) -> Outcome {
    let deployments = match render_releases(inputs, names, stdin) {
        Ok(d) => d,
        Err(d) => return Outcome::failed(d),
    };
    let mut warnings: Vec<Diagnostic> = Vec::new();
    for d in &deployments {
        for w in &d.warnings {
            if !warnings.contains(w) {
                warnings.push(w.clone());
            }
        }
    }
    let stdout = match (&args.output_dir, args.format) {
        (Some(dir), _) => {
            // DIR holds one directory per release; like DIR itself for one release, it and
            // its missing parents are created (#10).
            let root = std::path::Path::new(dir);
            if !root.is_dir() {
                if let Err(e) = std::fs::create_dir_all(root) {
                    let d = Diagnostic::error(
                        Code::Io,
                        format!("{dir}: cannot create the output directory: {e}"),
                    );
                    return Outcome::failed(vec![d]);
                }
            }
            for (name, d) in names.iter().zip(&deployments) {
                let sub = std::path::Path::new(dir).join(name);
                if let Err(mut e) = manifest::dir::write_dir(&sub, &d.objects) {
                    e.extend(warnings);
                    return Outcome::failed(e);
                }
            }
            String::new()
        }
        (None, cli::Format::Yaml) => deployments
            .iter()
            .map(|d| manifest::to_yaml_stream(&d.objects))
            .collect(),
        (None, cli::Format::Json) => {
            let all = deployments.into_iter().map(|d| d.objects).collect();
            manifest::to_json_list(&manifest::Manifest::concat(all))
        }
    };
    Outcome::ok(stdout, warnings)
}

/// `skygen validate`: the pipeline, then a summary instead of the objects.
pub fn validate(
    args: &cli::ValidateArgs,
    matches: &clap::ArgMatches,
    stdin: &mut dyn Read,
) -> Outcome {
    let inputs = match inputs::from_args(&args.inputs, matches)
        .and_then(|i| inputs::no_positionals(&args.helm).map(|()| i))
    {
        Ok(i) => i,
        Err(d) => return Outcome::failed(d),
    };
    let names = inputs::release_names(&args.inputs);
    if names.len() > 1 {
        return match render_releases(&inputs, names, stdin) {
            Ok(all) => {
                let mut stdout = String::new();
                let mut warnings: Vec<Diagnostic> = Vec::new();
                for (name, r) in names.iter().zip(all) {
                    stdout.push_str(&format!(
                        "ok: {name}: {} objects, {} warning(s); {}\n",
                        r.objects.len(),
                        r.warnings.len(),
                        r.check.summary()
                    ));
                    for w in r.warnings {
                        if !warnings.contains(&w) {
                            warnings.push(w);
                        }
                    }
                }
                Outcome::ok(stdout, warnings)
            }
            Err(d) => Outcome::failed(d),
        };
    }
    match render_deployment(&inputs, stdin) {
        Ok(r) => Outcome::ok(
            format!(
                "ok: {} objects, {} warning(s); {}\n",
                r.objects.len(),
                r.warnings.len(),
                r.check.summary()
            ),
            r.warnings,
        ),
        Err(d) => Outcome::failed(d),
    }
}
