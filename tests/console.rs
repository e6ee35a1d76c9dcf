//! The console (issue 10): a student's typed FTP commands, played through the world like any
//! other run — the server engine's replies, what the network does with the data connections
//! they lead to, and the timeline's rewinding and branching with typed lines in it.

use ftpsim::ftp::FtpTrace;
use ftpsim::ftp::codec::Reply;
use ftpsim::ftp::console::{Entry, LineError, Sender};
use ftpsim::net::tcp::TcpState;
use ftpsim::picture::{ladder, transcript};
use ftpsim::sim::caption;
use ftpsim::sim::scenario::{Change, IpVersion, Scenario, ScenarioError, User};
use ftpsim::sim::timeline::{Cursor, Timeline};
use ftpsim::sim::trace::{EventKind, NodeId, Role};
use ftpsim::sim::verdict::Cause;

fn typed_on(scenario: Scenario, lines: &[&str]) -> Scenario {
    Scenario { console: lines.iter().map(|line| (*line).to_owned()).collect(), ..scenario }
}

fn typed(lines: &[&str]) -> Scenario {
    typed_on(Scenario::default(), lines)
}

fn run(scenario: &Scenario) -> Timeline {
    Timeline::run(scenario).expect("valid scenario")
}

/// The typed lines of the console's log at the end of the run.
fn entries(timeline: &Timeline) -> Vec<Entry> {
    let console = timeline.final_world().console().expect("a console session");
    console.log().iter().filter(|entry| entry.sender == Sender::Typed).cloned().collect()
}

/// Each typed line's replies, as `code text` strings.
fn replies(timeline: &Timeline) -> Vec<Vec<String>> {
    entries(timeline)
        .iter()
        .map(|entry| entry.replies.iter().map(|reply| format!("{} {}", reply.code, reply.text())).collect())
        .collect()
}

fn traced(timeline: &Timeline, role: Role) -> Vec<Reply> {
    timeline
        .events()
        .iter()
        .filter_map(|event| match (&event.kind, role) {
            (EventKind::Ftp { role: Role::Server, event: FtpTrace::ReplySent(reply) }, Role::Server)
            | (EventKind::Ftp { role: Role::Client, event: FtpTrace::ReplyReceived(reply) }, Role::Client) => {
                Some(reply.clone())
            }
            _ => None,
        })
        .collect()
}

/// What the console shows equals what the server engine sent and the client read, in order.
fn assert_console_replies_are_the_engines(timeline: &Timeline) {
    let console = timeline.final_world().console().expect("a console session");
    let shown: Vec<Reply> = console.log().iter().flat_map(|entry| entry.replies.clone()).collect();
    assert_eq!(shown, traced(timeline, Role::Client), "the console shows what the client read");
    assert_eq!(shown, traced(timeline, Role::Server), "… which is what the server sent");
}

/// The first event of typed line `n` (from 0): the console's note that it was typed.
fn line_start(timeline: &Timeline, n: usize) -> usize {
    timeline
        .events()
        .iter()
        .filter(|event| {
            matches!(event.kind, EventKind::Ftp { event: FtpTrace::Note(ftpsim::ftp::Note::Typed { .. }), .. })
        })
        .nth(n)
        .map(|event| event.index)
        .expect("the line was typed")
}

#[test]
fn port_naming_another_host_behind_nat_is_refused_and_list_then_has_no_data_connection() {
    let timeline = run(&typed(&["PORT 10,0,0,9,4,1", "LIST"]));
    assert_eq!(
        replies(&timeline),
        [vec!["500 Illegal PORT command."], vec!["425 Use PORT or PASV first."]],
        "vsftpd checks the address against the control connection's, which is the router's"
    );
    assert_console_replies_are_the_engines(&timeline);
    let texts: Vec<&str> = timeline.events().iter().map(|event| event.text.as_str()).collect();
    assert!(
        texts.iter().any(|text| text
            .contains("10.0.0.9:1025 is not the client's address 192.168.1.2: nothing of the client's listens there")),
        "the console says it opens nothing for another host's address"
    );
    assert!(!timeline.events().iter().any(|event| matches!(&event.kind, EventKind::PacketSent { packet, .. } if packet.channel != ftpsim::net::packet::Channel::Control)));
    assert_eq!(timeline.verdict().final_reply, Some(425));
}

