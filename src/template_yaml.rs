//! A fast reader for the YAML that skygen's own templates write, so a render does not run the
//! full YAML parser over every rendered template (it was about a quarter of a render's time).
//!
//! Templates write a small, regular part of YAML: block mappings and sequences indented with
//! spaces, one entry a line; plain scalars that are template text (`kind: Service`); and every
//! `{{ … }}` as JSON (a double-quoted string, a number, `true`, or a one-line flow mapping or
//! sequence). [`read`] understands exactly that and gives the same values as
//! [`crate::yaml::read_stream_shallow`] (plain scalars resolved by the same
//! [`crate::yaml::resolve_plain_11`], keys kept as written). For anything else (block scalars,
//! quotes it cannot read the same way, anchors, tags, a line continuing a plain scalar,
//! duplicate keys, tabs, …) it answers `None` and the caller uses the full reader, which also
//! reports errors. So it never decides what text means differently, it only declines: debug
//! builds (every test) check each answer against the full reader, and a test checks that every
//! template of every golden case is read here.
//!
//! For template authors: nothing changes in how templates are written. A template that writes
//! something outside this part of YAML still works; it is only read more slowly.

use memchr::{memchr, memchr2, memchr3, memchr3_iter, memchr_iter};
use serde_json::{Map, Value};

use crate::yaml::{is_raw_safe, resolve_plain_11, MAX_DEPTH};

/// Deeper than this, leave the text to the full reader (which enforces [`MAX_DEPTH`]).
const DEPTH: usize = MAX_DEPTH / 2;

/// The documents of `text` (empty ones as `null`), or `None` when the text is outside what this
/// reader understands.
pub fn read(text: &str) -> Option<Vec<Value>> {
    if has_declined_char(text) {
        return None;
    }
    let mut docs = Vec::new();
    let mut rows: Vec<&str> = Vec::new();
    let mut separated = false;
    // The rows between newlines, as `text.split('\n')` gives them, found with a vectorized search.
    let mut start = 0;
    let ends = memchr_iter(b'\n', text.as_bytes()).chain(std::iter::once(text.len()));
    for end in ends {
        let raw = &text[start..end];
        start = end + 1;
        if raw.starts_with("---") || raw.starts_with("...") || raw.starts_with('%') {
            if raw.trim_end() != "---" {
                return None;
            }
            if separated || rows.iter().any(|r| content(r).is_some()) {
                // The rows are lent, so the next document reuses their vector.
                docs.push(document(&rows)?);
            }
            rows.clear();
            separated = true;
            continue;
        }
        rows.push(raw);
    }
    if separated || rows.iter().any(|r| content(r).is_some()) {
        docs.push(document(&rows)?);
    }
    Some(docs)
}

/// The documents of text skygen wrote itself, a rendered template or the embedded defaults
/// (empty documents as `null`): [`read`], or the full reader when it declines (which also words
/// any error). Debug builds, so every test, read each text both ways and stop if they differ.
pub fn read_own(text: &str) -> Result<Vec<Value>, crate::yaml::ReadError> {
    let full = || {
        crate::yaml::read_stream_shallow(text, 0)
            .map(|docs| docs.into_iter().map(|d| d.value).collect::<Vec<_>>())
    };
    match read(text) {
        Some(fast) => {
            #[cfg(debug_assertions)]
            match full() {
                Ok(slow) => assert_eq!(fast, slow, "template_yaml differs from yaml on {text:?}"),
                Err(e) => panic!("template_yaml read what yaml refuses ({e:?}): {text:?}"),
            }
            Ok(fast)
        }
        None => {
            #[cfg(test)]
            DECLINED.with(|d| d.borrow_mut().push(text.to_owned()));
            full()
        }
    }
}

/// Whether `text` has a character this reader never reads: a carriage return, a tab or a byte
/// order mark (one vectorized pass; `U+FEFF` is the bytes EF BB BF).
fn has_declined_char(text: &str) -> bool {
    let b = text.as_bytes();
    memchr3_iter(b'\r', b'\t', 0xEF, b).any(|i| b[i] != 0xEF || b[i..].starts_with(BOM))
}

