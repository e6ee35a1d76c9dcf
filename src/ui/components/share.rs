//! The Share dialog: the link of what is on screen, to copy, or as a QR code for the projector.

use yew::prelude::*;

use super::{Markup, on_click};
use crate::classroom::Action;
use crate::messages::page::share as say;

#[derive(Properties, PartialEq)]
pub struct ShareProps {
    /// The full address, or why there is none.
    pub link: Result<AttrValue, AttrValue>,
    /// The QR code's SVG, when shown (or why there is none).
    pub qr: Option<Result<AttrValue, AttrValue>>,
    pub copied: bool,
    pub on_action: Callback<Action>,
}

#[component]
pub fn ShareDialog(props: &ShareProps) -> Html {
    let field = use_node_ref();
    // The link is selected as the dialog opens, so Ctrl+C works even where the clipboard API
    // is not allowed (an old browser, a page not served over HTTPS).
    {
        let field = field.clone();
        use_effect_with((), move |_| {
            if let Some(input) = field.cast::<web_sys::HtmlInputElement>() {
                let _ = input.focus();
                input.select();
            }
        });
    }
    let on_copy = {
        let on_action = props.on_action.clone();
        let field = field.clone();
        let link = props.link.clone().ok();
        Callback::from(move |_: MouseEvent| {
            if let (Some(link), Some(window)) = (&link, web_sys::window()) {
                // The promise settles later; either way the link stays selected in the field.
                let _ = window.navigator().clipboard().write_text(link);
            }
            if let Some(input) = field.cast::<web_sys::HtmlInputElement>() {
                input.select();
            }
            on_action.emit(Action::Copied);
        })
    };
    let stop_keys = Callback::from(|event: KeyboardEvent| {
        // Arrows and Space belong to the dialog's controls here, not to the stage.
        if event.key() != "Escape" {
            event.stop_propagation();
        }
    });
    html! {
        <div class="dialog-backdrop">
            <section class="dialog share" role="dialog" aria-modal="true" aria-labelledby="share-title" onkeydown={stop_keys}>
                <h2 id="share-title">{ say::TITLE }</h2>
                { match &props.link {
                    Ok(link) => html! {
                        <>
                            <label class="field" for="share-link">{ say::LINK }</label>
                            <input id="share-link" ref={field} type="text" readonly=true value={link.clone()} />
                            <div class="actions">
                                <button type="button" class="primary" onclick={on_copy}>{ say::COPY }</button>
                                <button type="button" aria-pressed={props.qr.is_some().to_string()}
                                        onclick={on_click(&props.on_action, Action::ToggleQr)}>
                                    { if props.qr.is_some() { say::HIDE_QR } else { say::SHOW_QR } }
                                </button>
                                <button type="button" onclick={on_click(&props.on_action, Action::CloseDialog)}>{ say::CLOSE }</button>
                            </div>
                            if props.copied {
                                <p class="status" role="status">{ say::COPIED }</p>
                            }
                            { match &props.qr {
                                Some(Ok(svg)) => html! { <div class="qr-box"><Markup html={svg.clone()} /></div> },
                                Some(Err(why)) => html! { <p class="status" role="status">{ why.clone() }</p> },
                                None => Html::default(),
                            } }
                        </>
                    },
                    Err(why) => html! {
                        <>
                            <p role="status">{ why.clone() }</p>
                            <div class="actions">
                                <button type="button" onclick={on_click(&props.on_action, Action::CloseDialog)}>{ say::CLOSE }</button>
                            </div>
                        </>
                    },
                } }
            </section>
        </div>
    }
}
