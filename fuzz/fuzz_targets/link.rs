//! The page's address fragment (`classroom::Link`), two ways from one input.
//!
//! Text (first byte even): `Link::read` on the rest. Invariants: no panic; every problem can be
//! said; what was read writes as a link (everything in it came from the settings table) that
//! reads back with no problem, and from then on reading and writing are each other's inverse.
//! (The first write may drop what changes nothing, e.g. a branch that sets a setting to the
//! value it already has; FUZZING.md.)
//!
//! Structured (first byte odd): a link built from a lesson, settings changes through the
//! settings table, branches, pending changes, step, level, quiz, side by side and an
//! assessment (practice or test, an assignment's seed, a passing score). Invariant:
//! written and read, it is the same link, with no problem.
#![no_main]

use arbitrary::{Result, Unstructured};
use ftpsim::assess::attempt::Mode;
use ftpsim::classroom::link::AssessmentLink;
use ftpsim::classroom::{Link, LinkProblem};
use ftpsim::ftp::client::DataMode;
use ftpsim::sim::lessons;
use ftpsim::sim::scenario::Scenario;
use ftpsim::sim::settings::{Kind, SETTINGS};
use ftpsim::sim::trace::Level;
use libfuzzer_sys::fuzz_target;

fn read_clean(fragment: &str) -> Link {
    let (link, problems) = Link::read(fragment);
    assert_eq!(problems, Vec::<LinkProblem>::new(), "a written link reads with no problem: {fragment}");
    link
}

fn from_text(text: &str) {
    let (link, problems) = Link::read(text);
    for problem in &problems {
        let _ = problem.text();
    }
    let first = link.write().unwrap_or_else(|error| panic!("a link read from {text:?} cannot be written: {error}"));
    let again = read_clean(&first);
    let second = again.write().expect("a link read back can be written");
    assert_eq!(first, second, "written, read and written again: {text:?}");
    assert_eq!(read_clean(&second), again, "read twice: {text:?}");
}

/// A token the setting takes: one of its own, or a number in (or near) its range.
fn token(u: &mut Unstructured, kind: Kind) -> Result<String> {
    Ok(match kind {
        Kind::Switch { on, off } => if u.arbitrary()? { on } else { off }.to_owned(),
        Kind::Choice(choices) => u.choose(choices)?.token.to_owned(),
        Kind::Number { min, max } => u.int_in_range(min..=max)?.to_string(),
        Kind::OptionalNumber { min, max, none } => {
            if u.arbitrary()? {
                none.to_owned()
            } else {
                u.int_in_range(min..=max)?.to_string()
            }
        }
        Kind::Ports => {
            let count = u.int_in_range(1..=4)?;
            let ports: Vec<String> =
                (0..count).map(|_| u.int_in_range(1..=u16::MAX).map(|port| port.to_string())).collect::<Result<_>>()?;
            ports.join(",")
        }
    })
}

/// `from` with a few settings changed through the table, if that is a valid network.
fn changed(u: &mut Unstructured, from: &Scenario) -> Result<Option<Scenario>> {
    let mut scenario = from.clone();
    for _ in 0..u.int_in_range(1..=4)? {
        let setting = u.choose(&SETTINGS)?;
        if let Ok(change) = setting.parse(&token(u, setting.kind)?) {
            change.apply(&mut scenario);
        }
    }
    Ok((scenario.validate().is_ok() && scenario != *from).then_some(scenario))
}

fn built(u: &mut Unstructured) -> Result<Option<Link>> {
    let all = lessons::all();
    let lesson = if u.arbitrary()? { Some(u.choose(&all)?) } else { None };
    let base = lesson.map_or_else(Scenario::default, |lesson| lesson.scenario.clone());
    let scenario = match u.arbitrary()? {
        true => changed(u, &base)?.unwrap_or(base),
        false => base,
    };
    let mut branches = Vec::new();
    let mut previous = scenario.clone();
    let mut at = 0usize;
    for _ in 0..u.int_in_range(0..=3)? {
        at = at.saturating_add(u.int_in_range(1..=1_000_000)?);
        if let Some(next) = changed(u, &previous)? {
            branches.push((at, next.clone()));
            previous = next;
        }
    }
    let pending = if u.arbitrary()? { changed(u, &previous)? } else { None };
    let level = *u.choose(&[Level::Key, Level::Packet, Level::Detail])?;
    let compare = if u.arbitrary()? { Some((*u.choose(&DataMode::ALL)?, *u.choose(&DataMode::ALL)?)) } else { None };
    Ok(Some(Link {
        lesson: lesson.map(|lesson| lesson.id),
        scenario,
        branches,
        step: u.arbitrary()?,
        level,
        quiz: u.arbitrary()?,
        compare,
        pending,
        embed: u.arbitrary()?,
        assessment: if u.arbitrary()? {
            Some(AssessmentLink {
                mode: *u.choose(&[Mode::Practice, Mode::Test])?,
                seed: u.arbitrary()?,
                passing: if u.arbitrary()? { Some(u.int_in_range(0..=100)?) } else { None },
            })
        } else {
            None
        },
    }))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode % 2 == 0 {
        if let Ok(text) = std::str::from_utf8(rest) {
            from_text(text);
        }
        return;
    }
    let Ok(Some(link)) = built(&mut Unstructured::new(rest)) else { return };
    let written = link.write().unwrap_or_else(|error| panic!("{link:?} cannot be written: {error}"));
    assert_eq!(read_clean(&written), link, "written and read: {written}");
});
