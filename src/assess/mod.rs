//! Assessment: questions the engine asks about a run, with answers it computes from the run;
//! a variant of a lesson per student; an attempt in practice or test mode, and its score as a
//! SCORM 1.2 course reports it.
//!
//! | module        | what it holds                                                        |
//! |---------------|----------------------------------------------------------------------|
//! | [`facts`]     | what a run shows (announced addresses, where it stops, the fixes)      |
//! | [`questions`] | the questions of a run, each asked at its moment, and how a response is marked |
//! | [`variant`]   | a lesson's variant from an assignment's seed: numbers and the fault    |
//! | [`attempt`]   | practice and test mode, the score, and the progress kept between visits |
//!
//! Everything here is plain data and pure functions over a [`crate::sim::timeline::Timeline`]:
//! no clock (the session time comes in from the caller), no I/O, no randomness but the seed.
//! Left out on purpose: talking to a learning management system, which the page does.

pub mod attempt;
pub mod facts;
pub mod questions;
pub mod variant;
