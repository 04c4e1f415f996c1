//! A request rate over time, from record times in one pass: counts per minute from the
//! first record's UTC midnight (4 bytes a minute whatever the number of records), the
//! busiest second exactly (per-second counts over a sliding hour, so records out of order
//! by up to an hour still count), and from the minute counts, a profile per window over
//! the logs' span (from its first minute) or, across several days, the average day.

/// Seconds of the sliding window of per-second counts.
const RING: u64 = 4096;
const MINUTE_US: u64 = 60_000_000;
const DAY_MINUTES: u64 = 1_440;

/// Request times of one stream (all requests, a resource's, a principal's).
#[derive(Debug, Clone)]
pub struct RateStats {
    /// Records counted.
    pub count: u64,
    /// First record time (epoch µs).
    pub first_us: u64,
    /// Last record time (epoch µs).
    pub last_us: u64,
    /// Minute of `minutes[0]` (epoch minutes, a UTC midnight).
    origin_min: u64,
    minutes: Vec<u32>,
    /// Per-second counts of the last `RING` seconds, and the newest second.
    ring: Vec<u32>,
    newest: Option<u64>,
    /// The busiest second so far: requests and epoch second.
    pub busiest: (u64, u64),
    /// Records more than `RING` seconds before a later one (not in `busiest`).
    pub late: u64,
}

impl Default for RateStats {
    fn default() -> Self {
        RateStats {
            count: 0,
            first_us: u64::MAX,
            last_us: 0,
            origin_min: 0,
            minutes: Vec::new(),
            ring: vec![0; RING as usize],
            newest: None,
            busiest: (0, 0),
            late: 0,
        }
    }
}

/// A rate profile: steps of `window` seconds from `origin_us`, each `(start_s, rate)`
/// with `start_s` from the origin.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Profile {
    /// Seconds a step lasts.
    pub window_s: u64,
    /// Epoch µs of the first step's start (a UTC midnight for a daily profile).
    pub origin_us: u64,
    /// Whether it is the average day (repeating every 24 h).
    pub daily: bool,
    /// `(start seconds from the origin, requests a second)`.
    pub steps: Vec<(u64, f64)>,
}

impl RateStats {
    /// Counts a record at epoch µs `us`.
    pub fn add(&mut self, us: u64) {
        self.count += 1;
        self.first_us = self.first_us.min(us);
        self.last_us = self.last_us.max(us);
        let minute = us / MINUTE_US;
        if self.minutes.is_empty() {
            self.origin_min = minute / DAY_MINUTES * DAY_MINUTES;
        }
        if minute < self.origin_min {
            // Earlier than every record so far: whole days in front.
            let days = (self.origin_min - minute).div_ceil(DAY_MINUTES);
            let mut grown = vec![0u32; (days * DAY_MINUTES) as usize];
            grown.extend_from_slice(&self.minutes);
            self.minutes = grown;
            self.origin_min -= days * DAY_MINUTES;
        }
        let i = (minute - self.origin_min) as usize;
        if i >= self.minutes.len() {
            self.minutes.resize(i + 1, 0);
        }
        self.minutes[i] = self.minutes[i].saturating_add(1);
        self.second(us / 1_000_000);
    }

    fn second(&mut self, s: u64) {
        let newest = *self.newest.get_or_insert(s);
        if s > newest {
            // Seconds leaving the window are final.
            for t in (newest + 1..=s).take(RING as usize) {
                let slot = (t % RING) as usize;
                self.close(t.wrapping_sub(RING), slot);
            }
            self.newest = Some(s);
        } else if s + RING <= newest {
            self.late += 1;
            return;
        }
        self.ring[(s % RING) as usize] += 1;
    }

    fn close(&mut self, second: u64, slot: usize) {
        let n = u64::from(self.ring[slot]);
        if n > self.busiest.0 || (n == self.busiest.0 && n > 0 && second < self.busiest.1) {
            self.busiest = (n, second);
        }
        self.ring[slot] = 0;
    }

    /// Closes the seconds still in the window (call once, after the last record).
    pub fn finish(&mut self) {
        if let Some(newest) = self.newest {
            for t in newest.saturating_sub(RING - 1)..=newest {
                self.close(t, (t % RING) as usize);
            }
        }
    }

    /// Seconds from the first record to the last (at least 1).
    pub fn span_s(&self) -> f64 {
        ((self.last_us.saturating_sub(self.first_us)) as f64 / 1e6).max(1.0)
    }

    /// Requests a second over the span.
    pub fn mean_rate(&self) -> f64 {
        self.count as f64 / self.span_s()
    }

