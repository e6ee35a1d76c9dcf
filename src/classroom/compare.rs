//! Side by side: the same network in two modes, stepped together by key moments. One counter
//! and one scrubber serve both runs: step `k` shows each run at its `k`-th key moment, or at its
//! end when it has fewer.

use std::rc::Rc;

use crate::ftp::client::DataMode;
use crate::sim::scenario::{Scenario, ScenarioError};
use crate::sim::timeline::{Cursor, Timeline};
use crate::sim::trace::Level;

/// Which pane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Left,
    Right,
}

/// One side: a run and where it stands.
#[derive(Clone, Debug)]
pub struct Pane {
    pub timeline: Rc<Timeline>,
    pub cursor: Cursor,
    /// The events of step 0, 1, 2, …: the first event, then every key moment.
    keys: Rc<Vec<usize>>,
}

impl Pane {
    fn new(scenario: &Scenario) -> Result<Pane, ScenarioError> {
        let timeline = Rc::new(Timeline::run(scenario)?);
        let cursor = Cursor::new(&timeline);
        let keys = std::iter::once(0)
            .chain(timeline.events().iter().skip(1).filter(|event| event.level == Level::Key).map(|event| event.index))
            .collect();
        Ok(Pane { timeline, cursor, keys: Rc::new(keys) })
    }

    /// The mode this side runs.
    pub fn mode(&self) -> DataMode {
        self.timeline.scenario().mode
    }

    /// The event this side shows.
    pub fn position(&self) -> usize {
        self.cursor.position()
    }

    /// True at the run's verdict.
    pub fn finished(&self) -> bool {
        self.position() + 1 >= self.timeline.len()
    }

    fn show_step(&mut self, step: usize) {
        let index = self.keys.get(step).or(self.keys.last()).copied().unwrap_or(0);
        let timeline = Rc::clone(&self.timeline);
        self.cursor.seek(&timeline, index);
    }
}

/// Two runs of one network, in two modes.
#[derive(Clone, Debug)]
pub struct Compare {
    pub left: Pane,
    pub right: Pane,
    /// The shared step both panes stand on.
    pub step: usize,
}

impl Compare {
    pub fn new(scenario: &Scenario, left: DataMode, right: DataMode) -> Result<Compare, ScenarioError> {
        let left = Pane::new(&Scenario { mode: left, console: Vec::new(), ..scenario.clone() })?;
        let right = Pane::new(&Scenario { mode: right, console: Vec::new(), ..scenario.clone() })?;
        Ok(Compare { left, right, step: 0 })
    }

    /// The two modes a class compares first: the active mode in use against PASV, or PORT
    /// against the passive mode in use.
    pub fn default_modes(mode: DataMode) -> (DataMode, DataMode) {
        if mode.is_active() { (mode, DataMode::Pasv) } else { (DataMode::Port, mode) }
    }

    /// The last step: the longer run's verdict.
    pub fn last_step(&self) -> usize {
        self.left.keys.len().max(self.right.keys.len()).saturating_sub(1)
    }

    /// Both panes to step `step` (clamped to the last).
    pub fn seek(&mut self, step: usize) {
        self.step = step.min(self.last_step());
        self.left.show_step(self.step);
        self.right.show_step(self.step);
    }

    pub fn at_end(&self) -> bool {
        self.step >= self.last_step()
    }

    /// A new run on one side, at the shared step.
    pub fn set_mode(&mut self, scenario: &Scenario, side: Side, mode: DataMode) -> Result<(), ScenarioError> {
        let pane = Pane::new(&Scenario { mode, console: Vec::new(), ..scenario.clone() })?;
        match side {
            Side::Left => self.left = pane,
            Side::Right => self.right = pane,
        }
        self.seek(self.step);
        Ok(())
    }

    /// Both runs again on changed settings, keeping the modes and the step.
    pub fn rerun(&mut self, scenario: &Scenario) -> Result<(), ScenarioError> {
        let mut next = Compare::new(scenario, self.left.mode(), self.right.mode())?;
        next.seek(self.step);
        *self = next;
        Ok(())
    }

    pub fn pane(&self, side: Side) -> &Pane {
        match side {
            Side::Left => &self.left,
            Side::Right => &self.right,
        }
    }
}
