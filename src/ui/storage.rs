//! The browser's localStorage, through gloo-storage: where the page keeps what
//! [`crate::classroom::stored`] describes.
//!
//! Only the raw string calls are used: the record is JSON the page writes itself and the
//! browser's `JSON.parse` reads, so gloo's serde-typed `get`/`set` (serde_json in the download)
//! are not needed. `LocalStorage::raw()` throws when the browser allows no storage (a private
//! window, blocked site data, some file:// pages), so [`available`] asks first.

use gloo::storage::{LocalStorage, Storage};

use crate::classroom::stored::{self, Stored, StoredProblem};
use crate::ui::files::json_of;

/// The browser lets the page keep data.
pub fn available() -> bool {
    web_sys::window().and_then(|window| window.local_storage().ok().flatten()).is_some()
}

/// What was kept from an earlier visit, and whether the page may write over it.
#[derive(Clone, Debug, PartialEq)]
pub struct Kept {
    pub record: Result<Option<Stored>, StoredProblem>,
    /// False when the browser allows no storage, or an unreadable record could not be moved
    /// aside: writing would then destroy it.
    pub writable: bool,
}

/// What was kept from an earlier visit. A record that cannot be read is moved aside (under
/// [`stored::SET_ASIDE_KEY`], so nothing is lost) and the problem returned for the page to say.
pub fn load() -> Kept {
    if !available() {
        return Kept { record: Ok(None), writable: false };
    }
    let storage = LocalStorage::raw();
    let Some(text) = storage.get_item(stored::KEY).ok().flatten() else {
        return Kept { record: Ok(None), writable: true };
    };
    let read = if text.len() > stored::MAX_LENGTH {
        Err(StoredProblem::TooLong { length: text.len() })
    } else {
        match js_sys::JSON::parse(&text) {
            Ok(value) => stored::read(&json_of(&value)),
            Err(_) => Err(StoredProblem::NotJson),
        }
    };
    match read {
        Ok(kept) => Kept { record: Ok(Some(kept)), writable: true },
        Err(problem) => {
            // Moved, not deleted: a newer page's record, or one a teacher can still rescue.
            let moved = storage.set_item(stored::SET_ASIDE_KEY, &text).is_ok();
            if moved {
                let _ = storage.remove_item(stored::KEY);
            }
            Kept { record: Err(problem), writable: moved }
        }
    }
}

/// Keeps the record; false when the browser refused it (storage full or blocked).
pub fn save(text: &str) -> bool {
    available() && LocalStorage::raw().set_item(stored::KEY, text).is_ok()
}
