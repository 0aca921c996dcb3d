//! Helm's `--set` family: parse `a.b[0].c=value,x=y` into assignments and apply them.
//!
//! The syntax is Helm's (dots and `[N]` indexes, `\` escapes, `{x,y}` lists, commas between
//! assignments). Typing is not: a `--set` value is typed by the caller from the schema (a string
//! field keeps `1.10` as text), and only where the schema says nothing does it guess like Helm.

use serde_json::{Map, Value};

/// Largest list index a `--set` path may use (Helm refuses large ones too).
pub const MAX_SET_INDEX: usize = 10_000;

pub use crate::pointer::{from_path as pointer, Seg};

/// How the text of an assignment becomes a value.
#[derive(Clone, Debug, PartialEq)]
pub enum RawValue {
    /// `--set`: typed from the schema, or guessed.
    Text(String),
    /// `--set {a,b}`: each item typed from the schema.
    TextList(Vec<String>),
    /// `--set-string`, `--set-file`: always a string.
    Str(String),
    StrList(Vec<String>),
    /// `--set-json`.
    Json(Value),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    pub path: Vec<Seg>,
    pub value: RawValue,
}

/// Which flag an argument came from; decides how values are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetFlag {
    Set,
    SetString,
    SetFile,
    SetJson,
}

impl SetFlag {
    pub fn name(self) -> &'static str {
        match self {
            SetFlag::Set => "--set",
            SetFlag::SetString => "--set-string",
            SetFlag::SetFile => "--set-file",
            SetFlag::SetJson => "--set-json",
        }
    }
}

/// Parse one flag argument into its assignments. `--set-file` values are file paths here; the
/// caller reads them.
pub fn parse(flag: SetFlag, arg: &str) -> Result<Vec<Assignment>, String> {
    let mut out = Vec::new();
    let mut rest = arg;
    loop {
        let (path, after_eq) = parse_path(rest)?;
        let (value, after) = match flag {
            SetFlag::SetJson => parse_json_value(after_eq)?,
            _ => parse_text_value(after_eq, flag)?,
        };
        out.push(Assignment { path, value });
        match after.strip_prefix(',') {
            Some(more) if !more.is_empty() => rest = more,
            Some(_) => return Err("trailing comma".into()),
            None if after.is_empty() => return Ok(out),
            None => return Err(format!("unexpected text after the value: `{after}`")),
        }
    }
}

/// Parse `a.b[0].c=` and return the path and the text after `=`.
fn parse_path(s: &str) -> Result<(Vec<Seg>, &str), String> {
    let mut segs = Vec::new();
    let mut key = String::new();
    let mut chars = s.char_indices();
    let mut key_open = true;
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, esc)) => key.push(esc),
                None => return Err("a `\\` at the end escapes nothing".into()),
            },
            '.' => {
                if key_open {
                    if key.is_empty() {
                        return Err("empty key in path (two dots, or a leading dot)".into());
                    }
                    segs.push(Seg::Key(std::mem::take(&mut key)));
                }
                key_open = true;
            }
            '[' => {
                if key_open && !key.is_empty() {
                    segs.push(Seg::Key(std::mem::take(&mut key)));
                } else if key_open && segs.is_empty() {
                    return Err("a path cannot start with an index".into());
                }
                let close = s[i..].find(']').ok_or("`[` without `]`")? + i;
                let index: usize = s[i + 1..close]
                    .parse()
                    .map_err(|_| format!("`{}` is not a list index", &s[i + 1..close]))?;
                if index > MAX_SET_INDEX {
                    return Err(format!("list index {index} is larger than {MAX_SET_INDEX}"));
                }
                segs.push(Seg::Index(index));
                key_open = false;
                // Skip to after `]`.
                for (j, _) in chars.by_ref() {
                    if j == close {
                        break;
                    }
                }
            }
            '=' => {
                if key_open {
                    if key.is_empty() {
                        return Err("missing key before `=`".into());
                    }
                    segs.push(Seg::Key(key));
                }
                return Ok((segs, &s[i + 1..]));
            }
            ',' => return Err("expected `key=value`, found a `,` before any `=`".into()),
            _ => {
                if !key_open {
                    return Err("expected `.`, `[` or `=` after `]`".into());
                }
                key.push(c);
            }
        }
    }
    Err("expected `key=value` (no `=` found)".into())
}

/// Read a plain value up to the next unescaped `,` (outside `{…}`); `{x,y}` is a list.
fn parse_text_value(s: &str, flag: SetFlag) -> Result<(RawValue, &str), String> {
    if let Some(inner) = s.strip_prefix('{') {
        let close = inner.find('}').ok_or("`{` without `}`")?;
        let items = split_unescaped(&inner[..close]);
        let rest = &inner[close + 1..];
        let value = match flag {
            SetFlag::Set => RawValue::TextList(items),
            _ => RawValue::StrList(items),
        };
        return Ok((value, rest));
    }
    let mut text = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, esc)) => text.push(esc),
                None => text.push('\\'),
            },
            ',' => return Ok((typed_text(text, flag), &s[i..])),
            _ => text.push(c),
        }
    }
    Ok((typed_text(text, flag), ""))
}

fn typed_text(text: String, flag: SetFlag) -> RawValue {
    match flag {
        SetFlag::Set => RawValue::Text(text),
        _ => RawValue::Str(text),
    }
}

fn split_unescaped(s: &str) -> Vec<String> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut items = vec![String::new()];
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(esc), Some(it)) = (chars.next(), items.last_mut()) {
                    it.push(esc);
                }
            }
            ',' => items.push(String::new()),
            _ => {
                if let Some(it) = items.last_mut() {
                    it.push(c);
                }
            }
        }
    }
    items
}

