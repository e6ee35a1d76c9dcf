//! Scenario files, read both ways: `Scenario::from_json` (serde, the terminal runner's
//! `--scenario`) and `scenario_file::read` (the page's reader), fed by `Json::parse` (its native
//! text entry point) and by the value the browser's `JSON.parse` would give, converted as
//! `src/ui/files.rs` converts it.
//!
//! Invariants: no panic; a scenario either reader accepts is written (`to_json`, and the page's
//! `scenario_file::write`, which must give the same text) and read back equal by both readers;
//! where the terminal runner reads a file the page reads it too, as the same scenario.
//! Known, accepted differences (FUZZING.md): the page also reads what serde refuses for being
//! written twice (`JSON.parse` keeps the last) or as a whole number with a fraction part
//! (`2.0`, `1e2`: JavaScript has one number type); seeds of 2^53 and more reach the page inexact.
#![no_main]

use ftpsim::sim::scenario::Scenario;
use ftpsim::sim::scenario_file::{self, Json};
use ftpsim_fuzz::{JS_EXACT, json_from_serde};
use libfuzzer_sys::fuzz_target;

/// Both writers give the same text, and both readers read it back as `scenario`.
fn round_trip(scenario: &Scenario) {
    let text = scenario.to_json();
    assert_eq!(scenario_file::write(scenario), text, "the page writes what serde writes");
    assert_eq!(Scenario::from_json(&text), Ok(scenario.clone()), "serde reads back {text}");
    if scenario.seed < JS_EXACT {
        let value: serde_json::Value = serde_json::from_str(&text).expect("a written scenario is JSON");
        assert_eq!(scenario_file::read(&json_from_serde(&value)), Ok(scenario.clone()), "the page reads back {text}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let terminal = Scenario::from_json(text);
    match &terminal {
        Ok(scenario) => round_trip(scenario),
        Err(error) => drop(error.to_string()),
    }
    let Some(native) = Json::parse(text) else {
        assert!(terminal.is_err(), "what serde reads is JSON: {text}");
        return;
    };
    let page = scenario_file::read(&native);
    let value: serde_json::Value = serde_json::from_str(text).expect("Json::parse read it");
    let browser = scenario_file::read(&json_from_serde(&value));
    for read in [&page, &browser] {
        match read {
            Ok(scenario) => round_trip(scenario),
            Err(error) => drop(error.to_string()),
        }
    }
    if let Ok(scenario) = &terminal {
        assert_eq!(page.as_ref(), Ok(scenario), "the page reads what the terminal runner reads: {text}");
        if scenario.seed < JS_EXACT {
            assert_eq!(browser.as_ref(), Ok(scenario), "… in the browser too: {text}");
        }
    }
});
