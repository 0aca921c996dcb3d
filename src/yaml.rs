//! The one YAML reader skygen uses for everything it reads: values files, rendered templates and
//! manifests given to `diff`.
//!
//! It turns a YAML stream into `serde_json::Value` documents and remembers where every node
//! started (a JSON pointer → line and column map), so later stages can point at the file. Plain
//! scalars are resolved the way Helm reads values (YAML 1.1 through `sigs.k8s.io/yaml`):
//! `yes`/`off`/`y` are booleans and `0755` is octal. Each plain scalar whose YAML 1.1 reading differs
//! from a YAML 1.2 reading is recorded as a [`Trap`] so the values stage can warn about it.
//!
//! It refuses what a values file never needs and an attacker may send: duplicate keys, complex
//! keys, unbounded alias expansion (alias bombs) and deep nesting. It never panics on input.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Number, Value};
use serde_saphyr::granit_parser::{Event, Options, Parser, ScalarStyle, Span};

/// Deepest nesting of mappings and sequences accepted. Helm values need a dozen levels; the
/// limit keeps every recursive stage after the reader safe from stack exhaustion.
pub const MAX_DEPTH: usize = 64;
/// Most nodes one stream may expand to, counting every node an alias copies.
pub const MAX_NODES: usize = 200_000;

/// Can `c` stand raw in YAML text and be read back as itself by every YAML reader (YAML 1.2's
/// printable set, which PyYAML and go-yaml share)? Tab, newline and carriage return are
/// structure and are left to the writer. Excluded besides the non-printables (C0 and C1
/// controls, DEL, U+FFFE, U+FFFF): NEL, LS and PS, which YAML 1.1 readers (kubectl's) take as
/// line breaks and fold inside a quoted scalar, and the byte order mark.
pub fn is_raw_safe(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~')
        || (matches!(c as u32, 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x1_0000..)
            && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}'))
}

/// JSON text (which YAML reads as flow) with every character [`is_raw_safe`] refuses written as
/// a `\uXXXX` escape, which JSON and YAML double-quoted scalars both read back. JSON allows
/// those characters raw; YAML does not (issue 17). Only BMP characters are ever refused, and
/// in JSON text they only occur inside strings, where the escape means the same.
pub fn escape_json_for_yaml(json: &str) -> std::borrow::Cow<'_, str> {
    if json.chars().all(is_raw_safe) {
        return std::borrow::Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_raw_safe(c) {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{:04x}", c as u32));
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A 1-based line and column in a source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

/// A plain scalar that YAML 1.1 (Helm, kubectl) and YAML 1.2 read differently.
#[derive(Clone, Debug, PartialEq)]
pub struct Trap {
    /// JSON pointer of the node.
    pub pointer: String,
    /// The scalar exactly as written.
    pub text: String,
    pub pos: Pos,
}

/// One document of a stream, with the positions of its nodes.
#[derive(Clone, Debug, Default)]
pub struct Document {
    pub value: Value,
    /// JSON pointer → where the node starts. Nodes copied by an alias have no entry of their own.
    pub positions: BTreeMap<String, Pos>,
    /// JSON pointer of a mapping entry → where its key starts. Only [`read_one_with_keys`]
    /// fills it (an error about an unknown key points at the key, not at its value).
    pub keys: BTreeMap<String, Pos>,
    pub traps: Vec<Trap>,
}

impl Document {
    /// The position of the node at `pointer`, or of its nearest ancestor that has one.
    pub fn position_of(&self, pointer: &str) -> Option<Pos> {
        let mut p = pointer;
        loop {
            if let Some(pos) = self.positions.get(p) {
                return Some(*pos);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }
}

/// Why a stream could not be read.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadError {
    pub pos: Option<Pos>,
    pub kind: ReadErrorKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ReadErrorKind {
    /// The text is not YAML; the message is the parser's.
    Syntax(String),
    DuplicateKey(String),
    /// A mapping or sequence used as a mapping key.
    ComplexKey,
    TooDeep,
    TooManyNodes,
    /// A merge key (`<<`) whose value is not a mapping or a list of mappings.
    BadMerge,
    /// A tag skygen does not understand, such as `!!binary` or `!custom`.
    UnsupportedTag(String),
}

impl std::fmt::Display for ReadErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadErrorKind::Syntax(msg) => write!(f, "invalid YAML: {msg}"),
            ReadErrorKind::DuplicateKey(k) => write!(f, "duplicate key `{k}` in the same mapping"),
            ReadErrorKind::ComplexKey => f.write_str("a mapping or list cannot be a key"),
            ReadErrorKind::TooDeep => write!(f, "nesting deeper than {MAX_DEPTH} levels"),
            ReadErrorKind::TooManyNodes => write!(
                f,
                "the document expands to more than {MAX_NODES} nodes (aliases included)"
            ),
            ReadErrorKind::BadMerge => {
                f.write_str("a merge key `<<` needs a mapping or a list of mappings")
            }
            ReadErrorKind::UnsupportedTag(t) => write!(f, "unsupported tag `{t}`"),
        }
    }
}

fn pos_of(span: &Span) -> Pos {
    Pos {
        line: span.start.line(),
        col: span.start.col() + 1,
    }
}

pub use crate::pointer::escape as escape_pointer;
use crate::pointer::push_escaped;

enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: usize,
    },
    Map {
        map: Map<String, Value>,
        key: Option<(String, Pos)>,
        /// The pending key is a plain `<<`, a merge key. A quoted `"<<"` is an ordinary key, as
        /// go-yaml reads it (the writer quotes a `<<` key for that reason).
        merge_key: bool,
        merges: Vec<Value>,
        anchor: usize,
    },
}

