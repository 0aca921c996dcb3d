//! The commands that fit skygen into shells, editors and man: `completion`, `man`, `values`
//! (the defaults with an editor schema line, or the effective values) and the long `--version`.
//! Each takes parsed flags and returns an [`Outcome`]; none renders manifests.

use std::io::Read;

use clap::CommandFactory;

use crate::diagnostics::{Code, Diagnostic};
use crate::{cli, inputs, values, ExitStatus, Outcome};

/// The upstream chart commit skygen reproduces (`charts/skypilot` at SkyPilot `master`), as in
/// docs/helm-compat.md.
pub const UPSTREAM_CHART_COMMIT: &str = "147db0f6";

/// The first line of `skygen values`: yaml-language-server (VS Code's YAML extension, Neovim,
/// Helix, …) validates and completes the file against the schema beside it, which
/// `skygen schema > values.schema.json` writes. A relative path is resolved from the values
/// file, works offline and matches this skygen version exactly.
pub const SCHEMA_MODELINE: &str = "# yaml-language-server: $schema=values.schema.json\n";

fn ok(stdout: String) -> Outcome {
    Outcome {
        stdout,
        diagnostics: vec![],
        status: ExitStatus::Success,
    }
}

/// `skygen completion SHELL`.
pub fn completion(shell: clap_complete::Shell) -> Outcome {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cli::Cli::command(), "skygen", &mut buf);
    ok(String::from_utf8(buf).expect("clap_complete writes UTF-8; this is a skygen bug"))
}

/// `skygen man`: the man page of skygen and its subcommands, in roff.
pub fn man() -> Outcome {
    let cmd = cli::Cli::command().long_version(long_version());
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut buf)
        .expect("writing to memory cannot fail; this is a skygen bug");
    ok(String::from_utf8(buf).expect("clap_mangen writes UTF-8; this is a skygen bug"))
}

/// `skygen --version`: skygen's version, the chart it reproduces and what it bundles.
pub fn long_version() -> String {
    use crate::render::ingress_nginx as nginx;
    let certgen = nginx::CERTGEN_IMAGE
        .rsplit_once(':')
        .map(|(image, _)| image)
        .and_then(|image| image.rsplit_once(':'))
        .map_or(nginx::CERTGEN_IMAGE, |(_, tag)| tag)
        .trim_end_matches("@sha256");
    format!(
        "{}\nupstream chart: SkyPilot charts/skypilot at commit {UPSTREAM_CHART_COMMIT}\ningress-nginx: chart {}, controller {}, kube-webhook-certgen {certgen}",
        env!("CARGO_PKG_VERSION"),
        nginx::CHART_VERSION,
        nginx::CONTROLLER_TAG,
    )
}

/// `skygen values`: the commented defaults, or with `--effective` the merged values of the
/// given inputs (validated like a render, so an input error is reported as render reports it).
pub fn values(args: &cli::ValuesArgs, matches: &clap::ArgMatches, stdin: &mut dyn Read) -> Outcome {
    if !args.effective {
        let given = super::diff::render_flags_given(matches);
        if !given.is_empty() {
            return Outcome::failed(vec![Diagnostic::error(
                Code::Usage,
                format!("{} only with --effective", given.join(", ")),
            )
            .with_help(
                "`skygen values --effective -f values.yaml …` prints the merged values",
            )]);
        }
        return ok(format!("{SCHEMA_MODELINE}{}", values::DEFAULTS_YAML));
    }
    let inputs = match inputs::from_args(&args.inputs, matches) {
        Ok(i) => i,
        Err(d) => return Outcome::failed(d),
    };
    if inputs::release_names(&args.inputs).len() > 1 {
        return Outcome::failed(vec![Diagnostic::error(
            Code::Usage,
            "values --effective takes one --release-name",
        )
        .with_help("run it once per release (overlay config may name the release)")]);
    }
    match crate::load_values(&inputs, stdin) {
        Ok(loaded) => Outcome {
            stdout: format!(
                "{SCHEMA_MODELINE}{}",
                values::effective::to_text(&loaded.merged, args.show_origin)
            ),
            diagnostics: loaded.warnings,
            status: ExitStatus::Success,
        },
        Err(d) => Outcome::failed(d),
    }
}
