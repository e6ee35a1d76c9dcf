//! The boundaries that keep the engine testable: no web crate, no clock, no I/O.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Engine source files: everything under src/ except the browser UI and the two program entry
/// points, which are allowed to talk to the outside world.
fn engine_sources() -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                found.push(path);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    walk(&src, &mut found);
    found.retain(|path| {
        let relative = path.strip_prefix(&src).unwrap_or(path);
        !(relative.starts_with("ui") || relative.starts_with("bin") || relative == Path::new("main.rs"))
    });
    found.sort();
    found
}

#[test]
fn engine_modules_do_not_touch_the_web_a_clock_or_io() {
    let forbidden = [
        ("yew", "a web crate"),
        ("web_sys", "a web crate"),
        ("js_sys", "a web crate"),
        ("gloo", "a web crate"),
        ("wasm_bindgen", "a web crate"),
        ("std::time", "the wall clock (use crate::time)"),
        ("SystemTime", "the wall clock"),
        ("Instant::now", "the wall clock"),
        ("std::fs", "file I/O"),
        ("std::io::stdin", "console I/O"),
        ("TcpStream", "real sockets"),
        ("TcpListener", "real sockets"),
        ("UdpSocket", "real sockets"),
        ("thread_rng", "unseeded randomness"),
        ("rand::", "unseeded randomness"),
        ("println!", "console output"),
    ];
    let sources = engine_sources();
    assert!(sources.len() > 5, "found only {sources:?}");
    let mut violations = Vec::new();
    for path in &sources {
        let text = std::fs::read_to_string(path).expect("source is readable");
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for (needle, what) in forbidden {
                if code.contains(needle) {
                    violations.push(format!("{}:{}: uses {what}: {}", path.display(), number + 1, line.trim()));
                }
            }
        }
    }
    assert!(violations.is_empty(), "engine code must stay pure:\n{}", violations.join("\n"));
}

#[test]
fn native_dependency_tree_has_no_web_crates() {
    let output = Command::new(env!("CARGO"))
        .args(["tree", "--edges", "normal", "--prefix", "none", "--offline", "--package", "ftpsim"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let tree = String::from_utf8_lossy(&output.stdout);
    for web_crate in ["yew ", "web-sys ", "gloo", "wasm-bindgen ", "js-sys "] {
        assert!(!tree.lines().any(|line| line.starts_with(web_crate)), "native build pulls in {web_crate}:\n{tree}");
    }
    assert!(tree.lines().any(|line| line.starts_with("serde ")), "serde is used by both builds:\n{tree}");
}

/// Which modules each layer may not import: a lower layer never knows the layers above it
/// (smoltcp's rule), so `net` hands out opaque handles instead of naming FTP's types.
const LAYERS: [(&str, &[&str]); 9] = [
    ("time", &["rng", "ftp", "net", "messages", "sim", "assess", "classroom", "picture", "ui"]),
    ("rng", &["ftp", "net", "messages", "sim", "assess", "classroom", "picture", "ui"]),
    ("ftp", &["net", "messages", "sim", "assess", "classroom", "picture", "ui"]),
    ("net", &["ftp", "messages", "sim", "assess", "classroom", "picture", "ui"]),
    // The words for the engines' typed facts: below the simulation, which passes names in.
    ("messages", &["sim", "assess", "classroom", "picture", "ui"]),
    ("sim", &["assess", "classroom", "picture", "ui"]),
    // Questions about a run: above the simulation, below the classroom that asks them.
    ("assess", &["classroom", "picture", "ui"]),
    ("classroom", &["picture", "ui"]),
    ("picture", &["ui"]),
];

#[test]
fn lower_layers_never_import_upper_ones() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    for path in engine_sources() {
        let relative = path.strip_prefix(&src).unwrap_or(&path).to_path_buf();
        let in_layer = |layer: &str| relative.starts_with(layer) || relative.starts_with(format!("{layer}.rs"));
        let Some((_, above)) = LAYERS.iter().find(|(layer, _)| in_layer(layer)) else {
            continue;
        };
        let text = std::fs::read_to_string(&path).expect("source is readable");
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for module in *above {
                if code.contains(&format!("crate::{module}::")) || code.contains(&format!("crate::{module};")) {
                    violations.push(format!(
                        "{}:{}: imports {module}: {}",
                        relative.display(),
                        number + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(violations.is_empty(), "a lower layer imports an upper one:\n{}", violations.join("\n"));
}
