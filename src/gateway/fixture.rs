//! The pets API of `scenarios/pets.toml` built directly as a [`GatewayConfig`], for tests,
//! benches and doc examples that need a realistic stage without parsing a scenario:
//! `GET /pets/{petId}` keyed on `petId` (TTL 60 s), `GET /pets` keyed on `type` only
//! (its `page` parameter changes the response but not the key), and `POST /pets`;
//! principals `ops` (may invalidate `GET /pets/*`, explicitly not the listing) and
//! `public` (no policies).

use std::collections::BTreeMap;

use super::{
    ApiIdentity, GatewayConfig, Location, Method, MethodSetting, Param, Principal, ResourceConfig,
    STAGE_WIDE, StageSettings, UnauthorizedStrategy,
};
use crate::cache::{CacheConfig, Capacity, EvictionPolicy, TtlMode};
use crate::policy::{Context, PolicyDocument, PolicySet};

/// Index of `GET /pets/{petId}`.
pub const PET: usize = 0;
/// Index of `GET /pets` (params: `type`, `page`).
pub const LIST: usize = 1;
/// Index of `POST /pets`.
pub const CREATE: usize = 2;
/// Index of the `ops` principal.
pub const OPS: usize = 0;
/// Index of the `public` principal.
pub const PUBLIC: usize = 1;

/// The example scenario's `ops` policy.
pub const OPS_POLICY: &str = include_str!("../../scenarios/policies/ops-invalidate.json");

/// The pets stage with the given `*/*` strategy and require-authorization setting and a
/// 0.5 GB LRU cache.
pub fn pets_config(strategy: UnauthorizedStrategy, require_authorization: bool) -> GatewayConfig {
    let mut method_settings = BTreeMap::new();
    method_settings.insert(
        STAGE_WIDE.to_owned(),
        MethodSetting {
            caching_enabled: Some(true),
            cache_ttl_in_seconds: Some(300),
            require_authorization_for_cache_control: Some(require_authorization),
            unauthorized_cache_control_header_strategy: Some(strategy),
            ..MethodSetting::default()
        },
    );
    method_settings.insert(
        "pets/{petId}/GET".to_owned(),
        MethodSetting {
            cache_ttl_in_seconds: Some(60),
            ..MethodSetting::default()
        },
    );
    let query = |name: &str| Param {
        name: name.to_owned(),
        location: Location::Query,
        affects_response: true,
    };
    let resource = |path: &str, method, params, keys: &[&str]| ResourceConfig {
        path: path.to_owned(),
        method,
        params,
        cache_key_parameters: keys.iter().map(|k| (*k).to_owned()).collect(),
        cache_namespace: None,
    };
    GatewayConfig {
        api: ApiIdentity {
            region: "us-east-1".into(),
            account: "123456789012".into(),
            api_id: "a1b2c3d4e5".into(),
            stage: "prod".into(),
        },
        stage: StageSettings {
            cache_cluster_enabled: true,
            method_settings,
        },
        cache: CacheConfig {
            capacity: Capacity::Bytes(500_000_000),
            entry_overhead_bytes: 0,
            ttl_mode: TtlMode::Fixed,
            eviction: EvictionPolicy::Lru,
        },
        resources: vec![
            resource(
                "/pets/{petId}",
                Method::Get,
                vec![],
                &["method.request.path.petId"],
            ),
            resource(
                "/pets",
                Method::Get,
                vec![query("type"), query("page")],
                &["method.request.querystring.type"],
            ),
            resource("/pets", Method::Post, vec![], &[]),
        ],
        throttling: None,
    }
}

/// The `ops` and `public` principals.
pub fn pets_principals() -> Vec<Principal> {
    let mut ops = PolicySet::new();
    // The embedded policy is the repository's own example, checked by the tests.
    if let Ok(doc) = PolicyDocument::parse("ops-invalidate.json", OPS_POLICY.as_bytes()) {
        ops.add("ops-invalidate.json", &doc);
    }
    vec![
        Principal {
            name: "ops".into(),
            policies: ops,
            context: Context::new(),
        },
        Principal {
            name: "public".into(),
            policies: PolicySet::new(),
            context: Context::new(),
        },
    ]
}
