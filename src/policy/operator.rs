//! Condition operators as IAM spells them (`StringLike`, `ForAllValues:NumericLessThanIfExists`,
//! ...) parsed into a small structured form, and the typed condition values each family
//! takes. Parsing happens while the document loads, so an unsupported operator or a value
//! of the wrong kind is a load-time error, never a silent true or false at evaluation.

use std::net::IpAddr;

use ipnet::IpNet;

/// The comparison a condition operator makes on one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Test {
    /// `StringEquals` (and `StringNotEquals` negated): exact, case-sensitive.
    StringEquals,
    /// `StringEqualsIgnoreCase` (and its negation).
    StringEqualsIgnoreCase,
    /// `StringLike` (and `StringNotLike`): `*` and `?` wildcards, case-sensitive.
    StringLike,
    /// `Numeric*` operators.
    Numeric(Cmp),
    /// `Date*` operators.
    Date(Cmp),
    /// `Bool`.
    Bool,
    /// `BinaryEquals`: compares the base64 text byte for byte.
    BinaryEquals,
    /// `IpAddress` (and `NotIpAddress`): the value lies in a CIDR range.
    IpAddress,
    /// `ArnEquals` / `ArnLike` (identical in IAM) and their negations: wildcards
    /// matched per colon-separated ARN component.
    ArnLike,
    /// `Null`: whether the key is absent.
    Null,
}

/// An ordering comparison, context value on the left: `NumericLessThan` means
/// `context < policy value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// `==`
    Eq,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Cmp {
    /// Applies the comparison to `context` (left) and `policy` (right).
    pub fn holds<T: PartialOrd>(self, context: T, policy: T) -> bool {
        match self {
            Cmp::Eq => context == policy,
            Cmp::Lt => context < policy,
            Cmp::Le => context <= policy,
            Cmp::Gt => context > policy,
            Cmp::Ge => context >= policy,
        }
    }
}

/// How a multivalued context key is combined (the `ForAnyValue:`/`ForAllValues:` prefixes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    /// No prefix: true when any context value matches any policy value.
    Single,
    /// `ForAnyValue:`: at least one context value satisfies the operator; false when the key is absent.
    ForAnyValue,
    /// `ForAllValues:`: every context value satisfies the operator; true when the key is absent or empty.
    ForAllValues,
}

/// A parsed condition operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// The comparison made for one value.
    pub test: Test,
    /// `Not` forms (`StringNotEquals`, `NotIpAddress`, `ArnNotLike`, ...).
    pub negated: bool,
    /// The `...IfExists` suffix: true when the key is absent.
    pub if_exists: bool,
    /// The set prefix.
    pub set: SetQualifier,
}

/// Every base operator name we accept, with its test and negation.
const BASE_OPERATORS: &[(&str, Test, bool)] = &[
    ("StringEquals", Test::StringEquals, false),
    ("StringNotEquals", Test::StringEquals, true),
    (
        "StringEqualsIgnoreCase",
        Test::StringEqualsIgnoreCase,
        false,
    ),
    (
        "StringNotEqualsIgnoreCase",
        Test::StringEqualsIgnoreCase,
        true,
    ),
    ("StringLike", Test::StringLike, false),
    ("StringNotLike", Test::StringLike, true),
    ("NumericEquals", Test::Numeric(Cmp::Eq), false),
    ("NumericNotEquals", Test::Numeric(Cmp::Eq), true),
    ("NumericLessThan", Test::Numeric(Cmp::Lt), false),
    ("NumericLessThanEquals", Test::Numeric(Cmp::Le), false),
    ("NumericGreaterThan", Test::Numeric(Cmp::Gt), false),
    ("NumericGreaterThanEquals", Test::Numeric(Cmp::Ge), false),
    ("DateEquals", Test::Date(Cmp::Eq), false),
    ("DateNotEquals", Test::Date(Cmp::Eq), true),
    ("DateLessThan", Test::Date(Cmp::Lt), false),
    ("DateLessThanEquals", Test::Date(Cmp::Le), false),
    ("DateGreaterThan", Test::Date(Cmp::Gt), false),
    ("DateGreaterThanEquals", Test::Date(Cmp::Ge), false),
    ("Bool", Test::Bool, false),
    ("BinaryEquals", Test::BinaryEquals, false),
    ("IpAddress", Test::IpAddress, false),
    ("NotIpAddress", Test::IpAddress, true),
    ("ArnEquals", Test::ArnLike, false),
    ("ArnLike", Test::ArnLike, false),
    ("ArnNotEquals", Test::ArnLike, true),
    ("ArnNotLike", Test::ArnLike, true),
    ("Null", Test::Null, false),
];

