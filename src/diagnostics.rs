//! Diagnostics: what went wrong (or looks wrong), where, and how to fix it.
//!
//! One model for every stage: a [`Diagnostic`] has a severity, a stable [`Code`], a message, the
//! key path it is about, where the offending value came from ([`Origin`]: file and line, or the
//! `--set` argument) and `help` lines. Printing is separate ([`Diagnostic::render`]) and bounded
//! in length, so a hostile input cannot flood the terminal.

use std::fmt;

use crate::yaml::Pos;

/// Longest quoted input (a value, a key, a `--set` argument) printed, in characters.
pub const MAX_SHOWN_CHARS: usize = 200;

/// Longest line of a message or help printed, in characters. skygen's own text is far shorter
/// and every piece of input in it is already cut to [`MAX_SHOWN_CHARS`], so only a message that
/// quotes many inputs can reach it; then the cut falls between words, and `help:` lines (the
/// fix) are never cut. See: #10.
pub const MAX_LINE_CHARS: usize = 2000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// The kind of a finding. Code that reacts to a diagnostic matches on this, never on the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// A file could not be read (missing, a directory, too large, not UTF-8).
    Io,
    /// The text is not acceptable YAML (syntax, duplicate keys, too deep, alias bomb).
    Yaml,
    /// A command-line argument is malformed.
    Usage,
    /// A key the values schema does not know.
    UnknownKey,
    /// A value of the wrong type or outside its allowed set.
    InvalidValue,
    /// A combination of values the chart refuses.
    Rule,
    /// An unquoted YAML 1.1 word or number where text was expected.
    Yaml11Scalar,
    /// A key kept for compatibility that has a newer replacement.
    Deprecated,
    /// A template or rendered object is broken: a skygen bug, or a value that breaks structure.
    Render,
    /// An overlay is unknown, malformed, conflicts with another, or a patch does not apply.
    Overlay,
    /// An object skygen would write breaks its Kubernetes type or the name rules of its kind.
    Output,
    /// The SkyPilot version used to check `apiService.config` is not the image's exact release.
    SkyPilotVersion,
}

/// Where a value came from.
#[derive(Clone, Debug, PartialEq)]
pub enum Origin {
    /// A values file (`-` for stdin) and, when known, the position in it.
    File { path: String, pos: Option<Pos> },
    /// A `--set`-style flag and its whole argument, shared: every value the flag sets keeps
    /// its origin, and a copy each made a long argument cost gigabytes (issue 17).
    Flag {
        flag: &'static str,
        arg: std::sync::Arc<str>,
    },
    /// skygen's built-in defaults.
    Defaults,
    /// A template or another built-in file.
    Builtin { name: String, pos: Option<Pos> },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // A file name is input too: escaped like a value (never cut, it must stay findable).
            Origin::File { path, pos: Some(p) } => {
                write!(f, "{}:{}:{}", escaped(path), p.line, p.col)
            }
            Origin::File { path, pos: None } => f.write_str(&escaped(path)),
            Origin::Flag { flag, arg } => write!(f, "{flag} {}", shorten(arg)),
            Origin::Defaults => f.write_str("<defaults>"),
            // A built-in overlay's file is not on the user's disk: name the overlay instead of a
            // path they cannot open. See: #10.
            Origin::Builtin { name, pos } => match builtin_overlay(name) {
                Some((overlay, file)) => {
                    write!(f, "built-in overlay '{overlay}' ({file}")?;
                    if let Some(p) = pos {
                        write!(f, " line {}", p.line)?;
                    }
                    f.write_str(")")
                }
                None => match pos {
                    Some(p) => write!(f, "{}:{}:{}", escaped(name), p.line, p.col),
                    None => f.write_str(&escaped(name)),
                },
            },
        }
    }
}

/// How a built-in overlay's embedded files are named in an [`Origin::Builtin`]:
/// `built-in:<overlay>/<file>` (no path on disk looks like it).
pub const BUILTIN_OVERLAY_PREFIX: &str = "built-in:";

