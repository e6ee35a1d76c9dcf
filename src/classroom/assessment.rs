//! The questions on the page (the `assessment` feature): an attempt at the generated questions
//! of the run on screen ([`crate::assess`]), in practice or test mode, on a student's variant
//! when the link names an assignment.
//!
//! The rules the page keeps, tested in `classroom::tests`:
//! - nothing moves past a question until it is answered, and the every-mode table, which tells
//!   every outcome, stays hidden until the last answer;
//! - the settings cannot change while questions are open (the answers belong to this run);
//! - practice shows each answer's mark and hint at once; a test shows nothing until the end.

use crate::assess::attempt::{Attempt, Mode, Report, SuspendError};
use crate::assess::questions::{self, Mark, Question};
use crate::sim::timeline::Timeline;

/// The questions of the run on screen, and how the student is doing.
#[derive(Clone, Debug, PartialEq)]
pub struct Assessment {
    /// The lesson the assignment names (not the variant's own lesson, whose title would tell
    /// the cause).
    pub lesson: &'static str,
    /// The variant's seed; `None`: questions about the settings the link gave.
    pub seed: Option<u64>,
    /// The passing score in percent, if the course sets one.
    pub passing: Option<u8>,
    pub attempt: Attempt,
    /// The mark of the last answer, shown in practice: (question, mark).
    pub feedback: Option<(usize, Mark)>,
    /// Progress kept by the LMS that could not be resumed.
    pub resume_problem: Option<SuspendError>,
}

impl Assessment {
    pub fn new(lesson: &'static str, seed: Option<u64>, passing: Option<u8>, mode: Mode, timeline: &Timeline) -> Self {
        Assessment {
            lesson,
            seed,
            passing,
            attempt: Attempt::new(mode, questions::questions(timeline)),
            feedback: None,
            resume_problem: None,
        }
    }

    /// The seed the progress is kept under (0 for the link's own settings).
    pub fn key(&self) -> u64 {
        self.seed.unwrap_or(0)
    }

    /// The questions on screen at `position`: those asked by then, answered or not, the
    /// newest last (practice keeps an answered one on screen with its mark).
    pub fn on_screen(&self, position: usize) -> Vec<(usize, &Question)> {
        let due = self.attempt.due(position);
        let shown = self.feedback.as_ref().map(|(index, _)| *index);
        self.attempt
            .questions
            .iter()
            .enumerate()
            .filter(|(index, _)| due.contains(index) || shown == Some(*index))
            .collect()
    }

    /// What a SCORM course is told, with the student at event `position` after `centiseconds`
    /// in this session.
    pub fn report(&self, position: usize, centiseconds: u64) -> Report {
        let mut attempt = self.attempt.clone();
        attempt.position = position;
        attempt.report(self.lesson, self.key(), self.passing, centiseconds)
    }

    /// Takes back progress the LMS kept; damaged or foreign progress is named and ignored.
    pub fn resume(&mut self, text: &str) {
        match Attempt::resume(text, self.lesson, self.key(), self.attempt.questions.clone()) {
            Ok(attempt) => self.attempt = attempt,
            Err(problem) => self.resume_problem = Some(problem),
        }
    }
}
