//! The transcript: the client's commands and the replies it read, with the addresses inside
//! decoded, what a helper changed on the way, and every step of each data connection as lines
//! of their own beside the control conversation.

use crate::ftp::codec::Command;
use crate::ftp::console::Typing;
use crate::ftp::{FtpTrace, Note};
use crate::messages::page::transcript as say;
use crate::messages::trace::{explain_command, explain_reply, note_line, reply_text};
use crate::net::device::DeviceEvent;
use crate::net::packet::{Channel, PacketKind};
use crate::net::tcp::TcpState;
use crate::sim::timeline::Timeline;
use crate::sim::trace::{EventKind, NodeId, Role, TraceEvent};

/// What a line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    Command,
    Reply,
    FailedReply,
    /// The server received something else than the client sent: a helper rewrote it.
    Received,
    Rewrite,
    Note,
    DataOpening,
    DataBlocked,
    DataOpen,
    DataFlow,
    DataClosed,
    DataGivenUp,
    Timer,
    Settings,
    Completed,
    Failed,
}

impl LineKind {
    /// The mark at the start of the line.
    pub fn arrow(self) -> &'static str {
        match self {
            LineKind::Command => "→",
            LineKind::Reply | LineKind::FailedReply => "←",
            LineKind::Received => "⇢",
            LineKind::Rewrite => "✎",
            LineKind::Note => "·",
            LineKind::DataOpening => "⇄",
            LineKind::DataBlocked | LineKind::DataGivenUp => "✕",
            LineKind::DataOpen => "✓",
            LineKind::DataFlow => "≡",
            LineKind::DataClosed => "⇥",
            LineKind::Timer => "◷",
            LineKind::Settings => "⚙",
            LineKind::Completed => "✓",
            LineKind::Failed => "✗",
        }
    }

    /// The line's class, for its colour.
    pub fn class(self) -> &'static str {
        match self {
            LineKind::Command => "command",
            LineKind::Reply => "reply",
            LineKind::FailedReply => "reply failure",
            LineKind::Received => "rewritten",
            LineKind::Rewrite => "helper",
            LineKind::Note => "note",
            LineKind::DataOpening | LineKind::DataOpen | LineKind::DataFlow | LineKind::DataClosed => "data",
            LineKind::DataBlocked | LineKind::DataGivenUp => "data failure",
            LineKind::Timer => "timer",
            LineKind::Settings => "settings",
            LineKind::Completed => "verdict ok",
            LineKind::Failed => "verdict failure",
        }
    }

    /// True for the lines about a data connection, shown in their own column.
    pub fn is_data(self) -> bool {
        matches!(
            self,
            LineKind::DataOpening
                | LineKind::DataBlocked
                | LineKind::DataOpen
                | LineKind::DataFlow
                | LineKind::DataClosed
                | LineKind::DataGivenUp
        )
    }
}

/// One line of the transcript.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The event it stands for (activating the line goes there).
    pub index: usize,
    pub kind: LineKind,
    pub text: String,
    /// The address inside, decoded: ` (= 192.168.1.2:5200)`.
    pub decoded: String,
    /// The command travelled encrypted (TLS on the control connection).
    pub encrypted: bool,
}

impl Line {
    /// The line's content as markup (escaped by maud): a button that goes to its moment, or a
    /// plain span in the side-by-side panes. The page puts it inside a keyed list item whose
    /// click handler carries the typed action.
    pub fn markup(&self, interactive: bool) -> String {
        let content = maud::html! {
            span class="arrow" aria-hidden="true" { (self.kind.arrow()) }
            span class="text" { (self.text) }
            @if !self.decoded.trim().is_empty() { span class="decoded" { (self.decoded.trim()) } }
            @if self.encrypted { span class="encrypted" { span class="tls" { "TLS" } (say::ENCRYPTED) } }
        };
        if interactive {
            maud::html! { button type="button" class="seek" title=(say::GO_THERE) { (content) } }.into_string()
        } else {
            maud::html! { span class="seek" { (content) } }.into_string()
        }
    }
}

/// The whole transcript as plain text, a line per entry with its time: what the Files dialog
/// saves (`transcript.txt`).
pub fn text(timeline: &Timeline) -> String {
    let mut out = String::new();
    for line in lines(timeline, timeline.len().saturating_sub(1)) {
        let time = timeline.events().get(line.index).map(|event| event.time.to_string()).unwrap_or_default();
        out.push_str(&format!("{time:>11}  {} {}", line.kind.arrow(), line.text));
        if !line.decoded.trim().is_empty() {
            out.push_str(&format!("  {}", line.decoded.trim()));
        }
        if line.encrypted {
            out.push_str(&format!("  [{}]", say::ENCRYPTED));
        }
        out.push('\n');
    }
    out
}

