//! A resource's method as the gateway sees it: its path template (`/pets/{petId}`), the
//! request parameters it declares, which of them form the cache key
//! (`method.request.path.petId`, `method.request.querystring.type`,
//! `method.request.header.Accept-Language`), and its cache namespace.
//!
//! Requests carry parameter values as integer value ids, one per declared parameter
//! (path parameters first, in template order, then the others in declaration order); the
//! cache key and the response identity are fingerprints of those ids, and the concrete
//! path for the IAM resource ARN renders each path value id in decimal.

use std::fmt::Write as _;

use crate::cache::{CacheKey, Fingerprint};

use super::ResourceField;
use super::settings::{Method, Resolved};

/// Where a request parameter comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// A `{name}` (or greedy `{name+}`) segment of the path.
    Path,
    /// A query-string parameter.
    Query,
    /// A request header.
    Header,
}

impl Location {
    /// The middle part of `method.request.{part}.{name}`.
    pub fn key_part(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "querystring",
            Location::Header => "header",
        }
    }
}

/// A declared request parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Its name (case-sensitive, as AWS treats cache key parameters).
    pub name: String,
    /// Where it comes from.
    pub location: Location,
    /// Whether the backend's response depends on it. A cached response served for a
    /// request that differs in such a parameter is a wrong response. Path parameters
    /// always do.
    pub affects_response: bool,
}

/// One resource method to be served by the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceConfig {
    /// The path template, e.g. `/pets/{petId}`.
    pub path: String,
    /// The HTTP method.
    pub method: Method,
    /// Query-string and header parameters the method declares (path parameters come
    /// from the template).
    pub params: Vec<Param>,
    /// `cacheKeyParameters`, e.g. `method.request.path.petId`.
    pub cache_key_parameters: Vec<String>,
    /// `cacheNamespace`; resources sharing one share cached entries. Defaults to: the
    /// resource itself.
    pub cache_namespace: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Lit(String),
    Param(usize),
}

/// Parses a path template into literal and parameter segments, returning the segments
/// and the path parameter names in order.
fn parse_template(path: &str) -> Result<(Vec<Segment>, Vec<String>), String> {
    if !path.starts_with('/') {
        return Err(format!("path `{path}` must start with `/`"));
    }
    let mut segments = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut lit = String::new();
    for (i, part) in path.split('/').enumerate().skip(1) {
        lit.push('/');
        if let Some(inner) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            let name = inner.strip_suffix('+').unwrap_or(inner);
            if name.is_empty() || name.contains(['{', '}', '+']) {
                return Err(format!(
                    "path `{path}`: segment {i} `{part}` is not a valid `{{name}}` parameter"
                ));
            }
            if names.iter().any(|n| n == name) {
                return Err(format!("path `{path}`: parameter `{name}` appears twice"));
            }
            segments.push(Segment::Lit(std::mem::take(&mut lit)));
            segments.push(Segment::Param(names.len()));
            names.push(name.to_owned());
        } else if part.contains(['{', '}']) {
            return Err(format!(
                "path `{path}`: segment `{part}` has a brace but is not a `{{name}}` parameter"
            ));
        } else {
            lit.push_str(part);
        }
    }
    if !lit.is_empty() {
        segments.push(Segment::Lit(lit));
    }
    Ok((segments, names))
}

/// A resource method compiled for the per-request path.
#[derive(Debug, Clone)]
pub(crate) struct CompiledResource {
    pub(crate) settings: Resolved,
    pub(crate) params: Vec<Param>,
    /// The fingerprint state after the namespace and method, shared by every key.
    pub(super) key_seed: Fingerprint,
    pub(super) key_slots: Box<[usize]>,
    /// When the key already determines the response (a namespace of its own and every
    /// response-affecting parameter in the key), the response identity is the key.
    pub(crate) key_is_response: bool,
    response_seed: Fingerprint,
    response_slots: Box<[usize]>,
    arn_prefix: String,
    segments: Box<[Segment]>,
}

