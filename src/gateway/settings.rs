//! Stage and method settings as API Gateway names them, and their resolution for one
//! method: the stage-wide `*/*` entry, overridden field by field by the
//! `{resource_path}/{HTTP_METHOD}` entry (resource path without its leading slash, e.g.
//! `pets/{petId}/GET`; the root resource is `/GET`).
//!
//! Defaults where neither entry says, as the API, CloudFormation, SAM and Terraform
//! leave a stage: caching off (enabling the cache cluster alone caches nothing; the
//! console's "enable API cache" writes `*/*` `cachingEnabled = true`, which enables GET
//! methods only: other methods need their own entry), TTL 300 s, require authorization
//! on, strategy `SUCCEED_WITH_RESPONSE_HEADER`.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use crate::time::SimDuration;

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    /// GET
    Get,
    /// HEAD
    Head,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
    /// OPTIONS
    Options,
}

impl Method {
    const ALL: [(Method, &'static str); 7] = [
        (Method::Get, "GET"),
        (Method::Head, "HEAD"),
        (Method::Post, "POST"),
        (Method::Put, "PUT"),
        (Method::Patch, "PATCH"),
        (Method::Delete, "DELETE"),
        (Method::Options, "OPTIONS"),
    ];

    /// Parses an upper-case method name.
    pub fn parse(text: &str) -> Option<Method> {
        Method::ALL
            .iter()
            .find(|(_, n)| *n == text)
            .map(|(m, _)| *m)
    }

    /// The upper-case name, as in ARNs and method-setting keys.
    pub fn as_str(self) -> &'static str {
        Method::ALL
            .iter()
            .find(|(m, _)| *m == self)
            .map_or("GET", |(_, n)| n)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What API Gateway does with `Cache-Control: max-age=0` from a caller not allowed to
/// invalidate (`unauthorizedCacheControlHeaderStrategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UnauthorizedStrategy {
    /// Reject with 403; the backend is not called.
    #[serde(rename = "FAIL_WITH_403")]
    FailWith403,
    /// Ignore the header (normal cache lookup) and add a `Warning` response header.
    #[default]
    SucceedWithResponseHeader,
    /// Ignore the header silently.
    SucceedWithoutResponseHeader,
}

impl UnauthorizedStrategy {
    /// The AWS spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            UnauthorizedStrategy::FailWith403 => "FAIL_WITH_403",
            UnauthorizedStrategy::SucceedWithResponseHeader => "SUCCEED_WITH_RESPONSE_HEADER",
            UnauthorizedStrategy::SucceedWithoutResponseHeader => "SUCCEED_WITHOUT_RESPONSE_HEADER",
        }
    }
}

/// One `methodSettings` entry; unset fields fall through to `*/*`, then to defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodSetting {
    /// `cachingEnabled`.
    pub caching_enabled: Option<bool>,
    /// `cacheTtlInSeconds` (0 to 3600; 0 disables caching).
    pub cache_ttl_in_seconds: Option<u32>,
    /// `requireAuthorizationForCacheControl`.
    pub require_authorization_for_cache_control: Option<bool>,
    /// `unauthorizedCacheControlHeaderStrategy`.
    pub unauthorized_cache_control_header_strategy: Option<UnauthorizedStrategy>,
    /// `throttlingRateLimit`: the method's steady-state requests a second.
    pub throttling_rate_limit: Option<f64>,
    /// `throttlingBurstLimit`: the method's token bucket size.
    pub throttling_burst_limit: Option<u64>,
}

/// The stage's cache settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StageSettings {
    /// `cacheClusterEnabled`: without it nothing is cached.
    pub cache_cluster_enabled: bool,
    /// `methodSettings`, keyed `*/*` or `{resource_path}/{METHOD}`.
    pub method_settings: BTreeMap<String, MethodSetting>,
}

/// Default TTL when no method setting gives one.
pub const DEFAULT_TTL_SECONDS: u32 = 300;

/// The key of the stage-wide entry.
pub const STAGE_WIDE: &str = "*/*";

/// The settings in force for one method of one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    /// Whether responses are cached (caching enabled and TTL > 0).
    pub cached: bool,
    /// The TTL.
    pub ttl: SimDuration,
    /// Whether `max-age=0` needs `execute-api:InvalidateCache`.
    pub require_authorization: bool,
    /// What happens when it is not allowed.
    pub strategy: UnauthorizedStrategy,
}

