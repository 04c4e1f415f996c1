//! The per-request gateway decision: method settings, cache key, `Cache-Control:
//! max-age=0`, the IAM `execute-api:InvalidateCache` check and the unauthorized-handling
//! strategy, against the stage cache. The simulator and the benches run exactly this.
//!
//! ```text
//! request ─ method cached? ─no─▶ Uncached (backend)
//!              │yes
//!          max-age=0? ─no──────────────────────────────▶ lookup: Hit | Miss
//!              │yes
//!          require authorization? ─no─▶ Refresh (backend, replace entry on arrival)
//!              │yes
//!          IAM allows InvalidateCache on the request's ARN? ─yes─▶ Refresh
//!              │no
//!          strategy: FAIL_WITH_403 ─▶ Forbidden (no backend call)
//!                    SUCCEED_WITH_RESPONSE_HEADER ─▶ lookup, `Warning` header
//!                    SUCCEED_WITHOUT_RESPONSE_HEADER ─▶ lookup
//! ```
//!
//! A miss or refresh returns a [`Fetch`]; the caller hands it back to
//! [`Gateway::complete`] when the backend responds, which stores the response.

#[cfg(any(test, feature = "testing"))]
pub mod fixture;
mod keyer;
mod resource;
mod settings;
mod throttle;

use std::collections::BTreeMap;

pub use keyer::{FirstKeyer, Keyer};
use resource::CompiledResource;
pub use resource::{Location, Param, ResourceConfig};
pub use settings::{
    DEFAULT_TTL_SECONDS, Method, MethodSetting, Resolved, STAGE_WIDE, StageSettings,
    UnauthorizedStrategy, method_setting_key,
};
use throttle::Throttle;
pub use throttle::{Limits, MAX_LIMIT, TokenBucket};

use crate::cache::{
    CacheConfig, CacheKey, Capacity, Insert, Lookup, NewEntry, Presence, RemovalCounts, StageCache,
};
use crate::policy::{ActionPolicy, Context, PolicySet};
use crate::time::SimTime;

/// The IAM action that allows honouring `Cache-Control: max-age=0`.
pub const INVALIDATE_CACHE: &str = "execute-api:InvalidateCache";

/// Which API and stage the execute-api ARNs name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiIdentity {
    /// e.g. `us-east-1`.
    pub region: String,
    /// The 12-digit account id.
    pub account: String,
    /// The REST API id.
    pub api_id: String,
    /// The stage name.
    pub stage: String,
}

impl ApiIdentity {
    /// `arn:aws:execute-api:{region}:{account}:{api_id}/{stage}`.
    pub fn arn_base(&self) -> String {
        format!(
            "arn:aws:execute-api:{}:{}:{}/{}",
            self.region, self.account, self.api_id, self.stage
        )
    }
}

/// Everything the gateway needs about the stage.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// The API identity for ARNs.
    pub api: ApiIdentity,
    /// Stage and method settings.
    pub stage: StageSettings,
    /// The stage cache.
    pub cache: CacheConfig,
    /// The resource methods served, indexed by position.
    pub resources: Vec<ResourceConfig>,
    /// The account's throttling limits in the Region; `None`: no request is throttled
    /// (the model's `throttling = false`, for comparisons with cache simulators).
    pub throttling: Option<Limits>,
}

/// An IAM principal calling the API: its identity policies and request context.
#[derive(Debug, Clone)]
pub struct Principal {
    /// A name for reports.
    pub name: String,
    /// Its identity policies.
    pub policies: PolicySet,
    /// The request context its calls carry (e.g. `aws:SourceIp`).
    pub context: Context,
}

/// A resource method could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("resource {method} {path}: {message}")]
pub struct GatewayError {
    /// The method.
    pub method: Method,
    /// The path template.
    pub path: String,
    /// The part of the resource's configuration at fault.
    pub field: ResourceField,
    /// What is wrong.
    pub message: String,
}

