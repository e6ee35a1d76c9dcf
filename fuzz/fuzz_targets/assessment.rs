//! What an assessment reads from outside (issue 12): a student's typed answer, and the progress
//! a learning management system hands back (`cmi.suspend_data`), which anyone with the LMS's
//! database or the browser's console can change.
//!
//! The first byte chooses what the rest is: a typed address and port, a typed address, or
//! saved progress for the questions of one lesson. Invariants: no panic; a typed answer read is
//! within the limit and reads the same when written back (`address:port` form); progress that
//! is taken back has one record per question, writes back to the same line when nothing moved,
//! and still scores within 0–100 %; a refusal can be said.
#![no_main]

use ftpsim::assess::attempt::Attempt;
use ftpsim::assess::questions::{self, MAX_TYPED};
use ftpsim::sim::lessons;
use ftpsim::sim::timeline::Timeline;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// The questions of one lesson, computed once (a fresh run per input would be slow).
fn asked() -> &'static Vec<questions::Question> {
    static ASKED: OnceLock<Vec<questions::Question>> = OnceLock::new();
    ASKED.get_or_init(|| {
        let lesson = lessons::find("active-nat-helper").expect("a lesson");
        questions::questions(&Timeline::run(&lesson.scenario).expect("runs"))
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    match choice % 3 {
        0 => match questions::read_address_and_port(&text) {
            Ok(address) => {
                assert!(text.trim().len() <= MAX_TYPED, "read past the limit: {text:?}");
                assert_eq!(questions::read_address_and_port(&address.to_string()), Ok(address), "{text:?}");
            }
            Err(error) => assert!(!error.to_string().is_empty()),
        },
        1 => match questions::read_address(&text) {
            Ok(ip) => assert_eq!(questions::read_address(&ip.to_string()), Ok(ip), "{text:?}"),
            Err(error) => assert!(!error.to_string().is_empty()),
        },
        _ => match Attempt::resume(&text, "active-nat-helper", 7, asked().clone()) {
            Ok(attempt) => {
                assert_eq!(attempt.records.len(), asked().len());
                let line = attempt.suspend_data("active-nat-helper", 7);
                assert_eq!(Attempt::resume(&line, "active-nat-helper", 7, asked().clone()), Ok(attempt.clone()));
                assert!(attempt.score().percent() <= 100);
                assert!(line.len() <= ftpsim::assess::attempt::MAX_SUSPEND_DATA);
            }
            Err(error) => assert!(!error.to_string().is_empty()),
        },
    }
});
