//! The stored-state record (`classroom::stored`): what the page keeps in the browser between
//! visits, read natively by `stored::decode` and, as the page reads it, by `stored::read` on the
//! value the browser's `JSON.parse` would give.
//!
//! Invariants: no panic; every problem can be said; a record either reader accepts is written
//! (`Stored::write`) as JSON that both read back as the same record, also after saving one more
//! scenario under a name; where `decode` reads a record, the browser's reading gives the same.
#![no_main]

use ftpsim::classroom::stored::{self, Stored};
use ftpsim::sim::scenario::Scenario;
use ftpsim_fuzz::{JS_EXACT, json_from_serde};
use libfuzzer_sys::fuzz_target;

/// Numbers the browser holds exactly (a seed or a latency of 2^53 or more it does not).
fn exact_in_a_browser(record: &Stored) -> bool {
    record.saved.iter().all(|saved| {
        let scenario = &saved.scenario;
        scenario.seed < JS_EXACT
            && scenario.latency.lan.as_micros() < JS_EXACT
            && scenario.latency.wan.as_micros() < JS_EXACT
    })
}

fn round_trip(record: &Stored) {
    let text = record.write();
    let value: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|error| panic!("the record written is not JSON ({error}): {text}"));
    assert_eq!(stored::decode(&text).as_ref(), Ok(record), "read back: {text}");
    if exact_in_a_browser(record) {
        assert_eq!(stored::read(&json_from_serde(&value)).as_ref(), Ok(record), "read back in a browser: {text}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let native = stored::decode(text);
    match &native {
        Ok(record) => {
            round_trip(record);
            let mut more = record.clone();
            let name: String = text.chars().rev().take(70).collect();
            if more.save(&name, &Scenario::default()).is_ok() {
                round_trip(&more);
            }
        }
        Err(problem) => drop(problem.to_string()),
    }
    if text.len() > stored::MAX_LENGTH {
        return;
    }
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else { return };
    let browser = stored::read(&json_from_serde(&value));
    match &browser {
        Ok(record) => round_trip(record),
        Err(problem) => drop(problem.to_string()),
    }
    if let Ok(record) = &native
        && exact_in_a_browser(record)
    {
        assert_eq!(browser.as_ref(), Ok(record), "the browser reads what decode reads: {text}");
    }
});