#[test]
fn port_naming_the_client_behind_nat_listens_and_the_helper_makes_it_work() {
    // Without a helper, vsftpd refuses the private address; the listener the console opened
    // for it is closed again.
    let alone = run(&typed(&["PORT 192,168,1,2,4,1", "LIST"]));
    assert_eq!(replies(&alone)[0], ["500 Illegal PORT command."]);
    assert!(alone.events().iter().any(|event| event.text.contains("so the client listens on 192.168.1.2:1025 first")));
    assert!(alone.final_world().client().stack.listeners().next().is_none(), "the refused PORT's listener is closed");
    // With the home router's helper, the typed PORT is rewritten and the server's connection
    // is let in: the listing arrives.
    let helped =
        run(&typed_on(Scenario { client_alg: true, ..Scenario::default() }, &["PORT 192,168,1,2,4,1", "LIST"]));
    let got = replies(&helped);
    assert_eq!(got[0], ["200 PORT command successful. Consider using PASV."]);
    assert_eq!(got[1], ["150 Here comes the directory listing.", "226 Directory send OK."]);
    assert!(entries(&helped)[1].received > 0, "the listing came over the data connection");
    assert!(helped.events().iter().any(|event| event.text.contains("rewrites \"PORT 192,168,1,2,4,1\"")));
    assert!(helped.verdict().is_ok(), "{:#?}", helped.verdict());
    assert_console_replies_are_the_engines(&helped);
}

#[test]
fn a_port_the_server_accepts_meets_the_home_firewall() {
    // No NAT: the client's own address is public and vsftpd accepts it, but the home router's
    // firewall drops the server's connection; vsftpd says 425 after connect_timeout.
    let scenario = typed_on(Scenario { client_nat: false, ..Scenario::default() }, &["PORT 192,0,2,2,4,1", "LIST"]);
    let timeline = run(&scenario);
    let got = replies(&timeline);
    assert_eq!(got[0], ["200 PORT command successful. Consider using PASV."]);
    assert_eq!(got[1], ["425 Failed to establish connection."]);
    let verdict = timeline.verdict();
    assert_eq!(verdict.cause, Some(Cause::ServerDataConnectTimeout), "{verdict:#?}");
    assert_eq!(verdict.device, Some(NodeId::HomeRouter), "the verdict names the firewall that dropped it");
    assert!(timeline.final_world().client().stack.listeners().next().is_none(), "the unused listener is closed");
    assert_console_replies_are_the_engines(&timeline);
}

#[test]
fn epsv_then_list_works_and_retr_of_a_missing_file_is_550() {
    let timeline = run(&typed(&["EPSV", "LIST", "EPSV", "RETR nothere", "LIST"]));
    let got = replies(&timeline);
    assert!(got[0][0].starts_with("229 Entering Extended Passive Mode (|||"), "{got:?}");
    assert_eq!(got[1], ["150 Here comes the directory listing.", "226 Directory send OK."]);
    assert_eq!(got[3], ["550 Failed to open file."]);
    assert_eq!(
        got[4],
        ["150 Here comes the directory listing.", "226 Directory send OK."],
        "vsftpd keeps the passive connection after a refused RETR, and the console keeps its end"
    );
    let log = entries(&timeline);
    assert!(log[1].received > 0);
    assert_eq!(log[4].received, log[1].received);
    assert!(timeline.events().iter().any(|event| event.text.contains("the client first connects to 198.51.100.10:")));
    assert_eq!(timeline.verdict().final_reply, Some(226));
    assert_console_replies_are_the_engines(&timeline);
    let refused = run(&typed(&["EPSV", "RETR nothere"]));
    assert_eq!(refused.verdict().final_reply, Some(550));
    assert_eq!(refused.verdict().cause, Some(Cause::CommandRefused));
    // The console closed its side of every data connection it opened.
    assert!(timeline.final_world().client().stack.connections().all(|conn| {
        conn.channel == ftpsim::net::packet::Channel::Control
            || !matches!(conn.state, TcpState::Established | TcpState::SynSent | TcpState::CloseWait)
    }));
}

