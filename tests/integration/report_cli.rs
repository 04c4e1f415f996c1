//! The report a user opens: `report.html` self-contained with the verdict, table, checks
//! and plots; the plots as SVG and PNG, readable (titles, legends, text drawn with the
//! bundled font).

use std::path::Path;

use predicates::str::contains;

use crate::run_cli::{cachegate, edited, run_strategies};

/// Five minutes of `strategies.toml`, two of them under the attack, so that
/// `no-authorization` fails `backend_rps_peak <= 300`.
fn run_attack(out: &Path) {
    cachegate()
        .args([
            "run",
            "scenarios/strategies.toml",
            "--duration",
            "5m",
            "--replications",
            "2",
            "--quiet",
            "--out",
        ])
        .arg(out)
        .assert()
        .code(1)
        .stdout(contains("FAIL no-authorization: backend_rps_peak <= 300"));
}

#[test]
fn report_html_is_self_contained_and_ranks_the_passing_configurations() {
    let dir = tempfile::tempdir().unwrap();
    run_attack(dir.path());
    let report = dir.path().join("strategies");
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
    // Nothing is fetched: no scripts, styles or images from elsewhere. The only URL is
    // the SVG namespace, which browsers do not fetch.
    for banned in ["<script", "<link", "<img", "src=", "url("] {
        assert!(!html.contains(banned), "{banned}");
    }
    assert_eq!(
        html.matches("http").count(),
        html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
    );
    // Every plot is inline, and on disk as SVG and PNG.
    let svgs: Vec<String> = std::fs::read_dir(report.join("plots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".svg"))
        .collect();
    assert_eq!(html.matches("<svg").count(), svgs.len());
    for stem in [
        "hit-rate",
        "backend-load",
        "staleness-cdf",
        "compare-backend_rps_peak",
        "compare-hit_rate",
    ] {
        assert!(svgs.contains(&format!("{stem}.svg")), "{stem}: {svgs:?}");
        assert!(report.join(format!("plots/{stem}.png")).exists(), "{stem}");
        assert!(html.contains(&format!("<figure id=\"{stem}\">")), "{stem}");
    }
    // The verdict: three of four pass; FAIL_WITH_403 protects the backend best, and the
    // order used is stated.
    assert!(html.contains("<p>3 of 4 configuration(s) pass every check.</p>"));
    assert!(html.contains("ordered by <code>lowest backend_rps_peak</code>, then"));
    let ranked = &html[html.find("<ol>").unwrap()..html.find("</ol>").unwrap()];
    let first = ranked.find("<li value=\"1\"><strong>").unwrap();
    assert!(
        ranked[first..].starts_with("<li value=\"1\"><strong>fail-403</strong>"),
        "{ranked}"
    );
    assert!(!ranked.contains("no-authorization"));
    assert!(html.contains(
        "<li><strong>no-authorization</strong>: <code>backend_rps_peak &lt;= 300</code>"
    ));
    // What each configuration changes, the checks table, the assumptions.
    assert!(html.contains("<code>stage.method_settings.&quot;*/*&quot;.require_authorization_for_cache_control = false</code>"));
    assert!(html.contains("<span class=\"fail\">FAIL</span>"));
    assert!(html.contains("<h2>Assumptions in force</h2>"));
    // The table marks significant differences by direction: turning authorization off
    // raises the backend peak (worse), FAIL_WITH_403 lowers it (better).
    let row = |name: &str| {
        let start = html
            .find(&format!("<tr><td>{name}</td><td class=\"n\">"))
            .unwrap();
        html[start..start + html[start..].find("</tr>").unwrap()].to_owned()
    };
    assert!(row("no-authorization").contains("<span class=\"diff worse\">+"));
    assert!(row("fail-403").contains("<span class=\"diff better\">-"));
}

/// Width, height and whether any pixel of rows `ys` and columns `xs` is dark.
fn png_facts(path: &Path, xs: std::ops::Range<u32>, ys: std::ops::Range<u32>) -> (u32, u32, bool) {
    let png = resvg::tiny_skia::Pixmap::decode_png(&std::fs::read(path).unwrap()).unwrap();
    let dark = ys
        .flat_map(|y| xs.clone().map(move |x| (x, y)))
        .any(|(x, y)| {
            png.pixel(x, y)
                .is_some_and(|p| p.red() < 90 && p.green() < 90 && p.blue() < 90)
        });
    (png.width(), png.height(), dark)
}

#[test]
fn plots_have_titles_legends_and_text_in_the_png() {
    let dir = tempfile::tempdir().unwrap();
    run_strategies(dir.path(), &[]).code(0);
    let plots = dir.path().join("strategies/plots");
    let svg = std::fs::read_to_string(plots.join("backend-load.svg")).unwrap();
    for text in [
        "Backend load over time",
        "backend requests/s",
        "time after warm-up (s)",
        "warning-header",
        "fail-403",
        "silent",
        "no-authorization",
    ] {
        assert!(svg.contains(text), "{text}");
    }
    // The PNG is drawn with the bundled font: its title band holds dark (text) pixels,
    // and the margin above it none.
    let png = plots.join("backend-load.png");
    assert_eq!(png_facts(&png, 200..700, 8..36), (1000, 520, true));
    assert!(!png_facts(&png, 0..1000, 0..4).2);
    let cdf = std::fs::read_to_string(plots.join("staleness-cdf.svg")).unwrap();
    assert!(cdf.contains("Staleness of stale responses (CDF)") && cdf.contains("staleness (s)"));
    let compare = std::fs::read_to_string(plots.join("compare-hit_rate.svg")).unwrap();
    assert!(compare.contains("Hit rate, by configuration"));
}

#[test]
fn rank_by_sets_the_verdict_order_and_is_validated() {
    let dir = tempfile::tempdir().unwrap();
    let checks = "checks = [\"backend_rps_peak <= 300\", \"stale_fraction <= 0.2\"]";
    let policy = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/policies/ops-invalidate.json"
    );
    let (bad, _) = edited(
        dir.path(),
        "bad.toml",
        "scenarios/strategies.toml",
        &[
            (checks, "rank_by = [\"highest hit_rate\", \"best cost\"]"),
            ("policies/ops-invalidate.json", policy),
        ],
    );
    cachegate()
        .arg("validate")
        .arg(&bad)
        .assert()
        .code(1)
        .stdout(contains(
            "bad.toml:15:32: rank_by[1]: expected \"lowest METRIC\" or \"highest METRIC\"",
        ));
    let (good, _) = edited(
        dir.path(),
        "good.toml",
        "scenarios/strategies.toml",
        &[
            (checks, "rank_by = [\"highest hit_rate\"]"),
            ("policies/ops-invalidate.json", policy),
        ],
    );
    cachegate()
        .arg("validate")
        .arg(&good)
        .assert()
        .code(0)
        .stdout(contains("verdict order: highest hit_rate\n"));
    cachegate()
        .arg("run")
        .arg(&good)
        .args([
            "--duration",
            "5m",
            "--replications",
            "2",
            "--quiet",
            "--out",
        ])
        .arg(dir.path().join("out"))
        .assert()
        .code(0);
    let html = std::fs::read_to_string(dir.path().join("out/strategies/report.html")).unwrap();
    assert!(html.contains("The scenario sets no checks, so every configuration is ranked."));
    let ranked = &html[html.find("<ol>").unwrap()..html.find("</ol>").unwrap()];
    let order: Vec<&str> = ranked
        .split("\"><strong>")
        .skip(1)
        .map(|s| &s[..s.find("</strong>").unwrap()])
        .collect();
    // Under the attack FAIL_WITH_403 answers the scraper with 403s, which are neither
    // hits nor misses, and turning authorization off turns its requests into misses.
    assert_eq!(
        order,
        ["warning-header", "silent", "fail-403", "no-authorization"]
    );
}

/// `compare` pairs replications only when the runs drew the same traffic: different
/// simulated times are not paired, different scenario files are paired with a warning.
#[test]
fn compare_pairs_only_runs_of_the_same_traffic_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let run = |out: &str, scenario: &Path, duration: &str| {
        cachegate()
            .args([
                "run",
                "--quiet",
                "--replications",
                "2",
                "--duration",
                duration,
                "--out",
            ])
            .arg(dir.path().join(out))
            .arg(scenario)
            .assert()
            .code(0);
        dir.path().join(out).join("pets-cache-busting")
    };
    let pets = Path::new("scenarios/pets.toml");
    let a = run("a", pets, "1m");
    let b = run("b", pets, "2m");
    let out = cachegate().arg("compare").arg(&a).arg(&b).assert().code(0);
    let out = out
        .stderr(contains("the runs simulated different times"))
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.lines().skip(1).all(|l| l.contains(",false,")),
        "{text}"
    );
    // Another file, the same traffic: paired, with a warning.
    let (other, _) = crate::run_cli::edited(
        dir.path(),
        "pets.toml",
        "scenarios/pets.toml",
        &[("cache_ttl_in_seconds = 300", "cache_ttl_in_seconds = 600")],
    );
    std::fs::create_dir_all(dir.path().join("policies")).unwrap();
    std::fs::copy(
        "scenarios/policies/ops-invalidate.json",
        dir.path().join("policies/ops-invalidate.json"),
    )
    .unwrap();
    let c = run("c", &other, "1m");
    let out = cachegate()
        .arg("compare")
        .arg(&a)
        .arg(&c)
        .assert()
        .code(0)
        .stderr(contains("the runs are of different scenario files"))
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.lines().skip(1).all(|l| l.contains(",true,")), "{text}");
}

/// Configurations equal on every ranking key share a place and say so; the key metrics
/// come in tables narrow enough for a laptop's screen.
#[test]
fn ties_are_named_and_tables_stay_narrow() {
    let dir = tempfile::tempdir().unwrap();
    run_strategies(dir.path(), &[]).code(0);
    let html = std::fs::read_to_string(dir.path().join("strategies/report.html")).unwrap();
    // One minute ends before the attack starts: the four strategies are identical.
    assert!(html.contains(
        "<li value=\"1\"><strong>warning-header</strong> (baseline) <em>(tied with fail-403, silent, no-authorization)</em>"
    ));
    assert_eq!(html.matches("<li value=\"1\">").count(), 4);
    for row in html.split("<tr>").skip(1) {
        let row = row.split("</tr>").next().unwrap();
        let cells = row.matches("<th").count() + row.matches("<td").count();
        assert!(cells <= 5, "a row of {cells} cells: {row}");
    }
}
