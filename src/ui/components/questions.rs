//! The generated questions on the page (the `assessment` feature): the questions asked by the
//! event on screen, each with the control its answer needs, the mark and hint in practice, and
//! the score at the end.
//!
//! A typed answer is read here (an address and port, the NAT row); what cannot be read is said
//! under the field and nothing is sent. Every answer goes to the classroom as
//! [`Action::Respond`], built in Rust.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::on_click;
use crate::assess::attempt::Mode;
use crate::assess::questions::{self, Ask, Mark, Question, Response};
use crate::classroom::{Action, Assessment};
use crate::messages::assess as say;
use crate::sim::trace::NodeId;

#[derive(Properties, PartialEq)]
pub struct QuestionsProps {
    pub assessment: Rc<Assessment>,
    pub position: usize,
    pub server_nat: bool,
    /// Every single change of a setting the form offers: (key, token, words).
    pub changes: Rc<Vec<(&'static str, &'static str, String)>>,
    pub on_action: Callback<Action>,
}

#[component]
pub fn QuestionsPanel(props: &QuestionsProps) -> Html {
    let assessment = &props.assessment;
    let attempt = &assessment.attempt;
    let on_screen = assessment.on_screen(props.position);
    let finished = attempt.finished();
    let mode = if attempt.mode == Mode::Test { say::TEST } else { say::PRACTICE };
    let answered = attempt.records.iter().filter(|record| record.tries > 0).count();
    // A new question (or the score) comes into view, without taking the keyboard from the stage.
    let panel = use_node_ref();
    {
        let panel = panel.clone();
        let due = attempt.due(props.position);
        use_effect_with((due, finished), move |(due, finished)| {
            if (!due.is_empty() || *finished)
                && let Some(element) = panel.cast::<web_sys::Element>()
            {
                let options = web_sys::ScrollIntoViewOptions::new();
                options.set_block(web_sys::ScrollLogicalPosition::Nearest);
                element.scroll_into_view_with_scroll_into_view_options(&options);
            }
        });
    }
    html! {
        <section class="panel questions" role="region" aria-label={say::QUESTIONS} ref={panel}>
            <h2>{ say::QUESTIONS }{ " · " }{ mode }</h2>
            <p class="progress">{ say::progress(answered, attempt.questions.len()) }</p>
            { for on_screen.into_iter().map(|(index, question)| {
                let record = attempt.records[index];
                let mark = assessment.feedback.as_ref().filter(|(shown, _)| *shown == index).map(|(_, mark)| mark.clone());
                html! {
                    <QuestionItem key={index} {index} question={question.clone()} server_nat={props.server_nat}
                                  answered={record.tries > 0} locked={attempt.mode == Mode::Test && record.tries > 0}
                                  {mark} changes={props.changes.clone()} on_action={props.on_action.clone()} />
                }
            }) }
            if finished {
                <p class="score">{ attempt.score().words() }</p>
                if let Some(passing) = assessment.passing {
                    <p>{ say::passing(passing, attempt.status(Some(passing)).as_str()) }</p>
                }
                if attempt.mode == Mode::Test {
                    <ol class="marks">
                        { for attempt.questions.iter().zip(&attempt.records).map(|(question, record)| html! {
                            <li ~className={if record.right_first { "right" } else { "wrong" }}>
                                { if record.right_first { say::RIGHT } else { say::WRONG } }{ " " }
                                { question.words(props.server_nat) }{ " → " }{ question.answer_words(props.server_nat) }
                            </li>
                        }) }
                    </ol>
                }
            } else if attempt.due(props.position).is_empty() {
                <p class="hint">{ say::KEEP_STEPPING }</p>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ItemProps {
    index: usize,
    question: Question,
    server_nat: bool,
    answered: bool,
    locked: bool,
    mark: Option<Mark>,
    changes: Rc<Vec<(&'static str, &'static str, String)>>,
    on_action: Callback<Action>,
}

/// The value of the form field named `name` inside the form that sent `event`.
fn field(event: &SubmitEvent, name: &str) -> String {
    event
        .target()
        .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
        .and_then(|form| form.query_selector(&format!("[name={name}]")).ok().flatten())
        .map(|element| {
            element
                .dyn_ref::<web_sys::HtmlInputElement>()
                .map(web_sys::HtmlInputElement::value)
                .or_else(|| element.dyn_ref::<web_sys::HtmlSelectElement>().map(web_sys::HtmlSelectElement::value))
                .unwrap_or_default()
        })
        .unwrap_or_default()
}

/// Reads the typed answer of `ask` from its form; `Err` is what to say under the field.
fn typed(ask: &Ask, event: &SubmitEvent, changes: &[(&'static str, &'static str, String)]) -> Result<Response, String> {
    let error = |problem: questions::ResponseError| problem.to_string();
    match ask {
        Ask::DataTarget { .. } => {
            questions::read_address_and_port(&field(event, "answer")).map(Response::Address).map_err(error)
        }
        Ask::SeenInPort { .. } => questions::read_address(&field(event, "answer")).map(Response::Ip).map_err(error),
        Ask::NatRow { .. } => {
            let inside = questions::read_address_and_port(&field(event, "inside")).map_err(error)?;
            let public = questions::read_address_and_port(&field(event, "public")).map_err(error)?;
            Ok(Response::NatRow { inside, public })
        }
        Ask::WhichSetting => {
            let chosen = field(event, "answer").parse::<usize>().ok().and_then(|index| changes.get(index));
            chosen
                .map(|(key, token, _)| Response::Setting { key: (*key).to_owned(), token: (*token).to_owned() })
                .ok_or_else(|| say::PICK_A_SETTING.to_owned())
        }
        Ask::WillItWork | Ask::WhichDevice => Err(say::WRONG_KIND.to_owned()),
    }
}

#[component]
fn QuestionItem(props: &ItemProps) -> Html {
    let problem = use_state(|| None::<String>);
    let index = props.index;
    let respond = |response: Response| {
        let on_action = props.on_action.clone();
        let problem = problem.clone();
        Callback::from(move |_: MouseEvent| {
            problem.set(None);
            on_action.emit(Action::Respond(index, response.clone()));
        })
    };
    let onsubmit = {
        let on_action = props.on_action.clone();
        let problem = problem.clone();
        let ask = props.question.ask.clone();
        let changes = props.changes.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            match typed(&ask, &event, &changes) {
                Ok(response) => {
                    problem.set(None);
                    on_action.emit(Action::Respond(index, response));
                }
                Err(text) => problem.set(Some(text)),
            }
        })
    };
    let disabled = props.locked;
    let input = |name: &'static str, label: &'static str| {
        html! {
            <label>{ label }{ " " }
                <input type="text" {name} autocomplete="off" spellcheck="false" {disabled} maxlength="80" />
            </label>
        }
    };
    let check = html! { <button type="submit" {disabled}>{ say::CHECK }</button> };
    let control = match &props.question.ask {
        Ask::WillItWork => html! {
            <div class="answers">
                <button type="button" {disabled} onclick={respond(Response::YesNo(true))}>{ say::YES }</button>
                <button type="button" {disabled} onclick={respond(Response::YesNo(false))}>{ say::NO }</button>
            </div>
        },
        Ask::WhichDevice => html! {
            <div class="answers">
                { for NodeId::ALL.into_iter().map(|node| html! {
                    <button type="button" {disabled} onclick={respond(Response::Device(node))}>{ node.label(props.server_nat) }</button>
                }) }
            </div>
        },
        Ask::DataTarget { .. } => html! { <form {onsubmit}>{ input("answer", say::ADDRESS_AND_PORT) }{ check }</form> },
        Ask::SeenInPort { .. } => html! { <form {onsubmit}>{ input("answer", say::ADDRESS) }{ check }</form> },
        Ask::NatRow { .. } => html! {
            <form {onsubmit}>{ input("inside", say::INSIDE_FIELD) }{ input("public", say::PUBLIC_FIELD) }{ check }</form>
        },
        Ask::WhichSetting => html! {
            <form {onsubmit}>
                <label>{ say::SETTING }{ " " }
                    <select name="answer" {disabled}>
                        { for props.changes.iter().enumerate().map(|(at, (_, _, words))| html! {
                            <option value={at.to_string()}>{ words.clone() }</option>
                        }) }
                    </select>
                </label>
                { check }
            </form>
        },
    };
    html! {
        <div ~className={if props.answered { "question answered" } else { "question" }}>
            <p class="ask">{ props.question.words(props.server_nat) }</p>
            { control }
            if let Some(text) = &*problem {
                <p class="problem" role="alert">{ text.clone() }</p>
            }
            { match &props.mark {
                Some(Mark::Right) => html! { <p class="right" role="status">{ say::RIGHT }</p> },
                Some(Mark::Wrong(hint)) => html! {
                    <p class="wrong" role="status">
                        { hint.words(props.server_nat) }
                        // The session goes there as far as the open questions let it.
                        if let Some(event) = hint.event() {
                            { " " }
                            <button type="button" class="go-to" onclick={on_click(&props.on_action, Action::Seek(event))}>
                                { say::go_to(event) }
                            </button>
                        }
                    </p>
                },
                None if props.locked => html! { <p class="hint" role="status">{ say::SAVED }</p> },
                None => html! {},
            } }
        </div>
    }
}
