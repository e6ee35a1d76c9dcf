//! Browser entry point: Trunk builds this binary for wasm32 and the page runs it.

// SAFETY: talc's WebAssembly allocator takes memory only from `memory.grow`, which nothing else
// in this single-threaded page calls; this is the use its documentation prescribes.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::TalckWasm = unsafe { talc::TalckWasm::new_global() };

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
