//! The caption, the quiz, the pending changes, the notice, the verdict and the every-mode
//! table.

use std::rc::Rc;

use yew::prelude::*;

use super::on_click;
use crate::classroom::{Action, Pending, QuizAnswer};
use crate::ftp::client::DataMode;
use crate::messages::page::{
    self as say, comparison as every, panels, pending as waiting, quiz as ask, verdict as words,
};
use crate::sim::matrix::Cell;
use crate::sim::trace::NodeId;
use crate::sim::verdict::{Cause, RunOutcome, Verdict};

#[derive(Properties, PartialEq)]
pub struct CaptionProps {
    pub headline: AttrValue,
    pub body: AttrValue,
    /// The trace's own sentence for the event.
    pub detail: AttrValue,
    pub countdowns: Vec<String>,
    /// Speak the caption now (not while packets are still hopping).
    pub announce: bool,
}

#[component]
pub fn CaptionPanel(props: &CaptionProps) -> Html {
    let spoken = if props.announce { format!("{}. {}", props.headline, props.body) } else { String::new() };
    html! {
        <section class="panel caption-panel" aria-label={panels::CAPTION}>
            <p class="headline">{ props.headline.clone() }</p>
            <p class="body">{ props.body.clone() }</p>
            if !props.countdowns.is_empty() {
                <ul class="countdowns" aria-label={panels::WAITING}>
                    { for props.countdowns.iter().map(|text| html! { <li>{ "◷ " }{ text }</li> }) }
                </ul>
            }
            <p class="event-text">{ props.detail.clone() }</p>
            <div class="visually-hidden" aria-live="polite" aria-atomic="true">{ spoken }</div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct QuizProps {
    pub answer: Option<QuizAnswer>,
    pub truth: QuizAnswer,
    pub server_nat: bool,
    pub summary: AttrValue,
    pub on_action: Callback<Action>,
}

#[component]
pub fn QuizPanel(props: &QuizProps) -> Html {
    let answered = props.answer.is_some();
    html! {
        <section class="panel quiz" role="region" aria-label={ask::QUESTION}>
            <h2>{ ask::QUESTION }</h2>
            if let Some(answer) = props.answer {
                <p class={if answer == props.truth { "right" } else { "wrong" }}>
                    { if answer == props.truth { ask::RIGHT } else { ask::WRONG } }{ " " }
                    { ask::answer(&props.truth.label(props.server_nat)) }
                </p>
                <p>{ props.summary.clone() }</p>
                <p class="hint">{ ask::KEEP_STEPPING }</p>
            } else {
                <p>{ ask::PROMPT }</p>
            }
            <div class="answers">
                { for QuizAnswer::ALL.into_iter().map(|answer| {
                    let chosen = props.answer == Some(answer);
                    // Kept in place after the answer (so the keyboard stays here), but inert.
                    let onclick = (!answered).then(|| on_click(&props.on_action, Action::Answer(answer)));
                    html! {
                        <button type="button" aria-pressed={chosen.to_string()} aria-disabled={answered.to_string()}
                                class={classes!(chosen.then_some("chosen"))} {onclick}>
                            { answer.label(props.server_nat) }
                        </button>
                    }
                }) }
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct PendingProps {
    pub pending: Pending,
    pub on_action: Callback<Action>,
}

#[component]
pub fn PendingPanel(props: &PendingProps) -> Html {
    let pending = &props.pending;
    html! {
        <section class="panel pending-change" role="region" aria-label={waiting::TITLE}>
            <h2>{ waiting::TITLE }</h2>
            <p class="changes">{ waiting::changes(&pending.description) }</p>
            <p class="hint">{ waiting::PAUSED }</p>
            if let Some(why) = &pending.restart_only {
                <p class="hint">{ waiting::restart_only(why) }</p>
            }
            <div class="answers">
                <button type="button" class="primary" onclick={on_click(&props.on_action, Action::ConfirmRestart)}>
                    { waiting::RESTART }
                </button>
                if pending.restart_only.is_none() {
                    <button type="button" onclick={on_click(&props.on_action, Action::ConfirmBranch)}>{ waiting::BRANCH }</button>
                }
                <button type="button" onclick={on_click(&props.on_action, Action::CancelChanges)}>{ waiting::CANCEL }</button>
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

#[derive(Properties, PartialEq)]
pub struct VerdictProps {
    /// The verdict, when it may be shown.
    pub verdict: Option<Verdict>,
    pub server_nat: bool,
    pub branched: bool,
    /// The page stands before the end (the class has seen it and stepped back).
    pub looking_back: Option<usize>,
    pub on_action: Callback<Action>,
}

#[component]
pub fn VerdictPanel(props: &VerdictProps) -> Html {
    let Some(verdict) = &props.verdict else {
        return html! { <p class="pending">{ words::IN_PROGRESS }</p> };
    };
    let ok = verdict.outcome == RunOutcome::Ok;
    let on_purpose = verdict.cause == Some(Cause::ServerRefusedBounce);
    let title = if ok {
        words::COMPLETED.to_owned()
    } else if on_purpose {
        words::REFUSED_ON_PURPOSE.to_owned()
    } else {
        words::failed_at(verdict.device.map(|device: NodeId| device.label(props.server_nat)))
    };
    let class = if ok || on_purpose { "verdict ok" } else { "verdict fail" };
    html! {
        <div class={class}>
            <p class="verdict-title">{ title }</p>
            if let Some(cause) = verdict.cause {
                <p class="cause">{ words::why(cause.words(), verdict.final_reply) }</p>
            }
            <p>{ verdict.summary.clone() }</p>
            if let Some(fix) = &verdict.fix {
                <p class="fix"><strong>{ words::FIX }</strong>{ " " }{ fix.clone() }</p>
            }
            if props.branched {
                <p class="hint">{ words::BRANCHED }</p>
            }
            if let Some(position) = props.looking_back {
                <p class="hint">{ words::looking_back(position) }</p>
            }
            if let Some(index) = verdict.event {
                <button type="button" class="link" onclick={on_click(&props.on_action, Action::Seek(index))}>
                    { words::SHOW_WHERE }
                </button>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ComparisonProps {
    pub cells: Rc<Vec<Cell>>,
    pub current: DataMode,
    pub hidden: bool,
    pub ipv6: bool,
    /// The server's passive range, for the note under the table.
    pub passive_range: (u16, u16),
}

#[component]
pub fn ComparisonPanel(props: &ComparisonProps) -> Html {
    if props.hidden {
        return html! { <p class="note">{ every::HIDDEN }</p> };
    }
    let note = |mode: DataMode| match mode {
        DataMode::Pasv | DataMode::Auto if props.ipv6 => Some(every::USES_EPSV),
        DataMode::Port if props.ipv6 => Some(every::USES_EPRT),
        _ => None,
    };
    html! {
        <>
            <table>
                <thead><tr><th scope="col">{ every::MODE }</th><th scope="col">{ every::RESULT }</th></tr></thead>
                <tbody>
                    { for props.cells.iter().map(|cell| {
                        let ok = cell.outcome == RunOutcome::Ok;
                        html! {
                            <tr class={classes!(if ok { "ok" } else { "fail" }, (cell.mode == props.current).then_some("current"))}>
                                <th scope="row">
                                    { crate::messages::settings::mode(cell.mode) }
                                    if let Some(note) = note(cell.mode) { <span class="mode-note">{ note }</span> }
                                </th>
                                <td>{ if ok { every::WORKS.to_owned() } else { every::fails(&cell.text) } }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
            <p class="note">{ every::note(props.passive_range.0, props.passive_range.1) }</p>
        </>
    }
}
