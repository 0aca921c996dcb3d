//! The one YAML writer skygen uses for what it prints: the manifest stream, `-o` files, `skygen
//! values`, the `prometheus.yml` it renders and the config text an overlay writes.
//!
//! It turns a `serde_json::Value` into block YAML, byte for byte as serde-saphyr 2.2 writes it
//! with `folded_wrap_chars: usize::MAX` (the writer skygen used before #11): two-space
//! indentation, sequences under a key at the key's own column (`key:\n- a`), a map inside a
//! sequence item starting on the dash's line, `{}` and `[]` for empty collections, multi-line
//! strings as literal `|` blocks (chomping from the trailing newlines, `|2` when the first line
//! starts with spaces), and every string a YAML 1.1 or 1.2 reader could take for something else
//! (`on`, `0755`, `1e3`, `~`, `2024-01-01`, `- x`, ` lead`) double-quoted. A dedicated writer
//! because serializing through serde's data model cost a tenth of a render (#11); the test
//! `tests/yaml_write.rs` holds it to serde-saphyr's bytes on every golden object and on a set of
//! adversarial strings, and checks that [`crate::yaml`] reads every string back unchanged.
//!
//! It never fails (every JSON value has a YAML spelling) and never reads anything.

use serde_json::{Map, Number, Value};

/// Columns per nesting level.
const STEP: usize = 2;

/// A key longer than this (in characters, as written) cannot be an implicit key: YAML needs its
/// `:` within 1024 characters, so such a key is written as an explicit `? key`.
const SIMPLE_KEY_MAX: usize = 1024;

/// One YAML document for `v`, ending with a newline (no `---`).
pub fn to_string(v: &Value) -> String {
    let mut out = String::new();
    write(&mut out, v);
    out
}

/// Append one YAML document for `v` to `out`, ending with a newline (no `---`).
pub fn write(out: &mut String, v: &Value) {
    node(out, v, At::Start);
}

/// Where the next node starts, which decides what goes before it and how deep its lines go.
#[derive(Clone, Copy)]
enum At {
    /// The start of the document: column 0, nothing before.
    Start,
    /// Right after `key:` of a key at this column.
    Key(usize),
    /// Right after the `:` of an explicit `? key` at this column.
    ExplicitColon(usize),
    /// Right after `- ` of a dash at this column.
    Dash(usize),
}

impl At {
    /// What separates the node from the indicator before it when it stays on the same line.
    fn gap(self) -> &'static str {
        match self {
            At::Key(_) | At::ExplicitColon(_) => " ",
            At::Start | At::Dash(_) => "",
        }
    }

    /// The column of a block scalar's lines and of a mapping's keys below this position.
    fn child_column(self) -> usize {
        match self {
            At::Start => STEP,
            At::Key(c) | At::ExplicitColon(c) | At::Dash(c) => c + STEP,
        }
    }
}

fn node(out: &mut String, v: &Value, at: At) {
    match v {
        Value::Null => scalar(out, "null", at),
        Value::Bool(b) => scalar(out, if *b { "true" } else { "false" }, at),
        Value::Number(n) => {
            out.push_str(at.gap());
            number(out, n);
            out.push('\n');
        }
        Value::String(s) => string(out, s, at),
        Value::Array(a) if a.is_empty() => scalar(out, "[]", at),
        Value::Object(m) if m.is_empty() => scalar(out, "{}", at),
        Value::Array(a) => sequence(out, a, at),
        Value::Object(m) => mapping(out, m, at),
    }
}

fn scalar(out: &mut String, text: &str, at: At) {
    out.push_str(at.gap());
    out.push_str(text);
    out.push('\n');
}

fn indent(out: &mut String, column: usize) {
    const SPACES: &str = "                                                                ";
    let mut left = column;
    while left > 0 {
        let n = left.min(SPACES.len());
        out.push_str(&SPACES[..n]);
        left -= n;
    }
}

