//! Caption, verdict, comparison table, quiz, the restart-or-branch question, and messages.

use yew::prelude::*;

use crate::sim::caption;
use crate::sim::scenario::PASSIVE_RANGE;
use crate::sim::trace::NodeId;
use crate::sim::verdict::RunOutcome;
use crate::classroom::Classroom;
use crate::ui::state::{Action, QuizAnswer, quiz_truth};

/// The caption for the current event (the lesson's introduction at the start).
pub fn caption_panel(classroom: &Classroom) -> Html {
    let position = classroom.position();
    let lesson_intro = (position == 0).then(|| classroom.current_lesson()).flatten();
    let caption = caption::for_event(&classroom.timeline, position);
    let (headline, body) = match &lesson_intro {
        Some(lesson) => (lesson.title.to_owned(), lesson.intro.to_owned()),
        None => (caption.headline.clone(), caption.body.clone()),
    };
    let event_text = classroom.timeline.events().get(position).map(|event| event.text.clone()).unwrap_or_default();
    html! {
        <section class="panel caption-panel" aria-label="What is happening">
            <p class="headline">{ headline.clone() }</p>
            <p class="body">{ body.clone() }</p>
            <p class="event-text">{ event_text }</p>
            <div class="visually-hidden" aria-live="polite" aria-atomic="true">
                { if classroom.announce { format!("{headline}. {body}") } else { String::new() } }
            </div>
        </section>
    }
}

/// The verdict: in progress, or how the run ended and what would fix it.
pub fn verdict_panel(classroom: &Classroom, dispatch: &Callback<Action>) -> Html {
    let verdict = classroom.timeline.verdict();
    let finished = classroom.position() >= classroom.last();
    let server_nat = classroom.scenario.server_nat_active();
    let content = if !finished {
        html! { <p class="pending">{ "Session in progress… the verdict appears at the end." }</p> }
    } else {
        let (class, title) = match verdict.outcome {
            RunOutcome::Ok => ("ok", "✓ Completed".to_owned()),
            RunOutcome::Fail => (
                "fail",
                format!(
                    "✗ Failed{}",
                    verdict.device.map(|device| format!(" — {}", device.label(server_nat))).unwrap_or_default()
                ),
            ),
        };
        let jump = verdict.event.map(|index| {
            let dispatch = dispatch.clone();
            html! {
                <button class="link" onclick={Callback::from(move |_| dispatch.emit(Action::Seek(index)))}>
                    { "Show where it went wrong" }
                </button>
            }
        });
        html! {
            <div class={classes!("verdict", class)}>
                <p class="verdict-title">{ title }</p>
                if let Some(cause) = verdict.cause {
                    <p class="cause">{ format!("Cause: {cause}") }{ verdict.final_reply.map(|code| format!(" · last reply {code}")).unwrap_or_default() }</p>
                }
                <p>{ verdict.summary.clone() }</p>
                if let Some(fix) = &verdict.fix {
                    <p class="fix"><strong>{ "Fix: " }</strong>{ fix.clone() }</p>
                }
                { jump.unwrap_or_default() }
            </div>
        }
    };
    html! {
        <section class="panel verdict-panel" role="status" aria-label="Verdict">
            <h2>{ "Verdict" }</h2>
            { content }
        </section>
    }
}

/// Every mode on the current network, each a full run.
pub fn comparison_table(classroom: &Classroom) -> Html {
    html! {
        <section class="panel comparison" aria-label="Every mode on this network">
            <h2>{ "This network, every mode" }</h2>
            <table>
                <thead><tr><th>{ "Mode" }</th><th>{ "Result" }</th></tr></thead>
                <tbody>
                    { for classroom.comparison.iter().map(|cell| {
                        let ok = cell.outcome == RunOutcome::Ok;
                        let text = if ok { "✓ works".to_owned() } else { format!("✗ {}", cell.text) };
                        html! {
                            <tr class={classes!(if ok { "ok" } else { "fail" }, (cell.mode == classroom.scenario.mode).then_some("current"))}>
                                <td>{ cell.mode.label() }</td>
                                <td>{ text }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
            <p class="note">{ format!("Each row is a full run of the simulator on the settings shown (passive ports {}–{}).", PASSIVE_RANGE.0, PASSIVE_RANGE.1) }</p>
        </section>
    }
}

/// The quiz question, or its answer.
pub fn quiz_panel(classroom: &Classroom, dispatch: &Callback<Action>) -> Html {
    let quiz = &classroom.quiz;
    let Some(at) = quiz.at.filter(|at| quiz.enabled && classroom.position() >= *at) else {
        return html! {};
    };
    let _ = at;
    let truth = quiz_truth(&classroom.timeline);
    let server_nat = classroom.scenario.server_nat_active();
    let label = |answer: QuizAnswer| match answer {
        QuizAnswer::ServerEdge => format!("It fails at the {}", NodeId::ServerEdge.label(server_nat).to_lowercase()),
        other => other.label().to_owned(),
    };
    html! {
        <section class="panel quiz" role="dialog" aria-label="Quiz" aria-modal="false">
            <h2>{ "Quiz: will this work? Where will it fail?" }</h2>
            if let Some(answer) = quiz.answer {
                <p class={if answer == truth { "right" } else { "wrong" }}>
                    { if answer == truth { "✓ Right! " } else { "✗ Not this time. " } }
                    { format!("The answer: {}.", label(truth)) }
                </p>
                <p>{ classroom.timeline.verdict().summary.clone() }</p>
                <p class="hint">{ "Keep stepping to watch it happen." }</p>
            } else {
                <p>{ "The data connection is about to be set up. Discuss, then choose:" }</p>
                <div class="answers">
                    { for QuizAnswer::ALL.iter().map(|answer| {
                        let dispatch = dispatch.clone();
                        let answer = *answer;
                        html! { <button onclick={Callback::from(move |_| dispatch.emit(Action::Answer(answer)))}>{ label(answer) }</button> }
                    }) }
                </div>
            }
        </section>
    }
}

/// Restart with the change, or branch from this step?
pub fn pending_panel(classroom: &Classroom, dispatch: &Callback<Action>) -> Html {
    let Some(pending) = &classroom.pending else {
        return html! {};
    };
    let click = |action: Action| {
        let dispatch = dispatch.clone();
        Callback::from(move |_| dispatch.emit(action.clone()))
    };
    html! {
        <section class="panel pending-change" role="dialog" aria-label="Apply the change">
            <p>{ format!("Change: {}.", pending.description) }</p>
            if let Some(why) = &pending.restart_only {
                <p class="hint">{ format!("This one needs a fresh start: {why}.") }</p>
            }
            <div class="answers">
                <button class="primary" onclick={click(Action::ConfirmRestart)}>{ "Restart with it" }</button>
                if pending.restart_only.is_none() {
                    <button onclick={click(Action::ConfirmBranch)}>{ "Branch from this step" }</button>
                }
                <button onclick={click(Action::CancelChange)}>{ "Cancel" }</button>
            </div>
        </section>
    }
}

/// Input that was not accepted, and why.
pub fn message_bar(classroom: &Classroom, dispatch: &Callback<Action>) -> Html {
    let Some(message) = &classroom.message else {
        return html! {};
    };
    let dispatch = dispatch.clone();
    html! {
        <div class="message" role="alert">
            <span>{ message.clone() }</span>
            <button class="link" onclick={Callback::from(move |_| dispatch.emit(Action::DismissMessage))}>{ "Dismiss" }</button>
        </div>
    }
}