/// Why a condition operator's name is not supported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OperatorError {
    /// No such operator.
    #[error(
        "unsupported condition operator `{0}`; supported: the String*, Arn*, Numeric*, \
         Date*, Bool, BinaryEquals, IpAddress/NotIpAddress and Null operators, with an \
         optional `IfExists` suffix and `ForAnyValue:`/`ForAllValues:` prefix"
    )]
    Unsupported(String),
    /// `Null` with `IfExists` or a set prefix.
    #[error(
        "unsupported condition operator `{0}`: `Null` takes neither `IfExists` nor a set prefix"
    )]
    QualifiedNull(String),
}

impl Operator {
    /// Parses an operator name as written in a policy, or says why it is not supported.
    ///
    /// ```
    /// use cachegate::policy::operator::Operator;
    ///
    /// assert!(Operator::parse("ForAnyValue:StringLikeIfExists").is_ok());
    /// assert!(Operator::parse("NullIfExists").is_err());
    /// ```
    pub fn parse(name: &str) -> Result<Operator, OperatorError> {
        let (set, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (SetQualifier::ForAnyValue, rest)
        } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (SetQualifier::ForAllValues, rest)
        } else {
            (SetQualifier::Single, name)
        };
        let (base, if_exists) = match rest.strip_suffix("IfExists") {
            Some(base) => (base, true),
            None => (rest, false),
        };
        let Some(&(_, test, negated)) = BASE_OPERATORS.iter().find(|(n, _, _)| *n == base) else {
            return Err(OperatorError::Unsupported(name.to_owned()));
        };
        if test == Test::Null && (if_exists || set != SetQualifier::Single) {
            return Err(OperatorError::QualifiedNull(name.to_owned()));
        }
        Ok(Operator {
            test,
            negated,
            if_exists,
            set,
        })
    }

    /// Parses one policy value for this operator (already turned into text).
    pub fn parse_value(&self, text: &str) -> Result<Value, String> {
        match self.test {
            Test::StringEquals
            | Test::StringEqualsIgnoreCase
            | Test::StringLike
            | Test::BinaryEquals
            | Test::ArnLike => Ok(Value::Text(text.to_owned())),
            Test::Numeric(_) => parse_number(text)
                .map(Value::Number)
                .ok_or_else(|| format!("expected a number, got `{text}`")),
            Test::Date(_) => parse_date(text).map(Value::Date).ok_or_else(|| {
                format!(
                    "expected an ISO 8601 date such as `2026-01-31T12:00:00Z` or epoch seconds, got `{text}`"
                )
            }),
            Test::Bool | Test::Null => parse_bool(text)
                .map(Value::Bool)
                .ok_or_else(|| format!("expected `true` or `false`, got `{text}`")),
            Test::IpAddress => parse_net(text)
                .map(Value::Net)
                .ok_or_else(|| format!("expected an IP address or CIDR range such as `203.0.113.0/24`, got `{text}`")),
        }
    }
}

/// One typed policy value of a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// String, ARN and binary operators.
    Text(String),
    /// Numeric operators.
    Number(f64),
    /// Date operators: nanoseconds since the Unix epoch.
    Date(i128),
    /// `Bool` and `Null`.
    Bool(bool),
    /// `IpAddress` / `NotIpAddress`.
    Net(IpNet),
    /// A value that does not parse for its operator (`NumericEquals` with `abc`, a date
    /// that is not a date, a malformed CIDR range, a variable in `Bool`). IAM stores such
    /// a policy (IAM Access Analyzer reports it as an error finding: that part of the
    /// policy is not functional), so it is kept and matches nothing.
    Unparsable {
        /// The value as written.
        text: String,
        /// What the operator expected.
        why: String,
    },
}

/// What a negated condition operator (`StringNotEquals`, `NumericNotEquals`,
/// `ArnNotLike`, `NotIpAddress`, ...) comes to when a value cannot be compared: a policy
/// variable without a value (and no default), a context value that is not a number,
/// date, IP address, boolean or ARN as the operator needs, or a policy value that does
/// not parse. AWS documents neither outcome; cachegate takes one, named in reports and
/// by `policy eval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NegatedIncomparable {
    /// The negated operator is the negation of its positive form: nothing matched, so it
    /// holds.
    #[default]
    Holds,
    /// A comparison that cannot be made does not hold either way: the negated operator
    /// fails (as some IAM simulators evaluate it).
    Fails,
}

impl NegatedIncomparable {
    /// Its name in scenario files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            NegatedIncomparable::Holds => "holds",
            NegatedIncomparable::Fails => "fails",
        }
    }

    /// Parses `holds` or `fails`.
    pub fn parse(text: &str) -> Result<NegatedIncomparable, String> {
        match text {
            "holds" => Ok(NegatedIncomparable::Holds),
            "fails" => Ok(NegatedIncomparable::Fails),
            other => Err(format!("expected `holds` or `fails`, got `{other}`")),
        }
    }
}