fn parse_json_value(s: &str) -> Result<(RawValue, &str), String> {
    let mut stream = serde_json::Deserializer::from_str(s).into_iter::<Value>();
    match stream.next() {
        Some(Ok(v)) => Ok((RawValue::Json(v), &s[stream.byte_offset()..])),
        Some(Err(e)) => Err(format!("invalid JSON value: {e}")),
        None => Err("missing JSON value after `=`".into()),
    }
}

/// Helm's guess for an untyped `--set` value: `true`/`false`, `null`, integers without a
/// leading zero; anything else is text.
pub fn guess(text: &str) -> Value {
    match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ => {
            let digits = text.strip_prefix('-').unwrap_or(text);
            let plain_int = !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit())
                && (digits == "0" || !digits.starts_with('0'));
            match text.parse::<i64>() {
                Ok(n) if plain_int => Value::from(n),
                _ => Value::String(text.to_owned()),
            }
        }
    }
}

/// Put `value` at `path` in `root`, creating maps and lists on the way (lists are padded with
/// nulls, as Helm does). A null is stored like any value: it removes the default only when the
/// user's values are coalesced over the defaults (`merge::Nulls`).
pub fn apply(root: &mut Value, path: &[Seg], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = root;
    for (i, seg) in parents.iter().enumerate() {
        let next_is_index = matches!(path[i + 1], Seg::Index(_));
        node = child(node, seg, next_is_index);
    }
    match last {
        Seg::Key(k) => {
            if !node.is_object() {
                *node = Value::Object(Map::new());
            }
            if let Value::Object(m) = node {
                m.insert(k.clone(), value);
            }
        }
        Seg::Index(i) => {
            if !node.is_array() {
                *node = Value::Array(Vec::new());
            }
            if let Value::Array(a) = node {
                if a.len() <= *i {
                    a.resize(*i + 1, Value::Null);
                }
                a[*i] = value;
            }
        }
    }
}

fn child<'a>(node: &'a mut Value, seg: &Seg, next_is_index: bool) -> &'a mut Value {
    let empty = || {
        if next_is_index {
            Value::Array(Vec::new())
        } else {
            Value::Object(Map::new())
        }
    };
    match seg {
        Seg::Key(k) => {
            if !node.is_object() {
                *node = Value::Object(Map::new());
            }
            let Value::Object(m) = node else {
                unreachable!("made an object above")
            };
            let slot = m.entry(k.clone()).or_insert_with(empty);
            if slot.is_null() {
                *slot = empty();
            }
            slot
        }
        Seg::Index(i) => {
            if !node.is_array() {
                *node = Value::Array(Vec::new());
            }
            let Value::Array(a) = node else {
                unreachable!("made an array above")
            };
            if a.len() <= *i {
                a.resize(*i + 1, Value::Null);
            }
            if a[*i].is_null() {
                a[*i] = empty();
            }
            &mut a[*i]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(s: &str) -> Seg {
        Seg::Key(s.into())
    }

    #[test]
    fn helm_syntax() {
        let a = parse(SetFlag::Set, r"a.b=c,x\.y=1,l[1].n=z,s={p,q}").unwrap();
        assert_eq!(a[0].path, [key("a"), key("b")]);
        assert_eq!(a[1].path, [key("x.y")]);
        assert_eq!(a[1].value, RawValue::Text("1".into()));
        assert_eq!(a[2].path, [key("l"), Seg::Index(1), key("n")]);
        assert_eq!(a[3].value, RawValue::TextList(vec!["p".into(), "q".into()]));
    }

    #[test]
    fn values_keep_text_after_the_first_equals_sign() {
        let a = parse(SetFlag::Set, "ingress.authCredentials=u:$apr1$x=y").unwrap();
        assert_eq!(a[0].value, RawValue::Text("u:$apr1$x=y".into()));
    }

    #[test]
    fn json_values_and_their_ends() {
        let a = parse(SetFlag::SetJson, r#"a={"x":[1,2]},b="s""#).unwrap();
        assert_eq!(a[0].value, RawValue::Json(json!({"x": [1, 2]})));
        assert_eq!(a[1].value, RawValue::Json(json!("s")));
        assert!(parse(SetFlag::SetJson, "a={nope").is_err());
    }

    #[test]
    fn malformed_arguments() {
        for bad in [
            "",
            "novalue",
            "=x",
            "a..b=1",
            "a[x]=1",
            "a[99999999]=1",
            "a=1,",
            "[0]=1",
            "a[0",
            "a\\",
        ] {
            assert!(parse(SetFlag::Set, bad).is_err(), "{bad} should fail");
        }
    }

    #[test]
    fn helm_guesses_untyped_values() {
        assert_eq!(guess("true"), json!(true));
        assert_eq!(guess("7"), json!(7));
        assert_eq!(guess("-7"), json!(-7));
        assert_eq!(guess("007"), json!("007"));
        assert_eq!(guess("1.5"), json!("1.5"));
        assert_eq!(guess("null"), Value::Null);
    }

    #[test]
    fn apply_creates_and_pads() {
        let mut v = json!({"a": {"keep": 1}});
        apply(
            &mut v,
            &[key("a"), key("l"), Seg::Index(1), key("n")],
            json!("z"),
        );
        assert_eq!(v, json!({"a": {"keep": 1, "l": [null, {"n": "z"}]}}));
        apply(&mut v, &[key("a"), key("keep")], Value::Null);
        assert_eq!(v, json!({"a": {"keep": null, "l": [null, {"n": "z"}]}}));
    }
}
