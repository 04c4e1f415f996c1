//! Scenario text for tests and benches, built by name rather than copied: the API
//! identity (`us-east-1`, account `123456789012`, API `a`, stage `s`) and a cached stage
//! (0.5 GB cluster, `*/*` caching with the TTL given), then the fields each test varies
//! and its own sections. Built only for tests and benches (the `testing` feature).

use std::fmt::Write as _;

/// A scenario file's text, built field by field.
///
/// ```
/// use cachegate::scenario::Scenario;
/// use cachegate::testing::ScenarioText;
///
/// let text = ScenarioText::new("doc")
///     .duration("10s")
///     .ttl(60)
///     .model("capacity_entries = 100")
///     .then(ScenarioText::RESOURCE_OBJECTS)
///     .then("[principals.reader]\n[[clients]]\nname = \"c\"\nprincipal = \"reader\"\nrate = 10\nmix = { \"GET /objects/{id}\" = 1.0 }")
///     .text();
/// let s = Scenario::parse("doc.toml".as_ref(), text.as_bytes()).unwrap();
/// assert_eq!(s.resources[0].keys, 1_000);
/// ```
#[derive(Debug, Clone)]
pub struct ScenarioText {
    name: String,
    seed: u64,
    duration: String,
    warmup: Option<String>,
    window: Option<String>,
    ttl: u64,
    method_settings: Vec<String>,
    model: Vec<String>,
    sections: Vec<String>,
}

impl ScenarioText {
    /// `GET /objects/{id}`, keyed on `id`, 1,000 keys, 100-byte responses, a backend that
    /// answers at once.
    pub const RESOURCE_OBJECTS: &str = r#"[[resources]]
path = "/objects/{id}"
method = "GET"
cache_key_parameters = ["method.request.path.id"]
keys = 1_000
response_bytes = 100
backend_latency = "0ms""#;

    /// A scenario named `name`: seed 1, one minute measured, no warm-up, TTL 300 s.
    pub fn new(name: &str) -> ScenarioText {
        ScenarioText {
            name: name.to_owned(),
            seed: 1,
            duration: "1m".to_owned(),
            warmup: None,
            window: None,
            ttl: 300,
            method_settings: Vec::new(),
            model: Vec::new(),
            sections: Vec::new(),
        }
    }

    /// The seed.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> ScenarioText {
        self.seed = seed;
        self
    }

    /// The measured duration, e.g. `"2h"`.
    #[must_use]
    pub fn duration(mut self, duration: &str) -> ScenarioText {
        self.duration = duration.to_owned();
        self
    }

    /// The warm-up, e.g. `"30s"`.
    #[must_use]
    pub fn warmup(mut self, warmup: &str) -> ScenarioText {
        self.warmup = Some(warmup.to_owned());
        self
    }

    /// The time-series window, e.g. `"20s"`.
    #[must_use]
    pub fn window(mut self, window: &str) -> ScenarioText {
        self.window = Some(window.to_owned());
        self
    }

    /// The stage-wide `cache_ttl_in_seconds`.
    #[must_use]
    pub fn ttl(mut self, seconds: u64) -> ScenarioText {
        self.ttl = seconds;
        self
    }

    /// One more line of the stage-wide method setting, e.g.
    /// `unauthorized_cache_control_header_strategy = "FAIL_WITH_403"`.
    #[must_use]
    pub fn method_setting(mut self, line: &str) -> ScenarioText {
        self.method_settings.push(line.to_owned());
        self
    }

    /// One more line of `[model]`, e.g. `capacity_entries = 100_000`.
    #[must_use]
    pub fn model(mut self, line: &str) -> ScenarioText {
        self.model.push(line.to_owned());
        self
    }

    /// Appends sections as written: resources, principals, clients, traces, events.
    #[must_use]
    pub fn then(mut self, sections: &str) -> ScenarioText {
        self.sections.push(sections.to_owned());
        self
    }

    /// The file's text.
    pub fn text(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(t, "name = \"{}\"\nseed = {}", self.name, self.seed);
        let _ = writeln!(t, "duration = \"{}\"", self.duration);
        for (key, value) in [("warmup", &self.warmup), ("window", &self.window)] {
            if let Some(v) = value {
                let _ = writeln!(t, "{key} = \"{v}\"");
            }
        }
        t.push_str(
            "[api]\nregion = \"us-east-1\"\naccount = \"123456789012\"\napi_id = \"a\"\nstage = \"s\"\n\
             [stage]\ncache_cluster_enabled = true\ncache_cluster_size = \"0.5\"\n\
             [stage.method_settings.\"*/*\"]\ncaching_enabled = true\n",
        );
        let _ = writeln!(t, "cache_ttl_in_seconds = {}", self.ttl);
        for line in &self.method_settings {
            let _ = writeln!(t, "{line}");
        }
        if !self.model.is_empty() {
            t.push_str("[model]\n");
            for line in &self.model {
                let _ = writeln!(t, "{line}");
            }
        }
        for section in &self.sections {
            let _ = writeln!(t, "{section}");
        }
        t
    }
}

mod access_log;

pub use access_log::{AccessLogShape, FIELDS as ACCESS_LOG_FIELDS, USER_ARNS, write_access_log};
