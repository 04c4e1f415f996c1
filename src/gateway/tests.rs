//! Exact tests of every branch of the gateway decision, on the pets API of the example
//! scenario: each unauthorized-handling strategy with an authorized and an unauthorized
//! caller, require-authorization off, the TTL boundary, per-method overrides, non-GET
//! methods, oversize responses, an undeclared key parameter, and an explicit Deny.

use super::*;
use crate::cache::{Capacity, EvictionPolicy, Presence, Rejection, TtlMode};
use crate::policy::PolicyDocument;
use crate::time::SimDuration;

use fixture::{CREATE, LIST, OPS, PET, PUBLIC};

fn t(ms: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_millis(ms)
}

fn gateway(strategy: UnauthorizedStrategy, require_authorization: bool) -> Gateway<u32> {
    gateway_with(strategy, require_authorization, &fixture::pets_principals())
}

fn gateway_with(
    strategy: UnauthorizedStrategy,
    require_authorization: bool,
    principals: &[Principal],
) -> Gateway<u32> {
    Gateway::new(
        &fixture::pets_config(strategy, require_authorization),
        principals,
    )
    .unwrap()
}

fn req(
    now: SimTime,
    principal: usize,
    resource: usize,
    params: &[u64],
    max_age_zero: bool,
) -> Request<'_> {
    Request {
        now,
        principal,
        resource,
        params,
        path: None,
        max_age_zero,
        key: None,
    }
}

/// Sends a request; on a miss or refresh, completes the fetch at once with `value` (a
/// miss's as the simulator does when its backend answers at once).
fn send(g: &mut Gateway<u32>, r: Request<'_>, value: u32) -> Outcome<u32> {
    let o = g.decide(&r);
    match o.route {
        Route::Miss(f) => assert_eq!(
            g.complete(r.now, &f, Response { bytes: 2048, value }, Presence::Absent),
            Insert::Stored
        ),
        Route::Refresh(f) => assert_eq!(
            g.complete(
                r.now,
                &f,
                Response { bytes: 2048, value },
                Presence::Unknown
            ),
            Insert::Stored
        ),
        _ => {}
    }
    g.validate().unwrap();
    o
}

fn hit(value: u32) -> Route<u32> {
    Route::Hit {
        value,
        wrong_response: false,
    }
}

#[test]
fn a_miss_is_stored_and_then_hit() {
    let mut g = gateway(UnauthorizedStrategy::SucceedWithResponseHeader, true);
    let o = send(&mut g, req(t(0), PUBLIC, PET, &[7], false), 1);
    assert!(matches!(o.route, Route::Miss(_)));
    assert_eq!(o.cache_control, CacheControl::Absent);
    assert_eq!(
        send(&mut g, req(t(1), PUBLIC, PET, &[7], false), 2).route,
        hit(1)
    );
    assert!(matches!(
        send(&mut g, req(t(1), PUBLIC, PET, &[8], false), 3).route,
        Route::Miss(_)
    ));
}

#[test]
fn authorized_max_age_zero_is_honoured_under_every_strategy() {
    for strategy in [
        UnauthorizedStrategy::FailWith403,
        UnauthorizedStrategy::SucceedWithResponseHeader,
        UnauthorizedStrategy::SucceedWithoutResponseHeader,
    ] {
        let mut g = gateway(strategy, true);
        send(&mut g, req(t(0), PUBLIC, PET, &[7], false), 1);
        let o = g.decide(&req(t(10), OPS, PET, &[7], true));
        assert_eq!(o.cache_control, CacheControl::Honored, "{strategy:?}");
        let Route::Refresh(f) = o.route else {
            panic!("{strategy:?}: {o:?}")
        };
        // Until the fresh response arrives, others still get the old entry.
        assert_eq!(
            g.decide(&req(t(20), PUBLIC, PET, &[7], false)).route,
            hit(1)
        );
        g.complete(
            t(90),
            &f,
            Response {
                bytes: 2048,
                value: 2,
            },
            Presence::Unknown,
        );
        assert_eq!(
            g.decide(&req(t(91), PUBLIC, PET, &[7], false)).route,
            hit(2)
        );
        assert_eq!(g.removals().replaced, 1);
    }
}

