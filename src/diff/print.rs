//! Printing a [`Report`]: text for people (a helm-diff-like header per object, a `!` line per
//! risk, a unified diff of its canonical YAML, a summary line with the risk counts; optionally
//! in color) or JSON for programs (one entry per object with the JSON pointers of the fields
//! that differ and its risks). Takes a report; returns a string.

use std::time::{Duration, Instant};

use similar::{ChangeTag, TextDiff};

use super::{Change, ObjectDiff, Report};

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";
const YELLOW: &str = "\x1b[1;33m";

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

/// A name as printed in a header: as it is, or quoted with escapes when it holds a control or
/// invisible formatting character ([`crate::diagnostics::needs_escape`]). Inputs may come from files a reviewer does not trust; a newline or terminal escape
/// in a name must not forge diff lines or colors (the YAML bodies are escaped by the emitter).
fn shown(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(crate::diagnostics::needs_escape) {
        format!("{s:?}").into()
    } else {
        s.into()
    }
}

/// Time all line diffs of one report may take together. A line diff of two big objects whose
/// lines differ throughout (a 1,000,000-line ConfigMap printed in reverse) took 8 s, and no
/// size cap separates such objects from big objects with a few changes, which diff in
/// milliseconds (#17). Past this budget the diff library stops searching for the shortest
/// diff: the rest of an object's changes show as whole removals and additions, still exact.
/// Inputs a reviewer reads never come near it.
pub const LINE_DIFF_BUDGET: Duration = Duration::from_millis(300);

/// When the line diffs of a report must stop searching for the shortest diff.
pub fn line_diff_deadline() -> Instant {
    Instant::now() + LINE_DIFF_BUDGET
}

/// The report as text; empty when nothing differs.
pub fn text(report: &Report, context: usize, color: bool) -> String {
    let mut out = String::new();
    if report.is_empty() {
        return out;
    }
    let deadline = line_diff_deadline();
    for (i, diff) in report.objects.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        push_styled(&mut out, BOLD, color, &header(diff));
        for r in &diff.risks {
            push_styled(&mut out, YELLOW, color, &risk_line(r));
        }
        out.push_str(&body(diff, context, color, deadline));
    }
    out.push('\n');
    out.push_str(&summary(report));
    out.push('\n');
    out
}

/// The diff lines of one object (unified diff when changed; the whole object with `+` or `-`
/// when added or removed). The line diff searches until `deadline` ([`LINE_DIFF_BUDGET`]).
pub fn body(diff: &ObjectDiff, context: usize, color: bool, deadline: Instant) -> String {
    let mut out = String::new();
    match diff.change {
        Change::Changed => {
            let lines = TextDiff::configure()
                .deadline(deadline)
                .diff_lines(&diff.old_text, &diff.new_text);
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
    out
}

/// `! downtime: …` under an object's header. The message is escaped like a header: it quotes
/// names from the inputs.
pub fn risk_line(r: &super::risk::Risk) -> String {
    format!("! {}: {}", r.kind, shown(&r.message))
}

/// `2 changed, 0 added, 1 removed; risks: downtime 1, exposure 1` (no risk part when none).
pub fn summary(report: &Report) -> String {
    let (changed, added, removed) = report.counts();
    let mut s = format!("{changed} changed, {added} added, {removed} removed");
    let risks: Vec<String> = report
        .risk_counts()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    if !risks.is_empty() {
        s.push_str("; risks: ");
        s.push_str(&risks.join(", "));
    }
    s
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
                "risks": d.risks.iter().map(|r| serde_json::json!({
                    "kind": r.kind.as_str(),
                    "path": r.path,
                    "message": r.message,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let (changed, added, removed) = report.counts();
    let doc = serde_json::json!({
        "objects": objects,
        "summary": {"changed": changed, "added": added, "removed": removed},
        "risks": report
            .risk_counts()
            .into_iter()
            .map(|(k, n)| (k.as_str().to_owned(), serde_json::Value::from(n)))
            .collect::<serde_json::Map<_, _>>(),
    });
    let mut s =
        serde_json::to_string_pretty(&doc).expect("JSON values serialize; this is a skygen bug");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::ObjectId;

    /// Past the budget the diff is coarser, never wrong: its `-` and context lines are the old
    /// text and its `+` and context lines the new one.
    #[test]
    fn a_diff_past_the_budget_is_still_exact() {
        let old: String = (0..2000).map(|i| format!("line {i}\n")).collect();
        let new: String = (0..2000).rev().map(|i| format!("line {i}\n")).collect();
        let diff = ObjectDiff {
            id: ObjectId::of(&serde_json::json!({"kind": "ConfigMap", "metadata": {"name": "c"}})),
            change: Change::Changed,
            paths: vec!["/data/x".into()],
            old_text: old.clone(),
            new_text: new.clone(),
            risks: vec![],
        };
        for deadline in [Instant::now(), line_diff_deadline()] {
            let text = body(&diff, crate::diff::MAX_CONTEXT, false, deadline);
            let side = |keep: char| -> String {
                text.lines()
                    .filter(|l| !l.starts_with("@@"))
                    .filter(|l| l.starts_with(keep) || l.starts_with(' '))
                    .map(|l| format!("{}\n", &l[1..]))
                    .collect()
            };
            assert_eq!(side('-'), old);
            assert_eq!(side('+'), new);
        }
    }
}