/// The method-settings key for a resource path (`/pets/{petId}`) and method:
/// `pets/{petId}/GET`; the root resource gives `/GET`.
pub fn method_setting_key(resource_path: &str, method: Method) -> String {
    let trimmed = resource_path.strip_prefix('/').unwrap_or(resource_path);
    format!("{trimmed}/{method}")
}

impl StageSettings {
    /// Resolves the settings for `method` on `resource_path`.
    pub fn resolve(&self, resource_path: &str, method: Method) -> Resolved {
        let specific = self
            .method_settings
            .get(&method_setting_key(resource_path, method))
            .copied()
            .unwrap_or_default();
        let stage = self
            .method_settings
            .get(STAGE_WIDE)
            .copied()
            .unwrap_or_default();
        // `*/*` caching applies to GET only; other methods need their own entry. Absent
        // everywhere, caching is off.
        let stage_caching = method == Method::Get && stage.caching_enabled == Some(true);
        let caching = specific.caching_enabled.unwrap_or(stage_caching);
        let ttl_secs = specific
            .cache_ttl_in_seconds
            .or(stage.cache_ttl_in_seconds)
            .unwrap_or(DEFAULT_TTL_SECONDS);
        Resolved {
            cached: self.cache_cluster_enabled && caching && ttl_secs > 0,
            ttl: SimDuration::from_secs(u64::from(ttl_secs)),
            require_authorization: specific
                .require_authorization_for_cache_control
                .or(stage.require_authorization_for_cache_control)
                .unwrap_or(true),
            strategy: specific
                .unauthorized_cache_control_header_strategy
                .or(stage.unauthorized_cache_control_header_strategy)
                .unwrap_or_default(),
        }
    }
}