impl CompiledResource {
    /// Compiles `config`; `id` is its index, `namespace` the interned namespace id and
    /// `shared_namespace` whether other resources use it too.
    pub(crate) fn compile(
        config: &ResourceConfig,
        id: usize,
        namespace: u64,
        shared_namespace: bool,
        settings: Resolved,
        arn_base: &str,
    ) -> Result<CompiledResource, (ResourceField, String)> {
        let (segments, path_names) =
            parse_template(&config.path).map_err(|m| (ResourceField::Path, m))?;
        let mut params: Vec<Param> = path_names
            .into_iter()
            .map(|name| Param {
                name,
                location: Location::Path,
                affects_response: true,
            })
            .collect();
        for p in &config.params {
            if p.location == Location::Path {
                return Err((
                    ResourceField::Parameters,
                    format!(
                        "parameter `{}`: path parameters come from the path template",
                        p.name
                    ),
                ));
            }
            if params
                .iter()
                .any(|q| q.location == p.location && q.name == p.name)
            {
                return Err((
                    ResourceField::Parameters,
                    format!("parameter `{}` is declared twice", p.name),
                ));
            }
            params.push(p.clone());
        }
        let mut key_slots = Vec::new();
        for k in &config.cache_key_parameters {
            let slot = params
                .iter()
                .position(|p| format!("method.request.{}.{}", p.location.key_part(), p.name) == *k)
                .ok_or_else(|| {
                    let known: Vec<String> = params
                        .iter()
                        .map(|p| format!("method.request.{}.{}", p.location.key_part(), p.name))
                        .collect();
                    let message = format!(
                        "cache key parameter `{k}` names no parameter of {} {}; declared: {}",
                        config.method,
                        config.path,
                        if known.is_empty() {
                            "none".to_owned()
                        } else {
                            known.join(", ")
                        }
                    );
                    (ResourceField::CacheKeyParameters, message)
                })?;
            if key_slots.contains(&slot) {
                return Err((
                    ResourceField::CacheKeyParameters,
                    format!("cache key parameter `{k}` is listed twice"),
                ));
            }
            key_slots.push(slot);
        }
        let response_slots: Vec<usize> = (0..params.len())
            .filter(|&i| params[i].affects_response)
            .collect();
        let key_is_response =
            !shared_namespace && response_slots.iter().all(|s| key_slots.contains(s));
        Ok(CompiledResource {
            settings,
            params,
            key_seed: Fingerprint::new(namespace).push(config.method as u64),
            key_slots: key_slots.into(),
            key_is_response,
            response_seed: Fingerprint::new(u64::MAX - id as u64),
            response_slots: response_slots.into(),
            arn_prefix: format!("{arn_base}/{}", config.method),
            segments: segments.into(),
        })
    }

    /// The cache key: namespace, method and the declared key parameters' values.
    #[inline]
    pub(crate) fn key(&self, values: &[u64]) -> CacheKey {
        let value = |s: usize| values.get(s).copied().unwrap_or(0);
        match *self.key_slots {
            // The common shapes, without a loop.
            [] => self.key_seed.key(),
            [a] => self.key_seed.push(value(a)).key(),
            ref slots => slots
                .iter()
                .fold(self.key_seed, |f, &s| f.push(value(s)))
                .key(),
        }
    }

    /// What the backend's response depends on (the resource and every parameter that
    /// affects the response), given the request's cache key.
    #[inline]
    pub(crate) fn response_id(&self, key: CacheKey, values: &[u64]) -> u64 {
        if self.key_is_response {
            return key.0;
        }
        self.response_slots
            .iter()
            .fold(self.response_seed, |f, &s| {
                f.push(values.get(s).copied().unwrap_or(0))
            })
            .finish()
    }

    /// Writes the concrete path of a request whose one path parameter is `text`
    /// (`/objects/photo.jpg`) into `out`; nothing when the template has not exactly one
    /// parameter.
    pub(crate) fn path_with(&self, text: &str, out: &mut String) {
        let params = self
            .segments
            .iter()
            .filter(|s| matches!(s, Segment::Param(_)));
        if params.count() != 1 {
            return;
        }
        for seg in self.segments.iter() {
            match seg {
                Segment::Lit(l) => out.push_str(l),
                Segment::Param(_) => out.push_str(text),
            }
        }
    }