/// Parses a number as IAM's numeric operators take it (integer or decimal).
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let text = text.trim();
    // Rust accepts "inf" and "NaN"; IAM numbers are plain decimals.
    if text.is_empty()
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
    {
        return None;
    }
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Parses `true`/`false`, case-insensitively, as IAM's `Bool` operator does.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Parses an IP address or CIDR range; a bare address is a /32 (or /128) range.
pub(crate) fn parse_net(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

/// Parses a context IP address.
pub(crate) fn parse_ip(text: &str) -> Option<IpAddr> {
    text.trim().parse().ok()
}

/// Parses a date as IAM's date operators take it: epoch seconds (possibly fractional), or
/// one of the W3C profiles of ISO 8601 (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`, and date-times with
/// `Z` or an offset). A date-time with no offset is taken as UTC. Returns nanoseconds since
/// the Unix epoch.
pub(crate) fn parse_date(text: &str) -> Option<i128> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) && text.len() != 4 {
        return text
            .parse::<i64>()
            .ok()
            .map(|s| i128::from(s) * 1_000_000_000);
    }
    if let Some((whole, frac)) = text.split_once('.') {
        if !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && !frac.is_empty()
            && frac.bytes().all(|b| b.is_ascii_digit())
        {
            let secs: f64 = text.parse().ok()?;
            return Some((secs * 1e9) as i128);
        }
    }
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Some(ts.as_nanosecond());
    }
    if text.contains('T') {
        let dt: jiff::civil::DateTime = text.parse().ok()?;
        return utc_nanos(dt);
    }
    let padded = match text.len() {
        4 => format!("{text}-01-01"),
        7 => format!("{text}-01"),
        _ => text.to_owned(),
    };
    let date: jiff::civil::Date = padded.parse().ok()?;
    utc_nanos(date.to_datetime(jiff::civil::Time::midnight()))
}

fn utc_nanos(dt: jiff::civil::DateTime) -> Option<i128> {
    jiff::tz::Offset::UTC
        .to_timestamp(dt)
        .ok()
        .map(|t| t.as_nanosecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names_parse_into_parts() {
        let op = Operator::parse("ForAllValues:StringNotLikeIfExists").unwrap();
        assert_eq!(
            op,
            Operator {
                test: Test::StringLike,
                negated: true,
                if_exists: true,
                set: SetQualifier::ForAllValues
            }
        );
        assert_eq!(
            Operator::parse("NotIpAddress").unwrap().test,
            Test::IpAddress
        );
        assert!(Operator::parse("NotIpAddress").unwrap().negated);
        assert!(Operator::parse("StringLikeX").is_err());
        assert!(Operator::parse("stringequals").is_err());
        assert!(Operator::parse("NullIfExists").is_err());
        assert!(Operator::parse("ForAnyValue:Null").is_err());
    }

    #[test]
    fn values_are_typed_by_operator() {
        let num = Operator::parse("NumericLessThan").unwrap();
        assert_eq!(num.parse_value("10.5"), Ok(Value::Number(10.5)));
        assert!(num.parse_value("ten").is_err());
        assert!(num.parse_value("NaN").is_err());
        let ip = Operator::parse("IpAddress").unwrap();
        assert!(ip.parse_value("203.0.113.0/24").is_ok());
        assert!(ip.parse_value("2001:db8::/32").is_ok());
        assert!(ip.parse_value("203.0.113.7").is_ok());
        assert!(ip.parse_value("not-an-ip").is_err());
        let b = Operator::parse("Bool").unwrap();
        assert_eq!(b.parse_value("TRUE"), Ok(Value::Bool(true)));
        assert!(b.parse_value("yes").is_err());
    }

    #[test]
    fn dates_accept_w3c_profiles_and_epoch() {
        let day = 86_400 * 1_000_000_000i128;
        assert_eq!(parse_date("1970-01-02"), Some(day));
        assert_eq!(parse_date("1970-01-02T00:00:00Z"), Some(day));
        assert_eq!(parse_date("1970-01-02T01:00:00+01:00"), Some(day));
        assert_eq!(parse_date("1970-01-02T00:00:00"), Some(day));
        assert_eq!(parse_date("86400"), Some(day));
        assert_eq!(parse_date("1970"), Some(0));
        assert_eq!(parse_date("1970-02"), Some(31 * day));
        assert_eq!(parse_date("1.5"), Some(1_500_000_000));
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date("2020-13-01"), None);
    }
}
