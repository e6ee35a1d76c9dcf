//! The classroom session: what the page shows and every action that changes it.
//!
//! A [`Classroom`] holds a finished [`Timeline`] and a [`Cursor`] on it, the settings in force
//! and any changes waiting to be applied, the quiz, the side-by-side panes and the playback
//! clock. Every button, key and toggle of the page becomes an [`Action`] given to
//! [`Classroom::apply`]. Nothing here simulates: moving the cursor restores the engine's own
//! snapshots, and changed settings either restart the engine or branch its timeline. It has no
//! web dependency, so every rule of the page is tested natively; the browser app wraps it in
//! Yew's `Reducible` and draws it.
//!
//! The rules a teacher relies on:
//! - the settings form always shows the settings of the run on screen, plus the changes
//!   waiting in the pending panel (which the page marks as such); Cancel or Escape drops them;
//! - while changes are pending, the old run does not move;
//! - at the first event a change simply applies; at the last it re-runs and shows the new
//!   verdict; in between it waits for "Restart with them" or "Branch from this step";
//! - while a quiz question is open nothing moves past it and nothing shows the outcome.

#[cfg(feature = "assessment")]
mod assessment;
mod compare;
mod console;
pub mod link;
mod playback;
mod print;
mod quiz;
pub mod stored;

use stored::{Preferences, SaveProblem, Saved, Stored, StoredProblem};

use std::rc::Rc;

#[cfg(feature = "assessment")]
pub use assessment::Assessment;
pub use compare::{Compare, Pane, Side};
pub use console::{ConsoleLine, Refusal, console_lines, typed_line_starts};
pub use link::{Link, LinkProblem, Unlinkable};
pub use playback::{KEY_HOLD_MS, PLAY_HOP_MS, Playback, SPEEDS, STEP_HOP_MS, TICK_MS};
pub use print::Printout;
pub use quiz::{Quiz, QuizAnswer, quiz_point, quiz_truth};

use crate::ftp::TimerKind;
use crate::ftp::client::DataMode;
use crate::messages::page::notices;
use crate::messages::page::stored as stored_words;
use crate::sim::caption::{self, Caption};
use crate::sim::lessons::{self, Lesson};
use crate::sim::matrix::{self, Cell};
use crate::sim::scenario::{Change, Scenario, ScenarioError};
use crate::sim::scenario_file::{self, Json};
use crate::sim::settings::SettingError;
use crate::sim::timeline::{BranchError, Cursor, Timeline, describe_changes};
use crate::sim::trace::{Level, NodeId};
use crate::sim::world::{Wait, WaitFor};
use crate::time::Duration;

/// Settings changed while a session was under way, waiting for the teacher's choice.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    /// The run's settings with every queued change made.
    pub scenario: Scenario,
    /// What changed, in words.
    pub description: String,
    /// Why only a restart is possible, when a branch is not.
    pub restart_only: Option<String>,
}

/// Something the page must tell the teacher: input that was not taken, a link that could not
/// be read.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// The address names a lesson that does not exist.
    UnknownLesson { asked: String },
    /// A value typed into the form is not a value of that setting.
    SettingRefused(SettingError),
    /// The settings would not make a valid network together.
    SettingsInvalid(ScenarioError),
    /// A branch could not be made.
    BranchImpossible(BranchError),
    /// Parts of a link could not be read; the rest is shown.
    LinkProblems(Vec<LinkProblem>),
    /// What the browser kept could not be read; it was moved aside.
    StoredUnreadable(StoredProblem),
    /// A scenario was not saved under a name.
    NotSaved(SaveProblem),
    /// Two things to say at once (a stored record set aside, and a link's problems).
    Both(Box<Notice>, Box<Notice>),
    /// A line typed at the console was not sent, and why.
    LineRefused { line: String, why: Refusal },
    /// The settings stay as they are while questions about this run are open.
    #[cfg(feature = "assessment")]
    QuestionsOpen,
    /// The progress the course kept could not be taken back.
    #[cfg(feature = "assessment")]
    NotResumed(crate::assess::attempt::SuspendError),
}

impl Notice {
    /// The notice in words.
    pub fn text(&self) -> String {
        match self {
            Notice::UnknownLesson { asked } => notices::unknown_lesson(asked),
            Notice::SettingRefused(error) => notices::setting_refused(&error.to_string()),
            Notice::SettingsInvalid(error) => notices::settings_invalid(&error.to_string()),
            Notice::BranchImpossible(error) => notices::branch_impossible(&error.to_string()),
            Notice::LinkProblems(problems) => {
                let texts: Vec<String> = problems.iter().map(LinkProblem::text).collect();
                notices::link_problems(&texts)
            }
            Notice::StoredUnreadable(problem) => stored_words::set_aside(&problem.to_string(), stored::SET_ASIDE_KEY),
            Notice::NotSaved(problem) => stored_words::not_saved(&problem.to_string()),
            Notice::Both(first, second) => format!("{} {}", first.text(), second.text()),
            Notice::LineRefused { line, why } => why.text(line),
            #[cfg(feature = "assessment")]
            Notice::QuestionsOpen => crate::messages::assess::SETTINGS_LOCKED.to_owned(),
            #[cfg(feature = "assessment")]
            Notice::NotResumed(problem) => problem.to_string(),
        }
    }
}