impl StageSettings {
    /// The throttling limits of `method` on `resource_path`, when the method's entry or
    /// `*/*` sets either (the other falling back to `account`'s): each method has a
    /// bucket of its own. `None`: only the account's bucket applies.
    pub fn throttle(
        &self,
        resource_path: &str,
        method: Method,
        account: super::throttle::Limits,
    ) -> Option<super::throttle::Limits> {
        let specific = self
            .method_settings
            .get(&method_setting_key(resource_path, method));
        let stage = self.method_settings.get(STAGE_WIDE);
        let rate = specific
            .and_then(|s| s.throttling_rate_limit)
            .or(stage.and_then(|s| s.throttling_rate_limit));
        let burst = specific
            .and_then(|s| s.throttling_burst_limit)
            .or(stage.and_then(|s| s.throttling_burst_limit));
        (rate.is_some() || burst.is_some()).then(|| super::throttle::Limits {
            rate: rate.unwrap_or(account.rate),
            burst: burst.unwrap_or(account.burst),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(entries: &[(&str, MethodSetting)]) -> StageSettings {
        StageSettings {
            cache_cluster_enabled: true,
            method_settings: entries.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
        }
    }

    #[test]
    fn strategies_deserialize_from_their_aws_spelling() {
        for s in [
            UnauthorizedStrategy::FailWith403,
            UnauthorizedStrategy::SucceedWithResponseHeader,
            UnauthorizedStrategy::SucceedWithoutResponseHeader,
        ] {
            let parsed: UnauthorizedStrategy =
                serde_json::from_str(&format!("\"{}\"", s.as_str())).unwrap();
            assert_eq!(parsed, s);
        }
    }

    #[test]
    fn keys_trim_the_leading_slash() {
        assert_eq!(
            method_setting_key("/pets/{petId}", Method::Get),
            "pets/{petId}/GET"
        );
        assert_eq!(method_setting_key("/", Method::Post), "/POST");
    }

    #[test]
    fn per_method_entry_beats_stage_wide_field_by_field() {
        let s = stage(&[
            (
                STAGE_WIDE,
                MethodSetting {
                    caching_enabled: Some(true),
                    cache_ttl_in_seconds: Some(300),
                    unauthorized_cache_control_header_strategy: Some(
                        UnauthorizedStrategy::FailWith403,
                    ),
                    ..MethodSetting::default()
                },
            ),
            (
                "pets/{petId}/GET",
                MethodSetting {
                    cache_ttl_in_seconds: Some(60),
                    ..MethodSetting::default()
                },
            ),
        ]);
        let pet = s.resolve("/pets/{petId}", Method::Get);
        assert_eq!(pet.ttl, SimDuration::from_secs(60));
        assert_eq!(
            pet.strategy,
            UnauthorizedStrategy::FailWith403,
            "unset fields fall through"
        );
        assert!(pet.cached && pet.require_authorization);
        assert_eq!(
            s.resolve("/pets", Method::Get).ttl,
            SimDuration::from_secs(300)
        );
    }

    #[test]
    fn defaults_match_aws() {
        let r = stage(&[]).resolve("/pets", Method::Get);
        assert_eq!(
            r,
            Resolved {
                cached: false,
                ttl: SimDuration::from_secs(300),
                require_authorization: true,
                strategy: UnauthorizedStrategy::SucceedWithResponseHeader,
            }
        );
    }

    #[test]
    fn an_absent_caching_enabled_caches_nothing_even_with_the_cluster_on() {
        let ttl_only = MethodSetting {
            cache_ttl_in_seconds: Some(60),
            ..MethodSetting::default()
        };
        let s = stage(&[(STAGE_WIDE, ttl_only), ("pets/GET", ttl_only)]);
        assert!(!s.resolve("/pets", Method::Get).cached);
        assert!(!s.resolve("/owners", Method::Get).cached);
        let off = MethodSetting {
            caching_enabled: Some(false),
            ..MethodSetting::default()
        };
        let on = MethodSetting {
            caching_enabled: Some(true),
            ..MethodSetting::default()
        };
        let s = stage(&[(STAGE_WIDE, on), ("pets/GET", off)]);
        assert!(
            !s.resolve("/pets", Method::Get).cached,
            "its own entry wins"
        );
        assert!(s.resolve("/owners", Method::Get).cached);
    }

    #[test]
    fn method_throttling_falls_back_field_by_field_then_to_the_account() {
        use crate::gateway::throttle::Limits;
        let account = Limits::ACCOUNT_DEFAULT;
        let s = stage(&[
            (
                STAGE_WIDE,
                MethodSetting {
                    throttling_rate_limit: Some(100.0),
                    ..MethodSetting::default()
                },
            ),
            (
                "pets/GET",
                MethodSetting {
                    throttling_burst_limit: Some(7),
                    ..MethodSetting::default()
                },
            ),
        ]);
        assert_eq!(
            s.throttle("/pets", Method::Get, account),
            Some(Limits {
                rate: 100.0,
                burst: 7
            })
        );
        assert_eq!(
            s.throttle("/owners", Method::Get, account),
            Some(Limits {
                rate: 100.0,
                burst: 5_000
            }),
            "the burst unset anywhere: the account's"
        );
        assert_eq!(stage(&[]).throttle("/pets", Method::Get, account), None);
    }

    #[test]
    fn only_get_is_cached_unless_its_own_entry_enables_it() {
        let on = MethodSetting {
            caching_enabled: Some(true),
            ..MethodSetting::default()
        };
        let s = stage(&[(STAGE_WIDE, on), ("pets/POST", on)]);
        assert!(s.resolve("/pets", Method::Get).cached);
        assert!(
            !s.resolve("/owners", Method::Post).cached,
            "*/* does not enable POST"
        );
        assert!(s.resolve("/pets", Method::Post).cached);
    }

    #[test]
    fn ttl_zero_or_no_cluster_caches_nothing() {
        let zero = MethodSetting {
            caching_enabled: Some(true),
            cache_ttl_in_seconds: Some(0),
            ..MethodSetting::default()
        };
        let s = stage(&[
            (STAGE_WIDE, zero),
            (
                "pets/GET",
                MethodSetting {
                    cache_ttl_in_seconds: Some(30),
                    ..MethodSetting::default()
                },
            ),
        ]);
        assert!(!s.resolve("/owners", Method::Get).cached);
        assert!(
            s.resolve("/pets", Method::Get).cached,
            "stage TTL 0 + per-method TTL: the practitioners' pattern"
        );
        let off = StageSettings {
            cache_cluster_enabled: false,
            ..stage(&[
                (STAGE_WIDE, zero),
                (
                    "pets/GET",
                    MethodSetting {
                        cache_ttl_in_seconds: Some(30),
                        ..MethodSetting::default()
                    },
                ),
            ])
        };
        assert!(!off.resolve("/pets", Method::Get).cached);
    }
}
