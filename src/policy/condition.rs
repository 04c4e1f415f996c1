//! Compiled conditions: one operator, one (normalized) context key and its policy values,
//! pre-parsed so evaluation only parses the context's values.
//!
//! Semantics (IAM user guide, "Condition operators" and "Single-valued vs. multivalued
//! context keys"): policy values are ORed; an absent key makes a positive operator false
//! and a negated one true, `...IfExists` makes it true, `ForAnyValue:` false and
//! `ForAllValues:` true. A negated operator is the negation of its positive form.

use ipnet::IpNet;

use super::context::{Context, normalize_key};
use super::document::{Condition, Version};
use super::operator::{self, NegatedIncomparable, Operator, SetQualifier, Test, Value};
use super::pattern::{Pattern, Syntax};

/// Why a context value cannot be compared with a condition's policy values.
enum Incomparable<'a> {
    /// The context value is not what the operator compares (`a number`, ...).
    Context(&'static str),
    /// A policy value that did not parse for the operator.
    PolicyValue(&'a str),
    /// A policy variable (its key) with no value in the context.
    Variable(&'a str),
}

/// A condition ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledCondition {
    key: Box<str>,
    operator: Operator,
    values: Values,
    /// The operator as written and the key, for explanations.
    written: Box<str>,
    /// Policy values that did not parse for the operator (they match nothing).
    unparsable: Box<[Box<str>]>,
    /// What a negated operator comes to on a value that cannot be compared.
    assume: NegatedIncomparable,
}

#[derive(Debug, Clone)]
enum Values {
    Patterns(Box<[Pattern]>),
    Arns(Box<[ArnPattern]>),
    Numbers(Box<[f64]>),
    Dates(Box<[i128]>),
    Bools(Box<[bool]>),
    Nets(Box<[IpNet]>),
    Binary(Box<[String]>),
}

/// `ArnLike`/`ArnEquals` compare the six colon-separated ARN components one by one, each
/// with wildcards. A policy value with fewer than six components is matched as one
/// pattern over the whole ARN (an assumption: IAM documents only six-part ARNs here).
#[derive(Debug, Clone)]
enum ArnPattern {
    Parts(Box<[Pattern; 6]>),
    Whole(Pattern),
}

impl ArnPattern {
    fn compile(text: &str, syntax: Syntax) -> ArnPattern {
        let parts: Vec<&str> = text.splitn(6, ':').collect();
        match <[&str; 6]>::try_from(parts) {
            Ok(parts) => ArnPattern::Parts(Box::new(parts.map(|p| Pattern::compile(p, syntax)))),
            Err(_) => ArnPattern::Whole(Pattern::compile(text, syntax)),
        }
    }

    fn matches(&self, arn: &str, ctx: &Context) -> bool {
        match self {
            ArnPattern::Whole(p) => p.matches(arn, ctx),
            ArnPattern::Parts(parts) => {
                let mut rest = arn;
                for (i, p) in parts.iter().enumerate() {
                    let piece = if i == 5 {
                        rest
                    } else {
                        match rest.split_once(':') {
                            Some((piece, tail)) => {
                                rest = tail;
                                piece
                            }
                            None => return false,
                        }
                    };
                    if !p.matches(piece, ctx) {
                        return false;
                    }
                }
                true
            }
        }
    }
}

impl CompiledCondition {
    /// Compiles one parsed condition of a policy with the given version, taking
    /// `assume` for a negated operator on a value that cannot be compared.
    pub fn compile(
        c: &Condition,
        version: Version,
        assume: NegatedIncomparable,
    ) -> CompiledCondition {
        let syntax = |wildcards, case_insensitive| Syntax {
            wildcards,
            variables: version.has_variables(),
            case_insensitive,
        };
        let texts = || {
            c.values.iter().filter_map(|v| match v {
                Value::Text(t) => Some(t.as_str()),
                _ => None,
            })
        };
        let values = match c.operator.test {
            Test::StringEquals => Values::Patterns(
                texts()
                    .map(|t| Pattern::compile(t, syntax(false, false)))
                    .collect(),
            ),
            Test::StringEqualsIgnoreCase => Values::Patterns(
                texts()
                    .map(|t| Pattern::compile(t, syntax(false, true)))
                    .collect(),
            ),
            Test::StringLike => Values::Patterns(
                texts()
                    .map(|t| Pattern::compile(t, syntax(true, false)))
                    .collect(),
            ),
            Test::ArnLike => Values::Arns(
                texts()
                    .map(|t| ArnPattern::compile(t, syntax(true, false)))
                    .collect(),
            ),
            Test::BinaryEquals => Values::Binary(texts().map(str::to_owned).collect()),
            Test::Numeric(_) => Values::Numbers(
                c.values
                    .iter()
                    .filter_map(|v| match v {
                        Value::Number(n) => Some(*n),
                        _ => None,
                    })
                    .collect(),
            ),
            Test::Date(_) => Values::Dates(
                c.values
                    .iter()
                    .filter_map(|v| match v {
                        Value::Date(d) => Some(*d),
                        _ => None,
                    })
                    .collect(),
            ),
            Test::Bool | Test::Null => Values::Bools(
                c.values
                    .iter()
                    .filter_map(|v| match v {
                        Value::Bool(b) => Some(*b),
                        _ => None,
                    })
                    .collect(),
            ),
            Test::IpAddress => Values::Nets(
                c.values
                    .iter()
                    .filter_map(|v| match v {
                        Value::Net(n) => Some(*n),
                        _ => None,
                    })
                    .collect(),
            ),
        };
        CompiledCondition {
            key: normalize_key(&c.key).into(),
            operator: c.operator.clone(),
            values,
            written: format!("{} on `{}`", c.operator_name, c.key).into(),
            unparsable: c
                .values
                .iter()
                .filter_map(|v| match v {
                    Value::Unparsable { text, .. } => Some(text.as_str().into()),
                    _ => None,
                })
                .collect(),
            assume,
        }
    }

    /// Whether the condition holds for `ctx`.
    pub fn holds(&self, ctx: &Context) -> bool {
        let present = ctx.get(&self.key).filter(|v| !v.is_empty());
        let op = &self.operator;
        if op.test == Test::Null {
            let absent = present.is_none();
            return match &self.values {
                Values::Bools(b) => b.contains(&absent),
                _ => false,
            };
        }
        let Some(values) = present else {
            return op.if_exists
                || match op.set {
                    SetQualifier::Single => op.negated,
                    SetQualifier::ForAnyValue => false,
                    SetQualifier::ForAllValues => true,
                };
        };
        if op.negated && self.assume == NegatedIncomparable::Fails {
            return self.holds_failing_incomparable(values, ctx);
        }
        let satisfies = |v: &String| self.any_policy_value_matches(v, ctx) != op.negated;
        match op.set {
            SetQualifier::Single => {
                values.iter().any(|v| self.any_policy_value_matches(v, ctx)) != op.negated
            }
            SetQualifier::ForAnyValue => values.iter().any(satisfies),
            SetQualifier::ForAllValues => values.iter().all(satisfies),
        }
    }

    /// A negated operator on present `values` under [`NegatedIncomparable::Fails`]: a
    /// context value that cannot be compared satisfies it in no case.
    #[cold]
    fn holds_failing_incomparable(&self, values: &[String], ctx: &Context) -> bool {
        // Unmatched and comparable; allocation-free, as the simulator's check must be.
        let satisfies = |v: &String| {
            !self.any_policy_value_matches(v, ctx) && self.incomparable(v, ctx).is_none()
        };
        match self.operator.set {
            SetQualifier::Single | SetQualifier::ForAllValues => values.iter().all(satisfies),
            SetQualifier::ForAnyValue => values.iter().any(satisfies),
        }
    }

    /// Why context value `v`, which no policy value matched, cannot be compared with this
    /// condition's policy values: it is not of the operator's type, a policy value did
    /// not parse, or a policy variable has no value.
    fn incomparable<'a>(&'a self, v: &str, ctx: &Context) -> Option<Incomparable<'a>> {
        let kind = match self.operator.test {
            Test::Numeric(_) if operator::parse_number(v).is_none() => Some("a number"),
            Test::Date(_) if operator::parse_date(v).is_none() => Some("a date"),
            Test::IpAddress if operator::parse_ip(v).is_none() => Some("an IP address"),
            Test::Bool if operator::parse_bool(v).is_none() => Some("`true` or `false`"),
            Test::ArnLike
                if v.splitn(6, ':').count() < 6
                    && matches!(&self.values, Values::Arns(ps) if ps.iter().any(|p| matches!(p, ArnPattern::Parts(_)))) =>
            {
                Some("an ARN")
            }
            _ => None,
        };
        if let Some(kind) = kind {
            return Some(Incomparable::Context(kind));
        }
        if let Some(text) = self.unparsable.first() {
            return Some(Incomparable::PolicyValue(text));
        }
        match &self.values {
            Values::Patterns(ps) => ps.iter().find_map(|p| p.unresolved(ctx)),
            Values::Arns(ps) => ps.iter().find_map(|p| match p {
                ArnPattern::Whole(p) => p.unresolved(ctx),
                ArnPattern::Parts(parts) => parts.iter().find_map(|p| p.unresolved(ctx)),
            }),
            _ => None,
        }
        .map(Incomparable::Variable)
    }

    /// When this condition's outcome in `ctx` rests on [`NegatedIncomparable`] (a
    /// negated operator on a value that cannot be compared), says why.
    pub fn assumption(&self, ctx: &Context) -> Option<String> {
        if !self.operator.negated || self.operator.test == Test::Null {
            return None;
        }
        let values = ctx.get(&self.key).filter(|v| !v.is_empty())?;
        let why = values.iter().find_map(|v| {
            if self.any_policy_value_matches(v, ctx) {
                return None;
            }
            Some(match self.incomparable(v, ctx)? {
                Incomparable::Context(kind) => format!("the context value `{v}` is not {kind}"),
                Incomparable::PolicyValue(text) => {
                    format!("the policy value `{text}` does not parse for the operator")
                }
                Incomparable::Variable(key) => {
                    format!("the policy variable `${{{key}}}` has no value")
                }
            })
        })?;
        Some(format!(
            "{}: {why}; taken to {} (assumption negated_incomparable = {}; AWS documents neither outcome)",
            self.written,
            match self.assume {
                NegatedIncomparable::Holds => "hold",
                NegatedIncomparable::Fails => "fail",
            },
            self.assume.as_str()
        ))
    }

    /// The positive test for one context value: does any policy value match it?
    fn any_policy_value_matches(&self, v: &str, ctx: &Context) -> bool {
        match (&self.values, self.operator.test) {
            (Values::Patterns(ps), _) => ps.iter().any(|p| p.matches(v, ctx)),
            (Values::Arns(ps), _) => ps.iter().any(|p| p.matches(v, ctx)),
            (Values::Binary(bs), _) => bs.iter().any(|b| b == v),
            (Values::Numbers(ns), Test::Numeric(cmp)) => {
                operator::parse_number(v).is_some_and(|x| ns.iter().any(|&n| cmp.holds(x, n)))
            }
            (Values::Dates(ds), Test::Date(cmp)) => {
                operator::parse_date(v).is_some_and(|x| ds.iter().any(|&d| cmp.holds(x, d)))
            }
            (Values::Bools(bs), _) => operator::parse_bool(v).is_some_and(|x| bs.contains(&x)),
            (Values::Nets(ns), _) => {
                operator::parse_ip(v).is_some_and(|ip| ns.iter().any(|n| n.contains(&ip)))
            }
            _ => false,
        }
    }
}
