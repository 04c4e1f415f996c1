//! Compiled wildcard patterns for actions, resources and string conditions.
//!
//! A pattern is compiled once into the cheapest test that decides it, in the spirit of
//! globset's `MatchStrategy`: `Any` (`*`), `Exact`, `Prefix` (`abc*`), `Suffix` (`*abc`),
//! `Contains` (`*abc*`), `PrefixSuffix` (`ab*cd`), and only the general case (`?`, several
//! `*`, `${...}` policy variables) walks tokens. `*` matches any run of characters,
//! including `/` and `:`; `?` exactly one character. Matching never allocates.

use super::context::{Context, normalize_key};

/// How to read a pattern's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Syntax {
    /// `*` and `?` are wildcards (otherwise literal, as in `StringEquals`).
    pub wildcards: bool,
    /// `${key}` policy variables are substituted (policy version `2012-10-17`).
    pub variables: bool,
    /// Compare ignoring case (actions, `StringEqualsIgnoreCase`).
    pub case_insensitive: bool,
}

/// The test a compiled pattern makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Strategy {
    /// `*`: everything matches.
    Any,
    /// No wildcard: the whole input equals the literal.
    Exact(Box<str>),
    /// `lit*`.
    Prefix(Box<str>),
    /// `*lit`.
    Suffix(Box<str>),
    /// `*lit*` (case-sensitive only).
    Contains(Box<str>),
    /// `pre*suf`.
    PrefixSuffix(Box<str>, Box<str>),
    /// Anything else: matched token by token.
    Glob(Box<[Token]>),
}

/// One piece of a general pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// Literal text, as written.
    Lit(Box<str>),
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    One,
    /// `${key}` or `${key, 'default'}`: the context value, matched literally.
    Var {
        /// The condition key, normalized.
        key: Box<str>,
        /// The value used when the key is absent or multivalued.
        default: Option<Box<str>>,
    },
}

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    strategy: Strategy,
    case_insensitive: bool,
}

impl Pattern {
    /// Compiles `text` under `syntax`. Every text is a valid pattern: an unterminated
    /// `${` is literal text.
    pub fn compile(text: &str, syntax: Syntax) -> Pattern {
        let ci = syntax.case_insensitive;
        let tokens = tokenize(text, syntax);
        let fast = |s: &str| !ci || s.is_ascii();
        let strategy = match tokens.as_slice() {
            [] => Strategy::Exact("".into()),
            [Token::Star] => Strategy::Any,
            [Token::Lit(l)] if fast(l) => Strategy::Exact(l.clone()),
            [Token::Lit(l), Token::Star] if fast(l) => Strategy::Prefix(l.clone()),
            [Token::Star, Token::Lit(l)] if fast(l) => Strategy::Suffix(l.clone()),
            [Token::Star, Token::Lit(l), Token::Star] if !ci => Strategy::Contains(l.clone()),
            [Token::Lit(p), Token::Star, Token::Lit(s)] if fast(p) && fast(s) => {
                Strategy::PrefixSuffix(p.clone(), s.clone())
            }
            _ => Strategy::Glob(tokens.into_boxed_slice()),
        };
        Pattern {
            strategy,
            case_insensitive: ci,
        }
    }

    /// The first policy variable of this pattern with no value in `ctx` (absent or
    /// multivalued, and no default): the pattern then matches nothing.
    pub fn unresolved(&self, ctx: &Context) -> Option<&str> {
        let Strategy::Glob(tokens) = &self.strategy else {
            return None;
        };
        tokens.iter().find_map(|t| match t {
            Token::Var { key, default: None } if ctx.variable(key).is_none() => Some(&**key),
            _ => None,
        })
    }

    /// The strategy chosen at compile time.
    #[cfg(test)]
    pub fn strategy(&self) -> &Strategy {
        &self.strategy
    }

    /// Whether `input` matches, resolving policy variables from `ctx`.
    #[inline]
    pub fn matches(&self, input: &str, ctx: &Context) -> bool {
        let ci = self.case_insensitive;
        match &self.strategy {
            Strategy::Any => true,
            Strategy::Exact(l) => eq(input, l, ci),
            Strategy::Prefix(l) => {
                input.len() >= l.len() && eq(&input.as_bytes()[..l.len()], l, ci)
            }
            Strategy::Suffix(l) => {
                input.len() >= l.len() && eq(&input.as_bytes()[input.len() - l.len()..], l, ci)
            }
            Strategy::Contains(l) => input.contains(&**l),
            Strategy::PrefixSuffix(p, s) => {
                let b = input.as_bytes();
                b.len() >= p.len() + s.len()
                    && eq(&b[..p.len()], p, ci)
                    && eq(&b[b.len() - s.len()..], s, ci)
            }
            Strategy::Glob(tokens) => glob(tokens, input, ctx, ci),
        }
    }
}

/// Byte equality, ASCII-case-insensitive when `ci` (fast strategies only hold ASCII
/// literals when case-insensitive). Literals keep the case they were written in, so the
/// common case (the caller spells the action as the policy does) is a plain `memcmp`.
#[inline]
fn eq(a: impl AsRef<[u8]>, lit: &str, ci: bool) -> bool {
    let a = a.as_ref();
    a == lit.as_bytes() || (ci && a.eq_ignore_ascii_case(lit.as_bytes()))
}