fn sequence(out: &mut String, items: &[Value], at: At) {
    // Under a key the dashes stay at the key's column; a sequence inside a sequence item starts
    // on the outer dash's line (`- - a`), its next items two columns in.
    let (column, mut inline) = match at {
        At::Start => (0, false),
        At::Key(c) | At::ExplicitColon(c) => {
            out.push('\n');
            (c, false)
        }
        At::Dash(c) => (c + STEP, true),
    };
    for item in items {
        if !inline {
            indent(out, column);
        }
        inline = false;
        out.push_str("- ");
        node(out, item, At::Dash(column));
    }
}

fn mapping(out: &mut String, entries: &Map<String, Value>, at: At) {
    // A mapping after `- ` or after an explicit key's `:` starts on that line; under a key it
    // starts on the next line, one level in.
    let (column, mut inline) = match at {
        At::Start => (0, false),
        At::Key(c) => {
            out.push('\n');
            (c + STEP, false)
        }
        At::ExplicitColon(c) => {
            out.push(' ');
            (c + STEP, true)
        }
        At::Dash(c) => (c + STEP, true),
    };
    for (k, v) in entries {
        if !inline {
            indent(out, column);
        }
        inline = false;
        let start = out.len();
        key(out, k);
        if is_simple_key(&out[start..]) {
            out.push(':');
            node(out, v, At::Key(column));
        } else {
            out.insert_str(start, "? ");
            out.push('\n');
            indent(out, column);
            out.push(':');
            node(out, v, At::ExplicitColon(column));
        }
    }
}

fn is_simple_key(text: &str) -> bool {
    text.len() <= SIMPLE_KEY_MAX || text.chars().count() <= SIMPLE_KEY_MAX
}

fn key(out: &mut String, k: &str) {
    if plain_key(k) {
        out.push_str(k);
    } else {
        double_quoted(out, k);
    }
}

fn number(out: &mut String, n: &Number) {
    if let Some(u) = n.as_u64() {
        out.push_str(itoa::Buffer::new().format(u));
    } else if let Some(i) = n.as_i64() {
        out.push_str(itoa::Buffer::new().format(i));
    } else {
        float(out, n.as_f64().expect("a JSON number is u64, i64 or f64"));
    }
}

/// A float as YAML 1.1 reads one: shortest round-trip digits, always a `.` in the mantissa and
/// a sign in the exponent (`1.0`, `4.0e-6`, `1.0e+16`), `.nan`, `.inf`, `-.inf`.
fn float(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str(".nan");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { ".inf" } else { "-.inf" });
    } else {
        let mut buf = zmij::Buffer::new();
        let s = buf.format_finite(f);
        match s.find(['e', 'E']) {
            Some(e) => {
                let (mantissa, exponent) = (&s[..e], &s[e + 1..]);
                out.push_str(mantissa);
                if !mantissa.contains('.') {
                    out.push_str(".0");
                }
                out.push_str(&s[e..=e]);
                if !exponent.starts_with(['+', '-']) {
                    out.push('+');
                }
                out.push_str(exponent);
            }
            None => {
                out.push_str(s);
                if !s.contains('.') {
                    out.push_str(".0");
                }
            }
        }
    }
}

fn string(out: &mut String, s: &str, at: At) {
    if s.contains('\n') && !s.is_empty() && block_safe(s) {
        literal(out, s, at);
        return;
    }
    out.push_str(at.gap());
    if matches!(s, "." | "#" | "-") {
        // serde-saphyr's choice for these three one-character strings; kept for identical bytes.
        out.push('\'');
        out.push_str(s);
        out.push('\'');
    } else if plain_value(s) {
        out.push_str(s);
    } else {
        double_quoted(out, s);
    }
    out.push('\n');
}

