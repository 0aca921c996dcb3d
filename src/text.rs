//! Reading input text, bounded: a file or stream is read up to a size limit and refused when it
//! is larger, binary (NUL bytes) or not UTF-8. Shared by the values stage (values files,
//! `--set-file`) and diff (manifests, kustomizations), which word the refusal for their input.
//! Never parses what it reads.

use std::io::Read;
use std::path::Path;

/// Why text could not be read.
#[derive(Debug)]
pub enum TextError {
    NotFound,
    IsDirectory,
    Io(std::io::Error),
    /// Larger than the limit.
    TooBig,
    /// Contains NUL bytes.
    Binary,
    /// Not UTF-8; the offset of the first invalid byte.
    NotUtf8(usize),
}

/// Read at most `max` bytes of `reader` (one more, to tell that it is larger) and check them.
pub fn read_bounded(reader: impl Read, max: u64) -> Result<String, TextError> {
    let mut bytes = Vec::new();
    reader
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(TextError::Io)?;
    check(bytes, max)
}

/// Read the file at `path`, bounded by `max` bytes; a directory is refused.
pub fn read_file(path: &Path, max: u64) -> Result<String, TextError> {
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => TextError::NotFound,
        _ => TextError::Io(e),
    })?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(TextError::IsDirectory);
    }
    read_bounded(file, max)
}

/// Refuse oversized, binary or non-UTF-8 bytes.
pub fn check(bytes: Vec<u8>, max: u64) -> Result<String, TextError> {
    if bytes.len() as u64 > max {
        return Err(TextError::TooBig);
    }
    if bytes.contains(&0) {
        return Err(TextError::Binary);
    }
    String::from_utf8(bytes).map_err(|e| TextError::NotUtf8(e.utf8_error().valid_up_to()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert_eq!(read_bounded(&b"abc"[..], 3).unwrap(), "abc");
        assert!(matches!(
            read_bounded(&b"abcd"[..], 3),
            Err(TextError::TooBig)
        ));
        assert!(matches!(
            read_bounded(&b"a\0"[..], 3),
            Err(TextError::Binary)
        ));
        assert!(matches!(
            read_bounded(&b"a\xff"[..], 3),
            Err(TextError::NotUtf8(1))
        ));
    }
}
