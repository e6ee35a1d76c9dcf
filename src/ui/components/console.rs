//! The console panel: a line to type FTP commands as the client, and the lines sent with the
//! replies they had got by the step on screen. Everything typed is shown as text nodes.
//!
//! A plain function rather than a component: it keeps no state of its own (the field is read
//! from the page when the line is sent), and a component's machinery would cost the page's download
//! budget more than the panel itself.

use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::on_click;
use crate::classroom::Action;
use crate::ftp::console::{MAX_LINE, check_line};
use crate::messages::console::panel as say;

/// The console panel: `log` is the console's log at the cursor as text, a line sent then its
/// replies (empty while the client program runs its own commands).
pub fn console_panel(log: String, on_action: &Callback<Action>) -> Html {
    let on_submit = {
        let on_action = on_action.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let field = web_sys::window()
                .and_then(|window| window.document())
                .and_then(|document| document.get_element_by_id("console-line"))
                .and_then(|field| field.dyn_into::<web_sys::HtmlInputElement>().ok());
            let Some(field) = field else { return };
            let line = field.value();
            // A line the console takes leaves the field for the next; a refused one stays to be
            // mended (the notice says why).
            if check_line(&line).is_ok() {
                field.set_value("");
            }
            on_action.emit(Action::Type(line));
        })
    };
    let on = !log.is_empty();
    html! {
        <div class="console">
            <p class="console-help">{ say::HELP }</p>
            <div class="console-scroll"><pre class="console-log" aria-label={say::LOG}>{ log }</pre></div>
            <form class="console-form" onsubmit={on_submit}>
                <label for="console-line">{ say::LABEL }</label>
                <input id="console-line" type="text" maxlength={MAX_LINE.to_string()} autocomplete="off"
                       autocapitalize="off" spellcheck="false" />
                <button type="submit">{ say::SEND }</button>
                if on {
                    <button type="button" onclick={on_click(on_action, Action::ClearConsole)}>{ say::CLEAR }</button>
                }
            </form>
        </div>
    }
}
