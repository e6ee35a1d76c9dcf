//! The classroom session: what the page shows and every action that changes it.
//!
//! A [`Classroom`] holds a finished [`Timeline`] and a [`Cursor`] on it, the toggles, the quiz
//! and the side-by-side panes. Every button, key and toggle of the page becomes an [`Action`]
//! given to [`Classroom::apply`]. Nothing here simulates: moving the cursor restores the
//! engine's own snapshots, and a changed setting either restarts the engine or branches its
//! timeline. It has no web dependency, so it is tested natively; the browser app only wraps it
//! in Yew's `Reducible` and renders it.

use std::rc::Rc;

use crate::ftp::FtpTrace;
use crate::ftp::client::DataMode;
use crate::ftp::codec::Command;
use crate::sim::lessons::{self, Lesson};
use crate::sim::matrix::{self, Cell};
use crate::sim::scenario::{Change, IpVersion, PasvAddress, PortCheck, Scenario, ServerFirewall, Transfer};
use crate::sim::timeline::{Cursor, Timeline};
use crate::sim::trace::Role;
use crate::sim::trace::{EventKind, Level, NodeId};

/// Playback speeds offered, in events per second at 1×.
pub const SPEEDS: [(&str, u32); 5] = [("0.5×", 2), ("1×", 4), ("2×", 8), ("4×", 16), ("8×", 32)];

/// The change a settings control stands for, from its `name` and its value (or checked state),
/// as [`crate::picture::settings_form`] names them: `None` for names or values it does not know,
/// `Some(Err(message))` for a value typed in that is not a setting.
pub fn change_from_form(name: &str, value: &str, checked: bool) -> Option<Result<Change, String>> {
    Some(Ok(match name {
        "mode" => Change::Mode(DataMode::ALL.into_iter().find(|mode| mode.as_str() == value)?),
        "operation" => Change::Operation(Transfer::ALL.into_iter().find(|command| command.as_str() == value)?),
        "client_firewall" => Change::ClientFirewall(checked),
        "client_nat" => Change::ClientNat(checked),
        "client_alg" => Change::ClientAlg(checked),
        "server_firewall" => {
            Change::ServerFirewall(ServerFirewall::ALL.into_iter().find(|firewall| firewall.as_str() == value)?)
        }
        "server_alg" => Change::ServerAlg(checked),
        "server_nat" => Change::ServerNat(checked),
        "pasv_address" => Change::PasvAddress(match value {
            "public" => PasvAddress::Public,
            "private" => PasvAddress::Private,
            _ => return None,
        }),
        "port_check" => Change::PortCheck(if checked { PortCheck::Strict } else { PortCheck::Off }),
        "server_epsv" => Change::ServerEpsv(checked),
        "trust_pasv_address" => Change::TrustPasvAddress(checked),
        "control_encrypted" => Change::ControlEncrypted(checked),
        "control_port" => {
            let text = value.trim();
            return Some(text.parse().map(Change::ControlPort).map_err(|_| {
                format!(
                    "Control port: expected a whole number from 1 to 65535, got \"{text}\". The port was not changed."
                )
            }));
        }
        "ip" => Change::Ip(match value {
            "v4" => IpVersion::V4,
            "v6" => IpVersion::V6,
            _ => return None,
        }),
        _ => return None,
    }))
}

/// The action of a button, from its `data-action` attribute (see [`crate::picture`]).
pub fn action_from_control(name: &str) -> Option<Action> {
    Some(match name {
        "restart" => Action::Restart,
        "back" => Action::StepBack,
        "play" => Action::TogglePlay,
        "forward" => Action::StepForward,
        "end" => Action::End,
        "presenter" => Action::TogglePresenter,
        "confirm-restart" => Action::ConfirmRestart,
        "confirm-branch" => Action::ConfirmBranch,
        "cancel-change" => Action::CancelChange,
        "dismiss" => Action::DismissMessage,
        "tab-tables" => Action::ShowLadder(false),
        "tab-ladder" => Action::ShowLadder(true),
        other => {
            let id = other.strip_prefix("answer:")?;
            Action::Answer(QuizAnswer::ALL.into_iter().find(|answer| answer.id() == id)?)
        }
    })
}

