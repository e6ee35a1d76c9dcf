//! The console on the page: typing a line, clearing the console, and what its panel shows.
//!
//! A typed line joins the run: the session is played again with one more line, which goes out
//! once the network is quiet (see [`crate::sim::world::TYPING_PAUSE`]), so everything before it
//! stays as it was — events, branches, the step numbers a link names — and the cursor moves to
//! the line's first event. (Only what timers alone did after the last answer is replaced: the
//! student typed before they ran out.) The first line starts a session of its own on the settings in force
//! (the client logs in, then sends only what is typed); clearing the console goes back to the
//! client program's own commands.

use std::rc::Rc;

use super::link::{MAX_LENGTH, typed_part};
use super::{Classroom, Notice, Tab};
use crate::ftp::console::{self, ConsoleClient, LineError, Sender};
use crate::ftp::{FtpTrace, Note};
use crate::messages::console::{line_error, notices, panel};
use crate::sim::lessons;
use crate::sim::scenario::Scenario;
use crate::sim::timeline::{Cursor, Timeline};
use crate::sim::trace::EventKind;

/// Why a typed line was not taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The console would not send it.
    Line(LineError),
    /// The control connection is closed (after `QUIT`, or the server hung up).
    Closed,
    /// Changed settings wait for a decision.
    Pending,
    /// The page's link would be longer than a link may be.
    LinkTooLong,
}

impl Refusal {
    /// The notice, naming the line.
    pub fn text(&self, line: &str) -> String {
        match self {
            Refusal::Line(error) => notices::refused(line, &line_error(error)),
            Refusal::Closed => notices::CLOSED.to_owned(),
            Refusal::Pending => notices::PENDING.to_owned(),
            Refusal::LinkTooLong => notices::TOO_LONG_FOR_LINK.to_owned(),
        }
    }
}

/// One line of the console panel: what was sent, then each reply by the cursor's moment, one
/// per line of text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleLine {
    pub sender: Sender,
    pub text: String,
}

/// The first event of each typed line: the console's note that it was typed.
pub fn typed_line_starts(timeline: &Timeline) -> Vec<usize> {
    timeline
        .events()
        .iter()
        .filter(|event| matches!(event.kind, EventKind::Ftp { event: FtpTrace::Note(Note::Typed { .. }), .. }))
        .map(|event| event.index)
        .collect()
}

/// The console's log as the panel shows it: `> LIST`, then the replies and what else happened.
pub fn console_lines(console: &ConsoleClient) -> Vec<ConsoleLine> {
    let last = console.log().len().saturating_sub(1);
    console
        .log()
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let mut text = match entry.sender {
                Sender::Connection => panel::CONNECTED.to_owned(),
                _ => format!("> {}", entry.line),
            };
            let mut add = |more: &str| {
                text.push('\n');
                text.push_str(more);
            };
            for reply in &entry.replies {
                add(&crate::messages::trace::reply_text(reply));
            }
            if !entry.sent {
                add(panel::NOT_SENT);
            }
            if let Some((target, error)) = entry.data_failed {
                add(&panel::data_failed(&target.to_string(), crate::messages::engine::connect_error(error)));
            }
            if entry.received + entry.uploaded > 0 {
                add(&panel::bytes(entry.received + entry.uploaded));
            }
            if index == last && entry.sent && entry.sender == Sender::Typed && entry.replies.is_empty() {
                add(panel::WAITING);
            }
            ConsoleLine { sender: entry.sender, text }
        })
        .collect()
}

impl Classroom {
    /// The console panel at the cursor: every line sent by then and the replies it had got,
    /// or nothing when the client program runs its own commands.
    pub fn console_lines(&self) -> Vec<ConsoleLine> {
        self.cursor.world().console().map(console_lines).unwrap_or_default()
    }

    /// The console panel's text: each line sent, then the replies it had got.
    pub fn console_text(&self) -> String {
        let lines: Vec<String> = self.console_lines().into_iter().map(|line| line.text).collect();
        lines.join("\n")
    }

    /// True when the session is the student's own (lines were typed).
    pub fn console_on(&self) -> bool {
        !self.timeline.started_with().console.is_empty()
    }