    /// The rate per `window_s` window (a multiple of 60) over the observation period
    /// `span` (epoch µs, first and last: the logs', which may be wider than this
    /// stream's own), windows counted from the period's first minute; each rate is over
    /// the part of its window the period covers, and a last window it covers for under
    /// a quarter is left to the step before.
    pub fn profile(&self, window_s: u64, span: (u64, u64)) -> Profile {
        let w = (window_s / 60).max(1);
        let (first, last) = span;
        let from_min = first / MINUTE_US;
        let last_min = last / MINUTE_US;
        let mut steps = Vec::new();
        let mut k = 0u64;
        while from_min + k * w <= last_min {
            let start_min = from_min + k * w;
            let start_us = start_min.saturating_mul(MINUTE_US);
            let end_us = start_us.saturating_add(w * MINUTE_US);
            let covered =
                (end_us.min(last.saturating_add(1)) as f64 - start_us.max(first) as f64) / 1e6;
            if covered < 0.25 * (w * 60) as f64 && !steps.is_empty() {
                break;
            }
            let n: u64 = (start_min..start_min + w).map(|m| self.at_minute(m)).sum();
            steps.push((k * w * 60, n as f64 / covered.max(1.0)));
            k += 1;
        }
        Profile {
            window_s: w * 60,
            origin_us: from_min.saturating_mul(MINUTE_US),
            daily: false,
            steps,
        }
    }

    /// Requests counted in epoch minute `m`.
    fn at_minute(&self, m: u64) -> u64 {
        m.checked_sub(self.origin_min)
            .and_then(|i| self.minutes.get(i as usize))
            .map_or(0, |&c| u64::from(c))
    }

    /// The average day per `window_s` window (dividing 24 h) over the observation period
    /// `span` (epoch µs); `None` when it covers less than two days.
    pub fn daily(&self, window_s: u64, span: (u64, u64)) -> Option<Profile> {
        let (first, last) = span;
        if last.saturating_sub(first) < 2 * 86_400_000_000 {
            return None;
        }
        let w = (window_s / 60).max(1);
        let per_day = DAY_MINUTES.div_ceil(w) as usize;
        let mut counts = vec![0f64; per_day];
        let mut covered = vec![0f64; per_day];
        let (first_min, last_min) = (first / MINUTE_US, last / MINUTE_US);
        for minute in first_min..=last_min {
            let slot = ((minute % DAY_MINUTES) / w) as usize;
            counts[slot] += self.at_minute(minute) as f64;
            covered[slot] += 60.0;
        }
        Some(Profile {
            window_s: w * 60,
            origin_us: first_min / DAY_MINUTES * DAY_MINUTES * MINUTE_US,
            daily: true,
            steps: (0..per_day)
                .map(|k| (k as u64 * w * 60, counts[k] / covered[k].max(1.0)))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY0_US: u64 = 1_764_028_800_000_000; // 2025-11-25T00:00:00Z

    #[test]
    fn the_busiest_second_is_exact_even_out_of_order() {
        let mut r = RateStats::default();
        // 10/s for an hour from 06:00, plus 24 more in second 06:30:00; then a record
        // at 08:13:20, after which one more for 06:30:00 is over an hour late and not in
        // a second's count.
        let six = DAY0_US + 6 * 3_600_000_000;
        for s in 0..3_600u64 {
            for k in 0..10 {
                r.add(six + s * 1_000_000 + k * 100_000);
            }
        }
        let peak = six + 1_800 * 1_000_000;
        for _ in 0..24 {
            r.add(peak + 5);
        }
        r.add(six + 8_000 * 1_000_000);
        r.add(peak + 7);
        r.finish();
        assert_eq!(r.busiest, (34, peak / 1_000_000));
        assert_eq!(r.late, 1);
        assert_eq!(r.count, 36_000 + 24 + 2);
    }

    #[test]
    fn profiles_average_their_windows_and_days() {
        let mut r = RateStats::default();
        // Three days: 2/s from 00:00 to 12:00, 6/s from 12:00 to 24:00.
        for day in 0..3u64 {
            for s in 0..86_400u64 {
                let n = if s < 43_200 { 2 } else { 6 };
                for k in 0..n {
                    r.add(DAY0_US + day * 86_400_000_000 + s * 1_000_000 + k);
                }
            }
        }
        r.finish();
        let span = (r.first_us, r.last_us);
        let d = r.daily(3_600, span).unwrap();
        assert_eq!(d.steps.len(), 24);
        for (start, rate) in &d.steps {
            let expected = if *start < 43_200 { 2.0 } else { 6.0 };
            assert!((rate - expected).abs() < 1e-9, "{start}: {rate}");
        }
        let p = r.profile(6 * 3_600, span);
        assert_eq!(p.steps.len(), 12);
        assert_eq!(p.origin_us, DAY0_US);
        assert!((p.steps[1].1 - 2.0).abs() < 1e-9 && (p.steps[2].1 - 6.0).abs() < 1e-9);
        assert!((r.mean_rate() - 4.0).abs() < 1e-3, "{}", r.mean_rate());
        // Under two days: no daily shape.
        let mut short = RateStats::default();
        short.add(DAY0_US);
        short.add(DAY0_US + 86_400_000_000);
        assert!(
            short
                .daily(3_600, (short.first_us, short.last_us))
                .is_none()
        );
        // A stream seen only late in a longer period: zero before it.
        let mut late = RateStats::default();
        for s in 0..600u64 {
            late.add(DAY0_US + 3_600_000_000 + s * 1_000_000);
        }
        let p = late.profile(600, (DAY0_US + 1_800_000_000, DAY0_US + 4_200_000_000));
        let rates: Vec<f64> = p.steps.iter().map(|s| s.1).collect();
        assert_eq!(rates, [0.0, 0.0, 0.0, 1.0]);
        assert_eq!(p.origin_us, DAY0_US + 1_800_000_000);
    }
}
