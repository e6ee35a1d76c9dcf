use super::*;
use crate::ftp::FtpTrace;
use crate::ftp::codec::Command;
use crate::net::packet::{Channel, PacketKind};
use crate::sim::scenario::ServerFirewall;
use crate::sim::settings;
use crate::sim::trace::{EventKind, Role};

/// A classroom whose steps jump (the page's reduced-motion behaviour).
fn still(lesson: Option<&str>) -> Classroom {
    let mut classroom = Classroom::new(lesson);
    classroom.animate = false;
    classroom
}

fn kind_at(classroom: &Classroom) -> &EventKind {
    &classroom.timeline.events()[classroom.position()].kind
}

fn step_until(classroom: &mut Classroom, what: impl Fn(&EventKind) -> bool) -> Vec<usize> {
    let mut stops = Vec::new();
    for _ in 0..500 {
        classroom.apply(Action::StepForward);
        stops.push(classroom.position());
        if what(kind_at(classroom)) || classroom.position() >= classroom.last() {
            break;
        }
    }
    stops
}

fn is_reply(kind: &EventKind, code: u16) -> bool {
    matches!(kind, EventKind::Ftp { role: Role::Client, event: FtpTrace::ReplyReceived(reply) } if reply.code == code)
}

fn is_first_data_syn(kind: &EventKind) -> bool {
    matches!(kind, EventKind::PacketSent { packet, .. } if packet.kind == PacketKind::Syn && packet.channel == Channel::Data(1))
}

#[test]
fn steps_go_from_key_moment_to_key_moment_and_back() {
    let mut classroom = still(Some("active-nat"));
    assert_eq!(classroom.position(), 0);
    classroom.apply(Action::StepForward);
    let first = classroom.position();
    assert!(first > 0);
    assert_eq!(classroom.timeline.events()[first].level, Level::Key);
    classroom.apply(Action::StepForward);
    classroom.apply(Action::StepBack);
    assert_eq!(classroom.position(), first);
    classroom.apply(Action::End);
    assert_eq!(classroom.position(), classroom.last());
    assert!(matches!(kind_at(&classroom), EventKind::Verdict { .. }));
    classroom.apply(Action::Restart);
    assert_eq!(classroom.position(), 0);
}

#[test]
fn key_moments_stop_on_the_data_connection_before_150_in_active_and_passive_lessons() {
    for lesson in ["active-client-firewall", "active-nat-helper", "passive-nat-firewall"] {
        let mut classroom = still(Some(lesson));
        let stops = step_until(&mut classroom, |kind| is_reply(kind, 150) || is_reply(kind, 425));
        let events = classroom.timeline.events();
        let syn_stop = stops.iter().position(|&at| is_first_data_syn(&events[at].kind));
        let end_stop = stops.len() - 1;
        let syn_stop = syn_stop.unwrap_or_else(|| panic!("{lesson}: no stop on the data connection's SYN"));
        assert!(syn_stop < end_stop, "{lesson}: the SYN stop comes before the reply");
        // Between the SYN and the reply, the class stops at each device's decision.
        let decisions = stops[syn_stop..]
            .iter()
            .filter(|&&at| {
                matches!(
                    &events[at].kind,
                    EventKind::PacketForwarded { packet, .. } | EventKind::PacketDropped { packet, .. }
                        if packet.channel == Channel::Data(1)
                )
            })
            .count();
        assert!(decisions >= 1, "{lesson}: at least one device decides on the SYN at a stop");
    }
}

#[test]
fn an_animated_step_moves_the_packets_one_hop_at_a_time_then_holds() {
    let mut classroom = still(Some("active-nat"));
    classroom.apply(Action::StepForward);
    classroom.apply(Action::StepForward);
    let jump = classroom.position();
    classroom.apply(Action::Restart);
    classroom.apply(Action::StepForward);
    classroom.animate = true;
    let from = classroom.position();
    classroom.apply(Action::StepForward);
    let target = classroom.playback.stepping_to.expect("a step under way");
    assert_eq!(target, jump);
    assert!(classroom.position() > from && classroom.position() < target, "the first hop is shown at once");
    assert!(!classroom.announce, "no announcement while packets hop");
    let mut ticks = 0;
    while classroom.playback.stepping_to.is_some() && ticks < 1000 {
        let before = classroom.position();
        classroom.apply(Action::Tick);
        assert!(classroom.position() >= before);
        assert_ne!(classroom.timeline.events()[classroom.position()].level, Level::Detail);
        ticks += 1;
    }
    assert_eq!(classroom.position(), target);
    assert!(classroom.announce, "the step is announced when it lands");
    assert!(!classroom.apply(Action::Tick), "a landed step holds: ticks change nothing");
    // A second press finishes a step under way at once.
    classroom.apply(Action::StepForward);
    if let Some(next) = classroom.playback.stepping_to {
        classroom.apply(Action::StepForward);
        assert!(classroom.position() >= next);
    }
}

