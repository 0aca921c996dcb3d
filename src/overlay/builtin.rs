//! The built-in overlays, embedded in the binary from `overlays/<name>/`. Each loads exactly
//! like a user's directory of the same files.

use std::collections::BTreeMap;

use super::source::{Entry, Files};
use crate::diagnostics::{did_you_mean, quote, Code, Diagnostic};

/// Name → the overlay's files (relative path, text), in name order.
const BUILTINS: &[(&str, &[(&str, &str)])] = &[
    (
        "argocd",
        &[(
            "overlay.yaml",
            include_str!("../../overlays/argocd/overlay.yaml"),
        )],
    ),
    (
        "eks",
        &[
            (
                "overlay.yaml",
                include_str!("../../overlays/eks/overlay.yaml"),
            ),
            (
                "storageclass.yaml",
                include_str!("../../overlays/eks/storageclass.yaml"),
            ),
        ],
    ),
    (
        "flux",
        &[(
            "overlay.yaml",
            include_str!("../../overlays/flux/overlay.yaml"),
        )],
    ),
    (
        "gke",
        &[(
            "overlay.yaml",
            include_str!("../../overlays/gke/overlay.yaml"),
        )],
    ),
    (
        "hardened",
        &[
            (
                "overlay.yaml",
                include_str!("../../overlays/hardened/overlay.yaml"),
            ),
            (
                "networkpolicies.yaml",
                include_str!("../../overlays/hardened/networkpolicies.yaml"),
            ),
        ],
    ),
    (
        "minimal-rbac",
        &[(
            "overlay.yaml",
            include_str!("../../overlays/minimal-rbac/overlay.yaml"),
        )],
    ),
    (
        "nodeport",
        &[(
            "overlay.yaml",
            include_str!("../../overlays/nodeport/overlay.yaml"),
        )],
    ),
];

/// The names of the built-in overlays, sorted.
pub fn builtin_names() -> Vec<&'static str> {
    BUILTINS.iter().map(|(n, _)| *n).collect()
}

/// The files of the built-in `name`, if there is one.
pub fn files(name: &str) -> Option<Files> {
    let (name, files) = BUILTINS.iter().find(|(n, _)| *n == name)?;
    Some(Files {
        name: (*name).to_owned(),
        builtin: true,
        key: format!("built-in {name}"),
        dir: format!("{}{name}", crate::diagnostics::BUILTIN_OVERLAY_PREFIX),
        entries: files
            .iter()
            .map(|(p, t)| ((*p).to_owned(), Entry::Text(t)))
            .collect::<BTreeMap<_, _>>(),
    })
}

/// `skygen overlays`: one line per built-in, its name and description.
pub fn list() -> String {
    let width = BUILTINS.iter().map(|(n, _)| n.len()).max().unwrap_or(0) + 2;
    let mut out = String::new();
    for name in builtin_names() {
        let overlay = files(name)
            .and_then(|f| super::spec::parse(&f).ok())
            .unwrap_or_else(|| {
                panic!("built-in overlay {name} does not load; this is a skygen bug")
            });
        out.push_str(&format!("{name:<width$}{}\n", overlay.description));
    }
    out
}

/// An error for an unknown built-in, listing the built-ins.
pub fn unknown_builtin(spec: &str) -> Diagnostic {
    let names = builtin_names();
    let mut d = Diagnostic::error(
        Code::Overlay,
        format!(
            "unknown overlay {}: not a built-in and not a directory",
            quote(spec)
        ),
    );
    if let Some(best) = did_you_mean(spec, names.iter().copied()) {
        d = d.with_help(format!("did you mean `{best}`?"));
    }
    d.with_help(format!(
        "the built-in overlays are {} (`skygen overlays` describes them); a directory of your own must contain overlay.yaml",
        names.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_loads() {
        for name in builtin_names() {
            let f = files(name).unwrap();
            if let Err(d) = super::super::spec::parse(&f) {
                panic!("{name}: {d:?}");
            }
        }
        assert!(files("nope").is_none());
    }
}