struct Builder {
    docs: Vec<Document>,
    doc: Document,
    stack: Vec<Frame>,
    /// Pointer segments of the node being built; one per open frame plus the pending key.
    path: Vec<String>,
    anchors: HashMap<usize, (Value, usize)>,
    nodes: usize,
    root: Option<Value>,
    /// Nodes deeper than this get no position (and no trap); `position_of` falls back to the
    /// nearest recorded parent.
    position_depth: usize,
    /// Whether to fill [`Document::keys`].
    key_positions: bool,
    /// Deepest nesting accepted: [`MAX_DEPTH`], or more for manifests in a `List`.
    max_depth: usize,
}

/// Read a whole YAML stream.
pub fn read_stream(text: &str) -> Result<Vec<Document>, ReadError> {
    read_stream_with_positions(text, usize::MAX, false, MAX_DEPTH)
}

/// Read a whole YAML stream, recording positions only for nodes at most `depth` levels deep.
/// For inputs that only need to point at objects (manifests to diff), this skips most of the
/// cost of building JSON pointers; YAML 1.1 traps are not recorded below that depth either.
pub fn read_stream_shallow(text: &str, depth: usize) -> Result<Vec<Document>, ReadError> {
    read_stream_with_positions(text, depth, false, MAX_DEPTH)
}

/// Levels a `List` (`kind: List` and its `items`) adds around the objects it holds.
pub const LIST_LEVELS: usize = 2;

/// [`read_stream_shallow`] for manifests: objects may sit in a `List` (what `render --format
/// json` and `kubectl get -o yaml` write), so the stream may nest [`LIST_LEVELS`] deeper than
/// [`MAX_DEPTH`]; the reader of the objects checks each against [`MAX_DEPTH`] with
/// [`depth_of`], so an object may nest as deep on its own as in a `List`.
pub fn read_manifest_stream(text: &str, depth: usize) -> Result<Vec<Document>, ReadError> {
    read_stream_with_positions(text, depth, false, MAX_DEPTH + LIST_LEVELS)
}

/// Levels of mappings and lists in `v` (a scalar is 0). Recursion is safe on what a reader
/// built: its depth is bounded.
pub fn depth_of(v: &Value) -> usize {
    match v {
        Value::Object(m) => 1 + m.values().map(depth_of).max().unwrap_or(0),
        Value::Array(a) => 1 + a.iter().map(depth_of).max().unwrap_or(0),
        _ => 0,
    }
}

fn read_stream_with_positions(
    text: &str,
    position_depth: usize,
    key_positions: bool,
    max_depth: usize,
) -> Result<Vec<Document>, ReadError> {
    let mut options = Options::default();
    // The parser's own limit is a guard for its recursion; the builder's, one level below it,
    // is the one that fires, with a message that says what the limit is (#17: JSON input
    // hit the parser's "recursion limit exceeded" first).
    options.flow_nesting_limit = max_depth + 1;
    options.block_nesting_limit = max_depth + 1;
    let parser = Parser::new_from_str_with_options(text, options);
    let mut b = Builder {
        docs: Vec::new(),
        doc: Document::default(),
        stack: Vec::new(),
        path: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        root: None,
        position_depth,
        key_positions,
        max_depth,
    };
    for item in parser {
        let (event, span) = item.map_err(|e| {
            let m = e.marker();
            ReadError {
                pos: Some(Pos {
                    line: m.line(),
                    col: m.col() + 1,
                }),
                kind: ReadErrorKind::Syntax(e.info()),
            }
        })?;
        b.event(event, span)?;
    }
    Ok(b.docs)
}