const BOM: &[u8] = "\u{feff}".as_bytes();

#[cfg(test)]
thread_local! {
    /// The texts [`read_own`] left to the full reader on this thread (for the test that every
    /// template takes the fast path).
    pub(crate) static DECLINED: std::cell::RefCell<Vec<String>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The indentation and text of a row with content (not blank, not only a comment), without
/// trailing spaces.
fn content(raw: &str) -> Option<(usize, &str)> {
    let body = raw.trim_start_matches(' ');
    (!body.is_empty() && !body.starts_with('#'))
        .then(|| (raw.len() - body.len(), body.trim_end_matches(' ')))
}

/// One row with content: its indentation, the rest, and its index among the rows.
#[derive(Clone, Copy)]
struct Line<'a> {
    indent: usize,
    body: &'a str,
    row: usize,
}

fn document<'a>(rows: &[&'a str]) -> Option<Value> {
    // Sized for every row at once: collecting from a filter would grow the vector step by step.
    let mut lines: Vec<Line<'a>> = Vec::with_capacity(rows.len());
    lines.extend(
        rows.iter()
            .enumerate()
            .filter_map(|(row, raw)| content(raw).map(|(indent, body)| Line { indent, body, row })),
    );
    let Some(first) = lines.first() else {
        return Some(Value::Null);
    };
    if first.indent != 0 {
        return None;
    }
    let mut r = Reader {
        rows,
        lines,
        at: 0,
        nodes: 0,
    };
    let value = r.block(0, 0)?;
    (r.at == r.lines.len()).then_some(value)
}

struct Reader<'r, 'a> {
    rows: &'r [&'a str],
    lines: Vec<Line<'a>>,
    at: usize,
    nodes: usize,
}

/// A sequence entry: `-` alone or followed by a space.
fn entry(body: &str) -> Option<&str> {
    match body.strip_prefix('-')? {
        "" => Some(""),
        rest => rest.strip_prefix(' ').map(|r| r.trim_start_matches(' ')),
    }
}

