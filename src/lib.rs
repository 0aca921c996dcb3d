//! skygen: the SkyPilot API server deployment, compiled offline from Helm-style values to plain
//! Kubernetes YAML.
//!
//! The pipeline, one module per stage, each taking the previous stage's type (see
//! docs/architecture.md): [`values`] (load and merge every layer → `Merged`; validate →
//! [`values::Validated`]) → [`render`] (templates → [`render::Rendered`]) → [`overlay`]
//! (patches, extra objects → [`overlay::Patched`]) → [`manifest`] (normalize →
//! [`manifest::Manifest`]) → [`kubecheck`] (the output against the Kubernetes API types of
//! `--kube-version`) → [`manifest`] (emit to stdout or a directory). [`diff`] compares two manifests.
//! [`render_deployment`] is the pipeline; [`run`] parses the command line and hands each
//! subcommand to a short function in `commands`; `main` only prints and exits.

pub mod check;
pub mod cli;
mod commands;
pub mod diagnostics;
pub mod diff;
pub mod inputs;
pub mod kubecheck;
pub mod manifest;
pub mod overlay;
pub mod pointer;
pub mod render;
pub mod skyconfig;
mod template_yaml;
pub mod templates;
mod text;
pub mod values;
pub mod yaml;
pub mod yaml_write;

use std::io::Read;

use clap::{CommandFactory, FromArgMatches};

use diagnostics::Diagnostic;

/// How a run ended: 0 ok, 1 differences or a failed check, 2 usage or input error, 3 a diff
/// risk named by `--fail-on`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    Success,
    Failure,
    Error,
    Risk,
}

impl ExitStatus {
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Error => 2,
            ExitStatus::Risk => 3,
        }
    }
}

/// What a run produced: text for stdout, diagnostics for stderr, and the exit status.
#[derive(Debug)]
pub struct Outcome {
    pub stdout: String,
    pub diagnostics: Vec<Diagnostic>,
    pub status: ExitStatus,
}

/// Most diagnostics printed for one run; the rest are counted, so a hostile input cannot flood
/// the terminal.
pub const MAX_REPORTED: usize = 10;

impl Outcome {
    fn ok(stdout: String, diagnostics: Vec<Diagnostic>) -> Outcome {
        Outcome {
            stdout,
            diagnostics,
            status: ExitStatus::Success,
        }
    }

    fn failed(mut diagnostics: Vec<Diagnostic>) -> Outcome {
        if diagnostics.len() > MAX_REPORTED {
            let more = diagnostics.len() - MAX_REPORTED;
            diagnostics.truncate(MAX_REPORTED);
            diagnostics.push(Diagnostic::error(
                diagnostics::Code::Usage,
                format!("… and {more} more problems not shown; fix the ones above first"),
            ));
        }
        Outcome {
            stdout: String::new(),
            diagnostics,
            status: ExitStatus::Error,
        }
    }
}

/// The rendered deployment, in canonical order, with the warnings met on the way.
pub struct Deployment {
    pub objects: manifest::Manifest,
    pub warnings: Vec<Diagnostic>,
    /// What the output check covered (objects checked, kinds it has no types for).
    pub check: kubecheck::Report,
}

/// The whole pipeline: values → validate → render → overlay → normalize.
///
/// ```
/// let inputs = skygen::inputs::Inputs {
///     sources: vec![],
///     overlays: vec!["nodeport".into()],
///     release: skygen::values::Release { name: "sky".into(), namespace: "ops".into(), kube_version: (1, 35) },
///     allow_vulnerable_ingress_nginx: false,
///     skypilot_version: None,
///     lifecycle: Default::default(),
/// };
/// let out = skygen::render_deployment(&inputs, &mut std::io::empty()).unwrap();
/// assert!(out.objects.iter().any(|o| o["metadata"]["name"] == "sky-api-server"));
/// assert!(out.objects.iter().any(|o| o["spec"]["type"] == "NodePort"));
/// ```
pub fn render_deployment(
    inputs: &inputs::Inputs,
    stdin: &mut dyn Read,
) -> Result<Deployment, Vec<Diagnostic>> {
    let LoadedValues {
        overlays,
        validated,
        mut warnings,
        ..
    } = load_values(inputs, stdin)?;
    let rendered = render::render(&validated)?;
    let mut sources = kubecheck::Sources::default();
    for o in &rendered.objects {
        sources.made(
            manifest::ObjectId::of(&o.value),
            kubecheck::Source::Template(format!("templates/{}", o.template)),
        );
    }
    let patched = overlay::apply(rendered, &overlays, &validated, &mut sources)?;
    // After overlays, so an overlay cannot drop the release's labels or keep marks by accident.
    let patched = manifest::lifecycle::stamp(patched, &inputs.release, &inputs.lifecycle);
    if let (Some(ns), true) = (&inputs.lifecycle.only_namespace, patched.objects.is_empty()) {
        // kubectl refuses to apply nothing ("no objects passed to apply").
        warnings.push(
            Diagnostic::warning(
                diagnostics::Code::Usage,
                format!("--only-namespace {ns}: the render has no object to apply there"),
            )
            .with_help("skip this namespace; to remove what an earlier apply put there, use the uninstall commands of docs/lifecycle.md with -n"),
        );
    }
    let objects = manifest::normalize(patched);
    // What leaves skygen must be what the cluster accepts (#10, #17); see docs/output-check.md.
    let provenance = kubecheck::Provenance {
        values: validated.tree(),
        origins: validated.origins(),
        sources: &sources,
    };
    let report = kubecheck::check(&objects, inputs.release.kube_version, &provenance);
    warnings.extend(validated.warnings().iter().cloned());
    if !report.errors.is_empty() {
        let mut errors = report.errors;
        errors.extend(warnings);
        return Err(errors);
    }
    Ok(Deployment {
        objects,
        warnings,
        check: report,
    })
}

