//! A whole run, recorded: the trace, the verdict, and snapshots to seek, step back and branch.
//!
//! [`Timeline::run`] plays a scenario to its end and keeps every event. To show the world as
//! it was at any event, it restores the nearest earlier snapshot (one every
//! [`SNAPSHOT_EVERY`] world steps) and replays at most that many steps, so seeking costs the
//! same at event 100 as at event 100 000. [`Timeline::branch`] restores the world at an event,
//! applies changed settings, and plays on from there: the history before the branch point is
//! shared, everything after it is new.

use super::scenario::{Scenario, ScenarioError};
use super::trace::{EventKind, Level, Levels, NodeId, TraceEvent};
use super::verdict::{RunOutcome, Verdict, judge};
use super::world::{NeedsRestart, Record, Wire, World};

/// World steps between snapshots.
pub const SNAPSHOT_EVERY: usize = 32;
/// Longest run the simulator plays before calling it stalled.
pub const MAX_STEPS: usize = 2_000_000;

/// One recorded run.
#[derive(Clone, Debug)]
pub struct Timeline {
    scenario: Scenario,
    /// The settings the run began with (they differ from `scenario` after a branch).
    started_with: Scenario,
    events: Vec<TraceEvent>,
    /// `step_ends[s]` is the number of events after world step `s + 1`; the last entry belongs to
    /// the verdict event, which is not a world step.
    step_ends: Vec<usize>,
    /// (world steps done, world), in step order; the first is the world before any step.
    snapshots: Vec<(usize, World)>,
    last: World,
    verdict: Verdict,
    /// World steps after which settings were changed (branch points, in order).
    branch_steps: Vec<usize>,
    /// How each branch was made: the event it was made at and the settings from then on, so
    /// that the same run can be made again (a shared link).
    branches: Vec<(usize, Scenario)>,
}