/// The Share dialog, while it is open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Share {
    /// The QR code is shown.
    pub qr: bool,
    /// The teacher asked to copy the link.
    pub copied: bool,
    /// The field shows the `<iframe>` code for a course page instead of the link.
    pub embed: bool,
}

/// A dialog over the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dialog {
    Share(Share),
    /// Save, open and export: scenario files, saved scenarios, the transcript and the drawings; with
    /// what the last save or delete did.
    Files(Option<FilesNote>),
}

/// What the Files dialog reports about the saved list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FilesNote {
    Saved(String),
    Deleted(String),
    NotSaved(SaveProblem),
}

/// The panel that the ladder diagram and the device tables share.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tab {
    #[default]
    Ladder,
    Tables,
    /// The console, where a student types the client's commands.
    Console,
}

/// Everything the page shows.
#[derive(Clone, Debug)]
pub struct Classroom {
    /// The settings of the run on screen.
    pub scenario: Scenario,
    /// The lesson the settings came from, while they are unchanged.
    pub lesson: Option<&'static str>,
    /// The lesson the session began from, changed or not: a link names it and the settings
    /// that differ.
    pub origin: Option<&'static str>,
    pub timeline: Rc<Timeline>,
    pub cursor: Cursor,
    pub step_level: Level,
    pub playback: Playback,
    pub pending: Option<Pending>,
    pub presenter: bool,
    /// Shown inside another page (the link's `embed=on`): the stage and its controls only.
    pub embed: bool,
    pub quiz: Quiz,
    /// Side-by-side panes, when that view is on.
    pub compare: Option<Compare>,
    /// Every mode on the current settings, each a fresh run of the engine.
    pub comparison: Rc<Vec<Cell>>,
    pub notice: Option<Notice>,
    /// Counts refused inputs, so the page redraws the form with the values in force.
    pub form_revision: u32,
    pub tab: Tab,
    /// Steps and playback are animated (the page turns this off for visitors who ask for
    /// reduced motion).
    pub animate: bool,
    /// Announce the caption to screen readers now (not while packets are still hopping).
    pub announce: bool,
    /// The class has seen this run's end: the verdict stays on screen when it steps back.
    pub revealed: bool,
    /// Counts the moments the keyboard should return to the stage (after a lesson is picked,
    /// a dialog closes), so a clicker's → steps again.
    pub stage_focus: u32,
    /// The dialog over the page, when one is open.
    pub dialog: Option<Dialog>,
    /// Scenarios the teacher saved under a name (kept in the browser by the page).
    pub saved: Rc<Vec<Saved>>,
    /// The document being printed: the page draws it for the printer until the browser says
    /// printing is over.
    pub printing: Option<Printout>,
    /// Counts the teacher's print requests, so each click prints (even of the same document).
    pub print_requests: u32,
    /// Questions to answer about this run, when a link asks for them; shared with the page's
    /// questions panel, which takes it as props on every render.
    #[cfg(feature = "assessment")]
    pub assessment: Option<Rc<Assessment>>,
}

/// The lesson an assignment link without one is about.
#[cfg(feature = "assessment")]
pub const DEFAULT_ASSIGNMENT: &str = "active-nat";

/// What the page can ask for.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    StepForward,
    StepBack,
    /// Go to this event (side by side: this shared step).
    Seek(usize),
    Restart,
    End,
    TogglePlay,
    /// The page's timer fired (every [`TICK_MS`] while something moves).
    Tick,
    SetSpeed(usize),
    SetStepLevel(Level),
    Change(Change),
    /// A value typed into the form that is not a value of its setting: say why, keep the rest.
    Refuse(SettingError),
    ConfirmRestart,
    ConfirmBranch,
    CancelChanges,
    LoadLesson(String),
    /// Show what a link describes (the page's address changed).
    OpenLink(String),
    /// Open a scenario file, as the browser parsed it (the JSON `ftpsim run --scenario` reads).
    OpenScenario(Json),
    /// A file that is not JSON at all: say so.
    UnreadableFile(String),
    /// Keep the settings (the changes waiting, if any) in the browser under this name.
    SaveAs(String),
    /// Run the saved scenario at this place in the list.
    OpenSaved(usize),
    DeleteSaved(usize),
    TogglePresenter,
    ToggleQuiz,
    Answer(QuizAnswer),
    ToggleCompare,
    SetPaneMode(Side, DataMode),
    DismissNotice,
    ShowTab(Tab),
    OpenShare,
    OpenFiles,
    ToggleQr,
    /// The Share dialog switches between the link and the code that embeds the page.
    ToggleEmbedCode,
    /// The link was put on the clipboard (or selected for the teacher to copy).
    Copied,
    CloseDialog,
    /// Escape: closes a dialog, or else cancels the changes waiting.
    Escape,
    /// A line typed at the console: it goes at the end of the session.
    Type(String),
    /// Back to the client program's own commands.
    ClearConsole,
    /// Print a document of the run on screen.
    Print(Printout),
    /// The browser has printed (or the teacher cancelled): the document goes away.
    Printed,
    /// An answer to the generated question at this place in the list.
    #[cfg(feature = "assessment")]
    Respond(usize, crate::assess::questions::Response),
    /// The progress a learning management system kept (SCORM `cmi.suspend_data`).
    #[cfg(feature = "assessment")]
    Resume(String),
}

