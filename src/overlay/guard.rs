//! Bounds on what an overlay brings, checked before minijinja compiles or runs its templates
//! and before its patches grow the objects (issue 17).
//!
//! Templates (resource templates, templated strings, `when:` expressions): minijinja's parser
//! and code generator recurse once per nesting level of an expression, and only parentheses and
//! nested blocks are capped: a `when:` of 20,000 `not`s, a chain of `a.b.c…`, `1+1+…` or
//! `x|f|f|…`, or a long `{% elif %}` chain overflow the stack and abort the process. An
//! expression cannot nest deeper than it has tokens, so counting the tokens of each
//! `{{ … }}` / `{% … %}` tag (with minijinja's own lexer, which does not recurse) and the `elif`s
//! of a template bounds every recursion. Running a template is bounded by fuel (instructions and
//! bytes produced), so a loop cannot stall the run.
//!
//! Patches: how many an overlay has, how many objects there may be, and how many nodes all
//! patches together may write into the objects (a merge body applied to many objects, a json6902
//! `copy` that doubles a subtree), so neither time nor memory grows without bound.
//!
//! Takes template text or values; returns the problem as a sentence. Never changes anything.

use minijinja::machinery::{tokenize, Token};
use minijinja::syntax::SyntaxConfig;

/// Most tokens (names, operators, literals) in one `{{ … }}` or `{% … %}` tag or one `when:`
/// expression. The longest in the built-in overlays has 40.
pub const MAX_TAG_TOKENS: usize = 256;
/// Most `{% elif %}` branches in one template (each nests one level deeper).
pub const MAX_ELIF: usize = 64;
/// Work one overlay resource template may do when it runs (minijinja fuel: one per instruction,
/// one per 64 bytes produced). The built-in overlays' templates need a few hundred.
pub const TEMPLATE_FUEL: u64 = 1_000_000;
/// Work all overlay resource templates of a run may do together (about 0.2 s).
pub const RUN_FUEL: u64 = 10_000_000;
/// Work one templated string (a target, a patch string, a `config` entry) or one check may do;
/// they are a few names each.
pub const STRING_FUEL: u64 = 2_000;
/// Most templated strings and checks in one overlay.
pub const MAX_TEMPLATED_STRINGS: usize = 1000;
/// Most overlays one run applies.
pub const MAX_OVERLAYS: usize = 32;
/// Most patches in one overlay.
pub const MAX_PATCHES: usize = 1000;
/// Most objects the deployment may have once overlays have added theirs.
pub const MAX_OBJECTS: usize = 10_000;
/// Most nodes all patches of a run may write into the objects, counted per object patched
/// (plus one per object: patching one costs something whatever the patch writes). It was
/// 1,000,000: patches at that budget over 10,000 objects took over a second (#17).
pub const MAX_PATCH_NODES: usize = 250_000;
/// Most objects the targets of all patches of a run may look at: each patch looks at every
/// object of the deployment, so 1,000 patches over 10,000 objects took seconds (#17).
pub const MAX_PATCH_SCANS: usize = 250_000;
/// Most nodes one json6902 `copy` may copy.
pub const MAX_COPY_NODES: usize = 10_000;

/// Nodes (every mapping, list and scalar) of `v` and its depth in mappings and lists (a scalar
/// is 0 deep), without recursion; counting stops once it passes `max_nodes`.
pub fn measure(v: &serde_json::Value, max_nodes: usize) -> (usize, usize) {
    use serde_json::Value;
    let (mut nodes, mut depth) = (0, 0);
    let mut stack = vec![(v, 0usize)];
    while let Some((v, level)) = stack.pop() {
        nodes += 1;
        if nodes > max_nodes {
            break;
        }
        match v {
            Value::Object(m) => {
                depth = depth.max(level + 1);
                stack.extend(m.values().map(|x| (x, level + 1)));
            }
            Value::Array(a) => {
                depth = depth.max(level + 1);
                stack.extend(a.iter().map(|x| (x, level + 1)));
            }
            _ => {}
        }
    }
    (nodes, depth)
}

/// Check a whole template (`{{ … }}`, `{% … %}` and text).
pub fn check_template(source: &str) -> Result<(), String> {
    check(source, false)
}

/// Check an expression (a check's `when:`).
pub fn check_expression(source: &str) -> Result<(), String> {
    check(source, true)
}

fn check(source: &str, in_expr: bool) -> Result<(), String> {
    let mut in_tag = 0usize;
    let mut elifs = 0usize;
    let mut whole = 0usize;
    for item in tokenize(source, in_expr, SyntaxConfig::default()) {
        // A lexing error stops the parser at the same place; minijinja reports it.
        let Ok((token, _)) = item else { break };
        match token {
            Token::VariableStart | Token::BlockStart => in_tag = 0,
            Token::VariableEnd | Token::BlockEnd | Token::TemplateData(_) => {}
            Token::Ident("elif") => {
                elifs += 1;
                in_tag += 1;
            }
            _ => {
                in_tag += 1;
                whole += 1;
            }
        }
        if in_tag > MAX_TAG_TOKENS || (in_expr && whole > MAX_TAG_TOKENS) {
            return Err(format!(
                "an expression of more than {MAX_TAG_TOKENS} tokens; split it, or compute the value in a `{{% set %}}`"
            ));
        }
        if elifs > MAX_ELIF {
            return Err(format!(
                "more than {MAX_ELIF} `elif` branches in one template; use a mapping lookup instead"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_at_the_limit_pass_and_one_more_token_fails() {
        // `not` × (N-1) plus `true` is N tokens.
        let at = format!("{{{{ {}true }}}}", "not ".repeat(MAX_TAG_TOKENS - 1));
        assert_eq!(check_template(&at), Ok(()));
        let over = format!("{{{{ {}true }}}}", "not ".repeat(MAX_TAG_TOKENS));
        assert!(check_template(&over).is_err());
        // Many short tags are fine: the count is per tag.
        let many = "{{ not not x }}".repeat(10_000);
        assert_eq!(check_template(&many), Ok(()));
    }

    #[test]
    fn expressions_count_all_their_tokens() {
        let at = format!("{}1", "-".repeat(MAX_TAG_TOKENS - 1));
        assert_eq!(check_expression(&at), Ok(()));
        assert!(check_expression(&format!("{}1", "-".repeat(MAX_TAG_TOKENS))).is_err());
    }

    #[test]
    fn elif_chains_are_counted() {
        let chain = |n: usize| format!("{{% if a %}}{}{{% endif %}}", "{% elif b %}x".repeat(n));
        assert_eq!(check_template(&chain(MAX_ELIF)), Ok(()));
        assert!(check_template(&chain(MAX_ELIF + 1)).is_err());
    }
}