/// A part of a resource's configuration, as a scenario's `[[resources]]` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceField {
    /// The path template (`path`).
    Path,
    /// The declared request parameters (`parameters`).
    Parameters,
    /// The cache key parameters (`cache_key_parameters`).
    CacheKeyParameters,
}

impl ResourceField {
    /// Its field name in a scenario's `[[resources]]`.
    pub fn name(self) -> &'static str {
        match self {
            ResourceField::Path => "path",
            ResourceField::Parameters => "parameters",
            ResourceField::CacheKeyParameters => "cache_key_parameters",
        }
    }
}

/// One request as the gateway sees it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// When it arrives.
    pub now: SimTime,
    /// Index of the calling principal.
    pub principal: usize,
    /// Index of the resource method.
    pub resource: usize,
    /// Parameter value ids, one per declared parameter (path parameters first).
    pub params: &'a [u64],
    /// The concrete path without the stage prefix (`/pets/42`), when the request came
    /// with one (replayed access logs); otherwise the ARN renders each path parameter's
    /// value id in decimal.
    pub path: Option<&'a str>,
    /// Whether it carries `Cache-Control: max-age=0`.
    pub max_age_zero: bool,
    /// Its cache key, when the caller has already computed it (with
    /// [`Gateway::keyer`], to prefetch its lookup); else the gateway computes it.
    pub key: Option<CacheKey>,
}

/// A backend's response to a [`Fetch`], for [`Gateway::complete`] to store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response<V> {
    /// Its size in bytes.
    pub bytes: u64,
    /// The payload stored with it.
    pub value: V,
}

/// A backend fetch whose response the gateway may store on arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fetch {
    /// Index of the resource method.
    pub resource: u32,
    /// The cache key the response is stored under.
    pub key: CacheKey,
    /// Identity of the response (what it depends on), to detect wrong responses later.
    pub response: u64,
}

/// Where a request is served from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<V> {
    /// From the cache. `wrong_response`: the entry was stored for a request that differs
    /// in a parameter the response depends on but the key does not include.
    Hit {
        /// The stored payload.
        value: V,
        /// Whether this is another request's response.
        wrong_response: bool,
    },
    /// Cache miss: fetch, then store.
    Miss(Fetch),
    /// The method is not cached: straight to the backend, nothing stored.
    Uncached,
    /// `max-age=0` honoured: fetch, then replace the entry.
    Refresh(Fetch),
    /// The method is cached but the cache is being created or resized: a miss that goes
    /// to the backend and stores nothing.
    Unavailable,
    /// 403: `max-age=0` from an unauthorized caller under `FAIL_WITH_403`.
    Forbidden,
}

/// What became of the request's `Cache-Control` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheControl {
    /// No `max-age=0`.
    Absent,
    /// `max-age=0` honoured.
    Honored,
    /// `max-age=0` rejected with 403.
    Rejected,
    /// `max-age=0` ignored; a `Warning` header was added.
    IgnoredWithWarning,
    /// `max-age=0` ignored silently.
    IgnoredSilently,
    /// `max-age=0` sent to a method that is not cached: nothing to invalidate.
    NotCached,
}

/// The decision for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome<V> {
    /// Where it is served from.
    pub route: Route<V>,
    /// What became of `max-age=0`.
    pub cache_control: CacheControl,
}

#[derive(Debug, Clone)]
struct CompiledPrincipal {
    invalidate: ActionPolicy,
    context: Context,
}