/// Read a stream that must hold exactly one document (an empty text is an empty document).
pub fn read_one(text: &str) -> Result<Document, ReadError> {
    one(read_stream(text)?)
}

/// [`read_one`], also recording where each mapping key starts ([`Document::keys`]).
pub fn read_one_with_keys(text: &str) -> Result<Document, ReadError> {
    one(read_stream_with_positions(
        text,
        usize::MAX,
        true,
        MAX_DEPTH,
    )?)
}

fn one(mut docs: Vec<Document>) -> Result<Document, ReadError> {
    match docs.len() {
        0 => Ok(Document {
            value: Value::Null,
            ..Document::default()
        }),
        1 => Ok(docs.remove(0)),
        _ => Err(ReadError {
            pos: None,
            kind: ReadErrorKind::Syntax(format!(
                "expected one YAML document, found {}",
                docs.len()
            )),
        }),
    }
}

fn count_nodes(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(count_nodes).sum::<usize>(),
        Value::Object(m) => 1 + m.values().map(count_nodes).sum::<usize>(),
        _ => 1,
    }
}

impl Builder {
    fn pointer(&self) -> String {
        let mut s = String::with_capacity(64);
        for seg in &self.path {
            s.push('/');
            push_escaped(&mut s, seg);
        }
        s
    }

    /// Remember where the node just entered starts, if it is shallow enough; returns its pointer.
    fn record(&mut self, pos: Pos) -> Option<String> {
        if self.path.len() > self.position_depth {
            return None;
        }
        let ptr = self.pointer();
        self.doc.positions.insert(ptr.clone(), pos);
        Some(ptr)
    }

    fn bump(&mut self, n: usize, pos: Pos) -> Result<(), ReadError> {
        self.nodes += n;
        if self.nodes > MAX_NODES {
            return Err(ReadError {
                pos: Some(pos),
                kind: ReadErrorKind::TooManyNodes,
            });
        }
        Ok(())
    }

    /// Push the path segment for a node that is about to start at the current position.
    fn enter(&mut self) {
        if self.path.len() >= self.position_depth {
            // Keeps the depth count; the segment itself is never read.
            if !self.stack.is_empty() {
                self.path.push(String::new());
            }
            return;
        }
        match self.stack.last() {
            Some(Frame::Seq { items, .. }) => self.path.push(items.len().to_string()),
            Some(Frame::Map {
                key: Some((k, _)), ..
            }) => self.path.push(k.clone()),
            _ => {}
        }
    }

