//! Files in and out of the page: downloads made in the browser (no server), and a scenario file
//! opened from the computer. What goes into each file is computed natively elsewhere
//! (`sim::scenario_file`, `picture::transcript`, `picture::topology`); this module only hands
//! bytes to the browser and takes them back.

use wasm_bindgen::{JsCast, JsValue};

use crate::sim::scenario_file::Json;

/// Something the Files dialog saves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Export {
    /// The settings, as the JSON file `ftpsim run --scenario` reads.
    Scenario,
    /// The transcript as text.
    Transcript,
    /// The topology at the current step, as SVG.
    Topology,
    /// The ladder diagram up to the current step, as SVG.
    Ladder,
    /// The whole run as a packet capture taken at one point (pcap, for Wireshark).
    Capture(crate::sim::capture::CapturePoint),
}

/// Makes the browser save `contents` as `name`.
pub fn download(name: &str, mime: &str, contents: &[u8]) {
    let Some(document) = web_sys::window().and_then(|window| window.document()) else { return };
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(contents));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    if let Some(anchor) =
        document.create_element("a").ok().and_then(|element| element.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        anchor.set_href(&url);
        anchor.set_download(name);
        anchor.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// An SVG drawing of the page as a file of its own: the namespace a file needs, and the page's
/// stylesheet inside, so it looks as it does on the page.
pub fn standalone_svg(markup: &str) -> String {
    let styles = web_sys::window()
        .and_then(|window| window.document())
        .map(|document| {
            let sheets = document.style_sheets();
            let mut css = String::new();
            for index in 0..sheets.length() {
                let rules = sheets
                    .item(index)
                    .and_then(|sheet| sheet.dyn_into::<web_sys::CssStyleSheet>().ok())
                    .and_then(|sheet| sheet.css_rules().ok());
                if let Some(rules) = rules {
                    for rule in 0..rules.length() {
                        if let Some(rule) = rules.item(rule) {
                            css.push_str(&rule.css_text());
                            css.push('\n');
                        }
                    }
                }
            }
            css
        })
        .unwrap_or_default();
    let body = markup.replacen("<svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"", 1);
    // The stylesheet is the page's own (no visitor's text): it only needs its `]]>` kept out.
    let styles = styles.replace("]]>", "] ]>");
    match body.find('>') {
        Some(end) => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}<style><![CDATA[\n{styles}]]></style>{}",
            &body[..=end],
            &body[end + 1..]
        ),
        None => body,
    }
}

/// A parsed JSON value from the browser's `JSON.parse`, as the scenario reader takes it.
pub fn json_of(value: &JsValue) -> Json {
    if value.is_null() || value.is_undefined() {
        return Json::Null;
    }
    if let Some(flag) = value.as_bool() {
        return Json::Bool(flag);
    }
    if let Some(number) = value.as_f64() {
        // Whole, non-negative and exact: anything else no field takes.
        return if number >= 0.0 && number.fract() == 0.0 && number < 9_007_199_254_740_992.0 {
            Json::Number(number as u64)
        } else {
            Json::OtherNumber
        };
    }
    if let Some(text) = value.as_string() {
        return Json::Text(text);
    }
    if js_sys::Array::is_array(value) {
        return Json::List(js_sys::Array::from(value).iter().map(|item| json_of(&item)).collect());
    }
    match value.dyn_ref::<js_sys::Object>() {
        Some(object) => Json::Object(
            js_sys::Object::entries(object)
                .iter()
                .filter_map(|entry| {
                    let pair = js_sys::Array::from(&entry);
                    Some((pair.get(0).as_string()?, json_of(&pair.get(1))))
                })
                .collect(),
        ),
        None => Json::Null,
    }
}

/// Reads a picked file as text, then parses it as JSON, and calls `done` with the value or why
/// it could not be read.
pub fn read_json(file: web_sys::File, done: impl FnOnce(Result<Json, String>) + 'static) {
    wasm_bindgen_futures::spawn_local(async move {
        if file.size() > crate::sim::scenario::Scenario::MAX_JSON as f64 {
            return done(Err(crate::messages::settings::invalid::file_too_large(
                file.size() as usize,
                crate::sim::scenario::Scenario::MAX_JSON,
            )));
        }
        let text = match wasm_bindgen_futures::JsFuture::from(file.text()).await {
            Ok(text) => text.as_string().unwrap_or_default(),
            Err(_) => return done(Err(crate::messages::page::files::CANNOT_READ.to_owned())),
        };
        match js_sys::JSON::parse(&text) {
            Ok(value) => done(Ok(json_of(&value))),
            Err(_) => done(Err(crate::messages::page::files::NOT_JSON.to_owned())),
        }
    });
}
