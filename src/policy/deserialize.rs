//! How a policy document is read: hand-written serde visitors, so every rule AWS enforces
//! (exactly one of each pair, no doubled element, known effects and operators, typed
//! condition values) fails at load time with the element's place, which
//! `serde_path_to_error` and serde_json turn into a line, column and element path.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::document::{Condition, Effect, PolicyDocument, Statement, Targets, Version};
use super::operator::{Operator, Value};

impl<'de> de::Deserialize<'de> for PolicyDocument {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(DocumentVisitor)
    }
}

struct DocumentVisitor;

impl<'de> Visitor<'de> for DocumentVisitor {
    type Value = PolicyDocument;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a policy document object with a `Statement` element")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PolicyDocument, A::Error> {
        let mut version = None;
        let mut id = None;
        let mut statements: Option<Vec<Statement>> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "Version" => {
                    once(&version, "Version")?;
                    version = Some(map.next_value::<VersionText>()?.0);
                }
                "Id" => {
                    once(&id, "Id")?;
                    id = Some(map.next_value::<String>()?);
                }
                "Statement" => {
                    once(&statements, "Statement")?;
                    statements = Some(map.next_value::<Statements>()?.0);
                }
                other => {
                    return Err(de::Error::custom(format_args!(
                        "unknown element `{other}`; a policy has `Version`, `Id` and `Statement`"
                    )));
                }
            }
        }
        let statements = statements.ok_or_else(|| {
            de::Error::custom("missing element `Statement`; a policy needs at least one statement")
        })?;
        if statements.is_empty() {
            return Err(de::Error::custom(
                "`Statement` is empty; a policy needs at least one statement",
            ));
        }
        let mut sids: Vec<&str> = statements.iter().filter_map(|s| s.sid.as_deref()).collect();
        sids.sort_unstable();
        if let Some(w) = sids.windows(2).find(|w| w[0] == w[1]) {
            return Err(de::Error::custom(format_args!(
                "duplicate `Sid` `{}`; each statement's Sid must be unique within the policy",
                w[0]
            )));
        }
        Ok(PolicyDocument {
            version: version.unwrap_or(Version::V2008_10_17),
            id,
            statements,
        })
    }
}

/// Errors with "duplicate element" when `slot` is already filled.
fn once<T, E: de::Error>(slot: &Option<T>, name: &str) -> Result<(), E> {
    match slot {
        Some(_) => Err(E::custom(format_args!("duplicate element `{name}`"))),
        None => Ok(()),
    }
}

struct VersionText(Version);

impl<'de> de::Deserialize<'de> for VersionText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        match text.as_str() {
            "2012-10-17" => Ok(VersionText(Version::V2012_10_17)),
            "2008-10-17" => Ok(VersionText(Version::V2008_10_17)),
            other => Err(de::Error::custom(format_args!(
                "unknown version `{other}`, expected `2012-10-17` or `2008-10-17`"
            ))),
        }
    }
}

struct Statements(Vec<Statement>);

impl<'de> de::Deserialize<'de> for Statements {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StatementsVisitor)
    }
}

struct StatementsVisitor;

impl<'de> Visitor<'de> for StatementsVisitor {
    type Value = Statements;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a statement object or an array of statements")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Statements, A::Error> {
        StatementVisitor.visit_map(map).map(|s| Statements(vec![s]))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Statements, A::Error> {
        let mut out = Vec::new();
        while let Some(s) = seq.next_element::<Statement>()? {
            out.push(s);
        }
        Ok(Statements(out))
    }
}

impl<'de> de::Deserialize<'de> for Statement {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(StatementVisitor)
    }
}

struct StatementVisitor;

