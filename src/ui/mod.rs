//! The browser app: a thin Yew view over [`crate::classroom`]. Compiled for wasm32 only.
//!
//! It owns no simulation logic: it renders the classroom session (a timeline, a cursor on it,
//! the toggles) and turns clicks, keys and timer ticks into [`state::Action`]s.

mod components;
mod state;

use gloo::events::EventListener;
use gloo::timers::callback::Interval;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::sim::scene;
use crate::sim::trace::NodeId;
use components::controls::{lesson_picker, parse_mode, playback, settings_panel};
use components::panels::{caption_panel, comparison_table, message_bar, pending_panel, quiz_panel, verdict_panel};
use components::tables::device_tables;
use components::topology::topology;
use components::transcript::{ladder, transcript};
use state::{Action, PageState, SPEEDS};

/// Mounts the app on the page body.
pub fn start() {
    yew::Renderer::<App>::new().render();
}

/// True when the visitor asked for less motion.
fn prefers_reduced_motion() -> bool {
    web_sys::window()
        .and_then(|window| window.match_media("(prefers-reduced-motion: reduce)").ok().flatten())
        .is_some_and(|query| query.matches())
}

/// The lesson named in the address (`#lesson=active-nat`), if any.
fn lesson_from_location() -> Option<String> {
    let hash = web_sys::window()?.location().hash().ok()?;
    hash.trim_start_matches('#').split('&').find_map(|pair| pair.strip_prefix("lesson=").map(str::to_owned))
}

/// Keys a presentation clicker sends, and the usual ones.
fn key_action(event: &web_sys::KeyboardEvent) -> Option<Action> {
    if event.alt_key() || event.ctrl_key() || event.meta_key() {
        return None;
    }
    let target = event.target().and_then(|target| target.dyn_into::<web_sys::Element>().ok());
    let tag = target.as_ref().map(|element| element.tag_name().to_ascii_lowercase()).unwrap_or_default();
    let in_field = matches!(tag.as_str(), "input" | "select" | "textarea");
    let key = event.key();
    match key.as_str() {
        // Page Up / Page Down come from clickers and work everywhere.
        "PageDown" => Some(Action::StepForward),
        "PageUp" => Some(Action::StepBack),
        _ if in_field => None,
        " " | "Spacebar" if tag != "button" => Some(Action::TogglePlay),
        "ArrowRight" => Some(Action::StepForward),
        "ArrowLeft" => Some(Action::StepBack),
        "Home" => Some(Action::Restart),
        "End" => Some(Action::End),
        _ => None,
    }
}

