//! The console panel: a line to type FTP commands as the client, and the lines sent with the
//! replies they had got by the step on screen. Everything typed is shown as text nodes.

use std::rc::Rc;

use yew::prelude::*;

use super::on_click;
use crate::classroom::{Action, ConsoleLine};
use crate::ftp::console::{MAX_LINE, Sender, check_line};
use crate::messages::console::panel as say;

#[derive(Properties, PartialEq)]
pub struct ConsoleProps {
    /// The console's log at the cursor (empty while the client program runs its own commands).
    pub lines: Rc<Vec<ConsoleLine>>,
    /// Lines were typed: the session is the student's.
    pub on: bool,
    pub on_action: Callback<Action>,
}

#[component]
pub fn ConsolePanel(props: &ConsoleProps) -> Html {
    let input = use_node_ref();
    let on_submit = {
        let on_action = props.on_action.clone();
        let input = input.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Some(field) = input.cast::<web_sys::HtmlInputElement>() else { return };
            let line = field.value();
            // A line the console takes leaves the field for the next; a refused one stays to be
            // mended (the notice says why).
            if check_line(&line).is_ok() {
                field.set_value("");
            }
            on_action.emit(Action::Type(line));
        })
    };
    let last_typed = props.lines.iter().rposition(|line| line.sender == Sender::Typed);
    let rows = props.lines.iter().enumerate().map(|(index, line)| {
        let sent = match line.sender {
            Sender::Typed => html! { <code class="console-sent">{ line.sent.clone() }</code> },
            _ => html! { <span class="console-sent">{ line.sent.clone() }</span> },
        };
        let sent = match line.event {
            Some(event) => html! {
                <button type="button" class="console-seek" onclick={on_click(&props.on_action, Action::Seek(event))}>{ sent }</button>
            },
            None => sent,
        };
        let waiting = Some(index) == last_typed && line.replies.is_empty() && line.notes.is_empty();
        let class = match line.sender {
            Sender::Typed => "typed",
            Sender::Login | Sender::Connection => "login",
        };
        html! {
            <li key={index} class={class}>
                { sent }
                { for line.replies.iter().map(|reply| html! { <span class="console-reply">{ reply.clone() }</span> }) }
                { for line.notes.iter().map(|note| html! { <span class="console-note">{ note.clone() }</span> }) }
                if waiting {
                    <span class="console-note">{ say::WAITING }</span>
                }
            </li>
        }
    });
    html! {
        <div class="console">
            <p class="console-help">{ say::HELP }</p>
            <div class="console-scroll">
                if props.lines.is_empty() {
                    <p class="console-help">{ say::EMPTY }</p>
                } else {
                    <ol class="console-log" aria-label={say::LOG}>{ for rows }</ol>
                }
            </div>
            <form class="console-form" onsubmit={on_submit}>
                <label for="console-line">{ say::LABEL }</label>
                <input id="console-line" type="text" ref={input} maxlength={MAX_LINE.to_string()} autocomplete="off"
                       autocapitalize="off" spellcheck="false" />
                <button type="submit">{ say::SEND }</button>
                if props.on {
                    <button type="button" onclick={on_click(&props.on_action, Action::ClearConsole)}>{ say::CLEAR }</button>
                }
            </form>
        </div>
    }
}