/// A literal block: `|` with the chomping that keeps the trailing newlines exactly (`-` for
/// none, nothing for one, `+` for more or for a string of newlines only) and an indentation
/// indicator when the first non-empty line starts with spaces (the reader would take them for
/// indentation otherwise). Empty lines carry no indentation.
fn literal(out: &mut String, s: &str, at: At) {
    out.push_str(at.gap());
    let column = at.child_column();
    let content = s.trim_end_matches('\n');
    let trailing = s.len() - content.len();
    out.push('|');
    let first_line = content.split('\n').find(|l| !l.is_empty()).unwrap_or("");
    if first_line.starts_with(' ') {
        out.push(char::from(b'0' + STEP as u8));
    }
    match trailing {
        0 => out.push('-'),
        1 if !content.is_empty() => {}
        _ => out.push('+'),
    }
    out.push('\n');
    if content.is_empty() {
        for _ in 0..trailing {
            out.push('\n');
        }
        return;
    }
    for line in content.split('\n') {
        if !line.is_empty() {
            indent(out, column);
            out.push_str(line);
        }
        out.push('\n');
    }
    for _ in 1..trailing {
        out.push('\n');
    }
}

/// Can `s` stand in a block scalar as it is? Tab and newline yes; carriage return (read as a
/// line break), NEL, LS, PS and the BOM no (readers disagree on them), nor anything outside
/// YAML's printable set.
fn block_safe(s: &str) -> bool {
    // Printable ASCII (most scripts and configs) by bytes, without decoding characters (#11).
    if s.bytes().all(|b| matches!(b, b'\n' | b'\t' | 0x20..=0x7E)) {
        return true;
    }
    s.chars().all(|c| {
        matches!(c, '\n' | '\t')
            || matches!(c as u32, 0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x1_0000..)
                && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}')
    })
}

/// Characters that survive neither a plain nor a single-quoted scalar: the C0 and C1 controls
/// and DEL (`char::is_control`), the BOM, LS, PS, U+FFFE and U+FFFF.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{FEFF}' | '\u{2028}' | '\u{2029}' | '\u{FFFE}' | '\u{FFFF}'
        )
}

fn double_quoted(out: &mut String, s: &str) {
    out.push('"');
    let mut from = 0;
    for (i, c) in s.char_indices() {
        let named = match c {
            '\\' => "\\\\",
            '"' => "\\\"",
            '\0' => "\\0",
            '\u{7}' => "\\a",
            '\u{8}' => "\\b",
            '\t' => "\\t",
            '\n' => "\\n",
            '\u{b}' => "\\v",
            '\u{c}' => "\\f",
            '\r' => "\\r",
            '\u{1b}' => "\\e",
            '\u{85}' => "\\N",
            '\u{2028}' => "\\L",
            '\u{2029}' => "\\P",
            '\u{FEFF}' => "\\uFEFF",
            c if needs_escape(c) => "",
            _ => continue,
        };
        out.push_str(&s[from..i]);
        from = i + c.len_utf8();
        if named.is_empty() {
            // The remaining controls: two hex digits up to U+00FF, four above (U+FFFE, U+FFFF).
            let code = c as u32;
            if code <= 0xFF {
                push_hex(out, "\\x", code, 2);
            } else {
                push_hex(out, "\\u", code, 4);
            }
        } else {
            out.push_str(named);
        }
    }
    out.push_str(&s[from..]);
    out.push('"');
}

fn push_hex(out: &mut String, prefix: &str, code: u32, digits: u32) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push_str(prefix);
    for d in (0..digits).rev() {
        out.push(char::from(HEX[((code >> (4 * d)) & 0xF) as usize]));
    }
}

/// What one pass over a string finds that rules out a plain scalar.
#[derive(Default)]
struct Scan {
    /// A character that needs an escape ([`needs_escape`]).
    escape: bool,
    /// `: ` anywhere.
    colon_space: bool,
    /// `:` anywhere.
    colon: bool,
    /// `#` after white space: a comment.
    comment: bool,
    /// `,`, `[`, `]`, `{` or `}`: structure in flow style.
    flow: bool,
}