#[test]
fn playback_holds_each_key_moment_long_enough_to_read_aloud_and_speed_changes_that() {
    fn shortest_hold(speed: usize) -> u32 {
        let mut classroom = still(Some("passive-nat-firewall"));
        classroom.apply(Action::SetSpeed(speed));
        classroom.apply(Action::TogglePlay);
        let mut holds = Vec::new();
        let mut on_key_since: Option<u32> = None;
        let mut clock = 0;
        for _ in 0..100_000 {
            if !classroom.playback.playing {
                break;
            }
            let before = classroom.position();
            classroom.apply(Action::Tick);
            clock += TICK_MS;
            if classroom.position() != before {
                if let Some(since) = on_key_since.take() {
                    holds.push(clock - since);
                }
                if classroom.timeline.events()[classroom.position()].level == Level::Key {
                    on_key_since = Some(clock);
                }
            }
        }
        assert_eq!(classroom.position(), classroom.last(), "playback runs to the end");
        holds.into_iter().min().unwrap_or(0)
    }
    assert!(shortest_hold(1) >= 2_500, "1×: {} ms", shortest_hold(1));
    assert!(shortest_hold(4) < shortest_hold(1), "8× is quicker");
    assert!(shortest_hold(0) > shortest_hold(1), "0.5× is slower");
}

#[test]
fn a_change_at_the_start_applies_and_at_the_end_reruns_with_the_new_verdict() {
    let mut classroom = still(Some("active-nat"));
    classroom.apply(Action::Change(Change::ClientAlg(true)));
    assert!(classroom.pending.is_none(), "at the start a change simply applies");
    assert!(classroom.scenario.client_alg && classroom.timeline.verdict().is_ok());
    assert_eq!(classroom.lesson, None, "the settings are no longer the lesson's");

    classroom.apply(Action::End);
    assert!(classroom.timeline.verdict().is_ok());
    classroom.apply(Action::Change(Change::ClientAlg(false)));
    assert!(classroom.pending.is_none(), "at the end a change re-runs");
    assert_eq!(classroom.position(), classroom.last(), "… and shows the new verdict");
    assert!(!classroom.timeline.verdict().is_ok());
    assert!(classroom.verdict_visible());
}

#[test]
fn mid_session_changes_queue_together_and_cancel_escape_and_restart_act_on_all() {
    let mut classroom = still(Some("active-nat"));
    classroom.apply(Action::StepForward);
    classroom.apply(Action::StepForward);
    let at = classroom.position();
    classroom.apply(Action::Change(Change::ClientAlg(true)));
    classroom.apply(Action::Change(Change::ServerFirewall(ServerFirewall::ControlOnly)));
    let pending = classroom.pending.clone().expect("mid-session changes wait");
    assert!(pending.scenario.client_alg && pending.scenario.server_firewall == ServerFirewall::ControlOnly);
    assert!(pending.description.contains("FTP helper (ALG) off → on"), "{}", pending.description);
    assert!(pending.description.contains("Server firewall"), "{}", pending.description);
    assert_eq!(classroom.form_scenario(), &pending.scenario, "the form shows both queued changes");
    assert!(!classroom.scenario.client_alg, "the run is unchanged");

    // The old run does not move underneath the panel.
    for action in [Action::StepForward, Action::StepBack, Action::End, Action::TogglePlay, Action::Seek(0)] {
        assert!(!classroom.apply(action.clone()), "{action:?} is ignored while changes wait");
        assert_eq!(classroom.position(), at);
    }

    classroom.apply(Action::CancelChanges);
    assert!(classroom.pending.is_none());
    assert_eq!(classroom.form_scenario(), &classroom.scenario, "the form is equal to the run again");
    assert!(!classroom.form_scenario().client_alg);

    // Restart (the top button too) applies every queued change and closes the panel.
    classroom.apply(Action::Change(Change::ClientAlg(true)));
    classroom.apply(Action::Change(Change::ServerFirewall(ServerFirewall::ControlOnly)));
    classroom.apply(Action::Restart);
    assert!(classroom.pending.is_none());
    assert!(classroom.scenario.client_alg && classroom.scenario.server_firewall == ServerFirewall::ControlOnly);
    assert_eq!(classroom.position(), 0);
    assert_eq!(classroom.form_scenario(), &classroom.scenario);

    // Changing a setting back drops the panel.
    classroom.apply(Action::StepForward);
    classroom.apply(Action::Change(Change::ClientAlg(false)));
    assert!(classroom.pending.is_some());
    classroom.apply(Action::Change(Change::ClientAlg(true)));
    assert!(classroom.pending.is_none());
}

