//! Printing a [`Report`]: text for people (a helm-diff-like header per object, a unified diff of
//! its canonical YAML, a summary line; optionally in color) or JSON for programs (one entry per
//! object with the JSON pointers of the fields that differ). Takes a report; returns a string.

use similar::{ChangeTag, TextDiff};

use super::{Change, ObjectDiff, Report};

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";

/// Append `line` (which may end with a newline) wrapped in `style` when coloring.
fn push_styled(out: &mut String, style: &str, color: bool, line: &str) {
    let body = line.strip_suffix('\n').unwrap_or(line);
    if color {
        out.push_str(style);
        out.push_str(body);
        out.push_str(RESET);
    } else {
        out.push_str(body);
    }
    out.push('\n');
}

/// `skypilot, skypilot-api-server, Deployment (apps) has changed:`; the core group shows as
/// `v1` and a cluster-scoped object has no namespace part, as in helm-diff.
pub fn header(diff: &ObjectDiff) -> String {
    let id = &diff.id;
    let (namespace, name, kind) = (shown(&id.namespace), shown(&id.name), shown(&id.kind));
    let group = if id.group.is_empty() {
        "v1".into()
    } else {
        shown(&id.group)
    };
    let what = match diff.change {
        Change::Changed => "has changed",
        Change::Added => "has been added",
        Change::Removed => "has been removed",
    };
    if namespace.is_empty() {
        format!("{name}, {kind} ({group}) {what}:")
    } else {
        format!("{namespace}, {name}, {kind} ({group}) {what}:")
    }
}

/// A name as printed in a header: as it is, or quoted with escapes when it holds a control
/// character. Inputs may come from files a reviewer does not trust; a newline or terminal escape
/// in a name must not forge diff lines or colors (the YAML bodies are escaped by the emitter).
fn shown(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(char::is_control) {
        format!("{s:?}").into()
    } else {
        s.into()
    }
}

/// The report as text; empty when nothing differs.
pub fn text(report: &Report, context: usize, color: bool) -> String {
    let mut out = String::new();
    if report.is_empty() {
        return out;
    }
    for (i, diff) in report.objects.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        push_styled(&mut out, BOLD, color, &header(diff));
        match diff.change {
            Change::Changed => {
                let lines = TextDiff::from_lines(&diff.old_text, &diff.new_text);
                for hunk in lines.unified_diff().context_radius(context).iter_hunks() {
                    push_styled(&mut out, CYAN, color, &hunk.header().to_string());
                    for change in hunk.iter_changes() {
                        let (sign, style) = match change.tag() {
                            ChangeTag::Delete => ('-', RED),
                            ChangeTag::Insert => ('+', GREEN),
                            ChangeTag::Equal => (' ', ""),
                        };
                        let line = format!("{sign}{}", change.value());
                        push_styled(&mut out, style, color && sign != ' ', &line);
                    }
                }
            }
            Change::Added => {
                for line in diff.new_text.lines() {
                    push_styled(&mut out, GREEN, color, &format!("+{line}"));
                }
            }
            Change::Removed => {
                for line in diff.old_text.lines() {
                    push_styled(&mut out, RED, color, &format!("-{line}"));
                }
            }
        }
    }
    let (changed, added, removed) = report.counts();
    out.push_str(&format!(
        "\n{changed} changed, {added} added, {removed} removed\n"
    ));
    out
}

/// The report as one JSON document: `objects` (identity, `change`, `paths`) and `summary`.
/// Printed even when nothing differs, so a program always gets a document to read.
pub fn json(report: &Report) -> String {
    let objects: Vec<serde_json::Value> = report
        .objects
        .iter()
        .map(|d| {
            serde_json::json!({
                "apiGroup": d.id.group,
                "kind": d.id.kind,
                "namespace": d.id.namespace,
                "name": d.id.name,
                "change": d.change.as_str(),
                "paths": d.paths,
            })
        })
        .collect();
    let (changed, added, removed) = report.counts();
    let doc = serde_json::json!({
        "objects": objects,
        "summary": {"changed": changed, "added": added, "removed": removed},
    });
    let mut s =
        serde_json::to_string_pretty(&doc).expect("JSON values serialize; this is a skygen bug");
    s.push('\n');
    s
}
