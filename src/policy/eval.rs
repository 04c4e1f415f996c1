//! The compiled policy set and its evaluation: explicit Deny beats any Allow, an Allow is
//! needed, otherwise the request is implicitly denied (IAM user guide, "Policy evaluation
//! logic"). Statements are compiled once and kept as two lists, denies then allows, so a
//! decision stops at the first matching deny, or at the first matching allow when no deny
//! matches; both lists keep document order, so the deciding statement is always the first
//! one in (policy, statement) order. [`PolicySet::for_action`] pre-filters statements by
//! action for the per-request hot path, where the action is always the same.

use std::fmt;
use std::path::Path;

use serde::Serialize;

use super::condition::CompiledCondition;
use super::context::Context;
use super::document::{Effect, PolicyDocument, Statement, Targets, Version};
use super::error::PolicyError;
use super::operator::NegatedIncomparable;
use super::pattern::{Pattern, Syntax};

/// The outcome of evaluating a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// An Allow statement applies and no Deny does.
    Allow,
    /// A Deny statement applies.
    ExplicitDeny,
    /// No statement applies.
    ImplicitDeny,
}

impl Decision {
    /// Whether the request is allowed.
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Decision::Allow => "allow",
            Decision::ExplicitDeny => "explicit deny",
            Decision::ImplicitDeny => "implicit deny",
        })
    }
}

/// Which statement of which policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementRef {
    /// The policy's name (its file path when loaded from a file).
    pub policy: String,
    /// The statement's 0-based index in the policy.
    pub index: usize,
    /// The statement's `Sid`, if any.
    pub sid: Option<String>,
    /// The statement's effect.
    pub effect: Effect,
}

impl fmt::Display for StatementRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} Statement[{}]", self.policy, self.index)?;
        if let Some(sid) = &self.sid {
            write!(f, " (Sid {sid})")?;
        }
        Ok(())
    }
}

/// A decision with the statements behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The decision.
    pub decision: Decision,
    /// The statement that decided it: the first matching Deny, or else the first
    /// matching Allow; `None` for an implicit deny.
    pub deciding: Option<StatementRef>,
    /// Every statement that applies to the request, in (policy, statement) order.
    pub matched: Vec<StatementRef>,
    /// Where the decision rests on an assumption AWS does not document: each condition
    /// of a statement naming the action and resource whose outcome does, and why.
    pub assumptions: Vec<String>,
}

#[derive(Debug, Clone)]
struct TargetMatcher {
    negated: bool,
    patterns: Box<[Pattern]>,
}

impl TargetMatcher {
    fn compile(t: &Targets, syntax: Syntax) -> TargetMatcher {
        TargetMatcher {
            negated: t.negated,
            patterns: t
                .patterns
                .iter()
                .map(|p| Pattern::compile(p, syntax))
                .collect(),
        }
    }

    #[inline]
    fn matches(&self, s: &str, ctx: &Context) -> bool {
        self.patterns.iter().any(|p| p.matches(s, ctx)) != self.negated
    }
}

#[derive(Debug, Clone)]
struct CompiledStatement {
    /// Index into `PolicySet::refs`.
    origin: usize,
    action: TargetMatcher,
    resource: TargetMatcher,
    conditions: Box<[CompiledCondition]>,
}

impl CompiledStatement {
    fn compile(
        s: &Statement,
        version: Version,
        origin: usize,
        assume: NegatedIncomparable,
    ) -> CompiledStatement {
        let action = Syntax {
            wildcards: true,
            // IAM does not substitute policy variables in `Action`.
            variables: false,
            case_insensitive: true,
        };
        let resource = Syntax {
            wildcards: true,
            variables: version.has_variables(),
            case_insensitive: false,
        };
        CompiledStatement {
            origin,
            action: TargetMatcher::compile(&s.action, action),
            resource: TargetMatcher::compile(&s.resource, resource),
            conditions: s
                .conditions
                .iter()
                .map(|c| CompiledCondition::compile(c, version, assume))
                .collect(),
        }
    }

    #[inline]
    fn applies_to_resource(&self, resource: &str, ctx: &Context) -> bool {
        self.resource.matches(resource, ctx) && self.conditions.iter().all(|c| c.holds(ctx))
    }
}

/// The identity policies a principal holds, compiled for evaluation.
///
/// ```
/// use cachegate::policy::{Context, Decision, PolicyDocument, PolicySet};
///
/// let doc = PolicyDocument::parse("ops.json", br#"{
///   "Version": "2012-10-17",
///   "Statement": [
///     {"Effect": "Allow", "Action": "execute-api:InvalidateCache",
///      "Resource": "arn:aws:execute-api:*:*:*/prod/GET/pets/*"},
///     {"Effect": "Deny", "Action": "execute-api:InvalidateCache",
///      "Resource": "arn:aws:execute-api:*:*:*/prod/GET/pets/42"}
///   ]
/// }"#).unwrap();
/// let mut set = PolicySet::new();
/// set.add("ops.json", &doc);
/// let arn = |pet| format!("arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets/{pet}");
/// let action = "execute-api:InvalidateCache";
/// assert_eq!(set.decide(action, &arn(7), &Context::new()), Decision::Allow);
/// // An explicit Deny beats any Allow.
/// let why = set.explain(action, &arn(42), &Context::new());
/// assert_eq!(why.decision, Decision::ExplicitDeny);
/// ```
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    refs: Vec<StatementRef>,
    denies: Vec<CompiledStatement>,
    allows: Vec<CompiledStatement>,
    assume: NegatedIncomparable,
}