#[test]
fn unauthorized_max_age_zero_follows_the_strategy() {
    // FAIL_WITH_403: rejected, the backend is not called, the entry is untouched.
    let mut g = gateway(UnauthorizedStrategy::FailWith403, true);
    send(&mut g, req(t(0), PUBLIC, PET, &[7], false), 1);
    let o = g.decide(&req(t(1), PUBLIC, PET, &[7], true));
    assert_eq!(
        o,
        Outcome {
            route: Route::Forbidden,
            cache_control: CacheControl::Rejected
        }
    );
    assert_eq!(g.decide(&req(t(2), PUBLIC, PET, &[7], false)).route, hit(1));
    // Rejected even when nothing is cached.
    assert_eq!(
        g.decide(&req(t(2), PUBLIC, PET, &[9], true)).route,
        Route::Forbidden
    );

    // SUCCEED_WITH_RESPONSE_HEADER: header ignored, normal lookup, warning.
    let mut g = gateway(UnauthorizedStrategy::SucceedWithResponseHeader, true);
    send(&mut g, req(t(0), PUBLIC, PET, &[7], false), 1);
    let o = g.decide(&req(t(1), PUBLIC, PET, &[7], true));
    assert_eq!(
        o,
        Outcome {
            route: hit(1),
            cache_control: CacheControl::IgnoredWithWarning
        }
    );
    let o = send(&mut g, req(t(1), PUBLIC, PET, &[9], true), 5);
    assert!(
        matches!(o.route, Route::Miss(_)),
        "ignored header on an uncached key is a plain miss"
    );
    assert_eq!(o.cache_control, CacheControl::IgnoredWithWarning);

    // SUCCEED_WITHOUT_RESPONSE_HEADER: the same, silently.
    let mut g = gateway(UnauthorizedStrategy::SucceedWithoutResponseHeader, true);
    send(&mut g, req(t(0), PUBLIC, PET, &[7], false), 1);
    let o = g.decide(&req(t(1), PUBLIC, PET, &[7], true));
    assert_eq!(
        o,
        Outcome {
            route: hit(1),
            cache_control: CacheControl::IgnoredSilently
        }
    );
}

#[test]
fn without_required_authorization_anyone_invalidates() {
    let mut g = gateway(UnauthorizedStrategy::FailWith403, false);
    send(&mut g, req(t(0), PUBLIC, PET, &[7], false), 1);
    let o = g.decide(&req(t(1), PUBLIC, PET, &[7], true));
    assert_eq!(o.cache_control, CacheControl::Honored);
    assert!(matches!(o.route, Route::Refresh(_)));
}

#[test]
fn explicit_deny_beats_the_allow_and_the_strategy_applies() {
    // ops may invalidate GET /pets/* but is explicitly denied GET /pets (the listing).
    let mut g = gateway(UnauthorizedStrategy::FailWith403, true);
    let o = g.decide(&req(t(0), OPS, LIST, &[1, 1], true));
    assert_eq!(
        o,
        Outcome {
            route: Route::Forbidden,
            cache_control: CacheControl::Rejected
        }
    );
    assert_eq!(
        g.decide(&req(t(0), OPS, PET, &[1], true)).cache_control,
        CacheControl::Honored
    );
}

#[test]
fn ttl_boundary_and_per_method_override() {
    let mut g = gateway(UnauthorizedStrategy::SucceedWithResponseHeader, true);
    // pets/{petId}/GET overrides the stage's 300 s with 60 s.
    assert_eq!(g.settings(PET).ttl, SimDuration::from_secs(60));
    assert_eq!(g.settings(LIST).ttl, SimDuration::from_secs(300));
    send(&mut g, req(t(1_000), PUBLIC, PET, &[7], false), 1);
    let last_valid = SimTime::from_micros(t(61_000).as_micros() - 1);
    assert_eq!(
        g.decide(&req(last_valid, PUBLIC, PET, &[7], false)).route,
        hit(1)
    );
    assert!(matches!(
        g.decide(&req(t(61_000), PUBLIC, PET, &[7], false)).route,
        Route::Miss(_)
    ));
    assert_eq!(g.removals().expired, 1);
    send(&mut g, req(t(0), PUBLIC, LIST, &[1, 1], false), 3);
    assert_eq!(
        g.decide(&req(t(299_999), PUBLIC, LIST, &[1, 1], false))
            .route,
        hit(3)
    );
}