#[test]
fn cwd_up_and_garbage_get_the_servers_answers() {
    let timeline = run(&typed(&["CWD ..", "garbage", "cwd pub", "NOOP"]));
    assert_eq!(
        replies(&timeline),
        [
            vec!["250 Directory successfully changed."],
            vec!["500 Unknown command."],
            vec!["250 Directory successfully changed."],
            vec!["200 NOOP ok."],
        ]
    );
    assert!(
        timeline.events().iter().any(|event| event.text == "Client sends the command \"CWD ..\"."),
        "a command ending in a full stop keeps it in the trace"
    );
    let lines = transcript::lines(&timeline, timeline.len() - 1);
    let garbage = lines.iter().position(|line| line.text == "garbage").expect("the unreadable line shows as typed");
    assert_eq!(lines[garbage].kind, transcript::LineKind::Command);
    assert_eq!(lines[garbage + 1].text, "500 Unknown command.", "and the server's answer after it");
    assert!(
        timeline
            .events()
            .iter()
            .any(|event| event.text == "Server cannot read a command: unknown command verb \"garbage\".")
    );
    assert!(timeline.verdict().is_ok(), "the last line went through: {:#?}", timeline.verdict());
    assert!(timeline.verdict().summary.contains("4 typed lines"), "{}", timeline.verdict().summary);
    assert_console_replies_are_the_engines(&timeline);
}

#[test]
fn stor_uploads_the_consoles_file() {
    let scenario =
        typed_on(Scenario { user: User::Demo, ..Scenario::default() }, &["CWD upload", "PASV", "STOR typed.txt"]);
    let timeline = run(&scenario);
    let got = replies(&timeline);
    assert_eq!(got[2], ["150 Ok to send data.", "226 Transfer complete."]);
    assert_eq!(entries(&timeline)[2].uploaded, ftpsim::ftp::console::UPLOAD_CONTENTS.len());
    assert!(timeline.verdict().is_ok());
    assert_eq!((timeline.verdict().transfers_done, timeline.verdict().transfers_asked), (1, 1));
    assert_console_replies_are_the_engines(&timeline);
}

#[test]
fn after_quit_nothing_more_is_sent() {
    let timeline = run(&typed(&["QUIT", "LIST"]));
    let log = entries(&timeline);
    assert_eq!(log[0].replies.iter().map(|reply| reply.code).collect::<Vec<_>>(), [221]);
    assert!(!log[1].sent && log[1].replies.is_empty());
    assert!(!timeline.final_world().console().expect("console").is_connected());
    assert!(
        timeline
            .events()
            .iter()
            .any(|event| event.text.contains("the control connection is closed, so it is not sent"))
    );
}

#[test]
fn an_encrypted_session_logs_in_over_tls_and_types_encrypted_lines() {
    let scenario = typed_on(Scenario { control_encrypted: true, ..Scenario::default() }, &["EPSV", "LIST"]);
    let timeline = run(&scenario);
    let console = timeline.final_world().console().expect("console");
    let login: Vec<&str> =
        console.log().iter().filter(|entry| entry.sender == Sender::Login).map(|entry| entry.line.as_str()).collect();
    assert_eq!(login, ["AUTH TLS", "USER anonymous", "PASS ftp@example.com", "PBSZ 0", "PROT P"]);
    assert_eq!(replies(&timeline)[1], ["150 Here comes the directory listing.", "226 Directory send OK."]);
    assert_console_replies_are_the_engines(&timeline);
}

#[test]
fn ipv6_eprt_naming_the_client_listens_there() {
    let scenario = typed_on(
        Scenario { ip: IpVersion::V6, client_firewall: false, ..Scenario::default() },
        &["EPRT |2|2001:db8:1::2|5001|", "LIST"],
    );
    let timeline = run(&scenario);
    let got = replies(&timeline);
    assert_eq!(got[0], ["200 EPRT command successful. Consider using EPSV."]);
    assert_eq!(got[1], ["150 Here comes the directory listing.", "226 Directory send OK."]);
    assert_console_replies_are_the_engines(&timeline);
}

#[test]
fn a_line_more_leaves_the_run_before_it_as_it_was() {
    let before = run(&typed(&["EPSV", "LIST"]));
    let after = run(&typed(&["EPSV", "LIST", "PWD"]));
    let kept = before.len() - 1;
    assert_eq!(before.events()[..kept], after.events()[..kept], "the events before keep their numbers");
    assert_eq!(line_start(&after, 2), kept, "the new line starts where the old verdict stood");
    let typed_at = after.events()[kept].time;
    assert_eq!(typed_at, before.events()[kept - 1].time + ftpsim::sim::world::TYPING_PAUSE);
}

