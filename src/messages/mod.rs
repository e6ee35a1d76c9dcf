//! Every sentence a student reads, in one place, so that the text can be reviewed as a whole and
//! later translated.
//!
//! The rest of the program decides *what* to say — which event, which device, which address —
//! and calls a function here with typed facts; only this module says *how* it reads in
//! English. Protocol tokens (`PORT`, `227`, `SYN`), addresses and vsftpd's own reply texts are
//! not sentences and stay where they are.
//!
//! | module        | what it words                                                        |
//! |---------------|----------------------------------------------------------------------|
//! | [`assess`]    | the generated questions, hints after wrong answers, modes and scores   |
//! | [`places`]    | the five places on the path and their switches                        |
//! | [`engine`]    | the FTP engines' notes, the devices' refusals and the helpers' notes  |
//! | [`trace`]     | the one-line account of every event (transcript, terminal runner)     |
//! | [`captions`]  | the caption for each event: what it means, for students               |
//! | [`verdicts`]  | how a run ended, why, and what would fix it                           |
//! | [`lessons`]   | lesson titles, introductions and what to expect                       |
//! | [`settings`]  | the network settings' labels, help and choices                        |
//! | [`page`]      | the page's controls, headings, quiz and notices                       |
//! | [`capture`]   | the packet capture points and their errors                            |
//! | [`console`]   | the console: typed lines, their refusals and the console panel        |
//!
//! Two sentences live in `index.html` instead, because they are shown when the WebAssembly is
//! not running: the note while it loads, and the notice if it ever stops.
//!
//! This module imports the plain types it formats from the layers below the simulation
//! (`ftp`, `net`, `time`) and nothing above them: the simulation passes place names and
//! numbers in.

pub mod assess;
pub mod captions;
pub mod capture;
pub mod console;
pub mod engine;
pub mod lessons;
pub mod page;
pub mod places;
pub mod settings;
pub mod trace;
pub mod verdicts;

/// Ends a sentence with exactly one full stop, even when the text it ends with (a quoted reply)
/// already brought one: "password." never becomes "password..".
pub fn sentence(mut text: String) -> String {
    while text.ends_with("..") {
        text.pop();
    }
    if !text.ends_with(['.', '!', '?', '…']) {
        text.push('.');
    }
    text
}

/// The text with its first letter in upper case (ASCII only: the browser build carries no
/// Unicode case tables).
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars.next().map(|c| c.to_ascii_uppercase().to_string()).unwrap_or_default();
    out.push_str(chars.as_str());
    out
}

/// `1 transfer`, `2 transfers`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "on" or "off".
pub fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_end_with_one_full_stop() {
        assert_eq!(sentence("Please specify the password.".to_owned()), "Please specify the password.");
        assert_eq!(sentence("The user logs in..".to_owned()), "The user logs in.");
        assert_eq!(sentence("Done".to_owned()), "Done.");
        assert_eq!(sentence("Really?".to_owned()), "Really?");
        assert_eq!(capitalise("giving up"), "Giving up");
        assert_eq!(count(1, "transfer", "transfers"), "1 transfer");
        assert_eq!(count(3, "transfer", "transfers"), "3 transfers");
    }
}
