//! The page as a SCORM 1.2 course (the `assessment` feature): when a learning management system
//! opened it, the page finds the LMS's `API` object and tells it the score, the status, the
//! time spent and the progress, and takes the progress back on the next visit.
//!
//! SCORM 1.2's run-time guide has the content look for `API` in its parent frames, then in the
//! window that opened it; a frame of another origin cannot be read and ends the search. Outside
//! an LMS there is no `API` and nothing here does anything: the page works the same.
//!
//! The values come from [`crate::classroom::Classroom::assessment_report`]; this module only
//! carries them to the LMS.

use js_sys::{Array, Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::assess::attempt::{LessonStatus, Report};

/// How many frames up the search goes (the guide's own limit is 7; Moodle nests 2 or 3).
const MAX_FRAMES: usize = 10;

/// The LMS's SCORM 1.2 API.
#[derive(Clone, PartialEq)]
pub struct Lms {
    api: JsValue,
}

/// The `API` object of `window`, if it has one and may be read.
fn api_of(window: &JsValue) -> Option<JsValue> {
    let api = Reflect::get(window, &JsValue::from_str("API")).ok()?;
    api.is_object().then_some(api)
}

/// Looks for `API` in `window` and the frames above it.
fn search_up(window: web_sys::Window) -> Option<JsValue> {
    let mut current = window;
    for _ in 0..MAX_FRAMES {
        if let Some(api) = api_of(&current) {
            return Some(api);
        }
        let parent = current.parent().ok().flatten()?;
        if JsValue::from(parent.clone()) == JsValue::from(current.clone()) {
            return None;
        }
        current = parent;
    }
    None
}

impl Lms {
    /// The LMS that opened this page, if one did.
    pub fn find() -> Option<Lms> {
        let window = web_sys::window()?;
        let api = search_up(window.clone()).or_else(|| {
            let opener = window.opener().ok().filter(JsValue::is_object)?;
            search_up(opener.dyn_into::<web_sys::Window>().ok()?)
        })?;
        Some(Lms { api })
    }

    fn call(&self, name: &str, args: &[&str]) -> Option<JsValue> {
        let function: Function = Reflect::get(&self.api, &JsValue::from_str(name)).ok()?.dyn_into().ok()?;
        let args: Array = args.iter().map(|arg| JsValue::from_str(arg)).collect();
        function.apply(&self.api, &args).ok()
    }

    fn set(&self, element: &str, value: &str) {
        self.call("LMSSetValue", &[element, value]);
    }

    /// Starts the session; the progress kept from an earlier visit, if any.
    pub fn initialize(&self) -> Option<String> {
        self.call("LMSInitialize", &[""]);
        let status = self.call("LMSGetValue", &["cmi.core.lesson_status"]).and_then(|value| value.as_string());
        if status.as_deref().is_none_or(|status| status == "not attempted") {
            self.set("cmi.core.lesson_status", LessonStatus::Incomplete.as_str());
            self.call("LMSCommit", &[""]);
        }
        self.call("LMSGetValue", &["cmi.suspend_data"])
            .and_then(|value| value.as_string())
            .filter(|text| !text.is_empty())
    }

    /// The learner's id, which gives their own variant (`assignment=learner`).
    pub fn learner(&self) -> Option<String> {
        self.call("LMSGetValue", &["cmi.core.student_id"])
            .and_then(|value| value.as_string())
            .filter(|id| !id.is_empty())
    }

    /// Tells the LMS where the student stands. The score only once every question is
    /// answered; until then the attempt is incomplete and kept to be resumed (`exit` suspend).
    pub fn report(&self, report: &Report) {
        let done = report.lesson_status != LessonStatus::Incomplete;
        if done {
            self.set("cmi.core.score.min", "0");
            self.set("cmi.core.score.max", "100");
            self.set("cmi.core.score.raw", &report.score_raw.to_string());
        }
        self.set("cmi.core.lesson_status", report.lesson_status.as_str());
        self.set("cmi.core.session_time", &report.session_time);
        self.set("cmi.suspend_data", &report.suspend_data);
        self.set("cmi.core.exit", if done { "" } else { "suspend" });
        self.call("LMSCommit", &[""]);
    }

    /// Ends the session (the page is going away).
    pub fn finish(&self, report: &Report) {
        self.report(report);
        self.call("LMSFinish", &[""]);
    }
}

/// The link with `assignment=learner` made into the learner's own seed; outside an LMS, or
/// without an id, every learner gets the same variant (seed 1).
pub fn with_learner_seed(fragment: &str, learner: Option<&str>) -> String {
    let seed = learner.map_or(1, crate::assess::variant::seed_for_learner);
    fragment
        .split('&')
        .map(|part| if part == "assignment=learner" { format!("assignment={seed}") } else { part.to_owned() })
        .collect::<Vec<_>>()
        .join("&")
}