/// Bytes that can set no [`Scan`] flag: printable ASCII but `:`, `#` and the flow characters.
/// Most strings consist of nothing else, and one table look-up per byte settles them (#11).
const QUIET: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0x20;
    while b < 0x7F {
        t[b] = !matches!(b as u8, b':' | b'#' | b',' | b'[' | b']' | b'{' | b'}');
        b += 1;
    }
    t
};

fn scan(s: &str) -> Scan {
    let mut found = Scan::default();
    let mut note = |c: char, prev: Option<char>| match c {
        ':' => found.colon = true,
        ' ' if prev == Some(':') => found.colon_space = true,
        '#' if prev.is_some_and(char::is_whitespace) => found.comment = true,
        ',' | '[' | ']' | '{' | '}' => found.flow = true,
        c if needs_escape(c) => found.escape = true,
        _ => {}
    };
    let bytes = s.as_bytes();
    if bytes.iter().all(|&b| QUIET[usize::from(b)]) {
        // Nothing to note.
    } else if s.is_ascii() {
        // Bytes are characters: no UTF-8 decoding.
        let mut prev = None;
        for &b in bytes {
            let c = char::from(b);
            note(c, prev);
            prev = Some(c);
        }
    } else {
        let mut prev = None;
        for c in s.chars() {
            note(c, prev);
            prev = Some(c);
        }
    }
    found
}

/// What makes a plain scalar in key and value position alike, but for the words and numbers a
/// reader resolves ([`resolves_to_non_string`]): not empty, no white space at either end, no
/// indicator at the start (`- a`, `? a`, `&a`, `#a`, ...), not a document marker.
fn plain_start(s: &str) -> bool {
    let bytes = s.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if first.is_ascii_whitespace() || last.is_ascii_whitespace() {
        return false;
    }
    let indicator = match bytes {
        [b'-' | b'?'] => true,
        [b'-' | b'?', second, ..] => second.is_ascii_whitespace(),
        _ => matches!(
            first,
            b',' | b':'
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'#'
                | b'&'
                | b'*'
                | b'!'
                | b'|'
                | b'>'
                | b'\''
                | b'"'
                | b'%'
                | b'@'
                | b'`'
        ),
    };
    !indicator && !starts_with_document_marker(s)
}

/// Most keys and values are words such as `metadata`, `name` or `sky-api-server`, plain in
/// every position, settled here by one table look-up per byte instead of the checks below
/// (#11): a letter first (no indicator, number, timestamp or document marker starts with one),
/// only [`QUIET`] bytes (no `:`, `#`, flow character, control or non-ASCII), no space at the
/// end, and not a word a reader resolves (`on`, `null`; all are at most five letters, and
/// YAML 1.1's list holds YAML 1.2's).
fn plain_word(s: &str) -> bool {
    let bytes = s.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphabetic()
                && *last != b' '
                && bytes.iter().all(|&b| QUIET[usize::from(b)])
                && (bytes.len() > 5 || !resolves_to_non_string(s, false))
        }
        _ => false,
    }
}

/// Can a string mapping value (block style) be written plain? `:` is fine unless followed by a
/// space or last; commas and brackets are ordinary characters in block style.
fn plain_value(s: &str) -> bool {
    if plain_word(s) {
        return true;
    }
    if !plain_start(s) || resolves_to_non_string(s, false) {
        return false;
    }
    let found = scan(s);
    !found.colon_space && !s.trim_end().ends_with(':') && !found.escape && !found.comment
}

/// Can a key be written plain? Stricter than a value: no `:` at all, no flow characters, and
/// not resolved to another type under either YAML 1.1 or 1.2.
fn plain_key(s: &str) -> bool {
    if plain_word(s) {
        return true;
    }
    if !plain_start(s) || resolves_to_non_string(s, true) || resolves_to_non_string(s, false) {
        return false;
    }
    let found = scan(s);
    !found.colon && !found.escape && !found.comment && !found.flow
}