/// The gateway: compiled resources and principals, and the stage cache holding payloads
/// of type `V`.
///
/// ```
/// use cachegate::cache::Presence;
/// use cachegate::gateway::{CacheControl, Gateway, Request, Response, Route};
/// use cachegate::scenario::Study;
/// use cachegate::time::SimTime;
///
/// // The pets API: resource 0 is `GET /pets/{petId}`; principal 0 `ops` may invalidate,
/// // principal 1 `public` may not; an unauthorized `max-age=0` gets a Warning header.
/// let study = Study::load("scenarios/pets.toml".as_ref()).unwrap();
/// let s = study.base();
/// let mut gateway: Gateway<u32> = Gateway::new(&s.gateway, &s.principals).unwrap();
/// let request = |now, principal, max_age_zero| Request {
///     now: SimTime::from_micros(now),
///     principal,
///     resource: 0,
///     params: &[42],
///     path: None,
///     max_age_zero,
///     key: None,
/// };
/// let Route::Miss(fetch) = gateway.decide(&request(0, 1, false)).route else { panic!() };
/// gateway.complete(SimTime::ZERO, &fetch, Response { bytes: 2048, value: 7 }, Presence::Absent);
/// assert!(matches!(gateway.decide(&request(1, 1, false)).route, Route::Hit { value: 7, .. }));
/// // `public` asks for a fresh response: ignored, with a Warning header.
/// assert_eq!(gateway.decide(&request(2, 1, true)).cache_control, CacheControl::IgnoredWithWarning);
/// // `ops` may: the entry is fetched again.
/// let outcome = gateway.decide(&request(3, 0, true));
/// assert!(matches!(outcome.route, Route::Refresh(_)));
/// assert_eq!(outcome.cache_control, CacheControl::Honored);
/// ```
#[derive(Debug, Clone)]
pub struct Gateway<V> {
    resources: Vec<CompiledResource>,
    principals: Vec<CompiledPrincipal>,
    /// Payloads in the hot bucket; the response identity as the cold tag, read only
    /// for resources whose key does not identify the response.
    cache: StageCache<V>,
    arn: String,
    throttle: Option<Throttle>,
    /// While the cache is being (re)created: per resource, whether it caches once the
    /// cache is ready (every resource's `settings.cached` is off meanwhile).
    provisioning: Option<Vec<bool>>,
}

impl<V: Copy + Default> Gateway<V> {
    /// Compiles the stage: resolves method settings, cache keys and namespaces, and
    /// narrows each principal's policies to `execute-api:InvalidateCache`.
    pub fn new(
        config: &GatewayConfig,
        principals: &[Principal],
    ) -> Result<Gateway<V>, GatewayError> {
        let arn_base = config.api.arn_base();
        // Namespace ids in order of first use, and how many resources share each.
        let mut namespaces: BTreeMap<&str, (u64, usize)> = BTreeMap::new();
        for r in &config.resources {
            let next = namespaces.len() as u64;
            namespaces
                .entry(r.cache_namespace.as_deref().unwrap_or(&r.path))
                .or_insert((next, 0))
                .1 += 1;
        }
        let mut resources = Vec::with_capacity(config.resources.len());
        for (i, r) in config.resources.iter().enumerate() {
            let (namespace, users) = namespaces[r.cache_namespace.as_deref().unwrap_or(&r.path)];
            let settings = config.stage.resolve(&r.path, r.method);
            let compiled =
                CompiledResource::compile(r, i, namespace, users > 1, settings, &arn_base)
                    .map_err(|(field, message)| GatewayError {
                        method: r.method,
                        path: r.path.clone(),
                        field,
                        message,
                    })?;
            resources.push(compiled);
        }
        let principals = principals
            .iter()
            .map(|p| CompiledPrincipal {
                invalidate: p.policies.for_action(INVALIDATE_CACHE),
                context: p.context.clone(),
            })
            .collect();
        let throttle = config.throttling.map(|account| {
            let methods = config
                .resources
                .iter()
                .map(|r| config.stage.throttle(&r.path, r.method, account))
                .collect();
            Throttle::new(account, methods)
        });
        Ok(Gateway {
            resources,
            principals,
            cache: StageCache::new(config.cache),
            arn: String::with_capacity(256),
            throttle,
            provisioning: None,
        })
    }

