//! skygen: the SkyPilot API server deployment, compiled offline from Helm-style values to plain
//! Kubernetes YAML.
//!
//! The pipeline, one module per stage: [`values`] (load, merge, validate) → [`render`]
//! (templates → objects) → [`overlay`] (patches, extra objects) → [`manifest`] (normalize,
//! emit to stdout or a directory). [`diff`] compares two sets of objects. [`run`] wires them for
//! the command line and returns an [`ExitStatus`]; `main` only prints and exits.

pub mod cli;
pub mod diagnostics;
pub mod diff;
pub mod inputs;
pub mod manifest;
pub mod overlay;
pub mod render;
pub mod values;
pub mod yaml;

use std::io::{IsTerminal, Read};

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
///     lifecycle: Default::default(),
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
    // After overlays, so an overlay cannot drop the release's labels or keep marks by accident.
    let objects = manifest::lifecycle::stamp(objects, &inputs.release, &inputs.lifecycle);
    if let (Some(ns), true) = (&inputs.lifecycle.only_namespace, objects.is_empty()) {
        // kubectl refuses to apply nothing ("no objects passed to apply").
        warnings.push(
            Diagnostic::warning(
                diagnostics::Code::Usage,
                format!("--only-namespace {ns}: the render has no object to apply there"),
            )
            .with_help("skip this namespace; to remove what an earlier apply put there, use the uninstall commands of docs/lifecycle.md with -n"),
        );
    }
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
        cli::Command::Diff(args) => diff_command(&args, &sub, stdin),
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
    let inputs = match inputs::from_args(&args.inputs, matches)
        .and_then(|i| inputs::no_positionals(&args.helm).map(|()| i))
    {
        Ok(i) => i,
        Err(d) => return Outcome::failed(d),
    };
    if args.output_dir.is_some() && given_on_command_line(matches, "format") {
        return Outcome::failed(vec![Diagnostic::error(
            diagnostics::Code::Usage,
            "--format applies to stdout; -o/--output-dir always writes YAML files",
        )
        .with_help("drop --format, or drop -o to print JSON")]);
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
    Outcome {
        stdout,
        diagnostics: r.warnings,
        status: ExitStatus::Success,
    }
}

fn given_on_command_line(matches: &clap::ArgMatches, id: &str) -> bool {
    matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
}

/// The render input flags given on the command line (as `--long` spellings). `diff` takes them
/// only with `--against`; read from [`cli::InputArgs`] itself so a flag added there is covered.
fn render_flags_given(matches: &clap::ArgMatches) -> Vec<String> {
    use clap::Args;
    cli::InputArgs::augment_args(clap::Command::new("inputs"))
        .get_arguments()
        .filter(|a| given_on_command_line(matches, a.get_id().as_str()))
        .map(|a| match a.get_long() {
            Some(long) => format!("--{long}"),
            None => a.get_id().to_string(),
        })
        .collect()
}

/// `--color`: `auto` colors only a terminal, and not when `NO_COLOR` is set (non-empty).
fn use_color(choice: cli::ColorChoice) -> bool {
    match choice {
        cli::ColorChoice::Always => true,
        cli::ColorChoice::Never => false,
        cli::ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// `skygen diff`: read (or render) both sides, compare, print; exit 1 when they differ.
fn diff_command(args: &cli::DiffArgs, matches: &clap::ArgMatches, stdin: &mut dyn Read) -> Outcome {
    let usage = |m: String, help: &str| {
        Outcome::failed(vec![
            Diagnostic::error(diagnostics::Code::Usage, m).with_help(help)
        ])
    };
    let mut warnings = Vec::new();
    let sides = match (&args.against, &args.old, &args.new) {
        (Some(against), _, _) => {
            let inputs = match inputs::from_args(&args.inputs, matches) {
                Ok(i) => i,
                Err(d) => return Outcome::failed(d),
            };
            let stdin_values = inputs
                .sources
                .contains(&values::ValueSource::File("-".into()));
            if against == "-" && stdin_values {
                return usage(
                    "--against - and -f - cannot both read standard input".into(),
                    "save one of them to a file",
                );
            }
            let old = diff::input::load(against, stdin);
            let new = render_deployment(&inputs, stdin).map(|r| {
                warnings = r.warnings;
                r.objects
            });
            (old, new)
        }
        (None, Some(old), Some(new)) => {
            let given = render_flags_given(matches);
            if !given.is_empty() {
                return usage(
                    format!(
                        "{} {} only with --against DIR",
                        given.join(", "),
                        if given.len() == 1 { "applies" } else { "apply" }
                    ),
                    "to compare with a fresh render, use `skygen diff --against DIR` with the render flags, or pipe `skygen render …` into `skygen diff OLD -`",
                );
            }
            if old == "-" && new == "-" {
                return usage(
                    "OLD and NEW cannot both be `-` (standard input)".into(),
                    "save one of them to a file",
                );
            }
            diff::input::load_pair(old, new, stdin)
        }
        _ => unreachable!("clap requires OLD and NEW without --against; this is a skygen bug"),
    };
    let (old, new) = match sides {
        (Ok(o), Ok(n)) => (o, n),
        (o, n) => {
            let mut errors: Vec<Diagnostic> =
                o.err().into_iter().chain(n.err()).flatten().collect();
            errors.extend(warnings);
            return Outcome::failed(errors);
        }
    };
    let opts = diff::Options {
        context: args.context.min(diff::MAX_CONTEXT),
        show_secrets: args.show_secrets,
    };
    let report = diff::compare(old, new, &opts);
    Outcome {
        stdout: match args.format {
            cli::DiffFormat::Text => {
                diff::print::text(&report, opts.context, use_color(args.color))
            }
            cli::DiffFormat::Json => diff::print::json(&report),
        },
        diagnostics: warnings,
        status: if report.is_empty() {
            ExitStatus::Success
        } else {
            ExitStatus::Failure
        },
    }
}

fn validate_command(
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