impl<'a> Reader<'_, 'a> {
    fn peek(&self) -> Option<Line<'a>> {
        self.lines.get(self.at).copied()
    }

    fn count(&mut self) -> Option<()> {
        self.nodes += 1;
        (self.nodes < crate::yaml::MAX_NODES / 2).then_some(())
    }

    /// The block node whose first line is the next one, at `indent`.
    fn block(&mut self, indent: usize, depth: usize) -> Option<Value> {
        if depth > DEPTH {
            return None;
        }
        let line = self.peek()?;
        if entry(line.body).is_some() {
            self.sequence(indent, depth)
        } else {
            self.mapping(indent, depth)
        }
    }

    /// The value after `key:` with nothing else on the line: a more indented block, a sequence
    /// at the key's own indentation, or null.
    fn nested(&mut self, indent: usize, depth: usize) -> Option<Value> {
        match self.peek() {
            Some(next) if next.indent > indent => self.block(next.indent, depth + 1),
            Some(next) if next.indent == indent && entry(next.body).is_some() => {
                self.sequence(indent, depth + 1)
            }
            _ => {
                self.count()?;
                Some(Value::Null)
            }
        }
    }

    /// After a value written on its line: the next line may not be more indented (it would
    /// continue a plain scalar, or be an error).
    fn ends(&self, indent: usize) -> Option<()> {
        match self.peek() {
            Some(next) if next.indent > indent => None,
            _ => Some(()),
        }
    }

    fn mapping(&mut self, indent: usize, depth: usize) -> Option<Value> {
        self.count()?;
        // Sized for its keys (the lines at its indentation), so the map never grows and rehashes.
        let keys = self.lines[self.at..]
            .iter()
            .take_while(|l| l.indent >= indent)
            .filter(|l| l.indent == indent)
            .count();
        let mut map = Map::with_capacity(keys);
        while let Some(line) = self.peek() {
            if line.indent < indent {
                break;
            }
            if line.indent > indent || entry(line.body).is_some() {
                return None;
            }
            self.at += 1;
            self.pair(&mut map, line.body, indent, depth)?;
        }
        Some(Value::Object(map))
    }

    /// One `key: value` (or `key:` and a nested block) into `map`; `body` starts at `indent`.
    fn pair(
        &mut self,
        map: &mut Map<String, Value>,
        body: &'a str,
        indent: usize,
        depth: usize,
    ) -> Option<()> {
        let (key, rest) = split_key(body)?;
        let value = if rest.is_empty() {
            self.nested(indent, depth)?
        } else if rest == "|" || rest == "|-" {
            self.literal(indent, rest == "|")?
        } else {
            let v = self.inline(rest, depth + 1)?;
            self.ends(indent)?;
            v
        };
        match map.entry(key) {
            serde_json::map::Entry::Vacant(slot) => {
                slot.insert(value);
                Some(())
            }
            // A duplicate key: the full reader refuses it, with its position.
            serde_json::map::Entry::Occupied(_) => None,
        }
    }

    /// A literal block scalar (`|` keeps one final newline, `|-` none) under a key at
    /// `indent`, read from the rows after the key's: every row more indented than the key, or
    /// blank. Its indentation is that of its first row, which must not be blank.
    fn literal(&mut self, indent: usize, clip: bool) -> Option<Value> {
        self.count()?;
        let key_row = self.lines[self.at - 1].row;
        let mut end = key_row + 1;
        let mut width = None;
        let mut text = String::new();
        while let Some(raw) = self.rows.get(end) {
            let body = raw.trim_start_matches(' ');
            let spaces = raw.len() - body.len();
            if body.is_empty() {
                // A blank row inside the scalar is an empty line; before the first row it
                // would take part in setting the indentation: declined below.
                if width.is_some_and(|w| spaces > w) {
                    return None;
                }
                text.push('\n');
            } else {
                if spaces <= indent {
                    break;
                }
                if width.is_none() && !text.is_empty() {
                    return None;
                }
                let w = *width.get_or_insert(spaces);
                if spaces < w || !raw.chars().all(is_raw_safe) {
                    return None;
                }
                text.push_str(&raw[w..]);
                text.push('\n');
            }
            end += 1;
        }
        let kept = text.trim_end_matches('\n').len();
        text.truncate(kept);
        if clip && !text.is_empty() {
            text.push('\n');
        }
        while self.lines.get(self.at).is_some_and(|l| l.row < end) {
            self.at += 1;
        }
        Some(Value::String(text))
    }

    fn sequence(&mut self, indent: usize, depth: usize) -> Option<Value> {
        self.count()?;
        let mut items = Vec::new();
        while let Some(line) = self.peek() {
            if line.indent < indent {
                break;
            }
            if line.indent > indent {
                return None;
            }
            let Some(rest) = entry(line.body) else {
                break;
            };
            self.at += 1;
            if rest.is_empty() {
                items.push(self.nested(indent, depth)?);
            } else if split_key(rest).is_some() {
                // `- key: value`: a mapping whose keys line up with this first one.
                let column = indent + (line.body.len() - rest.len());
                let mut map = Map::new();
                self.count()?;
                self.pair(&mut map, rest, column, depth + 1)?;
                while let Some(next) = self.peek() {
                    if next.indent != column || entry(next.body).is_some() {
                        break;
                    }
                    self.at += 1;
                    self.pair(&mut map, next.body, column, depth + 1)?;
                }
                if self
                    .peek()
                    .is_some_and(|n| n.indent > indent && n.indent != column)
                {
                    return None;
                }
                items.push(Value::Object(map));
            } else {
                items.push(self.inline(rest, depth + 1)?);
                self.ends(indent)?;
            }
        }
        Some(Value::Array(items))
    }

    /// A value written on the rest of a line: JSON (string or flow collection) or a plain
    /// scalar, with an optional comment after it.
    fn inline(&mut self, text: &str, depth: usize) -> Option<Value> {
        if text.starts_with(['"', '{', '[']) {
            let mut flow = Flow {
                src: text,
                text: text.as_bytes(),
                at: 0,
                nodes: &mut self.nodes,
            };
            let value = flow.node(depth)?;
            let rest = &text[flow.at..];
            return (rest.is_empty() || rest.starts_with(" #")).then_some(value);
        }
        self.count()?;
        let plain = match comment_start(text) {
            Some(i) => text[..i].trim_end_matches(' '),
            None => text,
        };
        plain_ok(plain, false).then(|| resolve_plain_11(plain))
    }
}