fn tokenize(text: &str, syntax: Syntax) -> Vec<Token> {
    let mut tokens: Vec<Token> = Vec::new();
    let mut lit = String::new();
    let push_lit = |lit: &mut String, tokens: &mut Vec<Token>| {
        if !lit.is_empty() {
            tokens.push(Token::Lit(std::mem::take(lit).into()));
        }
    };
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if syntax.variables && rest.starts_with("${") {
            if let Some((consumed, piece)) = variable(rest) {
                match piece {
                    Piece::Literal(c) => lit.push(c),
                    Piece::Var { key, default } => {
                        push_lit(&mut lit, &mut tokens);
                        tokens.push(Token::Var { key, default });
                    }
                }
                rest = &rest[consumed..];
                continue;
            }
        }
        rest = &rest[c.len_utf8()..];
        match c {
            '*' if syntax.wildcards => {
                push_lit(&mut lit, &mut tokens);
                if tokens.last() != Some(&Token::Star) {
                    tokens.push(Token::Star);
                }
            }
            '?' if syntax.wildcards => {
                push_lit(&mut lit, &mut tokens);
                tokens.push(Token::One);
            }
            c => lit.push(c),
        }
    }
    push_lit(&mut lit, &mut tokens);
    tokens
}

enum Piece {
    Literal(char),
    Var {
        key: Box<str>,
        default: Option<Box<str>>,
    },
}

/// Reads `${...}` at the start of `text`: the escapes `${*}`, `${?}`, `${$}`, a variable
/// `${key}` or one with a default `${key, 'value'}`. Returns the bytes consumed.
fn variable(text: &str) -> Option<(usize, Piece)> {
    let end = text.find('}')?;
    let inner = &text[2..end];
    let piece = match inner {
        "*" => Piece::Literal('*'),
        "?" => Piece::Literal('?'),
        "$" => Piece::Literal('$'),
        _ => {
            let (key, default) = match inner.split_once(',') {
                Some((key, default)) => {
                    let d = default.trim();
                    let d = d.strip_prefix('\'')?.strip_suffix('\'')?;
                    (key, Some(d.into()))
                }
                None => (inner, None),
            };
            let key = key.trim();
            if key.is_empty() {
                return None;
            }
            Piece::Var {
                key: normalize_key(key).into(),
                default,
            }
        }
    };
    Some((end + 1, piece))
}

/// Matches `input` against tokens: iterative, backtracking only to the last `*` (the
/// classic linear-space wildcard algorithm; literal tokens match deterministically, so
/// this equals matching them one character at a time).
fn glob(tokens: &[Token], input: &str, ctx: &Context, ci: bool) -> bool {
    let bytes = input.as_bytes();
    let (mut ti, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if ti < tokens.len() {
            let advanced = match &tokens[ti] {
                Token::Star => {
                    star = Some((ti + 1, si));
                    ti += 1;
                    continue;
                }
                Token::One => next_char_len(input, si).map(|n| si + n),
                Token::Lit(l) => lit_at(input, si, l, ci),
                Token::Var { key, default } => {
                    let value = ctx.variable(key).or(default.as_deref());
                    match value {
                        Some(v) => lit_at(input, si, v, ci),
                        None => return false,
                    }
                }
            };
            if let Some(next) = advanced {
                si = next;
                ti += 1;
                continue;
            }
        } else if si == bytes.len() {
            return true;
        }
        match star {
            Some((after, from)) if from < bytes.len() => {
                let mut from = from + next_char_len(input, from).unwrap_or(1);
                // Skip straight to the next place the literal after the star occurs; if
                // it occurs nowhere, no later star position can match either.
                if let (Some(Token::Lit(l)), false) = (tokens.get(after), ci) {
                    match input[from..].find(&**l) {
                        Some(offset) => from += offset,
                        None => return false,
                    }
                }
                star = Some((after, from));
                ti = after;
                si = from;
            }
            _ => return false,
        }
    }
}

fn next_char_len(input: &str, at: usize) -> Option<usize> {
    input[at..].chars().next().map(char::len_utf8)
}