impl Timeline {
    /// Plays `scenario` from the start to its verdict.
    pub fn run(scenario: &Scenario) -> Result<Timeline, ScenarioError> {
        let world = World::new(scenario)?;
        Ok(Timeline::play(
            scenario.clone(),
            scenario.clone(),
            Levels::default(),
            Vec::new(),
            Vec::new(),
            vec![(0, world.clone())],
            Vec::new(),
            Vec::new(),
            world,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn play(
        scenario: Scenario,
        started_with: Scenario,
        mut levels: Levels,
        mut events: Vec<TraceEvent>,
        mut step_ends: Vec<usize>,
        mut snapshots: Vec<(usize, World)>,
        branch_steps: Vec<usize>,
        branches: Vec<(usize, Scenario)>,
        mut world: World,
    ) -> Timeline {
        let mut steps = step_ends.len();
        let mut stalled = false;
        loop {
            if steps >= MAX_STEPS {
                stalled = true;
                break;
            }
            let Some(records) = world.step() else {
                break;
            };
            steps += 1;
            push_records(&mut events, &mut levels, records);
            step_ends.push(events.len());
            if steps.is_multiple_of(SNAPSHOT_EVERY) {
                snapshots.push((steps, world.clone()));
            }
        }
        let verdict = judge(&scenario, &started_with, &world, &events, stalled);
        let text = crate::messages::trace::verdict(verdict.outcome == RunOutcome::Ok, &verdict.summary);
        events.push(TraceEvent {
            index: events.len(),
            time: world.now(),
            device: verdict.device.unwrap_or(NodeId::Client),
            level: Level::Key,
            kind: EventKind::Verdict { verdict: Box::new(verdict.clone()) },
            text,
        });
        step_ends.push(events.len());
        Timeline { scenario, started_with, events, step_ends, snapshots, last: world, verdict, branch_steps, branches }
    }

    /// The settings this run was played with (the latest, after a branch).
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The settings the run began with; they differ from [`Timeline::scenario`] after a branch.
    pub fn started_with(&self) -> &Scenario {
        &self.started_with
    }

    /// True when the settings were changed mid-session.
    pub fn is_branched(&self) -> bool {
        !self.branch_steps.is_empty()
    }

    /// Every event, the verdict last.
    pub fn events(&self) -> &[TraceEvent] {
        &self.events
    }

    /// How the run ended.
    pub fn verdict(&self) -> &Verdict {
        &self.verdict
    }

    /// The number of events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// A timeline always holds at least its verdict event.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The world as it ended.
    pub fn final_world(&self) -> &World {
        &self.last
    }

    /// World steps carried out by the time event `index` has happened.
    pub fn steps_at(&self, index: usize) -> usize {
        let world_steps = self.step_ends.len().saturating_sub(1);
        (self.step_ends.partition_point(|&end| end <= index) + 1).min(world_steps)
    }

    /// The world right after event `index` (clamped to the last event): every socket, table and
    /// FTP state as they were then. Costs at most [`SNAPSHOT_EVERY`] replayed steps.
    pub fn world_at(&self, index: usize) -> World {
        let steps = self.steps_at(index);
        let position = self.snapshots.partition_point(|(done, _)| *done <= steps).saturating_sub(1);
        let (done, snapshot) = match self.snapshots.get(position) {
            Some((done, world)) => (*done, world.clone()),
            None => return self.last.clone(),
        };
        let mut world = snapshot;
        for _ in done..steps {
            if world.step().is_none() {
                break;
            }
        }
        world
    }

    /// Restores the world at event `index`, applies `scenario`, and plays on from there. The
    /// events up to the end of that world step are kept; the rest are replaced.
    pub fn branch(&self, index: usize, scenario: &Scenario) -> Result<Timeline, BranchError> {
        scenario.validate().map_err(BranchError::Invalid)?;
        let steps = self.steps_at(index);
        let mut world = self.world_at(index);
        let mut description = describe_changes(&self.scenario, scenario);
        if (scenario.client_alg && !self.scenario.client_alg) || (scenario.server_alg && !self.scenario.server_alg) {
            description.push_str(crate::messages::trace::HELPER_SWITCHED_ON_LATE);
        }
        world.apply(scenario).map_err(BranchError::NeedsRestart)?;
        let kept = if steps == 0 { 0 } else { self.step_ends.get(steps - 1).copied().unwrap_or(0) };
        let mut events: Vec<TraceEvent> = self.events[..kept.min(self.events.len())].to_vec();
        let mut step_ends: Vec<usize> = self.step_ends[..steps.min(self.step_ends.len())].to_vec();
        let mut snapshots: Vec<(usize, World)> =
            self.snapshots.iter().filter(|(done, _)| *done < steps).cloned().collect();
        let mut levels = Levels::default();
        for event in &events {
            levels.observe(&event.kind);
        }
        events.push(TraceEvent {
            index: events.len(),
            time: world.now(),
            device: NodeId::Client,
            level: Level::Key,
            kind: EventKind::SettingsChanged { description: description.clone() },
            text: crate::messages::trace::settings_changed(&description),
        });
        // The changed settings belong to this step: replays from here start from the changed world.
        if let Some(end) = step_ends.last_mut() {
            *end = events.len();
        }
        snapshots.push((steps, world.clone()));
        let mut branch_steps: Vec<usize> = self.branch_steps.iter().copied().filter(|done| *done < steps).collect();
        branch_steps.push(steps);
        // Branches made later than this one are replaced by it, as their events are.
        let mut branches: Vec<(usize, Scenario)> =
            self.branches.iter().filter(|(at, _)| self.steps_at(*at) < steps).cloned().collect();
        branches.push((index, scenario.clone()));
        Ok(Timeline::play(
            scenario.clone(),
            self.started_with.clone(),
            levels,
            events,
            step_ends,
            snapshots,
            branch_steps,
            branches,
            world,
        ))
    }

    /// Hands `visit` every packet on every link of the run as shown, in full and in order: the
    /// run is played again from its first snapshot with the world recording the wire, taking up
    /// the changed world at each branch point. What a packet capture reads
    /// ([`super::capture`]); the trace keeps only a summary of each packet.
    pub fn replay_wire(&self, mut visit: impl FnMut(Wire)) {
        let world_steps = self.step_ends.len().saturating_sub(1);
        let Some((_, first)) = self.snapshots.first() else {
            return;
        };
        let mut world = first.clone();
        world.record_wire();
        for done in 0..world_steps {
            if self.branch_steps.contains(&done)
                && let Some((_, changed)) = self.snapshots.iter().find(|(at, _)| *at == done)
            {
                world = changed.clone();
                world.record_wire();
            }
            if world.step().is_none() {
                break;
            }
            world.take_wire().into_iter().for_each(&mut visit);
        }
    }

    /// How this run was branched: the event of each branch and the settings from then on.
    pub fn branches(&self) -> &[(usize, Scenario)] {
        &self.branches
    }
}

/// A position in a timeline with the world as it was there. Moving forward a little replays
/// steps from the current world; anything else restores a snapshot. Either way the world is
/// the same as [`Timeline::world_at`] gives.
#[derive(Clone, Debug)]
pub struct Cursor {
    position: usize,
    steps: usize,
    world: World,
}

impl Cursor {
    /// A cursor on the first event.
    pub fn new(timeline: &Timeline) -> Self {
        Cursor { position: 0, steps: timeline.steps_at(0), world: timeline.world_at(0) }
    }

    /// The event the cursor is on.
    pub fn position(&self) -> usize {
        self.position
    }

    /// The world right after that event.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// Moves to event `index` (clamped to the last event).
    pub fn seek(&mut self, timeline: &Timeline, index: usize) {
        let index = index.min(timeline.len().saturating_sub(1));
        let target = timeline.steps_at(index);
        let crosses_branch = timeline.branch_steps.iter().any(|done| *done > self.steps && *done <= target);
        if target >= self.steps && target - self.steps <= SNAPSHOT_EVERY && !crosses_branch {
            for _ in self.steps..target {
                if self.world.step().is_none() {
                    break;
                }
            }
        } else {
            self.world = timeline.world_at(index);
        }
        self.steps = target;
        self.position = index;
    }

    /// One event forward; false at the end.
    pub fn step_forward(&mut self, timeline: &Timeline) -> bool {
        if self.position + 1 >= timeline.len() {
            return false;
        }
        self.seek(timeline, self.position + 1);
        true
    }

    /// One event back; false at the start.
    pub fn step_back(&mut self, timeline: &Timeline) -> bool {
        if self.position == 0 {
            return false;
        }
        self.seek(timeline, self.position - 1);
        true
    }
}

/// Why a branch could not be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BranchError {
    #[error(transparent)]
    NeedsRestart(NeedsRestart),
    #[error("invalid settings: {0}")]
    Invalid(ScenarioError),
}

fn push_records(events: &mut Vec<TraceEvent>, levels: &mut Levels, records: Vec<Record>) {
    for record in records {
        events.push(TraceEvent {
            index: events.len(),
            time: record.time,
            device: record.device,
            level: levels.observe(&record.kind),
            kind: record.kind,
            text: record.text,
        });
    }
}

/// "client firewall on → off, mode Passive (PASV) → Active (PORT)"
pub fn describe_changes(old: &Scenario, new: &Scenario) -> String {
    let changes: Vec<String> = old
        .in_words()
        .into_iter()
        .zip(new.in_words())
        .filter(|((_, before), (_, after))| before != after)
        .map(|((name, before), (_, after))| crate::messages::settings::change(name, &before, &after))
        .collect();
    if changes.is_empty() { crate::messages::settings::NOTHING_CHANGED.to_owned() } else { changes.join(", ") }
}