/// Is `text` a plain scalar the full reader reads as this whole text, on one line, in block
/// context (or inside a flow collection: `flow`)? Conservative: any indicator at the start,
/// `: ` or ` #` inside, a trailing `:`, flow indicators inside a flow collection and characters
/// YAML does not allow raw are left to the full reader.
fn plain_ok(text: &str, flow: bool) -> bool {
    let b = text.as_bytes();
    let Some(&first) = b.first() else {
        return false;
    };
    let leading_ok = match first {
        b'-' => b.get(1).is_some_and(|c| *c != b' '),
        b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|'
        | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`' => false,
        _ => true,
    };
    if !leading_ok {
        return false;
    }
    // One pass over the bytes; text that is not ASCII is checked character by character after.
    // Most bytes are letters, digits and punctuation no rule looks at: one table lookup each.
    let mut ascii = true;
    for (i, &c) in b.iter().enumerate() {
        if !NOTABLE[c as usize] {
            continue;
        }
        match c {
            b'[' | b']' | b'{' | b'}' | b',' if flow => return false,
            b':' if b.get(i + 1).is_none_or(|n| *n == b' ') => return false,
            b'#' if i > 0 && b[i - 1] == b' ' => return false,
            0x80.. => ascii = false,
            c if c < 0x20 || c == 0x7f => return false,
            _ => {}
        }
    }
    ascii || text.chars().all(is_raw_safe)
}

/// The bytes [`plain_ok`] has a rule for: flow indicators, `:`, `#`, control characters, DEL and
/// every byte of a character that is not ASCII.
static NOTABLE: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = matches!(
            c as u8,
            b'[' | b']' | b'{' | b'}' | b',' | b':' | b'#' | 0x7f..
        ) || c < 0x20;
        c += 1;
    }
    t
};

/// Where ` #` (a comment after a value) starts in `text`, like `text.find(" #")`.
fn comment_start(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    memchr_iter(b'#', b)
        .find(|&i| i > 0 && b[i - 1] == b' ')
        .map(|i| i - 1)
}

/// Where the `:` that ends a plain key is: the first one followed by a space or ending `body`
/// (`body.find(": ")`, else a trailing `:`).
fn key_colon(body: &str) -> Option<usize> {
    let b = body.as_bytes();
    memchr_iter(b':', b).find(|&i| b.get(i + 1).is_none_or(|n| *n == b' '))
}

/// `key: rest` or `key:` → the key as written and the value's text (empty for a nested block).
/// A key is a plain scalar or a JSON string; `<<` (a merge key) and empty keys are declined.
fn split_key(body: &str) -> Option<(String, &str)> {
    let (key, after) = if body.starts_with('"') {
        let end = string_end(body.as_bytes(), 0)?;
        (json_string(&body[..end])?, &body[end..])
    } else {
        let colon = key_colon(body)?;
        let key = &body[..colon];
        if !plain_ok(key, false) || key == "<<" {
            return None;
        }
        (key.to_owned(), &body[colon..])
    };
    let rest = match after.strip_prefix(':')? {
        "" => "",
        r => r.strip_prefix(' ')?.trim_start_matches(' '),
    };
    if rest.starts_with('#') {
        return None;
    }
    Some((key, rest))
}

/// The byte just after the closing quote of the JSON string starting at `start`.
fn string_end(s: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        i += memchr2(b'"', b'\\', s.get(i..)?)?;
        if s[i] == b'"' {
            return Some(i + 1);
        }
        i += 2;
    }
}

