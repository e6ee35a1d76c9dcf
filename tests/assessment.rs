//! The generated questions (issue 12): for every lesson, the questions and the answers the run
//! gives, pinned as text a teacher can read (tests/snapshots/); the hints that name a common
//! mistake; typed answers; and the terminal's quiz and answer key.

use std::net::{IpAddr, SocketAddr};
use std::process::{Command, Stdio};

use ftpsim::assess::questions::{self, Ask, Expected, Hint, Mark, Question, Response, ResponseError};
use ftpsim::assess::variant;
use ftpsim::sim::lessons;
use ftpsim::sim::timeline::Timeline;
use ftpsim::sim::trace::NodeId;

fn run(lesson: &str) -> Timeline {
    Timeline::run(&lessons::find(lesson).expect("a lesson").scenario).expect("runs")
}

fn find<'a>(asked: &'a [Question], name: &str) -> &'a Question {
    asked.iter().find(|question| question.ask.name() == name).unwrap_or_else(|| panic!("no {name} question"))
}

fn sheet(timeline: &Timeline) -> String {
    let server_nat = timeline.scenario().server_nat_active();
    questions::questions(timeline)
        .iter()
        .map(|question| {
            format!(
                "[{}] asked at {}, shown at {}\n  {}\n  → {}",
                question.ask.name(),
                question.asked_at,
                question.shown_at,
                question.words(server_nat),
                question.answer_words(server_nat)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_lessons_questions_and_answers_are_pinned() {
    for lesson in lessons::all() {
        insta::assert_snapshot!(format!("questions-{}", lesson.id), sheet(&run(lesson.id)));
    }
}

#[test]
fn predictions_come_before_their_answers_and_explanations_at_the_verdict() {
    for lesson in lessons::all() {
        let timeline = run(lesson.id);
        let asked = questions::questions(&timeline);
        let last = timeline.events().len() - 1;
        assert!(asked.iter().any(|question| question.ask == Ask::WillItWork), "{}: always asked", lesson.id);
        for question in &asked {
            if question.ask.is_prediction() {
                assert!(
                    question.asked_at < question.shown_at,
                    "{}: {:?} is asked before it shows",
                    lesson.id,
                    question.ask
                );
            } else {
                assert!(question.asked_at >= question.shown_at, "{}: {:?}", lesson.id, question.ask);
                assert!(question.asked_at <= last);
            }
        }
        let works = timeline.verdict().is_ok();
        let explains = asked.iter().any(|question| matches!(question.ask, Ask::WhichDevice | Ask::WhichSetting));
        assert_eq!(explains, !works, "{}: why and how to fix are asked of failing runs only", lesson.id);
    }
}

#[test]
fn the_data_target_is_where_the_data_connection_really_goes() {
    // Active behind NAT: the server reads the private address inside PORT, and vsftpd refuses
    // it (it is not the control connection's): no data connection at all, so no question.
    let timeline = run("active-nat");
    let asked = questions::questions(&timeline);
    assert!(asked.iter().all(|question| question.ask.name() != "target"), "{asked:?}");
    assert!(matches!(find(&asked, "seen").expected, Expected::Ip(ip) if ip == timeline.scenario().topology().client));
    // Without NAT, the server connects to the client's address, and its firewall drops it.
    let timeline = run("active-client-firewall");
    let Expected::Address(address) = find(&questions::questions(&timeline), "target").expected else { panic!() };
    assert_eq!(address.ip(), timeline.scenario().topology().client);
    // The helper rewrites PORT: the server connects to the router's public address.
    let timeline = run("active-nat-helper");
    let Expected::Address(address) = find(&questions::questions(&timeline), "target").expected else { panic!() };
    assert_eq!(address.ip(), timeline.scenario().topology().router_wan);
    // A modern client ignores the private address in 227 and uses the control connection's.
    let timeline = run("server-nat-modern-client");
    let Expected::Address(address) = find(&questions::questions(&timeline), "target").expected else { panic!() };
    assert_eq!(address.ip(), timeline.scenario().topology().server_public);
    let timeline = run("server-nat-classic-client");
    let Expected::Address(address) = find(&questions::questions(&timeline), "target").expected else { panic!() };
    assert_eq!(address.ip(), timeline.scenario().topology().server);
}

#[test]
fn a_wrong_answer_points_at_the_step_and_names_the_mistake() {
    let timeline = run("active-nat");
    let topology = timeline.scenario().topology();
    let asked = questions::questions(&timeline);
    let seen = find(&asked, "seen");
    let mark = seen.mark(&Response::Ip(topology.router_wan), &timeline);
    assert!(matches!(mark, Mark::Wrong(Hint::NatLeavesTextAlone { .. })), "{mark:?}");
    let device = find(&asked, "device");
    assert_eq!(device.mark(&Response::Device(NodeId::Server), &timeline), Mark::Right, "vsftpd refuses the PORT");
    let setting = find(&asked, "setting");
    assert_eq!(setting.mark(&Response::Setting { key: "mode".into(), token: "pasv".into() }, &timeline), Mark::Right);
    let still = setting.mark(&Response::Setting { key: "client-firewall".into(), token: "off".into() }, &timeline);
    assert_eq!(still, Mark::Wrong(Hint::StillFails { device: Some(NodeId::Server) }), "a fresh run says where");
    let same = setting.mark(&Response::Setting { key: "mode".into(), token: "port".into() }, &timeline);
    assert_eq!(same, Mark::Wrong(Hint::NotAChange));
    let unknown = setting.mark(&Response::Setting { key: "colour".into(), token: "blue".into() }, &timeline);
    assert_eq!(unknown, Mark::Wrong(Hint::NotAChange));
    assert_eq!(setting.mark(&Response::YesNo(true), &timeline), Mark::Wrong(Hint::WrongKind));

    // The server connects to the client's public address; a wrong port is worked out wrong.
    let timeline = run("active-client-firewall");
    let asked = questions::questions(&timeline);
    let target = find(&asked, "target");
    let Expected::Address(truth) = target.expected else { panic!() };
    let off_by_port = SocketAddr::new(truth.ip(), truth.port() ^ 1);
    assert!(matches!(
        target.mark(&Response::Address(off_by_port), &timeline),
        Mark::Wrong(Hint::PortArithmetic { .. })
    ));
    assert_eq!(target.mark(&Response::Address(truth), &timeline), Mark::Right);
    let elsewhere = SocketAddr::new(IpAddr::from([198, 18, 0, 1]), 1);
    assert_eq!(
        target.mark(&Response::Address(elsewhere), &timeline),
        Mark::Wrong(Hint::LookAt { event: target.shown_at })
    );
    assert_eq!(find(&asked, "device").mark(&Response::Device(NodeId::HomeRouter), &timeline), Mark::Right);

    // The helper rewrote PORT: answering with the address as sent is the mistake it names.
    let timeline = run("active-nat-helper");
    let asked = questions::questions(&timeline);
    let mark = find(&asked, "seen").mark(&Response::Ip(timeline.scenario().topology().client), &timeline);
    assert!(matches!(mark, Mark::Wrong(Hint::HelperRewrote { .. })), "{mark:?}");
    // The NAT row, the wrong way round.
    let nat = find(&asked, "nat");
    let Expected::NatRow { inside, public } = nat.expected else { panic!() };
    assert_eq!(nat.mark(&Response::NatRow { inside, public }, &timeline), Mark::Right);
    let swapped = nat.mark(&Response::NatRow { inside: public, public: inside }, &timeline);
    assert!(matches!(swapped, Mark::Wrong(Hint::Swapped { .. })));

    // A modern client does not use the address in 227.
    let timeline = run("server-nat-modern-client");
    let asked = questions::questions(&timeline);
    let target = find(&asked, "target");
    let Expected::Address(truth) = target.expected else { panic!() };
    let announced = SocketAddr::new(timeline.scenario().topology().server, truth.port());
    let mark = target.mark(&Response::Address(announced), &timeline);
    assert!(matches!(mark, Mark::Wrong(Hint::ClientIgnoresAddress { .. })), "{mark:?}");
    let Mark::Wrong(pointing) = &mark else { panic!() };
    assert_eq!(pointing.event(), Some(target.asked_at), "the hint names the event where 227 was sent");
    let Mark::Wrong(fresh_run) = &still else { panic!() };
    assert_eq!(fresh_run.event(), None, "a fresh run's hint names no event of this run");
    for hint in [mark, swapped, still] {
        let Mark::Wrong(hint) = hint else { panic!() };
        let words = hint.words(false);
        assert!(words.len() > 20 && !words.contains('{'), "{words}");
    }
}

#[test]
fn typed_addresses_are_read_as_students_write_them() {
    let expected: SocketAddr = "198.51.100.10:50001".parse().expect("valid");
    for typed in [
        "198.51.100.10:50001",
        " 198.51.100.10 50001 ",
        "198.51.100.10 port 50001",
        "198,51,100,10,195,81",
        "(198,51,100,10,195,81)",
    ] {
        assert_eq!(questions::read_address_and_port(typed), Ok(expected), "{typed}");
    }
    let v6: SocketAddr = "[2001:db8:2::10]:50001".parse().expect("valid");
    assert_eq!(questions::read_address_and_port("[2001:db8:2::10]:50001"), Ok(v6));
    assert_eq!(questions::read_address_and_port("2001:db8:2::10 50001"), Ok(v6));
    for bad in ["", "198.51.100.10", "198.51.100.10:99999", "1,2,3,4,5", "<b>x</b>", &"9".repeat(500)] {
        assert_eq!(questions::read_address_and_port(bad), Err(ResponseError::NotAnAddressAndPort), "{bad}");
    }
    assert_eq!(questions::read_address("192,168,1,2"), Ok(IpAddr::from([192, 168, 1, 2])));
    assert_eq!(questions::read_address("192,168,1,2,4,1"), Ok(IpAddr::from([192, 168, 1, 2])));
    assert_eq!(questions::read_address(" 203.0.113.1 "), Ok(IpAddr::from([203, 0, 113, 1])));
    assert_eq!(questions::read_address("router"), Err(ResponseError::NotAnAddress));
    assert!(ResponseError::NotAnAddress.to_string().contains("192.168.1.2"));
}

fn ftpsim(args: &[&str], input: &str) -> String {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ftpsim"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ftpsim runs");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("written");
    let output = child.wait_with_output().expect("ends");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_terminal_quiz_marks_practice_at_once_and_a_test_at_the_end() {
    let found = variant::variant("active-nat", 1, false).expect("a lesson");
    let timeline = Timeline::run(&found.scenario).expect("runs");
    let asked = questions::questions(&timeline);
    let truth = |name: &str| find(&asked, name).answer_words(false);
    // Practice: "yes" is wrong, and says where to look; "no" then is right.
    let practice = ftpsim(&["quiz", "--lesson", "active-nat", "--same-fault"], "yes\nno\n");
    assert!(practice.contains("Not quite. Look at event"), "{practice}");
    assert!(practice.contains("Right."), "{practice}");
    // A test: every answer right, typed as students type them.
    let typed = ["no".to_owned(), truth("seen"), "server".to_owned(), "mode pasv".to_owned()];
    let test = ftpsim(
        &["quiz", "--lesson", "active-nat", "--same-fault", "--mode", "test", "--pass", "80"],
        &(typed.join("\n") + "\n"),
    );
    assert!(test.contains(&format!("Score: {} of {}", asked.len(), asked.len())), "{test}");
    assert!(test.contains("cmi.core.lesson_status: passed"), "{test}");
    assert!(!test.contains("Not quite"), "a test gives no hints: {test}");
    // Nothing answered: the attempt stays incomplete.
    let empty = ftpsim(&["quiz", "--lesson", "active-nat", "--mode", "test", "--pass", "80"], "");
    assert!(empty.contains("cmi.core.lesson_status: incomplete"), "{empty}");
}

#[test]
fn the_answer_key_lists_each_students_variant() {
    let key = ftpsim(&["assignment", "--lesson", "passive-nat-firewall", "--seed", "5", "--students", "3"], "");
    for seed in 5..8 {
        let found = variant::variant("passive-nat-firewall", seed, true).expect("a lesson");
        assert!(key.contains(&format!("Variant {seed}: {}", found.lesson.title)), "{key}");
        assert!(key.contains(&found.scenario.topology().client.to_string()), "{key}");
    }
    assert!(!key.contains("Variant 8"));
    // The same key as a page to print.
    let page = std::env::temp_dir().join(format!("ftpsim-key-{}.html", std::process::id()));
    ftpsim(
        &[
            "assignment",
            "--lesson",
            "passive-nat-firewall",
            "--seed",
            "5",
            "--students",
            "3",
            "-o",
            page.to_str().expect("utf-8"),
        ],
        "",
    );
    let html = std::fs::read_to_string(&page).expect("written");
    let _ = std::fs::remove_file(&page);
    assert!(
        html.starts_with("<!doctype html>") && html.contains("<h1>Answer key: passive-nat-firewall</h1>"),
        "{html}"
    );
    assert_eq!(html.matches("<section class=\"variant\">").count(), 3);
    assert!(
        html.contains("&quot;227 Entering Passive Mode") || html.contains("\"227 Entering Passive Mode"),
        "escaped lines"
    );
}
