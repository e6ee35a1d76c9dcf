//! The page's state: the engine's [`Classroom`] wrapped in Yew's `Reducible` (as in todomvc).

use std::rc::Rc;

use yew::prelude::*;

use crate::classroom::Classroom;
pub use crate::classroom::{Action, SPEEDS};

/// The reducer: a clone of the session with the action applied.
#[derive(Clone, Debug, PartialEq)]
pub struct PageState(pub Classroom);

impl Reducible for PageState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = self.0.clone();
        if next.apply(action) { Rc::new(PageState(next)) } else { self }
    }
}
