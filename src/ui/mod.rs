//! The browser app: a thin Yew layer over [`crate::classroom`]. Compiled for wasm32 only.
//!
//! It owns no simulation logic. Each render draws the classroom session: the views come as
//! markup from [`crate::picture`] (built and tested natively), and one click listener and one
//! change listener on the page turn the controls' `data-action` and `name` attributes into
//! [`state::Action`]s (event delegation). Only the timeline scrubber is a Yew element of its own,
//! so that dragging it is never interrupted by a redraw.
//!
//! Why markup rather than a tree of `html!` components: every element and attribute of an
//! `html!` tree costs code in the WebAssembly file, and the page must stay under its 175 KB
//! download budget for school networks. A redrawn control gets its keyboard focus back (by id).

mod state;

use std::cell::RefCell;
use std::rc::Rc;

use gloo::events::{EventListener, EventListenerOptions};
use gloo::timers::callback::Interval;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::classroom::{Classroom, action_from_control, action_from_form};
use crate::picture::{self, Style};
use crate::sim::scene;
use crate::sim::trace::NodeId;
use state::{Action, PageState, SPEEDS};

/// Mounts the app on the page body.
pub fn start() {
    yew::Renderer::<App>::new().render();
}

/// Markup from [`crate::picture`], put into the page as it is.
fn raw(markup: String) -> Html {
    Html::from_html_unchecked(AttrValue::from(markup))
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
    match event.key().as_str() {
        // Page Up / Page Down come from clickers and work everywhere.
        "PageDown" => Some(Action::StepForward),
        "PageUp" => Some(Action::StepBack),
        _ if in_field => None,
        // On a focused button, Space presses the button instead.
        " " | "Spacebar" if tag != "button" => Some(Action::TogglePlay),
        "ArrowRight" => Some(Action::StepForward),
        "ArrowLeft" => Some(Action::StepBack),
        "Home" => Some(Action::Restart),
        "End" => Some(Action::End),
        _ => None,
    }
}

type Refocus = Rc<RefCell<Option<String>>>;

/// How fast a single step forward moves its packets, in hops per second.
const STEP_EVENTS_PER_SECOND: u32 = 20;

/// Clicks anywhere on the page: a control's `data-action`, or an event to go to in `data-index`
/// (transcript lines, ladder rows, the verdict's "show where").
fn on_click(dispatch: &Callback<Action>, refocus: &Refocus) -> Callback<MouseEvent> {
    let dispatch = dispatch.clone();
    let refocus = refocus.clone();
    Callback::from(move |event: MouseEvent| {
        let Some(target) = event.target().and_then(|target| target.dyn_into::<web_sys::Element>().ok()) else {
            return;
        };
        if let Some(control) = target.closest("[data-action]").ok().flatten() {
            let action = control.get_attribute("data-action").and_then(|name| action_from_control(&name));
            if let Some(action) = action {
                *refocus.borrow_mut() = Some(control.id());
                dispatch.emit(action);
            }
            return;
        }
        let index = target
            .closest("[data-index]")
            .ok()
            .flatten()
            .and_then(|element| element.get_attribute("data-index"))
            .and_then(|value| value.parse::<usize>().ok());
        if let Some(index) = index {
            dispatch.emit(Action::Seek(index));
        }
    })
}

/// Changes of any menu, checkbox or number field on the page, by the control's `name`.
fn on_change(dispatch: &Callback<Action>, refocus: &Refocus) -> Callback<Event> {
    let dispatch = dispatch.clone();
    let refocus = refocus.clone();
    Callback::from(move |event: Event| {
        let Some(target) = event.target() else {
            return;
        };
        let (name, value, checked, id) = if let Some(input) = target.dyn_ref::<web_sys::HtmlInputElement>() {
            if input.type_() == "range" {
                return;
            }
            (input.name(), input.value(), input.checked(), input.id())
        } else if let Some(select) = target.dyn_ref::<web_sys::HtmlSelectElement>() {
            (select.name(), select.value(), false, select.id())
        } else {
            return;
        };
        if let Some(action) = action_from_form(&name, &value, checked) {
            *refocus.borrow_mut() = Some(id);
            dispatch.emit(action);
        }
    })
}