fn starts_with_document_marker(s: &str) -> bool {
    match s.strip_prefix("---").or_else(|| s.strip_prefix("...")) {
        Some(rest) => rest.as_bytes().first().is_none_or(u8::is_ascii_whitespace),
        None => false,
    }
}

/// Would a YAML reader resolve this plain text to something other than a string (null, a
/// boolean, a number, a timestamp, a merge key), or refuse it? With `yaml_12` false, YAML 1.1's
/// wider spellings (`yes`, `off`, `0b1`, `1:30`, `2024-01-01`, `1_000`) count too. Only asked
/// of text [`plain_start`] accepts: not empty, no white space at the ends (which YAML 1.1's
/// boolean reading would trim).
fn resolves_to_non_string(s: &str, yaml_12: bool) -> bool {
    match s.as_bytes() {
        [] => true,
        // Every number and timestamp starts like this; of the words only `+inf` and `-inf`.
        [b'0'..=b'9' | b'+' | b'-' | b'.' | b'_', ..] => {
            s.eq_ignore_ascii_case("+inf")
                || s.eq_ignore_ascii_case("-inf")
                || numeric(s, yaml_12)
                || (!yaml_12 && timestamp(s))
        }
        bytes if bytes.len() <= 5 => {
            let mut lower = [0u8; 5];
            let lower = &mut lower[..bytes.len()];
            lower.copy_from_slice(bytes);
            lower.make_ascii_lowercase();
            match &*lower {
                b"~" | b"null" | b"true" | b"false" | b"nan" | b"inf" => true,
                // YAML 1.1 booleans and the merge key; `=` is YAML 1.1's value key.
                b"y" | b"n" | b"yes" | b"no" | b"on" | b"off" | b"<<" | b"=" => !yaml_12,
                _ => false,
            }
        }
        _ => false,
    }
}

fn strip_sign(s: &str) -> &str {
    s.strip_prefix(['+', '-']).unwrap_or(s)
}

/// Does `s` spell a number? YAML 1.2's core schema, or with `yaml_12` false also YAML 1.1's (and
/// go-yaml's) looser forms: underscores anywhere, base 60, a sign after `0b`/`0o`, `1.2.3`.
/// Syntax only: a value too large to hold still counts.
fn numeric(s: &str, yaml_12: bool) -> bool {
    if !matches!(
        s.as_bytes().first(),
        Some(b'0'..=b'9' | b'+' | b'-' | b'.' | b'_')
    ) {
        return false;
    }
    let unsigned = strip_sign(s);
    if unsigned.eq_ignore_ascii_case(".inf") || unsigned.eq_ignore_ascii_case(".nan") {
        return true;
    }
    if !yaml_12 {
        if sexagesimal(s) {
            return true;
        }
        if let Some((radix, digits)) = radix_digits(unsigned) {
            if digit_run(digits, radix, false) {
                return true;
            }
        }
    }
    // go-yaml drops underscores before reading a YAML 1.1 number.
    let without_underscores;
    let s = if !yaml_12 && s.contains('_') {
        without_underscores = s.replace('_', "");
        without_underscores.as_str()
    } else {
        s
    };
    let unsigned = strip_sign(s);
    if let Some((radix, digits)) = radix_digits(unsigned) {
        let digits = if !yaml_12 && (s.starts_with("0b") || s.starts_with("0o")) {
            strip_sign(digits)
        } else {
            digits
        };
        return digit_run(digits, radix, true);
    }
    let mantissa = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => {
            if !digit_run(strip_sign(exponent), 10, true) {
                return false;
            }
            mantissa
        }
        None => unsigned,
    };
    match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            if !whole.is_empty() && !digit_run(whole, 10, true) {
                false
            } else if !yaml_12 {
                fraction.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            } else if fraction.is_empty() {
                !whole.is_empty()
            } else {
                digit_run(fraction, 10, true)
            }
        }
        None => digit_run(mantissa, 10, true),
    }
}

