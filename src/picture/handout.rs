//! The printed documents of a run: a handout, a worksheet with blanks to fill, and its answer
//! key.
//!
//! They are made of what the page already draws: the settings from the one settings table, the
//! topology picture, the ladder as a drawing of its own (cut into page-sized parts), the
//! transcript's lines, the verdict and the every-mode table; maud escapes every text.
//!
//! The worksheet's answers are read off the run, never written per lesson: the client's
//! address as the server sees it (the server's end of the control connection), the address and
//! port inside PORT/EPRT or 227/229 as one end sent it and as the other read it, the device the
//! verdict names, and every setting that fixes the run on its own — each one a fresh run of the
//! engine with that one setting changed. The worksheet shows the session only up to the moment
//! the client sets up the data connection (the quiz's moment), so no line of it gives an answer
//! away; the answer key is the same sheet with the answers filled in, the verdict and the
//! every-mode table.
//!
//! Left out on purpose: pagination beyond the print stylesheet's hints (the browser paginates),
//! and questions for what a run never did (no PORT or 227 in it: no question about one).

use std::net::SocketAddr;

use maud::{Markup, PreEscaped, html};

use super::{ladder, topology, transcript};
use crate::assess::facts::value_words;
pub use crate::assess::facts::{Announced, Announcement, Answers, Fix, Said, answers, fixes};
use crate::classroom::{Printout, quiz_point};
use crate::messages::page::{self as page, handout as say, verdict as words};
use crate::sim::lessons::Lesson;
use crate::sim::matrix::Cell;
use crate::sim::scenario::Scenario;
use crate::sim::scene;
use crate::sim::settings::{SETTINGS, Setting};
use crate::sim::timeline::Timeline;
use crate::sim::trace::NodeId;
use crate::sim::verdict::Cause;

/// Ladder rows per printed part: a part fills about one A4 or Letter page.
pub const LADDER_ROWS_PER_PART: usize = 34;

