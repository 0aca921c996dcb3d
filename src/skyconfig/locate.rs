//! Where a position inside an embedded document (`apiService.config`, `apiService.sshNodePools`)
//! is in the user's input.
//!
//! Takes the origin the values stage recorded for the string and the text of the values file it
//! came from; returns a [`Source`] that turns a line and column of the embedded text into an
//! [`Origin`]. A literal block (`|`, `|-`, `|+`, `|2`) keeps its lines, so embedded line `n`,
//! column `c` is file line `header + n`, column `indent + c`. A file given to `--set-file` is the
//! embedded text itself. Anything else (a quoted or folded scalar, a `--set` argument) gets the
//! origin of the whole string plus the line and column inside it, in words.

use crate::diagnostics::Origin;
use crate::values::set::{self, RawValue, SetFlag};
use crate::yaml::Pos;

/// How embedded positions map to the input.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// A literal block scalar in a values file: its header (`|`) is on `header_line`, its content
    /// indented by `indent` columns.
    Block {
        path: String,
        header_line: usize,
        indent: usize,
    },
    /// The whole text of a file (`--set-file`).
    File { path: String },
    /// The line structure is not the input's: point at the string and name the inner position.
    Opaque(Option<Origin>),
}

/// Where the embedded text at `pointer` came from. `text_of` gives the text of a values file by
/// its path, when the values stage kept it.
pub fn source_of<'a>(
    origin: Option<&Origin>,
    pointer: &str,
    text_of: impl Fn(&str) -> Option<&'a str>,
) -> Source {
    match origin {
        Some(Origin::File {
            path,
            pos: Some(pos),
        }) => match text_of(path).and_then(|t| block_layout(t, *pos)) {
            Some((header_line, indent)) => Source::Block {
                path: path.clone(),
                header_line,
                indent,
            },
            None => Source::Opaque(origin.cloned()),
        },
        Some(Origin::Flag { flag, arg }) if *flag == SetFlag::SetFile.name() => {
            let file = set::parse(SetFlag::SetFile, arg).ok().and_then(|list| {
                list.into_iter().find_map(|a| match a.value {
                    RawValue::Str(path) if set::pointer(&a.path) == pointer => Some(path),
                    _ => None,
                })
            });
            match file {
                Some(path) => Source::File { path },
                None => Source::Opaque(origin.cloned()),
            }
        }
        _ => Source::Opaque(origin.cloned()),
    }
}

/// The indicators after `|` when `line` ends a literal block header (`key: |-  # comment`).
fn indicator(line: &str) -> Option<String> {
    let code = line.split(" #").next().unwrap_or(line).trim_end();
    let last = code.rsplit([' ', '\t']).next().unwrap_or(code);
    let ind = last.strip_prefix('|')?;
    (ind.len() <= 2
        && ind
            .chars()
            .all(|c| c.is_ascii_digit() || c == '+' || c == '-'))
    .then(|| ind.to_owned())
}

/// For a literal block scalar that the reader placed at `at` (its indicator `|`, or the start of
/// its first content line): the header's line and the indentation of its content. `None` when
/// the scalar at `at` is not a literal block.
fn block_layout(text: &str, at: Pos) -> Option<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let line_at = |n: usize| n.checked_sub(1).and_then(|i| lines.get(i)).copied();
    let from_col =
        |l: &str, col: usize| -> String { l.chars().skip(col.saturating_sub(1)).collect() };
    // The reader places a block scalar at its first content line, so the header is the nearest
    // non-blank line above; a position on the indicator itself is accepted too.
    let above = (1..at.line)
        .rev()
        .find(|&n| line_at(n).is_some_and(|l| !l.trim().is_empty()));
    let (header_line, indicator) = match above.and_then(|n| Some((n, indicator(line_at(n)?)?))) {
        Some(found) => found,
        None if from_col(line_at(at.line)?, at.col).starts_with('|') => {
            (at.line, indicator(line_at(at.line)?)?)
        }
        None => return None,
    };
    let head = line_at(header_line)?;
    let leading = |l: &str| l.chars().take_while(|c| *c == ' ').count();
    if let Some(d) = indicator.chars().find_map(|c| c.to_digit(10)) {
        // An explicit indentation is relative to the indentation of the line holding the key.
        return Some((header_line, leading(head) + d as usize));
    }
    let indent = lines
        .iter()
        .skip(header_line)
        .find(|l| !l.trim().is_empty())
        .map(|l| leading(l))
        .unwrap_or(0);
    Some((header_line, indent))
}