fn radix_digits(s: &str) -> Option<(u32, &str)> {
    match s.as_bytes() {
        [b'0', b'b' | b'B', ..] => Some((2, &s[2..])),
        [b'0', b'o' | b'O', ..] => Some((8, &s[2..])),
        [b'0', b'x' | b'X', ..] => Some((16, &s[2..])),
        _ => None,
    }
}

/// Non-empty digits of `radix`, with underscores anywhere, or (`strict`) only between digits.
fn digit_run(s: &str, radix: u32, strict: bool) -> bool {
    let digit = |b: u8| char::from(b).is_digit(radix);
    let bytes = s.as_bytes();
    !bytes.is_empty()
        && bytes.iter().enumerate().all(|(i, &b)| {
            digit(b)
                || (b == b'_'
                    && (!strict
                        || (i > 0
                            && digit(bytes[i - 1])
                            && bytes.get(i + 1).is_some_and(|&n| digit(n)))))
        })
}

/// YAML 1.1 base 60: `1:30`, `-1:30:00`, `190:20:30.15` (each part after the first 0 to 59).
fn sexagesimal(s: &str) -> bool {
    let unsigned = strip_sign(s);
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (unsigned, None),
    };
    let Some((first, rest)) = integer.split_once(':') else {
        return false;
    };
    let Some(&lead) = first.as_bytes().first() else {
        return false;
    };
    if !lead.is_ascii_digit()
        || (fraction.is_none() && lead == b'0')
        || !first.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    {
        return false;
    }
    rest.split(':').all(|part| match part.as_bytes() {
        [d] => d.is_ascii_digit(),
        [tens, units] => matches!(tens, b'0'..=b'5') && units.is_ascii_digit(),
        _ => false,
    }) && fraction.is_none_or(|f| f.bytes().all(|b| b.is_ascii_digit() || b == b'_'))
}

/// YAML 1.1 timestamps as go-yaml reads them (syntax only): `2024-1-2`, `2024-01-02T3:04:05`,
/// `2024-01-02 03:04:05.1 +2`, `…Z`, `…-07:00`.
fn timestamp(s: &str) -> bool {
    fn digits(s: &mut &str, min: usize, max: usize) -> bool {
        let n = s.bytes().take_while(u8::is_ascii_digit).count();
        let ok = (min..=max).contains(&n);
        if ok {
            *s = &s[n..];
        }
        ok
    }
    fn eat(s: &mut &str, c: char) -> bool {
        match s.strip_prefix(c) {
            Some(rest) => {
                *s = rest;
                true
            }
            None => false,
        }
    }
    let mut s = s;
    if !(digits(&mut s, 4, 4)
        && eat(&mut s, '-')
        && digits(&mut s, 1, 2)
        && eat(&mut s, '-')
        && digits(&mut s, 1, 2))
    {
        return false;
    }
    if s.is_empty() {
        return true;
    }
    if !(eat(&mut s, 'T') || eat(&mut s, 't')) {
        let rest = s.trim_start_matches([' ', '\t']);
        if rest.len() == s.len() {
            return false;
        }
        s = rest;
    }
    if !(digits(&mut s, 1, 2)
        && eat(&mut s, ':')
        && digits(&mut s, 1, 2)
        && eat(&mut s, ':')
        && digits(&mut s, 1, 2))
    {
        return false;
    }
    if eat(&mut s, '.') || eat(&mut s, ',') {
        digits(&mut s, 0, usize::MAX);
    }
    s = s.trim_start_matches([' ', '\t']);
    if s.is_empty() || s == "Z" {
        return true;
    }
    if !((eat(&mut s, '+') || eat(&mut s, '-')) && digits(&mut s, 1, 2)) {
        return false;
    }
    if eat(&mut s, ':') && !digits(&mut s, 2, 2) {
        return false;
    }
    s.is_empty()
}