/// The settings as the form shows them, and any other setting that differs from the default
/// (a bounce address, timeouts): (label, value, whether it has an effect here).
fn settings_rows(scenario: &Scenario) -> Vec<(&'static str, String, bool)> {
    let shown: Vec<&Setting> = SETTINGS.iter().filter(|setting| setting.on_page).collect();
    let mut rows: Vec<(&'static str, String, bool)> = shown
        .iter()
        .map(|setting| {
            let token = setting.value(scenario);
            let value = value_words(setting, &token).map_or(token, str::to_owned);
            (setting.label, value, setting.unavailable(scenario).is_none())
        })
        .collect();
    let default = Scenario::default().in_words();
    for ((label, value), (_, usual)) in scenario.in_words().into_iter().zip(default) {
        if value != usual && !shown.iter().any(|setting| setting.label == label) {
            rows.push((label, value, true));
        }
    }
    rows
}

fn settings_table(scenario: &Scenario) -> Markup {
    html! {
        section {
            h2 { (say::SETTINGS) }
            ul class="settings-list" {
                @for (label, value, effect) in settings_rows(scenario) {
                    li { b { (label) } " " (value) @if !effect { (say::NO_EFFECT) } }
                }
            }
        }
    }
}

fn picture(timeline: &Timeline, at: usize, caption: &str) -> Markup {
    let scene = scene::scene(timeline, &timeline.world_at(at), at);
    let style = topology::Style { hop_ms: 0, size: topology::Type::Normal, orientation: topology::Orientation::Wide };
    let svg = topology::layout(&scene, at, style).svg(page::topology::LABEL, "topology");
    html! { figure class="network" { (PreEscaped(svg)) figcaption { (caption) } } }
}

fn transcript_list(lines: &[transcript::Line]) -> Markup {
    html! {
        ol class="transcript-lines" {
            @for line in lines { li class=(line.kind.class()) { (PreEscaped(line.markup(false))) } }
        }
    }
}

fn ladder_parts(rows: &[ladder::Row], lanes: [&str; 5]) -> Markup {
    html! {
        section class="ladder-parts" {
            h2 { (say::LADDER) }
            @for part in rows.chunks(LADDER_ROWS_PER_PART) {
                @let drawing = ladder::svg(part, lanes, say::LADDER);
                div class="ladder-part" { (PreEscaped(drawing.find("<svg").map_or("", |start| &drawing[start..]))) }
            }
        }
    }
}

fn verdict_section(timeline: &Timeline) -> Markup {
    let verdict = timeline.verdict();
    let (title, _) = verdict.headline(timeline.scenario().server_nat_active());
    html! {
        section {
            h2 { (page::panels::VERDICT) }
            p { b { (title) } }
            @if let Some(cause) = verdict.cause { p { (words::why(cause.words(), verdict.final_reply)) } }
            p { (verdict.summary) }
            @if let Some(fix) = &verdict.fix { p { b { (words::FIX) } " " (fix) } }
        }
    }
}

fn every_mode(comparison: &[Cell], scenario: &Scenario) -> Markup {
    html! {
        section {
            h2 { (page::panels::EVERY_MODE) }
            (PreEscaped(super::tables::every_mode(comparison, scenario)))
        }
    }
}

/// One question of the worksheet: what it asks, and its blanks, each a label and the answer the
/// key fills in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub ask: String,
    pub blanks: Vec<(&'static str, String)>,
    /// The event that shows the answer, if one does.
    pub at: Option<usize>,
}

fn decoded(announced: &Announced, control_server: Option<SocketAddr>) -> String {
    match announced.address {
        Some(address) => say::decoded(&address.to_string(), announced.port, announced.two_numbers),
        None => {
            say::port_only(announced.port, &control_server.map(|server| server.ip().to_string()).unwrap_or_default())
        }
    }
}

/// The worksheet's questions about `timeline`, with `answers` read off it. A question about
/// something the run never did (no PORT, no 227) is left out; so is the fix of a run that works.
pub fn questions(timeline: &Timeline, answers: &Answers) -> Vec<Question> {
    let server_nat = timeline.scenario().server_nat_active();
    let control_server = answers.control.map(|(_, server)| server);
    let mut questions = Vec::new();
    if let (Some((client, _)), Some((seen, at))) = (answers.control, answers.seen_as) {
        questions.push(Question {
            ask: say::seen_as(&client.ip().to_string()),
            blanks: vec![(say::ADDRESS, say::port_of(&seen.ip().to_string(), seen.port()))],
            at: Some(at),
        });
    }
    if let Some(announcement) = &answers.announcement {
        let sent = &announcement.sent;
        questions.push(Question {
            ask: say::announced(announcement.by_server, &sent.line, sent.announced.two_numbers),
            blanks: vec![(say::ADDRESS_PORT, decoded(&sent.announced, control_server))],
            at: None,
        });
        let blanks = match &announcement.received {
            Some(received) => vec![
                (say::LINE, if received.line == sent.line { say::SAME.to_owned() } else { received.line.clone() }),
                (say::ADDRESS_PORT, decoded(&received.announced, control_server)),
            ],
            None => vec![(say::LINE, say::NEVER_ARRIVED.to_owned())],
        };
        let at = announcement.received.as_ref().map(|received| received.event);
        questions.push(Question { ask: say::received(announcement.by_server), blanks, at });
    }
    let places: Vec<&str> = NodeId::ALL[1..].iter().map(|place| place.label(server_nat)).collect();
    let stop = match answers.stopped_at {
        Some(place) => say::fails_at(place.label(server_nat), answers.cause.map_or("", Cause::words)),
        None => say::IT_WORKS.to_owned(),
    };
    questions.push(Question {
        ask: say::where_it_stops(&places.join(" · ")),
        blanks: vec![("", stop)],
        at: answers.stop_event,
    });
    if !answers.works {
        let fixes: Vec<String> = answers.fixes.iter().map(|fix| say::fix(fix.setting, fix.value)).collect();
        let fixes = if fixes.is_empty() { say::NO_FIX.to_owned() } else { say::any_of(&fixes.join("; ")) };
        questions.push(Question { ask: say::WHICH_FIX.to_owned(), blanks: vec![("", fixes)], at: None });
    }
    questions
}

fn questions_section(timeline: &Timeline, answers: &Answers, key: bool) -> Markup {
    html! {
        section class="sheet-questions" {
            h2 { (say::QUESTIONS) }
            ol {
                @for question in questions(timeline, answers) {
                    li {
                        p { (question.ask) }
                        @for (label, answer) in &question.blanks {
                            p class="fill" {
                                (label) " "
                                @if key { span class="answer" { (answer) } } @else { span class="blank" {} }
                            }
                        }
                        @if key {
                            @if let Some(event) = question.at.and_then(|at| timeline.events().get(at)) {
                                p class="where" { (say::seen_at(&event.time.to_string())) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The handout: the network where it went wrong (or at the end), the verdict, the every-mode
/// table, the whole transcript and the ladder.
fn handout_body(timeline: &Timeline, comparison: &[Cell], lanes: [&str; 5]) -> Markup {
    let scenario = timeline.scenario();
    let last = timeline.len().saturating_sub(1);
    let verdict = timeline.verdict();
    let (at, caption) = match verdict.event.filter(|_| !verdict.is_ok()) {
        Some(event) => (event, say::at_failure(&timeline.events()[event.min(last)].time.to_string())),
        None => (last, say::AT_END.to_owned()),
    };
    html! {
        (picture(timeline, at, &caption))
        (verdict_section(timeline))
        (every_mode(comparison, scenario))
        section class="transcript-print" {
            h2 { (say::TRANSCRIPT) }
            (transcript_list(&transcript::lines(timeline, last)))
        }
        (ladder_parts(&ladder::rows(timeline, last), lanes))
    }
}

/// The worksheet (or with `key`, its answer key): the network before the session, the
/// questions, and the session up to the moment the client sets up the data connection.
fn worksheet_body(timeline: &Timeline, comparison: &[Cell], key: bool, lanes: [&str; 5]) -> Markup {
    let scenario = timeline.scenario();
    let last = timeline.len().saturating_sub(1);
    let answers = answers(timeline);
    // Up to the moment the client sets up the data connection: nothing after it is shown.
    let cut = quiz_point(timeline).unwrap_or(last);
    let announced_at = answers.announcement.as_ref().map(|announcement| announcement.sent.event);
    let lines: Vec<transcript::Line> = transcript::lines(timeline, cut)
        .into_iter()
        .map(|mut line| {
            if Some(line.index) == announced_at && !key {
                line.decoded.clear();
            }
            line
        })
        .collect();
    // A row's title is the event in words, with addresses: only its label is kept.
    let rows: Vec<ladder::Row> =
        ladder::rows(timeline, cut).into_iter().map(|row| ladder::Row { title: row.label.clone(), ..row }).collect();
    html! {
        (picture(timeline, 0, say::AT_START))
        (questions_section(timeline, &answers, key))
        @if key {
            (verdict_section(timeline))
            (every_mode(comparison, scenario))
        }
        section class="transcript-print" {
            h2 { (say::TRANSCRIPT) }
            p class="note" { (say::SO_FAR) }
            (transcript_list(&lines))
        }
        (ladder_parts(&rows, lanes))
    }
}

/// The document to print for `timeline`, as escaped markup: `comparison` is the every-mode
/// table of its settings, `lesson` the lesson they are (the title says "your own settings"
/// without one).
pub fn document(timeline: &Timeline, comparison: &[Cell], lesson: Option<&Lesson>, printout: Printout) -> String {
    let scenario = timeline.scenario();
    let lanes = ladder::lanes(scenario.server_nat_active());
    let (kind, class) = match printout {
        Printout::Handout => (say::HANDOUT, "handout"),
        Printout::Worksheet => (say::WORKSHEET, "worksheet"),
        Printout::AnswerKey => (say::ANSWER_KEY, "answer-key"),
    };
    let title = lesson.map_or(page::OWN_SETTINGS, |lesson| lesson.title);
    let head = html! {
        header {
            p class="kind" { (kind) " · " (page::TITLE) }
            h1 { (title) }
            @if let Some(lesson) = lesson { p class="intro" { (lesson.intro) } }
            @if printout == Printout::Worksheet { p class="fill" { (say::NAME) " " span class="blank" {} } }
        }
    };
    let body = match printout {
        Printout::Handout => handout_body(timeline, comparison, lanes),
        Printout::Worksheet | Printout::AnswerKey => {
            worksheet_body(timeline, comparison, printout == Printout::AnswerKey, lanes)
        }
    };
    html! {
        article class=(format!("printout {class}")) {
            (head)
            (settings_table(scenario))
            (body)
        }
    }
    .into_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::lessons;
    use crate::sim::matrix::{MODES, compare_modes};
    use crate::sim::trace::EventKind;

    fn run(id: &str) -> (Lesson, Timeline) {
        let lesson = lessons::find(id).expect("a lesson");
        let timeline = Timeline::run(&lesson.scenario).expect("valid");
        (lesson, timeline)
    }

    fn print(id: &str, printout: Printout) -> String {
        let (lesson, timeline) = run(id);
        document(&timeline, &compare_modes(&lesson.scenario, &MODES), Some(&lesson), printout)
    }

    fn keys(fixes: &[Fix]) -> Vec<String> {
        fixes.iter().map(|fix| format!("{}={}", fix.key, fix.token)).collect()
    }

    /// Text as maud writes it.
    fn escaped(text: &str) -> String {
        html! { (text) }.into_string()
    }

    /// The port written as p1,p2 at the end of a PORT or 227 line, read without the codec.
    fn last_two(line: &str) -> u16 {
        let digits: String = line.chars().filter(|c| c.is_ascii_digit() || *c == ',').collect();
        let numbers: Vec<u16> = digits.split(',').filter_map(|n| n.parse().ok()).collect();
        numbers[numbers.len() - 2] * 256 + numbers[numbers.len() - 1]
    }

    /// A lesson, the client as the server sees it, the announcement as sent and as received, the
    /// place it stops at and the fixes.
    type Expected = (&'static str, &'static str, &'static str, &'static str, Option<NodeId>, &'static [&'static str]);

    #[test]
    fn every_answer_is_read_off_the_run() {
        // (lesson, as the server sees the client, announced as sent, as received, stopped at, fixes)
        let expected: [Expected; 5] = [
            (
                "active-nat",
                "203.0.113.1:60091",
                "PORT 192,168,1,2,226,217",
                "PORT 192,168,1,2,226,217",
                Some(NodeId::Server),
                &["mode=pasv", "mode=epsv", "mode=auto", "client-alg=on"],
            ),
            (
                "active-nat-helper",
                "203.0.113.1:60091",
                "PORT 192,168,1,2,226,217",
                "PORT 203,0,113,1,226,217",
                None,
                &[],
            ),
            (
                "passive-nat-firewall",
                "203.0.113.1:60091",
                "227 Entering Passive Mode (198,51,100,10,195,172).",
                "227 Entering Passive Mode (198,51,100,10,195,172).",
                None,
                &[],
            ),
            (
                "server-nat-classic-client",
                "203.0.113.1:60091",
                "227 Entering Passive Mode (10,0,0,10,195,172).",
                "227 Entering Passive Mode (10,0,0,10,195,172).",
                Some(NodeId::Internet),
                &[
                    "mode=epsv",
                    "mode=auto",
                    "server-alg=on",
                    "server-nat=off",
                    "pasv-address=public",
                    "trust-pasv-address=off",
                    "ip=v6",
                ],
            ),
            (
                "epsv-ipv6",
                "[2001:db8:1::2]:60091",
                "229 Entering Extended Passive Mode (|||50092|)",
                "229 Entering Extended Passive Mode (|||50092|)",
                None,
                &[],
            ),
        ];
        for (id, seen, sent, received, stopped, fixed) in expected {
            let (lesson, timeline) = run(id);
            let found = answers(&timeline);
            let events = timeline.events();

            // The server's end of the control connection, and the home router's NAT table then.
            let (seen_as, at) = found.seen_as.expect("a control connection");
            assert_eq!(seen_as.to_string(), seen, "{id}");
            assert_eq!(events[at].device, NodeId::Server);
            let (client, _) = found.control.expect("a control connection");
            let world = timeline.world_at(at);
            let nat = world
                .home_router()
                .conntrack()
                .entries()
                .find(|entry| entry.nat.is_some() && entry.original.src == client)
                .map(|entry| entry.reply.dst);
            assert_eq!(nat.unwrap_or(client), seen_as, "{id}: the NAT table says the same");

            // The announcement as sent and as received, each at an event that says so.
            let announcement = found.announcement.as_ref().expect("an announcement");
            assert_eq!(
                (announcement.sent.line.as_str(), announcement.by_server),
                (sent, sent.starts_with('2')),
                "{id}"
            );
            let back = announcement.received.as_ref().expect("it arrived");
            assert_eq!(back.line, received, "{id}");
            assert!(back.event > announcement.sent.event);
            for said in [&announcement.sent, back] {
                assert!(
                    events[said.event].text.contains(said.line.split(" (").next().unwrap_or_default()),
                    "{id}: {}",
                    events[said.event].text
                );
                if said.announced.two_numbers {
                    assert_eq!(said.announced.port, last_two(&said.line), "{id}: p1 × 256 + p2");
                } else {
                    assert!(said.line.contains(&said.announced.port.to_string()));
                }
            }
            if received != sent {
                // The helper's rewrite is in the run, between the two.
                assert!(events[announcement.sent.event..back.event].iter().any(|event| matches!(
                    &event.kind,
                    EventKind::Device { event: crate::net::device::DeviceEvent::PayloadRewritten { after, .. } } if after == received
                )));
            }

            // Where it stops: the verdict's device and the quiz's truth agree.
            assert_eq!(found.stopped_at, stopped, "{id}");
            assert_eq!(found.works, stopped.is_none());
            assert_eq!(found.stopped_at, timeline.verdict().device.filter(|_| !found.works));
            assert_eq!(crate::classroom::quiz_truth(&timeline) == crate::classroom::QuizAnswer::Works, found.works);

            // Every fix listed works on its own, and every other single change does not.
            assert_eq!(keys(&found.fixes), fixed, "{id}");
            for fix in &found.fixes {
                let mut changed = lesson.scenario.clone();
                crate::sim::settings::find(fix.key)
                    .and_then(|setting| setting.parse(fix.token).ok())
                    .expect("a change")
                    .apply(&mut changed);
                assert!(Timeline::run(&changed).expect("valid").verdict().is_ok(), "{id}: {:?}", fix);
            }
        }
    }

    #[test]
    fn the_worksheet_has_blanks_where_the_key_has_the_answers() {
        for id in ["active-nat", "active-nat-helper", "passive-nat-firewall", "server-nat-classic-client", "epsv-ipv6"]
        {
            let (_, timeline) = run(id);
            let found = answers(&timeline);
            let worksheet = print(id, Printout::Worksheet);
            let key = print(id, Printout::AnswerKey);
            let asked = questions(&timeline, &found);
            assert_eq!(asked.len(), if found.works { 4 } else { 5 }, "{id}");
            let blanks: Vec<&String> =
                asked.iter().flat_map(|question| question.blanks.iter().map(|(_, answer)| answer)).collect();
            assert_eq!(
                worksheet.matches("<span class=\"blank\">").count(),
                blanks.len() + 1,
                "{id}: a blank per answer, and the name"
            );
            assert_eq!(key.matches("<span class=\"blank\">").count(), 0, "{id}");
            assert!(!worksheet.contains("class=\"answer\"") && !worksheet.contains("class=\"where\""), "{id}");
            for question in &asked {
                assert!(worksheet.contains(&escaped(&question.ask)) && key.contains(&escaped(&question.ask)), "{id}");
            }
            for answer in blanks {
                let answer = escaped(answer);
                assert!(
                    key.contains(&format!("<span class=\"answer\">{answer}</span>")),
                    "{id}: the key says {answer}"
                );
                // "It works" is one of the places to circle.
                assert!(
                    answer == say::IT_WORKS || !worksheet.contains(&answer),
                    "{id}: the worksheet gives {answer} away"
                );
            }
            // The answers say what the run did, in words.
            let said = asked.iter().map(|question| format!("{:?}", question.blanks)).collect::<Vec<_>>().join("\n");
            let (seen, _) = found.seen_as.expect("seen");
            assert!(said.contains(&say::port_of(&seen.ip().to_string(), seen.port())), "{id}: {said}");
            let announcement = found.announcement.as_ref().expect("announced");
            assert!(said.contains(&announcement.sent.announced.port.to_string()), "{id}");
            let server_nat = timeline.scenario().server_nat_active();
            match found.stopped_at {
                Some(place) => {
                    assert!(said.contains(&say::fails_at(place.label(server_nat), found.cause.expect("cause").words())))
                }
                None => assert!(said.contains(say::IT_WORKS)),
            }
            for fix in &found.fixes {
                assert!(said.contains(&say::fix(fix.setting, fix.value)), "{id}: {fix:?}");
            }
            // Nothing after the client sets up the data connection, and no address of a
            // connection: the event texts (ladder titles, notes) are not on the sheet.
            let cut = quiz_point(&timeline).expect("a data connection");
            let client = found.control.expect("control").0;
            for address in [format!("{}:", client.ip()), format!("[{}]:", client.ip()), seen.to_string()] {
                assert!(!worksheet.contains(&address), "{id}: {address} is on the worksheet");
            }
            for line in transcript::lines(&timeline, timeline.len() - 1).iter().filter(|line| line.index > cut) {
                let text = escaped(&line.text);
                if announcement.sent.line != line.text {
                    assert!(
                        !worksheet.contains(&format!("<span class=\"text\">{text}</span>")),
                        "{id}: {text} is after the cut"
                    );
                }
            }
            // A worksheet is a worksheet; the key tells the verdict.
            assert!(worksheet.contains(say::WORKSHEET) && worksheet.contains(say::NAME));
            assert!(!worksheet.contains(&escaped(&timeline.verdict().summary)));
            assert!(key.contains(&escaped(&timeline.verdict().summary)));
        }
    }

    #[test]
    fn the_handout_has_every_part_of_the_run() {
        for id in ["active-nat", "passive-nat-firewall", "epsv-ipv6"] {
            let (lesson, timeline) = run(id);
            let handout = print(id, Printout::Handout);
            assert!(handout.contains(&escaped(lesson.title)) && handout.contains(say::HANDOUT));
            for setting in SETTINGS.iter().filter(|setting| setting.on_page) {
                assert!(handout.contains(&format!("<li><b>{}</b>", escaped(setting.label))), "{id}: {}", setting.key);
            }
            assert_eq!(handout.matches("<svg class=\"topology\"").count(), 1);
            let rows = ladder::rows(&timeline, timeline.len() - 1);
            assert_eq!(
                handout.matches("<div class=\"ladder-part\">").count(),
                rows.len().div_ceil(LADDER_ROWS_PER_PART)
            );
            assert_eq!(handout.matches("<g>").count(), rows.len(), "{id}: every ladder row");
            assert_eq!(
                handout.matches("<span class=\"seek\">").count(),
                transcript::lines(&timeline, timeline.len() - 1).len(),
                "{id}: every transcript line"
            );
            assert!(handout.contains(&escaped(&timeline.verdict().summary)));
            if let Some(fix) = &timeline.verdict().fix {
                assert!(handout.contains(&escaped(fix)));
            }
            assert_eq!(handout.matches(" current\">").count(), 1, "{id}: the mode on screen is marked");
            for mode in MODES {
                assert!(handout.contains(&escaped(crate::messages::settings::mode(mode))));
            }
            assert!(!handout.contains("<span class=\"blank\">") && !handout.contains(say::QUESTIONS));
        }
        // Where it failed, the picture is of that moment.
        let (_, timeline) = run("active-nat");
        let at = timeline.verdict().event.expect("an event");
        assert!(
            print("active-nat", Printout::Handout).contains(&say::at_failure(&timeline.events()[at].time.to_string()))
        );
    }

    #[test]
    fn typed_text_is_escaped_and_own_settings_have_their_title() {
        let scenario = Scenario { console: vec!["<script>LIST</script> & \"x\"".to_owned()], ..Scenario::default() };
        let timeline = Timeline::run(&scenario).expect("valid");
        let comparison = compare_modes(&scenario, &MODES);
        for printout in Printout::ALL {
            let sheet = document(&timeline, &comparison, None, printout);
            assert!(sheet.contains(&escaped(page::OWN_SETTINGS)), "{printout:?}");
            assert!(!sheet.contains("<script>"), "{printout:?}: typed text is never markup");
        }
        let handout = document(&timeline, &comparison, None, Printout::Handout);
        assert!(handout.contains("&lt;script&gt;LIST&lt;/script&gt; &amp;"), "the typed line is there, as text");
    }

    #[test]
    fn a_setting_without_effect_says_so_and_other_changes_are_listed() {
        let (_, timeline) = run("epsv-ipv6");
        let rows = settings_rows(timeline.scenario());
        let nat = rows.iter().find(|(label, ..)| *label == crate::messages::settings::labels::CLIENT_NAT).expect("row");
        assert_eq!((nat.1.as_str(), nat.2), ("off", false));
        let (lesson, _) = run("port-bounce");
        let rows = settings_rows(&lesson.scenario);
        assert!(rows.iter().any(|(_, value, _)| value == "192.0.2.77"), "the bounce address is a setting too");
    }
}
