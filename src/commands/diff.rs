//! `skygen diff`: read (or render, with `--against`) both sides as manifests, compare them, print
//! the report; exit 1 when they differ. The usage checks are here because they are about which
//! flags were given together.

use std::io::{IsTerminal, Read};

use super::given_on_command_line;
use crate::diagnostics::{Code, Diagnostic};
use crate::{cli, diff, inputs, render_deployment, values, ExitStatus, Outcome};

/// The render input flags given on the command line (as `--long` spellings). `diff` takes them
/// only with `--against`; read from [`cli::InputArgs`] itself so a flag added there is covered.
pub(super) fn render_flags_given(matches: &clap::ArgMatches) -> Vec<String> {
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

/// `skygen diff`: read (or render) both sides, compare, print; exit 1 when they differ, 3 when a
/// risk `--fail-on` names is present.
pub fn diff(args: &cli::DiffArgs, matches: &clap::ArgMatches, stdin: &mut dyn Read) -> Outcome {
    let usage = |m: String, help: &str| {
        Outcome::failed(vec![Diagnostic::error(Code::Usage, m).with_help(help)])
    };
    let fail_on = match diff::risk::parse_fail_on(&args.fail_on) {
        Ok(k) => k,
        Err(d) => return Outcome::failed(vec![*d]),
    };
    if args.show_secrets && args.format == cli::DiffFormat::Markdown {
        return usage(
            "--show-secrets cannot be used with --format markdown".into(),
            "a pull-request comment is read by everyone with access to the repository; drop --show-secrets",
        );
    }
    let mut warnings = Vec::new();
    let sides = match (&args.against, &args.old, &args.new) {
        (Some(against), _, _) => {
            let inputs = match inputs::from_args(&args.inputs, matches) {
                Ok(i) => i,
                Err(d) => return Outcome::failed(d),
            };
            if inputs::release_names(&args.inputs).len() > 1 {
                return usage(
                    "diff --against takes one --release-name".into(),
                    "compare one release at a time",
                );
            }
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
        ignore_defaults: args.ignore_defaults,
    };
    let report = diff::compare(old, new, &opts);
    if report.live_old_with_defaults && !report.is_empty() {
        warnings.push(
            Diagnostic::warning(
                Code::Usage,
                "OLD looks like a `kubectl get -o yaml` dump: fields the API server defaulted show as removed",
            )
            .with_help("add --ignore-defaults to compare only the fields NEW (or OLD's last `kubectl apply`) sets"),
        );
    }
    Outcome {
        stdout: match args.format {
            cli::DiffFormat::Text => {
                diff::print::text(&report, opts.context, use_color(args.color))
            }
            cli::DiffFormat::Json => diff::print::json(&report),
            cli::DiffFormat::Markdown => {
                diff::markdown::render(&report, &diff::markdown::Limits::default())
            }
        },
        diagnostics: warnings,
        status: if report.has_risk(&fail_on) {
            ExitStatus::Risk
        } else if report.is_empty() {
            ExitStatus::Success
        } else {
            ExitStatus::Failure
        },
    }
}
