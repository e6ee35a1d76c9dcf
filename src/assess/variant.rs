//! A lesson's variant for one student: an assignment link carries a seed, and the seed picks
//! the numbers (addresses, the passive range, the ports the hosts draw) and, among the lessons
//! that teach the same mode, which setting is at fault. Neighbours in a class get different
//! numbers and often a different cause; the same seed always gives the same variant.
//!
//! The numbers change no outcome (a native test runs every lesson under many seeds to show
//! it), so a variant's answers are those of a fresh run of its scenario.
//!
//! Left out on purpose: the lesson's title (a variant is shown under its family's neutral
//! name, since "active mode behind NAT" would give the answer away) and any per-student state.

use super::super::rng;
use crate::sim::lessons::{self, Lesson};
use crate::sim::scenario::{Numbers, Scenario};

/// Lessons that ask the same question of different networks: a variant of any of them may be
/// any of them. A lesson in no family varies its numbers only.
pub const FAMILIES: &[(&str, &[&str])] = &[
    (
        "active",
        &["active-client-firewall", "active-nat", "active-nat-helper", "helper-blind-port", "encrypted-control"],
    ),
    (
        "passive",
        &[
            "passive-nat-firewall",
            "passive-server-firewall-closed",
            "passive-server-helper",
            "server-nat-classic-client",
        ],
    ),
    (
        "server-nat",
        &["server-nat-classic-client", "server-nat-modern-client", "server-nat-public-address", "server-nat-helper"],
    ),
];

/// The lessons a variant of `lesson` may be: its family's when `mixed`, else itself.
pub fn candidates(lesson: &str, mixed: bool) -> Vec<&'static str> {
    let family = FAMILIES.iter().find(|(_, members)| members.contains(&lesson)).map(|(_, members)| *members);
    match (family, mixed) {
        (Some(members), true) => members.to_vec(),
        _ => lessons::all().into_iter().map(|found| found.id).filter(|id| *id == lesson).collect(),
    }
}

/// The seed of a learner's own variant, from the id a learning management system gives them
/// (SCORM's `cmi.core.student_id`): the same id always gives the same seed (FNV-1a, folded to
/// six digits so that a teacher can read it in the answer key).
pub fn seed_for_learner(id: &str) -> u64 {
    let hash =
        id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3));
    hash % 1_000_000
}

/// One student's variant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variant {
    pub seed: u64,
    /// The lesson the assignment names.
    pub assigned: &'static str,
    /// The lesson this variant is a copy of (the cause at fault).
    pub lesson: Lesson,
    pub scenario: Scenario,
}

/// Numbers drawn from `seed`: host parts and a passive range of 100 to 1000 ports starting on a
/// thousand from 10000 (clear of every control port a lesson uses).
pub fn numbers(seed: u64) -> Numbers {
    let draw = |counter: u64, low: u16, high: u16| rng::in_range(seed, counter, low, high);
    let low = 10_000 + 1000 * draw(5, 0, 50);
    Numbers {
        home_net: draw(1, 0, 254) as u8,
        client: draw(2, 2, 254) as u8,
        router_wan: draw(3, 1, 254) as u8,
        server: draw(4, 2, 254) as u8,
        passive_range: (low, low + draw(6, 99, 999)),
    }
}