/// The transcript up to event `position`.
pub fn lines(timeline: &Timeline, position: usize) -> Vec<Line> {
    let events = &timeline.events()[..=position.min(timeline.len().saturating_sub(1))];
    let server_nat = timeline.scenario().server_nat_active();
    let mut lines = Vec::new();
    let mut last_sent: Option<Command> = None;
    let mut syns_sent: u32 = 0;
    let mut data_seen = 0;
    let mut fin_seen = 0;
    for (offset, event) in events.iter().enumerate() {
        let line = |kind: LineKind, text: String| Line {
            index: event.index,
            kind,
            text,
            decoded: String::new(),
            encrypted: false,
        };
        let place = event.device.label(server_nat);
        let next = match &event.kind {
            EventKind::Ftp { role: Role::Client, event: FtpTrace::CommandSent(command) } => {
                last_sent = Some(command.clone());
                Some(Line {
                    decoded: explain_command(command),
                    encrypted: sent_encrypted(&events[offset + 1..]),
                    ..line(LineKind::Command, command.to_string())
                })
            }
            EventKind::Ftp { role: Role::Server, event: FtpTrace::CommandReceived(command) }
                if last_sent.as_ref().is_some_and(|sent| sent != command) =>
            {
                Some(Line {
                    decoded: explain_command(command),
                    ..line(LineKind::Received, say::server_received(&command.to_string()))
                })
            }
            EventKind::Ftp { role: Role::Client, event: FtpTrace::ReplyReceived(reply) } => {
                let kind = if reply.is_failure() { LineKind::FailedReply } else { LineKind::Reply };
                Some(Line { decoded: explain_reply(reply), ..line(kind, reply_text(reply)) })
            }
            // A typed line that goes out as it is shows as the command that follows it; one the
            // client cannot read as a command shows as typed.
            EventKind::Ftp { event: FtpTrace::Note(Note::Typed { typing: Typing::Send, .. }), .. } => None,
            EventKind::Ftp {
                event: FtpTrace::Note(Note::Typed { line: typed, typing: Typing::Unreadable }), ..
            } => Some(Line {
                encrypted: sent_encrypted(&events[offset + 1..]),
                ..line(LineKind::Command, typed.clone())
            }),
            EventKind::Ftp { role, event: FtpTrace::Note(note) } => {
                let who = if *role == Role::Client { NodeId::Client } else { NodeId::Server };
                Some(line(LineKind::Note, note_line(who.label(server_nat), note)))
            }
            EventKind::Device { event: DeviceEvent::PayloadRewritten { before, after } } => {
                Some(line(LineKind::Rewrite, say::rewrites(place, before, after)))
            }
            EventKind::PacketSent { packet, .. } => match (packet.kind, packet.channel) {
                (PacketKind::Syn, Channel::Data(n)) => {
                    let first = n > syns_sent;
                    syns_sent = syns_sent.max(n);
                    first.then(|| line(LineKind::DataOpening, say::data_opens(n, packet.src, packet.dst)))
                }
                (PacketKind::Data, Channel::Data(n)) if n > data_seen => {
                    data_seen = n;
                    Some(line(LineKind::DataFlow, say::data_flows(packet.payload_len)))
                }
                (PacketKind::Fin, Channel::Data(n)) if n > fin_seen => {
                    fin_seen = n;
                    Some(line(LineKind::DataClosed, say::data_closes(n)))
                }
                _ => None,
            },
            EventKind::PacketDropped { packet, .. } | EventKind::PacketRejected { packet, .. }
                if packet.channel != Channel::Control && packet.kind == PacketKind::Syn =>
            {
                let refused = matches!(event.kind, EventKind::PacketRejected { .. });
                let retry = retry_of(&events[..offset], packet.channel, packet.id);
                Some(line(LineKind::DataBlocked, say::data_blocked(place, refused, retry)))
            }
            EventKind::TcpState { channel: Channel::Data(n), from: TcpState::SynSent, to, .. } => match to {
                TcpState::Established => Some(line(LineKind::DataOpen, say::data_open(*n))),
                TcpState::Closed => Some(line(LineKind::DataGivenUp, say::data_given_up(place, *n))),
                _ => None,
            },
            EventKind::Timer { armed: false, name, .. } => Some(line(LineKind::Timer, say::timer(place, name))),
            EventKind::SettingsChanged { description } if event.index > 0 => {
                Some(line(LineKind::Settings, say::settings_changed(description)))
            }
            EventKind::Verdict { verdict } => Some(if verdict.is_ok() {
                line(LineKind::Completed, say::COMPLETED.to_owned())
            } else {
                line(LineKind::Failed, say::failed(verdict.cause.map_or("", |cause| cause.words())))
            }),
            _ => None,
        };
        lines.extend(next);
    }
    lines
}

