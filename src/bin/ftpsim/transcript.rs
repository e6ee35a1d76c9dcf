//! The transcript `ftpsim serve` and `ftpsim get/ls/put` print: one line per command and reply,
//! with the session and its peer, as text or as JSON lines. Lines from many sessions may
//! interleave, but each is written whole.

use std::io::Write;
use std::net::SocketAddr;

use ftpsim::ftp::FtpTrace;
use ftpsim::ftp::codec::{Command, Reply};
use serde_json::json;

/// Text for people, JSON lines for programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Where the transcript goes: stdout for the server, stderr for a client (whose stdout carries
/// a listing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Writes one line, whole, and survives a closed pipe.
pub fn write_line(stream: Stream, line: &str) {
    let result = match stream {
        Stream::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(line.as_bytes()).and_then(|()| out.write_all(b"\n")).and_then(|()| out.flush())
        }
        Stream::Stderr => {
            let mut out = std::io::stderr().lock();
            out.write_all(line.as_bytes()).and_then(|()| out.write_all(b"\n"))
        }
    };
    let _ = result;
}

/// One session's transcript writer.
pub struct Transcript {
    pub format: Format,
    pub stream: Stream,
    pub session: u64,
    pub peer: Option<SocketAddr>,
    /// The last user named, so that a real password is not printed (anonymous ones are).
    user: Option<String>,
}

impl Transcript {
    pub fn new(format: Format, stream: Stream, session: u64, peer: Option<SocketAddr>) -> Self {
        Transcript { format, stream, session, peer, user: None }
    }

    /// A line about the session itself: "connected", "closed (idle timeout)".
    pub fn event(&self, what: &str) {
        let peer = self.peer.map(|peer| peer.to_string()).unwrap_or_default();
        let line = match self.format {
            Format::Text => format!("#{} {peer} {what}", self.session),
            Format::Json => json!({ "session": self.session, "peer": peer, "event": what }).to_string(),
        };
        write_line(self.stream, &line);
    }

    /// The command or reply in a trace event, if it is one.
    pub fn trace(&mut self, event: &FtpTrace) {
        let (from, text) = match event {
            FtpTrace::CommandSent(command) | FtpTrace::CommandReceived(command) => ("client", self.command(command)),
            FtpTrace::CommandRejected(why) => ("client", format!("(unreadable: {why})")),
            FtpTrace::ReplySent(reply) | FtpTrace::ReplyReceived(reply) => ("server", reply_line(reply)),
            FtpTrace::ReplyUnreadable(why) => ("server", format!("(unreadable: {why})")),
            FtpTrace::State { .. } | FtpTrace::Note(_) => return,
        };
        let peer = self.peer.map(|peer| peer.to_string()).unwrap_or_default();
        let line = match self.format {
            Format::Text => format!("#{} {peer} {} {text}", self.session, if from == "client" { ">" } else { "<" }),
            Format::Json => json!({ "session": self.session, "peer": peer, "from": from, "line": text }).to_string(),
        };
        write_line(self.stream, &line);
    }

    fn command(&mut self, command: &Command) -> String {
        match command {
            Command::User(user) => {
                self.user = Some(user.clone());
                command.to_string()
            }
            Command::Pass(_) if !self.user.as_deref().is_some_and(is_anonymous) => "PASS ****".to_owned(),
            _ => command.to_string(),
        }
    }
}

fn is_anonymous(user: &str) -> bool {
    user.eq_ignore_ascii_case("anonymous") || user.eq_ignore_ascii_case("ftp")
}

/// A reply on one line: its first line, and how many more there are.
fn reply_line(reply: &Reply) -> String {
    match reply.lines.as_slice() {
        [] => reply.code.to_string(),
        [only] => format!("{} {only}", reply.code),
        [first, rest @ ..] => format!("{} {first} (+{} lines)", reply.code, rest.len()),
    }
}
