//! The caption, the quiz, the pending changes, the notice, the verdict and the every-mode
//! table.

use yew::prelude::*;

use super::on_click;
use crate::classroom::{Action, Pending, QuizAnswer};
use crate::messages::page::{
    self as say, comparison as every, panels, pending as waiting, quiz as ask, verdict as words,
};
use crate::sim::caption::Caption;
use crate::sim::matrix::Cell;
use crate::sim::scenario::Scenario;
use crate::sim::verdict::Verdict;

/// The caption panel: the caption, the waits under way, and the trace's own sentence for the
/// event (`detail`). With `announce`, the caption is spoken now (not while packets are still
/// hopping).
pub fn caption_panel(caption: Caption, detail: String, countdowns: Vec<String>, announce: bool) -> Html {
    let spoken = if announce { format!("{}. {}", caption.headline, caption.body) } else { String::new() };
    html! {
        <section class="panel caption-panel" aria-label={panels::CAPTION}>
            <p class="headline">{ caption.headline }</p>
            <p class="body">{ caption.body }</p>
            if !countdowns.is_empty() {
                <ul class="countdowns" aria-label={panels::WAITING}>
                    { for countdowns.into_iter().map(|text| html! { <li>{ "◷ " }{ text }</li> }) }
                </ul>
            }
            <p class="event-text">{ detail }</p>
            <div class="visually-hidden" aria-live="polite" aria-atomic="true">{ spoken }</div>
        </section>
    }
}

/// The quiz's question, and once answered, whether the answer was right.
pub fn quiz_panel(
    answer: Option<QuizAnswer>,
    truth: QuizAnswer,
    server_nat: bool,
    summary: &str,
    on_action: &Callback<Action>,
) -> Html {
    let answered = answer.is_some();
    html! {
        <section class="panel quiz" role="region" aria-label={ask::QUESTION}>
            <h2>{ ask::QUESTION }</h2>
            if let Some(answer) = answer {
                <p ~className={if answer == truth { "right" } else { "wrong" }}>
                    { if answer == truth { ask::RIGHT } else { ask::WRONG } }{ " " }
                    { ask::answer(&truth.label(server_nat)) }
                </p>
                <p>{ summary.to_owned() }</p>
                <p class="hint">{ ask::KEEP_STEPPING }</p>
            } else {
                <p>{ ask::PROMPT }</p>
            }
            <div class="answers">
                { for QuizAnswer::ALL.into_iter().map(|option| {
                    let chosen = answer == Some(option);
                    // Kept in place after the answer (so the keyboard stays here), but inert.
                    let onclick = (!answered).then(|| on_click(on_action, Action::Answer(option)));
                    html! {
                        <button type="button" aria-pressed={chosen.to_string()} aria-disabled={answered.to_string()}
                                ~className={if chosen { "chosen" } else { "" }} {onclick}>
                            { option.label(server_nat) }
                        </button>
                    }
                }) }
            </div>
        </section>
    }
}

/// The changes waiting for the teacher's choice: restart, branch here, or cancel.
pub fn pending_panel(pending: &Pending, on_action: &Callback<Action>) -> Html {
    html! {
        <section class="panel pending-change" role="region" aria-label={waiting::TITLE}>
            <h2>{ waiting::TITLE }</h2>
            <p class="changes">{ waiting::changes(&pending.description) }</p>
            <p class="hint">{ waiting::PAUSED }</p>
            if let Some(why) = &pending.restart_only {
                <p class="hint">{ waiting::restart_only(why) }</p>
            }
            <div class="answers">
                <button type="button" class="primary" onclick={on_click(on_action, Action::ConfirmRestart)}>
                    { waiting::RESTART }
                </button>
                if pending.restart_only.is_none() {
                    <button type="button" onclick={on_click(on_action, Action::ConfirmBranch)}>{ waiting::BRANCH }</button>
                }
                <button type="button" onclick={on_click(on_action, Action::CancelChanges)}>{ waiting::CANCEL }</button>
            </div>
        </section>
    }
}

/// The notice bar: what the page could not do, until dismissed.
pub fn notice_bar(text: String, on_action: &Callback<Action>) -> Html {
    html! {
        <div class="message" role="alert">
            <span>{ text }</span>
            <button type="button" class="link" onclick={on_click(on_action, Action::DismissNotice)}>{ say::DISMISS }</button>
        </div>
    }
}

/// The verdict, when it may be shown (`None`: still in progress). `looking_back`: the page
/// stands before the end (the class has seen it and stepped back).
pub fn verdict_panel(
    verdict: Option<&Verdict>,
    server_nat: bool,
    branched: bool,
    looking_back: Option<usize>,
    on_action: &Callback<Action>,
) -> Html {
    let Some(verdict) = verdict else {
        return html! { <p class="pending">{ words::IN_PROGRESS }</p> };
    };
    let (title, good) = verdict.headline(server_nat);
    let class = if good { "verdict ok" } else { "verdict fail" };
    html! {
        <div ~className={class}>
            <p class="verdict-title">{ title }</p>
            if let Some(cause) = verdict.cause {
                <p class="cause">{ words::why(cause.words(), verdict.final_reply) }</p>
            }
            <p>{ verdict.summary.clone() }</p>
            if let Some(fix) = &verdict.fix {
                <p class="fix"><strong>{ words::FIX }</strong>{ " " }{ fix.clone() }</p>
            }
            if branched {
                <p class="hint">{ words::BRANCHED }</p>
            }
            if let Some(position) = looking_back {
                <p class="hint">{ words::looking_back(position) }</p>
            }
            if let Some(index) = verdict.event {
                <button type="button" class="link" onclick={on_click(on_action, Action::Seek(index))}>
                    { words::SHOW_WHERE }
                </button>
            }
        </div>
    }
}

/// The every-mode table of the run's settings (`picture::tables::every_mode`), or with `hidden`
/// only a note (the questions are open).
pub fn comparison_panel(cells: &[Cell], scenario: &Scenario, hidden: bool) -> Html {
    if hidden {
        return html! { <p class="note">{ every::HIDDEN }</p> };
    }
    Html::from_html_unchecked(AttrValue::from(crate::picture::tables::every_mode(cells, scenario)))
}