#[test]
fn a_branch_says_so_and_its_verdict_does_not_contradict_the_settings() {
    let mut classroom = still(Some("active-nat"));
    classroom.apply(Action::StepForward);
    classroom.apply(Action::StepForward);
    classroom.apply(Action::Change(Change::ClientAlg(true)));
    let pending = classroom.pending.clone().expect("asks");
    assert!(pending.restart_only.is_none(), "the helper can be switched on mid-session");
    classroom.apply(Action::ConfirmBranch);
    assert!(classroom.pending.is_none());
    assert!(matches!(kind_at(&classroom), EventKind::SettingsChanged { .. }));
    assert!(
        classroom.caption().body.contains("only follows connections that start after"),
        "{}",
        classroom.caption().body
    );
    let verdict = classroom.timeline.verdict();
    assert!(!verdict.is_ok(), "the helper never saw the control connection");
    assert!(verdict.summary.contains("changed mid-session"), "{}", verdict.summary);
    let fix = verdict.fix.as_deref().unwrap_or("");
    assert!(fix.contains("switched on after the control connection opened"), "{fix}");
    // NAT changes addresses: only a restart.
    classroom.apply(Action::StepForward);
    classroom.apply(Action::Change(Change::ClientNat(false)));
    assert!(classroom.pending.as_ref().is_some_and(|pending| pending.restart_only.is_some()));
    classroom.apply(Action::ConfirmBranch);
    assert!(classroom.pending.is_some(), "no branch where only a restart is possible");
}

#[test]
fn bad_input_keeps_the_previous_state_and_says_why() {
    let mut classroom = still(None);
    let before = classroom.scenario.clone();
    let revision = classroom.form_revision;
    let port = settings::find("control-port").expect("setting");
    for text in ["abc", "0", "70000", "", "-1", "<script>"] {
        let action = match port.parse(text) {
            Ok(change) => Action::Change(change),
            Err(error) => Action::Refuse(error),
        };
        classroom.apply(action);
        assert_eq!(classroom.scenario, before, "{text}");
        assert!(classroom.notice.is_some(), "{text}");
    }
    // 50500 is a port, but inside the passive range: refused by the scenario's own check.
    classroom.apply(Action::Change(Change::ControlPort(50500)));
    assert_eq!(classroom.scenario, before);
    assert!(matches!(classroom.notice, Some(Notice::SettingsInvalid(_))));
    assert_eq!(classroom.form_revision, revision + 7, "the form is drawn again with the values in force");
    classroom.apply(Action::DismissNotice);
    classroom.apply(Action::Change(port.parse(" 2121 ").expect("a port")));
    assert_eq!(classroom.scenario.control_port, 2121);
    assert!(classroom.notice.is_none());
    classroom.apply(Action::LoadLesson("no-such-lesson".to_owned()));
    assert!(classroom.notice.as_ref().is_some_and(|notice| notice.text().contains("no-such-lesson")));
    let from_link = still(Some("<script>"));
    assert_eq!(from_link.scenario, Scenario::default());
    assert!(from_link.notice.as_ref().is_some_and(|notice| notice.text().contains("\"<script>\"")));
}

#[test]
fn the_quiz_cannot_be_spoiled_by_end_the_scrubber_or_play() {
    let mut classroom = still(Some("active-nat"));
    classroom.apply(Action::StepForward);
    classroom.apply(Action::ToggleQuiz);
    assert_eq!(classroom.position(), 0, "the quiz starts the run from the beginning");
    let at = classroom.quiz.at.expect("a quiz point");
    assert!(matches!(kind_at(&classroom), EventKind::SettingsChanged { .. }));
    for action in [Action::End, Action::Seek(10_000), Action::StepForward] {
        classroom.apply(action.clone());
        assert!(classroom.position() <= at, "{action:?} stops at the question");
    }
    classroom.apply(Action::End);
    assert_eq!(classroom.position(), at);
    classroom.apply(Action::Seek(classroom.last()));
    assert_eq!(classroom.position(), at, "the scrubber stops at the question too");
    assert!(!classroom.verdict_visible());
    classroom.apply(Action::TogglePlay);
    assert!(!classroom.playback.playing, "no playing past an open question");
    assert!(matches!(
        kind_at(&classroom),
        EventKind::Ftp { role: Role::Client, event: FtpTrace::CommandSent(Command::Port(_)) }
    ));
    classroom.apply(Action::Answer(QuizAnswer::Works));
    assert_eq!(classroom.quiz.answer, Some(QuizAnswer::Works));
    assert_eq!(quiz_truth(&classroom.timeline), QuizAnswer::Server);
    classroom.apply(Action::End);
    assert_eq!(classroom.position(), classroom.last());
}

