//! Turn parsed flags into the pipeline's inputs: value sources in command-line order, the
//! overlays in the order given, and the release (name, namespace, Kubernetes version), checked. No stage below sees a clap type.

use clap::ArgMatches;

use crate::cli::InputArgs;
use crate::diagnostics::{quote, Code, Diagnostic};
use crate::render::Release;
use crate::skyconfig::version::SkyVersion;
use crate::values::set::SetFlag;
use crate::values::ValueSource;

/// Oldest Kubernetes skygen renders for: `networking.k8s.io/v1` Ingress needs 1.19.
pub const MIN_KUBE_VERSION: (u32, u32) = (1, 19);

/// Everything the pipeline needs from the command line.
#[derive(Clone, Debug, PartialEq)]
pub struct Inputs {
    pub sources: Vec<ValueSource>,
    /// `--overlay` arguments (built-in names or directories), in order.
    pub overlays: Vec<String>,
    pub release: Release,
    /// `--allow-vulnerable-ingress-nginx`.
    pub allow_vulnerable_ingress_nginx: bool,
    /// `--skypilot-version`: the release whose schema checks `apiService.config`.
    pub skypilot_version: Option<SkyVersion>,
    /// `--create-namespace`, `--skip-kept`, `--only-namespace`.
    pub lifecycle: crate::manifest::lifecycle::Options,
}

/// Is `s` a DNS-1123 label of at most `max` characters?
pub fn is_dns_label(s: &str, max: usize) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= max
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

fn parse_kube_version(s: &str) -> Option<(u32, u32)> {
    let s = s.strip_prefix('v').unwrap_or(s);
    let mut parts = s.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    match parts.next() {
        None => Some((major, minor)),
        Some(patch) if patch.parse::<u32>().is_ok() && parts.next().is_none() => {
            Some((major, minor))
        }
        _ => None,
    }
}

/// The release names given (`--release-name`, repeatable), in order; the default when none.
pub fn release_names(args: &InputArgs) -> &[String] {
    &args.release_name
}

