//! A scanner over JSON text that serde_json has already read whole (the embedded SkyPilot
//! config schemas: a test parses every one): where a string or a value ends, and where the
//! entries of every `properties` object are. It checks structure only as far as it needs to
//! find those ends and answers `None` for anything unexpected. Shared by `build.rs`, which
//! writes the `properties` index of each schema at build time, and [`super::schemas`], which
//! prunes a schema with it. Never parses a value.

/// The entries of an object: each key with where its value starts and ends.
pub type Entries<'t> = Vec<(&'t str, usize, usize)>;

/// An index of one `properties` object: its entries, then where it starts and ends.
pub type Properties<'t> = (Entries<'t>, usize, usize);

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

/// Every object that is the value of a `properties` key, anywhere in `text`: its entries
/// (each key with where its value starts and ends, in the text's order) and where the object
/// starts and ends, sorted by start. `None` when the text is not what the scanner expects (a
/// key with an escape, say).
#[allow(dead_code)] // Used by build.rs and by tests of the index it writes.
pub fn properties_index(text: &str) -> Option<Vec<Properties<'_>>> {
    let mut out = Vec::new();
    let end = walk(text, 0, &mut out)?;
    if spaces(text.as_bytes(), end) != text.len() {
        return None;
    }
    out.sort_by_key(|p| p.1);
    Some(out)
}

/// Past the value at `i`, indexing the `properties` objects inside it into `out`.
#[allow(dead_code)] // Used through properties_index.
fn walk<'t>(text: &'t str, i: usize, out: &mut Vec<Properties<'t>>) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = spaces(b, i);
    match *b.get(i)? {
        b'{' => {
            i = spaces(b, i + 1);
            if b.get(i)? == &b'}' {
                return Some(i + 1);
            }
            loop {
                let (key, value) = key(text, i)?;
                i = if key == "properties" && b.get(value)? == &b'{' {
                    let (list, end) = entries(text, value)?;
                    for &(_, from, _) in &list {
                        walk(text, from, out)?;
                    }
                    out.push((list, value, end));
                    end
                } else {
                    walk(text, value, out)?
                };
                i = spaces(b, i);
                match b.get(i)? {
                    b',' => i += 1,
                    b'}' => return Some(i + 1),
                    _ => return None,
                }
            }
        }
        b'[' => {
            i = spaces(b, i + 1);
            if b.get(i)? == &b']' {
                return Some(i + 1);
            }
            loop {
                i = spaces(b, walk(text, i, out)?);
                match b.get(i)? {
                    b',' => i += 1,
                    b']' => return Some(i + 1),
                    _ => return None,
                }
            }
        }
        _ => skip_value(b, i),
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

/// The entries of the object at `i` (each key, where its value starts and ends) and where the
/// object ends.
#[allow(dead_code)] // Used through properties_index.
fn entries(text: &str, i: usize) -> Option<(Entries<'_>, usize)> {
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
