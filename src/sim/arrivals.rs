//! When a client's requests arrive: Poisson or evenly spaced, at a constant rate or
//! following a piecewise-constant rate profile. Arrival times are exact: each is a
//! real-valued time rounded to the microsecond, never a sum of rounded gaps, so rounding
//! error does not accumulate. A profile is sampled by inversion of its cumulative rate
//! (one exponential draw an arrival, walked across the steps it spans), which is exact
//! for piecewise-constant rates; evenly spaced arrivals with a profile come each time
//! the cumulative rate crosses a whole number.

use rand_distr::{Distribution, Exp1};

use super::float;
use super::rng::Rng;
use crate::scenario::{Arrival, ClientModel, Rate, RateProfile, Step};
use crate::time::{SimDuration, SimTime};

/// Draws a client's arrival times.
#[derive(Debug, Clone)]
pub struct Arrivals {
    arrival: Arrival,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    /// A constant rate: gaps of this mean.
    Constant {
        mean_gap_us: f64,
        /// The exact time of the last arrival minus its rounded time, in
        /// `[-0.5, 0.5)` µs.
        offset_us: f64,
    },
    /// A rate profile.
    Profile(Box<Clock>),
    /// No arrivals (a rate scaled by 0).
    Never,
}

impl Arrivals {
    /// For `client`, from its start.
    pub fn new(client: &ClientModel) -> Arrivals {
        let kind = match &client.rate {
            Rate::Constant(r) if r * client.rate_scale > 0.0 => Kind::Constant {
                mean_gap_us: 1e6 / (r * client.rate_scale),
                offset_us: 0.0,
            },
            Rate::Profile(p) if client.rate_scale > 0.0 => {
                let clock = Clock::new(p, client.rate_scale, client.start);
                if clock.cycle_mass > 0.0 {
                    Kind::Profile(Box::new(clock))
                } else {
                    Kind::Never
                }
            }
            Rate::Constant(_) | Rate::Profile(_) => Kind::Never,
        };
        Arrivals {
            arrival: client.arrival,
            kind,
        }
    }

    /// The time of the next arrival after the last one, at (rounded) time `last` (the
    /// client's start for the first); [`SimTime::MAX`] when there is none.
    #[inline(always)]
    pub fn next(&mut self, last: SimTime, rng: &mut Rng) -> SimTime {
        match &mut self.kind {
            Kind::Constant {
                mean_gap_us,
                offset_us,
            } => {
                let us = match self.arrival {
                    Arrival::Constant => *mean_gap_us,
                    Arrival::Poisson => {
                        let e: f64 = Exp1.sample(rng);
                        e * *mean_gap_us
                    }
                };
                let exact = *offset_us + us;
                // At least -0.5, so `exact + 0.5` is not negative and truncating it
                // rounds `exact` to the nearest microsecond (a cast, where `floor` is a
                // library call).
                let (whole, back) = float::truncate(exact + 0.5);
                *offset_us = exact - back;
                last + SimDuration::from_micros(whole)
            }
            Kind::Profile(clock) => {
                let mass = match self.arrival {
                    Arrival::Constant => 1.0,
                    Arrival::Poisson => Exp1.sample(rng),
                };
                clock.advance(mass)
            }
            Kind::Never => SimTime::MAX,
        }
    }
}

/// One step of a profile, as the clock walks it.
#[derive(Debug, Clone, Copy)]
struct Span {
    /// Start in profile time (µs from the period's start).
    start: u64,
    /// Length in µs (infinite for the last step of a profile that does not repeat).
    length: f64,
    /// Expected arrivals per µs (scaled).
    rate: f64,
    /// Its inverse, µs per expected arrival (infinite at rate 0).
    gap: f64,
}

/// A position in a rate profile, in profile time (µs): `cycle` whole periods, then
/// `within` µs into step `step`.
#[derive(Debug, Clone)]
struct Clock {
    spans: Vec<Span>,
    /// The period in µs; 0 when the profile does not repeat (the last step lasts for
    /// ever).
    period_us: u64,
    /// Expected arrivals in one period (infinite when the profile does not repeat and
    /// its last rate is not 0; 0 when it never sends).
    cycle_mass: f64,
    /// Profile time at simulation time 0.
    offset_us: u64,
    cycle: u64,
    step: usize,
    within: f64,
}

impl Clock {
    /// At simulation time `at`, for `profile` scaled by `scale`.
    fn new(profile: &RateProfile, scale: f64, at: SimTime) -> Clock {
        let steps: &[Step] = &profile.steps;
        let period_us = profile.repeat.map_or(0, |p| p.as_micros().max(1));
        let spans: Vec<Span> = steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let start = s.start.as_micros();
                let length = match (steps.get(i + 1), period_us) {
                    (Some(next), _) => (next.start.as_micros() - start) as f64,
                    (None, 0) => f64::INFINITY,
                    (None, p) => (p - start) as f64,
                };
                let rate = s.rate * scale / 1e6;
                Span {
                    start,
                    length,
                    rate,
                    gap: 1.0 / rate,
                }
            })
            .collect();
        let offset_us = profile.offset.as_micros();
        let tau = at
            .saturating_since(SimTime::ZERO)
            .as_micros()
            .saturating_add(offset_us);
        let (cycle, rest) = match period_us {
            0 => (0, tau),
            p => (tau / p, tau % p),
        };
        let step = spans.partition_point(|s| s.start <= rest).saturating_sub(1);
        let cycle_mass = spans
            .iter()
            .filter(|s| s.rate > 0.0)
            .map(|s| s.rate * s.length)
            .sum();
        Clock {
            within: (rest - spans[step].start) as f64,
            spans,
            period_us,
            cycle_mass,
            offset_us,
            cycle,
            step,
        }
    }

    /// Moves on by `mass` expected arrivals and gives the simulation time reached
    /// (rounded to the microsecond), or [`SimTime::MAX`] when the profile never gets
    /// there.
    #[inline]
    fn advance(&mut self, mut mass: f64) -> SimTime {
        loop {
            let span = self.spans[self.step];
            if span.rate > 0.0 {
                let need = mass * span.gap;
                if self.within + need <= span.length {
                    self.within += need;
                    break;
                }
                mass -= span.rate * (span.length - self.within);
            } else if span.length == f64::INFINITY {
                return SimTime::MAX;
            }
            self.next_step(&mut mass);
            if self.cycle == u64::MAX {
                return SimTime::MAX;
            }
        }
        let (within, _) = float::truncate(self.within + 0.5);
        let tau = self
            .cycle
            .checked_mul(self.period_us)
            .and_then(|c| c.checked_add(self.spans[self.step].start + within));
        match tau {
            Some(tau) => SimTime::from_micros(tau.saturating_sub(self.offset_us)),
            None => SimTime::MAX,
        }
    }

    /// To the start of the next step, past whole periods `mass` spans.
    #[cold]
    fn next_step(&mut self, mass: &mut f64) {
        self.step += 1;
        self.within = 0.0;
        if self.step == self.spans.len() {
            // Only a repeating profile gets past its last step.
            self.step = 0;
            self.cycle = self.cycle.saturating_add(1);
            if *mass > self.cycle_mass {
                let (skip, whole) = float::truncate(*mass / self.cycle_mass);
                self.cycle = self.cycle.saturating_add(skip);
                *mass = (*mass - whole * self.cycle_mass).max(0.0);
            }
        }
    }
}

#[cfg(test)]
mod tests;