#[test]
fn side_by_side_shares_one_step_counter() {
    let mut classroom = still(Some("active-nat"));
    classroom.apply(Action::ToggleCompare);
    let compare = classroom.compare.clone().expect("panes");
    assert_eq!((compare.left.mode(), compare.right.mode()), (DataMode::Port, DataMode::Pasv));
    assert_eq!(classroom.scrubber(), (0, compare.last_step()));
    classroom.apply(Action::StepForward);
    classroom.apply(Action::StepForward);
    let compare = classroom.compare.clone().expect("panes");
    assert_eq!(classroom.scrubber().0, 2, "one counter for both sides");
    assert!(compare.left.position() > 0 && compare.right.position() > 0);
    classroom.apply(Action::Seek(5));
    assert_eq!(classroom.compare.as_ref().map(|compare| compare.step), Some(5));
    classroom.apply(Action::End);
    let compare = classroom.compare.clone().expect("panes");
    assert!(compare.left.finished() && compare.right.finished());
    assert!(!compare.left.timeline.verdict().is_ok() && compare.right.timeline.verdict().is_ok());
    classroom.apply(Action::SetPaneMode(Side::Right, DataMode::Epsv));
    assert_eq!(classroom.compare.as_ref().map(|compare| compare.right.mode()), Some(DataMode::Epsv));
    // Settings are shared: a change re-runs both sides.
    classroom.apply(Action::Change(Change::ClientAlg(true)));
    let compare = classroom.compare.clone().expect("panes");
    assert!(compare.left.timeline.scenario().client_alg && compare.right.timeline.scenario().client_alg);
    classroom.apply(Action::ToggleCompare);
    assert!(classroom.compare.is_none());
}

#[test]
fn the_comparison_follows_the_network() {
    let mut classroom = still(Some("active-nat"));
    let texts: Vec<String> = classroom.comparison.iter().map(|cell| cell.text.clone()).collect();
    assert_eq!(texts, ["500", "500", "ok", "ok", "ok"]);
    classroom.apply(Action::Change(Change::ServerFirewall(ServerFirewall::ControlOnly)));
    let texts: Vec<String> = classroom.comparison.iter().map(|cell| cell.text.clone()).collect();
    assert_eq!(texts, ["500", "500", "timeout", "timeout", "timeout"]);
}

#[test]
fn a_running_timeout_is_counted_down_in_simulated_time() {
    let mut classroom = still(Some("active-client-firewall"));
    step_until(&mut classroom, |kind| matches!(kind, EventKind::PacketDropped { .. }));
    let countdowns = classroom.countdowns();
    let server = countdowns.iter().find(|countdown| countdown.text.contains("425")).expect("vsftpd's timeout runs");
    assert!(server.text.contains("connect_timeout"), "{}", server.text);
    assert!(server.left < Duration::from_secs(60) && server.left > Duration::from_secs(59), "{:?}", server.left);
    // A few retries later, less time is left.
    step_until(&mut classroom, |kind| matches!(kind, EventKind::PacketDropped { .. }));
    step_until(&mut classroom, |kind| matches!(kind, EventKind::PacketDropped { .. }));
    let later = classroom.countdowns();
    let later = later.iter().find(|countdown| countdown.text.contains("425")).expect("still running");
    assert!(later.left < server.left);
}

#[test]
fn picking_a_lesson_or_closing_a_dialog_returns_the_keyboard_to_the_stage() {
    let mut classroom = still(None);
    let focus = classroom.stage_focus;
    classroom.apply(Action::LoadLesson("active-nat".to_owned()));
    assert_eq!(classroom.stage_focus, focus + 1);
    classroom.apply(Action::StepForward);
    classroom.apply(Action::Change(Change::ClientAlg(true)));
    classroom.apply(Action::CancelChanges);
    assert_eq!(classroom.stage_focus, focus + 2);
}

/// Opens `classroom`'s link in a fresh classroom.
fn reopened(classroom: &Classroom) -> Classroom {
    let link = classroom.link().expect("linkable");
    let mut other = still(None);
    other.apply(Action::OpenLink(format!("#{link}")));
    assert_eq!(other.notice, None, "{link}");
    other
}

