//! One student's attempt at a run's questions, in practice or test mode, its score, and what
//! a SCORM 1.2 course is told about it.
//!
//! - **Practice**: each answer is marked at once with a hint; a wrong one may be tried again.
//!   The score counts answers right at the first try.
//! - **Test**: each answer is taken once and locked; nothing is marked until the end.
//!
//! In both, the session may not move past a question until it is answered
//! ([`Attempt::limit`]), so no step gives a prediction away.
//!
//! [`Attempt::suspend_data`] writes the progress as a short line a learning management system
//! keeps (`cmi.suspend_data`, at most 4 096 characters in SCORM 1.2), and [`Attempt::resume`]
//! reads it back, refusing a line that is damaged or belongs to another variant.
//!
//! Left out on purpose: the clock (the session time comes in as a number) and the LMS itself.

use super::questions::{Mark, Question, Response};
use crate::messages::assess as say;
use crate::sim::timeline::Timeline;

/// Practice or test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Practice,
    Test,
}

impl Mode {
    /// The token in links and in the saved progress.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Practice => "practice",
            Mode::Test => "test",
        }
    }

    pub fn parse(token: &str) -> Option<Mode> {
        [Mode::Practice, Mode::Test].into_iter().find(|mode| mode.as_str() == token)
    }
}

/// What happened to one question so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Record {
    /// How many answers were given.
    pub tries: u8,
    /// The first answer was right.
    pub right_first: bool,
    /// The last answer was right.
    pub right_now: bool,
}

/// Why an answer was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AttemptError {
    #[error("{}", say::LOCKED)]
    Locked,
    #[error("{}", say::NO_SUCH_QUESTION)]
    NoSuchQuestion,
}

/// Why saved progress could not be resumed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SuspendError {
    #[error("{}", say::suspend::UNREADABLE)]
    Unreadable,
    #[error("{}", say::suspend::OTHER_RUN)]
    OtherRun,
}

/// The score so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Score {
    pub right: usize,
    pub asked: usize,
}

impl Score {
    /// Rounded to the nearest whole percent; 100 when nothing is asked.
    pub fn percent(self) -> u8 {
        if self.asked == 0 {
            return 100;
        }
        let percent = (self.right * 200 + self.asked) / (self.asked * 2);
        u8::try_from(percent.min(100)).unwrap_or(100)
    }

    pub fn words(self) -> String {
        say::score(self.right, self.asked, self.percent())
    }
}

/// `cmi.core.lesson_status` as SCORM 1.2 spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LessonStatus {
    Incomplete,
    Completed,
    Passed,
    Failed,
}

impl LessonStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LessonStatus::Incomplete => "incomplete",
            LessonStatus::Completed => "completed",
            LessonStatus::Passed => "passed",
            LessonStatus::Failed => "failed",
        }
    }
}

/// The values an LMS is given (SCORM 1.2 `cmi.core.*` and `cmi.suspend_data`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// `cmi.core.score.raw`, in percent; `min` 0 and `max` 100.
    pub score_raw: u8,
    pub lesson_status: LessonStatus,
    /// `cmi.core.session_time`: `HHHH:MM:SS.SS`.
    pub session_time: String,
    pub suspend_data: String,
}

/// SCORM 1.2 keeps at most this many characters of suspend data.
pub const MAX_SUSPEND_DATA: usize = 4096;

/// One student's attempt at the questions of one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub mode: Mode,
    pub questions: Vec<Question>,
    pub records: Vec<Record>,
    /// Where the student was in the session (an event index), kept with the progress.
    pub position: usize,
}

impl Attempt {
    pub fn new(mode: Mode, questions: Vec<Question>) -> Attempt {
        let records = vec![Record::default(); questions.len()];
        Attempt { mode, questions, records, position: 0 }
    }

    /// Takes an answer to question `index`. Practice marks it at once (`Some`); a test keeps
    /// the mark for the end (`None`) and refuses a second answer.
    pub fn answer(
        &mut self,
        index: usize,
        response: &Response,
        timeline: &Timeline,
    ) -> Result<Option<Mark>, AttemptError> {
        let question = self.questions.get(index).ok_or(AttemptError::NoSuchQuestion)?;
        let record = self.records.get_mut(index).ok_or(AttemptError::NoSuchQuestion)?;
        if self.mode == Mode::Test && record.tries > 0 {
            return Err(AttemptError::Locked);
        }
        let mark = question.mark(response, timeline);
        if record.tries == 0 {
            record.right_first = mark.is_right();
        }
        record.tries = record.tries.saturating_add(1);
        record.right_now = mark.is_right();
        Ok((self.mode == Mode::Practice).then_some(mark))
    }

    /// The questions on screen at `position` and not answered yet.
    pub fn due(&self, position: usize) -> Vec<usize> {
        (0..self.questions.len())
            .filter(|&index| self.questions[index].asked_at <= position && self.records[index].tries == 0)
            .collect()
    }