impl Source {
    /// The input position of an embedded position, and words to add when it can only be named
    /// relative to the string.
    pub fn locate(&self, pos: Option<Pos>) -> (Option<Origin>, Option<String>) {
        match (self, pos) {
            (
                Source::Block {
                    path,
                    header_line,
                    indent,
                },
                Some(p),
            ) => (
                Some(Origin::File {
                    path: path.clone(),
                    pos: Some(Pos {
                        line: header_line + p.line,
                        col: indent + p.col,
                    }),
                }),
                None,
            ),
            (
                Source::Block {
                    path, header_line, ..
                },
                None,
            ) => (
                Some(Origin::File {
                    path: path.clone(),
                    pos: Some(Pos {
                        line: *header_line,
                        col: 1,
                    }),
                }),
                None,
            ),
            (Source::File { path }, pos) => (
                Some(Origin::File {
                    path: path.clone(),
                    pos,
                }),
                None,
            ),
            (Source::Opaque(origin), Some(p)) => (
                origin.clone(),
                Some(format!(
                    "at line {}, column {} of the embedded text",
                    p.line, p.col
                )),
            ),
            (Source::Opaque(origin), None) => (origin.clone(), None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: usize, col: usize) -> Pos {
        Pos { line, col }
    }

    #[test]
    fn literal_blocks_map_line_and_indent() {
        let text = "apiService:\n  config: |\n    kubernetes:\n      allowed_contexts: x\n";
        assert_eq!(block_layout(text, at(2, 11)), Some((2, 4)));
        // The reader places a block scalar at its first content line.
        assert_eq!(block_layout(text, at(3, 5)), Some((2, 4)));
        let text = "a:\n  config: |- # comment\n\n    x: 1\n";
        assert_eq!(block_layout(text, at(4, 5)), Some((2, 4)));
        let text = "apiService:\n  config: |-\n\n      a: 1\n";
        assert_eq!(block_layout(text, at(2, 11)), Some((2, 6)));
        let text = "apiService:\n  config: |4+ # comment\n      a: 1\n";
        assert_eq!(block_layout(text, at(2, 11)), Some((2, 6)));
        // Not a literal block: folded, quoted, plain.
        assert_eq!(block_layout("a: >\n  x\n", at(2, 3)), None);
        assert_eq!(block_layout("a: \"x: 1\"\n", at(1, 4)), None);
        assert_eq!(block_layout("a:\n  b: c\n", at(2, 3)), None);
    }

    #[test]
    fn positions_become_file_positions_or_words() {
        let block = Source::Block {
            path: "v.yaml".into(),
            header_line: 2,
            indent: 4,
        };
        assert_eq!(
            block.locate(Some(at(2, 7))).0,
            Some(Origin::File {
                path: "v.yaml".into(),
                pos: Some(at(4, 11))
            })
        );
        let flag = Origin::Flag {
            flag: "--set",
            arg: "apiService.config=a: [".into(),
        };
        let s = source_of(Some(&flag), "/apiService/config", |_| None);
        assert_eq!(
            s.locate(Some(at(1, 4))),
            (
                Some(flag),
                Some("at line 1, column 4 of the embedded text".into())
            )
        );
        let file = Origin::Flag {
            flag: "--set-file",
            arg: "apiService.sshNodePools=pools.yaml,apiService.config=sky.yaml".into(),
        };
        assert_eq!(
            source_of(Some(&file), "/apiService/config", |_| None),
            Source::File {
                path: "sky.yaml".into()
            }
        );
    }
}
