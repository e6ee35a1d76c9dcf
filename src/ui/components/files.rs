//! The Files dialog: save and open scenario files, export the transcript, the drawings and
//! packet captures.

use yew::prelude::*;

use super::on_click;
use crate::classroom::stored::Saved;
use crate::classroom::{Action, FilesNote, Printout};
use crate::messages::page::files as say;
use crate::messages::page::stored as kept;
use crate::sim::capture::CapturePoint;
use crate::ui::files::{Export, read_json};

/// What the Files dialog shows and where its buttons go.
pub struct FilesProps<'a> {
    /// Scenarios saved under a name.
    pub saved: &'a [Saved],
    /// What the last save or delete did.
    pub note: Option<FilesNote>,
    /// The browser keeps what is saved (false: only until the tab closes).
    pub keeps: bool,
    pub on_action: &'a Callback<Action>,
    /// Saves one of the files (the page computes it from what is on screen).
    pub on_export: &'a Callback<Export>,
    /// The dialog's first button (focused as it opens, by App) and its name field.
    pub first: &'a NodeRef,
    pub name: &'a NodeRef,
}

/// The Files dialog: a function rather than a component (a component's machinery costs the
/// download more than this dialog's props check would save; App focuses its first button).
pub fn files_dialog(props: FilesProps) -> Html {
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
    let on_save = {
        let on_action = props.on_action.clone();
        let name = props.name.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if let Some(input) = name.cast::<web_sys::HtmlInputElement>() {
                on_action.emit(Action::SaveAs(input.value()));
            }
        })
    };
    let note = props.note.as_ref().map(|note| match note {
        FilesNote::Saved(name) => (false, kept::saved_as(name)),
        FilesNote::Deleted(name) => (false, kept::deleted(name)),
        FilesNote::NotSaved(problem) => (true, kept::not_saved(&problem.to_string())),
    });
    let saved = props.saved.iter().enumerate().map(|(index, saved)| {
        html! {
            <li key={saved.name.clone()}>
                <span class="saved-name">{ saved.name.clone() }</span>
                <button type="button" aria-label={kept::open_label(&saved.name)}
                        onclick={on_click(props.on_action, Action::OpenSaved(index))}>{ kept::OPEN }</button>
                <button type="button" aria-label={kept::delete_label(&saved.name)}
                        onclick={on_click(props.on_action, Action::DeleteSaved(index))}>{ kept::DELETE }</button>
            </li>
        }
    });
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
                    <button type="button" ref={props.first.clone()} onclick={export(Export::Scenario)}>{ say::SAVE_SCENARIO }</button>
                    <label class="file-button">{ say::OPEN_SCENARIO }
                        <input type="file" accept=".json,application/json" onchange={on_open} />
                    </label>
                </div>
                <h3>{ kept::SAVED_TITLE }</h3>
                <p class="help">{ if props.keeps { kept::SAVED_HELP } else { kept::UNAVAILABLE } }</p>
                <form class="actions save-as" onsubmit={on_save}>
                    <label>{ kept::NAME_LABEL }
                        <input type="text" ref={props.name.clone()} maxlength="60" autocomplete="off" />
                    </label>
                    <button type="submit">{ kept::SAVE }</button>
                </form>
                if let Some((problem, text)) = note {
                    <p ~className={if problem { "files-note problem" } else { "files-note" }} role="status">{ text }</p>
                }
                if props.saved.is_empty() {
                    <p class="help">{ kept::NONE_SAVED }</p>
                } else {
                    <ul class="saved-list">{ for saved }</ul>
                }
                <h3>{ say::EXPORT }</h3>
                <div class="actions">
                    <button type="button" onclick={export(Export::Transcript)}>{ say::TRANSCRIPT }</button>
                    <button type="button" onclick={export(Export::Topology)}>{ say::TOPOLOGY }</button>
                    <button type="button" onclick={export(Export::Ladder)}>{ say::LADDER }</button>
                </div>
                <h3>{ say::CAPTURE }</h3>
                <p class="help">{ say::CAPTURE_HELP }</p>
                <div class="actions">
                    { for CapturePoint::ALL.into_iter().map(|point| html! {
                        <button type="button" onclick={export(Export::Capture(point))}>{ point.label() }</button>
                    }) }
                </div>
                <h3>{ say::PRINT }</h3>
                <p class="help">{ say::PRINT_HELP }</p>
                <div class="actions">
                    { for Printout::ALL.into_iter().zip(say::PRINTS).map(|(printout, label)| html! {
                        <button type="button" onclick={on_click(props.on_action, Action::Print(printout))}>{ label }</button>
                    }) }
                </div>
                <div class="actions">
                    <button type="button" onclick={on_click(props.on_action, Action::CloseDialog)}>{ say::CLOSE }</button>
                </div>
            </section>
        </div>
    }
}