    fn leave(&mut self) {
        if !self.stack.is_empty() {
            self.path.pop();
        }
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), ReadError> {
        let pos = pos_of(&span);
        match event {
            Event::StreamStart | Event::StreamEnd => {}
            Event::DocumentStart(..) => {
                self.doc = Document::default();
                self.anchors.clear();
                self.root = None;
            }
            Event::DocumentEnd => {
                let mut doc = std::mem::take(&mut self.doc);
                doc.value = self.root.take().unwrap_or(Value::Null);
                self.docs.push(doc);
            }
            Event::Alias(id) => {
                let (value, size) = self.anchors.get(&id).cloned().ok_or(ReadError {
                    pos: Some(pos),
                    kind: ReadErrorKind::Syntax("alias to an unknown anchor".into()),
                })?;
                self.bump(size, pos)?;
                if self.is_key_position() {
                    return self.set_key(value, pos, false);
                }
                self.enter();
                self.record(pos);
                self.leave();
                self.complete(value, 0, pos)?;
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.bump(1, pos)?;
                let tag_suffix = tag.as_ref().map(|t| {
                    t.core_suffix()
                        .map(str::to_owned)
                        .unwrap_or_else(|| format!("{}{}", t.original_handle(), t.suffix()))
                });
                let (value, trap) =
                    resolve_scalar(&text, style, tag_suffix.as_deref()).map_err(|kind| {
                        ReadError {
                            pos: Some(pos),
                            kind,
                        }
                    })?;
                if self.is_key_position() {
                    // Keys stay the text as written: YAML 1.1 would turn a key `y` or `on` into
                    // `true`, which no Kubernetes or values key ever means.
                    let key = match value {
                        Value::Null if text.is_empty() => value,
                        _ => Value::String(text.to_string()),
                    };
                    let merge = style == ScalarStyle::Plain && tag_suffix.is_none() && text == "<<";
                    return self.set_key(key, pos, merge);
                }
                self.enter();
                if let Some(ptr) = self.record(pos) {
                    if trap {
                        self.doc.traps.push(Trap {
                            pointer: ptr,
                            text: text.to_string(),
                            pos,
                        });
                    }
                }
                self.leave();
                self.complete(value, anchor, pos)?;
            }
            Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
                self.bump(1, pos)?;
                if self.is_key_position() {
                    return Err(ReadError {
                        pos: Some(pos),
                        kind: ReadErrorKind::ComplexKey,
                    });
                }
                if self.stack.len() >= self.max_depth {
                    return Err(ReadError {
                        pos: Some(pos),
                        kind: ReadErrorKind::TooDeep,
                    });
                }
                self.enter();
                self.record(pos);
                let frame = if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq {
                        items: Vec::new(),
                        anchor,
                    }
                } else {
                    Frame::Map {
                        map: Map::new(),
                        key: None,
                        merge_key: false,
                        merges: Vec::new(),
                        anchor,
                    }
                };
                self.stack.push(frame);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let frame = self.stack.pop().ok_or(ReadError {
                    pos: Some(pos),
                    kind: ReadErrorKind::Syntax("unbalanced collection".into()),
                })?;
                self.leave();
                let (value, anchor) = match frame {
                    Frame::Seq { items, anchor } => (Value::Array(items), anchor),
                    Frame::Map {
                        mut map,
                        merges,
                        anchor,
                        ..
                    } => {
                        // Explicit keys win over merged ones; earlier merge sources win over later.
                        for source in merges {
                            let Value::Object(source) = source else {
                                return Err(ReadError {
                                    pos: Some(pos),
                                    kind: ReadErrorKind::BadMerge,
                                });
                            };
                            for (k, v) in source {
                                map.entry(k).or_insert(v);
                            }
                        }
                        (Value::Object(map), anchor)
                    }
                };
                self.complete(value, anchor, pos)?;
            }
            // Comments and anchor metadata carry no data.
            _ => {}
        }
        Ok(())
    }

    fn is_key_position(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }

    fn set_key(&mut self, key: Value, pos: Pos, merge: bool) -> Result<(), ReadError> {
        let key = match key {
            Value::String(s) => s,
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            _ => {
                return Err(ReadError {
                    pos: Some(pos),
                    kind: ReadErrorKind::ComplexKey,
                })
            }
        };
        if let Some(Frame::Map {
            map,
            key: slot,
            merge_key,
            ..
        }) = self.stack.last_mut()
        {
            if map.contains_key(&key) {
                return Err(ReadError {
                    pos: Some(pos),
                    kind: ReadErrorKind::DuplicateKey(key),
                });
            }
            *slot = Some((key, pos));
            *merge_key = merge;
        }
        if self.key_positions {
            self.enter();
            let ptr = self.pointer();
            self.leave();
            self.doc.keys.insert(ptr, pos);
        }
        Ok(())
    }

    fn complete(&mut self, value: Value, anchor: usize, pos: Pos) -> Result<(), ReadError> {
        if anchor != 0 {
            let size = count_nodes(&value);
            self.anchors.insert(anchor, (value.clone(), size));
        }
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map {
                map,
                key,
                merge_key,
                merges,
                ..
            }) => {
                let (k, _) = key.take().ok_or(ReadError {
                    pos: Some(pos),
                    kind: ReadErrorKind::Syntax("value without a key".into()),
                })?;
                if std::mem::take(merge_key) {
                    match value {
                        Value::Array(list) => merges.extend(list),
                        other => merges.push(other),
                    }
                } else {
                    map.insert(k, value);
                }
            }
        }
        Ok(())
    }
}

