//! Browser entry point: Trunk builds this binary for wasm32 and the page runs it.

#[cfg(target_arch = "wasm32")]
fn main() {
    ftpsim::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "ftpsim-web is the browser app; build it with `trunk build --release`, or run the `ftpsim` terminal runner."
    );
    std::process::exit(2);
}