/// True when the control segment that carries a command just sent is encrypted.
fn sent_encrypted(after: &[TraceEvent]) -> bool {
    after
        .iter()
        .take(8)
        .find_map(|event| match &event.kind {
            EventKind::PacketSent { packet, .. } if packet.channel == Channel::Control && packet.payload_len > 0 => {
                Some(packet.encrypted)
            }
            _ => None,
        })
        .unwrap_or(false)
}

/// Which try the SYN with `id` is on `channel` (0 for the first).
fn retry_of(before: &[TraceEvent], channel: Channel, id: crate::net::packet::PacketId) -> u32 {
    let sent =
        before.iter().rposition(|event| matches!(&event.kind, EventKind::PacketSent { packet, .. } if packet.id == id));
    let Some(sent) = sent else {
        return 0;
    };
    before[..sent]
        .iter()
        .filter(|event| matches!(&event.kind, EventKind::PacketSent { packet, .. } if packet.channel == channel && packet.kind == PacketKind::Syn))
        .count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ftp::client::DataMode;
    use crate::sim::scenario::Scenario;

    fn texts(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|line| format!("{} {}{}", line.kind.arrow(), line.text, line.decoded)).collect()
    }

    #[test]
    fn the_transcript_decodes_addresses_shows_rewrites_and_the_data_connection() {
        let scenario = Scenario { mode: DataMode::Port, client_alg: true, ..Scenario::default() };
        let timeline = Timeline::run(&scenario).expect("valid");
        let all = texts(&lines(&timeline, timeline.len() - 1));
        let joined = all.join("\n");
        assert!(joined.contains("→ PORT 192,168,1,2,"), "{joined}");
        assert!(joined.contains("(= 192.168.1.2:"));
        assert!(joined.contains("⇢ server received: PORT 203,0,113,1,"));
        assert!(joined.contains("✎ Home router rewrites: PORT 192,168,1,2,"));
        assert!(joined.contains("⇄ data connection 1: SYN 198.51.100.10:20 → 203.0.113.1:"), "{joined}");
        assert!(joined.contains("✓ data connection 1 is open"));
        assert!(joined.contains("226 Transfer complete.") || joined.contains("226 Directory send OK."));
        assert!(joined.ends_with("✓ Completed"));
        // The data connection's lines come before the 150 that says it is up.
        let opening = all.iter().position(|line| line.starts_with("⇄")).expect("opening");
        let started = all.iter().position(|line| line.starts_with("← 150")).expect("150");
        assert!(opening < started);
    }

    #[test]
    fn each_retry_has_its_own_line_and_the_failure_is_in_words() {
        let timeline =
            Timeline::run(&Scenario { mode: DataMode::Port, client_nat: false, ..Scenario::default() }).expect("valid");
        let all = texts(&lines(&timeline, timeline.len() - 1));
        assert!(all.iter().any(|line| line == "✕ Home router drops the SYN"));
        assert!(all.iter().any(|line| line == "✕ Home router drops the SYN again (retry 3)"));
        assert!(all.iter().any(|line| line.starts_with("◷ Server: connect_timeout")));
        let last = all.last().expect("verdict");
        assert!(last.starts_with("✗ Failed: the server's data connection got no answer"), "{last}");
    }

    #[test]
    fn the_text_export_has_every_line_with_its_time() {
        let lesson = crate::sim::lessons::find("active-nat").expect("lesson");
        let timeline = Timeline::run(&lesson.scenario).expect("valid");
        let text = text(&timeline);
        assert_eq!(text.lines().count(), lines(&timeline, timeline.len() - 1).len());
        assert!(text.contains("→ USER anonymous"), "{text}");
        assert!(text.contains("← 500 Illegal PORT command."), "{text}");
        for line in text.lines() {
            let (time, rest) = line.trim_start().split_once(" s  ").expect("a time first");
            assert!(time.parse::<f64>().is_ok() && !rest.is_empty(), "{line}");
        }
    }
}