impl<'de> Visitor<'de> for StatementVisitor {
    type Value = Statement;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a statement object with `Effect`, `Action` and `Resource`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Statement, A::Error> {
        let mut sid: Option<String> = None;
        let mut effect = None;
        let mut action: Option<Targets> = None;
        let mut resource: Option<Targets> = None;
        let mut conditions: Option<Vec<Condition>> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "Sid" => {
                    once(&sid, "Sid")?;
                    let text = map.next_value::<String>()?;
                    if !text.chars().all(|c| c.is_ascii_alphanumeric()) {
                        return Err(de::Error::custom(format_args!(
                            "invalid `Sid` `{text}`: IAM allows only ASCII letters and digits"
                        )));
                    }
                    sid = Some(text);
                }
                "Effect" => {
                    once(&effect, "Effect")?;
                    effect = Some(map.next_value::<EffectText>()?.0);
                }
                "Action" | "NotAction" => {
                    pair_once(&action, &key, "Action")?;
                    let patterns = map.next_value_seed(PatternsSeed(check_action))?;
                    action = Some(Targets {
                        negated: key == "NotAction",
                        patterns,
                    });
                }
                "Resource" | "NotResource" => {
                    pair_once(&resource, &key, "Resource")?;
                    let patterns = map.next_value_seed(PatternsSeed(check_resource))?;
                    resource = Some(Targets {
                        negated: key == "NotResource",
                        patterns,
                    });
                }
                "Condition" => {
                    once(&conditions, "Condition")?;
                    conditions = Some(map.next_value::<Conditions>()?.0);
                }
                "Principal" | "NotPrincipal" => {
                    return Err(de::Error::custom(format_args!(
                        "`{key}` is not allowed in an identity-based policy; the principal is \
                         the identity the policy is attached to"
                    )));
                }
                other => {
                    return Err(de::Error::custom(format_args!(
                        "unknown element `{other}`; a statement has `Sid`, `Effect`, \
                         `Action`/`NotAction`, `Resource`/`NotResource` and `Condition`"
                    )));
                }
            }
        }
        let effect = effect.ok_or_else(|| {
            de::Error::custom("missing element `Effect`; expected `\"Allow\"` or `\"Deny\"`")
        })?;
        let action = action.ok_or_else(|| {
            de::Error::custom("missing element `Action`; a statement needs `Action` or `NotAction`")
        })?;
        let resource = resource.ok_or_else(|| {
            de::Error::custom(
                "missing element `Resource`; a statement needs `Resource` or `NotResource`",
            )
        })?;
        Ok(Statement {
            sid,
            effect,
            action,
            resource,
            conditions: conditions.unwrap_or_default(),
        })
    }
}

/// `Action` and `NotAction` (likewise the resource pair) exclude each other and may each
/// appear once.
fn pair_once<E: de::Error>(slot: &Option<Targets>, key: &str, positive: &str) -> Result<(), E> {
    match slot {
        None => Ok(()),
        Some(t) => {
            let seen = if t.negated {
                format!("Not{positive}")
            } else {
                positive.to_owned()
            };
            if seen == key {
                Err(E::custom(format_args!("duplicate element `{key}`")))
            } else {
                Err(E::custom(format_args!(
                    "a statement has either `{positive}` or `Not{positive}`, not both"
                )))
            }
        }
    }
}

/// An action is `*` or `service:action` (wildcards allowed in the action part).
fn check_action(p: &str) -> Result<(), String> {
    match p.split_once(':') {
        _ if p == "*" => Ok(()),
        Some((service, name))
            if !service.is_empty()
                && !name.is_empty()
                && service
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            Ok(())
        }
        _ => Err(format!(
            "invalid action `{p}`: expected `*` or `service:action`, e.g. `execute-api:InvalidateCache`"
        )),
    }
}

/// A resource is `*` or an ARN: at least `arn:partition:service:`, the rest may be
/// wildcards (a trailing `*` may span the remaining `:`-separated components).
fn check_resource(p: &str) -> Result<(), String> {
    if p == "*" || (p.starts_with("arn:") && p.matches(':').count() >= 3) {
        Ok(())
    } else {
        Err(format!(
            "invalid resource `{p}`: expected `*` or an ARN such as \
             `arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets/*`"
        ))
    }
}

struct EffectText(Effect);

impl<'de> de::Deserialize<'de> for EffectText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        match text.as_str() {
            "Allow" => Ok(EffectText(Effect::Allow)),
            "Deny" => Ok(EffectText(Effect::Deny)),
            other => Err(de::Error::custom(format_args!(
                "unknown effect `{other}`, expected `Allow` or `Deny`"
            ))),
        }
    }
}

/// A string or a non-empty array of strings, each checked by the function (so an error
/// points at the offending element, e.g. `Statement[0].Action[1]`).
#[derive(Clone, Copy)]
struct PatternsSeed(fn(&str) -> Result<(), String>);

