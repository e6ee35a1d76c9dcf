//! Seeded pseudo-random numbers: the only "randomness" in the engine.
//!
//! Real systems pick some numbers at random: vsftpd's passive port, Linux's ephemeral ports.
//! The simulator picks them from a seed in the scenario instead, so the same scenario gives the
//! same numbers, the same trace and the same picture in every run and on every machine.
//!
//! Left out on purpose: any statistical quality beyond "looks random to a student". A full RNG
//! crate would add size to the browser build and buy nothing here.

/// SplitMix64 (Steele, Lea, Flood 2014): a well-known 64-bit mixing function. `seed` and
/// `counter` together give one number; the same pair always gives the same number.
pub fn mix(seed: u64, counter: u64) -> u64 {
    let mut z = seed.wrapping_add(counter.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A number in `low..=high` drawn from (`seed`, `counter`). `low > high` gives `low`.
pub fn in_range(seed: u64, counter: u64, low: u16, high: u16) -> u16 {
    if low >= high {
        return low;
    }
    let span = u64::from(high - low) + 1;
    // Fits: the result is at most `high`.
    low + (mix(seed, counter) % span) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_and_counter_give_the_same_number() {
        assert_eq!(mix(7, 3), mix(7, 3));
        assert_ne!(mix(7, 3), mix(7, 4));
        assert_ne!(mix(7, 3), mix(8, 3));
    }

    #[test]
    fn range_is_inclusive_and_respected() {
        for counter in 0..1000 {
            let port = in_range(42, counter, 50000, 50002);
            assert!((50000..=50002).contains(&port));
        }
        assert_eq!(in_range(1, 1, 9, 9), 9);
        assert_eq!(in_range(1, 1, 10, 9), 10);
        assert!((0..=u16::MAX).contains(&in_range(3, 3, 0, u16::MAX)));
    }
}