    /// Types `line` at the end of the session and moves to its first event; a line that cannot
    /// be typed is named in a notice and nothing else changes.
    pub(super) fn type_line(&mut self, line: String) {
        if let Err(why) = self.check_typing(&line) {
            self.notice = Some(Notice::LineRefused { line, why });
            return;
        }
        let mut lines = self.timeline.started_with().console.clone();
        lines.push(line);
        let with_lines = |scenario: &Scenario| Scenario { console: lines.clone(), ..scenario.clone() };
        // The first line starts a session of its own on the settings in force; another plays
        // the same session again with one more line, its branches made again at their events
        // (except one made while only timers ran after the last line: the new line goes there).
        let (from, branches) = match self.console_on() {
            false => (&self.scenario, &[][..]),
            true => (self.timeline.started_with(), self.timeline.branches()),
        };
        let mut timeline = match Timeline::run(&with_lines(from)) {
            Ok(timeline) => timeline,
            Err(error) => {
                self.notice = Some(Notice::SettingsInvalid(error));
                return;
            }
        };
        for (at, scenario) in branches {
            if typed_line_starts(&timeline).get(lines.len() - 1).is_some_and(|start| at >= start) {
                break;
            }
            match timeline.branch(*at, &with_lines(scenario)) {
                Ok(branched) => timeline = branched,
                Err(_) => break,
            }
        }
        let timeline = Rc::new(timeline);
        let start = typed_line_starts(&timeline).get(lines.len() - 1).copied().unwrap_or(0);
        self.scenario = timeline.scenario().clone();
        self.timeline = Rc::clone(&timeline);
        self.cursor = Cursor::new(&timeline);
        self.lesson = None;
        self.compare = None;
        self.quiz.enabled = false;
        self.quiz.reset(&timeline, 0);
        self.revealed = false;
        self.playback.stop();
        if matches!(self.notice, Some(Notice::LineRefused { .. })) {
            self.notice = None;
        }
        self.seek(start);
        self.tab = Tab::Console;
        // The line plays at once, like a command at a real console.
        self.playback.playing = self.animate && self.position() < self.last();
    }

    fn check_typing(&self, line: &str) -> Result<(), Refusal> {
        if self.pending.is_some() {
            return Err(Refusal::Pending);
        }
        console::check_line(line).map_err(Refusal::Line)?;
        let lines = &self.timeline.started_with().console;
        if lines.len() >= console::MAX_LINES {
            return Err(Refusal::Line(LineError::TooMany { max: console::MAX_LINES }));
        }
        if !lines.is_empty() && !self.timeline.final_world().console().is_some_and(ConsoleClient::is_connected) {
            return Err(Refusal::Closed);
        }
        if self.link().is_ok_and(|link| link.len() + 1 + typed_part(line).len() > MAX_LENGTH) {
            return Err(Refusal::LinkTooLong);
        }
        Ok(())
    }