    /// The furthest event the session may go to: the moment of the first question not answered.
    pub fn limit(&self) -> Option<usize> {
        self.questions
            .iter()
            .zip(&self.records)
            .filter(|(_, record)| record.tries == 0)
            .map(|(question, _)| question.asked_at)
            .min()
    }

    /// Every question has an answer.
    pub fn finished(&self) -> bool {
        self.records.iter().all(|record| record.tries > 0)
    }

    /// Right at the first try (practice), or right (test).
    pub fn score(&self) -> Score {
        let right = self.records.iter().filter(|record| record.right_first).count();
        Score { right, asked: self.questions.len() }
    }

    /// Incomplete until every question is answered; then passed or failed against `passing`
    /// (in percent), or completed when the course sets no passing score.
    pub fn status(&self, passing: Option<u8>) -> LessonStatus {
        if !self.finished() {
            return LessonStatus::Incomplete;
        }
        match passing {
            Some(passing) if self.score().percent() >= passing => LessonStatus::Passed,
            Some(_) => LessonStatus::Failed,
            None => LessonStatus::Completed,
        }
    }

    /// The progress as one line: `ftpsim1;<lesson>;<seed>;<mode>;<position>;<answers>`, each
    /// answer `<question>:<tries><first right: r/w><right now: r/w>`.
    pub fn suspend_data(&self, lesson: &str, seed: u64) -> String {
        let answers: Vec<String> = self
            .questions
            .iter()
            .zip(&self.records)
            .map(|(question, record)| {
                let flag = |right: bool| if right { 'r' } else { 'w' };
                format!(
                    "{}:{}{}{}",
                    question.ask.name(),
                    record.tries,
                    flag(record.right_first),
                    flag(record.right_now)
                )
            })
            .collect();
        format!("ftpsim1;{lesson};{seed};{};{};{}", self.mode.as_str(), self.position, answers.join(","))
    }

    /// Reads progress written by [`Attempt::suspend_data`] for the same lesson, seed and
    /// questions; anything else is refused and the caller starts afresh.
    pub fn resume(text: &str, lesson: &str, seed: u64, questions: Vec<Question>) -> Result<Attempt, SuspendError> {
        if text.len() > MAX_SUSPEND_DATA {
            return Err(SuspendError::Unreadable);
        }
        let parts: Vec<&str> = text.split(';').collect();
        let ["ftpsim1", saved_lesson, saved_seed, mode, position, answers] = parts.as_slice() else {
            return Err(SuspendError::Unreadable);
        };
        let mode = Mode::parse(mode).ok_or(SuspendError::Unreadable)?;
        let saved_seed: u64 = saved_seed.parse().map_err(|_| SuspendError::Unreadable)?;
        let position: usize = position.parse().map_err(|_| SuspendError::Unreadable)?;
        if *saved_lesson != lesson || saved_seed != seed {
            return Err(SuspendError::OtherRun);
        }
        let answers: Vec<&str> = if answers.is_empty() { Vec::new() } else { answers.split(',').collect() };
        if answers.len() != questions.len() {
            return Err(SuspendError::OtherRun);
        }
        let mut records = Vec::with_capacity(answers.len());
        for (answer, question) in answers.iter().zip(&questions) {
            let (name, state) = answer.split_once(':').ok_or(SuspendError::Unreadable)?;
            if name != question.ask.name() {
                return Err(SuspendError::OtherRun);
            }
            let flags = state.trim_start_matches(|c: char| c.is_ascii_digit());
            let tries: u8 = state[..state.len() - flags.len()].parse().map_err(|_| SuspendError::Unreadable)?;
            let flag = |c: u8| match c {
                b'r' => Ok(true),
                b'w' => Ok(false),
                _ => Err(SuspendError::Unreadable),
            };
            let [first, now] = flags.as_bytes() else { return Err(SuspendError::Unreadable) };
            let record = Record { tries, right_first: flag(*first)?, right_now: flag(*now)? };
            if tries == 0 && (record.right_first || record.right_now) || mode == Mode::Test && tries > 1 {
                return Err(SuspendError::Unreadable);
            }
            records.push(record);
        }
        Ok(Attempt { mode, questions, records, position })
    }

    /// What the LMS is told now; `centiseconds` is the time spent in this session.
    pub fn report(&self, lesson: &str, seed: u64, passing: Option<u8>, centiseconds: u64) -> Report {
        Report {
            score_raw: self.score().percent(),
            lesson_status: self.status(passing),
            session_time: timespan(centiseconds),
            suspend_data: self.suspend_data(lesson, seed),
        }
    }
}

