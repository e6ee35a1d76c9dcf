//! The console: what a student types as the client, and what the page says about it.

use crate::ftp::console::{LineError, Typing};

/// Why a line was not taken.
pub fn line_error(error: &LineError) -> String {
    match error {
        LineError::Empty => "type a command, such as EPSV".to_owned(),
        LineError::TooLong { len, max } => format!("a line has at most {max} bytes, not {len}"),
        LineError::ControlCharacter { position, code } => {
            format!("character {position} is a control character (U+{code:04X})")
        }
        LineError::Tls => "a TLS handshake cannot be typed; switch on the encrypted control connection".to_owned(),
        LineError::TooMany { max } => format!("at most {max} lines; clear the console"),
    }
}

/// A line in a link or a scenario file that cannot be typed.
pub fn bad_line(number: usize, error: &LineError) -> String {
    format!("typed line {number}: {}", line_error(error))
}

/// What the console does with a typed line.
fn plan(typing: &Typing) -> String {
    match typing {
        Typing::Send => "the client sends it as it is".to_owned(),
        Typing::Unreadable => "it is no command the client knows, and it goes out as typed all the same".to_owned(),
        Typing::ListenFirst { on } => format!("it names the client's own address, so the client listens on {on} first"),
        Typing::OtherAddress { announced, own } => {
            format!("{announced} is not the client's address {own}: nothing of the client's listens there")
        }
        Typing::ConnectFirst { to } => format!("the client first connects to {to}, as the last 227/229 reply said"),
        Typing::NotConnected => "the control connection is closed, so it is not sent".to_owned(),
    }
}

/// The trace's words for a typed line, after the client's name.
pub fn typed(line: &str, typing: &Typing) -> String {
    format!("types \"{line}\" at the console: {}", plan(typing))
}

/// The caption of a typed line.
pub fn typed_caption(line: &str, typing: &Typing) -> (String, String) {
    (format!("You type: {line}"), super::sentence(super::capitalise(&plan(typing))))
}

/// The caption of the first event of a console session.
pub fn session_starts(control_port: u16) -> (String, String) {
    (
        "Your own session starts".to_owned(),
        format!("The client connects to port {control_port} and logs in; then it sends only what you type."),
    )
}

/// How a console session ended, for the verdict.
pub fn verdict_summary(lines: usize, last: Option<&str>) -> String {
    let typed = super::count(lines, "typed line", "typed lines");
    super::sentence(match last {
        Some(reply) => format!("Your console session: {typed}, the last answered with {reply}"),
        None => format!("Your console session: {typed}, the last with no answer"),
    })
}

/// The page's console panel.
pub mod panel {
    pub const TAB: &str = "Console";
    pub const HELP: &str = "Type FTP commands as the client, such as EPSV, LIST, RETR nothere or PORT 10,0,0,9,4,1. Each goes at the end of the session.";
    pub const LABEL: &str = "FTP command";
    pub const SEND: &str = "Send";
    pub const CLEAR: &str = "Clear console";
    pub const LOG: &str = "Lines sent and their replies";
    pub const CONNECTED: &str = "(connected)";
    pub const WAITING: &str = "… no reply yet";
    pub const NOT_SENT: &str = "not sent: the connection is closed";

    pub fn bytes(bytes: usize) -> String {
        format!("{bytes} bytes over the data connection")
    }

    pub fn data_failed(target: &str, why: &str) -> String {
        format!("data connection to {target}: {why}")
    }
}

/// Notices about the console.
pub mod notices {
    pub fn refused(line: &str, why: &str) -> String {
        let shown: String = line.chars().take(40).collect();
        format!("Not sent: \"{shown}\": {why}.")
    }

    pub const CLOSED: &str = "The control connection is closed: clear the console to start again.";
    pub const PENDING: &str = "Apply or cancel the changed settings first.";
    pub const TOO_LONG_FOR_LINK: &str = "That line would make the link too long to share.";
}