#[test]
fn rewinding_shows_the_console_as_it_was() {
    let timeline = run(&typed(&["EPSV", "LIST"]));
    let start = line_start(&timeline, 1);
    let mut cursor = Cursor::new(&timeline);
    cursor.seek(&timeline, start);
    let at_start = cursor.world().console().expect("console").log().last().cloned().expect("an entry");
    assert_eq!(at_start.line, "LIST");
    assert!(at_start.replies.is_empty(), "no reply yet at the line's first event");
    cursor.seek(&timeline, timeline.len() - 1);
    assert_eq!(cursor.world().console().expect("console").log().last().map(|entry| entry.replies.len()), Some(2));
    cursor.seek(&timeline, start - 1);
    assert_eq!(cursor.world().console().expect("console").log().last().map(|entry| entry.line.as_str()), Some("EPSV"));
    assert_eq!(timeline.world_at(start), *cursor_at(&timeline, start).world());
}

fn cursor_at(timeline: &Timeline, index: usize) -> Cursor {
    let mut cursor = Cursor::new(timeline);
    cursor.seek(timeline, index);
    cursor
}

#[test]
fn a_branch_keeps_typing_under_the_changed_settings() {
    // vsftpd refuses a PORT naming the client's private address. A branch just before the PORT
    // that switches the server's check off keeps the typed lines going under the new settings:
    // the server now tries the private address, which the internet drops.
    let scenario = typed_on(
        Scenario { client_firewall: false, port20: false, ..Scenario::default() },
        &["PORT 192,168,1,2,4,1", "LIST"],
    );
    let timeline = run(&scenario);
    let at = line_start(&timeline, 0) - 1;
    let branched = timeline
        .branch(at, &Scenario { port_check: ftpsim::sim::scenario::PortCheck::Off, ..scenario.clone() })
        .expect("branch");
    assert_eq!(branched.events()[..at], timeline.events()[..at]);
    let got = replies(&branched);
    assert_eq!(got[0], ["200 PORT command successful. Consider using PASV."], "the server now takes any address");
    assert_eq!(got[1], ["425 Failed to establish connection."], "the internet drops the private address");
    assert_eq!(branched.verdict().cause, Some(Cause::AddressUnreachable));
    // Typing on after a branch: the same run with one more line is the branched run plus it.
    let longer = typed_on(scenario.clone(), &["PORT 192,168,1,2,4,1", "LIST", "PASV"]);
    let rebuilt = run(&longer)
        .branch(at, &Scenario { port_check: ftpsim::sim::scenario::PortCheck::Off, ..longer.clone() })
        .expect("branch");
    assert_eq!(rebuilt.events()[..branched.len() - 1], branched.events()[..branched.len() - 1]);
    assert!(replies(&rebuilt)[2][0].starts_with("227 "));
    // Typing into a scripted session is a restart, not a branch.
    let scripted = run(&Scenario::default());
    assert!(scripted.branch(3, &typed(&["PWD"])).is_err());
}

#[test]
fn hostile_text_stays_text() {
    let line = "<script>alert(1)</script>";
    let timeline = run(&typed(&[line]));
    assert_eq!(replies(&timeline), [vec!["500 Unknown command."]]);
    let start = line_start(&timeline, 0);
    let words = caption::for_event(&timeline, start);
    assert!(words.headline.contains(line), "captions are text, shown as text nodes: {}", words.headline);
    let lines = transcript::lines(&timeline, timeline.len() - 1);
    let shown = lines.iter().find(|entry| entry.text == line).expect("the line as typed");
    let markup = shown.markup(true);
    assert!(!markup.contains("<script>"), "{markup}");
    assert!(markup.contains("&lt;script&gt;"), "{markup}");
    let rows = ladder::rows(&timeline, timeline.len() - 1);
    let svg = ladder::svg(&rows, ladder::lanes(false), "ladder");
    assert!(!svg.contains("<script>"), "the ladder escapes it");
    assert!(svg.contains("&lt;script&gt;"), "the ladder shows it");
}