    /// Whether a request to `resource` at `now` gets past throttling (a token from its
    /// method's bucket, then the account's); `false`: it is answered 429, before the
    /// cache is consulted. Requests must come in time order.
    #[inline(always)]
    pub fn admit(&mut self, now: SimTime, resource: usize) -> bool {
        match &mut self.throttle {
            None => true,
            Some(t) => t.admit(now, resource),
        }
    }

    /// Decides one request. Allocation-free once the ARN buffer has grown to the
    /// longest ARN. The common case (no `max-age=0`) is kept short and inlined; the
    /// header's handling is out of line.
    #[inline(always)]
    pub fn decide(&mut self, req: &Request<'_>) -> Outcome<V> {
        debug_assert!(
            req.key
                .is_none_or(|key| key == self.cache_key(req.resource, req.params)),
            "a request's key is its resource's key of its parameters"
        );
        let Gateway {
            resources, cache, ..
        } = self;
        let r = &resources[req.resource];
        if !r.settings.cached {
            let cache_control = if req.max_age_zero {
                CacheControl::NotCached
            } else {
                CacheControl::Absent
            };
            let route = match &self.provisioning {
                Some(cached) if cached[req.resource] => Route::Unavailable,
                _ => Route::Uncached,
            };
            return Outcome {
                route,
                cache_control,
            };
        }
        let key = req.key.unwrap_or_else(|| r.key(req.params));
        if req.max_age_zero {
            return self.decide_max_age_zero(req, key);
        }
        Outcome {
            route: lookup(cache, r, req, key),
            cache_control: CacheControl::Absent,
        }
    }

    /// `Cache-Control: max-age=0` on a cached method: authorization, then the strategy.
    #[inline(never)]
    fn decide_max_age_zero(&mut self, req: &Request<'_>, key: CacheKey) -> Outcome<V> {
        let settings = self.resources[req.resource].settings;
        if !settings.require_authorization || self.authorized(req) {
            return Outcome {
                route: Route::Refresh(fetch(&self.resources[req.resource], req, key)),
                cache_control: CacheControl::Honored,
            };
        }
        let cache_control = match settings.strategy {
            UnauthorizedStrategy::FailWith403 => {
                return Outcome {
                    route: Route::Forbidden,
                    cache_control: CacheControl::Rejected,
                };
            }
            UnauthorizedStrategy::SucceedWithResponseHeader => CacheControl::IgnoredWithWarning,
            UnauthorizedStrategy::SucceedWithoutResponseHeader => CacheControl::IgnoredSilently,
        };
        Outcome {
            route: lookup(&mut self.cache, &self.resources[req.resource], req, key),
            cache_control,
        }
    }

    /// Whether the request's principal may invalidate the request's ARN.
    fn authorized(&mut self, req: &Request<'_>) -> bool {
        let Some(p) = self.principals.get(req.principal) else {
            return false;
        };
        if p.invalidate.never_allows() {
            return false;
        }
        self.resources[req.resource].render_arn(req.params, req.path, &mut self.arn);
        p.invalidate.decide(&self.arn, &p.context).is_allowed()
    }

    /// Stores the response of `fetch`, arriving at `now`, with the method's TTL.
    /// `presence`: [`Presence::Absent`] for the fetch of a [`Route::Miss`] that the
    /// backend answered at once, before the cache changed in any other way (no entry for
    /// its key can have appeared since the lookup, so none is looked for to replace).
    pub fn complete(
        &mut self,
        now: SimTime,
        fetch: &Fetch,
        response: Response<V>,
        presence: Presence,
    ) -> Insert {
        if self.provisioning.is_some() {
            return Insert::Rejected(crate::cache::Rejection::Provisioning);
        }
        let entry = NewEntry {
            key: fetch.key,
            bytes: response.bytes,
            ttl: self.ttl(fetch),
            value: response.value,
            tag: fetch.response,
        };
        self.cache.insert(now, entry, presence)
    }

    /// The TTL a fetch's response is stored with: its method's.
    #[inline]
    fn ttl(&self, fetch: &Fetch) -> crate::time::SimDuration {
        self.resources[fetch.resource as usize].settings.ttl
    }

