//! The quiz: asked once per run, just before the client sets up the data connection. The
//! class answers where it will fail (or that it will work); until it has, nothing on the page
//! may move past the question or show the outcome.

use crate::messages::page::quiz as say;
use crate::sim::timeline::Timeline;
use crate::sim::trace::NodeId;

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

    /// The answer as the class reads it; the server's edge is called what the picture calls it.
    pub fn label(self, server_nat: bool) -> String {
        match self {
            QuizAnswer::Works => say::WORKS.to_owned(),
            QuizAnswer::HomeRouter => say::fails_at(NodeId::HomeRouter.label(server_nat)),
            QuizAnswer::Internet => say::fails_at(NodeId::Internet.label(server_nat)),
            QuizAnswer::ServerEdge => say::fails_at(NodeId::ServerEdge.label(server_nat)),
            QuizAnswer::Server => say::SERVER_REFUSES.to_owned(),
        }
    }
}

/// The quiz of one run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Quiz {
    pub enabled: bool,
    /// The event at which the question is asked.
    pub at: Option<usize>,
    pub answer: Option<QuizAnswer>,
}

impl Quiz {
    /// True while the question is open: asked and not yet answered.
    pub fn open(&self) -> bool {
        self.enabled && self.answer.is_none() && self.at.is_some()
    }

    /// True while the question is on screen and unanswered at `position`.
    pub fn blocking(&self, position: usize) -> bool {
        self.open() && self.at.is_some_and(|at| position >= at)
    }

    /// The furthest event the class may go to while the question is open.
    pub fn limit(&self) -> Option<usize> {
        if self.open() { self.at } else { None }
    }

    /// A new run: ask again at its own moment.
    pub fn reset(&mut self, timeline: &Timeline, from: usize) {
        self.at = quiz_point(timeline).filter(|point| *point >= from);
        self.answer = None;
    }
}

/// The first event where the client sets up a data connection (the quiz's moment), the
/// moment of the generated questions' first prediction too.
pub use crate::assess::questions::setup_point as quiz_point;

/// The right answer for a run.
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