/// The pipeline for several releases of the same inputs (`--release-name` given more than once),
/// in the order given. Everything built once per process (the template environment, the schema,
/// the parsed defaults) is shared; standard input is read once and replayed to each release.
/// Every release's problems are reported.
///
/// ```
/// let inputs = skygen::inputs::Inputs {
///     sources: vec![],
///     overlays: vec![],
///     release: skygen::values::Release::default(),
///     allow_vulnerable_ingress_nginx: false,
///     skypilot_version: None,
///     lifecycle: Default::default(),
/// };
/// let names = ["blue".to_owned(), "green".to_owned()];
/// let out = skygen::render_releases(&inputs, &names, &mut std::io::empty()).unwrap();
/// assert!(out[1].objects.iter().any(|o| o["metadata"]["name"] == "green-api-server"));
/// ```
pub fn render_releases(
    inputs: &inputs::Inputs,
    names: &[String],
    stdin: &mut dyn Read,
) -> Result<Vec<Deployment>, Vec<Diagnostic>> {
    let mut buffered = None;
    let mut out = Vec::new();
    let mut errors: Vec<Diagnostic> = Vec::new();
    for name in names {
        let mut replay = Replay {
            source: &mut *stdin,
            buffer: &mut buffered,
            pos: 0,
        };
        match render_deployment(&inputs::for_release(inputs, name), &mut replay) {
            Ok(d) => out.push(d),
            Err(d) => {
                // The same values give the same problem for every release: report it once.
                for e in d {
                    if !errors.contains(&e) {
                        errors.push(e);
                    }
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Standard input read once (bounded as a values file is) and replayed from the start to each
/// release; within one release it reads as stdin does (a second reader finds it consumed).
struct Replay<'a> {
    source: &'a mut dyn Read,
    buffer: &'a mut Option<Vec<u8>>,
    pos: usize,
}

impl Read for Replay<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.buffer.is_none() {
            let mut all = Vec::new();
            (&mut *self.source)
                .take(values::MAX_INPUT_BYTES + 1)
                .read_to_end(&mut all)?;
            *self.buffer = Some(all);
        }
        let all = self.buffer.as_deref().unwrap_or_default();
        let n = out.len().min(all.len() - self.pos);
        out[..n].copy_from_slice(&all[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The values half of the pipeline: the overlays, the merged values (kept for
/// `values --effective`) and their validated form, with the warnings so far.
pub struct LoadedValues {
    pub overlays: Vec<overlay::Overlay>,
    pub merged: values::Merged,
    pub validated: values::Validated,
    pub warnings: Vec<Diagnostic>,
}

/// Load the overlays, merge every value source, and validate the result.
pub fn load_values(
    inputs: &inputs::Inputs,
    stdin: &mut dyn Read,
) -> Result<LoadedValues, Vec<Diagnostic>> {
    let overlays = overlay::load(&inputs.overlays)?;
    // defaults < overlay values (in order) < -f files < --set flags.
    let mut sources = overlay::value_sources(&overlays);
    sources.extend(inputs.sources.iter().cloned());
    let mut merged = values::load(&sources, stdin)?;
    let warnings = overlay::merge_config(&mut merged, &overlays, &inputs.release)?;
    let policy = values::Policy {
        allow_vulnerable_ingress_nginx: inputs.allow_vulnerable_ingress_nginx,
        release: inputs.release.clone(),
        skypilot_version: inputs.skypilot_version,
    };
    let validated = values::validate_with(merged.clone(), &policy)?;
    Ok(LoadedValues {
        overlays,
        merged,
        validated,
        warnings,
    })
}

/// Run skygen with command-line arguments (the first is the program name).
pub fn run(
    args: impl IntoIterator<Item = String>,
    stdin: &mut dyn Read,
) -> Result<Outcome, clap::Error> {
    let matches = cli::Cli::command()
        .long_version(commands::long_version())
        .try_get_matches_from(args)?;
    let parsed = cli::Cli::from_arg_matches(&matches)?;
    let sub = matches
        .subcommand()
        .map(|(_, m)| m.clone())
        .unwrap_or_default();
    Ok(match parsed.command {
        cli::Command::Render(args) => commands::render(&args, &sub, stdin),
        cli::Command::Validate(args) => commands::validate(&args, &sub, stdin),
        cli::Command::Diff(args) => commands::diff(&args, &sub, stdin),
        cli::Command::Values(args) => commands::values(&args, &sub, stdin),
        cli::Command::Completion { shell } => commands::completion(shell),
        cli::Command::Man => commands::man(),
        cli::Command::Check(args) => commands::check(&args, stdin),
        cli::Command::Overlays => Outcome::ok(overlay::list_builtins(), vec![]),
        cli::Command::Schema => Outcome::ok(values::schema::SCHEMA_TEXT.to_owned(), vec![]),
    })
}
