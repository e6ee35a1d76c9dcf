//! The header (lesson, view switches) and the playback bar.

use yew::prelude::*;

use super::on_click;
use crate::classroom::{Action, SPEEDS};
use crate::messages::page::{self as say, playback as words};
use crate::sim::lessons;
use crate::sim::trace::Level;

#[derive(Properties, PartialEq)]
pub struct HeaderProps {
    pub lesson: Option<&'static str>,
    pub quiz: bool,
    pub compare: bool,
    pub presenter: bool,
    pub on_action: Callback<Action>,
}

#[component]
pub fn Header(props: &HeaderProps) -> Html {
    let on_lesson = {
        let on_action = props.on_action.clone();
        Callback::from(move |event: Event| {
            let id = event.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            if !id.is_empty() {
                on_action.emit(Action::LoadLesson(id));
            }
        })
    };
    let toggle = |action: Action| {
        let on_action = props.on_action.clone();
        Callback::from(move |_: Event| on_action.emit(action.clone()))
    };
    // The `selected` attributes below only set what a fresh menu shows: once the teacher has
    // picked from it, the browser keeps its own choice over them. The menu's value is set
    // whenever the lesson changes (Back, Forward, a link), so it always names the one shown.
    let menu = use_node_ref();
    {
        let menu = menu.clone();
        use_effect_with(props.lesson, move |lesson| {
            if let Some(select) = menu.cast::<web_sys::HtmlSelectElement>() {
                select.set_value(lesson.unwrap_or(""));
            }
        });
    }
    html! {
        <header class="top">
            <h1>{ say::TITLE }</h1>
            <label class="lesson-picker" for="lesson-menu">{ say::LESSON }
                <select id="lesson-menu" ref={menu} onchange={on_lesson}>
                    <option value="" selected={props.lesson.is_none()} disabled=true>{ say::OWN_SETTINGS }</option>
                    { for lessons::all().into_iter().map(|lesson| html! {
                        <option key={lesson.id} value={lesson.id} selected={props.lesson == Some(lesson.id)}>{ lesson.title }</option>
                    }) }
                </select>
            </label>
            <div class="modes" role="group" aria-label={say::VIEW}>
                <label class="toggle" title={say::QUIZ_HELP}>
                    <input type="checkbox" checked={props.quiz} onchange={toggle(Action::ToggleQuiz)} />
                    <span>{ say::QUIZ_MODE }</span>
                </label>
                <label class="toggle" title={say::SIDE_BY_SIDE_HELP}>
                    <input type="checkbox" checked={props.compare} onchange={toggle(Action::ToggleCompare)} />
                    <span>{ say::SIDE_BY_SIDE }</span>
                </label>
                <button type="button" aria-pressed={props.presenter.to_string()}
                        onclick={on_click(&props.on_action, Action::TogglePresenter)}>
                    { if props.presenter { say::LEAVE_PRESENTER } else { say::PRESENTER } }
                </button>
                <button type="button" title={say::share::SHARE_HELP} aria-haspopup="dialog"
                        onclick={on_click(&props.on_action, Action::OpenShare)}>
                    { say::share::SHARE }
                </button>
                <button type="button" title={say::files::FILES_HELP} aria-haspopup="dialog"
                        onclick={on_click(&props.on_action, Action::OpenFiles)}>
                    { say::files::FILES }
                </button>
            </div>
        </header>
    }
}

#[derive(Properties, PartialEq)]
pub struct PlaybackProps {
    pub playing: bool,
    pub value: usize,
    pub max: usize,
    /// What the counter shows ("12 / 215 · t = 0.088 s").
    pub counter: AttrValue,
    /// What a screen reader says of the scrubber.
    pub value_text: AttrValue,
    pub speed: usize,
    pub level: Level,
    pub on_action: Callback<Action>,
}

/// |◀ and ▶| drawn, since not every classroom computer has a font with those symbols.
fn icon(path: &'static str) -> Html {
    html! { <svg class="icon" viewBox="0 0 12 12" aria-hidden="true"><path d={path} /></svg> }
}

#[component]
pub fn PlaybackBar(props: &PlaybackProps) -> Html {
    let on_action = &props.on_action;
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
    let (play_label, play_text) = if props.playing { (words::PAUSE, "❚❚") } else { (words::PLAY, "▶") };
    html! {
        <div class="playback" role="group" aria-label={words::GROUP}>
            <div class="buttons">
                <button type="button" aria-label={words::RESTART} title={words::RESTART_TITLE}
                        onclick={on_click(on_action, Action::Restart)}>
                    { icon("M1 1h2v10H1zM11 1v10L4 6z") }<span class="label">{ words::RESTART }</span>
                </button>
                <button type="button" aria-label={words::BACK} title={words::BACK_TITLE}
                        onclick={on_click(on_action, Action::StepBack)}>
                    <span aria-hidden="true">{ "❮" }</span><span class="label">{ words::BACK }</span>
                </button>
                <button type="button" class="play" aria-label={play_label} title={words::PLAY_TITLE}
                        onclick={on_click(on_action, Action::TogglePlay)}>
                    <span aria-hidden="true">{ play_text }</span><span class="label">{ play_label }</span>
                </button>
                <button type="button" class="primary" aria-label={words::FORWARD} title={words::FORWARD_TITLE}
                        onclick={on_click(on_action, Action::StepForward)}>
                    <span class="label">{ words::FORWARD }</span><span aria-hidden="true">{ "❯" }</span>
                </button>
                <button type="button" aria-label={words::END} title={words::END_TITLE}
                        onclick={on_click(on_action, Action::End)}>
                    <span class="label">{ words::END }</span>{ icon("M9 1h2v10H9zM1 1v10l7-5z") }
                </button>
            </div>
            <label class="scrubber">
                <span class="visually-hidden">{ words::TIMELINE }</span>
                <input type="range" min="0" max={props.max.to_string()} value={props.value.to_string()}
                       aria-valuetext={props.value_text.clone()} oninput={on_scrub} />
            </label>
            <span class="clock">{ props.counter.clone() }</span>
            <label class="inline">{ words::SPEED }
                <select onchange={on_speed}>
                    { for SPEEDS.iter().enumerate().map(|(index, (name, _))| html! {
                        <option selected={index == props.speed}>{ *name }</option>
                    }) }
                </select>
            </label>
            <label class="inline">{ words::STEP_BY }
                <select onchange={on_level}>
                    { for LEVELS.iter().map(|(level, name)| html! {
                        <option selected={*level == props.level}>{ *name }</option>
                    }) }
                </select>
            </label>
        </div>
    }
}