#[test]
fn a_link_opens_the_same_network_at_the_same_step() {
    let mut classroom = still(Some("active-nat"));
    for _ in 0..6 {
        classroom.apply(Action::StepForward);
    }
    classroom.apply(Action::SetStepLevel(Level::Packet));
    let other = reopened(&classroom);
    assert_eq!(other.origin, Some("active-nat"));
    assert_eq!(other.lesson, Some("active-nat"), "unchanged lesson settings are the lesson");
    assert_eq!(other.scenario, classroom.scenario);
    assert_eq!(other.position(), classroom.position());
    assert_eq!(other.step_level, Level::Packet);
    assert_eq!(other.link(), classroom.link(), "the link is stable");
}

#[test]
fn a_branched_run_with_changes_waiting_opens_the_same() {
    let mut classroom = still(Some("active-nat"));
    step_until(&mut classroom, |kind| {
        matches!(kind, EventKind::Ftp { event: FtpTrace::CommandSent(Command::Pwd), .. })
    });
    classroom.apply(Action::Change(Change::ClientAlg(true)));
    classroom.apply(Action::ConfirmBranch);
    assert!(classroom.timeline.is_branched());
    classroom.apply(Action::StepForward);
    classroom.apply(Action::Change(Change::ServerFirewall(ServerFirewall::ControlOnly)));
    assert!(classroom.pending.is_some());
    let other = reopened(&classroom);
    assert!(other.timeline.is_branched());
    assert_eq!(other.timeline.events(), classroom.timeline.events(), "the same run, event for event");
    assert_eq!(other.position(), classroom.position());
    assert_eq!(
        other.pending.as_ref().map(|pending| &pending.scenario),
        classroom.pending.as_ref().map(|p| &p.scenario)
    );
    assert_eq!(other.timeline.verdict(), classroom.timeline.verdict());
}

#[test]
fn side_by_side_and_quiz_are_in_the_link() {
    let mut classroom = still(Some("active-nat"));
    classroom.apply(Action::ToggleCompare);
    classroom.apply(Action::StepForward);
    classroom.apply(Action::StepForward);
    let other = reopened(&classroom);
    let (left, right) = (other.compare.as_ref().map(|c| c.left.mode()), other.compare.as_ref().map(|c| c.right.mode()));
    assert_eq!(
        (left, right),
        (classroom.compare.as_ref().map(|c| c.left.mode()), classroom.compare.as_ref().map(|c| c.right.mode()))
    );
    assert_eq!(other.compare.as_ref().map(|c| c.step), Some(2));
    let mut quiz = still(Some("active-nat"));
    quiz.apply(Action::ToggleQuiz);
    assert!(reopened(&quiz).quiz.enabled);
}

#[test]
fn a_garbage_link_shows_a_working_page_and_says_why() {
    let mut classroom = still(Some("active-nat"));
    classroom.apply(Action::OpenLink("#v=1&lesson=nope&step=abc&%3Cscript%3E=1".to_owned()));
    let Some(Notice::LinkProblems(problems)) = &classroom.notice else {
        panic!("expected a notice, got {:?}", classroom.notice);
    };
    assert_eq!(problems.len(), 3);
    assert!(classroom.notice.as_ref().map(Notice::text).unwrap_or_default().contains("<script>"));
    assert_eq!(classroom.scenario, Scenario::default(), "the default network is shown");
    classroom.apply(Action::StepForward);
    assert!(classroom.position() > 0, "and it works");
}

#[test]
fn the_share_dialog_opens_shows_a_qr_code_and_closes_with_escape() {
    let mut classroom = still(Some("active-nat"));
    classroom.apply(Action::TogglePlay);
    classroom.apply(Action::OpenShare);
    assert_eq!(classroom.dialog, Some(Dialog::Share(Share::default())));
    assert!(!classroom.playback.playing, "the class is not stepped on behind the dialog");
    classroom.apply(Action::ToggleQr);
    classroom.apply(Action::Copied);
    assert_eq!(classroom.dialog, Some(Dialog::Share(Share { qr: true, copied: true, embed: false })));
    classroom.apply(Action::ToggleEmbedCode);
    assert_eq!(
        classroom.dialog,
        Some(Dialog::Share(Share { qr: true, copied: false, embed: true })),
        "the embed code is shown, not yet copied"
    );
    classroom.apply(Action::Change(Change::ClientAlg(true)));
    let focus = classroom.stage_focus;
    classroom.apply(Action::Escape);
    assert_eq!(classroom.dialog, None, "Escape closes the dialog first");
    assert_eq!(classroom.stage_focus, focus + 1, "the keyboard returns to the stage");
    classroom.apply(Action::Escape);
    assert_eq!(classroom.dialog, None);
    classroom.apply(Action::OpenFiles);
    assert_eq!(classroom.dialog, Some(Dialog::Files(None)));
    classroom.apply(Action::CloseDialog);
    assert_eq!(classroom.dialog, None);
}