/// Build the inputs, for the first release name ([`for_release`] gives the others). `matches`
/// are the subcommand's matches, used to keep `-f` and `--set*` in the order they were given.
pub fn from_args(args: &InputArgs, matches: &ArgMatches) -> Result<Inputs, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    for (i, name) in args.release_name.iter().enumerate() {
        if !is_dns_label(name, 53) {
            errors.push(
                Diagnostic::error(Code::Usage, format!("invalid release name {}", quote(name)))
                    .with_help("use at most 53 lowercase letters, digits and `-`, starting and ending with a letter or digit (as Helm requires)"),
            );
        } else if args.release_name[..i].contains(name) {
            errors.push(
                Diagnostic::error(
                    Code::Usage,
                    format!("release name {} is given twice", quote(name)),
                )
                .with_help("give each release once"),
            );
        }
    }
    if !is_dns_label(&args.namespace, 63) {
        errors.push(
            Diagnostic::error(Code::Usage, format!("invalid namespace {}", quote(&args.namespace)))
                .with_help("a namespace is at most 63 lowercase letters, digits and `-`, starting and ending with a letter or digit"),
        );
    }
    if let Some(ns) = args
        .only_namespace
        .as_deref()
        .filter(|ns| !is_dns_label(ns, 63))
    {
        errors.push(
            Diagnostic::error(Code::Usage, format!("--only-namespace {}: not a namespace name", quote(ns)))
                .with_help("a namespace is at most 63 lowercase letters, digits and `-`, starting and ending with a letter or digit"),
        );
    }
    let kube_version = match parse_kube_version(&args.kube_version) {
        Some(v) if v >= MIN_KUBE_VERSION => v,
        Some(_) => {
            errors.push(
                Diagnostic::error(Code::Usage, format!("--kube-version {} is too old", quote(&args.kube_version)))
                    .with_help("skygen needs Kubernetes 1.19 or newer (networking.k8s.io/v1 Ingress); the bundled ingress-nginx needs 1.21"),
            );
            MIN_KUBE_VERSION
        }
        None => {
            errors.push(
                Diagnostic::error(
                    Code::Usage,
                    format!(
                        "--kube-version {} is not a version",
                        quote(&args.kube_version)
                    ),
                )
                .with_help("write it as MAJOR.MINOR, e.g. --kube-version 1.30"),
            );
            MIN_KUBE_VERSION
        }
    };

    let skypilot_version = match args
        .skypilot_version
        .as_deref()
        .map(crate::skyconfig::parse_version_flag)
    {
        Some(Ok(v)) => Some(v),
        Some(Err(d)) => {
            errors.push(*d);
            None
        }
        None => None,
    };

    let mut ordered: Vec<(usize, ValueSource)> = Vec::new();
    let mut collect = |id: &str, make: &dyn Fn(String) -> ValueSource| {
        if let (Some(indices), Some(vals)) =
            (matches.indices_of(id), matches.get_many::<String>(id))
        {
            for (i, v) in indices.zip(vals) {
                ordered.push((i, make(v.clone())));
            }
        }
    };
    collect("values", &ValueSource::File);
    collect("set", &|v| ValueSource::Set(SetFlag::Set, v));
    collect("set_string", &|v| ValueSource::Set(SetFlag::SetString, v));
    collect("set_file", &|v| ValueSource::Set(SetFlag::SetFile, v));
    collect("set_json", &|v| ValueSource::Set(SetFlag::SetJson, v));
    // Helm's order: files, then `--set-json`, `--set`, `--set-string`, `--set-file`, each
    // kind in command-line order (helm's pkg/cli/values MergeValues). See: #10.
    ordered.sort_by_key(|(i, s)| {
        let rank = match s {
            ValueSource::File(_) | ValueSource::Overlay { .. } => 0,
            ValueSource::Set(SetFlag::SetJson, _) => 1,
            ValueSource::Set(SetFlag::Set, _) => 2,
            ValueSource::Set(SetFlag::SetString, _) => 3,
            ValueSource::Set(SetFlag::SetFile, _) => 4,
        };
        (rank, *i)
    });
    if errors.is_empty() {
        Ok(Inputs {
            sources: ordered.into_iter().map(|(_, s)| s).collect(),
            overlays: args.overlay.clone(),
            release: Release {
                name: args
                    .release_name
                    .first()
                    .cloned()
                    .unwrap_or_else(|| crate::values::resolve::DEFAULT_RELEASE_NAME.into()),
                namespace: args.namespace.clone(),
                kube_version,
            },
            allow_vulnerable_ingress_nginx: args.allow_vulnerable_ingress_nginx,
            skypilot_version,
            lifecycle: crate::manifest::lifecycle::Options {
                create_namespace: args.create_namespace,
                skip_kept: args.skip_kept,
                only_namespace: args.only_namespace.clone(),
            },
        })
    } else {
        Err(errors)
    }
}

/// skygen takes no positional arguments; Helm's `helm template NAME CHART` habit gets a fix.
pub fn no_positionals(helm: &crate::cli::HelmPositionals) -> Result<(), Vec<Diagnostic>> {
    let Some(first) = helm.positionals.first() else {
        return Ok(());
    };
    let name = if is_dns_label(first, 53) {
        first.as_str()
    } else {
        "NAME"
    };
    Err(vec![Diagnostic::error(
        Code::Usage,
        format!("unexpected argument {}: skygen takes no positional arguments", quote(first)),
    )
    .with_help(format!(
        "to name the release, use --release-name {name} (Helm's `helm template NAME CHART` takes it as a positional; skygen renders only the SkyPilot chart)"
    ))])
}

/// The same inputs for another release name (checked by [`from_args`]).
pub fn for_release(inputs: &Inputs, name: &str) -> Inputs {
    let mut other = inputs.clone();
    other.release.name = name.to_owned();
    other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_labels() {
        assert!(is_dns_label("skypilot", 53));
        assert!(is_dns_label("a-1", 53));
        for bad in ["", "-a", "a-", "A", "a_b", "a.b", &"a".repeat(54)] {
            assert!(!is_dns_label(bad, 53), "{bad}");
        }
    }

    #[test]
    fn kube_versions() {
        assert_eq!(parse_kube_version("1.35"), Some((1, 35)));
        assert_eq!(parse_kube_version("v1.30.2"), Some((1, 30)));
        assert_eq!(parse_kube_version("1"), None);
        assert_eq!(parse_kube_version("1.x"), None);
    }
}