/// `built-in:<overlay>/<file>` → (overlay, file).
fn builtin_overlay(name: &str) -> Option<(&str, &str)> {
    name.strip_prefix(BUILTIN_OVERLAY_PREFIX)?.split_once('/')
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    /// Dotted key path (`apiService.image`), when the finding is about a value.
    pub key: Option<String>,
    pub origin: Option<Origin>,
    pub help: Vec<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            key: None,
            origin: None,
            help: Vec::new(),
        }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    pub fn with_origin(mut self, origin: Option<Origin>) -> Self {
        self.origin = origin;
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help.push(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// One line `severity: origin: key: message`, then indented `help:` lines.
    pub fn render(&self) -> String {
        let mut out = String::from(match self.severity {
            Severity::Error => "error: ",
            Severity::Warning => "warning: ",
        });
        if let Some(origin) = &self.origin {
            out.push_str(&origin.to_string());
            out.push_str(": ");
        }
        if let Some(key) = &self.key {
            out.push_str(&shorten(key));
            out.push_str(": ");
        }
        out.push_str(&bounded_lines(&self.message, MAX_LINE_CHARS));
        for h in &self.help {
            out.push_str("\n  help: ");
            out.push_str(&bounded_lines(h, usize::MAX));
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

/// Characters printed as an escape (`\u{202e}`) wherever input reaches a terminal: the control
/// characters (a newline forges a line, ESC starts a terminal command) and the invisible
/// formatting ones (U+202E reverses the text after it, U+2028 breaks the line, U+200B hides
/// inside a word), so a message shows what the input holds. See: #17.
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}'                    // soft hyphen
            | '\u{061C}'                  // Arabic letter mark
            | '\u{180E}'                  // Mongolian vowel separator
            | '\u{200B}'..='\u{200F}'     // zero width space, joiners, LRM, RLM
            | '\u{2028}'..='\u{202E}'     // line and paragraph separators, bidi embeddings
            | '\u{2060}'..='\u{206F}'     // word joiner, invisible operators, bidi isolates
            | '\u{FEFF}'                  // zero width no-break space (BOM)
            | '\u{FFF9}'..='\u{FFFB}'     // interlinear annotation
            | '\u{E0000}'..='\u{E007F}'   // tag characters
        )
}

/// `s` with every character of [`needs_escape`] escaped.
pub fn escaped(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return s.into();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_escaped(&mut out, c);
    }
    out.into()
}

/// [`escaped`], line by line: newlines stay.
pub fn escaped_lines(s: &str) -> String {
    s.split('\n').map(escaped).collect::<Vec<_>>().join("\n")
}

fn push_escaped(out: &mut String, c: char) {
    if needs_escape(c) {
        out.extend(c.escape_default());
    } else {
        out.push(c);
    }
}

/// Cut `s` to [`MAX_SHOWN_CHARS`] characters, escaping control and formatting characters
/// ([`needs_escape`]) so the output stays on one line and reads as it is.
pub fn shorten(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i >= MAX_SHOWN_CHARS {
            out.push('…');
            break;
        }
        push_escaped(&mut out, c);
    }
    out
}

/// Each line of skygen's own text, control and formatting characters escaped; a line over `max` characters is
/// cut at the last space before the limit (never inside a word).
fn bounded_lines(s: &str, max: usize) -> String {
    s.lines()
        .map(|line| {
            let mut out = String::new();
            for c in line.chars() {
                push_escaped(&mut out, c);
            }
            match out.char_indices().nth(max) {
                None => out,
                Some((cut, _)) => {
                    let cut = out[..cut].rfind(' ').unwrap_or(cut);
                    format!("{} …", out[..cut].trim_end())
                }
            }
        })
        .collect::<Vec<_>>()
        .join("\n  ")
}

/// Show a value from the input in a message: quoted, escaped and bounded.
pub fn quote(s: &str) -> String {
    format!("`{}`", shorten(s))
}

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_lowercase()), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendering_names_origin_key_and_help() {
        let d = Diagnostic::error(Code::UnknownKey, "unknown key")
            .with_key("apiService.imge")
            .with_origin(Some(Origin::File {
                path: "v.yaml".into(),
                pos: Some(Pos { line: 3, col: 5 }),
            }))
            .with_help("did you mean `apiService.image`?");
        assert_eq!(
            d.render(),
            "error: v.yaml:3:5: apiService.imge: unknown key\n  help: did you mean `apiService.image`?"
        );
    }

    #[test]
    fn long_and_multiline_input_is_bounded() {
        let s = shorten(&format!("a\nb{}", "x".repeat(1000)));
        assert!(s.starts_with("a\\nb"));
        assert!(s.chars().count() <= MAX_SHOWN_CHARS + 2);
    }

    /// See: #10. A long message is never cut inside a word, and a help line is never cut.
    #[test]
    fn skygen_text_is_not_cut_at_the_input_limit() {
        let help = format!("use one of: {}", vec!["someKey"; 100].join(", "));
        let d = Diagnostic::error(Code::Rule, "x ".repeat(150) + "end").with_help(help.clone());
        let text = d.render();
        assert!(text.contains(" end\n"), "{text}");
        assert!(text.ends_with(&help), "{text}");
        let long = Diagnostic::error(Code::Rule, "word ".repeat(1000)).render();
        let first = long.lines().next().unwrap();
        assert!(first.ends_with("word …"), "{first}");
        assert!(first.chars().count() <= MAX_LINE_CHARS + "error: ".len() + 2);
    }

    #[test]
    fn typos_get_suggestions() {
        assert_eq!(did_you_mean("imge", ["image", "replicas"]), Some("image"));
        assert_eq!(did_you_mean("zzz", ["image", "replicas"]), None);
    }
}
