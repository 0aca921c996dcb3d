//! `skygen check RENDER…`: read every release's render, report the collisions between them
//! ([`crate::check`]); exit 1 when there are any.

use std::io::Read;

use crate::diagnostics::{Code, Diagnostic, Origin};
use crate::{check, cli, diff, ExitStatus, Outcome};

pub fn check(args: &cli::CheckArgs, stdin: &mut dyn Read) -> Outcome {
    if args.renders.iter().filter(|r| *r == "-").count() > 1 {
        return Outcome::failed(vec![Diagnostic::error(
            Code::Usage,
            "only one RENDER can be `-` (standard input)",
        )
        .with_help("save the others to files or `render -o` directories")]);
    }
    let mut releases = Vec::new();
    let mut errors = Vec::new();
    for source in &args.renders {
        match diff::input::load(source, stdin) {
            Ok(objects) => {
                let objects = objects.into_objects();
                let routes = check::routes(&objects);
                if routes > check::MAX_ROUTES {
                    errors.push(
                        Diagnostic::error(
                            Code::Usage,
                            format!(
                                "{routes} Ingress paths and HTTPRoute matches; check compares at most {} per render",
                                check::MAX_ROUTES
                            ),
                        )
                        .with_origin(Some(Origin::File {
                            path: source.clone(),
                            pos: None,
                        }))
                        .with_help("a release has a handful; check that this is the render of one release"),
                    );
                    continue;
                }
                releases.push(check::Release {
                    source: source.clone(),
                    objects,
                });
            }
            Err(d) => errors.extend(d),
        }
    }
    if !errors.is_empty() {
        return Outcome::failed(errors);
    }
    let found = check::collisions(&releases);
    Outcome {
        stdout: check::print(&releases, &found),
        diagnostics: vec![],
        status: if found.is_empty() {
            ExitStatus::Success
        } else {
            ExitStatus::Failure
        },
    }
}