#[test]
fn a_reload_with_no_address_opens_what_the_browser_kept() {
    let mut classroom = still(Some("active-nat"));
    classroom.apply(Action::Change(Change::ClientAlg(true)));
    classroom.apply(Action::ConfirmRestart);
    classroom.apply(Action::StepForward);
    classroom.apply(Action::TogglePresenter);
    classroom.apply(Action::SetSpeed(3));
    classroom.apply(Action::SaveAs("  Room 12 ".to_owned()));
    assert_eq!(classroom.dialog, Some(Dialog::Files(Some(FilesNote::Saved("Room 12".to_owned())))));
    let kept = stored::decode(&classroom.stored().write()).expect("the record reads back");
    let reloaded = Classroom::start("", Ok(Some(kept.clone())));
    assert_eq!(reloaded.scenario, classroom.scenario, "the settings survive");
    assert_eq!(reloaded.position(), classroom.position(), "and the step");
    assert!(reloaded.presenter);
    assert_eq!(reloaded.playback.speed, 3);
    assert_eq!(reloaded.saved.len(), 1);
    assert_eq!(reloaded.notice, None);
    // The page's own address wins over what was kept.
    let linked = Classroom::start("lesson=passive-nat-firewall", Ok(Some(kept)));
    assert_eq!(linked.lesson, Some("passive-nat-firewall"));
    assert!(linked.presenter, "preferences still apply");
}

#[test]
fn an_unreadable_record_is_named_and_the_page_starts_afresh() {
    let problem = stored::decode("{\"version\": 1, \"presenter\": 7}").expect_err("unreadable");
    let classroom = Classroom::start("", Err(problem));
    assert_eq!(classroom.scenario, Scenario::default());
    let text = classroom.notice.as_ref().map(Notice::text).unwrap_or_default();
    assert!(text.contains("\"presenter\" should be an object") && text.contains(stored::SET_ASIDE_KEY), "{text}");
    let newer = Classroom::start("lesson=nope", Err(StoredProblem::Newer { version: 9 }));
    let text = newer.notice.as_ref().map(Notice::text).unwrap_or_default();
    assert!(text.contains("newer version") && text.contains("nope"), "both are said: {text}");
}

#[test]
fn saved_scenarios_open_and_delete_and_bad_names_are_refused_in_the_dialog() {
    let mut classroom = still(Some("active-nat"));
    classroom.apply(Action::OpenFiles);
    classroom.apply(Action::SaveAs("   ".to_owned()));
    assert_eq!(classroom.dialog, Some(Dialog::Files(Some(FilesNote::NotSaved(SaveProblem::NoName)))));
    // The changes waiting are what is saved.
    classroom.apply(Action::Change(Change::Mode(DataMode::Pasv)));
    classroom.apply(Action::SaveAs("<b>pasv</b>".to_owned()));
    classroom.apply(Action::CancelChanges);
    classroom.apply(Action::LoadLesson("passive-nat-firewall".to_owned()));
    classroom.apply(Action::OpenSaved(0));
    assert_eq!(classroom.scenario.mode, DataMode::Pasv);
    assert_eq!(classroom.lesson, None);
    assert_eq!(classroom.dialog, None);
    classroom.apply(Action::OpenSaved(7));
    classroom.apply(Action::DeleteSaved(7));
    assert_eq!(classroom.saved.len(), 1, "indexes past the list change nothing");
    classroom.apply(Action::DeleteSaved(0));
    assert!(classroom.saved.is_empty());
    assert_eq!(classroom.dialog, Some(Dialog::Files(Some(FilesNote::Deleted("<b>pasv</b>".to_owned())))));
}