    /// Writes the `execute-api` ARN of this request into `buf` (cleared first), with the
    /// concrete path: `arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/pets/7`
    /// — `path` when the request carries it, else the template with each path
    /// parameter's value id in decimal.
    pub(crate) fn render_arn(&self, values: &[u64], path: Option<&str>, buf: &mut String) {
        buf.clear();
        buf.push_str(&self.arn_prefix);
        if let Some(path) = path {
            buf.push_str(path);
            return;
        }
        for seg in self.segments.iter() {
            match seg {
                Segment::Lit(l) => buf.push_str(l),
                Segment::Param(slot) => {
                    // Writing an integer into a String cannot fail.
                    let _ = write!(buf, "{}", values.get(*slot).copied().unwrap_or(0));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::settings::StageSettings;

    fn compile(
        path: &str,
        params: Vec<Param>,
        keys: &[&str],
    ) -> Result<CompiledResource, (ResourceField, String)> {
        let config = ResourceConfig {
            path: path.to_owned(),
            method: Method::Get,
            params,
            cache_key_parameters: keys.iter().map(|k| (*k).to_owned()).collect(),
            cache_namespace: None,
        };
        let settings = StageSettings::default().resolve(path, Method::Get);
        CompiledResource::compile(
            &config,
            0,
            0,
            false,
            settings,
            "arn:aws:execute-api:us-east-1:1:api/prod",
        )
    }

    fn query(name: &str, affects_response: bool) -> Param {
        Param {
            name: name.to_owned(),
            location: Location::Query,
            affects_response,
        }
    }

    #[test]
    fn arns_use_the_concrete_path() {
        let r = compile("/owners/{ownerId}/pets/{petId}", vec![], &[]).unwrap();
        let mut buf = String::new();
        r.render_arn(&[12, 7], None, &mut buf);
        assert_eq!(
            buf,
            "arn:aws:execute-api:us-east-1:1:api/prod/GET/owners/12/pets/7"
        );
        let root = compile("/", vec![], &[]).unwrap();
        root.render_arn(&[], None, &mut buf);
        assert_eq!(buf, "arn:aws:execute-api:us-east-1:1:api/prod/GET/");
        let greedy = compile("/{proxy+}", vec![], &[]).unwrap();
        greedy.render_arn(&[3], None, &mut buf);
        assert_eq!(buf, "arn:aws:execute-api:us-east-1:1:api/prod/GET/3");
    }

    #[test]
    fn keys_vary_only_with_declared_parameters() {
        let r = compile(
            "/pets/{petId}",
            vec![query("type", true), query("utm", false)],
            &["method.request.querystring.type"],
        )
        .unwrap();
        // slots: petId, type, utm
        assert_eq!(
            r.key(&[1, 5, 0]),
            r.key(&[2, 5, 9]),
            "undeclared path parameter shares the entry"
        );
        assert_ne!(r.key(&[1, 5, 0]), r.key(&[1, 6, 0]));
        let id = |v: &[u64]| r.response_id(r.key(v), v);
        assert_ne!(
            id(&[1, 5, 0]),
            id(&[2, 5, 0]),
            "the response depends on petId"
        );
        assert_eq!(
            id(&[1, 5, 0]),
            id(&[1, 5, 9]),
            "utm does not affect the response"
        );
        let exact = compile(
            "/pets/{petId}",
            vec![query("utm", false)],
            &["method.request.path.petId"],
        )
        .unwrap();
        assert_eq!(
            exact.response_id(exact.key(&[4, 1]), &[4, 1]),
            exact.key(&[4, 2]).0,
            "the key identifies the response"
        );
    }

    #[test]
    fn bad_templates_parameters_and_key_parameters_are_errors_of_their_field() {
        let err = |path: &str, params: Vec<Param>, keys: &[&str]| {
            let Err(e) = compile(path, params, keys) else {
                panic!("{path} must be refused")
            };
            e
        };
        for (template, why) in [
            ("pets", "must start with `/`"),
            ("/pets/{}", "not a valid"),
            ("/pets/{a}/{a}", "appears twice"),
            ("/pets/x{a}", "has a brace"),
        ] {
            let (field, message) = err(template, vec![], &[]);
            assert_eq!(field, ResourceField::Path, "{template}");
            assert!(message.contains(why), "{template}: {message}");
        }
        let (field, message) = err(
            "/pets",
            vec![query("type", true), query("type", false)],
            &[],
        );
        assert_eq!(field, ResourceField::Parameters);
        assert_eq!(message, "parameter `type` is declared twice");
        let (field, message) = err("/pets/{petId}", vec![], &["method.request.path.id"]);
        assert_eq!(field, ResourceField::CacheKeyParameters);
        assert!(message.contains("`method.request.path.id` names no parameter of GET /pets/{petId}; declared: method.request.path.petId"), "{message}");
        let (field, message) = err(
            "/pets",
            vec![query("type", true)],
            &["method.request.querystring.Type"],
        );
        assert_eq!(field, ResourceField::CacheKeyParameters);
        assert!(
            message.contains("names no parameter"),
            "case-sensitive: {message}"
        );
        let (field, _) = err(
            "/pets",
            vec![query("type", true)],
            &[
                "method.request.querystring.type",
                "method.request.querystring.type",
            ],
        );
        assert_eq!(field, ResourceField::CacheKeyParameters);
    }
}
