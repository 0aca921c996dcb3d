//! Kubernetes resource quantities (`4`, `4.5`, `4000m`, `8Gi`, `1Ti`, `1e3`), parsed the way the
//! API server parses them, so rules can compare sizes. The chart's own parser reads `4.5` CPUs
//! and `1Ti` as zero; this one does not.

/// Parse a quantity into its value in base units (cores, bytes).
pub fn parse(text: &str) -> Result<f64, String> {
    let bad =
        || format!("`{text}` is not a Kubernetes quantity (examples: 4, 500m, 8Gi, 1.5, 1e3)");
    let s = text.trim();
    if s.is_empty() || s != text {
        return Err(bad());
    }
    let (sign, body) = match s.as_bytes()[0] {
        b'+' => (1.0, &s[1..]),
        b'-' => (-1.0, &s[1..]),
        _ => (1.0, s),
    };
    let num_end = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (num, suffix) = body.split_at(num_end);
    if num.is_empty() || num == "." || num.matches('.').count() > 1 {
        return Err(bad());
    }
    let mantissa: f64 = num.parse().map_err(|_| bad())?;
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        exp if exp.starts_with(['e', 'E']) => {
            let e: i32 = exp[1..].parse().map_err(|_| bad())?;
            if !(-30..=30).contains(&e) {
                return Err(bad());
            }
            10f64.powi(e)
        }
        _ => return Err(bad()),
    };
    Ok(sign * mantissa * factor)
}

/// A quantity given as YAML: a number or a string.
pub fn parse_value(v: &serde_json::Value) -> Result<f64, String> {
    match v {
        serde_json::Value::Number(n) => {
            n.as_f64().ok_or_else(|| format!("`{n}` is not a quantity"))
        }
        serde_json::Value::String(s) => parse(s),
        other => Err(format!(
            "expected a quantity such as `4` or `8Gi`, found {other}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn forms_the_api_server_accepts() {
        assert_eq!(parse("4").unwrap(), 4.0);
        assert_eq!(parse("4.5").unwrap(), 4.5);
        assert_eq!(parse("4000m").unwrap(), 4.0);
        assert_eq!(parse("8Gi").unwrap(), 8.0 * 1024f64.powi(3));
        assert_eq!(parse("1Ti").unwrap(), 1024f64.powi(4));
        assert_eq!(parse("8G").unwrap(), 8e9);
        assert_eq!(parse("1e3").unwrap(), 1000.0);
        assert_eq!(parse(".5").unwrap(), 0.5);
    }

    #[test]
    fn garbage_is_refused() {
        for bad in [
            "", "Gi", "8 Gi", "8gi", "1.2.3", "four", "8GiB", "1e999", " 4",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
