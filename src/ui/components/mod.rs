//! The parts of the page. Most are plain functions that return [`Html`], with typed arguments
//! and an `on_action: &Callback<Action>`: they keep no state of their own, and a component's
//! machinery (its lifecycle and props comparison, about 1 KB of wasm each) would cost the
//! page's download budget (BENCHMARKS.md). What little they need of the browser (a field to
//! select, a menu to set, a dialog's first button to focus) the page does, with the `NodeRef` it
//! passes in. The components are those whose props check saves real work: [`LowerView`] (the
//! transcript and the ladder, long keyed lists that the playback clock's ticks must not build
//! again, with the tables and console tabs) and, with the `assessment` feature, the questions
//! panel; they take typed props and an `on_action: Callback<Action>`. Either way a control
//! emits the [`Action`] it stands for, built in Rust. No action name is written into markup and
//! read back.

mod console;
mod controls;
mod files;
mod panels;
#[cfg(feature = "assessment")]
mod questions;
mod settings;
mod share;
mod views;

pub use console::console_panel;
pub use controls::{header, playback_bar};
pub use files::{FilesProps, files_dialog};
pub use panels::{caption_panel, comparison_panel, notice_bar, pending_panel, quiz_panel, verdict_panel};
#[cfg(feature = "assessment")]
pub use questions::QuestionsPanel;
pub use settings::{SettingsProps, settings_form};
pub use share::share_dialog;
pub use views::{LowerView, PaneView, compare_panes};

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

/// How a [`button`] looks and what it says to a screen reader, besides its content.
#[derive(Default)]
pub(crate) struct Look {
    pub class: Option<&'static str>,
    /// The accessible name, when the content does not say it (an icon, a short label).
    pub label: Option<&'static str>,
    /// The tooltip.
    pub title: Option<&'static str>,
    /// A toggle's state (`aria-pressed`).
    pub pressed: Option<bool>,
    /// It opens a dialog (`aria-haspopup`).
    pub dialog: bool,
}

/// A button that emits `action` when clicked. The page's buttons are all built here rather than
/// each by its own `html!`: every `html!` button is several hundred bytes of wasm, and the
/// download budget is nearly spent (BENCHMARKS.md).
#[inline(never)]
pub(crate) fn button(look: Look, content: Html, action: Action, on_action: &Callback<Action>) -> Html {
    html! {
        <button type="button" ~className={look.class.unwrap_or_default()} aria-label={look.label} title={look.title}
                aria-pressed={look.pressed.map(|pressed| if pressed { "true" } else { "false" })}
                aria-haspopup={look.dialog.then_some("dialog")}
                onclick={on_click(on_action, action)}>
            { content }
        </button>
    }
}

/// A button whose content is a text and nothing else.
pub(crate) fn text_button(text: &'static str, action: Action, on_action: &Callback<Action>) -> Html {
    button(Look::default(), Html::from(text), action, on_action)
}