#[test]
fn an_embedded_page_keeps_embed_mode_in_its_link_and_offers_the_whole_page() {
    let mut classroom = still(None);
    classroom.apply(Action::OpenLink("#v=1&lesson=active-nat&step=12&embed=on".to_owned()));
    assert!(classroom.embed, "embed=on shows the embed mode");
    assert_eq!(classroom.stage_focus, 0, "inside a course page it does not take the keyboard (nor scroll the page)");
    assert_eq!(classroom.notice, None);
    let link = classroom.link().expect("linkable");
    assert!(link.ends_with("&step=12&embed=on"), "a reload inside the iframe stays embedded: {link}");
    assert_eq!(classroom.link_shown(false).expect("linkable"), link.replace("&embed=on", ""), "the whole page's link");
    classroom.apply(Action::OpenLink("#v=1&lesson=active-nat".to_owned()));
    assert!(!classroom.embed, "a link without it shows the whole page");
    classroom.apply(Action::OpenLink("#v=1&lesson=active-nat&embed=off".to_owned()));
    assert!(!classroom.embed, "nor one that turns it off");
    // At the page's load, at the first step too (a lesson link with nothing else is opened the
    // short way, which must not lose embed mode).
    for fragment in ["#v=1&lesson=active-nat&embed=on", "#v=1&embed=on", "#lesson=active-nat&embed", "#embed=1"] {
        let loaded = Classroom::start(fragment, Ok(None));
        assert!(loaded.embed, "{fragment}");
        assert!(loaded.link().expect("linkable").ends_with("embed=on"), "{fragment}");
        assert_eq!(loaded.notice, None, "{fragment}");
        assert_eq!(loaded.stage_focus, 0, "{fragment}");
    }
}

#[test]
fn a_session_too_long_for_the_page_is_refused_and_the_run_on_screen_stays() {
    let mut classroom = still(Some("passive-nat-firewall"));
    let scenario = classroom.scenario.clone();
    let too_many = MAX_TRANSFERS_ON_PAGE + 1;
    for attempt in [
        Action::Change(Change::Transfers(too_many)),
        Action::OpenLink(format!("#v=1&lesson=passive-nat-firewall&transfers={too_many}")),
    ] {
        classroom.apply(attempt);
        let notice = classroom.notice.as_ref().map(Notice::text).unwrap_or_default();
        assert!(notice.contains(&format!("{too_many} transfers is too long for a browser tab")), "{notice}");
        assert!(notice.contains(&MAX_TRANSFERS_ON_PAGE.to_string()), "it says how many the page plays: {notice}");
    }
    assert_eq!(classroom.scenario.transfers, scenario.transfers, "nothing of it was played");
    classroom.apply(Action::Change(Change::Transfers(MAX_TRANSFERS_ON_PAGE)));
    assert_eq!(classroom.form_scenario().transfers, MAX_TRANSFERS_ON_PAGE, "the limit itself is taken");
}

#[cfg(feature = "assessment")]
mod assessment {
    use super::*;
    use crate::assess::attempt::{LessonStatus, Mode};
    use crate::assess::questions::{Mark, Question, Response};

    fn opened(fragment: &str) -> Classroom {
        let mut classroom = still(None);
        classroom.apply(Action::OpenLink(fragment.to_owned()));
        classroom
    }

    /// Steps to the end, answering each question as it comes with `answer`.
    fn play_answering(classroom: &mut Classroom, answer: impl Fn(&Question) -> Response) {
        for _ in 0..2000 {
            let position = classroom.position();
            let due =
                classroom.assessment.as_ref().map(|assessment| assessment.attempt.due(position)).unwrap_or_default();
            for index in due {
                let question = classroom.assessment.as_ref().expect("on").attempt.questions[index].clone();
                classroom.apply(Action::Respond(index, answer(&question)));
            }
            if classroom.position() >= classroom.last() {
                break;
            }
            classroom.apply(Action::StepForward);
        }
    }

    #[test]
    fn an_assignment_link_gives_each_student_a_stable_variant() {
        let first = opened("#v=1&lesson=active-nat&quiz=test&assignment=7&pass=80");
        let again = opened("#v=1&lesson=active-nat&quiz=test&assignment=7&pass=80");
        let neighbour = opened("#v=1&lesson=active-nat&quiz=test&assignment=8&pass=80");
        assert!(first.notice.is_none(), "{:?}", first.notice);
        assert_eq!(first.scenario, again.scenario, "the same link, the same variant");
        assert_ne!(
            first.scenario.topology().client,
            neighbour.scenario.topology().client,
            "a neighbour's numbers differ"
        );
        assert_eq!(first.lesson, None, "no title that names the cause");
        let assessment = first.assessment.as_ref().expect("questions");
        assert_eq!((assessment.lesson, assessment.seed, assessment.passing), ("active-nat", Some(7), Some(80)));
        assert_eq!(assessment.attempt.mode, Mode::Test);
        // The page's own link gives the same variant back.
        let link = first.link().expect("linkable");
        assert_eq!(link, "v=1&lesson=active-nat&quiz=test&assignment=7&pass=80");
        assert_eq!(opened(&link).scenario, first.scenario);
        // Opened as the page opens its address at load, too.
        let started = Classroom::start(&link, Ok(None));
        assert_eq!((started.scenario.clone(), started.assessment.is_some()), (first.scenario.clone(), true));
    }