#[component]
pub fn App() -> Html {
    // Visitors who ask for reduced motion get steps that jump and packets that do not glide.
    let state = use_reducer(|| {
        let mut classroom = Classroom::new(lesson_from_location().as_deref());
        classroom.animate = !prefers_reduced_motion();
        PageState(classroom)
    });
    let refocus: Refocus = use_mut_ref(|| None::<String>);
    let dispatch: Callback<Action> = {
        let state = state.clone();
        Callback::from(move |action| state.dispatch(action))
    };

    // A control that was drawn anew gets back the keyboard focus it had.
    {
        let refocus = refocus.clone();
        use_effect(move || {
            let Some(id) = refocus.borrow_mut().take() else {
                return;
            };
            let element = web_sys::window()
                .and_then(|window| window.document())
                .and_then(|document| document.get_element_by_id(&id));
            if let Some(element) = element.and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok()) {
                let _ = element.focus();
            }
        });
    }

    // Keyboard: one listener on the document for the whole page.
    {
        let dispatch = dispatch.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().and_then(|window| window.document()).map(|document| {
                // Not passive: the keys the page handles must not also scroll it.
                EventListener::new_with_options(
                    &document,
                    "keydown",
                    EventListenerOptions::enable_prevent_default(),
                    move |event| {
                        let Some(event) = event.dyn_ref::<web_sys::KeyboardEvent>() else {
                            return;
                        };
                        if let Some(action) = key_action(event) {
                            event.prevent_default();
                            dispatch.emit(action);
                        }
                    },
                )
            });
            move || drop(listener)
        });
    }

    // Playback, and a step forward under way: one tick per hop. A step moves quickly, so the
    // class sees the packets travel without waiting.
    let classroom = &state.0;
    let stepping = classroom.run_to.is_some() && !classroom.playing;
    let events_per_second =
        if stepping { STEP_EVENTS_PER_SECOND } else { SPEEDS.get(classroom.speed).map_or(4, |(_, rate)| *rate).max(1) };
    {
        let dispatch = dispatch.clone();
        let ticking = classroom.playing || classroom.run_to.is_some();
        use_effect_with((ticking, events_per_second), move |(ticking, rate)| {
            let interval = ticking.then(|| Interval::new(1000 / rate, move || dispatch.emit(Action::Tick)));
            move || drop(interval)
        });
    }

    // Presenter mode fills the screen.
    use_effect_with(classroom.presenter, |presenter| {
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

    let tick_ms = if classroom.animate { 1000 / events_per_second } else { 0 };
    let position = classroom.position();
    let last = classroom.last();
    let time = classroom.timeline.events().get(position).map(|event| event.time.to_string()).unwrap_or_default();
    let on_scrub = {
        let dispatch = dispatch.clone();
        Callback::from(move |event: InputEvent| {
            let value = event.target_unchecked_into::<web_sys::HtmlInputElement>().value();
            if let Ok(index) = value.parse::<usize>() {
                dispatch.emit(Action::Seek(index));
            }
        })
    };
    let server_nat = classroom.scenario.server_nat_active();
    let stage = match &classroom.compare {
        Some((left, right)) => {
            let markup = format!(
                r#"<div class="compare">{}{}</div>"#,
                picture::pane("left", left, server_nat, tick_ms),
                picture::pane("right", right, server_nat, tick_ms)
            );
            raw(markup)
        }
        None => {
            let world = classroom.cursor.world();
            let scene = scene::scene(&classroom.timeline, world, position);
            let label = "Network: client, home router, internet, server firewall and server, with the connections and packets between them";
            let ladder_heads: String = NodeId::ALL
                .iter()
                .map(|node| format!(r#"<span class="{}">{}</span>"#, node.as_str(), node.label(server_nat)))
                .collect();
            raw(format!(
                r#"<div class="topology-frame">{}</div><section class="panel caption-panel" aria-label="What is happening">{}</section>{}{}<div class="lower {}"><section class="panel transcript-panel"><h2>Transcript</h2><div class="pinned-scroller">{}</div></section><div class="shared">{}<section class="panel tables-panel" aria-label="Device tables"><h2>Device tables</h2><div class="tables">{}</div></section><section class="panel ladder-panel"><h2>Ladder diagram</h2><div class="ladder-heads" aria-hidden="true">{ladder_heads}</div><div class="pinned-scroller ladder-scroll">{}</div></section></div></div>"#,
                picture::topology(&scene, position, Style { tick_ms, compact: false }, label),
                picture::caption(classroom),
                picture::quiz(classroom),
                picture::pending(classroom),
                if classroom.show_ladder { "show-ladder" } else { "show-tables" },
                picture::transcript(&classroom.timeline, position, "Transcript", true),
                picture::lower_tabs(classroom.show_ladder),
                picture::device_tables(world),
                picture::ladder(&classroom.timeline, position),
            ))
        }
    };
    let side = format!(
        r#"<section class="panel verdict-panel" role="status" aria-label="Verdict"><h2>Verdict</h2>{}</section><section class="panel comparison" aria-label="Every mode on this network"><h2>This network, every mode</h2>{}</section><section class="panel settings" aria-label="Network settings"><h2>Settings</h2><div class="settings-grid">{}</div></section><p class="keys">Keys: Space play/pause · → or Page Down step · ← or Page Up back · Home · End</p><p class="about">ftpsim {} — vsftpd 3.0.3, Linux netfilter, curl and ftplib behaviour, simulated.</p>"#,
        picture::verdict(classroom),
        picture::comparison(classroom),
        picture::settings_form(&classroom.scenario, classroom.form_revision),
        crate::VERSION,
    );

    html! {
        <main class={classes!("app", classroom.presenter.then_some("presenter"), (!classroom.animate).then_some("reduced-motion"))}
              onclick={on_click(&dispatch, &refocus)} onchange={on_change(&dispatch, &refocus)}>
            <header class="top">{ raw(picture::header(classroom)) }</header>
            <div class="playback" role="group" aria-label="Playback">
                { raw(picture::playback_buttons(classroom)) }
                <label class="scrubber">
                    <span class="visually-hidden">{ "Timeline position" }</span>
                    <input type="range" min="0" max={last.to_string()} value={position.to_string()} oninput={on_scrub}
                           aria-valuetext={format!("event {} of {}, at {time}", position + 1, last + 1)} />
                </label>
                <span class="clock" aria-hidden="true">{ format!("{} / {} · t = {time}", position + 1, last + 1) }</span>
                { raw(picture::playback_options(classroom)) }
            </div>
            { raw(picture::message(classroom)) }
            <div class="layout">
                <div class="stage">{ stage }</div>
                <aside class="side">{ raw(side) }</aside>
            </div>
        </main>
    }
}