    /// Back to the client program's own commands, on the settings in force, from the start.
    pub(super) fn clear_console(&mut self) {
        if !self.console_on() {
            return;
        }
        self.pending = None;
        self.restart_with(Scenario { console: Vec::new(), ..self.scenario.clone() });
        self.lesson = self.origin.filter(|id| lessons::find_unchanged(id, &self.scenario).is_some());
        if matches!(self.notice, Some(Notice::LineRefused { .. })) {
            self.notice = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classroom::Action;
    use crate::sim::scenario::Change;

    fn classroom(lesson: Option<&str>) -> Classroom {
        let mut classroom = Classroom::new(lesson);
        classroom.animate = false;
        classroom
    }

    fn typed(classroom: &mut Classroom, line: &str) {
        classroom.apply(Action::Type(line.to_owned()));
        assert_eq!(classroom.notice, None, "{line}: {:?}", classroom.notice.as_ref().map(Notice::text));
    }

    /// The replies of each typed line at the end of the run.
    fn replies(classroom: &Classroom) -> Vec<Vec<String>> {
        let console = classroom.timeline.final_world().console().expect("a console session");
        console
            .log()
            .iter()
            .filter(|entry| entry.sender == Sender::Typed)
            .map(|entry| entry.replies.iter().map(crate::messages::trace::reply_text).collect())
            .collect()
    }

    #[test]
    fn the_first_line_starts_a_session_of_its_own_and_the_cursor_goes_to_it() {
        let mut classroom = classroom(Some("active-nat"));
        let settings = classroom.scenario.clone();
        typed(&mut classroom, "PORT 10,0,0,9,4,1");
        assert!(classroom.console_on());
        assert_eq!(classroom.scenario, Scenario { console: vec!["PORT 10,0,0,9,4,1".to_owned()], ..settings });
        let start = typed_line_starts(&classroom.timeline)[0];
        assert_eq!(classroom.position(), start, "the cursor is on the line's first event");
        assert_eq!(classroom.tab, Tab::Console);
        assert_eq!(classroom.lesson, None);
        assert_eq!(classroom.origin, Some("active-nat"), "the link still starts from the lesson");
        assert!(!classroom.playback.playing, "no animation asked for");
        // At the line's first event it has no reply yet; at the end it has the server's.
        let at_start = classroom.console_lines();
        assert_eq!(at_start.last().map(|line| line.text.as_str()), Some("> PORT 10,0,0,9,4,1\n… no reply yet"));
        assert_eq!(at_start[0].text, "(connected)\n220 (vsFTPd 3.0.3)");
        assert_eq!(at_start[1].text, "> USER anonymous\n331 Please specify the password.");
        classroom.apply(Action::End);
        assert_eq!(
            classroom.console_lines().last().map(|line| line.text.as_str()),
            Some("> PORT 10,0,0,9,4,1\n500 Illegal PORT command.")
        );
        assert_eq!(
            classroom.link().expect("linkable"),
            format!("v=1&lesson=active-nat&cmd=PORT%2010,0,0,9,4,1&step={}", classroom.last())
        );
        // With animation, the line plays at once.
        let mut animated = Classroom::new(Some("active-nat"));
        animated.apply(Action::Type("EPSV".to_owned()));
        assert!(animated.playback.playing);
    }

    #[test]
    fn the_next_line_goes_at_the_end_and_keeps_what_came_before() {
        let mut classroom = classroom(None);
        typed(&mut classroom, "EPSV");
        let before = Rc::clone(&classroom.timeline);
        classroom.apply(Action::Seek(3));
        typed(&mut classroom, "LIST");
        let kept = before.len() - 1;
        assert_eq!(classroom.timeline.events()[..kept], before.events()[..kept]);
        assert_eq!(classroom.position(), kept, "the new line starts where the verdict stood");
        typed(&mut classroom, "RETR nothere");
        typed(&mut classroom, "CWD ..");
        typed(&mut classroom, "garbage");
        let got = replies(&classroom);
        assert_eq!(got[1], ["150 Here comes the directory listing.", "226 Directory send OK."]);
        assert_eq!(got[2], ["425 Use PORT or PASV first."], "each transfer needs its own EPSV");
        assert_eq!(got[3], ["250 Directory successfully changed."]);
        assert_eq!(got[4], ["500 Unknown command."]);
    }

    #[test]
    fn a_line_that_cannot_be_typed_changes_nothing_but_the_notice() {
        let mut classroom = classroom(None);
        typed(&mut classroom, "EPSV");
        let timeline = Rc::clone(&classroom.timeline);
        let position = classroom.position();
        for (line, refusal) in [
            ("LIST\r\nDELE x", Refusal::Line(LineError::ControlCharacter { position: 5, code: 13 })),
            ("   ", Refusal::Line(LineError::Empty)),
            ("AUTH TLS", Refusal::Line(LineError::Tls)),
        ] {
            classroom.apply(Action::Type(line.to_owned()));
            assert_eq!(classroom.notice, Some(Notice::LineRefused { line: line.to_owned(), why: refusal }));
            assert!(Rc::ptr_eq(&classroom.timeline, &timeline));
            assert_eq!(classroom.position(), position);
        }
        let text = classroom.notice.as_ref().map(Notice::text).unwrap_or_default();
        assert!(text.contains("AUTH TLS") && text.contains("TLS handshake"), "{text}");
        // A good line clears the refusal.
        typed(&mut classroom, "PWD");
        // After QUIT nothing more goes.
        typed(&mut classroom, "QUIT");
        classroom.apply(Action::Type("NOOP".to_owned()));
        assert_eq!(classroom.notice, Some(Notice::LineRefused { line: "NOOP".to_owned(), why: Refusal::Closed }));
        // Changes waiting for a decision come first.
        let mut waiting = self::classroom(None);
        typed(&mut waiting, "EPSV");
        waiting.apply(Action::Seek(5));
        waiting.apply(Action::Change(Change::ClientAlg(true)));
        assert!(waiting.pending.is_some());
        waiting.apply(Action::Type("LIST".to_owned()));
        assert_eq!(waiting.notice, Some(Notice::LineRefused { line: "LIST".to_owned(), why: Refusal::Pending }));
    }

    #[test]
    fn a_link_with_typed_lines_and_a_branch_opens_the_same_run() {
        let mut classroom = classroom(Some("active-nat"));
        classroom.apply(Action::Change(Change::ClientFirewall(false)));
        typed(&mut classroom, "PORT 192,168,1,2,4,1");
        typed(&mut classroom, "LIST");
        // Branch just before the PORT: the port check off, and the lines go on from there.
        let at = typed_line_starts(&classroom.timeline)[0] - 1;
        classroom.apply(Action::Seek(at));
        classroom.apply(Action::Change(Change::PortCheck(crate::sim::scenario::PortCheck::Off)));
        classroom.apply(Action::Change(Change::Port20(false)));
        classroom.apply(Action::ConfirmBranch);
        assert!(classroom.timeline.is_branched(), "{:?}", classroom.notice);
        typed(&mut classroom, "PASV");
        assert_eq!(classroom.timeline.branches().len(), 1, "the branch is made again with the new line");
        assert_eq!(classroom.timeline.branches()[0].1.console.len(), 3);
        let got = replies(&classroom);
        assert_eq!(got[0], ["200 PORT command successful. Consider using PASV."]);
        assert_eq!(got[1], ["425 Failed to establish connection."]);
        assert!(got[2][0].starts_with("227 "));
        let link = classroom.link().expect("linkable");
        assert!(link.contains("&cmd=PORT%20192,168,1,2,4,1&cmd=LIST&cmd=PASV&at"), "{link}");
        let opened = Classroom::open(&link);
        assert_eq!(opened.notice, None);
        assert_eq!(opened.timeline.events(), classroom.timeline.events());
        assert_eq!(opened.position(), classroom.position());
        assert_eq!(opened.scenario, classroom.scenario);
        // Back to a link from before the typing: the client program's own run.
        let mut back = opened;
        back.apply(Action::OpenLink("v=1&lesson=active-nat".to_owned()));
        assert!(!back.console_on());
        assert_eq!(back.lesson, Some("active-nat"));
    }

    #[test]
    fn clearing_the_console_goes_back_to_the_client_programs_commands() {
        let mut classroom = classroom(Some("passive-nat-firewall"));
        typed(&mut classroom, "EPSV");
        classroom.apply(Action::ClearConsole);
        assert!(!classroom.console_on());
        assert!(classroom.console_lines().is_empty());
        assert_eq!(classroom.lesson, Some("passive-nat-firewall"), "the lesson's own settings again");
        assert_eq!(classroom.position(), 0);
        // A changed setting keeps the typed lines: the same commands, another network.
        typed(&mut classroom, "PASV");
        classroom.apply(Action::Change(Change::ServerFirewall(crate::sim::scenario::ServerFirewall::ControlOnly)));
        assert_eq!(classroom.scenario.console, ["PASV"]);
        assert!(classroom.console_on());
    }

    #[test]
    fn a_line_goes_out_before_timers_alone_would_run_out() {
        let mut classroom = classroom(None);
        classroom.apply(Action::Change(Change::Server(crate::ftp::server::ServerProfile::Pyftpdlib)));
        typed(&mut classroom, "PASV");
        let alone = replies(&classroom);
        assert!(alone[0][0].starts_with("227 ") && alone[0][1].starts_with("421 "), "{alone:?}");
        // Typed before pyftpdlib's passive timer ran out, the listing arrives.
        typed(&mut classroom, "NLST");
        let got = replies(&classroom);
        assert_eq!(got[0].len(), 1, "{got:?}");
        assert_eq!(got[1].last().map(|reply| &reply[..3]), Some("226"), "{got:?}");
    }
}
