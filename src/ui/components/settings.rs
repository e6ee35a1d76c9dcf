//! The settings form, generated from the one settings table (`sim::settings`): every control,
//! its label, its values and the `Change` it makes come from there.

use yew::prelude::*;

use crate::classroom::Action;
use crate::messages::page::pending as waiting;
use crate::sim::scenario::Scenario;
use crate::sim::settings::{Group, Kind, Setting, on_page};

/// What the settings form shows.
pub struct SettingsProps<'a> {
    /// What the form shows: the run's settings with any pending changes.
    pub form: &'a Scenario,
    /// The run's settings, to mark what is changed but not applied.
    pub run: &'a Scenario,
    /// Changes when an input was refused, so the field shows the value in force again.
    pub revision: u32,
    pub on_action: &'a Callback<Action>,
}

/// The action for a value of `setting`: the change it makes, or why it is refused.
fn action_for(setting: &'static Setting, value: &str) -> Action {
    match setting.parse(value) {
        Ok(change) => Action::Change(change),
        Err(error) => Action::Refuse(error),
    }
}

fn field(setting: &'static Setting, props: &SettingsProps<'_>) -> Html {
    let id = format!("setting-{}", setting.key);
    let value = setting.value(props.form);
    let changed = value != setting.value(props.run);
    let unavailable = setting.unavailable(props.form);
    let mark = changed.then(|| {
        html! { <span class="pending-mark" title={waiting::MARK}>{ "●" }<span class="visually-hidden">{ waiting::MARK }</span></span> }
    });
    let why = unavailable.map(|why| html! { <span class="unavailable">{ why }</span> });
    let on_action = props.on_action.clone();
    match setting.kind {
        Kind::Switch { .. } => {
            let onchange = Callback::from(move |event: Event| {
                let checked = event.target_unchecked_into::<web_sys::HtmlInputElement>().checked();
                if let Some(change) = setting.switch(checked) {
                    on_action.emit(Action::Change(change));
                }
            });
            html! {
                <div ~className={if changed { "toggle changed" } else { "toggle" }} title={setting.help}>
                    <input type="checkbox" id={id.clone()} checked={setting.is_on(props.form)}
                           disabled={unavailable.is_some()} {onchange} />
                    <label for={id}>{ setting.label }</label>{ mark }{ why }
                </div>
            }
        }
        Kind::Choice(choices) => {
            let onchange = Callback::from(move |event: Event| {
                let index = event.target_unchecked_into::<web_sys::HtmlSelectElement>().selected_index();
                if let Some(choice) = usize::try_from(index).ok().and_then(|index| choices.get(index)) {
                    on_action.emit(action_for(setting, choice.token));
                }
            });
            html! {
                <div ~className={if changed { "field changed" } else { "field" }} title={setting.help}>
                    <label for={id.clone()}>{ setting.label }{ mark }</label>
                    <select id={id} disabled={unavailable.is_some()} {onchange}>
                        { for choices.iter().map(|choice| html! {
                            <option value={choice.token} selected={choice.token == value}>{ choice.label }</option>
                        }) }
                    </select>
                    { why }
                </div>
            }
        }
        Kind::Number { .. } | Kind::OptionalNumber { .. } | Kind::Ports => {
            let onchange = Callback::from(move |event: Event| {
                let text = event.target_unchecked_into::<web_sys::HtmlInputElement>().value();
                on_action.emit(action_for(setting, &text));
            });
            // A number field where the value is only a number; text where it may be a word
            // ("none") or a list ("21,2121").
            let (kind, min, max) = match setting.kind {
                Kind::Number { min, max } => ("number", Some(min.to_string()), Some(max.to_string())),
                _ => ("text", None, None),
            };
            html! {
                <div ~className={if changed { "field changed" } else { "field" }} title={setting.help}>
                    <label for={id.clone()}>{ setting.label }{ mark }</label>
                    // Keyed by the revision: a refused value is replaced by the one in force.
                    <input key={props.revision} type={kind} id={id} {min} {max} value={value} {onchange} />
                </div>
            }
        }
    }
}

/// The form: a function rather than a component, like the other panels (a component's
/// machinery costs the download more than its props check saves: BENCHMARKS.md).
pub fn settings_form(props: &SettingsProps<'_>) -> Html {
    html! {
        <div class="settings-form">
            { for Group::ALL.into_iter().map(|group| html! {
                <fieldset>
                    <legend>{ group.label() }</legend>
                    { for on_page(group).map(|setting| field(setting, props)) }
                </fieldset>
            }) }
        </div>
    }
}