impl<'de> DeserializeSeed<'de> for PatternsSeed {
    type Value = Vec<String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PatternsSeed {
    type Value = Vec<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string or an array of strings")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<String>, E> {
        (self.0)(v).map_err(E::custom)?;
        Ok(vec![v.to_owned()])
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
        let mut out = Vec::new();
        while let Some(s) = seq.next_element_seed(PatternSeed(self.0))? {
            out.push(s);
        }
        if out.is_empty() {
            return Err(de::Error::custom(
                "the array is empty; expected at least one string",
            ));
        }
        Ok(out)
    }
}

/// One string of a `PatternsSeed` array.
struct PatternSeed(fn(&str) -> Result<(), String>);

impl<'de> DeserializeSeed<'de> for PatternSeed {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        let text = <String as de::Deserialize>::deserialize(d)?;
        (self.0)(&text).map_err(de::Error::custom)?;
        Ok(text)
    }
}

/// The `Condition` block: `{ operator: { key: value-or-values } }`.
struct Conditions(Vec<Condition>);

impl<'de> de::Deserialize<'de> for Conditions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ConditionsVisitor)
    }
}

struct ConditionsVisitor;

impl<'de> Visitor<'de> for ConditionsVisitor {
    type Value = Conditions;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a condition object such as {\"StringEquals\": {\"aws:SourceVpce\": \"vpce-1a2b3c4d\"}}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Conditions, A::Error> {
        let mut out = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            if seen.contains(&name) {
                return Err(de::Error::custom(format_args!(
                    "duplicate operator `{name}`"
                )));
            }
            let operator = Operator::parse(&name).map_err(de::Error::custom)?;
            let keyed = map.next_value_seed(KeyedValuesSeed(&operator))?;
            if keyed.is_empty() {
                return Err(de::Error::custom(format_args!(
                    "operator `{name}` has no condition keys"
                )));
            }
            for (key, values) in keyed {
                out.push(Condition {
                    operator_name: name.clone(),
                    operator: operator.clone(),
                    key,
                    values,
                });
            }
            seen.push(name);
        }
        Ok(Conditions(out))
    }
}

struct KeyedValuesSeed<'a>(&'a Operator);

impl<'de> DeserializeSeed<'de> for KeyedValuesSeed<'_> {
    type Value = Vec<(String, Vec<Value>)>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for KeyedValuesSeed<'_> {
    type Value = Vec<(String, Vec<Value>)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object mapping condition keys to a value or an array of values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out: Vec<(String, Vec<Value>)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.iter().any(|(k, _)| k.eq_ignore_ascii_case(&key)) {
                return Err(de::Error::custom(format_args!(
                    "duplicate condition key `{key}` (keys are case-insensitive)"
                )));
            }
            let values = map.next_value_seed(ValuesSeed(self.0))?;
            out.push((key, values));
        }
        Ok(out)
    }
}

struct ValuesSeed<'a>(&'a Operator);

impl<'de> DeserializeSeed<'de> for ValuesSeed<'_> {
    type Value = Vec<Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl ValuesSeed<'_> {
    fn one<E: de::Error>(&self, text: &str) -> Result<Vec<Value>, E> {
        // A value that does not parse is kept (see `Value::Unparsable`).
        Ok(vec![self.0.parse_value(text).unwrap_or_else(|why| {
            Value::Unparsable {
                text: text.to_owned(),
                why,
            }
        })])
    }
}

impl<'de> Visitor<'de> for ValuesSeed<'_> {
    type Value = Vec<Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string, number or boolean, or an array of them")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        self.one(v)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        self.one(if v { "true" } else { "false" })
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.one(&v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.one(&v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        self.one(&v.to_string())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(mut one) = seq.next_element_seed(ScalarSeed(self.0))? {
            out.append(&mut one);
        }
        if out.is_empty() {
            return Err(de::Error::custom(
                "the array is empty; expected at least one value",
            ));
        }
        Ok(out)
    }
}

/// One array element of condition values: a scalar, never a nested array.
struct ScalarSeed<'a>(&'a Operator);

impl<'de> DeserializeSeed<'de> for ScalarSeed<'_> {
    type Value = Vec<Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ScalarSeed<'_> {
    type Value = Vec<Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string, number or boolean")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        ValuesSeed(self.0).visit_str(v)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        ValuesSeed(self.0).visit_bool(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        ValuesSeed(self.0).visit_i64(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        ValuesSeed(self.0).visit_u64(v)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        ValuesSeed(self.0).visit_f64(v)
    }
}