/// A double-quoted scalar that JSON and YAML read the same: JSON's escapes only (which YAML
/// shares), no `\/` and no surrogate escapes (YAML readers differ on them), and only characters
/// YAML allows raw.
fn json_string(quoted: &str) -> Option<String> {
    let inner = &quoted[1..quoted.len() - 1];
    let b = inner.as_bytes();
    let mut i = 0;
    // One pass: escapes checked, ASCII checked as it goes (what `is_raw_safe` allows, but no
    // tab), other characters after. Escapes are ASCII, so skipping them skips nothing to check.
    let mut escaped = false;
    let mut ascii = true;
    loop {
        // The text up to the next escape. Nearly all of it is printable ASCII, which one pass
        // without branches confirms (it vectorizes); only other text is looked at byte by byte.
        let next = memchr(b'\\', &b[i..]).map_or(b.len(), |k| i + k);
        let run = &b[i..next];
        if !run
            .iter()
            .fold(true, |ok, c| ok & (b' '..=b'~').contains(c))
        {
            for &c in run {
                match c {
                    b'\n' | b'\r' | b' '..=b'~' => {}
                    0x80.. => ascii = false,
                    _ => return None,
                }
            }
        }
        i = next;
        if i == b.len() {
            break;
        }
        escaped = true;
        match b.get(i + 1)? {
            b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
            b'u' => {
                let hex = inner.get(i + 2..i + 6)?;
                let code = u32::from_str_radix(hex, 16).ok()?;
                if (0xD800..=0xDFFF).contains(&code) {
                    return None;
                }
                i += 6;
            }
            _ => return None,
        }
    }
    if !ascii && !inner.chars().all(|c| c != '\t' && is_raw_safe(c)) {
        return None;
    }
    if !escaped {
        // No escapes: the text between the quotes is the string.
        return Some(inner.to_owned());
    }
    serde_json::from_str(quoted).ok()
}

/// A one-line flow node written as JSON.
struct Flow<'t, 'n> {
    /// The line's text, and the same as bytes.
    src: &'t str,
    text: &'t [u8],
    at: usize,
    nodes: &'n mut usize,
}

impl Flow<'_, '_> {
    fn spaces(&mut self) {
        while self.text.get(self.at) == Some(&b' ') {
            self.at += 1;
        }
    }

    fn string(&mut self) -> Option<String> {
        let end = string_end(self.text, self.at)?;
        let s = self.src.get(self.at..end)?;
        self.at = end;
        json_string(s)
    }

