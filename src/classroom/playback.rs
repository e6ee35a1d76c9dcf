//! Playback timing, in the page's own clock: how long a packet takes to hop, how long a key
//! moment stays on screen, and how a speed changes both. The page sends a [`super::Action::Tick`]
//! every [`TICK_MS`]; nothing here reads a clock, so the timing is tested natively.

/// The page's timer period while something moves.
pub const TICK_MS: u32 = 50;

/// A packet's hop between two places at 1× during playback.
pub const PLAY_HOP_MS: u32 = 250;

/// A packet's hop during a single step: quick, so a step does not keep the class waiting, but
/// slow enough to follow.
pub const STEP_HOP_MS: u32 = 150;

/// How long a key moment's caption stays on screen at 1×: long enough to read it aloud.
pub const KEY_HOLD_MS: u32 = 2_800;

/// Playback speeds offered: the label and the rate in percent of 1×.
pub const SPEEDS: [(&str, u32); 5] = [("0.5×", 50), ("1×", 100), ("2×", 200), ("4×", 400), ("8×", 800)];

/// The speed a session starts with (1×).
pub const DEFAULT_SPEED: usize = 1;

/// `ms` at 1×, at speed `speed` (an index into [`SPEEDS`]).
pub fn scaled(ms: u32, speed: usize) -> u32 {
    let percent = SPEEDS.get(speed).map_or(100, |(_, percent)| *percent).max(1);
    (ms * 100 / percent).max(TICK_MS)
}

/// What is moving, and how long until the next move.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Playback {
    /// Playing through the run.
    pub playing: bool,
    /// A single step under way: the packets between here and this event move one hop at a
    /// time, then the step holds.
    pub stepping_to: Option<usize>,
    /// Milliseconds until the next move.
    pub wait_ms: u32,
    /// Index into [`SPEEDS`].
    pub speed: usize,
}

impl Playback {
    pub fn new() -> Self {
        Playback { speed: DEFAULT_SPEED, ..Playback::default() }
    }

    /// True while the page must send ticks.
    pub fn ticking(&self) -> bool {
        self.playing || self.stepping_to.is_some()
    }

    /// How long one hop takes now, for the packets' animation.
    pub fn hop_ms(&self) -> u32 {
        if self.stepping_to.is_some() && !self.playing { STEP_HOP_MS } else { scaled(PLAY_HOP_MS, self.speed) }
    }

    /// How long a key moment holds during playback.
    pub fn hold_ms(&self) -> u32 {
        scaled(KEY_HOLD_MS, self.speed)
    }

    /// Stops everything that moves.
    pub fn stop(&mut self) {
        self.playing = false;
        self.stepping_to = None;
        self.wait_ms = 0;
    }

    /// One tick of the page's timer: true when it is time to move.
    pub fn tick(&mut self) -> bool {
        self.wait_ms = self.wait_ms.saturating_sub(TICK_MS);
        self.wait_ms == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_moment_holds_long_enough_to_read_aloud_at_1x_and_speed_scales_it() {
        let mut playback = Playback::new();
        assert!(playback.hold_ms() >= 2_500);
        playback.speed = 4;
        assert_eq!(playback.hold_ms(), KEY_HOLD_MS / 8);
        playback.speed = 0;
        assert_eq!(playback.hold_ms(), KEY_HOLD_MS * 2);
        assert!(scaled(10, 4) >= TICK_MS, "never faster than the timer");
    }

    #[test]
    fn ticks_count_down_the_wait() {
        let mut playback = Playback { wait_ms: 120, ..Playback::new() };
        assert!(!playback.tick());
        assert!(!playback.tick());
        assert!(playback.tick());
    }
}
