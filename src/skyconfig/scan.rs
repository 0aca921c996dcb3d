//! A scanner over JSON text that serde_json has already read whole (the embedded SkyPilot
//! config schemas: a test parses every one): where a string or a value ends, and where the
//! entries of the root object's `properties` are. It checks structure only as far as it needs
//! to find those ends and answers `None` for anything unexpected. Shared by `build.rs`, which
//! writes the `properties` index of each schema at build time, and [`super::schemas`], which
//! prunes a schema with it. Never allocates, never parses a value.

/// An index of `properties`: each entry's key, start and end, then the object's start and end.
pub type Properties<'t> = (Vec<(&'t str, usize, usize)>, usize, usize);

/// Past the whitespace at `i`.
pub fn spaces(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\n' | b'\r' | b'\t')) {
        i += 1;
    }
    i
}

/// Past the string whose `"` is at `i`. Schema strings are short (keys, type names): a plain
/// loop beats a vectorized search's setup.
pub fn skip_string(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    loop {
        match *b.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
}

/// Past the value that starts at `i` (after whitespace): strings stepped over, brackets
/// counted, everything else (numbers, words, punctuation) passed.
pub fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    let mut i = spaces(b, i);
    let mut depth = 0usize;
    loop {
        let c = *b.get(i)?;
        i += 1;
        match c {
            b'"' => {
                i = skip_string(b, i - 1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' | b',' if depth == 0 => return Some(i - 1),
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
}

/// The entries of the root object's `properties`: each key with where its value starts and
/// ends, in the text's order, and where the `properties` object starts and ends. `None` when
/// there is no such object or a key has an escape.
#[allow(dead_code)] // Used by build.rs and by tests of the index it writes.
pub fn root_properties(text: &str) -> Option<Properties<'_>> {
    let b = text.as_bytes();
    let mut i = spaces(b, 0);
    if b.get(i)? != &b'{' {
        return None;
    }
    i += 1;
    loop {
        let (key, after) = key(text, i)?;
        i = after;
        if key == "properties" {
            let (list, end) = entries(text, i)?;
            return Some((list, i, end));
        }
        i = spaces(b, skip_value(b, i)?);
        match b.get(i)? {
            b',' => i += 1,
            _ => return None,
        }
    }
}

/// The key at `i` (after whitespace) and where its value starts (after the `:`).
fn key(text: &str, i: usize) -> Option<(&str, usize)> {
    let b = text.as_bytes();
    let start = spaces(b, i);
    if b.get(start)? != &b'"' {
        return None;
    }
    let end = skip_string(b, start)?;
    let key = &text[start + 1..end - 1];
    if key.contains('\\') {
        return None;
    }
    let colon = spaces(b, end);
    (b.get(colon)? == &b':').then_some((key, spaces(b, colon + 1)))
}

/// The entries of the object at `i`, as [`root_properties`] gives them.
#[allow(dead_code)] // Used through root_properties.
fn entries(text: &str, i: usize) -> Option<(Vec<(&str, usize, usize)>, usize)> {
    let b = text.as_bytes();
    let mut i = spaces(b, i);
    if b.get(i)? != &b'{' {
        return None;
    }
    let mut out = Vec::new();
    i = spaces(b, i + 1);
    if b.get(i)? == &b'}' {
        return Some((out, i + 1));
    }
    loop {
        let (key, start) = key(text, i)?;
        let end = skip_value(b, start)?;
        out.push((key, start, end));
        i = spaces(b, end);
        match b.get(i)? {
            b',' => i += 1,
            b'}' => return Some((out, i + 1)),
            _ => return None,
        }
    }
}