    #[test]
    fn nothing_moves_past_an_open_question_and_the_outcome_stays_hidden() {
        let mut classroom = opened("#v=1&lesson=passive-nat-firewall&quiz=practice");
        let first_question = classroom.limit().expect("a question");
        assert!(classroom.questions_open());
        classroom.apply(Action::End);
        assert_eq!(classroom.position(), first_question, "End stops at the question");
        classroom.apply(Action::TogglePlay);
        assert!(!classroom.playback.playing, "nor does play go on");
        classroom.apply(Action::Change(crate::sim::scenario::Change::ClientAlg(true)));
        assert!(matches!(classroom.notice, Some(Notice::QuestionsOpen)), "the settings are locked");
        assert!(!classroom.scenario.client_alg);
        play_answering(&mut classroom, |question| question.expected.right_response());
        assert_eq!(classroom.position(), classroom.last());
        assert!(!classroom.questions_open(), "after the last answer the table shows");
        let assessment = classroom.assessment.as_ref().expect("on");
        assert_eq!(assessment.attempt.score().percent(), 100);
        assert_eq!(assessment.attempt.status(assessment.passing), LessonStatus::Completed);
    }

    #[test]
    fn practice_marks_each_answer_and_a_test_keeps_the_marks_for_the_end() {
        let mut practice = opened("#v=1&lesson=active-client-firewall&quiz=practice");
        let at = practice.limit().expect("a question");
        assert_eq!(practice.position(), 0);
        practice.apply(Action::Seek(at));
        practice.apply(Action::Respond(0, Response::YesNo(true)));
        let assessment = practice.assessment.as_ref().expect("on");
        assert!(matches!(assessment.feedback, Some((0, Mark::Wrong(_)))), "{:?}", assessment.feedback);
        assert_eq!(
            assessment.on_screen(at).len(),
            assessment.attempt.due(at).len() + 1,
            "the marked one stays on screen"
        );
        practice.apply(Action::Respond(0, Response::YesNo(false)));
        assert_eq!(practice.assessment.as_ref().expect("on").feedback, Some((0, Mark::Right)));

        let mut test = opened("#v=1&lesson=active-client-firewall&quiz=test&pass=50");
        test.apply(Action::Seek(at));
        test.apply(Action::Respond(0, Response::YesNo(true)));
        test.apply(Action::Respond(0, Response::YesNo(false)));
        let assessment = test.assessment.as_ref().expect("on");
        assert_eq!(assessment.feedback, None, "a test shows no mark");
        assert_eq!(assessment.attempt.records[0].tries, 1, "and takes one answer");
        // A question not yet asked cannot be answered.
        let later = assessment.attempt.questions.iter().position(|question| question.asked_at > at).expect("later");
        test.apply(Action::Respond(later, Response::YesNo(true)));
        assert_eq!(test.assessment.as_ref().expect("on").attempt.records[later].tries, 0);
        play_answering(&mut test, |_| Response::YesNo(true));
        let assessment = test.assessment.as_ref().expect("on");
        assert_eq!(assessment.attempt.status(assessment.passing), LessonStatus::Failed);
    }

    #[test]
    fn progress_from_the_course_resumes_the_attempt_and_bad_progress_is_named() {
        let mut classroom = opened("#v=1&lesson=active-nat&quiz=test&assignment=3");
        play_answering(&mut classroom, |question| question.expected.right_response());
        let report = classroom.assessment_report(4200).expect("on");
        assert_eq!(
            (report.score_raw, report.lesson_status, report.session_time.as_str()),
            (100, LessonStatus::Completed, "0000:00:42.00")
        );
        let saved = report.suspend_data;
        let mut again = opened("#v=1&lesson=active-nat&quiz=test&assignment=3");
        again.apply(Action::Resume(saved.clone()));
        assert!(again.assessment.as_ref().expect("on").attempt.finished());
        assert_eq!(again.position(), classroom.position(), "back where the student was");
        let mut other = opened("#v=1&lesson=active-nat&quiz=test&assignment=4");
        other.apply(Action::Resume(saved));
        assert!(matches!(other.notice, Some(Notice::NotResumed(_))), "{:?}", other.notice);
        assert!(!other.assessment.as_ref().expect("on").attempt.finished());
    }

    #[test]
    fn a_bad_assessment_link_is_named_and_the_rest_shown() {
        let classroom = opened("#v=1&lesson=active-nat&quiz=exam&assignment=x&pass=150");
        let Some(Notice::LinkProblems(problems)) = &classroom.notice else { panic!("{:?}", classroom.notice) };
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(classroom.assessment.is_none());
        assert_eq!(classroom.lesson, Some("active-nat"));
    }
}
