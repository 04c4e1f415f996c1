//! Scenario files that name data files (rate profiles, popularity) and scale their
//! clients: what loads, what each configuration gets, and every problem located.

use std::path::Path;

use super::{Popularity, Rate, Study};

const HEAD: &str = r#"name = "t"
seed = 1
duration = "1m"
[api]
region = "us-east-1"
account = "123456789012"
api_id = "a"
stage = "s"
[stage]
cache_cluster_enabled = true
cache_cluster_size = "0.5"
[stage.method_settings."*/*"]
caching_enabled = true
cache_ttl_in_seconds = 60
[principals.p]
[[resources]]
path = "/items/{id}"
method = "GET"
cache_key_parameters = ["method.request.path.id"]
response_bytes = 100
backend_latency = "0ms"
"#;

fn study(dir: &Path, body: &str) -> Result<Study, String> {
    let path = dir.join("s.toml");
    Study::parse(&path, format!("{HEAD}{body}").as_bytes()).map_err(|e| e.to_string())
}

const CLIENTS: &str = r#"
[[clients]]
name = "app"
principal = "p"
rate = 10
mix = { "GET /items/{id}" = 1.0 }
[[clients]]
name = "bot"
principal = "p"
rate = { profile = [{ start = "0s", rate = 5 }, { start = "30s", rate = 50 }], repeat = "1m" }
mix = { "GET /items/{id}" = 1.0 }
"#;

#[test]
fn a_sweep_and_a_variant_scale_every_client() {
    let dir = tempfile::tempdir().unwrap();
    let s = study(
        dir.path(),
        &format!("keys = 10\n{CLIENTS}\n[sweep]\n\"clients.*.rate_scale\" = [1, 2, 4]\n"),
    )
    .unwrap();
    let scales: Vec<Vec<f64>> = s
        .configurations
        .iter()
        .map(|c| c.scenario.clients.iter().map(|c| c.rate_scale).collect())
        .collect();
    assert_eq!(scales, [[1.0, 1.0], [2.0, 2.0], [4.0, 4.0]]);
    assert_eq!(s.configurations[1].name, "rate_scale=2");
    let bot = &s.configurations[2].scenario.clients[1];
    assert!(matches!(bot.rate, Rate::Profile(_)));
    // 30 s at 5/s and 30 s at 50/s, times 4.
    let end = s.configurations[2].scenario.end();
    assert_eq!(
        bot.expected_requests(crate::time::SimTime::ZERO, end),
        4.0 * 1650.0
    );
    // A variant: every client, or one by name.
    let s = study(
        dir.path(),
        &format!(
            "keys = 10\n{CLIENTS}\n[[variants]]\nname = \"now\"\n[[variants]]\nname = \"double\"\nclients.\"*\".rate_scale = 2\n[[variants]]\nname = \"bot-only\"\nclients.bot.rate_scale = 3\n"
        ),
    )
    .unwrap();
    let scales: Vec<Vec<f64>> = s
        .configurations
        .iter()
        .map(|c| c.scenario.clients.iter().map(|c| c.rate_scale).collect())
        .collect();
    assert_eq!(scales, [[1.0, 1.0], [2.0, 2.0], [1.0, 3.0]]);
    assert_eq!(
        s.configurations[1].changes,
        ["clients.\"*\".rate_scale = 2"]
    );
    // A name the file does not declare, and a bad scale, are located.
    let err = study(
        dir.path(),
        &format!(
            "keys = 10\n{CLIENTS}\n[[variants]]\nname = \"x\"\nclients.nobody.rate_scale = 2\n[sweep]\n\"clients.*.rate_scale\" = [-1]\n"
        ),
    )
    .unwrap_err();
    assert!(
        err.contains("variant `x`: `clients.nobody` selects no element"),
        "{err}"
    );
    assert!(
        err.contains("rate_scale: must be a number >= 0, got -1"),
        "{err}"
    );
}

#[test]
fn data_files_load_once_and_their_problems_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write(
        "pop.csv",
        "key,weight\n/items/a,5\n/items/b,1\n/items/c,0\n",
    );
    write("rate.csv", "start,rate\n0,2\n1h,4\n");
    let body = r#"popularity = { empirical = "pop.csv" }
