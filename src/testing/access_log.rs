//! A realistic API Gateway access log, generated: what a REST stage's JSON access-log
//! format writes with the default fields and a dozen more (`$context` variables), a
//! nested `identity` object, string escapes (quotes, backslashes, `\u` escapes, a
//! `/` written `\/`), and the timestamp CloudWatch Logs puts before a line exported to S3
//! on some lines. For the reader's benches and differential tests: deterministic from
//! the seed, times non-decreasing.

use std::io::{self, Write};

use rand::{Rng, RngExt, SeedableRng};
use rand_distr::{Distribution, Zipf};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The log's shape.
#[derive(Debug, Clone, Copy)]
pub struct AccessLogShape {
    /// Records.
    pub records: u64,
    /// Seed of every random choice.
    pub seed: u64,
    /// Distinct pets (`GET /pets/{petId}` keys, Zipf 0.9 over them).
    pub pets: u64,
    /// Requests per second of log time.
    pub rate: u64,
}

impl Default for AccessLogShape {
    fn default() -> Self {
        AccessLogShape {
            records: 100_000,
            seed: 2026,
            pets: 100_000,
            rate: 1_000,
        }
    }
}

/// The principals the log's callers sign as (`identity.userArn`, as JSON decodes it;
/// the third is written with its slashes escaped, `\/`): most callers are anonymous.
pub const USER_ARNS: [&str; 3] = [
    "arn:aws:iam::123456789012:user/ops",
    "arn:aws:sts::123456789012:assumed-role/partner/session-1",
    "arn:aws:iam::123456789012:user/mobile/app",
];

/// The scenario fields that map this log: time, method, paths, principal and response
/// length, and the `Cache-Control` rule, as `[traces.fields]` and `max_age_zero` lines.
pub const FIELDS: &str = r#"max_age_zero = { field = "cacheControl", contains = "max-age=0" }
[traces.fields]
time = "requestTimeEpoch"
method = "httpMethod"
resource_path = "resourcePath"
path = "path"
principal = "identity.userArn"
response_length = "responseLength""#;

/// Writes the log to `out`.
pub fn write_access_log(shape: &AccessLogShape, out: &mut impl Write) -> io::Result<()> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(shape.seed);
    let zipf = Zipf::new(shape.pets.max(1) as f64, 0.9).map_err(io::Error::other)?;
    let start_ms: u64 = 1_764_000_000_000;
    let mut line = String::with_capacity(1024);
    for i in 0..shape.records {
        line.clear();
        let ms = start_ms + i * 1000 / shape.rate.max(1);
        let pet = zipf.sample(&mut rng) as u64;
        let (method, resource, path) = match rng.random_range(0..100u32) {
            0..=84 => ("GET", "/pets/{petId}", format!("/prod/pets/{pet}")),
            85..=94 => (
                "GET",
                "/pets",
                format!("/prod/pets?page={}", rng.random_range(1..20u32)),
            ),
            _ => ("POST", "/pets", "/prod/pets".to_owned()),
        };
        let who = rng.random_range(0..100u32);
        let user_arn = match who {
            0..=1 => USER_ARNS[0].to_owned(),
            2..=9 => USER_ARNS[1].to_owned(),
            10..=11 => USER_ARNS[2].replace('/', "\\/"),
            _ => "-".to_owned(),
        };
        if rng.random_range(0..4u32) == 0 {
            // CloudWatch Logs' export prefix.
            let secs = ms / 1000;
            let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
            line.push_str(&format!(
                "2025-11-24T{h:02}:{m:02}:{s:02}.{:03}Z ",
                ms % 1000
            ));
        }
        let status = if rng.random_range(0..200u32) == 0 {
            "502"
        } else {
            "200"
        };
        let latency = rng.random_range(5..400u32);
        let ip = format!(
            "{}.{}.{}.{}",
            rng.random_range(1..224u32),
            rng.random_range(0..256u32),
            rng.random_range(0..256u32),
            rng.random_range(1..255u32)
        );
        let agent = match rng.random_range(0..3u32) {
            0 => r#"Mozilla/5.0 (X11; Linux x86_64) \"Gecko\" caf\u00e9"#,
            1 => r"okhttp/4.12.0",
            _ => r"aws-sdk-java/2.25.1 Linux\\5.10 \/ Java_HotSpot",
        };
        let cache_control = if rng.random_range(0..50u32) == 0 {
            "no-cache, max-age=0"
        } else {
            "-"
        };
        let request_id = rng.next_u64();
        line.push_str(&format!(
            concat!(
                r#"{{"requestId":"{:016x}-5f6a-4c1e-9d2b-{:012x}","extendedRequestId":"Qx{:08x}=","#,
                r#""ip":"{ip}","caller":"-","user":"-","requestTime":"24/Nov/2025:16:00:00 +0000","#,
                r#""requestTimeEpoch":{ms},"httpMethod":"{method}","resourcePath":"{resource}","#,
                r#""path":"{path}","status":"{status}","protocol":"HTTP/1.1","#,
                r#""responseLength":"{len}","integrationLatency":"{lat}","responseLatency":"{rlat}","#,
                r#""integrationStatus":"{status}","domainName":"api.example.com","apiId":"a1b2c3d4e5","#,
                r#""stage":"prod","userAgent":"{agent}","cacheControl":"{cache}","#,
                r#""identity":{{"sourceIp":"{ip}","caller":"-","accountId":"123456789012","#,
                r#""userArn":"{arn}","userAgent":"{agent}","cognitoIdentityId":null}},"#,
                r#""error":{{"message":"-","responseType":"-"}},"xrayTraceId":"1-674f2a00-{xray:024x}","#,
                r#""wafResponseCode":"-","authorizerLatency":null}}"#
            ),
            request_id,
            request_id >> 16,
            request_id as u32,
            ip = ip,
            ms = ms,
            method = method,
            resource = resource,
            path = path,
            status = status,
            len = rng.random_range(200..20_000u32),
            lat = latency,
            rlat = latency + rng.random_range(1..20u32),
            agent = agent,
            cache = cache_control,
            arn = user_arn,
            xray = u128::from(rng.next_u64()) << 32 | u128::from(rng.next_u32()),
        ));
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_is_json_after_its_optional_prefix_and_times_do_not_go_back() {
        let mut out = Vec::new();
        let shape = AccessLogShape {
            records: 2_000,
            ..AccessLogShape::default()
        };
        write_access_log(&shape, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut last = 0;
        let mut prefixed = 0;
        for line in text.lines() {
            let json = match line.find('{') {
                Some(0) => line,
                Some(i) => {
                    prefixed += 1;
                    &line[i..]
                }
                None => panic!("{line}"),
            };
            let v: serde_json::Value =
                serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
            let t = v["requestTimeEpoch"].as_u64().unwrap();
            assert!(t >= last);
            last = t;
            assert!(v["identity"]["userArn"].is_string());
        }
        assert_eq!(text.lines().count(), 2_000);
        assert!((300..700).contains(&prefixed), "{prefixed}");
        assert!(text.contains(r"user\/mobile\/app") && text.contains(r#"\"Gecko\""#));
    }
}
