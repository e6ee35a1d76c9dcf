//! The Share dialog: the link of what is on screen, to copy, or as a QR code for the projector.

use yew::prelude::*;

use super::{Look, button, text_button};
use crate::classroom::Action;
use crate::messages::page::share as say;

/// The Share dialog. `link`: the full address, or why there is none; `qr`: the QR code's SVG,
/// when shown (or why there is none); `embed_code`: the `<iframe>` code for a course page, when
/// shown instead of the link (or why there is none). `field` is the link's field: the page
/// selects it as the dialog opens, so Ctrl+C works even where the clipboard API is not allowed
/// (an old browser, a page not served over HTTPS).
pub fn share_dialog(
    link: &Result<AttrValue, AttrValue>,
    qr: Option<Result<AttrValue, AttrValue>>,
    copied: bool,
    embed_code: Option<Result<AttrValue, AttrValue>>,
    field: &NodeRef,
    on_action: &Callback<Action>,
) -> Html {
    let on_copy = {
        let on_action = on_action.clone();
        let field = field.clone();
        let link = match &embed_code {
            Some(code) => code.clone().ok(),
            None => link.clone().ok(),
        };
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
                { match (link, &embed_code) {
                    (Ok(_), Some(Err(why))) | (Err(why), _) => html! {
                        <>
                            <p role="status">{ why.clone() }</p>
                            <div class="actions">{ text_button(say::CLOSE, Action::CloseDialog, on_action) }</div>
                        </>
                    },
                    (Ok(link), code) => html! {
                        <>
                            <label class="field" for="share-link">{ if code.is_some() { say::EMBED_LABEL } else { say::LINK } }</label>
                            <input id="share-link" ref={field.clone()} type="text" readonly=true
                                   value={code.clone().and_then(Result::ok).unwrap_or_else(|| link.clone())} />
                            <div class="actions">
                                <button type="button" class="primary" onclick={on_copy}>
                                    { if code.is_some() { say::COPY_EMBED } else { say::COPY } }
                                </button>
                                { button(Look { pressed: Some(qr.is_some()), ..Look::default() },
                                         Html::from(if qr.is_some() { say::HIDE_QR } else { say::SHOW_QR }),
                                         Action::ToggleQr, on_action) }
                                { text_button(if code.is_some() { say::SHOW_LINK } else { say::SHOW_EMBED },
                                              Action::ToggleEmbedCode, on_action) }
                                { text_button(say::CLOSE, Action::CloseDialog, on_action) }
                            </div>
                            if copied {
                                <p class="status" role="status">{ say::COPIED }</p>
                            }
                            { match qr {
                                Some(Ok(svg)) => html! { <div class="qr-box">{ Html::from_html_unchecked(svg) }</div> },
                                Some(Err(why)) => html! { <p class="status" role="status">{ why }</p> },
                                None => Html::default(),
                            } }
                        </>
                    },
                } }
            </section>
        </div>
    }
}
