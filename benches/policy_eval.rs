//! Policy evaluation: the seed policy against a bare `==` on the ARN (the floor any check
//! must pay), and a realistic 20-statement policy, compiled engine against the reference.

use std::hint::black_box;

use cachegate::policy::{Context, Decision, PolicyDocument, PolicySet, reference};
use criterion::{Criterion, Throughput, criterion_group};

const INVALIDATE: &str = "execute-api:InvalidateCache";
const SEED: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["execute-api:InvalidateCache"],"Resource":["arn:aws:execute-api:region:account-id:api-id/stage-name/GET/resource-path-specifier"]}]}"#;
const SEED_ARN: &str =
    "arn:aws:execute-api:region:account-id:api-id/stage-name/GET/resource-path-specifier";
const SEED_MISS: &str =
    "arn:aws:execute-api:region:account-id:api-id/stage-name/GET/resource-path-specifiex";
const REALISTIC: &str = include_str!("data/realistic-20.json");

fn load(text: &str) -> (PolicyDocument, PolicySet) {
    let doc = PolicyDocument::parse("bench", text.as_bytes()).expect("bench policy is valid");
    let mut set = PolicySet::new();
    set.add("bench", &doc);
    (doc, set)
}

fn seed(c: &mut Criterion) {
    let (doc, set) = load(SEED);
    let narrowed = set.for_action(INVALIDATE);
    let docs = [doc];
    let ctx = Context::new();
    // An ARN with the same length and contents, in its own allocation, so `==` must compare.
    let arn = String::from(SEED_ARN);
    let mut g = c.benchmark_group("policy/seed");
    g.throughput(Throughput::Elements(1));
    g.bench_function("baseline_string_eq", |b| {
        b.iter(|| black_box(arn.as_str()) == black_box(SEED_ARN))
    });
    g.bench_function("compiled/match", |b| {
        b.iter(|| set.decide(black_box(INVALIDATE), black_box(&arn), &ctx))
    });
    g.bench_function("compiled/no_match", |b| {
        b.iter(|| set.decide(black_box(INVALIDATE), black_box(SEED_MISS), &ctx))
    });
    g.bench_function("narrowed/match", |b| {
        b.iter(|| narrowed.decide(black_box(&arn), &ctx))
    });
    g.bench_function("reference/match", |b| {
        b.iter(|| reference::evaluate(&docs, black_box(INVALIDATE), black_box(&arn), &ctx))
    });
    g.finish();
}

fn realistic(c: &mut Criterion) {
    let (doc, set) = load(REALISTIC);
    let docs = [doc];
    let ctx = Context::new()
        .with("aws:SourceIp", "203.0.113.9")
        .with("aws:PrincipalTag/team", "ops");
    let base = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET";
    // An allow found late, an explicit deny, and an implicit deny after every statement.
    let cases = [
        ("allow", format!("{base}/teams/blue")),
        ("explicit_deny", format!("{base}/pets")),
        ("implicit_deny", format!("{base}/orders/42")),
    ];
    let expected = [
        Decision::Allow,
        Decision::ExplicitDeny,
        Decision::ImplicitDeny,
    ];
    for ((name, arn), want) in cases.iter().zip(expected) {
        assert_eq!(set.decide(INVALIDATE, arn, &ctx), want, "bench case {name}");
    }
    let mut g = c.benchmark_group("policy/realistic-20");
    g.throughput(Throughput::Elements(1));
    for (name, arn) in &cases {
        g.bench_function(format!("compiled/{name}"), |b| {
            b.iter(|| set.decide(black_box(INVALIDATE), black_box(arn), &ctx))
        });
        g.bench_function(format!("reference/{name}"), |b| {
            b.iter(|| reference::evaluate(&docs, black_box(INVALIDATE), black_box(arn), &ctx))
        });
    }
    g.finish();
}

criterion_group!(benches, seed, realistic);
