//! The header (lesson, view switches) and the playback bar.

use yew::prelude::*;

use super::{Look, button};
use crate::classroom::{Action, SPEEDS};
use crate::messages::page::{self as say, playback as words};
use crate::sim::lessons;
use crate::sim::trace::Level;

/// The header: the title, the lesson menu (`lesson`: the one shown, if any), the quiz and
/// side-by-side switches, presenter mode, and the Share and Files buttons.
///
/// The `selected` attributes of the menu only set what a fresh menu shows: once the teacher has
/// picked from it, the browser keeps its own choice over them. The page therefore sets the
/// menu's value (`menu`) whenever the lesson changes (Back, Forward, a link), so it always
/// names the one shown.
pub fn header(
    lesson: Option<&'static str>,
    quiz: bool,
    compare: bool,
    presenter: bool,
    menu: &NodeRef,
    on_action: &Callback<Action>,
) -> Html {
    let on_lesson = {
        let on_action = on_action.clone();
        Callback::from(move |event: Event| {
            let id = event.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            if !id.is_empty() {
                on_action.emit(Action::LoadLesson(id));
            }
        })
    };
    let toggle = |action: Action| {
        let on_action = on_action.clone();
        Callback::from(move |_: Event| on_action.emit(action.clone()))
    };
    html! {
        <header class="top">
            <h1>{ say::TITLE }</h1>
            <label class="lesson-picker" for="lesson-menu">{ say::LESSON }
                <select id="lesson-menu" ref={menu.clone()} onchange={on_lesson}>
                    <option value="" selected={lesson.is_none()} disabled=true>{ say::OWN_SETTINGS }</option>
                    { for lessons::all().into_iter().map(|option| html! {
                        <option key={option.id} value={option.id} selected={lesson == Some(option.id)}>{ option.title }</option>
                    }) }
                </select>
            </label>
            <div class="modes" role="group" aria-label={say::VIEW}>
                <label class="toggle" title={say::QUIZ_HELP}>
                    <input type="checkbox" checked={quiz} onchange={toggle(Action::ToggleQuiz)} />
                    <span>{ say::QUIZ_MODE }</span>
                </label>
                <label class="toggle" title={say::SIDE_BY_SIDE_HELP}>
                    <input type="checkbox" checked={compare} onchange={toggle(Action::ToggleCompare)} />
                    <span>{ say::SIDE_BY_SIDE }</span>
                </label>
                { button(Look { pressed: Some(presenter), ..Look::default() },
                         Html::from(if presenter { say::LEAVE_PRESENTER } else { say::PRESENTER }),
                         Action::TogglePresenter, on_action) }
                { button(Look { title: Some(say::share::SHARE_HELP), dialog: true, ..Look::default() },
                         Html::from(say::share::SHARE), Action::OpenShare, on_action) }
                { button(Look { title: Some(say::files::FILES_HELP), dialog: true, ..Look::default() },
                         Html::from(say::files::FILES), Action::OpenFiles, on_action) }
            </div>
        </header>
    }
}

/// |◀ and ▶| drawn, since not every classroom computer has a font with those symbols.
fn icon(path: &'static str) -> Html {
    html! { <svg class="icon" viewBox="0 0 12 12" aria-hidden="true"><path d={path} /></svg> }
}

/// A symbol that stands beside a label, hidden from screen readers (the label says it).
fn symbol(text: &'static str) -> Html {
    html! { <span aria-hidden="true">{ text }</span> }
}

/// A button of the playback bar: a symbol before or after its label (the label hides in
/// presenter mode and on a phone; the accessible name stays).
fn bar_button(
    label: &'static str,
    title: &'static str,
    class: Option<&'static str>,
    before: Option<Html>,
    after: Option<Html>,
    action: Action,
    on_action: &Callback<Action>,
) -> Html {
    let content = html! { <>{ before }<span class="label">{ label }</span>{ after }</> };
    button(Look { class, label: Some(label), title: Some(title), ..Look::default() }, content, action, on_action)
}

/// The playback bar: the buttons, the scrubber at `value` of `max`, the counter ("12 / 215 ·
/// t = 0.088 s"), and the menus of speed and step level. `value_text` is what a screen reader
/// says of the scrubber.
pub fn playback_bar(
    playing: bool,
    (value, max): (usize, usize),
    counter: String,
    value_text: String,
    speed: usize,
    level: Level,
    on_action: &Callback<Action>,
) -> Html {
    let on_scrub = {
        let on_action = on_action.clone();
        Callback::from(move |event: InputEvent| {
            let value = event.target_unchecked_into::<web_sys::HtmlInputElement>().value();
            if let Ok(index) = value.parse::<usize>() {
                on_action.emit(Action::Seek(index));
            }
        })
    };
    let on_speed = {
        let on_action = on_action.clone();
        Callback::from(move |event: Event| {
            let index = event.target_unchecked_into::<web_sys::HtmlSelectElement>().selected_index();
            if let Ok(index) = usize::try_from(index) {
                on_action.emit(Action::SetSpeed(index));
            }
        })
    };
    const LEVELS: [(Level, &str); 3] =
        [(Level::Key, words::KEY_MOMENTS), (Level::Packet, words::PACKETS), (Level::Detail, words::EVERY_EVENT)];
    let on_level = {
        let on_action = on_action.clone();
        Callback::from(move |event: Event| {
            let index = event.target_unchecked_into::<web_sys::HtmlSelectElement>().selected_index();
            if let Some((level, _)) = usize::try_from(index).ok().and_then(|index| LEVELS.get(index)) {
                on_action.emit(Action::SetStepLevel(*level));
            }
        })
    };
    let (play_label, play_text) = if playing { (words::PAUSE, "❚❚") } else { (words::PLAY, "▶") };
    html! {
        <div class="playback" role="group" aria-label={words::GROUP}>
            <div class="buttons">
                { bar_button(words::RESTART, words::RESTART_TITLE, None, Some(icon("M1 1h2v10H1zM11 1v10L4 6z")), None,
                             Action::Restart, on_action) }
                { bar_button(words::BACK, words::BACK_TITLE, None, Some(symbol("❮")), None, Action::StepBack, on_action) }
                { bar_button(play_label, words::PLAY_TITLE, Some("play"), Some(symbol(play_text)), None,
                             Action::TogglePlay, on_action) }
                { bar_button(words::FORWARD, words::FORWARD_TITLE, Some("primary"), None, Some(symbol("❯")),
                             Action::StepForward, on_action) }
                { bar_button(words::END, words::END_TITLE, None, None, Some(icon("M9 1h2v10H9zM1 1v10l7-5z")),
                             Action::End, on_action) }
            </div>
            <label class="scrubber">
                <span class="visually-hidden">{ words::TIMELINE }</span>
                <input type="range" min="0" max={max.to_string()} value={value.to_string()}
                       aria-valuetext={value_text} oninput={on_scrub} />
            </label>
            <span class="clock">{ counter }</span>
            <label class="inline">{ words::SPEED }
                <select onchange={on_speed}>
                    { for SPEEDS.iter().enumerate().map(|(index, (name, _))| html! {
                        <option selected={index == speed}>{ *name }</option>
                    }) }
                </select>
            </label>
            <label class="inline">{ words::STEP_BY }
                <select onchange={on_level}>
                    { for LEVELS.iter().map(|(option, name)| html! {
                        <option selected={*option == level}>{ *name }</option>
                    }) }
                </select>
            </label>
        </div>
    }
}
