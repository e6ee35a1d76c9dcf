//! A session's memory grows in proportion to its length (issue 11).
//!
//! A counting allocator stands in for the system's: it counts the bytes allocated and not yet
//! freed, and the most there ever were. Each test plays the same long scenario that `ftpsim run
//! --scenario` plays, at 1 000 and at 4 000 transfers, and compares the peaks: downloads, and
//! uploads (whose files the server's tree keeps, and every snapshot of the world holds). Memory
//! that grew with the square of the length (a snapshot copying what the whole session had
//! gathered) would make the longer run cost 16 times as much; linear growth costs 4 times. Bytes
//! are counted, not time or resident memory, so the result does not depend on the machine.
//!
//! The counter is global to the test binary, so this file holds only these tests, and they take
//! turns ([`ONE_AT_A_TIME`]): another test running beside one would add its own allocations.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use ftpsim::sim::scenario::Scenario;
use ftpsim::sim::timeline::Timeline;

/// The system allocator, counting.
struct Counting;

/// Bytes allocated and not yet freed.
static LIVE: AtomicUsize = AtomicUsize::new(0);
/// The most `LIVE` has been since the last [`reset_peak`].
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

fn shrank(bytes: usize) {
    LIVE.fetch_sub(bytes, Ordering::Relaxed);
}

// SAFETY: every call is passed on to `System` unchanged; the counters only observe the sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            grew(layout.size());
        }
        pointer
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let pointer = unsafe { System.alloc_zeroed(layout) };
        if !pointer.is_null() {
            grew(layout.size());
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: as for `alloc`.
        unsafe { System.dealloc(pointer, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            // Counted as the new block arriving before the old one goes, as a moving realloc
            // needs both at once.
            grew(new_size);
            shrank(layout.size());
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most bytes live at once while `work` ran, above what was live before it.
fn peak_of<T>(work: impl FnOnce() -> T) -> (usize, T) {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let result = work();
    (PEAK.load(Ordering::Relaxed) - before, result)
}

/// Held while a test measures, so that the tests of this file never run side by side.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The scenario file of the issue, read as `ftpsim run --scenario` reads it: `transfers`
/// downloads of the lesson file, or uploads as the account `demo` (anonymous may not upload).
fn scenario(transfers: u32, command: &str) -> Scenario {
    let user = if command == "stor" { "demo" } else { "anonymous" };
    let text = format!(r#"{{"transfers": {transfers}, "command": "{command}", "user": "{user}"}}"#);
    let scenario = Scenario::from_json(&text).expect("a valid scenario file");
    scenario.validate().expect("valid settings");
    scenario
}

/// Peak bytes while playing the whole timeline of `transfers` transfers of `command`, and the
/// number of events it holds.
fn session(transfers: u32, command: &str) -> (usize, usize) {
    let scenario = scenario(transfers, command);
    let (peak, timeline) = peak_of(|| Timeline::run(&scenario).expect("the scenario plays"));
    assert!(timeline.verdict().is_ok(), "{transfers} transfers ({command}) should all complete");
    (peak, timeline.len())
}

/// Plays 1 000 and 4 000 transfers of `command` and checks the peaks.
fn four_times_as_long(command: &str, what: &str) {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let (short, short_events) = session(1_000, command);
    let (long, long_events) = session(4_000, command);
    let ratio = long as f64 / short as f64;
    println!(
        "1 000 {what}: {short_events} events, peak {short} bytes; 4 000 {what}: {long_events} events, \
         peak {long} bytes; ratio {ratio:.2}"
    );
    // The same few events open and close both sessions; the rest is four times as long.
    assert!(long_events * 10 >= short_events * 39, "the longer session is about four times as long");
    assert!(ratio <= 4.5, "memory grew {ratio:.2} times for four times the {what} ({short} → {long} bytes)");
}

#[test]
fn four_times_the_downloads_take_at_most_four_and_a_half_times_the_memory() {
    four_times_as_long("retr", "downloads");
}

#[test]
fn four_times_the_uploads_take_at_most_four_and_a_half_times_the_memory() {
    four_times_as_long("stor", "uploads");
}