/// The action of a form control (select, checkbox, number field) from its `name`, value and
/// checked state: a network setting, a lesson, a playback option or a pane's mode.
pub fn action_from_form(name: &str, value: &str, checked: bool) -> Option<Action> {
    let mode = || DataMode::ALL.into_iter().find(|mode| mode.as_str() == value);
    Some(match name {
        "lesson" if !value.is_empty() => Action::LoadLesson(value.to_owned()),
        "speed" => Action::SetSpeed(value.parse().ok()?),
        "step_by" => Action::SetStepLevel(match value {
            "key" => Level::Key,
            "packet" => Level::Packet,
            "detail" => Level::Detail,
            _ => return None,
        }),
        "quiz" => Action::ToggleQuiz,
        "compare" => Action::ToggleCompare,
        "pane_left" => Action::SetPaneMode { right: false, mode: mode()? },
        "pane_right" => Action::SetPaneMode { right: true, mode: mode()? },
        _ => match change_from_form(name, value, checked)? {
            Ok(change) => Action::Change(change),
            Err(message) => Action::Refuse(message),
        },
    })
}

/// The scenario with `change` made, or why it cannot be.
fn apply_change(scenario: &Scenario, change: Change) -> Result<Scenario, String> {
    let mut next = scenario.clone();
    change.apply(&mut next);
    next.validate().map_err(|error| format!("That setting was not applied: {error}."))?;
    Ok(next)
}

/// A change waiting for the teacher to choose: restart, or branch from here.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingChange {
    pub scenario: Scenario,
    pub description: String,
    /// Why only a restart is possible, when a branch is not.
    pub restart_only: Option<String>,
}

/// The answers the quiz offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuizAnswer {
    Works,
    HomeRouter,
    Internet,
    ServerEdge,
    Server,
}

impl QuizAnswer {
    pub const ALL: [QuizAnswer; 5] =
        [QuizAnswer::Works, QuizAnswer::HomeRouter, QuizAnswer::Internet, QuizAnswer::ServerEdge, QuizAnswer::Server];

    /// The id used in the page's markup.
    pub fn id(self) -> &'static str {
        match self {
            QuizAnswer::Works => "works",
            QuizAnswer::HomeRouter => "home-router",
            QuizAnswer::Internet => "internet",
            QuizAnswer::ServerEdge => "server-edge",
            QuizAnswer::Server => "server",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            QuizAnswer::Works => "It will work",
            QuizAnswer::HomeRouter => "It fails at the home router",
            QuizAnswer::Internet => "It fails on the internet",
            QuizAnswer::ServerEdge => "It fails at the server's firewall or router",
            QuizAnswer::Server => "The server refuses it",
        }
    }
}

/// The quiz: asked once per run, just before the data connection is set up.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Quiz {
    pub enabled: bool,
    /// The event at which the question is asked.
    pub at: Option<usize>,
    pub answer: Option<QuizAnswer>,
}

impl Quiz {
    /// True while the question is on screen and unanswered at `position`.
    pub fn blocking(&self, position: usize) -> bool {
        self.enabled && self.answer.is_none() && self.at.is_some_and(|at| position >= at)
    }
}

/// One side of the side-by-side view.
#[derive(Clone, Debug)]
pub struct Pane {
    pub timeline: Rc<Timeline>,
    pub cursor: Cursor,
}

impl Pane {
    fn new(scenario: &Scenario) -> Option<Pane> {
        let timeline = Rc::new(Timeline::run(scenario).ok()?);
        let cursor = Cursor::new(&timeline);
        Some(Pane { timeline, cursor })
    }
}