#[test]
fn non_get_methods_are_not_cached_by_default() {
    let mut g = gateway(UnauthorizedStrategy::FailWith403, true);
    assert!(!g.settings(CREATE).cached);
    let o = g.decide(&req(t(0), PUBLIC, CREATE, &[], false));
    assert_eq!(
        o,
        Outcome {
            route: Route::Uncached,
            cache_control: CacheControl::Absent
        }
    );
    let o = g.decide(&req(t(0), PUBLIC, CREATE, &[], true));
    assert_eq!(
        o,
        Outcome {
            route: Route::Uncached,
            cache_control: CacheControl::NotCached
        },
        "no 403 on an uncached method"
    );
}

#[test]
fn oversize_responses_are_not_stored() {
    let mut g = gateway(UnauthorizedStrategy::FailWith403, true);
    let Route::Miss(f) = g.decide(&req(t(0), PUBLIC, PET, &[7], false)).route else {
        panic!()
    };
    assert_eq!(
        g.complete(
            t(1),
            &f,
            Response {
                bytes: 1_048_577,
                value: 1
            },
            Presence::Unknown
        ),
        Insert::Rejected(Rejection::OverMaxResponse)
    );
    assert!(matches!(
        g.decide(&req(t(2), PUBLIC, PET, &[7], false)).route,
        Route::Miss(_)
    ));
    assert_eq!(
        g.complete(
            t(3),
            &f,
            Response {
                bytes: 1_048_576,
                value: 1
            },
            Presence::Unknown
        ),
        Insert::Stored
    );
    assert_eq!(g.decide(&req(t(4), PUBLIC, PET, &[7], false)).route, hit(1));
}

#[test]
fn an_undeclared_parameter_shares_an_entry_and_serves_wrong_responses() {
    // GET /pets keys on `type` only; `page` changes the response but not the key.
    let mut g = gateway(UnauthorizedStrategy::FailWith403, true);
    send(&mut g, req(t(0), PUBLIC, LIST, &[1, 1], false), 1);
    assert_eq!(
        g.decide(&req(t(1), PUBLIC, LIST, &[1, 1], false)).route,
        hit(1)
    );
    assert_eq!(
        g.decide(&req(t(1), PUBLIC, LIST, &[1, 2], false)).route,
        Route::Hit {
            value: 1,
            wrong_response: true
        },
        "page 2 gets page 1's response"
    );
    assert!(matches!(
        g.decide(&req(t(1), PUBLIC, LIST, &[2, 1], false)).route,
        Route::Miss(_)
    ));
}

#[test]
fn principal_context_feeds_policy_conditions() {
    let policy = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "execute-api:InvalidateCache",
        "Resource": "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/*",
        "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}}"#;
    let doc = PolicyDocument::parse("office.json", policy.as_bytes()).unwrap();
    let mut set = PolicySet::new();
    set.add("office.json", &doc);
    for (ip, expected) in [
        ("203.0.113.7", CacheControl::Honored),
        ("198.51.100.1", CacheControl::Rejected),
    ] {
        let office = Principal {
            name: "office".into(),
            policies: set.clone(),
            context: Context::new().with("aws:SourceIp", ip),
        };
        let mut g = gateway_with(UnauthorizedStrategy::FailWith403, true, &[office]);
        assert_eq!(
            g.decide(&req(t(0), 0, PET, &[7], true)).cache_control,
            expected,
            "{ip}"
        );
    }
}

