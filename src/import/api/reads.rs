//! Which request parameters an integration reads: every one for a proxy integration
//! (`AWS_PROXY`, `HTTP_PROXY`: the backend gets the whole request); otherwise those its
//! `requestParameters` map from (`integration.request.querystring.x` <-
//! `method.request.querystring.y` reads `y`) and those its mapping templates name
//! (`$input.params('y')`, or a whole location with `$input.params().querystring`, or
//! everything with `$input.params()`).

use std::collections::BTreeSet;

use serde_json::Value;

use super::ParamIn;

/// What an integration reads of the method request's parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reads {
    /// Every parameter (a proxy integration, or a template reading all of them).
    pub all: bool,
    /// Every parameter of these locations.
    pub all_in: BTreeSet<ParamIn>,
    /// These parameters, by location.
    pub named: BTreeSet<(ParamIn, String)>,
    /// These names, in whatever location (`$input.params('name')` looks in all three).
    pub any_location: BTreeSet<String>,
    /// Why, for the printed comment: e.g. "an AWS_PROXY integration reads every
    /// parameter".
    pub why: Option<String>,
}

impl Reads {
    /// Whether the parameter `name` in `location` is read.
    pub fn reads(&self, location: ParamIn, name: &str) -> bool {
        self.all
            || self.all_in.contains(&location)
            || self.named.contains(&(location, name.to_owned()))
            || self.any_location.contains(name)
    }

    /// What the integration of `kind` (its `type`, any case) with `request_parameters`
    /// and `request_templates` (as the file gives them, if at all) reads. Problems
    /// (with field paths under `at`) are added to `problems`.
    pub fn of(
        kind: Option<&str>,
        request_parameters: Option<&Value>,
        request_templates: Option<&Value>,
        at: &str,
        problems: &mut Vec<(String, String)>,
    ) -> Reads {
        let mut reads = Reads::default();
        let Some(kind) = kind else {
            // No integration in the file (an export without API Gateway's extensions):
            // nothing says what the backend reads, so every parameter is taken to
            // matter, as the scenario's default does.
            reads.all = true;
            reads.why = Some("no integration in the file: every parameter taken as read".into());
            return reads;
        };
        let kind = kind.to_ascii_uppercase();
        if kind == "AWS_PROXY" || kind == "HTTP_PROXY" {
            reads.all = true;
            reads.why = Some(format!("{kind} integration: reads every parameter"));
            return reads;
        }
        if let Some(map) = request_parameters {
            match map.as_object() {
                Some(map) => {
                    for (dest, source) in map {
                        let field = super::key_path(&format!("{at}.requestParameters"), dest);
                        match source.as_str() {
                            Some(source) => reads.mapped(source),
                            None => problems.push((
                                field,
                                "expected a string: `method.request.{location}.{name}` or a quoted static value".into(),
                            )),
                        }
                    }
                }
                None if map.is_null() => {}
                None => problems.push((
                    format!("{at}.requestParameters"),
                    "expected an object mapping `integration.request...` to its source".into(),
                )),
            }
        }
        if let Some(templates) = request_templates {
            match templates.as_object() {
                Some(map) => {
                    for (content_type, template) in map {
                        match template {
                            Value::String(t) => reads.template(t),
                            Value::Null => {}
                            _ => problems.push((
                                super::key_path(&format!("{at}.requestTemplates"), content_type),
                                "expected a mapping template (a string)".into(),
                            )),
                        }
                    }
                }
                None if templates.is_null() => {}
                None => problems.push((
                    format!("{at}.requestTemplates"),
                    "expected an object mapping content types to templates".into(),
                )),
            }
        }
        reads.why = Some(format!(
            "{kind} integration: reads what its requestParameters and templates map"
        ));
        reads
    }

    /// A `requestParameters` source: `method.request.{part}.{name}` reads that
    /// parameter; a static value (`'x'`), a body or context value reads none.
    fn mapped(&mut self, source: &str) {
        let Some(rest) = source.strip_prefix("method.request.") else {
            return;
        };
        if let Some((part, name)) = rest.split_once('.') {
            if let Some(location) = ParamIn::from_request_part(part) {
                self.named.insert((location, name.to_owned()));
            }
        }
    }

    /// A mapping template's `$input.params(...)` uses.
    fn template(&mut self, template: &str) {
        let mut rest = template;
        while let Some(at) = rest.find("$input.params(") {
            rest = &rest[at + "$input.params(".len()..];
            let trimmed = rest.trim_start();
            if let Some(q) = trimmed.chars().next().filter(|c| *c == '\'' || *c == '"') {
                // `$input.params('name')`: that name, wherever it is sent.
                let body = &trimmed[1..];
                if let Some(end) = body.find(q) {
                    self.any_location.insert(body[..end].to_owned());
                }
                continue;
            }
            // `$input.params()`: all of them, or one location's, or one of its names.
            let after = trimmed.strip_prefix(')').unwrap_or(trimmed);
            let location = [
                ("path", ParamIn::Path),
                ("querystring", ParamIn::Query),
                ("header", ParamIn::Header),
            ]
            .into_iter()
            .find_map(|(part, location)| {
                [
                    format!(".{part}"),
                    format!(".get('{part}')"),
                    format!(".get(\"{part}\")"),
                ]
                .iter()
                .find_map(|prefix| after.strip_prefix(prefix.as_str()))
                .filter(|tail| !tail.starts_with(|c: char| c.is_ascii_alphanumeric()))
                .map(|tail| (location, tail))
            });
            match location {
                Some((location, tail)) => match one_name(tail) {
                    Some(name) => {
                        self.named.insert((location, name));
                    }
                    // `keySet()`, a `#foreach` over it: the whole location.
                    None => {
                        self.all_in.insert(location);
                    }
                },
                None => self.all = true,
            }
        }
    }
}

/// The one name `tail` picks out of a location's map: `.get('x')` or `.x` (Velocity's
/// property access); `None` for anything else (`.keySet()`, nothing).
fn one_name(tail: &str) -> Option<String> {
    let tail = tail.strip_prefix('.')?;
    if let Some(args) = tail.strip_prefix("get(") {
        let q = args.chars().next().filter(|c| *c == '\'' || *c == '"')?;
        let body = &args[1..];
        let end = body.find(q)?;
        return Some(body[..end].to_owned());
    }
    let ident: String = tail
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    let after = &tail[ident.len()..];
    (!ident.is_empty() && !after.starts_with('(')).then_some(ident)
}