/// Everything the page shows.
#[derive(Clone, Debug)]
pub struct Classroom {
    pub scenario: Scenario,
    /// The lesson the settings came from, while they are unchanged.
    pub lesson: Option<&'static str>,
    pub timeline: Rc<Timeline>,
    pub cursor: Cursor,
    pub step_level: Level,
    pub playing: bool,
    /// Index into [`SPEEDS`].
    pub speed: usize,
    pub pending: Option<PendingChange>,
    pub presenter: bool,
    pub quiz: Quiz,
    /// Side-by-side panes (left, right), when that view is on.
    pub compare: Option<(Pane, Pane)>,
    /// Every mode on the current network, computed with the engine.
    pub comparison: Rc<Vec<Cell>>,
    /// A message about input that was not accepted.
    pub message: Option<String>,
    /// Counts refused inputs, so the page redraws the form with the values really in force.
    pub form_revision: u32,
    /// On narrow screens the device tables and the ladder diagram share a place: which shows.
    pub show_ladder: bool,
    /// A step forward under way: the packets between here and this event move one hop per tick,
    /// so the class sees them travel instead of jumping.
    pub run_to: Option<usize>,
    /// Steps are animated (the page turns this off for visitors who ask for reduced motion).
    pub animate: bool,
    /// Announce the caption to screen readers (not during autoplay).
    pub announce: bool,
}

impl PartialEq for Classroom {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.timeline, &other.timeline)
            && self.cursor.position() == other.cursor.position()
            && self.scenario == other.scenario
            && self.playing == other.playing
            && self.speed == other.speed
            && self.step_level == other.step_level
            && self.pending == other.pending
            && self.presenter == other.presenter
            && self.quiz == other.quiz
            && self.message == other.message
            && self.form_revision == other.form_revision
            && self.show_ladder == other.show_ladder
            && self.run_to == other.run_to
            && self.animate == other.animate
            && self.compare.is_some() == other.compare.is_some()
    }
}

/// What the page can ask for.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    StepForward,
    StepBack,
    Seek(usize),
    Restart,
    End,
    TogglePlay,
    Pause,
    /// The playback timer fired.
    Tick,
    SetSpeed(usize),
    SetStepLevel(Level),
    Change(Change),
    /// Input that is not a setting at all (letters in the port field): say why, keep the rest.
    Refuse(String),
    ConfirmRestart,
    ConfirmBranch,
    CancelChange,
    LoadLesson(String),
    TogglePresenter,
    ToggleQuiz,
    Answer(QuizAnswer),
    ToggleCompare,
    SetPaneMode {
        right: bool,
        mode: DataMode,
    },
    DismissMessage,
    /// Show the device tables (false) or the ladder diagram (true) where they share a place.
    ShowLadder(bool),
}

/// The first event where the client sets up a data connection (the quiz's moment).
fn quiz_point(timeline: &Timeline) -> Option<usize> {
    timeline.events().iter().position(|event| {
        matches!(
            &event.kind,
            EventKind::Ftp {
                role: Role::Client,
                event: FtpTrace::CommandSent(Command::Port(_) | Command::Eprt(_) | Command::Pasv | Command::Epsv(_))
            }
        )
    })
}

/// The right answer to the quiz for a run.
pub fn quiz_truth(timeline: &Timeline) -> QuizAnswer {
    let verdict = timeline.verdict();
    if verdict.is_ok() {
        return QuizAnswer::Works;
    }
    match verdict.device {
        Some(NodeId::HomeRouter) => QuizAnswer::HomeRouter,
        Some(NodeId::Internet) => QuizAnswer::Internet,
        Some(NodeId::ServerEdge) => QuizAnswer::ServerEdge,
        _ => QuizAnswer::Server,
    }
}

impl Classroom {
    /// A session on `lesson` (or, without one, on the default home network in passive mode),
    /// standing on its first event.
    pub fn new(lesson: Option<&str>) -> Classroom {
        let chosen = lesson.and_then(lessons::find);
        let scenario = chosen.as_ref().map(|lesson| lesson.scenario.clone()).unwrap_or_default();
        let timeline = Rc::new(Timeline::run(&scenario).unwrap_or_else(|_| {
            // The default scenario is always valid; this cannot fail.
            Timeline::run(&Scenario::default()).expect("the default scenario is valid")
        }));
        let cursor = Cursor::new(&timeline);
        let comparison = Rc::new(matrix::compare_modes(&scenario, &matrix::MODES));
        let mut state = Classroom {
            lesson: chosen.map(|lesson| lesson.id),
            scenario,
            timeline,
            cursor,
            step_level: Level::Key,
            playing: false,
            speed: 1,
            pending: None,
            presenter: false,
            quiz: Quiz::default(),
            compare: None,
            comparison,
            message: None,
            form_revision: 0,
            show_ladder: false,
            run_to: None,
            animate: true,
            announce: true,
        };
        state.quiz.at = quiz_point(&state.timeline);
        if let Some(unknown) = lesson.filter(|_| state.lesson.is_none()) {
            state.message = Some(format!(
                "The address asks for a lesson called \"{unknown}\", which does not exist; showing the default network instead."
            ));
        }
        state
    }