    /// The entries of a flow collection whose opening bracket is read: `entry` reads one;
    /// they are separated by `,` and end at `close`.
    fn entries(&mut self, close: u8, mut entry: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.spaces();
        if self.text.get(self.at) == Some(&close) {
            self.at += 1;
            return Some(());
        }
        loop {
            self.spaces();
            entry(self)?;
            self.spaces();
            match *self.text.get(self.at)? {
                b',' => self.at += 1,
                c if c == close => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn node(&mut self, depth: usize) -> Option<Value> {
        if depth > DEPTH {
            return None;
        }
        *self.nodes += 1;
        if *self.nodes >= crate::yaml::MAX_NODES / 2 {
            return None;
        }
        match *self.text.get(self.at)? {
            b'"' => self.string().map(Value::String),
            b'{' => {
                self.at += 1;
                let mut map = Map::new();
                self.entries(b'}', |f| {
                    let key = if f.text.get(f.at) == Some(&b'"') {
                        f.string()?
                    } else {
                        // A plain key (`{name: x}`), kept as written; it ends at `: `.
                        let start = f.at;
                        f.at = memchr(b':', &f.text[start..]).map_or(f.text.len(), |i| start + i);
                        let key = f.src.get(start..f.at)?;
                        let simple = plain_ok(key, true)
                            && !key
                                .bytes()
                                .any(|c| matches!(c, b'#' | b'"' | b'\'' | b'\\'))
                            && f.text.get(f.at + 1) == Some(&b' ');
                        if !simple || key == "<<" {
                            return None;
                        }
                        key.to_owned()
                    };
                    if f.text.get(f.at) != Some(&b':') {
                        return None;
                    }
                    f.at += 1;
                    f.spaces();
                    let value = f.node(depth + 1)?;
                    // A duplicate key: the full reader refuses it.
                    map.insert(key, value).is_none().then_some(())
                })?;
                Some(Value::Object(map))
            }
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                self.entries(b']', |f| {
                    items.push(f.node(depth + 1)?);
                    Some(())
                })?;
                Some(Value::Array(items))
            }
            _ => {
                // A plain scalar: a JSON number, `true`, `false`, `null`, or template text
                // (`[get, list]`), up to the next `,`, `]` or `}`, resolved as the full reader
                // resolves it. Anything that could be read as more than one scalar is declined.
                let start = self.at;
                self.at = memchr3(b',', b']', b'}', &self.text[start..])
                    .map_or(self.text.len(), |i| start + i);
                let token = self.src.get(start..self.at)?.trim_end_matches(' ');
                let simple = plain_ok(token, true)
                    && !token
                        .bytes()
                        .any(|c| matches!(c, b':' | b'#' | b'"' | b'\'' | b'\\'));
                simple.then(|| resolve_plain_11(token))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn full(text: &str) -> Vec<Value> {
        crate::yaml::read_stream_shallow(text, 0)
            .unwrap()
            .into_iter()
            .map(|d| d.value)
            .collect()
    }

    /// Agrees with the full reader on what it reads, and declines what it cannot read the same.
    #[test]
    fn reads_template_yaml_as_the_full_reader_does() {
        let read_same = [
            "a: 1\nb: x\n",
            "kind: Service\nmetadata:\n  name: \"x-y\"\n  labels: {\"a\": \"b\", \"c\": 1}\n",
            "spec:\n  ports:\n  - name: http\n    port: 80\n  - name: m\n    port: 9090\n",
            "a:\n  - 1\n  - \"two\"\n  -\n    c: d\n  - [1, \"x\", true, null, {}]\n",
            "# comment\n---\na: on\nb: yes\nc: 0755\nd: 1e3\ne: \"1e3\"\nf: ~\ng:\n---\n---\nh: [1e3, 1.5, -2]\n",
            "a: b # comment\nc: \"d\" # comment\n\"e.f/g\": \"\\u00e9\\n\\\"q\\\"\"\n",
            "args: [\"/bin/sh\", \"-c\"]\ncommand: -x\nurl: http://a.b:80/c\n",
            "verbs: [get, list, watch]\nf: [IPv4]\nc: [/wait-shutdown]\ne: []\nd: [ a b , c ]\n",
            "env:\n- {name: METHOD, value: WATCH}\n- {name: URL, value: \"http://x:3000/a\", n: 1}\n",
            "- a\n- b: 1\n  c: 2\n- - x\n",
            "- pods=[a,b]\n- x{y}\n- a[0]: 1\n",
            "",
            "\n\n# only a comment\n",
            "a: |\n  text\n  # not a comment\n\n    more\n\n\nb: |-\n  x\n  y\nc: |\nd: |-\n\n",
            "a:\n  b: |\n    one\n   \n    two  \n  c: 1\n",
        ];
        for text in read_same {
            match read(text) {
                Some(fast) => assert_eq!(fast, full(text), "{text:?}"),
                None => {
                    // Declining is always allowed; these common forms must not be declined.
                    assert!(text.contains("- - x"), "declined: {text:?}");
                }
            }
        }
        assert_eq!(
            read("a: on\nb: \"on\"\nc: [get, \"x\", 0755]\n").unwrap(),
            [json!({"a": true, "b": "on", "c": ["get", "x", 493]})]
        );
        let declined = [
            "a: 'q'\n",
            "a: |\n\n  text\n",
            "a: |+\n  text\n",
            "a: >\n  text\n",
            "a: |2\n  text\n",
            "- |\n  text\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: b\n  c\n",
            "a: 1\na: 2\n",
            "a: {\"b\": 1, \"b\": 2}\n",
            "<<: {a: 1}\n",
            "a:\tb\n",
            "a: \"\\x41\"\n",
            "a: \"\\/\"\n",
            "a: \"\\ud83d\\ude00\"\n",
            "a: {b:c: 1}\n",
            "a: {b c: 1, d}\n",
            "a: {<<: {b: 1}}\n",
            "a: [b: 1]\n",
            "a: [b:c]\n",
            "a: [&x b]\n",
            "a: [b #c]\n",
            "a: \"x\n  y\"\n",
            "--- a\n",
            "a: b: c\n",
            "  a: 1\n",
            "a: [1,\n  2]\n",
        ];
        for text in declined {
            assert_eq!(read(text), None, "{text:?}");
        }
    }

    /// `json_string` checks runs between escapes in one pass; it answers as the byte-by-byte
    /// loop it replaced (kept here) for every string of up to four pieces from a set that has
    /// each kind of byte and escape it treats differently.
    #[test]
    fn json_string_answers_as_a_byte_by_byte_check() {
        fn by_bytes(quoted: &str) -> Option<String> {
            let inner = &quoted[1..quoted.len() - 1];
            let b = inner.as_bytes();
            let (mut i, mut escaped, mut ascii) = (0, false, true);
            while i < b.len() {
                if b[i] == b'\\' {
                    escaped = true;
                    match b.get(i + 1)? {
                        b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                        b'u' => {
                            let code = u32::from_str_radix(inner.get(i + 2..i + 6)?, 16).ok()?;
                            if (0xD800..=0xDFFF).contains(&code) {
                                return None;
                            }
                            i += 6;
                        }
                        _ => return None,
                    }
                } else {
                    match b[i] {
                        b'\n' | b'\r' | b' '..=b'~' => {}
                        0x80.. => ascii = false,
                        _ => return None,
                    }
                    i += 1;
                }
            }
            if !ascii && !inner.chars().all(|c| c != '\t' && is_raw_safe(c)) {
                return None;
            }
            if !escaped {
                return Some(inner.to_owned());
            }
            serde_json::from_str(quoted).ok()
        }
        let pieces = [
            "a",
            " ~",
            "\\n",
            "\\\"",
            "\\u00e9",
            "\\ud800",
            "\\/",
            "\\",
            "\t",
            "\x7f",
            "\x01",
            "\n",
            "é",
            "\u{85}",
            "\u{feff}",
            "0123456789abcdefghijklmnopqrstuvwxyz",
        ];
        let mut checked = 0;
        let mut texts = vec![String::new()];
        for _ in 0..4 {
            let mut longer = Vec::new();
            for t in &texts {
                for p in pieces {
                    longer.push(format!("{t}{p}"));
                }
            }
            texts.extend(longer);
            texts.sort();
            texts.dedup();
        }
        for t in texts {
            let quoted = format!("\"{t}\"");
            assert_eq!(json_string(&quoted), by_bytes(&quoted), "{quoted:?}");
            checked += 1;
        }
        assert!(checked > 60_000);
    }

    /// The byte searches say what the `str` searches they replace say.
    #[test]
    fn byte_searches_match_str_searches() {
        let texts = [
            "",
            ":",
            "a:",
            "a: b",
            "a:b: c",
            "a:b",
            "a #b",
            "#a",
            " #",
            "a # b #c",
            "x\u{feff}y",
            "\u{fefe}",
            "\u{ef}",
            "a\tb",
            "a\rb",
            "é: ü #",
            "\"a\\\"b\" c",
            "\"ab",
            "\"a\\",
        ];
        for t in texts {
            let colon = t.find(": ").or_else(|| t.strip_suffix(':').map(str::len));
            assert_eq!(key_colon(t), colon, "{t:?}");
            assert_eq!(comment_start(t), t.find(" #"), "{t:?}");
            assert_eq!(
                has_declined_char(t),
                t.contains(['\r', '\t', '\u{feff}']),
                "{t:?}"
            );
            if t.starts_with('"') {
                let b = t.as_bytes();
                let mut i = 1;
                let slow = loop {
                    match b.get(i) {
                        None => break None,
                        Some(b'\\') => i += 2,
                        Some(b'"') => break Some(i + 1),
                        _ => i += 1,
                    }
                };
                assert_eq!(string_end(b, 0), slow, "{t:?}");
            }
        }
    }

    /// The embedded defaults take the fast path, and read as the full reader reads them.
    #[test]
    fn reads_the_defaults() {
        let text = crate::values::DEFAULTS_YAML;
        assert_eq!(read(text).expect("the defaults are read fast"), full(text));
    }
}
