//! The page's components. Each takes typed props and an `on_action: Callback<Action>`; a
//! control emits the [`Action`] it stands for, built in Rust. No action name is written into
//! markup and read back.

mod console;
mod controls;
mod files;
mod panels;
mod settings;
mod share;
mod views;

pub use console::console_panel;
pub use controls::{Header, PlaybackBar};
pub use files::FilesDialog;
pub use panels::{CaptionPanel, ComparisonPanel, NoticeBar, PendingPanel, QuizPanel, VerdictPanel};
pub use settings::SettingsForm;
pub use share::ShareDialog;
pub use views::{ComparePanes, LadderView, LowerTabs, Markup, PaneView, TranscriptView};

use yew::prelude::*;

use crate::classroom::Action;

/// Focus stays on a control that a mouse pressed; browsers otherwise leave it on `<body>`.
pub(crate) fn keep_focus(event: &MouseEvent) {
    use wasm_bindgen::JsCast;
    if let Some(element) = event.current_target().and_then(|target| target.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = element.focus();
    }
}

/// A callback that emits `action` on a click.
pub(crate) fn on_click(on_action: &Callback<Action>, action: Action) -> Callback<MouseEvent> {
    let on_action = on_action.clone();
    Callback::from(move |event: MouseEvent| {
        keep_focus(&event);
        on_action.emit(action.clone());
    })
}
