//! One short function per subcommand, wiring the stages together for the command line: turn the
//! flags into inputs, run the pipeline ([`crate::render_deployment`]) or read manifests, and
//! hand the result to emit or diff. Logic a command grows belongs in a stage, not here.

mod check;
mod diff;
mod render;
mod tooling;

pub use check::check;
pub use diff::diff;
pub use render::{render, validate};
pub use tooling::{completion, long_version, man, values};

/// Was the flag `id` given on the command line (not a default)?
fn given_on_command_line(matches: &clap::ArgMatches, id: &str) -> bool {
    matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
}