/// Resolve a scalar as Helm's YAML 1.1 reader does. Returns the value and whether YAML 1.2 would
/// have read the same text differently (a trap worth a warning when a string was meant).
fn resolve_scalar(
    text: &str,
    style: ScalarStyle,
    tag: Option<&str>,
) -> Result<(Value, bool), ReadErrorKind> {
    if let Some(tag) = tag {
        let v = match tag {
            "str" => Value::String(text.to_owned()),
            "null" => Value::Null,
            "bool" | "int" | "float" => match resolve_plain_11(text) {
                v @ (Value::Bool(_) | Value::Number(_)) => v,
                _ => return Err(ReadErrorKind::UnsupportedTag(format!("!!{tag} {text}"))),
            },
            "map" | "seq" => return Err(ReadErrorKind::UnsupportedTag(format!("!!{tag}"))),
            other => return Err(ReadErrorKind::UnsupportedTag(other.to_owned())),
        };
        return Ok((v, false));
    }
    if style != ScalarStyle::Plain {
        return Ok((Value::String(text.to_owned()), false));
    }
    let v11 = resolve_plain_11(text);
    let trap = !v11.is_string() && v11 != resolve_plain_12(text);
    Ok((v11, trap))
}

const TRUE_11: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
];
const FALSE_11: &[&str] = &[
    "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
];

fn is_null_word(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// YAML 1.1 plain-scalar resolution, as go-yaml v2 (and so Helm and kubectl) does it.
pub fn resolve_plain_11(text: &str) -> Value {
    if is_null_word(text) {
        return Value::Null;
    }
    if TRUE_11.contains(&text) {
        return Value::Bool(true);
    }
    if FALSE_11.contains(&text) {
        return Value::Bool(false);
    }
    // Numbers start with a digit, a sign, `.` (or `_`, which neither parser takes): anything
    // else is text, without the integer parser's copy (most scalars are words or paths).
    if !text.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | '_')) {
        return Value::String(text.to_owned());
    }
    if let Some(n) = parse_int_11(text) {
        return Value::Number(n.into());
    }
    if let Some(f) = parse_float(text) {
        if let Some(n) = Number::from_f64(f) {
            return Value::Number(n);
        }
        return Value::String(text.to_owned());
    }
    Value::String(text.to_owned())
}