#[test]
fn flush_and_capacity_change_empty_the_cache() {
    let mut g = gateway(UnauthorizedStrategy::FailWith403, true);
    send(&mut g, req(t(0), PUBLIC, PET, &[7], false), 1);
    send(&mut g, req(t(0), PUBLIC, PET, &[8], false), 1);
    g.flush();
    assert_eq!((g.cache_usage(), g.removals().flushed), ((0, 0), 2));
    send(&mut g, req(t(1), PUBLIC, PET, &[7], false), 1);
    g.set_capacity(Capacity::Bytes(1_000));
    assert_eq!((g.cache_usage().0, g.removals().resized), (0, 1));
    assert!(matches!(
        g.decide(&req(t(2), PUBLIC, PET, &[7], false)).route,
        Route::Miss(_)
    ));
}

#[test]
fn unknown_cache_key_parameter_is_an_error() {
    let config = GatewayConfig {
        api: ApiIdentity {
            region: "r".into(),
            account: "1".into(),
            api_id: "a".into(),
            stage: "s".into(),
        },
        stage: StageSettings {
            cache_cluster_enabled: true,
            method_settings: BTreeMap::new(),
        },
        cache: CacheConfig {
            capacity: Capacity::Bytes(1),
            entry_overhead_bytes: 0,
            ttl_mode: TtlMode::Fixed,
            eviction: EvictionPolicy::Lru,
        },
        resources: vec![ResourceConfig {
            path: "/pets/{petId}".into(),
            method: Method::Get,
            params: vec![],
            cache_key_parameters: vec!["method.request.querystring.petId".into()],
            cache_namespace: None,
        }],
        throttling: None,
    };
    let e = Gateway::<u32>::new(&config, &[]).unwrap_err();
    assert_eq!((e.method, e.path.as_str()), (Method::Get, "/pets/{petId}"));
    assert!(
        e.to_string().starts_with(
            "resource GET /pets/{petId}: cache key parameter `method.request.querystring.petId`"
        ),
        "{e}"
    );
}

#[test]
fn the_fixture_loads_the_example_policy() {
    let principals = fixture::pets_principals();
    assert_eq!(principals[OPS].policies.statement_count(), 2);
    assert_eq!(principals[PUBLIC].policies.statement_count(), 0);
}

#[test]
fn resources_sharing_a_namespace_share_entries() {
    // Two resources with one `cacheNamespace` and the same key parameter share cached
    // data (reference §1.4): the second is served the first one's response.
    let mut config = fixture::pets_config(UnauthorizedStrategy::FailWith403, true);
    for path in ["/cats/{petId}", "/dogs/{petId}"] {
        config.resources.push(ResourceConfig {
            path: path.into(),
            method: Method::Get,
            params: vec![],
            cache_key_parameters: vec!["method.request.path.petId".into()],
            cache_namespace: Some("animals".into()),
        });
    }
    let (cats, dogs) = (3, 4);
    let mut g: Gateway<u32> = Gateway::new(&config, &fixture::pets_principals()).unwrap();
    assert_eq!(g.cache_key(cats, &[5]), g.cache_key(dogs, &[5]));
    assert_ne!(
        g.cache_key(PET, &[5]),
        g.cache_key(cats, &[5]),
        "namespaces default to the resource"
    );
    send(&mut g, req(t(0), PUBLIC, cats, &[5], false), 1);
    assert_eq!(
        g.decide(&req(t(1), PUBLIC, dogs, &[5], false)).route,
        Route::Hit {
            value: 1,
            wrong_response: true
        }
    );
    assert_eq!(
        g.decide(&req(t(1), PUBLIC, cats, &[5], false)).route,
        hit(1)
    );
}

#[test]
fn without_a_cache_cluster_nothing_is_cached() {
    let mut config = fixture::pets_config(UnauthorizedStrategy::FailWith403, true);
    config.stage.cache_cluster_enabled = false;
    let mut g: Gateway<u32> = Gateway::new(&config, &fixture::pets_principals()).unwrap();
    assert_eq!(
        g.decide(&req(t(0), PUBLIC, PET, &[1], false)).route,
        Route::Uncached
    );
    assert_eq!(
        g.decide(&req(t(0), PUBLIC, PET, &[1], true)).cache_control,
        CacheControl::NotCached
    );
}
