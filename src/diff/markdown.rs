//! `skygen diff --format markdown` (issue #16): a summary to post as a pull-request comment, as
//! plan bots do. Takes a [`Report`] (Secret values already masked: the command refuses
//! `--show-secrets` with this format, since a comment is read by everyone with access to the
//! repository) and returns GitHub-flavoured Markdown:
//!
//! 1. a heading with the counts (`2 changed, 0 added, 1 removed`);
//! 2. a table of the risk classes found, with how many and what each means, then a table of
//!    every risk (object, class, field, reason);
//! 3. one `<details>` section per differing object, its risks in the summary line, its diff in
//!    a fenced `diff` block.
//!
//! Bounded by [`Limits`]: a diff longer than `max_object_lines` is cut with a note, and once the
//! comment would pass `max_chars` (GitHub refuses comments over 65,536 characters) the remaining
//! objects are listed by name only, with what was cut and how to see it all. Nothing from the
//! inputs can break out of its cell, summary or fence: table cells escape `|` and line breaks,
//! HTML is escaped in summaries, and each fence is longer than any run of backticks inside it.

use super::print::{body, summary};
use super::risk::RiskKind;
use super::{Change, ObjectDiff, Report};

/// Size bounds of the comment.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The whole comment, in characters (a cut note included).
    pub max_chars: usize,
    /// Lines of one object's diff before it is cut.
    pub max_object_lines: usize,
    /// Rows of the table of risks before it is cut.
    pub max_risk_rows: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_chars: 60_000,
            max_object_lines: 300,
            max_risk_rows: 50,
        }
    }
}

/// What a reviewer should know about each class, one phrase.
fn meaning(kind: RiskKind) -> &'static str {
    match kind {
        RiskKind::Restart => "pods are replaced",
        RiskKind::Downtime => "the API server or its ingress stops serving for a while",
        RiskKind::Immutable => "`kubectl apply` will fail; the object must be recreated",
        RiskKind::DataLoss => "the API server's state can be deleted",
        RiskKind::Exposure => "authentication is removed or something is newly reachable",
        RiskKind::Privilege => "RBAC or a container grants more",
        RiskKind::Logout => "every user is logged out",
        RiskKind::ConfigNotApplied => "the running server keeps its old config",
    }
}

/// `Deployment skypilot/skypilot-api-server`.
fn object_name(d: &ObjectDiff) -> String {
    let id = &d.id;
    if id.namespace.is_empty() {
        format!("{} {}", id.kind, id.name)
    } else {
        format!("{} {}/{}", id.kind, id.namespace, id.name)
    }
}

/// Text safe inside a table cell: `|` escaped everywhere (GitHub splits cells on it even in
/// code spans), line breaks joined, and HTML escaped outside code spans (inside them an entity
/// would print as written).
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_code = false;
    for c in s.chars() {
        match c {
            '`' => {
                in_code = !in_code;
                out.push(c);
            }
            '|' => out.push_str("\\|"),
            '\n' | '\r' => out.push(' '),
            '<' if !in_code => out.push_str("&lt;"),
            '>' if !in_code => out.push_str("&gt;"),
            '&' if !in_code => out.push_str("&amp;"),
            _ => out.push(c),
        }
    }
    out
}

/// Text safe inside HTML (`<summary>`).
fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

