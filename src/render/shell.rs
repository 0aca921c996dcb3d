//! Shell quoting for values inserted into the start scripts. A value becomes one shell word
//! whatever it contains, so a tenant id or host cannot run commands or break the script.

/// Quote `s` as a single POSIX shell word; words made only of safe characters stay bare, so
/// scripts read naturally (`--host=0.0.0.0`).
pub fn quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@%+=:,./-_".contains(&b));
    if safe {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quoting() {
        assert_eq!(quote("0.0.0.0"), "0.0.0.0");
        assert_eq!(quote("::"), "::");
        assert_eq!(quote("10M"), "10M");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("x'; rm -rf / #"), r"'x'\''; rm -rf / #'");
        assert_eq!(quote("$(id)"), "'$(id)'");
    }
}