/// A wait the page counts down: who waits, what happens at the end, and how long is left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Countdown {
    pub text: String,
    pub left: Duration,
}

/// The most transfers a session on the page may have. The page plays the whole session before it
/// draws (and again for every change of a setting, with every mode for the comparison table),
/// and keeps it to step back through. 200 transfers (18 700 events) take 25 MB of the wasm's
/// memory and 0.2 s more before the first step than one transfer does, in Chromium on a
/// CI-class machine (BENCHMARKS.md): comfortable for a school laptop, and far more than a
/// lesson needs. The terminal runner plays up to [`crate::sim::scenario::MAX_TRANSFERS`].
pub const MAX_TRANSFERS_ON_PAGE: u32 = 200;

/// Refuses a session too long for the page, before anything of it is played.
fn fits_the_page(scenario: &Scenario) -> Result<(), ScenarioError> {
    if scenario.transfers > MAX_TRANSFERS_ON_PAGE {
        return Err(ScenarioError::TooLongForPage { got: scenario.transfers, max: MAX_TRANSFERS_ON_PAGE });
    }
    Ok(())
}

impl Classroom {
    /// A session on `lesson` (or, without one, on the default home network in passive mode),
    /// standing on its first event. An unknown lesson shows the default network and says so.
    pub fn new(lesson: Option<&str>) -> Classroom {
        let chosen = lesson.and_then(lessons::find);
        let scenario = chosen.as_ref().map(|lesson| lesson.scenario.clone()).unwrap_or_default();
        let timeline = Rc::new(match Timeline::run(&scenario) {
            Ok(timeline) => timeline,
            // Lessons and the default are checked by tests; fall back rather than fail.
            Err(_) => Timeline::run(&Scenario::default()).expect("the default scenario is valid"),
        });
        let cursor = Cursor::new(&timeline);
        let mut quiz = Quiz::default();
        quiz.reset(&timeline, 0);
        Classroom {
            lesson: chosen.as_ref().map(|lesson| lesson.id),
            origin: chosen.as_ref().map(|lesson| lesson.id),
            comparison: Rc::new(matrix::compare_modes(&scenario, &matrix::MODES)),
            scenario,
            timeline,
            cursor,
            step_level: Level::Key,
            playback: Playback::new(),
            pending: None,
            presenter: false,
            embed: false,
            quiz,
            compare: None,
            notice: lesson
                .filter(|_| chosen.is_none())
                .map(|asked| Notice::UnknownLesson { asked: asked.chars().take(80).collect() }),
            form_revision: 0,
            tab: Tab::default(),
            animate: true,
            announce: true,
            revealed: false,
            stage_focus: 0,
            dialog: None,
            saved: Rc::default(),
            printing: None,
            print_requests: 0,
            #[cfg(feature = "assessment")]
            assessment: None,
        }
    }

    /// The page at load: the address's link, or, when the address has none, the link the
    /// browser kept from the last visit; the kept preferences and saved scenarios. A kept
    /// record that could not be read (the page has moved it aside) is named in a notice.
    pub fn start(fragment: &str, stored: Result<Option<Stored>, StoredProblem>) -> Classroom {
        let (stored, problem) = match stored {
            Ok(stored) => (stored.unwrap_or_default(), None),
            Err(problem) => (Stored::default(), Some(problem)),
        };
        let own_address = !fragment.trim().is_empty();
        let fragment = if own_address { fragment } else { stored.last.as_deref().unwrap_or_default() };
        let mut classroom = Classroom::open(fragment);
        if !own_address && stored.last.is_none() {
            classroom.step_level = stored.preferences.level;
        }
        classroom.presenter = stored.preferences.presenter;
        classroom.playback.speed = stored.preferences.speed.min(SPEEDS.len() - 1);
        classroom.saved = Rc::new(stored.saved);
        if let Some(problem) = problem {
            let unreadable = Notice::StoredUnreadable(problem);
            classroom.notice = Some(match classroom.notice.take() {
                Some(other) => Notice::Both(Box::new(unreadable), Box::new(other)),
                None => unreadable,
            });
        }
        classroom
    }

    /// What the page keeps in the browser: the link of what is on screen, the preferences and
    /// the saved scenarios.
    pub fn stored(&self) -> Stored {
        Stored {
            last: self.link().ok(),
            preferences: Preferences { presenter: self.presenter, speed: self.playback.speed, level: self.step_level },
            saved: self.saved.as_ref().clone(),
        }
    }

