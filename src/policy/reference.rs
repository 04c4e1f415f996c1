//! A plain reference evaluator, written for obviousness rather than speed: it walks the
//! parsed documents statement by statement, expands policy variables into character
//! lists and matches wildcards by recursion. Property tests check that the compiled
//! [`PolicySet`](super::PolicySet) always agrees with it, and the benches measure the
//! compiled engine against it. Not for production use: it allocates and can take
//! exponential time on pathological patterns.

use super::context::Context;
use super::document::{Condition, Effect, PolicyDocument, Statement, Targets, Version};
use super::eval::Decision;
use super::operator::{self, SetQualifier, Test, Value};

/// Evaluates `action` on `resource` in `ctx` against every statement of every policy.
pub fn evaluate(
    policies: &[PolicyDocument],
    action: &str,
    resource: &str,
    ctx: &Context,
) -> Decision {
    let mut some_allow = false;
    for policy in policies {
        for statement in &policy.statements {
            if applies(policy.version, statement, action, resource, ctx) {
                if statement.effect == Effect::Deny {
                    return Decision::ExplicitDeny;
                }
                some_allow = true;
            }
        }
    }
    if some_allow {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

fn applies(version: Version, s: &Statement, action: &str, resource: &str, ctx: &Context) -> bool {
    let action_listed = s.action.patterns.iter().any(|p| {
        let pattern = wildcard_chars(&p.to_lowercase());
        matches_chars(&pattern, &chars(&action.to_lowercase()))
    });
    let resource_listed = s
        .resource
        .patterns
        .iter()
        .any(|p| match expand(p, version, ctx, true) {
            Some(pattern) => matches_chars(&pattern, &chars(resource)),
            None => false,
        });
    included(&s.action, action_listed)
        && included(&s.resource, resource_listed)
        && s.conditions
            .iter()
            .all(|c| condition_holds(version, c, ctx))
}

/// `Action` applies when listed; `NotAction` when not listed.
fn included(t: &Targets, listed: bool) -> bool {
    if t.negated { !listed } else { listed }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Ch {
    Lit(char),
    Star,
    One,
}

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

fn wildcard_chars(s: &str) -> Vec<Ch> {
    s.chars()
        .map(|c| match c {
            '*' => Ch::Star,
            '?' => Ch::One,
            c => Ch::Lit(c),
        })
        .collect()
}

/// Expands `${...}` (when the version has variables) and reads wildcards (when
/// `wildcards`). `None` when a variable has no value and no default.
fn expand(p: &str, version: Version, ctx: &Context, wildcards: bool) -> Option<Vec<Ch>> {
    let mut out = Vec::new();
    let text: Vec<char> = p.chars().collect();
    let mut i = 0;
    while i < text.len() {
        let c = text[i];
        let closing = text[i..].iter().position(|&c| c == '}');
        if version.has_variables() && c == '$' && text.get(i + 1) == Some(&'{') && closing.is_some()
        {
            let close = i + closing.unwrap_or(0);
            let inner: String = text[i + 2..close].iter().collect();
            let replacement: Option<String> = match inner.as_str() {
                "*" | "?" | "$" => Some(inner.clone()),
                _ => {
                    let (key, default) = match inner.find(',') {
                        None => (inner.trim().to_string(), None),
                        Some(comma) => {
                            let d = inner[comma + 1..].trim();
                            if d.len() >= 2 && d.starts_with('\'') && d.ends_with('\'') {
                                (
                                    inner[..comma].trim().to_string(),
                                    Some(d[1..d.len() - 1].to_string()),
                                )
                            } else {
                                (String::new(), None)
                            }
                        }
                    };
                    if key.is_empty() {
                        None
                    } else {
                        let value = match ctx.get(&key.to_lowercase()) {
                            Some(values) if values.len() == 1 => Some(values[0].clone()),
                            _ => default,
                        };
                        Some(value?)
                    }
                }
            };
            if let Some(r) = replacement {
                out.extend(r.chars().map(Ch::Lit));
                i = close + 1;
                continue;
            }
        }
        out.push(match c {
            '*' if wildcards => Ch::Star,
            '?' if wildcards => Ch::One,
            c => Ch::Lit(c),
        });
        i += 1;
    }
    Some(out)
}

fn matches_chars(p: &[Ch], s: &[char]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(Ch::Star) => (0..=s.len()).any(|skip| matches_chars(&p[1..], &s[skip..])),
        Some(Ch::One) => !s.is_empty() && matches_chars(&p[1..], &s[1..]),
        Some(Ch::Lit(c)) => s.first() == Some(c) && matches_chars(&p[1..], &s[1..]),
    }
}

fn condition_holds(version: Version, c: &Condition, ctx: &Context) -> bool {
    let op = &c.operator;
    let values: Vec<String> = ctx
        .get(&c.key.to_lowercase())
        .map(<[String]>::to_vec)
        .unwrap_or_default();
    if op.test == Test::Null {
        let absent = values.is_empty();
        return c.values.contains(&Value::Bool(absent));
    }
    if values.is_empty() {
        if op.if_exists {
            return true;
        }
        return match op.set {
            SetQualifier::Single => op.negated,
            SetQualifier::ForAnyValue => false,
            SetQualifier::ForAllValues => true,
        };
    }
    let positive = |v: &String| {
        c.values
            .iter()
            .any(|pv| value_matches(version, op.test, pv, v, ctx))
    };
    match op.set {
        SetQualifier::Single => {
            let any = values.iter().any(positive);
            if op.negated { !any } else { any }
        }
        SetQualifier::ForAnyValue => values.iter().any(|v| positive(v) != op.negated),
        SetQualifier::ForAllValues => values.iter().all(|v| positive(v) != op.negated),
    }
}

fn value_matches(version: Version, test: Test, policy: &Value, v: &str, ctx: &Context) -> bool {
    match (test, policy) {
        (Test::StringEquals, Value::Text(p)) => {
            expand(p, version, ctx, false).is_some_and(|p| matches_chars(&p, &chars(v)))
        }
        (Test::StringEqualsIgnoreCase, Value::Text(p)) => expand(p, version, ctx, false)
            .is_some_and(|p| {
                let p: String = p
                    .iter()
                    .map(|c| if let Ch::Lit(c) = c { *c } else { '?' })
                    .collect();
                p.to_lowercase() == v.to_lowercase()
            }),
        (Test::StringLike, Value::Text(p)) => {
            expand(p, version, ctx, true).is_some_and(|p| matches_chars(&p, &chars(v)))
        }
        (Test::ArnLike, Value::Text(p)) => {
            let pattern_parts: Vec<&str> = p.splitn(6, ':').collect();
            if pattern_parts.len() < 6 {
                return expand(p, version, ctx, true).is_some_and(|p| matches_chars(&p, &chars(v)));
            }
            let value_parts: Vec<&str> = v.splitn(6, ':').collect();
            value_parts.len() == 6
                && pattern_parts
                    .iter()
                    .zip(&value_parts)
                    .all(|(pattern_part, value_part)| {
                        expand(pattern_part, version, ctx, true)
                            .is_some_and(|p| matches_chars(&p, &chars(value_part)))
                    })
        }
        (Test::BinaryEquals, Value::Text(p)) => p == v,
        (Test::Numeric(cmp), Value::Number(n)) => {
            operator::parse_number(v).is_some_and(|x| cmp.holds(x, *n))
        }
        (Test::Date(cmp), Value::Date(d)) => {
            operator::parse_date(v).is_some_and(|x| cmp.holds(x, *d))
        }
        (Test::Bool, Value::Bool(b)) => operator::parse_bool(v) == Some(*b),
        (Test::IpAddress, Value::Net(n)) => operator::parse_ip(v).is_some_and(|ip| n.contains(&ip)),
        _ => false,
    }
}