/// Where `lit` ends if it occurs in `input` at byte `at`.
#[inline]
fn lit_at(input: &str, at: usize, lit: &str, ci: bool) -> Option<usize> {
    let hay = &input[at..];
    if !ci {
        return hay.starts_with(lit).then(|| at + lit.len());
    }
    if lit.is_ascii() {
        let b = hay.as_bytes();
        return (b.len() >= lit.len() && eq(&b[..lit.len()], lit, true)).then(|| at + lit.len());
    }
    // Unicode: compare lowercase expansions character by character.
    let mut want = lit.chars().flat_map(char::to_lowercase).peekable();
    let mut consumed = 0;
    for c in hay.chars() {
        if want.peek().is_none() {
            break;
        }
        for l in c.to_lowercase() {
            if want.next() != Some(l) {
                return None;
            }
        }
        consumed += c.len_utf8();
    }
    want.peek().is_none().then_some(at + consumed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GLOB: Syntax = Syntax {
        wildcards: true,
        variables: false,
        case_insensitive: false,
    };
    const ACTION: Syntax = Syntax {
        case_insensitive: true,
        ..GLOB
    };
    const VARS: Syntax = Syntax {
        variables: true,
        ..GLOB
    };

    fn m(p: &str, syntax: Syntax, s: &str) -> bool {
        Pattern::compile(p, syntax).matches(s, &Context::new())
    }

    #[test]
    fn strategies_are_the_cheapest_that_decide() {
        let s = |p: &str| Pattern::compile(p, GLOB).strategy().clone();
        assert_eq!(s("*"), Strategy::Any);
        assert_eq!(s("**"), Strategy::Any);
        assert_eq!(s("arn:aws:x"), Strategy::Exact("arn:aws:x".into()));
        assert_eq!(s("arn:*"), Strategy::Prefix("arn:".into()));
        assert_eq!(s("*/GET"), Strategy::Suffix("/GET".into()));
        assert_eq!(s("*pets*"), Strategy::Contains("pets".into()));
        assert_eq!(s("a*b"), Strategy::PrefixSuffix("a".into(), "b".into()));
        assert!(matches!(s("a?b"), Strategy::Glob(_)));
        assert!(matches!(s("a*b*c"), Strategy::Glob(_)));
    }

    #[test]
    fn star_spans_slashes_and_colons_question_mark_one_char() {
        // IAM docs, "IAM JSON policy elements: Resource": `*` may expand to everything in
        // a segment including `/`, and `arn:aws:execute-api:*:*:*` is equivalent to `*`
        // (API Gateway developer guide, "Control access ... using IAM policies").
        assert!(m(
            "arn:aws:execute-api:*",
            GLOB,
            "arn:aws:execute-api:us-east-1:1:a/prod/GET/pets"
        ));
        assert!(m(
            "arn:aws:execute-api:*:*:*",
            GLOB,
            "arn:aws:execute-api:us-east-1:1:a/prod/GET/pets/7"
        ));
        assert!(m("a/*/GET/*", GLOB, "a/prod/GET/pets/a1b2"));
        assert!(!m("a/*/GET/*", GLOB, "a/prod/POST/pets/a1b2"));
        assert!(m("pets/?", GLOB, "pets/7"));
        assert!(!m("pets/?", GLOB, "pets/77"));
        assert!(!m("pets/?", GLOB, "pets/"));
        assert!(m("pets/?", GLOB, "pets/é"));
        assert!(m("*a*a*a*", GLOB, "banana a"));
        assert!(!m("*a*a*a*b", GLOB, "banana a"));
        assert!(m("", GLOB, ""));
        assert!(!m("", GLOB, "x"));
        assert!(m("ab*ab", GLOB, "abab"));
        assert!(!m("ab*ab", GLOB, "aba"));
    }

    #[test]
    fn resources_are_case_sensitive_actions_are_not() {
        assert!(!m("arn:aws:x/Pets", GLOB, "arn:aws:x/pets"));
        assert!(m(
            "execute-api:Invalidate*",
            ACTION,
            "EXECUTE-API:invalidatecache"
        ));
        assert!(m(
            "execute-api:InvalidateCache",
            ACTION,
            "execute-api:invalidatecache"
        ));
        assert!(m(
            "execute-api:Inv?lidate*",
            ACTION,
            "execute-api:INVALIDATECACHE"
        ));
        assert!(!m(
            "execute-api:Invoke",
            ACTION,
            "execute-api:InvalidateCache"
        ));
        assert!(m("*ÄB", ACTION, "xäb"));
    }

    #[test]
    fn literal_syntax_treats_wildcards_as_text() {
        let lit = Syntax {
            wildcards: false,
            ..GLOB
        };
        assert!(m("a*b", lit, "a*b"));
        assert!(!m("a*b", lit, "axb"));
    }

    #[test]
    fn policy_variables_resolve_from_the_context() {
        let ctx = Context::new().with("aws:username", "alice");
        let p = Pattern::compile("arn:aws:s3:::bucket/home/${aws:username}/*", VARS);
        assert!(p.matches("arn:aws:s3:::bucket/home/alice/x", &ctx));
        assert!(!p.matches("arn:aws:s3:::bucket/home/bob/x", &ctx));
        assert!(!p.matches("arn:aws:s3:::bucket/home/alice/x", &Context::new()));
        let d = Pattern::compile("team/${aws:PrincipalTag/team, 'shared'}", VARS);
        assert!(d.matches("team/shared", &Context::new()));
        // Escapes: ${*} is a literal star.
        let e = Pattern::compile("a${*}b", VARS);
        assert!(e.matches("a*b", &Context::new()));
        assert!(!e.matches("axb", &Context::new()));
        // Without variables (version 2008-10-17) the text is literal.
        assert!(m("x/${aws:username}", GLOB, "x/${aws:username}"));
        // A variable's value is literal even if it holds a wildcard.
        let star = Context::new().with("aws:username", "*");
        assert!(!p.matches("arn:aws:s3:::bucket/home/bob/x", &star));
    }
}