    /// A session on what a link describes (the page's address at load). A plain lesson link
    /// runs the lesson once; anything more is opened on top of it.
    pub fn open(fragment: &str) -> Classroom {
        let (link, problems) = Link::read(fragment);
        #[cfg(feature = "assessment")]
        let asks = link.assessment.is_some();
        #[cfg(not(feature = "assessment"))]
        let asks = false;
        let plain = !asks
            && problems.is_empty()
            && link.branches.is_empty()
            && link.pending.is_none()
            && link.compare.is_none()
            && !link.quiz
            && !link.embed
            && link.step == 0
            && link.level == Level::Key
            && link.lesson.and_then(lessons::find).map(|lesson| lesson.scenario).unwrap_or_default() == link.scenario;
        let mut classroom = Classroom::new(link.lesson);
        if !plain {
            classroom.open_link(fragment);
        }
        classroom
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

    /// The settings the form shows: the run's, with any pending changes made.
    pub fn form_scenario(&self) -> &Scenario {
        self.pending.as_ref().map_or(&self.scenario, |pending| &pending.scenario)
    }

    /// The scrubber's value and maximum: events, or shared steps side by side.
    pub fn scrubber(&self) -> (usize, usize) {
        match &self.compare {
            Some(compare) => (compare.step, compare.last_step()),
            None => (self.position(), self.last()),
        }
    }

    /// True when the verdict may be shown: at the end, or once the class has seen the end.
    pub fn verdict_visible(&self) -> bool {
        self.revealed || self.position() >= self.last()
    }

    /// The caption on screen: at the start, the lesson's title and introduction.
    pub fn caption(&self) -> Caption {
        match self.current_lesson().filter(|_| self.position() == 0) {
            Some(lesson) => Caption { headline: lesson.title.to_owned(), body: lesson.intro.to_owned() },
            None => caption::for_event(&self.timeline, self.position()),
        }
    }

    /// What the programs wait for at this moment, with the time left, soonest first.
    pub fn countdowns(&self) -> Vec<Countdown> {
        countdowns(&self.timeline, &self.cursor)
    }

    fn seek(&mut self, index: usize) {
        let mut target = index.min(self.last());
        if let Some(limit) = self.limit() {
            target = target.min(limit);
        }
        let timeline = Rc::clone(&self.timeline);
        self.cursor.seek(&timeline, target);
        if self.position() >= self.last() {
            self.revealed = true;
            self.playback.playing = false;
        }
        if self.held() {
            self.playback.playing = false;
        }
    }

    /// The furthest event the session may go to while a question waits for its answer.
    pub fn limit(&self) -> Option<usize> {
        let quiz = self.quiz.limit();
        #[cfg(feature = "assessment")]
        if let Some(limit) = self.assessment.as_ref().and_then(|assessment| assessment.attempt.limit()) {
            return Some(quiz.map_or(limit, |quiz| quiz.min(limit)));
        }
        quiz
    }

    /// What a SCORM course is told now: the score, the status and the progress (with the
    /// position on screen); `centiseconds` is the time spent in this session.
    #[cfg(feature = "assessment")]
    pub fn assessment_report(&self, centiseconds: u64) -> Option<crate::assess::attempt::Report> {
        Some(self.assessment.as_ref()?.report(self.position(), centiseconds))
    }

    /// A question is on screen and waits for its answer.
    pub fn held(&self) -> bool {
        self.limit().is_some_and(|limit| self.position() >= limit)
    }

    /// Generated questions wait for answers: the settings stay locked until the last one.
    #[cfg(feature = "assessment")]
    fn assessment_open(&self) -> bool {
        self.assessment.as_ref().is_some_and(|assessment| !assessment.attempt.finished())
    }

    /// Questions are open: the settings stay as they are and the outcome stays hidden.
    pub fn questions_open(&self) -> bool {
        #[cfg(feature = "assessment")]
        if self.assessment_open() {
            return true;
        }
        self.quiz.open()
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
        timeline.events()[..from.min(timeline.len())].iter().rposition(|event| event.level >= level).unwrap_or(0)
    }

    /// A fresh run of `scenario`, standing on its first event.
    fn restart_with(&mut self, scenario: Scenario) {
        match fits_the_page(&scenario).and_then(|()| Timeline::run(&scenario)) {
            Ok(timeline) => {
                self.comparison = Rc::new(matrix::compare_modes(&scenario, &matrix::MODES));
                if let Some(compare) = &mut self.compare
                    && let Err(error) = compare.rerun(&scenario)
                {
                    self.notice = Some(Notice::SettingsInvalid(error));
                }
                self.scenario = scenario;
                self.timeline = Rc::new(timeline);
                self.cursor = Cursor::new(&self.timeline);
                self.quiz.reset(&self.timeline, 0);
                self.revealed = false;
                self.playback.stop();
            }
            Err(error) => self.notice = Some(Notice::SettingsInvalid(error)),
        }
    }

    /// The run continues from this event with `scenario`; the history before stays.
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
                    .find(|event| matches!(event.kind, crate::sim::trace::EventKind::SettingsChanged { .. }))
                    .map_or(at, |event| event.index);
                self.cursor.seek(&timeline, changed);
                self.quiz.reset(&timeline, changed + 1);
                self.revealed = false;
            }
            Err(error) => self.notice = Some(Notice::BranchImpossible(error)),
        }
    }

    /// Changes waiting for the teacher's choice: what they are in words, and whether the world
    /// at the cursor can take them (a branch) or only a restart can.
    fn pending_for(&self, scenario: Scenario) -> Pending {
        let restart_only = self.cursor.world().clone().apply(&scenario).err().map(|error| error.to_string());
        let description = describe_changes(&self.scenario, &scenario);
        Pending { scenario, description, restart_only }
    }

    fn change(&mut self, change: Change) {
        let mut next = self.form_scenario().clone();
        change.apply(&mut next);
        if let Err(error) = next.validate().and_then(|()| fits_the_page(&next)) {
            self.notice = Some(Notice::SettingsInvalid(error));
            self.form_revision += 1;
            return;
        }
        if matches!(self.notice, Some(Notice::SettingRefused(_) | Notice::SettingsInvalid(_))) {
            self.notice = None;
        }
        self.lesson = self.lesson.filter(|_| next == self.scenario);
        if next == self.scenario {
            self.pending = None;
        } else if self.compare.is_some() || self.position() == 0 {
            self.pending = None;
            self.restart_with(next);
        } else if self.position() >= self.last() {
            // At the end the class wants the new outcome: run again and show it.
            self.pending = None;
            self.restart_with(next);
            let last = self.last();
            self.seek(last);
        } else {
            self.playback.stop();
            self.pending = Some(self.pending_for(next));
        }
    }

    fn step_forward(&mut self) {
        if let Some(compare) = &mut self.compare {
            compare.seek(compare.step + 1);
            return;
        }
        // A second press while a step is under way finishes it at once.
        if let Some(target) = self.playback.stepping_to.take() {
            self.seek(target);
        }
        let target = Self::next_at_level(&self.timeline, self.position(), self.step_level);
        let target = self.limit().map_or(target, |limit| target.min(limit));
        if self.animate && !self.playback.playing && target > self.position() + 1 {
            self.announce = false;
            self.playback.stepping_to = Some(target);
            self.playback.wait_ms = 0;
            self.advance_step();
        } else {
            self.seek(target);
        }
    }

    /// One hop of a step under way.
    fn advance_step(&mut self) {
        let Some(target) = self.playback.stepping_to else {
            return;
        };
        let before = self.position();
        let next = Self::next_at_level(&self.timeline, before, Level::Packet).min(target);
        self.seek(next);
        self.playback.wait_ms = self.playback.hop_ms();
        if self.position() >= target || self.position() == before {
            self.playback.stepping_to = None;
            self.announce = true;
        }
    }

    fn tick(&mut self) -> bool {
        if !self.playback.ticking() {
            return false;
        }
        if !self.playback.tick() {
            return false;
        }
        if self.playback.stepping_to.is_some() {
            self.advance_step();
            return true;
        }
        if let Some(compare) = &mut self.compare {
            compare.seek(compare.step + 1);
            self.playback.wait_ms = self.playback.hold_ms();
            if compare.at_end() {
                self.playback.playing = false;
            }
            return true;
        }
        let next = Self::next_at_level(&self.timeline, self.position(), Level::Packet);
        self.seek(next);
        let key = self.timeline.events().get(self.position()).is_some_and(|event| event.level == Level::Key);
        self.announce = key;
        self.playback.wait_ms = if key { self.playback.hold_ms() } else { self.playback.hop_ms() };
        true
    }

    fn toggle_play(&mut self) {
        if self.playback.playing {
            self.playback.playing = false;
            return;
        }
        let at_end = match &self.compare {
            Some(compare) => compare.at_end(),
            None => self.position() >= self.last(),
        };
        if at_end {
            // Play from the start again, as a media player does.
            self.rewind();
        }
        if self.held() {
            return;
        }
        self.playback.stepping_to = None;
        self.playback.playing = true;
        self.playback.wait_ms = self.playback.hop_ms();
    }

    /// Back to the first event (side by side: the first step).
    fn rewind(&mut self) {
        self.playback.stop();
        if let Some(compare) = &mut self.compare {
            compare.seek(0);
        }
        let timeline = Rc::clone(&self.timeline);
        self.cursor.seek(&timeline, 0);
    }

    /// Carries out an action. Returns false when nothing changed (a tick with nothing
    /// moving), so the page need not draw again.
    pub fn apply(&mut self, action: Action) -> bool {
        // While changes wait for a decision, the old run stays where it is.
        let moves = matches!(
            action,
            Action::StepForward | Action::StepBack | Action::Seek(_) | Action::End | Action::TogglePlay | Action::Tick
        );
        if moves && self.pending.is_some() {
            return false;
        }
        if action == Action::Tick {
            return self.tick();
        }
        #[cfg(feature = "assessment")]
        if self.assessment_open()
            && matches!(
                action,
                Action::Change(_)
                    | Action::LoadLesson(_)
                    | Action::OpenScenario(_)
                    | Action::OpenSaved(_)
                    | Action::ToggleCompare
                    | Action::ToggleQuiz
                    | Action::Type(_)
                    | Action::ClearConsole
            )
        {
            self.notice = Some(Notice::QuestionsOpen);
            self.form_revision += 1;
            return true;
        }
        self.announce = true;
        // Anything but another step lands a step under way where it was going.
        if action != Action::StepForward
            && let Some(target) = self.playback.stepping_to.take()
        {
            self.seek(target);
        }
        match action {
            Action::StepForward => self.step_forward(),
            Action::StepBack => match &mut self.compare {
                Some(compare) => compare.seek(compare.step.saturating_sub(1)),
                None => {
                    let target = Self::previous_at_level(&self.timeline, self.position(), self.step_level);
                    self.seek(target);
                }
            },
            Action::Seek(index) => match &mut self.compare {
                Some(compare) => compare.seek(index),
                None => self.seek(index),
            },
            Action::Restart if self.pending.is_some() => self.confirm_restart(),
            Action::Restart => self.rewind(),
            Action::End => {
                self.playback.playing = false;
                match &mut self.compare {
                    Some(compare) => compare.seek(usize::MAX),
                    None => {
                        let last = self.last();
                        self.seek(last);
                    }
                }
            }
            Action::TogglePlay => self.toggle_play(),
            Action::Tick => {}
            Action::SetSpeed(speed) => self.playback.speed = speed.min(SPEEDS.len() - 1),
            Action::SetStepLevel(level) => self.step_level = level,
            Action::Change(change) => self.change(change),
            Action::Refuse(error) => {
                self.notice = Some(Notice::SettingRefused(error));
                self.form_revision += 1;
            }
            Action::ConfirmRestart => self.confirm_restart(),
            Action::ConfirmBranch => {
                if let Some(pending) = self.pending.take_if(|pending| pending.restart_only.is_none()) {
                    self.lesson = None;
                    self.branch_with(pending.scenario);
                    self.stage_focus += 1;
                }
            }
            Action::CancelChanges => {
                if self.pending.take().is_some() {
                    self.form_revision += 1;
                    self.stage_focus += 1;
                }
            }
            Action::LoadLesson(id) => match lessons::find(&id) {
                Some(lesson) => {
                    self.pending = None;
                    self.notice = None;
                    self.restart_with(lesson.scenario);
                    self.lesson = Some(lesson.id);
                    self.origin = Some(lesson.id);
                    self.stage_focus += 1;
                }
                None => self.notice = Some(Notice::UnknownLesson { asked: id.chars().take(80).collect() }),
            },
            Action::OpenLink(fragment) => self.open_link(&fragment),
            Action::UnreadableFile(why) => self.notice = Some(Notice::SettingsInvalid(ScenarioError::Json(why))),
            Action::OpenScenario(json) => match scenario_file::read(&json) {
                Ok(scenario) => self.open_scenario(scenario),
                Err(error) => self.notice = Some(Notice::SettingsInvalid(error)),
            },
            Action::SaveAs(name) => {
                let mut stored = Stored { saved: self.saved.as_ref().clone(), ..Stored::default() };
                let scenario = self.pending.as_ref().map_or(&self.scenario, |pending| &pending.scenario).clone();
                match stored.save(&name, &scenario) {
                    Ok(()) => {
                        self.saved = Rc::new(stored.saved);
                        self.notice = None;
                        self.dialog = Some(Dialog::Files(Some(FilesNote::Saved(name.trim().to_owned()))));
                    }
                    Err(problem) => self.dialog = Some(Dialog::Files(Some(FilesNote::NotSaved(problem)))),
                }
            }
            Action::OpenSaved(index) => {
                if let Some(saved) = self.saved.get(index) {
                    let scenario = saved.scenario.clone();
                    self.open_scenario(scenario);
                }
            }
            Action::DeleteSaved(index) => {
                if index < self.saved.len() {
                    let mut saved = self.saved.as_ref().clone();
                    let gone = saved.remove(index);
                    self.saved = Rc::new(saved);
                    self.dialog = Some(Dialog::Files(Some(FilesNote::Deleted(gone.name))));
                }
            }
            Action::TogglePresenter => self.presenter = !self.presenter,
            Action::ToggleQuiz => {
                self.quiz.enabled = !self.quiz.enabled;
                if self.quiz.enabled {
                    // The class predicts from the start.
                    self.compare = None;
                    self.rewind();
                    self.quiz.reset(&self.timeline, 0);
                }
            }
            #[cfg(feature = "assessment")]
            Action::Respond(index, response) => {
                let position = self.position();
                if let Some(assessment) = &mut self.assessment
                    && assessment.attempt.questions.get(index).is_some_and(|question| question.asked_at <= position)
                {
                    let assessment = Rc::make_mut(assessment);
                    assessment.feedback = match assessment.attempt.answer(index, &response, &self.timeline) {
                        Ok(mark) => mark.map(|mark| (index, mark)),
                        Err(_) => assessment.feedback.take(),
                    };
                }
            }
            #[cfg(feature = "assessment")]
            Action::Resume(text) => {
                if let Some(assessment) = &mut self.assessment {
                    let assessment = Rc::make_mut(assessment);
                    assessment.resume(&text);
                    match assessment.resume_problem {
                        Some(problem) => self.notice = Some(Notice::NotResumed(problem)),
                        None => {
                            let position = assessment.attempt.position;
                            self.seek(position);
                        }
                    }
                }
            }
            Action::Answer(answer) => {
                if self.quiz.blocking(self.position()) {
                    self.quiz.answer = Some(answer);
                }
            }
            Action::ToggleCompare => {
                self.playback.stop();
                self.compare = match self.compare.take() {
                    Some(_) => None,
                    None => {
                        self.quiz.enabled = false;
                        let (left, right) = Compare::default_modes(self.scenario.mode);
                        match Compare::new(&self.scenario, left, right) {
                            Ok(compare) => Some(compare),
                            Err(error) => {
                                self.notice = Some(Notice::SettingsInvalid(error));
                                None
                            }
                        }
                    }
                };
            }
            Action::SetPaneMode(side, mode) => {
                let scenario = self.scenario.clone();
                if let Some(compare) = &mut self.compare
                    && let Err(error) = compare.set_mode(&scenario, side, mode)
                {
                    self.notice = Some(Notice::SettingsInvalid(error));
                }
            }
            Action::DismissNotice => {
                self.notice = None;
                self.stage_focus += 1;
            }
            Action::ShowTab(tab) => self.tab = tab,
            Action::Type(line) => self.type_line(line),
            Action::ClearConsole => self.clear_console(),
            Action::OpenShare => {
                self.playback.stop();
                self.dialog = Some(Dialog::Share(Share::default()));
            }
            Action::OpenFiles => {
                self.playback.stop();
                self.dialog = Some(Dialog::Files(None));
            }
            Action::ToggleQr => {
                if let Some(Dialog::Share(share)) = &mut self.dialog {
                    share.qr = !share.qr;
                }
            }
            Action::ToggleEmbedCode => {
                if let Some(Dialog::Share(share)) = &mut self.dialog {
                    share.embed = !share.embed;
                    share.copied = false;
                }
            }
            Action::Copied => {
                if let Some(Dialog::Share(share)) = &mut self.dialog {
                    share.copied = true;
                }
            }
            Action::CloseDialog => {
                if self.dialog.take().is_some() {
                    self.stage_focus += 1;
                }
            }
            Action::Print(printout) => {
                self.playback.stop();
                self.printing = Some(printout);
                self.print_requests += 1;
            }
            Action::Printed => self.printing = None,
            Action::Escape if self.dialog.is_some() => return self.apply(Action::CloseDialog),
            Action::Escape => return self.apply(Action::CancelChanges),
        }
        true
    }

    /// The link of what is on screen (the page's address), or why there is none.
    pub fn link(&self) -> Result<String, Unlinkable> {
        self.link_shown(self.embed)
    }

    /// The link of what is on screen, as the whole page (`embed` false: what the embedded page
    /// offers to open in full) or embedded in another page (the Share dialog's embed code).
    pub fn link_shown(&self, embed: bool) -> Result<String, Unlinkable> {
        #[cfg(feature = "assessment")]
        if let Some(assessment) = &self.assessment {
            let lesson = lessons::find(assessment.lesson).map(|lesson| lesson.id);
            let mut link = Link::at_start(lesson, self.timeline.started_with().clone());
            if assessment.seed.is_some() {
                // The variant follows from the lesson and the seed; its numbers are not written.
                link.scenario = lesson.and_then(lessons::find).map(|lesson| lesson.scenario).unwrap_or_default();
            } else {
                link.branches = self.timeline.branches().to_vec();
            }
            link.step = self.position();
            link.embed = embed;
            link.assessment = Some(link::AssessmentLink {
                mode: assessment.attempt.mode,
                seed: assessment.seed,
                passing: assessment.passing,
            });
            return link.write();
        }
        Link {
            lesson: self.origin,
            scenario: self.timeline.started_with().clone(),
            branches: self.timeline.branches().to_vec(),
            step: self.compare.as_ref().map_or(self.position(), |compare| compare.step),
            level: self.step_level,
            quiz: self.quiz.enabled,
            compare: self.compare.as_ref().map(|compare| (compare.left.mode(), compare.right.mode())),
            pending: self.pending.as_ref().map(|pending| pending.scenario.clone()),
            embed,
            #[cfg(feature = "assessment")]
            assessment: None,
        }
        .write()
    }

    /// Shows what a link describes; what cannot be read is named in a notice.
    fn open_link(&mut self, fragment: &str) {
        let (mut link, mut problems) = Link::read(fragment);
        #[cfg(feature = "assessment")]
        let asked = link.assessment;
        #[cfg(feature = "assessment")]
        if let Some(seed) = asked.and_then(|asked| asked.seed) {
            // A student's variant of the lesson: its own numbers and, within the lesson's
            // family, its own cause. Nothing else of the link applies to it.
            match crate::assess::variant::variant(link.lesson.unwrap_or(DEFAULT_ASSIGNMENT), seed, true) {
                Some(variant) => {
                    link.scenario = variant.scenario;
                    link.branches.clear();
                    link.pending = None;
                    link.compare = None;
                    link.lesson = Some(variant.assigned);
                }
                None => problems.push(LinkProblem::UnknownLesson { got: DEFAULT_ASSIGNMENT.to_owned() }),
            }
        }
        if let Err(error) = fits_the_page(&link.scenario) {
            // Shown as any other part of a link that cannot be used: named, and left out.
            problems.push(LinkProblem::InvalidSettings { problem: error.to_string() });
            link.scenario.transfers = Scenario::default().transfers;
        }
        self.playback.stop();
        self.pending = None;
        self.compare = None;
        self.quiz.enabled = false;
        self.embed = link.embed;
        self.step_level = link.level;
        self.restart_with(link.scenario.clone());
        self.origin = link.lesson;
        self.lesson = link.lesson.filter(|_| link.branches.is_empty() && link.scenario == self.scenario);
        for (at, scenario) in link.branches {
            match fits_the_page(&scenario)
                .map_err(BranchError::Invalid)
                .and_then(|()| self.timeline.branch(at, &scenario))
            {
                Ok(timeline) => {
                    self.scenario = scenario;
                    self.timeline = Rc::new(timeline);
                    self.lesson = None;
                }
                Err(error) => {
                    problems.push(LinkProblem::InvalidSettings { problem: error.to_string() });
                    break;
                }
            }
        }
        if self.timeline.is_branched() {
            self.comparison = Rc::new(matrix::compare_modes(&self.scenario, &matrix::MODES));
            self.cursor = Cursor::new(&self.timeline);
        }
        if let Some((left, right)) = link.compare {
            match Compare::new(&self.scenario, left, right) {
                Ok(mut compare) => {
                    compare.seek(link.step);
                    self.compare = Some(compare);
                }
                Err(error) => problems.push(LinkProblem::InvalidSettings { problem: error.to_string() }),
            }
        } else {
            if link.quiz {
                self.quiz.enabled = true;
                self.quiz.reset(&self.timeline, 0);
            }
            let step = link.step.min(self.last());
            self.seek(step);
        }
        if let Some(pending) = link.pending.filter(|pending| *pending != self.scenario) {
            match fits_the_page(&pending) {
                Ok(()) => self.pending = Some(self.pending_for(pending)),
                Err(error) => problems.push(LinkProblem::InvalidSettings { problem: error.to_string() }),
            }
        }
        #[cfg(feature = "assessment")]
        {
            self.assessment = asked.map(|asked| {
                self.quiz.enabled = false;
                if asked.seed.is_some() {
                    // The variant's own lesson would name the cause: no title.
                    self.lesson = None;
                }
                Rc::new(Assessment::new(
                    link.lesson.unwrap_or(""),
                    asked.seed,
                    asked.passing,
                    asked.mode,
                    &self.timeline,
                ))
            });
            let position = self.position();
            self.seek(position);
        }
        self.notice = (!problems.is_empty()).then_some(Notice::LinkProblems(problems));
        // Embedded in a course page, the page waits for a click: taking the keyboard would
        // scroll the course page to the frame as it loads.
        if !self.embed {
            self.stage_focus += 1;
        }
    }

    /// Runs a scenario from a file or the saved list, from its start.
    fn open_scenario(&mut self, scenario: Scenario) {
        self.pending = None;
        self.compare = None;
        self.notice = None;
        self.restart_with(scenario);
        self.lesson = None;
        self.origin = None;
        self.dialog = None;
        self.stage_focus += 1;
    }

    fn confirm_restart(&mut self) {
        if let Some(pending) = self.pending.take() {
            self.lesson = None;
            self.restart_with(pending.scenario);
            self.stage_focus += 1;
        }
    }
}

