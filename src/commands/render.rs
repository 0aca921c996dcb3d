//! `skygen render` (YAML or JSON on stdout, or a directory) and `skygen validate` (the same
//! pipeline, a one-line summary).

use std::io::Read;

use super::given_on_command_line;
use crate::diagnostics::{Code, Diagnostic};
use crate::{cli, inputs, manifest, render_deployment, Outcome};

/// `skygen render`: the pipeline, then emit.
pub fn render(args: &cli::RenderArgs, matches: &clap::ArgMatches, stdin: &mut dyn Read) -> Outcome {
    let inputs = match inputs::from_args(&args.inputs, matches) {
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
    Outcome::ok(stdout, r.warnings)
}

/// `skygen validate`: the pipeline, then a summary instead of the objects.
pub fn validate(
    args: &cli::InputArgs,
    matches: &clap::ArgMatches,
    stdin: &mut dyn Read,
) -> Outcome {
    let inputs = match inputs::from_args(args, matches) {
        Ok(i) => i,
        Err(d) => return Outcome::failed(d),
    };
    match render_deployment(&inputs, stdin) {
        Ok(r) => Outcome::ok(
            format!(
                "ok: {} objects, {} warning(s)\n",
                r.objects.len(),
                r.warnings.len()
            ),
            r.warnings,
        ),
        Err(d) => Outcome::failed(d),
    }
}