impl PolicySet {
    /// A set with no policies: every request is implicitly denied.
    pub fn new() -> PolicySet {
        PolicySet::default()
    }

    /// The same set, whose policies added from now on take `assume` for a negated
    /// condition operator on a value that cannot be compared.
    #[must_use]
    pub fn assuming(mut self, assume: NegatedIncomparable) -> PolicySet {
        self.assume = assume;
        self
    }

    /// Loads and compiles each file in order.
    pub fn load<P: AsRef<Path>>(paths: &[P]) -> Result<PolicySet, PolicyError> {
        let mut set = PolicySet::new();
        for path in paths {
            let path = path.as_ref();
            let doc = PolicyDocument::load(path)?;
            set.add(&path.display().to_string(), &doc);
        }
        Ok(set)
    }

    /// Adds a policy named `name`.
    pub fn add(&mut self, name: &str, doc: &PolicyDocument) {
        for (index, s) in doc.statements.iter().enumerate() {
            let origin = self.refs.len();
            self.refs.push(StatementRef {
                policy: name.to_owned(),
                index,
                sid: s.sid.clone(),
                effect: s.effect,
            });
            let compiled = CompiledStatement::compile(s, doc.version, origin, self.assume);
            match s.effect {
                Effect::Deny => self.denies.push(compiled),
                Effect::Allow => self.allows.push(compiled),
            }
        }
    }

    /// Number of statements across all policies.
    pub fn statement_count(&self) -> usize {
        self.refs.len()
    }

    /// Decides whether `action` on `resource` is allowed in `ctx`. Allocation-free.
    pub fn decide(&self, action: &str, resource: &str, ctx: &Context) -> Decision {
        let applies = |s: &&CompiledStatement| {
            s.action.matches(action, ctx) && s.applies_to_resource(resource, ctx)
        };
        if self.denies.iter().any(|s| applies(&s)) {
            Decision::ExplicitDeny
        } else if self.allows.iter().any(|s| applies(&s)) {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        }
    }

    /// Decides as [`PolicySet::decide`] does and says which statements applied.
    pub fn explain(&self, action: &str, resource: &str, ctx: &Context) -> Explanation {
        let mut hits: Vec<usize> = self
            .denies
            .iter()
            .chain(&self.allows)
            .filter(|s| s.action.matches(action, ctx) && s.applies_to_resource(resource, ctx))
            .map(|s| s.origin)
            .collect();
        hits.sort_unstable();
        let matched: Vec<StatementRef> = hits.iter().map(|&i| self.refs[i].clone()).collect();
        let first = |e: Effect| matched.iter().find(|r| r.effect == e).cloned();
        let (decision, deciding) = match first(Effect::Deny) {
            Some(d) => (Decision::ExplicitDeny, Some(d)),
            None => match first(Effect::Allow) {
                Some(a) => (Decision::Allow, Some(a)),
                None => (Decision::ImplicitDeny, None),
            },
        };
        let mut assumptions = Vec::new();
        for s in self.denies.iter().chain(&self.allows) {
            if s.action.matches(action, ctx) && s.resource.matches(resource, ctx) {
                for note in s.conditions.iter().filter_map(|c| c.assumption(ctx)) {
                    assumptions.push((s.origin, format!("{}: {note}", self.refs[s.origin])));
                }
            }
        }
        assumptions.sort();
        Explanation {
            decision,
            deciding,
            matched,
            assumptions: assumptions.into_iter().map(|(_, a)| a).collect(),
        }
    }

    /// The statements that can apply to `action`, for deciding many requests for the
    /// same action (the gateway's `execute-api:InvalidateCache` check).
    pub fn for_action(&self, action: &str) -> ActionPolicy {
        // Actions take no policy variables, so an empty context decides them.
        let empty = Context::new();
        let keep = |v: &[CompiledStatement]| -> Box<[CompiledStatement]> {
            v.iter()
                .filter(|s| s.action.matches(action, &empty))
                .cloned()
                .collect()
        };
        ActionPolicy {
            denies: keep(&self.denies),
            allows: keep(&self.allows),
        }
    }
}

/// A [`PolicySet`] narrowed to one action: decides a resource in a context.
#[derive(Debug, Clone, Default)]
pub struct ActionPolicy {
    denies: Box<[CompiledStatement]>,
    allows: Box<[CompiledStatement]>,
}

impl ActionPolicy {
    /// Decides `resource` in `ctx` for the action this policy was narrowed to.
    /// Allocation-free; equal to `PolicySet::decide` with that action.
    #[inline]
    pub fn decide(&self, resource: &str, ctx: &Context) -> Decision {
        if self
            .denies
            .iter()
            .any(|s| s.applies_to_resource(resource, ctx))
        {
            Decision::ExplicitDeny
        } else if self
            .allows
            .iter()
            .any(|s| s.applies_to_resource(resource, ctx))
        {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        }
    }

    /// Whether no statement can ever allow the action (a principal without the grant).
    pub fn never_allows(&self) -> bool {
        self.allows.is_empty()
    }
}
