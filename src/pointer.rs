//! JSON pointers (RFC 6901), the one way skygen names a place in a values tree or an object:
//! building them from keys and `--set` paths, reading them back, and showing them as the dotted
//! key paths people write (`apiService.image`, `a[0].b`). Pure string functions.

/// One step of a path: a mapping key or a list index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// Escape one pointer segment: `~` → `~0`, then `/` → `~1`.
pub fn escape(segment: &str) -> String {
    let mut s = String::with_capacity(segment.len());
    push_escaped(&mut s, segment);
    s
}

/// Append one escaped segment; no allocation of its own (the YAML reader runs this per node).
pub fn push_escaped(out: &mut String, segment: &str) {
    if !segment.contains(['~', '/']) {
        out.push_str(segment);
        return;
    }
    for c in segment.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
}

/// Undo [`escape`] (`~1` first, so `~01` stays the literal `~1`).
pub fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// The pointer of a path.
pub fn from_path(path: &[Seg]) -> String {
    let mut out = String::new();
    for s in path {
        out.push('/');
        match s {
            Seg::Key(k) => push_escaped(&mut out, k),
            Seg::Index(i) => out.push_str(&i.to_string()),
        }
    }
    out
}

/// The path of a pointer; a segment of digits is read as a list index.
pub fn to_path(pointer: &str) -> Vec<Seg> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| {
            let s = unescape(s);
            match s.parse::<usize>() {
                Ok(i) if !s.is_empty() => Seg::Index(i),
                _ => Seg::Key(s),
            }
        })
        .collect()
}

/// `/apiService/image` → `apiService.image`; `/a/0/b` → `a[0].b`.
pub fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = unescape(seg);
        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let path = vec![
            Seg::Key("a/b~c".into()),
            Seg::Index(2),
            Seg::Key("~1".into()),
        ];
        let p = from_path(&path);
        assert_eq!(p, "/a~1b~0c/2/~01");
        assert_eq!(to_path(&p), path);
        assert_eq!(dotted(&p), "a/b~c[2].~1");
    }
}
