//! Virtual time.
//!
//! Nothing in the engine reads a wall clock: every `handle_*` call is given the current
//! [`Instant`], and timers are plain deadlines that the simulation fires in order. An `Instant`
//! counts microseconds since the start of a run, so two runs of the same scenario see exactly the
//! same times.
//!
//! Left out on purpose: calendar time, time zones, and any conversion to `std::time::Instant`.

use std::fmt;
use std::ops::{Add, Sub};

use serde::{Deserialize, Serialize};

/// A point in virtual time: microseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Instant(u64);

impl Instant {
    /// The start of every run.
    pub const ZERO: Instant = Instant(0);

    /// The instant `micros` microseconds after the start.
    pub const fn from_micros(micros: u64) -> Self {
        Instant(micros)
    }

    /// Microseconds since the start of the run.
    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// Time since `earlier`, or zero when `earlier` is later.
    pub fn saturating_since(self, earlier: Instant) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

impl fmt::Display for Instant {
    /// `12.345 s`: seconds with millisecond precision, the way the transcript shows time.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0 / 1_000;
        write!(f, "{}.{:03} s", millis / 1_000, millis % 1_000)
    }
}

/// A span of virtual time in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Duration(u64);

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration(0);

    /// A duration of `micros` microseconds.
    pub const fn from_micros(micros: u64) -> Self {
        Duration(micros)
    }

    /// A duration of `millis` milliseconds.
    pub const fn from_millis(millis: u64) -> Self {
        Duration(millis * 1_000)
    }

    /// A duration of `secs` seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Duration(secs * 1_000_000)
    }

    /// The length in microseconds.
    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// "52 s": whole seconds, rounded up, for a countdown (a wait of 0.2 s says "1 s").
    pub fn whole_seconds_up(self) -> String {
        format!("{} s", self.0.div_ceil(1_000_000))
    }

    /// "3 s": to the nearest whole second, for sentences where the kernel's milliseconds would
    /// only distract (a SYN retried after 3.072 s "waited 3 s"). Under a second it stays exact.
    pub fn rounded_seconds(self) -> String {
        if self.0 < 1_000_000 { self.to_string() } else { format!("{} s", (self.0 + 500_000) / 1_000_000) }
    }

    /// Twice as long, saturating; used for retransmission back-off.
    pub const fn doubled(self) -> Self {
        Duration(self.0.saturating_mul(2))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let micros = self.0;
        // Integer arithmetic only: no float formatting code in the browser build.
        if micros >= 1_000_000 && micros.is_multiple_of(1_000_000) {
            write!(f, "{} s", micros / 1_000_000)
        } else if micros >= 1_000_000 {
            let millis = micros / 1_000;
            write!(f, "{}.{:03} s", millis / 1_000, millis % 1_000)
        } else if micros.is_multiple_of(1_000) {
            write!(f, "{} ms", micros / 1_000)
        } else {
            write!(f, "{}.{:03} ms", micros / 1_000, micros % 1_000)
        }
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, rhs: Duration) -> Instant {
        Instant(self.0.saturating_add(rhs.0))
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_since(rhs)
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, rhs: Duration) -> Duration {
        Duration(self.0.saturating_add(rhs.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_print_as_seconds_with_milliseconds() {
        assert_eq!(Instant::from_micros(12_345_678).to_string(), "12.345 s");
        assert_eq!(Instant::ZERO.to_string(), "0.000 s");
    }

    #[test]
    fn durations_print_in_the_most_readable_unit() {
        assert_eq!(Duration::from_secs(60).to_string(), "60 s");
        assert_eq!(Duration::from_millis(20).to_string(), "20 ms");
        assert_eq!(Duration::from_millis(1500).to_string(), "1.500 s");
        assert_eq!(Duration::from_millis(3072).rounded_seconds(), "3 s");
        assert_eq!(Duration::from_millis(1500).rounded_seconds(), "2 s");
        assert_eq!(Duration::from_millis(20).rounded_seconds(), "20 ms");
        assert_eq!(Duration::from_micros(1500).to_string(), "1.500 ms");
    }

    #[test]
    fn arithmetic_saturates_instead_of_wrapping() {
        let late = Instant::from_micros(u64::MAX);
        assert_eq!(late + Duration::from_secs(1), late);
        assert_eq!(Instant::ZERO - Instant::from_micros(5), Duration::ZERO);
        assert_eq!(Duration::from_secs(1).doubled(), Duration::from_secs(2));
    }
}