    /// The event the page is on.
    pub fn position(&self) -> usize {
        self.cursor.position()
    }

    /// The last event of the run.
    pub fn last(&self) -> usize {
        self.timeline.len().saturating_sub(1)
    }

    /// The lesson the current settings came from.
    pub fn current_lesson(&self) -> Option<Lesson> {
        self.lesson.and_then(lessons::find)
    }

    fn seek(&mut self, index: usize) {
        let mut target = index.min(self.last());
        // The quiz stops the class just before the data connection is set up.
        if let Some(at) = self.quiz.at.filter(|_| self.quiz.enabled && self.quiz.answer.is_none())
            && self.position() < at
            && target > at
        {
            target = at;
        }
        let timeline = Rc::clone(&self.timeline);
        self.cursor.seek(&timeline, target);
        if self.quiz.blocking(self.position()) || self.position() >= self.last() {
            self.playing = false;
        }
    }

    fn next_at_level(timeline: &Timeline, from: usize, level: Level) -> usize {
        timeline
            .events()
            .iter()
            .skip(from + 1)
            .find(|event| event.level >= level)
            .map_or(timeline.len().saturating_sub(1), |event| event.index)
    }

    fn previous_at_level(timeline: &Timeline, from: usize, level: Level) -> usize {
        timeline.events()[..from].iter().rposition(|event| event.level >= level).unwrap_or(0)
    }

    fn restart_with(&mut self, scenario: Scenario) {
        match Timeline::run(&scenario) {
            Ok(timeline) => {
                self.comparison = Rc::new(matrix::compare_modes(&scenario, &matrix::MODES));
                self.scenario = scenario;
                self.timeline = Rc::new(timeline);
                self.cursor = Cursor::new(&self.timeline);
                self.quiz.at = quiz_point(&self.timeline);
                self.quiz.answer = None;
                self.playing = false;
                self.refresh_compare();
            }
            Err(error) => self.message = Some(format!("That setting was not applied: {error}.")),
        }
    }

    fn branch_with(&mut self, scenario: Scenario) {
        let at = self.position();
        match self.timeline.branch(at, &scenario) {
            Ok(timeline) => {
                self.comparison = Rc::new(matrix::compare_modes(&scenario, &matrix::MODES));
                self.scenario = scenario;
                self.timeline = Rc::new(timeline);
                let timeline = Rc::clone(&self.timeline);
                self.cursor = Cursor::new(&timeline);
                // Stand on the "settings changed" event, right where the branch starts.
                let changed = timeline
                    .events()
                    .iter()
                    .skip(at)
                    .find(|event| matches!(event.kind, EventKind::SettingsChanged { .. }))
                    .map_or(at, |event| event.index);
                self.cursor.seek(&timeline, changed);
                self.quiz.at = quiz_point(&timeline).filter(|point| *point > changed);
            }
            Err(error) => self.message = Some(error.to_string()),
        }
    }

    fn refresh_compare(&mut self) {
        if let Some((left, right)) = &self.compare {
            let left_mode = left.timeline.scenario().mode;
            let right_mode = right.timeline.scenario().mode;
            self.compare = self.make_panes(left_mode, right_mode);
        }
    }

    fn make_panes(&self, left: DataMode, right: DataMode) -> Option<(Pane, Pane)> {
        let left = Pane::new(&Scenario { mode: left, ..self.scenario.clone() })?;
        let right = Pane::new(&Scenario { mode: right, ..self.scenario.clone() })?;
        Some((left, right))
    }

