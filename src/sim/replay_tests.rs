//! Trace replay against straightforward reference implementations of LRU and FIFO: with
//! an object-count capacity, no TTL and a backend that answers at once, the simulator's
//! misses equal the reference's on every request of a generated trace.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::io::Write;
use std::path::Path;

use rand::{RngExt as _, SeedableRng};
use rand_distr::{Distribution, Zipf};

use super::*;
use crate::testing::ScenarioText;

/// A generated request: time (s), object id, size.
type Record = (u32, u64, u32);

/// `n` requests over `objects` ids: Zipf(0.8) popularity with a sequential scan every
/// 100,000 requests (which LRU and FIFO treat differently), 1,000 requests a second,
/// sizes up to 100 kB.
fn generate(n: usize, objects: u64, seed: u64) -> Vec<Record> {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    let zipf = Zipf::new(objects as f64, 0.8).unwrap();
    let mut out = Vec::with_capacity(n);
    let mut scan = 0u64;
    for i in 0..n {
        let id = if (i / 1_000) % 100 == 99 {
            scan += 1;
            objects + scan
        } else {
            // Ids far apart, as real traces' are.
            (zipf.sample(&mut rng) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        };
        out.push(((i / 1_000) as u32, id, rng.random_range(1..=100_000)));
    }
    out
}

fn write_oracle_general(path: &Path, records: &[Record]) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for &(t, id, size) in records {
        w.write_all(&t.to_le_bytes()).unwrap();
        w.write_all(&id.to_le_bytes()).unwrap();
        w.write_all(&size.to_le_bytes()).unwrap();
        w.write_all(&(-1i64).to_le_bytes()).unwrap();
    }
}

/// Misses of an LRU cache of `capacity` objects.
fn reference_lru(records: &[Record], capacity: usize) -> u64 {
    let mut stamp_of: HashMap<u64, u64> = HashMap::new();
    let mut by_stamp: BTreeMap<u64, u64> = BTreeMap::new();
    let mut misses = 0;
    for (now, &(_, id, _)) in records.iter().enumerate() {
        let now = now as u64;
        if let Some(old) = stamp_of.insert(id, now) {
            by_stamp.remove(&old);
        } else {
            misses += 1;
            if stamp_of.len() > capacity {
                let (_, victim) = by_stamp.pop_first().unwrap();
                stamp_of.remove(&victim);
            }
        }
        by_stamp.insert(now, id);
    }
    misses
}

/// Misses of a FIFO cache of `capacity` objects.
fn reference_fifo(records: &[Record], capacity: usize) -> u64 {
    let mut present: HashSet<u64> = HashSet::new();
    let mut order: VecDeque<u64> = VecDeque::new();
    let mut misses = 0;
    for &(_, id, _) in records {
        if present.contains(&id) {
            continue;
        }
        misses += 1;
        if present.len() == capacity {
            let victim = order.pop_front().unwrap();
            present.remove(&victim);
        }
        present.insert(id);
        order.push_back(id);
    }
    misses
}