#[test]
fn lines_the_console_will_not_type_are_refused_with_the_reason() {
    for (line, expected) in [
        ("", LineError::Empty),
        ("   ", LineError::Empty),
        ("LIST\r\nDELE x", LineError::ControlCharacter { position: 5, code: 13 }),
        ("RETR\ta", LineError::ControlCharacter { position: 5, code: 9 }),
        ("AUTH TLS", LineError::Tls),
        ("auth ssl", LineError::Tls),
    ] {
        let error = Scenario { console: vec![line.to_owned()], ..Scenario::default() }.validate().expect_err(line);
        assert_eq!(error, ScenarioError::BadConsoleLine { number: 1, problem: expected }, "{line:?}");
        assert!(error.to_string().starts_with("typed line 1: "), "{error}");
    }
    let long = "x".repeat(ftpsim::ftp::console::MAX_LINE + 1);
    assert!(matches!(
        typed(&[&long]).validate(),
        Err(ScenarioError::BadConsoleLine { problem: LineError::TooLong { .. }, .. })
    ));
    let many: Vec<&str> = vec!["NOOP"; ftpsim::ftp::console::MAX_LINES + 1];
    assert!(typed(&many).validate().is_err());
    assert!(typed(&["NOOP"; ftpsim::ftp::console::MAX_LINES]).validate().is_ok());
}

#[test]
fn settings_that_matter_to_the_console_still_apply() {
    // The every-mode table and the side-by-side panes run the scripted client: typed lines do
    // not depend on the mode.
    let scenario = typed(&["PWD"]);
    let cells = ftpsim::sim::matrix::compare_modes(&scenario, &ftpsim::sim::matrix::MODES);
    assert!(cells.iter().all(|cell| cell.text != "console"));
    let mut changed = scenario.clone();
    Change::ClientAlg(true).apply(&mut changed);
    assert_eq!(changed.console, scenario.console, "a changed setting keeps the typed lines");
}

#[test]
fn after_a_refused_retr_the_port_and_its_listener_serve_the_next_transfer() {
    let open = Scenario { client_nat: false, client_firewall: false, ..Scenario::default() };
    let timeline = run(&typed_on(open, &["PORT 192,0,2,2,4,1", "RETR nothere", "LIST"]));
    let got = replies(&timeline);
    assert_eq!(got[1], ["550 Failed to open file."]);
    assert_eq!(got[2], ["150 Here comes the directory listing.", "226 Directory send OK."]);
    assert!(entries(&timeline)[2].received > 0);
    assert!(timeline.final_world().client().stack.listeners().next().is_none());
    assert_console_replies_are_the_engines(&timeline);
}

#[test]
fn pyftpdlib_answers_the_console_too() {
    let server = Scenario {
        server: ftpsim::ftp::server::ServerProfile::Pyftpdlib,
        client: ftpsim::ftp::client::ClientProfile::Ftplib,
        client_nat: false,
        client_firewall: false,
        ..Scenario::default()
    };
    let timeline = run(&typed_on(server, &["PORT 192,0,2,2,4,1", "LIST", "PASV", "NLST", "RETR nothere"]));
    let got = replies(&timeline);
    let codes: Vec<Vec<&str>> = got.iter().map(|replies| replies.iter().map(|reply| &reply[..3]).collect()).collect();
    assert_eq!(codes, [vec!["200"], vec!["125", "226"], vec!["227"], vec!["125", "226"], vec!["550"]], "{got:?}");
    let console = timeline.final_world().console().expect("console");
    assert_eq!(console.log()[2].line, "PASS anonymous@", "it logs in as ftplib does");
    assert_console_replies_are_the_engines(&timeline);
}

#[test]
fn a_transfer_with_no_data_connection_set_up_is_a_refused_command_not_a_failed_connection() {
    let timeline = run(&typed(&["LIST"]));
    assert_eq!(replies(&timeline), vec![vec!["425 Use PORT or PASV first.".to_owned()]]);
    let verdict = timeline.verdict();
    assert_eq!(verdict.cause, Some(Cause::CommandRefused), "no data connection was tried: {}", verdict.summary);
    assert!(verdict.summary.contains("LIST with 425 Use PORT or PASV first"), "{}", verdict.summary);
    assert!(verdict.fix.as_deref().is_some_and(|fix| fix.contains("send PASV or EPSV")), "{:?}", verdict.fix);
}
