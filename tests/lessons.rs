//! Every lesson, played to its verdict and pinned as a readable transcript (tests/snapshots/).
//! A change in behaviour shows up as a diff a teacher could read.

use ftpsim::sim::lessons;
use ftpsim::sim::timeline::Timeline;

fn transcript(timeline: &Timeline) -> String {
    let mut text: Vec<String> =
        timeline.events().iter().map(|event| format!("{:>4} {}", event.index, event.to_line())).collect();
    let verdict = timeline.verdict();
    text.push(String::new());
    text.push(format!("outcome: {:?}", verdict.outcome));
    text.push(format!("final reply: {:?}", verdict.final_reply));
    text.push(format!("cause: {}", verdict.cause.map_or("-".to_owned(), |cause| cause.to_string())));
    text.push(format!("device: {}", verdict.device.map_or("-".to_owned(), |device| device.to_string())));
    text.push(format!("rule: {}", verdict.rule.clone().unwrap_or_else(|| "-".to_owned())));
    text.push(format!("event: {}", verdict.event.map_or("-".to_owned(), |event| event.to_string())));
    text.push(format!("fix: {}", verdict.fix.clone().unwrap_or_else(|| "-".to_owned())));
    text.join("\n")
}

#[test]
fn every_lesson_transcript_is_pinned() {
    for lesson in lessons::all() {
        let timeline = Timeline::run(&lesson.scenario).expect("lesson scenarios are valid");
        insta::assert_snapshot!(lesson.id, transcript(&timeline));
    }
}

#[test]
fn every_lesson_ends_the_way_its_intro_promises() {
    for lesson in lessons::all() {
        let timeline = Timeline::run(&lesson.scenario).expect("valid");
        let works = lesson.expect.starts_with("works");
        assert_eq!(
            timeline.verdict().is_ok(),
            works,
            "{}: expected {:?}, got {:#?}",
            lesson.id,
            lesson.expect,
            timeline.verdict()
        );
        if !works {
            assert!(timeline.verdict().fix.is_some(), "{}: a failure says what would fix it", lesson.id);
        }
    }
}