[[clients]]
name = "c"
principal = "p"
rate = { profile = "rate.csv", repeat = "2h", offset = "1h" }
mix = { "GET /items/{id}" = 1.0 }
"#;
    let s = study(dir.path(), body).unwrap();
    let base = s.base();
    assert_eq!(base.resources[0].keys, 3);
    match &base.resources[0].popularity {
        Popularity::Empirical { weights, file } => {
            assert_eq!(**weights, [5.0, 1.0, 0.0]);
            assert!(file.path.ends_with("pop.csv"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(base.inputs.len(), 2);
    assert_eq!(base.clients[0].rate.peak(), 4.0);
    // Problems in the files: each with the file and line, all of them.
    write("pop.csv", "key,weight\n/items/a,x\n/items/a,1\n,2\n");
    write("rate.csv", "start,rate\n5,2\n1h,-4\nsoon,1\n");
    let err = study(dir.path(), body).unwrap_err();
    let full = format!("{HEAD}{body}");
    let line = |needle: &str| full.lines().position(|l| l.starts_with(needle)).unwrap() + 1;
    for expected in [
        format!(
            "s.toml:{}:14: resources[0].popularity: ",
            line("popularity")
        ),
        "pop.csv:2: weight: expected a number >= 0, got \"x\"".into(),
        "pop.csv:3: key: `/items/a` is listed twice".into(),
        "pop.csv:4: key: required".into(),
        format!("s.toml:{}:8: clients[0].rate: ", line("rate =")),
        "rate.csv:3: rate: must be >= 0, got -4".into(),
        "rate.csv:4: start: ".into(),
    ] {
        assert!(err.contains(&expected), "{expected}\n{err}");
    }
    // Not the columns asked for; steps out of order; a key count that disagrees.
    write("pop.csv", "name,count\na,1\n");
    write("rate.csv", "start,rate\n0,1\n2h,1\n1h,1\n");
    let err = study(dir.path(), &format!("keys = 7\n{body}")).unwrap_err();
    for expected in [
        "pop.csv:1: the header has no `key` column (each key's name); it has `name`, `count`",
        "pop.csv:1: the header has no `weight` column",
        "rate.csv:4: steps must start in increasing order: 3600s is not after 7200s",
    ] {
        assert!(err.contains(expected), "{expected}\n{err}");
    }
    write("pop.csv", "key,weight\na,1\nb,1\n");
    write("rate.csv", "start,rate\n0,1\n");
    let err = study(dir.path(), &format!("keys = 7\n{body}")).unwrap_err();
    assert!(
        err.contains("resources[0].keys: 7 keys, but the popularity file"),
        "{err}"
    );
    assert!(err.contains("has 2: leave `keys` out"), "{err}");
    // Missing files; a profile too fast at its peak once scaled.
    std::fs::remove_file(dir.path().join("pop.csv")).unwrap();
    write("rate.csv", "start,rate\n0,1\n60,6000000\n");
    let err = study(dir.path(), &body.replace("mix", "rate_scale = 2\nmix")).unwrap_err();
    assert!(err.contains("pop.csv: no such file or directory"), "{err}");
    assert!(
        err.contains("must be at most 1e7 requests a second (split a larger load over several clients), got 12000000 at its peak (rate_scale 2)"),
        "{err}"
    );
}

#[test]
fn a_client_whose_profile_is_zero_in_the_measured_time_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let s = study(
        dir.path(),
        r#"keys = 5
[[clients]]
name = "night"
principal = "p"
rate = { profile = [{ start = "0s", rate = 0 }, { start = "2h", rate = 5 }], repeat = "24h" }
mix = { "GET /items/{id}" = 1.0 }
[[clients]]
name = "off"
principal = "p"
rate = 5
rate_scale = 0
mix = { "GET /items/{id}" = 1.0 }
"#,
    )
    .unwrap();
    let w = s.warnings();
    assert!(
        w.iter().any(|w| w.contains("client `night` sends nothing in the measured time (0s to 60s): its rate profile is 0 there")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|w| w.contains("client `off` sends nothing") && w.contains("rate_scale is 0")),
        "{w:?}"
    );
}
