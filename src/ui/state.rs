//! The page's state: the engine's [`Classroom`] in Yew's `Reducible` (as in todomvc).

use std::rc::Rc;

use yew::prelude::*;

use crate::classroom::{Action, Classroom};

/// The reducer: a clone of the session with the action applied. `revision` counts the actions
/// that changed something, so the page draws again only then (a timer tick during a hold
/// changes nothing).
#[derive(Clone, Debug)]
pub struct PageState {
    pub classroom: Classroom,
    revision: u64,
}

impl PageState {
    pub fn new(classroom: Classroom) -> Self {
        PageState { classroom, revision: 0 }
    }
}

impl PartialEq for PageState {
    fn eq(&self, other: &Self) -> bool {
        self.revision == other.revision
    }
}

impl Reducible for PageState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut classroom = self.classroom.clone();
        // A tick that moves nothing still counts down the playback clock: the new state is kept,
        // with the same revision, so the page is not drawn again.
        let changed = classroom.apply(action);
        Rc::new(PageState { classroom, revision: self.revision + u64::from(changed) })
    }
}
