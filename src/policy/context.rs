//! The request context a policy is evaluated against: condition keys (compared
//! case-insensitively, as IAM does) each with one or more values. The caller supplies it;
//! cachegate adds nothing implicitly, so a run stays a pure function of its inputs.

/// Condition keys and their values for one request.
///
/// Keys are stored lowercased; lookups take a lowercased key (see [`normalize_key`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    entries: Vec<(Box<str>, Vec<String>)>,
}

/// The form condition keys are compared in: IAM condition key names are case-insensitive.
pub fn normalize_key(key: &str) -> String {
    key.to_lowercase()
}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// Adds `value` to `key` (a key given twice becomes multivalued).
    pub fn insert(&mut self, key: &str, value: impl Into<String>) {
        let key = normalize_key(key);
        match self
            .entries
            .binary_search_by(|(k, _)| (**k).cmp(key.as_str()))
        {
            Ok(i) => self.entries[i].1.push(value.into()),
            Err(i) => self
                .entries
                .insert(i, (key.into_boxed_str(), vec![value.into()])),
        }
    }

    /// Builder form of [`Context::insert`].
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Context {
        self.insert(key, value);
        self
    }

    /// The values of a key given in lowercase, or `None` when it is absent.
    pub fn get(&self, normalized_key: &str) -> Option<&[String]> {
        if self.entries.is_empty() {
            return None;
        }
        self.entries
            .binary_search_by(|(k, _)| (**k).cmp(normalized_key))
            .ok()
            .map(|i| self.entries[i].1.as_slice())
    }

    /// The value a `${key}` policy variable takes: the key's value when it has exactly one.
    pub fn variable(&self, normalized_key: &str) -> Option<&str> {
        match self.get(normalized_key) {
            Some([one]) => Some(one),
            _ => None,
        }
    }

    /// Whether the context has no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every key (lowercased) and its values, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.entries.iter().map(|(k, v)| (&**k, v.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive_and_repeat_into_values() {
        let ctx = Context::new()
            .with("aws:SourceIp", "203.0.113.5")
            .with("AWS:PrincipalTag/Team", "ops")
            .with("aws:principaltag/team", "dev");
        assert_eq!(
            ctx.get("aws:sourceip"),
            Some(&["203.0.113.5".to_owned()][..])
        );
        assert_eq!(
            ctx.get("aws:principaltag/team").map(<[String]>::len),
            Some(2)
        );
        assert_eq!(ctx.variable("aws:principaltag/team"), None);
        assert_eq!(ctx.variable("aws:sourceip"), Some("203.0.113.5"));
        assert_eq!(ctx.get("aws:username"), None);
    }
}
