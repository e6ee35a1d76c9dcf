//! A QR code of a link, as SVG, for the projector: the class points their phones at the screen
//! instead of typing an address. The `qrcodegen` crate (Nayuki's reference encoder) encodes;
//! this module draws the modules as one SVG path. Left out on purpose: colours and logos (a
//! plain black-on-white code scans best off a projector).

use qrcodegen::{QrCode, QrCodeEcc};

use crate::messages::page::share as say;

/// The light margin around the code, in modules (the standard asks for 4).
const QUIET_ZONE: i32 = 4;

/// Why a text has no QR code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    #[error("{}", say::too_long_for_qr(*length))]
    TooLong { length: usize },
}

/// The QR code of `text` as an SVG element with `label` as its accessible name; the page sizes
/// it (it scales without blur).
pub fn svg(text: &str, label: &str) -> Result<String, QrError> {
    // Medium error correction: survives a projector's glare and a keystone, and still holds
    // the longest link this page writes.
    let code = QrCode::encode_text(text, QrCodeEcc::Medium).map_err(|_| QrError::TooLong { length: text.len() })?;
    let size = code.size();
    let mut path = String::new();
    for y in 0..size {
        for x in 0..size {
            if code.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + QUIET_ZONE, y + QUIET_ZONE));
            }
        }
    }
    let side = size + 2 * QUIET_ZONE;
    // The label is ours (a message), never typed text.
    Ok(format!(
        "<svg class=\"qr\" role=\"img\" aria-label=\"{label}\" viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\"><rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_becomes_a_labelled_svg_with_its_quiet_zone() {
        let svg = svg("http://127.0.0.1:8080/#v=1&lesson=active-nat", "QR code").expect("fits");
        assert!(svg.starts_with("<svg class=\"qr\" role=\"img\" aria-label=\"QR code\""), "{}", &svg[..80]);
        // Version 4 (33 modules) for this length at medium correction, plus 4 on each side.
        assert!(svg.contains("viewBox=\"0 0 41 41\""), "{}", &svg[..160]);
        // The finder pattern's corner module sits just inside the quiet zone.
        assert!(svg.contains("M4,4h1v1h-1z"));
    }

    #[test]
    fn a_text_too_long_for_any_qr_code_says_so() {
        let error = svg(&"x".repeat(5000), "QR code").expect_err("too long");
        assert!(error.to_string().contains("5000"), "{error}");
    }
}
