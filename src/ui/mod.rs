//! The browser app: a thin Yew view over the engine. Compiled for wasm32 only.
//!
//! It owns no simulation logic: it renders what the engine computed and sends user actions back.

use yew::prelude::*;

/// Mounts the app on the page body.
pub fn start() {
    yew::Renderer::<App>::new().render();
}

/// The root component.
#[function_component(App)]
pub fn app() -> Html {
    html! {
        <main class="app">
            <h1>{ "FTP modes: active and passive" }</h1>
            <p class="version">{ format!("ftpsim engine {}", crate::VERSION) }</p>
        </main>
    }
}