#[component]
pub fn App() -> Html {
    let state = use_reducer(|| PageState(crate::classroom::Classroom::new(lesson_from_location().as_deref())));
    let reduced_motion = use_memo((), |_| prefers_reduced_motion());
    let dispatch: Callback<Action> = {
        let state = state.clone();
        Callback::from(move |action| state.dispatch(action))
    };

    // Keyboard: one listener on the document for the whole page.
    {
        let dispatch = dispatch.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().and_then(|window| window.document()).map(|document| {
                EventListener::new(&document, "keydown", move |event| {
                    let Some(event) = event.dyn_ref::<web_sys::KeyboardEvent>() else {
                        return;
                    };
                    if let Some(action) = key_action(event) {
                        event.prevent_default();
                        dispatch.emit(action);
                    }
                })
            });
            move || drop(listener)
        });
    }

    // Playback: a tick per hop while playing.
    let classroom = &state.0;
    let events_per_second = SPEEDS.get(classroom.speed).map_or(4, |(_, rate)| *rate);
    {
        let dispatch = dispatch.clone();
        use_effect_with((classroom.playing, events_per_second), move |(playing, rate)| {
            let interval = playing.then(|| Interval::new(1000 / rate.max(&1), move || dispatch.emit(Action::Tick)));
            move || drop(interval)
        });
    }

    // Presenter mode fills the screen.
    {
        use_effect_with(classroom.presenter, move |presenter| {
            if let Some(document) = web_sys::window().and_then(|window| window.document()) {
                if *presenter {
                    if let Some(root) = document.document_element() {
                        let _ = root.request_fullscreen();
                    }
                } else if document.fullscreen_element().is_some() {
                    document.exit_fullscreen();
                }
            }
        });
    }

    let hop_ms = if *reduced_motion { 0 } else { (1000 / events_per_second).min(450) };
    let world = classroom.cursor.world();
    let position = classroom.position();
    let toggle = |action: Action| emit_on::<Event>(&dispatch, action);
    let server_nat = classroom.scenario.server_nat_active();

    let main_view = match &classroom.compare {
        Some((left, right)) => html! {
            <div class="compare">
                { pane_view("Left", false, left, server_nat, hop_ms, &dispatch) }
                { pane_view("Right", true, right, server_nat, hop_ms, &dispatch) }
            </div>
        },
        None => {
            let scene = scene::scene(&classroom.timeline, world, position);
            html! {
                <>
                    { topology(&scene, hop_ms, false, "Network: client, home router, internet, server firewall and server, with the connections and packets between them") }
                    { caption_panel(classroom) }
                    { quiz_panel(classroom, &dispatch) }
                    { pending_panel(classroom, &dispatch) }
                    <div class="lower">
                        { transcript(&classroom.timeline, position, &dispatch, "Transcript") }
                        { device_tables(world) }
                        { ladder(&classroom.timeline, position, &dispatch, server_nat) }
                    </div>
                </>
            }
        }
    };

    html! {
        <main class={classes!("app", classroom.presenter.then_some("presenter"), reduced_motion.then_some("reduced-motion"))}>
            <header class="top">
                <h1>{ "FTP: active vs passive" }</h1>
                { lesson_picker(classroom, &dispatch) }
                <div class="modes" role="group" aria-label="View">
                    <label class="toggle">
                        <input type="checkbox" checked={classroom.quiz.enabled} onchange={toggle(Action::ToggleQuiz)} />
                        <span>{ "Quiz mode" }</span>
                    </label>
                    <label class="toggle">
                        <input type="checkbox" checked={classroom.compare.is_some()} onchange={toggle(Action::ToggleCompare)} />
                        <span>{ "Side by side" }</span>
                    </label>
                    <button onclick={emit_on::<MouseEvent>(&dispatch, Action::TogglePresenter)} aria-pressed={classroom.presenter.to_string()}>
                        { if classroom.presenter { "Leave presenter mode" } else { "Presenter mode" } }
                    </button>
                </div>
            </header>
            { playback(classroom, &dispatch) }
            { message_bar(classroom, &dispatch) }
            <div class="layout">
                <div class="stage">{ main_view }</div>
                <aside class="side">
                    { verdict_panel(classroom, &dispatch) }
                    { comparison_table(classroom) }
                    { settings_panel(classroom, &dispatch) }
                    <p class="keys">{ "Keys: Space play/pause · → or Page Down step · ← or Page Up back · Home · End" }</p>
                    <p class="about">{ format!("ftpsim {} — vsftpd 3.0.3, Linux netfilter, curl and ftplib behaviour, simulated.", crate::VERSION) }</p>
                </aside>
            </div>
        </main>
    }
}

/// A callback that dispatches `action` whatever the event.
fn emit_on<E: 'static>(dispatch: &Callback<Action>, action: Action) -> Callback<E> {
    let dispatch = dispatch.clone();
    Callback::from(move |_: E| dispatch.emit(action.clone()))
}

fn pane_view(side: &str, right: bool, pane: &state::Pane, server_nat: bool, hop_ms: u32, dispatch: &Callback<Action>) -> Html {
    let position = pane.cursor.position();
    let scene = scene::scene(&pane.timeline, pane.cursor.world(), position);
    let mode = pane.timeline.scenario().mode;
    let verdict = pane.timeline.verdict();
    let finished = position + 1 >= pane.timeline.len();
    let on_mode = {
        let dispatch = dispatch.clone();
        Callback::from(move |event: Event| {
            let value = event.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            if let Some(mode) = parse_mode(&value) {
                dispatch.emit(Action::SetPaneMode { right, mode });
            }
        })
    };
    let label = format!("{side} mode");
    let verdict_text = if !finished {
        "in progress…".to_owned()
    } else if verdict.is_ok() {
        "✓ Completed".to_owned()
    } else {
        format!(
            "✗ Failed{} — {}",
            verdict.device.map(|device: NodeId| format!(" at the {}", device.label(server_nat).to_lowercase())).unwrap_or_default(),
            verdict.cell()
        )
    };
    html! {
        <section class="pane" aria-label={format!("{side}: {}", mode.label())}>
            <label class="field">
                { label.clone() }
                <select aria-label={label} onchange={on_mode}>
                    { for crate::ftp::client::DataMode::ALL.iter().map(|option| html! {
                        <option value={option.as_str()} selected={*option == mode}>{ option.label() }</option>
                    }) }
                </select>
            </label>
            { topology(&scene, hop_ms, true, &format!("{} on this network", mode.label())) }
            <p class={classes!("pane-verdict", if !finished { "pending" } else if verdict.is_ok() { "ok" } else { "fail" })} role="status" aria-label={format!("{side} verdict")}>
                { verdict_text }
            </p>
            { transcript(&pane.timeline, position, &Callback::from(|_| ()), &format!("{side} transcript")) }
        </section>
    }
}