    /// Moves each side-by-side pane's cursor to `target(timeline, position)`.
    fn move_panes(&mut self, target: impl Fn(&Timeline, usize) -> usize) {
        if let Some((left, right)) = &mut self.compare {
            for pane in [left, right] {
                let timeline = Rc::clone(&pane.timeline);
                let to = target(&timeline, pane.cursor.position());
                pane.cursor.seek(&timeline, to);
            }
        }
    }

    fn step_panes(&mut self, forward: bool) {
        let level = self.step_level;
        self.move_panes(|timeline, position| {
            if forward {
                Self::next_at_level(timeline, position, level)
            } else {
                Self::previous_at_level(timeline, position, level)
            }
        });
    }

    /// Back to the first event, the panes too.
    fn rewind(&mut self) {
        let timeline = Rc::clone(&self.timeline);
        self.cursor.seek(&timeline, 0);
        self.move_panes(|_, _| 0);
    }

    fn panes_at_end(&self) -> bool {
        self.compare.as_ref().is_none_or(|(left, right)| {
            left.cursor.position() + 1 >= left.timeline.len() && right.cursor.position() + 1 >= right.timeline.len()
        })
    }
}

impl Classroom {
    /// Carries out an action. Returns false when nothing changed (a timer tick while paused),
    /// so the page need not re-render.
    pub fn apply(&mut self, action: Action) -> bool {
        let state = self;
        state.announce = true;
        // Anything but the next tick or another step ends a step under way where it was going.
        if !matches!(action, Action::Tick | Action::StepForward)
            && let Some(target) = state.run_to.take()
        {
            state.seek(target);
        }
        match action {
            Action::StepForward if state.compare.is_some() => state.step_panes(true),
            Action::StepBack if state.compare.is_some() => state.step_panes(false),
            Action::StepForward => {
                // A second press while a step is under way finishes it at once.
                if let Some(target) = state.run_to.take() {
                    state.seek(target);
                }
                let target = Self::next_at_level(&state.timeline, state.position(), state.step_level);
                if state.animate && !state.playing && target > state.position() + 1 {
                    state.announce = false;
                    state.run_to = Some(target);
                } else {
                    state.seek(target);
                }
            }
            Action::StepBack => {
                let target = Self::previous_at_level(&state.timeline, state.position(), state.step_level);
                state.seek(target);
            }
            Action::Seek(index) => state.seek(index),
            Action::Restart => {
                state.playing = false;
                state.rewind();
            }
            Action::End => {
                state.move_panes(|timeline, _| timeline.len().saturating_sub(1));
                let last = state.last();
                state.seek(last);
                state.playing = false;
            }
            Action::TogglePlay => {
                let at_end =
                    if state.compare.is_some() { state.panes_at_end() } else { state.position() >= state.last() };
                if !state.playing && at_end {
                    // Play from the start again, as a media player does.
                    state.rewind();
                }
                state.playing = !state.playing && !state.quiz.blocking(state.position());
            }
            Action::Pause => state.playing = false,
            Action::Tick => {
                state.announce = false;
                if let Some(target) = state.run_to {
                    let before = state.position();
                    let next = Self::next_at_level(&state.timeline, before, Level::Packet).min(target);
                    state.seek(next);
                    // Arrived, or stopped by the quiz: the step is over and can be announced.
                    if state.position() >= target || state.position() == before {
                        state.run_to = None;
                        state.announce = true;
                    }
                    return true;
                }
                if !state.playing {
                    return false;
                }
                if state.compare.is_some() {
                    // Side by side: both panes move a packet at a time.
                    let saved = state.step_level;
                    state.step_level = Level::Packet;
                    state.step_panes(true);
                    state.step_level = saved;
                    if state.panes_at_end() {
                        state.playing = false;
                    }
                } else {
                    let target = Self::next_at_level(&state.timeline, state.position(), Level::Packet);
                    state.seek(target);
                }
            }
            Action::SetSpeed(speed) => state.speed = speed.min(SPEEDS.len() - 1),
            Action::SetStepLevel(level) => state.step_level = level,
            Action::Refuse(message) => {
                state.message = Some(message);
                state.form_revision += 1;
            }
            Action::Change(change) => match apply_change(&state.scenario, change) {
                Err(message) => {
                    state.message = Some(message);
                    state.form_revision += 1;
                }
                Ok(next) if next == state.scenario => {}
                Ok(next) => {
                    state.message = None;
                    let mid_session =
                        state.compare.is_none() && state.position() > 0 && state.position() < state.last();
                    if mid_session {
                        let restart_only =
                            state.cursor.world().clone().apply(&next).err().map(|error| error.to_string());
                        let description = crate::sim::timeline::describe_changes(&state.scenario, &next);
                        state.playing = false;
                        state.pending = Some(PendingChange { scenario: next, description, restart_only });
                    } else {
                        state.lesson = None;
                        state.restart_with(next);
                    }
                }
            },
            Action::ConfirmRestart => {
                if let Some(pending) = state.pending.take() {
                    state.lesson = None;
                    state.restart_with(pending.scenario);
                }
            }
            Action::ConfirmBranch => {
                if let Some(pending) = state.pending.take() {
                    state.lesson = None;
                    state.branch_with(pending.scenario);
                }
            }
            Action::CancelChange => state.pending = None,
            Action::LoadLesson(id) => {
                if let Some(lesson) = lessons::find(&id) {
                    state.pending = None;
                    state.message = None;
                    state.restart_with(lesson.scenario);
                    state.lesson = Some(lesson.id);
                } else {
                    state.message = Some(format!("There is no lesson called \"{id}\"."));
                }
            }
            Action::TogglePresenter => state.presenter = !state.presenter,
            Action::ToggleQuiz => {
                state.quiz.enabled = !state.quiz.enabled;
                state.quiz.answer = None;
            }
            Action::Answer(answer) => {
                if state.quiz.blocking(state.position()) {
                    state.quiz.answer = Some(answer);
                }
            }
            Action::ToggleCompare => {
                state.playing = false;
                state.compare = match state.compare {
                    Some(_) => None,
                    None => {
                        let (left, right) = if state.scenario.mode.is_active() {
                            (state.scenario.mode, DataMode::Pasv)
                        } else {
                            (DataMode::Port, state.scenario.mode)
                        };
                        state.make_panes(left, right)
                    }
                };
            }
            Action::SetPaneMode { right, mode } => {
                if let Some((left_pane, right_pane)) = &state.compare {
                    let (left_mode, right_mode) = if right {
                        (left_pane.timeline.scenario().mode, mode)
                    } else {
                        (mode, right_pane.timeline.scenario().mode)
                    };
                    state.compare = state.make_panes(left_mode, right_mode);
                }
            }
            Action::DismissMessage => state.message = None,
            Action::ShowLadder(show) => state.show_ladder = show,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A classroom whose steps jump (the page's reduced-motion behaviour).
    fn still(lesson: Option<&str>) -> Classroom {
        let mut classroom = Classroom::new(lesson);
        classroom.animate = false;
        classroom
    }

    fn text_at(classroom: &Classroom) -> String {
        classroom.timeline.events()[classroom.position()].text.clone()
    }

    #[test]
    fn steps_go_from_key_event_to_key_event_and_back() {
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
        assert!(text_at(&classroom).starts_with("Verdict"));
        classroom.apply(Action::Restart);
        assert_eq!(classroom.position(), 0);
    }

    #[test]
    fn an_animated_step_moves_the_packets_one_hop_per_tick() {
        let mut classroom = still(Some("active-nat"));
        classroom.apply(Action::StepForward);
        let jump = classroom.position();
        assert!(classroom.run_to.is_none(), "without animation a step jumps");
        classroom.apply(Action::Restart);
        classroom.animate = true;
        classroom.apply(Action::StepForward);
        let target = classroom.run_to.expect("a step under way");
        assert_eq!(target, jump);
        assert_eq!(classroom.position(), 0, "nothing jumps");
        let mut ticks = 0;
        while classroom.run_to.is_some() && ticks < 1000 {
            let before = classroom.position();
            classroom.apply(Action::Tick);
            assert!(classroom.position() > before);
            assert_ne!(classroom.timeline.events()[classroom.position()].level, Level::Detail);
            ticks += 1;
        }
        assert_eq!(classroom.position(), target);
        assert!(ticks >= 1 && classroom.announce);
        // A second press finishes the step under way and starts the next one. (A step to the
        // very next event has nothing to animate and simply moves.)
        let mut presses = 0;
        while classroom.run_to.is_none() && presses < 50 {
            classroom.apply(Action::StepForward);
            presses += 1;
        }
        let next = classroom.run_to.expect("a step under way");
        classroom.apply(Action::StepForward);
        assert!(classroom.position() >= next);
        // Any other action lands the step where it was going.
        classroom.apply(Action::DismissMessage);
        assert!(classroom.run_to.is_none());
    }

    #[test]
    fn playback_moves_a_packet_at_a_time_and_stops_at_the_end() {
        let mut classroom = still(None);
        assert!(!classroom.apply(Action::Tick), "a tick while paused changes nothing");
        classroom.apply(Action::TogglePlay);
        assert!(classroom.playing);
        let mut ticks = 0;
        while classroom.playing && ticks < 10_000 {
            classroom.apply(Action::Tick);
            ticks += 1;
        }
        assert_eq!(classroom.position(), classroom.last());
        assert!(ticks > 20);
        // Play at the end starts over.
        classroom.apply(Action::TogglePlay);
        assert_eq!(classroom.position(), 0);
    }

    #[test]
    fn a_change_at_the_start_or_end_restarts_and_mid_session_asks() {
        let mut classroom = still(Some("active-nat"));
        classroom.apply(Action::Change(Change::ClientAlg(true)));
        assert!(classroom.pending.is_none(), "at the start a change simply restarts");
        assert!(classroom.timeline.verdict().is_ok());
        assert_eq!(classroom.lesson, None, "the settings are no longer the lesson's");

        classroom.apply(Action::StepForward);
        classroom.apply(Action::StepForward);
        classroom.apply(Action::Change(Change::Mode(DataMode::Pasv)));
        let pending = classroom.pending.clone().expect("mid-session changes ask first");
        assert!(pending.restart_only.is_none());
        assert!(pending.description.contains("Mode"), "{}", pending.description);
        classroom.apply(Action::ConfirmBranch);
        assert!(classroom.pending.is_none());
        assert!(matches!(classroom.timeline.events()[classroom.position()].kind, EventKind::SettingsChanged { .. }));
        assert!(classroom.timeline.verdict().is_ok());

        classroom.apply(Action::StepForward);
        classroom.apply(Action::Change(Change::ClientNat(false)));
        let pending = classroom.pending.clone().expect("asks");
        assert!(pending.restart_only.is_some(), "NAT changes addresses: restart only");
        classroom.apply(Action::CancelChange);
        assert!(classroom.pending.is_none());
        assert!(classroom.scenario.client_nat);
    }

    #[test]
    fn bad_input_keeps_the_previous_state_and_says_why() {
        let mut classroom = still(None);
        let before = classroom.scenario.clone();
        let revision = classroom.form_revision;
        for text in ["abc", "0", "50500", "70000", "", "-1"] {
            let action = action_from_form("control_port", text, false).expect("the port field is understood");
            classroom.apply(action);
            assert_eq!(classroom.scenario, before, "{text}");
            assert!(classroom.message.is_some(), "{text}");
        }
        assert_eq!(classroom.form_revision, revision + 6, "the form is redrawn with the port in force");
        classroom.apply(Action::DismissMessage);
        classroom.apply(action_from_form("control_port", " 2121 ", false).expect("understood"));
        assert_eq!(classroom.scenario.control_port, 2121);
        assert!(classroom.message.is_none());
        classroom.apply(Action::LoadLesson("no-such-lesson".to_owned()));
        assert!(classroom.message.as_deref().unwrap_or("").contains("no-such-lesson"));
        let from_link = still(Some("<script>"));
        assert_eq!(from_link.scenario, Scenario::default());
        assert!(from_link.message.as_deref().unwrap_or("").contains("\"<script>\""));
    }

    #[test]
    fn the_quiz_stops_before_the_data_connection_and_reveals_after_an_answer() {
        let mut classroom = still(Some("active-nat"));
        classroom.apply(Action::ToggleQuiz);
        classroom.apply(Action::End);
        let at = classroom.quiz.at.expect("a quiz point");
        assert_eq!(classroom.position(), at, "the class is stopped at the question");
        assert!(classroom.quiz.blocking(classroom.position()));
        classroom.apply(Action::TogglePlay);
        assert!(!classroom.playing, "no playing past an open question");
        classroom.apply(Action::Answer(QuizAnswer::Works));
        assert_eq!(classroom.quiz.answer, Some(QuizAnswer::Works));
        assert_eq!(quiz_truth(&classroom.timeline), QuizAnswer::Server);
        classroom.apply(Action::End);
        assert_eq!(classroom.position(), classroom.last());
    }

    #[test]
    fn side_by_side_steps_both_panes() {
        let mut classroom = still(Some("active-nat"));
        classroom.apply(Action::ToggleCompare);
        let (left, right) = classroom.compare.clone().expect("panes");
        assert_eq!(left.timeline.scenario().mode, DataMode::Port);
        assert_eq!(right.timeline.scenario().mode, DataMode::Pasv);
        classroom.apply(Action::StepForward);
        let (left, right) = classroom.compare.clone().expect("panes");
        assert!(left.cursor.position() > 0 && right.cursor.position() > 0);
        classroom.apply(Action::End);
        let (left, right) = classroom.compare.clone().expect("panes");
        assert!(!left.timeline.verdict().is_ok() && right.timeline.verdict().is_ok());
        assert_eq!(left.cursor.position(), left.timeline.len() - 1);
        classroom.apply(Action::SetPaneMode { right: true, mode: DataMode::Epsv });
        let (_, right) = classroom.compare.clone().expect("panes");
        assert_eq!(right.timeline.scenario().mode, DataMode::Epsv);
        classroom.apply(Action::ToggleCompare);
        assert!(classroom.compare.is_none());
    }

    #[test]
    fn form_controls_map_to_settings() {
        let change =
            |name: &str, value: &str, checked: bool| change_from_form(name, value, checked).and_then(Result::ok);
        assert_eq!(change("mode", "eprt", false), Some(Change::Mode(DataMode::Eprt)));
        assert_eq!(change("client_nat", "on", false), Some(Change::ClientNat(false)));
        assert_eq!(change("port_check", "on", true), Some(Change::PortCheck(PortCheck::Strict)));
        assert_eq!(
            change("server_firewall", "control-only", false),
            Some(Change::ServerFirewall(ServerFirewall::ControlOnly))
        );
        assert_eq!(change("control_port", "2121", false), Some(Change::ControlPort(2121)));
        assert!(
            matches!(change_from_form("control_port", "twenty", false), Some(Err(message)) if message.contains("\"twenty\""))
        );
        assert_eq!(change_from_form("mode", "sideways", false), None);
        assert_eq!(change_from_form("colour", "red", false), None);
    }

    #[test]
    fn page_controls_map_to_actions() {
        assert_eq!(action_from_control("forward"), Some(Action::StepForward));
        assert_eq!(action_from_control("answer:internet"), Some(Action::Answer(QuizAnswer::Internet)));
        assert_eq!(action_from_control("answer:moon"), None);
        assert_eq!(action_from_control("launch"), None);
        assert_eq!(action_from_form("lesson", "active-nat", false), Some(Action::LoadLesson("active-nat".to_owned())));
        assert_eq!(action_from_form("lesson", "", false), None);
        assert_eq!(action_from_form("speed", "3", false), Some(Action::SetSpeed(3)));
        assert_eq!(action_from_form("speed", "fast", false), None);
        assert_eq!(action_from_form("step_by", "packet", false), Some(Action::SetStepLevel(Level::Packet)));
        assert_eq!(
            action_from_form("pane_right", "epsv", false),
            Some(Action::SetPaneMode { right: true, mode: DataMode::Epsv })
        );
        assert_eq!(action_from_form("client_alg", "on", true), Some(Action::Change(Change::ClientAlg(true))));
        assert!(matches!(action_from_form("control_port", "x", false), Some(Action::Refuse(_))));
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
}
