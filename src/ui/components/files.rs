//! The Files dialog: save and open scenario files, export the transcript and the drawings.

use yew::prelude::*;

use super::on_click;
use crate::classroom::Action;
use crate::messages::page::files as say;
use crate::ui::files::{Export, read_json};

#[derive(Properties, PartialEq)]
pub struct FilesProps {
    pub on_action: Callback<Action>,
    /// Saves one of the files (the page computes it from what is on screen).
    pub on_export: Callback<Export>,
}

#[component]
pub fn FilesDialog(props: &FilesProps) -> Html {
    let first = use_node_ref();
    {
        let first = first.clone();
        use_effect_with((), move |_| {
            if let Some(button) = first.cast::<web_sys::HtmlElement>() {
                let _ = button.focus();
            }
        });
    }
    let export = |what: Export| {
        let on_export = props.on_export.clone();
        Callback::from(move |_: MouseEvent| on_export.emit(what))
    };
    let on_open = {
        let on_action = props.on_action.clone();
        Callback::from(move |event: Event| {
            let input = event.target_unchecked_into::<web_sys::HtmlInputElement>();
            let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
            // The same file can be picked again after a fix.
            input.set_value("");
            let on_action = on_action.clone();
            read_json(file, move |read| {
                on_action.emit(match read {
                    Ok(json) => Action::OpenScenario(json),
                    Err(why) => Action::UnreadableFile(why),
                })
            });
        })
    };
    let stop_keys = Callback::from(|event: KeyboardEvent| {
        if event.key() != "Escape" {
            event.stop_propagation();
        }
    });
    html! {
        <div class="dialog-backdrop">
            <section class="dialog files" role="dialog" aria-modal="true" aria-labelledby="files-title" onkeydown={stop_keys}>
                <h2 id="files-title">{ say::TITLE }</h2>
                <h3>{ say::SCENARIO }</h3>
                <p class="help">{ say::SCENARIO_HELP }</p>
                <div class="actions">
                    <button type="button" ref={first} onclick={export(Export::Scenario)}>{ say::SAVE_SCENARIO }</button>
                    <label class="file-button">{ say::OPEN_SCENARIO }
                        <input type="file" accept=".json,application/json" onchange={on_open} />
                    </label>
                </div>
                <h3>{ say::EXPORT }</h3>
                <div class="actions">
                    <button type="button" onclick={export(Export::Transcript)}>{ say::TRANSCRIPT }</button>
                    <button type="button" onclick={export(Export::Topology)}>{ say::TOPOLOGY }</button>
                </div>
                <div class="actions">
                    <button type="button" onclick={on_click(&props.on_action, Action::CloseDialog)}>{ say::CLOSE }</button>
                </div>
            </section>
        </div>
    }
}
