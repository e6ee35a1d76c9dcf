//! The console: what a student types as the client, and what the page says about it.

use crate::ftp::console::{LineError, Typing};

/// Why a line was not taken.
pub fn line_error(error: &LineError) -> String {
    match error {
        LineError::Empty => "type a command, such as EPSV or LIST".to_owned(),
        LineError::TooLong { len, max } => format!("a line has at most {max} bytes, this one has {len}"),
        LineError::ControlCharacter { position, code } => {
            format!("character {position} is a control character (U+{code:04X}); a line is sent with CRLF added, so it may hold none")
        }
        LineError::Tls => {
            "AUTH starts a TLS handshake, which cannot be typed; switch on the encrypted control connection in the settings instead".to_owned()
        }
        LineError::TooMany { max } => format!("a session takes at most {max} typed lines; clear the console to start again"),
    }
}

/// A line in a link or a scenario file that cannot be typed.
pub fn bad_line(number: usize, error: &LineError) -> String {
    format!("typed line {number}: {}", line_error(error))
}

/// The trace's words for a typed line, after the client's name.
pub fn typed(line: &str, typing: &Typing) -> String {
    match typing {
        Typing::Send => format!("types \"{line}\" at the console and sends it as typed"),
        Typing::Unreadable { problem } => {
            format!(
                "types \"{line}\" at the console; it is no command the client knows ({problem}), and it goes out as typed all the same"
            )
        }
        Typing::ListenFirst { on } => {
            format!(
                "types \"{line}\" at the console; as it names the client's own address, the client first listens on {on}"
            )
        }
        Typing::OtherAddress { announced, own } => format!(
            "types \"{line}\" at the console; it names {announced}, not the client's own address {own}, so nothing of the client's listens there"
        ),
        Typing::ConnectFirst { to } => {
            format!(
                "types \"{line}\" at the console; the client first opens a data connection to {to}, as the last 227/229 reply asked, then sends it"
            )
        }
        Typing::NotConnected => {
            format!("types \"{line}\" at the console, but the control connection is closed: it is not sent")
        }
    }
}

/// The caption of a typed line.
pub fn typed_caption(line: &str, typing: &Typing) -> (String, String) {
    let body = match typing {
        Typing::Send => {
            "The client sends it as it is, with CRLF at the end. Step on to see what the server answers.".to_owned()
        }
        Typing::Unreadable { problem } => format!(
            "The client's own parser cannot read it ({problem}), but a console sends what it is given: the server decides what it means."
        ),
        Typing::ListenFirst { on } => format!(
            "It names the client's own address, so the client opens a listening socket on {on} before it sends the line, as an active-mode client does. The server will connect there when a transfer starts, if the network lets it."
        ),
        Typing::OtherAddress { announced, own } => format!(
            "It names {announced}, which is not the client ({own}): nothing of the client's listens there. The server may refuse the address, or try to connect there and meet whatever the network does."
        ),
        Typing::ConnectFirst { to } => format!(
            "The last 227/229 reply named a port to connect to: the client opens the data connection to {to} first, as passive-mode clients do, then sends the command."
        ),
        Typing::NotConnected => {
            "The control connection is closed, so the line goes nowhere. Clear the console to start a new session."
                .to_owned()
        }
    };
    (format!("You type: {line}"), body)
}

/// The caption of the first event of a console session.
pub fn session_starts(control_port: u16) -> (String, String) {
    (
        "Your own session starts".to_owned(),
        format!(
            "The client opens a control connection to the server's port {control_port} and logs in as the chosen client program does. After that it sends only what you type in the console."
        ),
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

/// What the transcript says about an unreadable typed line.
pub fn unreadable(problem: &str) -> String {
    format!("(not a command the client knows: {problem})")
}

/// The page's console panel.
pub mod panel {
    pub const TAB: &str = "Console";
    pub const HELP: &str = "Type FTP commands as the client, such as PORT 10,0,0,9,4,1, EPSV, LIST, RETR nothere or CWD .. — each goes at the end of the session, and plays like any other step.";
    pub const LABEL: &str = "FTP command";
    pub const SEND: &str = "Send";
    pub const CLEAR: &str = "Clear console";
    pub const LOG: &str = "Lines sent and their replies";
    pub const EMPTY: &str = "Nothing typed yet: the client program runs its own commands.";
    pub const CONNECTED: &str = "(connected)";
    pub const WAITING: &str = "… no reply yet at this step";
    pub const NOT_SENT: &str = "not sent: the control connection is closed";

    pub fn received(bytes: usize) -> String {
        format!("{bytes} bytes came over the data connection")
    }

    pub fn uploaded(bytes: usize) -> String {
        format!("{bytes} bytes went over the data connection")
    }

    pub fn data_failed(target: &str, why: &str) -> String {
        format!("data connection to {target} failed: {why}")
    }
}

/// Notices about the console.
pub mod notices {
    pub fn refused(line: &str, why: &str) -> String {
        let shown: String = line.chars().take(40).collect();
        format!("The console did not send \"{shown}\": {why}.")
    }

    pub const CLOSED: &str =
        "The control connection is closed, so nothing more can be sent. Clear the console to start a new session.";
    pub const PENDING: &str = "Apply or cancel the changed settings first, then type.";
    pub const TOO_LONG_FOR_LINK: &str =
        "That line would make the page's link too long to share. Clear the console to start again.";
}