/// A fence longer than any run of backticks in `text`.
fn fence(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// The comment for `report`.
pub fn render(report: &Report, limits: &Limits) -> String {
    let mut out = format!("### skygen diff: {}\n\n", summary(report));
    if report.is_empty() {
        out.push_str("No differences.\n");
        return out;
    }
    let counts: Vec<(RiskKind, usize)> = report
        .risk_counts()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect();
    if counts.is_empty() {
        out.push_str("No risks found.\n\n");
    } else {
        out.push_str("| risk | count | meaning |\n|---|---|---|\n");
        for (k, n) in &counts {
            out.push_str(&format!("| `{k}` | {n} | {} |\n", meaning(*k)));
        }
        out.push_str("\n| object | risk | field | reason |\n|---|---|---|---|\n");
        let rows: Vec<String> = report
            .objects
            .iter()
            .flat_map(|d| d.risks.iter().map(move |r| (d, r)))
            .map(|(d, r)| {
                let path = if r.path.is_empty() {
                    "(whole object)".to_owned()
                } else {
                    format!("`{}`", r.path.replace('`', "'"))
                };
                format!(
                    "| {} | `{}` | {} | {} |\n",
                    cell(&object_name(d)),
                    r.kind,
                    cell(&path),
                    cell(&r.message)
                )
            })
            .collect();
        let total = rows.len();
        // The tables may take half of the comment; the diffs get the rest.
        let mut listed = 0;
        for row in rows.iter().take(limits.max_risk_rows) {
            if out.len() + row.len() > limits.max_chars / 2 {
                break;
            }
            out.push_str(row);
            listed += 1;
        }
        if total > listed {
            out.push_str(&format!(
                "\n{} more risks not listed (limit {} rows, {} characters); run `skygen diff` for all.\n",
                total - listed,
                limits.max_risk_rows,
                limits.max_chars / 2
            ));
        }
        out.push('\n');
    }
    let mut left_out: Vec<String> = vec![];
    let deadline = super::print::line_diff_deadline();
    for d in &report.objects {
        // Once one object is left out, so are the rest: no diff to compute for them.
        if !left_out.is_empty() {
            left_out.push(object_name(d));
            continue;
        }
        let section = details(d, limits, deadline);
        // Keep room for the closing note.
        if out.len() + section.len() + 600 > limits.max_chars {
            left_out.push(object_name(d));
            continue;
        }
        out.push_str(&section);
    }
    if !left_out.is_empty() {
        let mut names = String::new();
        for (i, n) in left_out.iter().enumerate() {
            let next = format!("{}{}", if i == 0 { "" } else { ", " }, cell(n));
            if out.len() + names.len() + next.len() + 200 > limits.max_chars {
                names.push_str(", …");
                break;
            }
            names.push_str(&next);
        }
        out.push_str(&format!(
            "\n**Cut:** the diffs of {} more objects are not shown, to stay under {} characters: {names}. Run `skygen diff` for the whole diff.\n",
            left_out.len(),
            limits.max_chars
        ));
    }
    out
}

/// One collapsible section: the object, its change and risks, its diff (cut when too long).
fn details(d: &ObjectDiff, limits: &Limits, deadline: std::time::Instant) -> String {
    let change = match d.change {
        Change::Changed => "changed",
        Change::Added => "added",
        Change::Removed => "removed",
    };
    let mut kinds: Vec<&str> = d.risks.iter().map(|r| r.kind.as_str()).collect();
    kinds.dedup();
    let risks = if kinds.is_empty() {
        String::new()
    } else {
        format!(" — {}", kinds.join(", "))
    };
    let text = body(d, 3, false, deadline);
    let lines: Vec<&str> = text.lines().collect();
    let mut shown = lines
        .iter()
        .take(limits.max_object_lines)
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    let cut = lines.len().saturating_sub(limits.max_object_lines);
    if cut > 0 {
        shown.push_str(&format!("\n… {cut} more lines cut"));
    }
    let f = fence(&shown);
    format!(
        "<details><summary><code>{}</code> {change}{}</summary>\n\n{f}diff\n{shown}\n{f}\n\n</details>\n",
        html(&object_name(d)),
        html(&risks),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_outgrow_backticks_and_cells_stay_cells() {
        assert_eq!(fence("a ``` b"), "````");
        assert_eq!(fence("plain"), "```");
        assert_eq!(cell("a|b\nc"), "a\\|b c");
        assert_eq!(cell("x < y `a < b`"), "x &lt; y `a < b`");
        assert_eq!(html("<b>&"), "&lt;b&gt;&amp;");
    }
}