/// What the programs wait for at the cursor, with the time left, soonest first.
pub fn countdowns(timeline: &Timeline, cursor: &Cursor) -> Vec<Countdown> {
    let Some(now) = timeline.events().get(cursor.position()).map(|event| event.time) else {
        return Vec::new();
    };
    let server_nat = timeline.scenario().server_nat_active();
    let mut seen = Vec::new();
    cursor
        .world()
        .waits()
        .into_iter()
        // Soonest first; what runs out later on the same host cannot happen (vsftpd gives up
        // before its TCP would).
        .filter(|wait| {
            wait.until > now && !seen.contains(&wait.who) && {
                seen.push(wait.who);
                true
            }
        })
        .map(|Wait { who, what, until }| {
            let left = until - now;
            let shown = left.whole_seconds_up();
            let server = who == NodeId::Server;
            let who = who.label(server_nat);
            let text = match what {
                WaitFor::Timer { name, timer } => {
                    let accept = timer == TimerKind::DataAccept;
                    notices::timer_countdown(who, &name, server, accept, &shown)
                }
                WaitFor::Connect { channel } => {
                    notices::connect_countdown(who, &caption::channel_name(channel), &shown)
                }
            };
            Countdown { text, left }
        })
        .collect()
}

#[cfg(test)]
mod tests;