    /// Drops every cached entry (`FlushStageCache`).
    pub fn flush(&mut self) {
        self.cache.flush();
    }

    /// Changes the cache capacity, dropping every entry.
    pub fn set_capacity(&mut self, capacity: Capacity) {
        self.cache.set_capacity(capacity);
    }

    /// Starts (re)creating the cache with `capacity`, as API Gateway does on a size
    /// change: every entry is dropped now, and until [`Gateway::cache_ready`] every
    /// cached method's request is a miss ([`Route::Unavailable`]) and nothing is stored.
    pub fn begin_provisioning(&mut self, capacity: Capacity) {
        self.cache.set_capacity(capacity);
        if self.provisioning.is_none() {
            let cached = self.resources.iter().map(|r| r.settings.cached).collect();
            for r in &mut self.resources {
                r.settings.cached = false;
            }
            self.provisioning = Some(cached);
        }
    }

    /// The cache being (re)created is ready, empty.
    pub fn cache_ready(&mut self) {
        if let Some(cached) = self.provisioning.take() {
            for (r, cached) in self.resources.iter_mut().zip(cached) {
                r.settings.cached = cached;
            }
        }
    }

    /// Removals from the cache so far, by cause.
    pub fn removals(&self) -> RemovalCounts {
        self.cache.removals()
    }

    /// Entries currently cached and the bytes they hold.
    pub fn cache_usage(&self) -> (usize, u64) {
        (self.cache.len(), self.cache.used_bytes())
    }

    /// The settings in force for a resource method.
    pub fn settings(&self, resource: usize) -> Resolved {
        self.resources[resource].settings
    }

    /// Writes into `out` the concrete path of a request for `resource` whose one path
    /// parameter is `text` (an object id as a trace wrote it); nothing when the resource
    /// has not exactly one path parameter.
    pub fn path_with(&self, resource: usize, text: &str, out: &mut String) {
        self.resources[resource].path_with(text, out);
    }

    /// The cache key a request for `resource` with `params` would use.
    pub fn cache_key(&self, resource: usize, params: &[u64]) -> CacheKey {
        self.resources[resource].key(params)
    }

    /// Whether the cache is large enough for a [`Keyer::prefetch`] to pay off; callers
    /// skip preparing prefetches when it is not.
    #[inline(always)]
    pub fn worth_prefetching(&self) -> bool {
        self.cache.worth_prefetching()
    }

    /// The parameters a resource method declares, in value-id order.
    pub fn params(&self, resource: usize) -> &[Param] {
        &self.resources[resource].params
    }

    /// Checks the cache's invariants (see [`StageCache::validate`]).
    pub fn validate(&self) -> Result<(), String> {
        self.cache.validate()
    }
}

/// A normal cache lookup for a request to resource `r`: a hit (flagging another
/// request's response), or a miss.
#[inline(always)]
fn lookup<V: Copy + Default>(
    cache: &mut StageCache<V>,
    r: &CompiledResource,
    req: &Request<'_>,
    key: CacheKey,
) -> Route<V> {
    if r.key_is_response {
        return match cache.get(req.now, key) {
            Lookup::Hit(value) => Route::Hit {
                value,
                wrong_response: false,
            },
            Lookup::Miss | Lookup::Expired => Route::Miss(fetch(r, req, key)),
        };
    }
    match cache.get_tagged(req.now, key) {
        Lookup::Hit((value, stored)) => Route::Hit {
            value,
            wrong_response: stored != fetch(r, req, key).response,
        },
        Lookup::Miss | Lookup::Expired => Route::Miss(fetch(r, req, key)),
    }
}

/// The backend fetch of a request to resource `r` under `key`.
#[inline(always)]
fn fetch(r: &CompiledResource, req: &Request<'_>, key: CacheKey) -> Fetch {
    Fetch {
        resource: req.resource as u32,
        key,
        response: r.response_id(key, req.params),
    }
}

#[cfg(test)]
mod tests;
