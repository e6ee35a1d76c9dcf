//! Properties of runs and timelines: determinism, exact rewinding, and a verdict at the end.

use ftpsim::ftp::client::DataMode;
use ftpsim::net::device::PrivateDestinations;
use ftpsim::sim::scenario::{IpVersion, PasvAddress, PortCheck, RefuseWith, Scenario, ServerFirewall, Transfer};
use ftpsim::sim::timeline::{Cursor, Timeline};
use ftpsim::sim::trace::EventKind;
use ftpsim::sim::world::World;
use proptest::prelude::*;

fn scenario() -> impl Strategy<Value = Scenario> {
    let modes = prop_oneof![
        Just(DataMode::Port),
        Just(DataMode::Eprt),
        Just(DataMode::Pasv),
        Just(DataMode::Epsv),
        Just(DataMode::Auto)
    ];
    let commands = prop_oneof![Just(Transfer::List), Just(Transfer::Retr), Just(Transfer::Stor)];
    let firewalls =
        prop_oneof![Just(ServerFirewall::Off), Just(ServerFirewall::PassiveRange), Just(ServerFirewall::ControlOnly)];
    (
        (modes, commands, firewalls, 1u32..3, any::<u64>()),
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |(
                (mode, command, server_firewall, transfers, seed),
                (client_firewall, client_nat, client_alg, server_alg, server_nat, trust_pasv_address),
                (v6, public_pasv, port_check_off, no_epsv, reject, unreachable, encrypted),
            )| Scenario {
                ip: if v6 { IpVersion::V6 } else { IpVersion::V4 },
                mode,
                command,
                transfers,
                client_firewall,
                client_firewall_action: if reject { RefuseWith::Reject } else { RefuseWith::Drop },
                client_nat,
                client_alg,
                server_firewall,
                server_alg,
                server_nat,
                pasv_address: if public_pasv { PasvAddress::Public } else { PasvAddress::Private },
                port_check: if port_check_off { PortCheck::Off } else { PortCheck::Strict },
                trust_pasv_address,
                server_epsv: !no_epsv,
                control_encrypted: encrypted,
                private_destinations: if unreachable {
                    PrivateDestinations::Unreachable
                } else {
                    PrivateDestinations::Drop
                },
                seed,
                ..Scenario::default()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_same_scenario_gives_the_same_trace(scenario in scenario()) {
        let first = Timeline::run(&scenario).expect("valid");
        let second = Timeline::run(&scenario).expect("valid");
        prop_assert_eq!(first.events(), second.events());
        prop_assert_eq!(first.verdict(), second.verdict());
    }

    #[test]
    fn every_run_ends_with_exactly_one_verdict_and_nothing_after(scenario in scenario()) {
        let timeline = Timeline::run(&scenario).expect("valid");
        let events = timeline.events();
        let verdicts = events.iter().filter(|event| matches!(event.kind, EventKind::Verdict { .. })).count();
        prop_assert_eq!(verdicts, 1);
        let ends_with_verdict = matches!(events.last().map(|event| &event.kind), Some(EventKind::Verdict { .. }));
        prop_assert!(ends_with_verdict, "the last event is the verdict");
        for (index, event) in events.iter().enumerate() {
            prop_assert_eq!(event.index, index);
        }
        prop_assert!(events.windows(2).all(|pair| pair[0].time <= pair[1].time), "time never runs backwards");
        let end = timeline.final_world();
        prop_assert!(end.is_idle(), "nothing is left to happen after the verdict");
        prop_assert!(end.client().app.outcome().is_some(), "the client knows how it ended");
    }

    #[test]
    fn the_world_at_any_event_equals_a_fresh_replay(scenario in scenario(), pick in any::<prop::sample::Index>()) {
        let timeline = Timeline::run(&scenario).expect("valid");
        let index = pick.index(timeline.len());
        let restored = timeline.world_at(index);
        let mut fresh = World::new(&scenario).expect("valid");
        for _ in 0..timeline.steps_at(index) {
            fresh.step();
        }
        prop_assert_eq!(restored, fresh);
    }

    #[test]
    fn stepping_back_k_then_forward_k_gives_the_identical_state(
        scenario in scenario(),
        pick in any::<prop::sample::Index>(),
        k in 1usize..150,
    ) {
        let timeline = Timeline::run(&scenario).expect("valid");
        let index = pick.index(timeline.len());
        let mut cursor = Cursor::new(&timeline);
        cursor.seek(&timeline, index);
        let before = cursor.world().clone();
        let back = k.min(index);
        for _ in 0..back {
            prop_assert!(cursor.step_back(&timeline));
        }
        for _ in 0..back {
            prop_assert!(cursor.step_forward(&timeline));
        }
        prop_assert_eq!(cursor.position(), index);
        prop_assert_eq!(cursor.world(), &before);
        prop_assert_eq!(cursor.world(), &timeline.world_at(index));
    }
}

#[test]
fn a_branch_keeps_the_history_and_changes_the_future() {
    let active = Scenario { mode: DataMode::Port, ..Scenario::default() };
    let timeline = Timeline::run(&active).expect("valid");
    assert!(!timeline.verdict().is_ok());
    // Branch right after login (before the data connection is set up) with the helper on.
    let logged_in =
        timeline.events().iter().position(|event| event.text.contains("Client receives the reply 230")).expect("login");
    let passive = Scenario { mode: DataMode::Pasv, ..active.clone() };
    let branch = timeline.branch(logged_in, &passive).expect("the mode can change mid-session");
    assert!(branch.verdict().is_ok(), "{:#?}", branch.verdict());
    assert_eq!(&branch.events()[..=logged_in], &timeline.events()[..=logged_in], "shared history");
    assert!(
        branch.events().iter().any(|event| matches!(event.kind, EventKind::SettingsChanged { .. }) && event.index > 0)
    );
    // The world in the branch, seen through a cursor walking across the branch point, is the
    // branched one.
    let mut cursor = Cursor::new(&branch);
    for index in 0..branch.len() {
        cursor.seek(&branch, index);
        assert_eq!(cursor.world(), &branch.world_at(index), "event {index}");
    }
    // Like Linux, a helper switched on mid-session does not follow the control connection that
    // is already open, and the branch says so.
    let helper = timeline.branch(logged_in, &Scenario { client_alg: true, ..active.clone() }).expect("branch");
    assert!(!helper.verdict().is_ok());
    assert!(helper.events().iter().any(|event| event.text.contains("only follows connections that start after")));
    // Settings that change addresses cannot be branched.
    let error = timeline.branch(logged_in, &Scenario { client_nat: false, ..active }).expect_err("needs restart");
    assert!(error.to_string().contains("restart"), "{error}");
}

#[test]
fn seeking_uses_snapshots_not_a_replay_from_the_start() {
    // A long session: every seek must cost at most one snapshot interval of replay; here we just
    // check correctness at far-apart points, the benchmark measures the cost.
    let long = Scenario { mode: DataMode::Pasv, command: Transfer::Retr, transfers: 120, ..Scenario::default() };
    let timeline = Timeline::run(&long).expect("valid");
    assert!(timeline.len() > 10_000, "{} events", timeline.len());
    assert!(timeline.verdict().is_ok());
    let mut cursor = Cursor::new(&timeline);
    for index in [10_000, 100, 5_000, 9_999, 0] {
        cursor.seek(&timeline, index);
        assert_eq!(cursor.world(), &timeline.world_at(index));
    }
}
