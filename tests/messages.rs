//! The message module read as a whole: every caption, trace line and verdict that the lessons
//! and every data mode of them produce is a finished sentence a student can read — no internal
//! codes, no doubled full stops, no debugging output, no empty text.

use ftpsim::sim::caption;
use ftpsim::sim::lessons;
use ftpsim::sim::matrix::MODES;
use ftpsim::sim::scenario::{Change, Scenario};
use ftpsim::sim::timeline::Timeline;
use ftpsim::sim::verdict::Cause;

const CAUSES: [Cause; 15] = [
    Cause::ServerCannotBindPort20,
    Cause::ServerRefusedAddress,
    Cause::ServerRefusedBounce,
    Cause::ServerDataConnectTimeout,
    Cause::ClientDataConnectTimeout,
    Cause::AddressUnreachable,
    Cause::DataConnectionRefused,
    Cause::ServerRefusedDataPeer,
    Cause::ClientAcceptTimeout,
    Cause::LoginRefused,
    Cause::ControlConnectFailed,
    Cause::CommandRefused,
    Cause::ReplyTimeout,
    Cause::ControlClosed,
    Cause::Stalled,
];

/// What is wrong with a piece of student-facing text, if anything.
fn problem(text: &str, must_end_a_sentence: bool) -> Option<String> {
    if text.trim().is_empty() {
        return Some("empty".to_owned());
    }
    if text.contains("..") && !text.contains("...") {
        return Some("doubled full stop".to_owned());
    }
    for leak in ["Some(", "None", "{", "}", "\\n", "  ", "Client the ", "Server the "] {
        if text.contains(leak) {
            return Some(format!("contains {leak:?}"));
        }
    }
    for cause in CAUSES {
        // Multi-word codes only: "stalled" is also an English word.
        if cause.as_str().contains('-') && text.contains(cause.as_str()) {
            return Some(format!("internal code {}", cause.as_str()));
        }
    }
    if must_end_a_sentence && !text.ends_with(['.', '!', '?', '…', ')', '"']) {
        return Some("does not end a sentence".to_owned());
    }
    None
}

fn scenarios() -> Vec<(String, Scenario)> {
    let mut all = Vec::new();
    for lesson in lessons::all() {
        for mode in MODES {
            let mut scenario = lesson.scenario.clone();
            Change::Mode(mode).apply(&mut scenario);
            if scenario.validate().is_ok() {
                all.push((format!("{} in {mode:?}", lesson.id), scenario));
            }
        }
    }
    all
}

/// Every scenario played to its end, and each lesson branched a few events in with the FTP
/// helpers switched on, as a teacher might.
fn timelines() -> Vec<(String, Timeline)> {
    let mut all = Vec::new();
    for (name, scenario) in scenarios() {
        let Ok(timeline) = Timeline::run(&scenario) else { continue };
        let mut changed = scenario.clone();
        Change::ClientAlg(true).apply(&mut changed);
        Change::ServerAlg(true).apply(&mut changed);
        if let Ok(branched) = timeline.branch(timeline.len() / 3, &changed) {
            all.push((format!("{name}, branched"), branched));
        }
        all.push((name, timeline));
    }
    all
}

#[test]
fn every_caption_trace_line_and_verdict_reads_as_finished_text() {
    let mut problems = Vec::new();
    let mut checked = 0;
    let timelines = timelines();
    assert!(timelines.iter().any(|(_, timeline)| timeline.is_branched()), "branched runs are read too");
    for (name, timeline) in timelines {
        for event in timeline.events() {
            let caption = caption::for_event(&timeline, event.index);
            for (what, text, sentence) in
                [("trace", &event.text, false), ("headline", &caption.headline, false), ("body", &caption.body, true)]
            {
                checked += 1;
                if let Some(problem) = problem(text, sentence) {
                    problems.push(format!("{name}, event {} {what}: {problem}: {text:?}", event.index));
                }
            }
            if !caption.headline.starts_with(|c: char| c.is_uppercase() || c.is_ascii_digit()) {
                problems.push(format!(
                    "{name}, event {} headline starts in lower case: {:?}",
                    event.index, caption.headline
                ));
            }
        }
        let verdict = timeline.verdict();
        for text in std::iter::once(&verdict.summary).chain(verdict.fix.iter()) {
            checked += 1;
            if let Some(problem) = problem(text, true) {
                problems.push(format!("{name}, verdict: {problem}: {text:?}"));
            }
        }
    }
    assert!(checked > 10_000, "the test reads the lessons' text ({checked} texts)");
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn every_cause_has_its_own_words() {
    let mut seen = std::collections::BTreeSet::new();
    for cause in CAUSES {
        let words = cause.words();
        assert_eq!(problem(words, false), None, "{cause:?}: {words:?}");
        assert!(seen.insert(words), "{cause:?} shares its words with another cause");
    }
}

#[test]
fn every_cause_prints_as_it_serialises() {
    for cause in CAUSES {
        let json = serde_json::to_string(&cause).expect("serialises");
        assert_eq!(json, format!("\"{}\"", cause.as_str()));
    }
}

#[test]
fn the_problem_finder_finds_problems() {
    assert!(problem("Please specify the password..", true).is_some());
    assert!(problem("Cause: server-refused-address.", true).is_some());
    assert!(problem("Some(21)", false).is_some());
    assert!(problem("The router drops it", true).is_some());
    assert!(problem("", false).is_some());
    assert_eq!(problem("The router drops it.", true), None);
}
