//! skygen: the SkyPilot API server deployment, compiled offline from Helm-style values to plain
//! Kubernetes YAML.
//!
//! The pipeline, one module per stage: [`values`] (load, merge, validate) → [`render`]
//! (templates → objects) → [`overlay`] (patches, extra objects) → [`manifest`] (normalize,
//! emit). [`run`] wires them for the command
//! line and returns an [`ExitStatus`]; `main` only prints and exits.

pub mod cli;
pub mod diagnostics;
pub mod inputs;
pub mod manifest;
pub mod overlay;
pub mod render;
pub mod values;
pub mod yaml;

use std::io::Read;

use clap::{CommandFactory, FromArgMatches};
use serde_json::Value;

use diagnostics::Diagnostic;

/// How a run ended: 0 ok, 1 differences or a failed check, 2 usage or input error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    Success,
    Failure,
    Error,
}

impl ExitStatus {
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Error => 2,
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
pub struct Rendered {
    pub objects: Vec<Value>,
    pub warnings: Vec<Diagnostic>,
}

/// The whole pipeline: values → validate → render → overlay → normalize.
///
/// ```
/// let inputs = skygen::inputs::Inputs {
///     sources: vec![],
///     overlays: vec!["nodeport".into()],
///     release: skygen::render::Release { name: "sky".into(), namespace: "ops".into(), kube_version: (1, 35) },
///     allow_vulnerable_ingress_nginx: false,
/// };
/// let out = skygen::render_deployment(&inputs, &mut std::io::empty()).unwrap();
/// assert!(out.objects.iter().any(|o| o["metadata"]["name"] == "sky-api-server"));
/// assert!(out.objects.iter().any(|o| o["spec"]["type"] == "NodePort"));
/// ```
pub fn render_deployment(
    inputs: &inputs::Inputs,
    stdin: &mut dyn Read,
) -> Result<Rendered, Vec<Diagnostic>> {
    let overlays = overlay::load(&inputs.overlays)?;
    // defaults < overlay values (in order) < -f files < --set flags.
    let mut sources = overlay::value_sources(&overlays);
    sources.extend(inputs.sources.iter().cloned());
    let mut merged = values::load(&sources, stdin)?;
    let mut warnings = overlay::merge_config(&mut merged, &overlays, &inputs.release)?;
    let policy = values::Policy {
        allow_vulnerable_ingress_nginx: inputs.allow_vulnerable_ingress_nginx,
        kube_version: inputs.release.kube_version,
    };
    let validated = values::validate_with(merged, &policy)?;
    let objects = render::render(&validated, &inputs.release)?;
    let objects = overlay::apply(
        objects.into_iter().map(|o| o.value).collect(),
        &overlays,
        &validated,
        &inputs.release,
    )?;
    let objects = manifest::normalize(objects);
    warnings.extend(validated.warnings().iter().cloned());
    Ok(Rendered { objects, warnings })
}

/// Run skygen with command-line arguments (the first is the program name).
pub fn run(
    args: impl IntoIterator<Item = String>,
    stdin: &mut dyn Read,
) -> Result<Outcome, clap::Error> {
    let matches = cli::Cli::command().try_get_matches_from(args)?;
    let parsed = cli::Cli::from_arg_matches(&matches)?;
    let sub = matches
        .subcommand()
        .map(|(_, m)| m.clone())
        .unwrap_or_default();
    Ok(match parsed.command {
        cli::Command::Render(args) => render_command(&args, &sub, stdin),
        cli::Command::Validate(args) => validate_command(&args, &sub, stdin),
        cli::Command::Values => Outcome {
            stdout: values::DEFAULTS_YAML.to_owned(),
            diagnostics: vec![],
            status: ExitStatus::Success,
        },
        cli::Command::Overlays => Outcome {
            stdout: overlay::list_builtins(),
            diagnostics: vec![],
            status: ExitStatus::Success,
        },
        cli::Command::Schema => Outcome {
            stdout: values::schema::generate_text(),
            diagnostics: vec![],
            status: ExitStatus::Success,
        },
    })
}

fn render_command(
    args: &cli::RenderArgs,
    matches: &clap::ArgMatches,
    stdin: &mut dyn Read,
) -> Outcome {
    let inputs = match inputs::from_args(&args.inputs, matches) {
        Ok(i) => i,
        Err(d) => return Outcome::failed(d),
    };
    match render_deployment(&inputs, stdin) {
        Ok(r) => Outcome {
            stdout: match args.format {
                cli::Format::Yaml => manifest::to_yaml_stream(&r.objects),
                cli::Format::Json => manifest::to_json_list(&r.objects),
            },
            diagnostics: r.warnings,
            status: ExitStatus::Success,
        },
        Err(d) => Outcome::failed(d),
    }
}

fn validate_command(
    args: &cli::InputArgs,
    matches: &clap::ArgMatches,
    stdin: &mut dyn Read,
) -> Outcome {
    let inputs = match inputs::from_args(args, matches) {
        Ok(i) => i,
        Err(d) => return Outcome::failed(d),
    };
    match render_deployment(&inputs, stdin) {
        Ok(r) => Outcome {
            stdout: format!(
                "ok: {} objects, {} warning(s)\n",
                r.objects.len(),
                r.warnings.len()
            ),
            diagnostics: r.warnings,
            status: ExitStatus::Success,
        },
        Err(d) => Outcome::failed(d),
    }
}