/// The variant of `lesson` for `seed`; `mixed` lets the seed pick the fault among the lesson's
/// family. `None` for an unknown lesson.
pub fn variant(lesson: &str, seed: u64, mixed: bool) -> Option<Variant> {
    let assigned = lessons::find(lesson)?.id;
    let members = candidates(lesson, mixed);
    let pick = rng::in_range(seed, 0, 0, u16::try_from(members.len()).ok()?.saturating_sub(1));
    let picked = lessons::find(members.get(usize::from(pick))?)?;
    let mut scenario = picked.scenario.clone();
    scenario.numbers = numbers(seed);
    scenario.seed = rng::mix(seed, 7);
    // A bounce lesson announces another host's address: the client must not be that host.
    if scenario.bounce_to.is_some_and(|target| target == scenario.topology().client) {
        scenario.numbers.client = if scenario.numbers.client == 254 { 2 } else { scenario.numbers.client + 1 };
    }
    Some(Variant { seed, assigned, lesson: picked, scenario })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::questions::{Expected, questions};
    use crate::sim::timeline::Timeline;

    #[test]
    fn every_family_member_is_a_lesson() {
        for (name, members) in FAMILIES {
            for member in *members {
                assert!(lessons::find(member).is_some(), "{name}: {member}");
            }
        }
        assert_eq!(candidates("open-network", true), vec!["open-network"]);
        assert_eq!(candidates("active-nat", false), vec!["active-nat"]);
        assert!(variant("nope", 1, true).is_none());
    }

    #[test]
    fn a_learners_seed_follows_their_id() {
        assert_eq!(seed_for_learner("s1234"), seed_for_learner("s1234"));
        assert_ne!(seed_for_learner("s1234"), seed_for_learner("s1235"));
        assert!(seed_for_learner("") < 1_000_000 && seed_for_learner("a very long learner id, 2026") < 1_000_000);
    }

    #[test]
    fn the_same_seed_gives_the_same_variant_and_neighbours_differ() {
        for lesson in lessons::all() {
            assert_eq!(variant(lesson.id, 7, true), variant(lesson.id, 7, true), "{}", lesson.id);
            let numbers: Vec<Numbers> = (1..=30).map(numbers).collect();
            for (index, drawn) in numbers.iter().enumerate() {
                assert!(!numbers[index + 1..].contains(drawn), "seed {} repeats another's numbers", index + 1);
            }
        }
        let picked: Vec<&str> =
            (1..=30).filter_map(|seed| variant("active-nat", seed, true)).map(|v| v.lesson.id).collect();
        for member in candidates("active-nat", true) {
            assert!(picked.contains(&member), "30 students cover every cause: {member} is missing");
        }
    }

    /// The numbers change no outcome: every lesson under many seeds ends as it does with the
    /// article's numbers, and the answers follow the variant's own addresses.
    #[test]
    fn a_variant_changes_numbers_but_not_what_happens() {
        for lesson in lessons::all() {
            let usual = Timeline::run(&lesson.scenario).expect("runs");
            let usual_verdict = usual.verdict();
            let usual_questions = questions(&usual);
            for seed in 1..=6 {
                let variant = variant(lesson.id, seed, false).expect("a lesson");
                assert_eq!(variant.scenario.validate(), Ok(()), "{} seed {seed}", lesson.id);
                let run = Timeline::run(&variant.scenario).expect("runs");
                let verdict = run.verdict();
                let what = |verdict: &crate::sim::verdict::Verdict| (verdict.outcome, verdict.cause, verdict.device);
                assert_eq!(what(verdict), what(usual_verdict), "{} seed {seed}", lesson.id);
                let asked = questions(&run);
                let kinds = |found: &[crate::assess::questions::Question]| {
                    found.iter().map(|question| question.ask.name()).collect::<Vec<_>>()
                };
                assert_eq!(kinds(&asked), kinds(&usual_questions), "{} seed {seed}", lesson.id);
                let topology = variant.scenario.topology();
                for question in &asked {
                    match &question.expected {
                        Expected::Address(address) => assert!(
                            [topology.client, topology.router_wan, topology.server, topology.server_public]
                                .contains(&address.ip())
                                || variant.scenario.bounce_to == Some(address.ip()),
                            "{} seed {seed}: {address} is one of the variant's hosts",
                            lesson.id
                        ),
                        Expected::NatRow { inside, public } => {
                            assert!([topology.client, topology.server].contains(&inside.ip()), "{}", lesson.id);
                            assert!(
                                [topology.router_wan, topology.server_public].contains(&public.ip()),
                                "{}",
                                lesson.id
                            );
                        }
                        _ => {}
                    }
                }
                assert_eq!(asked, questions(&Timeline::run(&variant.scenario).expect("runs")), "a fresh run agrees");
            }
        }
    }
}