/// Writes `toml` as `dir/name` (its trace files beside it) and loads it.
fn scenario_in(dir: &Path, name: &str, toml: &str) -> crate::scenario::Scenario {
    let path = dir.join(name);
    std::fs::write(&path, toml).unwrap();
    crate::scenario::Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn replay(dir: &Path, eviction: &str, capacity: usize) -> crate::metrics::Counts {
    let toml = ScenarioText::new("replay")
        .duration("2h")
        .ttl(3600)
        .model(r#"ttl_mode = "never""#)
        .model(&format!(r#"eviction = "{eviction}""#))
        .model(&format!(r#"capacity_entries = {capacity}"#))
        .then(
            r#"[[resources]]
path = "/objects/{id}"
method = "GET"
cache_key_parameters = ["method.request.path.id"]
response_bytes = 100
backend_latency = "0ms"
[principals.reader]
[[traces]]
name = "generated"
file = "trace.oracleGeneral.bin"
format = "oracle_general"
resource = "GET /objects/{id}""#,
        )
        .text();
    let scenario = scenario_in(dir, "replay.toml", &toml);
    run(&scenario, 0, &mut |_| {}).unwrap().recorder.counts
}

#[test]
fn replay_misses_equal_reference_lru_and_fifo_to_the_last_request() {
    let dir = tempfile::tempdir().unwrap();
    let records = generate(1_200_000, 200_000, 11);
    write_oracle_general(&dir.path().join("trace.oracleGeneral.bin"), &records);
    for capacity in [1_000, 20_000] {
        let lru = replay(dir.path(), "lru", capacity);
        let fifo = replay(dir.path(), "fifo", capacity);
        assert_eq!(lru.requests, records.len() as u64);
        assert_eq!(lru.cache_hits + lru.cache_misses, records.len() as u64);
        assert_eq!(
            lru.cache_misses,
            reference_lru(&records, capacity),
            "lru, {capacity} entries"
        );
        assert_eq!(
            fifo.cache_misses,
            reference_fifo(&records, capacity),
            "fifo, {capacity} entries"
        );
        // The policies do differ on this trace, so the comparison can tell them apart.
        assert_ne!(lru.cache_misses, fifo.cache_misses);
    }
}

#[test]
fn replayed_requests_beside_clients_are_all_answered_when_the_backend_is_slow() {
    // A text trace (100 requests/s over 50 objects) beside a synthetic client, with a
    // 50 ms backend: every fetch completes and answers its request, and no more fetches
    // are in flight than the arrival rate allows.
    let dir = tempfile::tempdir().unwrap();
    let ids: String = (0..2_000).map(|i| format!("{}\n", (i * 7) % 50)).collect();
    std::fs::write(dir.path().join("ids.txt"), ids).unwrap();
    let toml = ScenarioText::new("beside")
        .seed(3)
        .duration("30s")
        .ttl(2)
        .then(
            r#"[[resources]]
path = "/objects/{id}"
method = "GET"
cache_key_parameters = ["method.request.path.id"]
response_bytes = 100
backend_latency = "50ms"
[[resources]]
path = "/other/{id}"
method = "GET"
cache_key_parameters = ["method.request.path.id"]
keys = 1000
response_bytes = 100
backend_latency = "50ms"
[principals.p]
[[clients]]
name = "c"
principal = "p"
rate = 50
mix = { "GET /other/{id}" = 1.0 }
[[traces]]
name = "ids"
file = "ids.txt"
format = "text"
rate = 100
resource = "GET /objects/{id}""#,
        )
        .text();
    let scenario = scenario_in(dir.path(), "beside.toml", &toml);
    let out = run(&scenario, 0, &mut |_| {}).unwrap();
    let c = &out.recorder.counts;
    // 2,000 trace records in the first 20 s, and about 1,500 client requests.
    assert!(c.requests > 3_000 && c.requests < 4_000, "{}", c.requests);
    assert_eq!(c.cache_hits + c.cache_misses, c.requests);
    assert_eq!(c.backend_requests, c.cache_misses);
    // Only fetches started in the last 50 ms may still be unanswered at the end.
    let unanswered = c.requests - c.successful;
    assert!(unanswered <= 10, "{unanswered} requests never answered");
    assert!(
        out.recorder.inflight_peak() <= 20,
        "{}",
        out.recorder.inflight_peak()
    );
}

#[test]
fn a_lone_trace_hands_the_event_loop_its_next_record_before_a_fetch_at_the_same_time() {
    // One object requested every 5 ms, a 5 ms backend, no coalescing. The first record
    // is served by the lone-trace loop; its miss must leave the trace's next record
    // queued before the fetch's completion, as the event loop orders them, so the record
    // at 5 ms comes first and misses too. From 10 ms on the object is cached.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ids.txt"), "7\n".repeat(100)).unwrap();
    let toml = ScenarioText::new("lone")
        .seed(3)
        .duration("1s")
        .ttl(60)
        .then(
            r#"[[resources]]
path = "/objects/{id}"
method = "GET"
cache_key_parameters = ["method.request.path.id"]
response_bytes = 100
backend_latency = "5ms"
[principals.p]
[[traces]]
name = "ids"
file = "ids.txt"
format = "text"
rate = 200
resource = "GET /objects/{id}""#,
        )
        .text();
    let scenario = scenario_in(dir.path(), "lone.toml", &toml);
    let c = run(&scenario, 0, &mut |_| {}).unwrap().recorder.counts;
    assert_eq!((c.requests, c.cache_misses, c.cache_hits), (100, 2, 98));
    assert_eq!(c.successful, 100, "every miss answered");
}

/// Whatever the shape of the resource an id trace replays, the feed prepares each record
/// with the parameter values and cache key the general path computes from its id: the id
/// as the only parameter and the key (the feed's shortcut), two parameters derived from
/// the id, and a key that leaves the id out.
#[test]
fn the_feed_prepares_the_keys_the_gateway_computes_for_every_resource_shape() {
    let dir = tempfile::tempdir().unwrap();
    let records = generate(100, 50, 3);
    write_oracle_general(&dir.path().join("trace.oracleGeneral.bin"), &records);
    let shapes = [
        (
            "/objects/{id}",
            r#"cache_key_parameters = ["method.request.path.id"]"#,
        ),
        (
            "/objects/{a}/{b}",
            r#"cache_key_parameters = ["method.request.path.b", "method.request.path.a"]
[[resources.parameters]]
name = "a"
in = "path"
values = 7"#,
        ),
        (
            "/objects/{id}",
            r#"cache_key_parameters = ["method.request.querystring.v"]
[[resources.parameters]]
name = "v"
in = "querystring"
values = 3"#,
        ),
    ];
    for (path, key_spec) in shapes {
        let toml = ScenarioText::new("shapes")
            .duration("1h")
            .ttl(3600)
            .then(&format!(
                r#"[[resources]]
path = "{path}"
method = "GET"
response_bytes = 100
backend_latency = "0ms"
{key_spec}
[principals.reader]
[[traces]]
name = "generated"
file = "trace.oracleGeneral.bin"
format = "oracle_general"
resource = "GET {path}""#
            ))
            .text();
        let scenario = scenario_in(dir.path(), "shapes.toml", &toml);
        let gateway: Gateway<super::Stored> =
            Gateway::new(&scenario.gateway, &scenario.principals).unwrap();
        let model = &scenario.traces[0];
        let mut feed = TraceFeed::open(
            model,
            scenario.end(),
            rng::stream(1, Component::TraceMaxAge, 0),
            &gateway,
            &scenario.resources,
        )
        .unwrap();
        let resource = &scenario.resources[0];
        let mut expected = Vec::new();
        for &(_, id, _) in &records {
            let taken = feed.take().unwrap();
            param_values(resource, id, &mut expected);
            assert_eq!(feed.params(taken.place), &expected[..], "{path}, id {id}");
            assert_eq!(
                taken.cache_key,
                gateway.cache_key(0, &expected),
                "{path}, id {id}"
            );
            feed.refill(&gateway, &scenario.resources).unwrap();
        }
        assert!(feed.take().is_none());
    }
}

/// An ops principal's policy: InvalidateCache allowed on every pet, denied on `deny`.
fn write_allow_pets_deny(dir: &Path, deny: &str) {
    let arn = "arn:aws:execute-api:us-east-1:123456789012:a/s/GET/pets";
    let policy = format!(
        r#"{{"Version": "2012-10-17", "Statement": [
  {{"Effect": "Allow", "Action": "execute-api:InvalidateCache", "Resource": "{arn}/*"}},
  {{"Effect": "Deny", "Action": "execute-api:InvalidateCache", "Resource": "{arn}/{deny}"}}
]}}"#
    );
    std::fs::write(dir.join("ops.json"), policy).unwrap();
}

/// The pets resource under FAIL_WITH_403 with the ops principal of `ops.json`.
fn pets_with_ops(traffic: &str) -> String {
    ScenarioText::new("arns")
        .seed(5)
        .duration("10s")
        .warmup("0s")
        .ttl(300)
        .method_setting(r#"require_authorization_for_cache_control = true"#)
        .method_setting(r#"unauthorized_cache_control_header_strategy = "FAIL_WITH_403""#)
        .then(&format!(
            r#"[[resources]]
path = "/pets/{{petId}}"
method = "GET"
cache_key_parameters = ["method.request.path.petId"]
response_bytes = 100
backend_latency = "0ms"
[principals.ops]
policies = ["ops.json"]
{traffic}"#
        ))
        .text()
}

/// IAM sees the ARN AWS evaluates for replayed access logs: the concrete path without
/// the stage prefix, not a hash of the parameter: Deny on `pets/42` beats Allow on
/// `pets/*` for `/prod/pets/42` only, and Allow on `pets/7` alone allows `/prod/pets/7`.
#[test]
fn replayed_invalidations_are_authorized_on_the_concrete_path() {
    let dir = tempfile::tempdir().unwrap();
    let line = |ms: u64, pet: &str| {
        format!(
            r#"{{"requestTimeEpoch": {ms}, "httpMethod": "GET", "resourcePath": "/pets/{{petId}}", "path": "/prod/pets/{pet}", "cacheControl": "max-age=0"}}"#
        ) + "\n"
    };
    let trace = |pet: &str| -> String { (0..100).map(|i| line(1_000 + i * 10, pet)).collect() };
    let traffic = r#"[[traces]]
name = "logs"
file = "logs.jsonl"
format = "access_log"
principal = "ops"
max_age_zero = { field = "cacheControl", contains = "max-age=0" }"#;
    let counts = |deny: &str, pet: &str| {
        write_allow_pets_deny(dir.path(), deny);
        std::fs::write(dir.path().join("logs.jsonl"), trace(pet)).unwrap();
        let scenario = scenario_in(dir.path(), "arns.toml", &pets_with_ops(traffic));
        run(&scenario, 0, &mut |_| {}).unwrap().recorder.counts
    };
    let c = counts("42", "42");
    assert_eq!(c.requests, 100);
    assert_eq!(
        (c.invalidations_honored, c.invalidations_rejected),
        (0, 100)
    );
    let c = counts("42", "7");
    assert_eq!(
        (c.invalidations_honored, c.invalidations_rejected),
        (100, 0)
    );
}

/// A synthetic key index stands for the concrete value in the path (key 0 of
/// `/pets/{petId}` is `/pets/0`): Deny on `pets/0` rejects every request for it, Deny on
/// `pets/1` none.
#[test]
fn synthetic_invalidations_are_authorized_on_the_key_as_the_concrete_path() {
    let dir = tempfile::tempdir().unwrap();
    let traffic = r#"[[clients]]
name = "c"
principal = "ops"
rate = 50
max_age_zero = 1.0
mix = { "GET /pets/{petId}" = 1.0 }"#;
    let toml = pets_with_ops(traffic).replace(
        "backend_latency = \"0ms\"",
        "backend_latency = \"0ms\"\nkeys = 1",
    );
    let counts = |deny: &str| {
        write_allow_pets_deny(dir.path(), deny);
        let scenario = scenario_in(dir.path(), "arns.toml", &toml);
        run(&scenario, 0, &mut |_| {}).unwrap().recorder.counts
    };
    let c = counts("0");
    assert!(c.requests > 100, "{}", c.requests);
    assert_eq!(
        (c.invalidations_honored, c.invalidations_rejected),
        (0, c.requests)
    );
    let c = counts("1");
    assert_eq!(
        (c.invalidations_honored, c.invalidations_rejected),
        (c.requests, 0)
    );
}

/// An object-id trace's ids that are not numbers are hashed into keys, but IAM sees them
/// as written: Deny on `objects/alpha` rejects exactly the `alpha` records.
#[test]
fn replayed_text_ids_are_authorized_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let arn = "arn:aws:execute-api:us-east-1:123456789012:a/s/GET/objects";
    std::fs::write(
        dir.path().join("ops.json"),
        format!(
            r#"{{"Version": "2012-10-17", "Statement": [
  {{"Effect": "Allow", "Action": "execute-api:InvalidateCache", "Resource": "{arn}/*"}},
  {{"Effect": "Deny", "Action": "execute-api:InvalidateCache", "Resource": "{arn}/alpha"}}
]}}"#
        ),
    )
    .unwrap();
    let ids: String = (0..90)
        .map(|i| ["alpha\n", "beta\n", "7\n"][i % 3])
        .collect();
    std::fs::write(dir.path().join("ids.txt"), ids).unwrap();
    let toml = pets_with_ops(
        r#"[[traces]]
name = "ids"
file = "ids.txt"
format = "text"
rate = 10
principal = "ops"
max_age_zero = 1.0
resource = "GET /objects/{id}""#,
    )
    .replace("/pets/{{petId}}", "/objects/{id}")
    .replace("/pets/{petId}", "/objects/{id}")
    .replace("method.request.path.petId", "method.request.path.id");
    let scenario = scenario_in(dir.path(), "ids.toml", &toml);
    let c = run(&scenario, 0, &mut |_| {}).unwrap().recorder.counts;
    assert_eq!(c.requests, 90);
    assert_eq!(
        (c.invalidations_rejected, c.invalidations_honored),
        (30, 60)
    );
}