/// YAML 1.2 core-schema resolution, used only to detect traps.
fn resolve_plain_12(text: &str) -> Value {
    if is_null_word(text) {
        return Value::Null;
    }
    match text {
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let (neg, body) = split_sign(text);
    let parsed = if let Some(hex) = body.strip_prefix("0x") {
        unsigned_in_radix(hex, 16)
    } else if let Some(oct) = body.strip_prefix("0o") {
        unsigned_in_radix(oct, 8)
    } else {
        unsigned_in_radix(body, 10)
    };
    if let Some(n) = parsed {
        return Value::Number((if neg { -n } else { n }).into());
    }
    if let Some(f) = parse_float(text).and_then(Number::from_f64) {
        return Value::Number(f);
    }
    Value::String(text.to_owned())
}

fn split_sign(text: &str) -> (bool, &str) {
    if let Some(rest) = text.strip_prefix('-') {
        (true, rest)
    } else {
        (false, text.strip_prefix('+').unwrap_or(text))
    }
}

fn parse_int_11(text: &str) -> Option<i64> {
    let (neg, body) = split_sign(text);
    if body.is_empty() || body.starts_with('_') {
        return None;
    }
    let cleaned: String = body.chars().filter(|c| *c != '_').collect();
    let n = if let Some(hex) = cleaned.strip_prefix("0x") {
        unsigned_in_radix(hex, 16)?
    } else if let Some(bin) = cleaned.strip_prefix("0b") {
        unsigned_in_radix(bin, 2)?
    } else if let Some(oct) = cleaned.strip_prefix("0o") {
        unsigned_in_radix(oct, 8)?
    } else if cleaned.len() > 1 && cleaned.starts_with('0') {
        unsigned_in_radix(&cleaned[1..], 8)?
    } else {
        unsigned_in_radix(&cleaned, 10)?
    };
    Some(if neg { -n } else { n })
}

/// Digits of `radix` and nothing else. `from_str_radix` alone also takes a sign, which would
/// read `0-7` as octal -7 and `0x-1` as -1; Go's `ParseInt`, behind Helm's reader, takes a sign
/// only before the prefix.
fn unsigned_in_radix(digits: &str, radix: u32) -> Option<i64> {
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    i64::from_str_radix(digits, radix).ok()
}

/// Floats in the YAML 1.1/1.2 decimal form (`1.5`, `.5`, `1e3`, `-2.0E-1`). Infinity and NaN
/// are left as strings: JSON cannot hold them and no value of ours needs them.
fn parse_float(text: &str) -> Option<f64> {
    let (_, body) = split_sign(text);
    let bytes = body.as_bytes();
    let mut i = 0;
    let digits_before = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    i += digits_before;
    let mut digits_after = 0;
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        digits_after = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        i += digits_after;
    }
    if digits_before + digits_after == 0 {
        return None;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        if exp == 0 {
            return None;
        }
        i += exp;
    }
    if i != bytes.len() {
        return None;
    }
    text.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_sign_after_a_radix_prefix_or_leading_zero_is_text() {
        // PyYAML and Go's ParseInt agree: a sign is part of a number only in front. A random
        // string test found `0-0` read as the number 0 (from_str_radix took `-0` as octal).
        for text in [
            "0-0", "0-7", "0x-1", "0x+f", "0b+1", "0o-7", "-0-1", "0_-1", "1-2",
        ] {
            assert_eq!(resolve_plain_11(text), json!(text), "YAML 1.1: {text}");
            assert_eq!(resolve_plain_12(text), json!(text), "YAML 1.2: {text}");
        }
        assert_eq!(resolve_plain_11("+0x1F"), json!(31));
        assert_eq!(resolve_plain_11("-0755"), json!(-493));
        assert_eq!(resolve_plain_12("-0o17"), json!(-15));
    }

    #[test]
    fn helm_reads_yaml_11_words_and_octal() {
        let doc =
            read_one("a: yes\nb: off\nc: 0755\nd: \"yes\"\ne: 1_000\nf: y\ng: 12:30:00\n").unwrap();
        assert_eq!(
            doc.value,
            json!({"a": true, "b": false, "c": 493, "d": "yes", "e": 1000, "f": true, "g": "12:30:00"})
        );
        let trapped: Vec<_> = doc.traps.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(trapped, ["yes", "off", "0755", "1_000", "y"]);
    }

    #[test]
    fn positions_are_one_based_and_keyed_by_pointer() {
        let doc = read_one("a:\n  b: 1\n  c:\n  - x\n").unwrap();
        assert_eq!(doc.positions["/a/b"], Pos { line: 2, col: 6 });
        assert_eq!(doc.positions["/a/c/0"], Pos { line: 4, col: 5 });
        assert_eq!(doc.position_of("/a/c/0/zzz"), Some(Pos { line: 4, col: 5 }));
    }

    #[test]
    fn shallow_reading_keeps_values_and_stops_positions_at_the_depth() {
        let text = "a:\n  b:\n    c: [1, {d: on}]\n---\nx: 1\n";
        let full = read_stream(text).unwrap();
        let shallow = read_stream_shallow(text, 2).unwrap();
        let values = |docs: &[Document]| docs.iter().map(|d| d.value.clone()).collect::<Vec<_>>();
        assert_eq!(values(&full), values(&shallow));
        let doc = &shallow[0];
        assert_eq!(doc.positions["/a/b"], Pos { line: 3, col: 5 });
        assert!(!doc.positions.contains_key("/a/b/c"));
        assert_eq!(doc.position_of("/a/b/c/1/d"), Some(Pos { line: 3, col: 5 }));
        assert!(doc.traps.is_empty(), "no traps below the depth");
        assert_eq!(full[0].traps.len(), 1);
        assert_eq!(shallow[1].positions["/x"], Pos { line: 5, col: 4 });
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let err = read_one("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(err.kind, ReadErrorKind::DuplicateKey("a".into()));
        assert_eq!(err.pos, Some(Pos { line: 3, col: 1 }));
    }

    #[test]
    fn merge_keys_and_aliases() {
        let doc = read_one("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n").unwrap();
        assert_eq!(doc.value["c"], json!({"y": 3, "x": 1}));
    }

    #[test]
    fn a_quoted_merge_spelling_is_an_ordinary_key() {
        // go-yaml merges only a plain `<<`; skygen's writer quotes a `<<` key to keep it a key.
        let doc = read_one("\"<<\": v\n'<<': w\n").unwrap_err();
        assert_eq!(doc.kind, ReadErrorKind::DuplicateKey("<<".into()));
        let doc = read_one("a:\n  \"<<\": 1\n  b: 2\n").unwrap();
        assert_eq!(doc.value, json!({"a": {"<<": 1, "b": 2}}));
    }

    #[test]
    fn alias_bombs_stop_at_the_node_limit() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let prev = format!("*a{}", i - 1);
            text.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
        }
        assert_eq!(
            read_one(&text).unwrap_err().kind,
            ReadErrorKind::TooManyNodes
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = "[".repeat(10_000);
        assert!(read_one(&text).is_err());
        let block: String = (0..200).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        assert!(read_one(&block).is_err());
    }
}