/// A SCORM 1.2 `CMITimespan`: `HHHH:MM:SS.SS`, hours capped at 9999.
pub fn timespan(centiseconds: u64) -> String {
    let hours = (centiseconds / 360_000).min(9999);
    let minutes = centiseconds / 6000 % 60;
    let seconds = centiseconds / 100 % 60;
    format!("{hours:04}:{minutes:02}:{seconds:02}.{:02}", centiseconds % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::questions::{Ask, Hint, questions};
    use crate::sim::lessons;

    fn run(lesson: &str) -> Timeline {
        Timeline::run(&lessons::find(lesson).expect("lesson").scenario).expect("runs")
    }

    #[test]
    fn practice_marks_at_once_and_lets_a_wrong_answer_be_tried_again() {
        let timeline = run("active-nat");
        let mut attempt = Attempt::new(Mode::Practice, questions(&timeline));
        let works = attempt.questions.iter().position(|question| question.ask == Ask::WillItWork).expect("asked");
        let wrong = attempt.answer(works, &Response::YesNo(true), &timeline).expect("taken");
        assert!(matches!(wrong, Some(Mark::Wrong(Hint::LookAt { .. }))), "{wrong:?}");
        assert_eq!(attempt.answer(works, &Response::YesNo(false), &timeline), Ok(Some(Mark::Right)));
        assert_eq!(attempt.records[works], Record { tries: 2, right_first: false, right_now: true });
        assert_eq!(attempt.score().right, 0, "practice counts the first try");
    }

    #[test]
    fn a_test_locks_each_answer_and_marks_nothing_until_the_end() {
        let timeline = run("active-nat");
        let asked = questions(&timeline);
        let mut attempt = Attempt::new(Mode::Test, asked.clone());
        assert_eq!(attempt.limit(), asked.iter().map(|question| question.asked_at).min());
        assert_eq!(attempt.status(Some(50)), LessonStatus::Incomplete);
        for (index, question) in asked.iter().enumerate() {
            assert_eq!(attempt.answer(index, &question.expected.right_response(), &timeline), Ok(None));
            assert_eq!(
                attempt.answer(index, &question.expected.right_response(), &timeline),
                Err(AttemptError::Locked)
            );
        }
        assert_eq!(attempt.answer(99, &Response::YesNo(true), &timeline), Err(AttemptError::NoSuchQuestion));
        assert!(attempt.finished() && attempt.limit().is_none());
        assert_eq!(attempt.score(), Score { right: asked.len(), asked: asked.len() });
        assert_eq!(attempt.status(Some(80)), LessonStatus::Passed);
        assert_eq!(attempt.status(None), LessonStatus::Completed);
    }

    #[test]
    fn the_score_fails_below_the_passing_mark() {
        let timeline = run("passive-server-firewall-closed");
        let asked = questions(&timeline);
        let mut attempt = Attempt::new(Mode::Test, asked.clone());
        for index in 0..asked.len() {
            attempt.answer(index, &Response::YesNo(true), &timeline).expect("taken");
        }
        assert_eq!(attempt.score().right, 0, "{asked:?}");
        assert_eq!(attempt.status(Some(50)), LessonStatus::Failed);
        assert_eq!(Score { right: 2, asked: 3 }.percent(), 67);
        assert_eq!(Score { right: 0, asked: 0 }.percent(), 100);
    }

    #[test]
    fn progress_is_kept_in_a_short_line_and_resumed() {
        let timeline = run("active-nat");
        let asked = questions(&timeline);
        let mut attempt = Attempt::new(Mode::Practice, asked.clone());
        attempt.answer(0, &Response::YesNo(true), &timeline).expect("taken");
        attempt.answer(0, &Response::YesNo(false), &timeline).expect("taken");
        attempt.position = 41;
        let line = attempt.suspend_data("active-nat", 7);
        assert!(line.len() < 200 && line.starts_with("ftpsim1;active-nat;7;practice;41;works:2wr"), "{line}");
        assert_eq!(Attempt::resume(&line, "active-nat", 7, asked.clone()), Ok(attempt.clone()));
        assert_eq!(Attempt::resume(&line, "active-nat", 8, asked.clone()), Err(SuspendError::OtherRun));
        assert_eq!(Attempt::resume(&line, "passive-nat-firewall", 7, asked.clone()), Err(SuspendError::OtherRun));
        for damaged in
            ["", "ftpsim1;active-nat;7;exam;0;", "ftpsim1;active-nat;x;test;0;", "<script>", &"x".repeat(5000)]
        {
            assert_eq!(
                Attempt::resume(damaged, "active-nat", 7, asked.clone()),
                Err(SuspendError::Unreadable),
                "{damaged}"
            );
        }
        let tampered = line.replacen("works:2wr", "works:0rr", 1);
        assert_eq!(Attempt::resume(&tampered, "active-nat", 7, asked), Err(SuspendError::Unreadable));
    }

    #[test]
    fn the_report_is_what_scorm_1_2_expects() {
        let timeline = run("passive-nat-firewall");
        let asked = questions(&timeline);
        let mut attempt = Attempt::new(Mode::Test, asked.clone());
        for (index, question) in asked.iter().enumerate() {
            attempt.answer(index, &question.expected.right_response(), &timeline).expect("taken");
        }
        let report = attempt.report("passive-nat-firewall", 3, Some(80), 12_345);
        assert_eq!(report.score_raw, 100);
        assert_eq!(report.lesson_status, LessonStatus::Passed);
        assert_eq!(report.session_time, "0000:02:03.45");
        assert!(report.suspend_data.len() <= MAX_SUSPEND_DATA);
        assert_eq!(timespan(360_000 * 10_001), "9999:00:00.00");
    }
}
