//! Markup for the page's read-only views, built as strings: the topology picture, the ladder
//! diagram, the transcript and the device tables.
//!
//! These views only show; they have no controls of their own (clicks on a transcript line or a
//! ladder row are read by the page from `data-index` attributes). Building them as plain
//! strings keeps the browser build small — a `html!` tree costs code for every attribute — and
//! lets native tests read exactly what the page will show.
//!
//! Packets in flight are animated with CSS: each carries its start and end position and a
//! negative `animation-delay` for the part of the hop already done, so re-drawing the picture
//! at the next event does not make a packet jump back.

use std::fmt::Write;

use crate::classroom::{Classroom, Pane, QuizAnswer, SPEEDS, quiz_truth};
use crate::ftp::FtpTrace;
use crate::ftp::client::DataMode;
use crate::ftp::codec::Command;
use crate::messages::trace::{explain_command, explain_reply};
use crate::net::conntrack::{Conntrack, NatKind};
use crate::net::device::DeviceEvent;
use crate::net::packet::{Channel, PacketKind};
use crate::net::tcp::TcpStack;
use crate::sim::scenario::{IpVersion, PASSIVE_RANGE, PasvAddress, PortCheck, Scenario, Transfer};
use crate::sim::scene::{Callout, CalloutKind, ConnectionView, NodeView, PacketStatus, PacketView, Scene};
use crate::sim::timeline::Timeline;
use crate::sim::trace::{EventKind, Level, NodeId, Role, TraceEvent};
use crate::sim::verdict::RunOutcome;
use crate::sim::world::World;

/// Text made safe to put between tags or in an attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            other => out.push(other),
        }
    }
    out
}

/// Horizontal centre of each place, in the 1000-wide drawing.
const XS: [i32; 5] = [80, 290, 500, 710, 920];
/// Height of the wire the packets travel on.
const WIRE_Y: i32 = 138;
/// Height of the drawing.
const HEIGHT: i32 = 312;

fn x(node: NodeId) -> i32 {
    XS[node.position()]
}

/// How the topology is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    /// Milliseconds per event during playback; 0 draws without animation.
    pub tick_ms: u32,
    /// The smaller drawing of the side-by-side panes.
    pub compact: bool,
}

/// The topology picture for a scene, as an `<svg>` element; `position` is the event shown.
pub fn topology(scene: &Scene, position: usize, style: Style, label: &str) -> String {
    let mut svg = String::with_capacity(8_192);
    let _ = write!(
        svg,
        r#"<svg class="topology{}" viewBox="0 0 1000 {HEIGHT}" role="img" aria-label="{}" preserveAspectRatio="xMidYMid meet">"#,
        if style.compact { " compact" } else { "" },
        escape(label)
    );
    for i in 0..4 {
        let _ = write!(
            svg,
            r#"<line class="wire" x1="{}" y1="{WIRE_Y}" x2="{}" y2="{WIRE_Y}"/>"#,
            XS[i] + 34,
            XS[i + 1] - 34
        );
    }
    let mut data_row = 0;
    for conn in &scene.connections {
        let y = if conn.channel == Channel::Control {
            20
        } else {
            data_row += 1;
            20 + 34 * data_row
        };
        connection(&mut svg, conn, y);
    }
    for node in &scene.nodes {
        node_view(&mut svg, node, scene.current == Some(node.id));
    }
    for (index, packet) in scene.packets.iter().enumerate() {
        packet_view(&mut svg, packet, index, position, style.tick_ms);
    }
    for callout in &scene.callouts {
        callout_view(&mut svg, callout);
    }
    svg.push_str("</svg>");
    svg
}

fn connection(svg: &mut String, conn: &ConnectionView, y: i32) {
    let (x1, x2) = (x(conn.from), x(conn.to));
    let (left, right) = (x1.min(x2), x1.max(x2));
    let control = conn.channel == Channel::Control;
    let kind = if control { "control" } else { "data" };
    let name = match conn.channel {
        Channel::Control => "control connection".to_owned(),
        Channel::Data(number) => format!("data connection {number}"),
    };
    let text = format!("{name}: {} · {}", conn.label, conn.state);
    let far = conn.far_label.as_ref().map(|far| format!(" (the other end sees {far})")).unwrap_or_default();
    let middle = (left + right) / 2;
    let _ = write!(
        svg,
        r#"<g class="connection {kind}{}" data-connection="{kind}" data-channel="{name}"><title>{}{}</title><line x1="{left}" y1="{y}" x2="{right}" y2="{y}"/><circle class="end" cx="{x1}" cy="{y}" r="5"/>"#,
        if conn.open { " open" } else { "" },
        escape(&text),
        escape(&far),
    );
    if matches!(conn.to, NodeId::Client | NodeId::Server) {
        let _ = write!(svg, r#"<circle class="end" cx="{x2}" cy="{y}" r="5"/>"#);
    } else {
        let _ = write!(svg, r#"<text class="blocked" x="{x2}" y="{}" text-anchor="middle">✕</text>"#, y + 5);
    }
    let _ = write!(
        svg,
        r#"<text class="connection-label" x="{middle}" y="{}" text-anchor="middle">{}</text>"#,
        y - 6,
        escape(&text)
    );
    if let Some(far) = &conn.far_label {
        let _ = write!(
            svg,
            r#"<text class="far-label" x="{middle}" y="{}" text-anchor="middle">seen from the other end: {}</text>"#,
            y + 12,
            escape(far)
        );
    }
    svg.push_str("</g>");
}

fn node_icon(svg: &mut String, node: NodeId, cx: i32) {
    let y = WIRE_Y;
    let _ = match node {
        NodeId::Client => write!(
            svg,
            r#"<g class="icon"><rect x="{}" y="{}" width="60" height="40" rx="4"/><rect class="screen" x="{}" y="{}" width="50" height="30" rx="2"/><rect x="{}" y="{}" width="28" height="6" rx="2"/></g>"#,
            cx - 30,
            y - 24,
            cx - 25,
            y - 19,
            cx - 14,
            y + 18
        ),
        NodeId::HomeRouter => write!(
            svg,
            r#"<g class="icon"><line x1="{}" y1="{}" x2="{}" y2="{}"/><line x1="{}" y1="{}" x2="{}" y2="{}"/><rect x="{}" y="{}" width="68" height="32" rx="8"/><circle class="led" cx="{}" cy="{y}" r="3"/><circle class="led" cx="{}" cy="{y}" r="3"/><circle class="led" cx="{}" cy="{y}" r="3"/></g>"#,
            cx - 18,
            y - 16,
            cx - 24,
            y - 32,
            cx + 18,
            y - 16,
            cx + 24,
            y - 32,
            cx - 34,
            y - 16,
            cx - 16,
            cx - 4,
            cx + 8
        ),
        NodeId::Internet => write!(
            svg,
            r#"<g class="icon cloud"><path d="M {} {} a 16 16 0 0 1 14 -20 a 22 22 0 0 1 40 -2 a 16 16 0 0 1 22 16 a 12 12 0 0 1 -4 24 h -64 a 12 12 0 0 1 -8 -18 z"/></g>"#,
            cx - 50,
            y + 6
        ),
        NodeId::ServerEdge => {
            let _ = write!(
                svg,
                r#"<g class="icon wall"><rect x="{}" y="{}" width="60" height="52" rx="3"/>"#,
                cx - 30,
                y - 26
            );
            for row in 0..4 {
                let ry = y - 26 + 13 * row;
                let offset = if row % 2 == 0 { 0 } else { 15 };
                let _ = write!(
                    svg,
                    r#"<line class="mortar" x1="{}" y1="{ry}" x2="{}" y2="{ry}"/><line class="mortar" x1="{}" y1="{ry}" x2="{}" y2="{}"/><line class="mortar" x1="{}" y1="{ry}" x2="{}" y2="{}"/>"#,
                    cx - 30,
                    cx + 30,
                    cx - 15 + offset,
                    cx - 15 + offset,
                    ry + 13,
                    cx + 15 - offset,
                    cx + 15 - offset,
                    ry + 13
                );
            }
            write!(svg, "</g>")
        }
        NodeId::Server => write!(
            svg,
            r#"<g class="icon"><rect x="{}" y="{}" width="44" height="64" rx="4"/><line class="slot" x1="{}" y1="{}" x2="{}" y2="{}"/><line class="slot" x1="{}" y1="{}" x2="{}" y2="{}"/><circle class="led" cx="{}" cy="{}" r="3"/></g>"#,
            cx - 22,
            y - 32,
            cx - 14,
            y - 18,
            cx + 14,
            y - 18,
            cx - 14,
            y - 8,
            cx + 14,
            y - 8,
            cx + 10,
            y + 20
        ),
    };
}

fn node_view(svg: &mut String, node: &NodeView, current: bool) {
    let cx = x(node.id);
    let _ =
        write!(svg, r#"<g class="node{}" data-node="{}">"#, if current { " current" } else { "" }, node.id.as_str());
    if current {
        let _ = write!(svg, r#"<circle class="halo" cx="{cx}" cy="{WIRE_Y}" r="52"/>"#);
    }
    node_icon(svg, node.id, cx);
    let mut y = WIRE_Y + 50;
    let _ = write!(svg, r#"<text class="node-name" x="{cx}" y="{y}" text-anchor="middle">{}</text>"#, node.label);
    for address in &node.addresses {
        y += 17;
        let _ =
            write!(svg, r#"<text class="address" x="{cx}" y="{y}" text-anchor="middle">{}</text>"#, escape(address));
    }
    let badge_y = y + 12;
    let count = node.badges.len() as i32;
    for (column, badge) in node.badges.iter().enumerate() {
        let bx = cx - count * 32 + 64 * column as i32 + 2;
        let state = if badge.on { "on" } else { "off" };
        let title = match badge.detail {
            Some(detail) => format!("{} {state} ({detail})", badge.label),
            None => format!("{} {state}", badge.label),
        };
        let _ = write!(
            svg,
            r#"<g class="badge {state}" data-badge="{label}"><title>{title}</title><rect x="{bx}" y="{badge_y}" width="60" height="30" rx="6"/><text x="{tx}" y="{}" text-anchor="middle">{label}</text><text class="state" x="{tx}" y="{}" text-anchor="middle">{}</text></g>"#,
            badge_y + 12,
            badge_y + 25,
            state.to_ascii_uppercase(),
            label = badge.label,
            tx = bx + 30,
        );
    }
    svg.push_str("</g>");
}

fn packet_view(svg: &mut String, packet: &PacketView, index: usize, position: usize, tick_ms: u32) {
    let control = packet.channel == Channel::Control;
    let y = WIRE_Y + if control { -13 } else { 13 } + 6 * (index as i32 % 3 - 1);
    let (from, to) = (x(packet.from), x(packet.to));
    let dropped = matches!(packet.status, PacketStatus::Dropped { .. });
    let kind = match packet.kind {
        PacketKind::Syn => "syn",
        PacketKind::SynAck => "synack",
        PacketKind::Ack => "ack",
        PacketKind::Data => "payload",
        PacketKind::Fin => "fin",
        PacketKind::Rst => "rst",
        PacketKind::Icmp => "icmp",
    };
    // How far along its wire the packet is, by events: it left at `since`, arrives at `arrival`.
    let span = packet.arrival.saturating_sub(packet.since).max(1) as i32;
    let done = position.saturating_sub(packet.since) as i32;
    let style = if dropped {
        format!("transform:translate({from}px,{y}px)")
    } else if tick_ms == 0 {
        let at = from + (to - from) * done.min(span) / span;
        format!("transform:translate({at}px,{y}px)")
    } else {
        let duration = span * tick_ms as i32;
        let delay = done * tick_ms as i32;
        format!(
            "--x0:{from}px;--x1:{to}px;--y:{y}px;animation-duration:{duration}ms;animation-delay:-{delay}ms;transform:translate({to}px,{y}px)"
        )
    };
    let mut short: String = packet.label.chars().take(26).collect();
    if packet.label.chars().count() > 26 {
        short.push('…');
    }
    let moving = !dropped && tick_ms > 0;
    let _ = write!(
        svg,
        r#"<g class="packet {} {kind}{}{}" style="{style}" data-packet="{}"><title>{}</title>"#,
        if control { "control" } else { "data" },
        if dropped { " dropped" } else { "" },
        if moving { " moving" } else { "" },
        escape(&packet.label),
        escape(&packet.label),
    );
    svg.push_str(if control { r#"<circle r="8"/>"# } else { r#"<rect x="-8" y="-8" width="16" height="16" rx="2"/>"# });
    if dropped {
        svg.push_str(r#"<text class="cross" y="5" text-anchor="middle">✕</text>"#);
    }
    let _ = write!(
        svg,
        r#"<text class="packet-label" y="{}" text-anchor="middle">{}</text></g>"#,
        if control { -13 } else { 24 },
        escape(&short)
    );
}

fn callout_view(svg: &mut String, callout: &Callout) {
    let longest = callout.lines.iter().map(|line| line.chars().count()).max().unwrap_or(10).min(64) as i32;
    let width = longest * 66 / 10 + 20;
    let cx = x(callout.at).clamp(width / 2 + 4, 996 - width / 2);
    let height = 16 * callout.lines.len() as i32 + 10;
    let top = HEIGHT - 4 - height;
    let kind = match callout.kind {
        CalloutKind::Dropped | CalloutKind::Refused => "bad",
        CalloutKind::Rewritten | CalloutKind::Expected => "helper",
        CalloutKind::Translated => "nat",
        CalloutKind::Note => "note",
    };
    let _ = write!(
        svg,
        r#"<g class="callout {kind}" data-callout="{kind}"><rect x="{}" y="{top}" width="{width}" height="{height}" rx="6"/>"#,
        cx - width / 2
    );
    for (row, line) in callout.lines.iter().enumerate() {
        let line: String = line.chars().take(64).collect();
        let _ = write!(
            svg,
            r#"<text x="{cx}" y="{}" text-anchor="middle">{}</text>"#,
            top + 18 + 16 * row as i32,
            escape(&line)
        );
    }
    svg.push_str("</g>");
}

/// One line of the transcript.
struct Line {
    index: usize,
    class: &'static str,
    arrow: &'static str,
    text: String,
    note: String,
}

fn transcript_lines(events: &[TraceEvent]) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut last_sent: Option<Command> = None;
    for event in events {
        let line = match &event.kind {
            EventKind::Ftp { role: Role::Client, event: FtpTrace::CommandSent(command) } => {
                last_sent = Some(command.clone());
                Line {
                    index: event.index,
                    class: "command",
                    arrow: "→",
                    text: command.to_string(),
                    note: explain_command(command),
                }
            }
            // The server saw something other than what the client sent: a helper rewrote it.
            EventKind::Ftp { role: Role::Server, event: FtpTrace::CommandReceived(command) }
                if last_sent.as_ref().is_some_and(|sent| sent != command) =>
            {
                Line {
                    index: event.index,
                    class: "rewritten",
                    arrow: "⇢",
                    text: format!("server received: {command}"),
                    note: explain_command(command),
                }
            }
            EventKind::Ftp { role: Role::Client, event: FtpTrace::ReplyReceived(reply) } => Line {
                index: event.index,
                class: if reply.is_failure() { "reply failure" } else { "reply" },
                arrow: "←",
                text: reply.to_string().trim_end().replace("\r\n", " | "),
                note: explain_reply(reply),
            },
            EventKind::Ftp { role: Role::Client, event: FtpTrace::Note(text) } => Line {
                index: event.index,
                class: "note",
                arrow: "·",
                text: crate::messages::trace::note_line(event.device.label(false), text),
                note: String::new(),
            },
            EventKind::Device { event: DeviceEvent::PayloadRewritten { before, after } } => Line {
                index: event.index,
                class: "helper",
                arrow: "✎",
                text: format!("{} rewrites: {before} ⇒ {after}", event.device.label(false)),
                note: String::new(),
            },
            EventKind::PacketDropped { packet, .. }
                if packet.channel != Channel::Control && packet.kind == PacketKind::Syn =>
            {
                Line {
                    index: event.index,
                    class: "dropped",
                    arrow: "✕",
                    text: format!("{} dropped the data connection's SYN to {}", event.device.label(false), packet.dst),
                    note: String::new(),
                }
            }
            EventKind::Verdict { verdict } => Line {
                index: event.index,
                class: if verdict.is_ok() { "verdict ok" } else { "verdict failure" },
                arrow: if verdict.is_ok() { "✓" } else { "✗" },
                text: if verdict.is_ok() {
                    "Completed".to_owned()
                } else {
                    format!("Failed: {}", verdict.cause.map(|cause| cause.to_string()).unwrap_or_default())
                },
                note: String::new(),
            },
            _ => continue,
        };
        lines.push(line);
    }
    lines
}

/// The transcript up to event `position`: the client's commands and the replies it read, with
/// the addresses inside decoded, and what a helper changed on the way.
/// With `interactive`, each line is a button that goes to its moment (by `data-index`).
pub fn transcript(timeline: &Timeline, position: usize, title: &str, interactive: bool) -> String {
    let events = &timeline.events()[..=position.min(timeline.len().saturating_sub(1))];
    let mut html = format!(r#"<ol class="transcript" role="log" aria-label="{}" aria-live="off">"#, escape(title));
    for line in transcript_lines(events) {
        let opening = if interactive {
            format!(r#"<button class="seek" data-index="{}" title="Go to this moment">"#, line.index)
        } else {
            r#"<span class="seek">"#.to_owned()
        };
        let _ = write!(
            html,
            r#"<li class="line {}">{opening}<span class="arrow" aria-hidden="true">{}</span><span class="text">{}</span>"#,
            line.class,
            line.arrow,
            escape(&line.text)
        );
        let note = line.note.trim();
        if !note.is_empty() {
            let _ = write!(html, r#"<span class="decoded">{}</span>"#, escape(note));
        }
        html.push_str(if interactive { "</button></li>" } else { "</span></li>" });
    }
    html.push_str("</ol>");
    html
}

/// Lanes of the ladder diagram, in its 400-wide drawing.
const LANES: [u32; 5] = [32, 116, 200, 284, 368];
/// Height of one row, in the diagram's units.
const ROW: u32 = 18;

/// The ladder diagram up to event `position`: one row per hop, a lane per place.
pub fn ladder(timeline: &Timeline, position: usize) -> String {
    let events = &timeline.events()[..=position.min(timeline.len().saturating_sub(1))];
    let hops: Vec<&TraceEvent> = events
        .iter()
        .filter(|event| {
            matches!(
                event.kind,
                EventKind::PacketSent { .. }
                    | EventKind::PacketForwarded { .. }
                    | EventKind::PacketDropped { .. }
                    | EventKind::PacketRejected { .. }
            )
        })
        .collect();
    let height = (hops.len() as u32 + 1) * ROW + 10;
    let mut svg = format!(
        r#"<svg class="ladder" viewBox="0 0 400 {height}" role="img" aria-label="Ladder diagram: each packet's hop between the client, the routers and the server, in time order">"#
    );
    svg.push_str(r#"<defs><marker id="hop-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5" markerHeight="5" orient="auto"><path d="M0 0L10 5L0 10z" fill="context-stroke"/></marker></defs>"#);
    for lane in LANES {
        let _ = write!(svg, r#"<line class="lane" x1="{lane}" y1="0" x2="{lane}" y2="{height}"/>"#);
    }
    for (row, event) in hops.iter().enumerate() {
        let y = 8 + row as u32 * ROW;
        let from = LANES[event.device.position()];
        let (to, packet, dropped) = match &event.kind {
            EventKind::PacketSent { packet, to } | EventKind::PacketForwarded { packet, to, .. } => {
                (LANES[to.position()], packet, false)
            }
            EventKind::PacketDropped { packet, .. } | EventKind::PacketRejected { packet, .. } => (from, packet, true),
            _ => continue,
        };
        let label: String =
            if packet.preview.is_empty() { packet.flags.clone() } else { packet.preview.chars().take(18).collect() };
        let _ = write!(
            svg,
            r#"<g class="hop {}{}{}" data-index="{}"><title>{}</title>"#,
            if packet.channel == Channel::Control { "control" } else { "data" },
            if dropped { " dropped" } else { "" },
            if event.index == position { " current" } else { "" },
            event.index,
            escape(&event.text)
        );
        if dropped {
            let _ = write!(svg, r#"<text class="cross" x="{from}" y="{}" text-anchor="middle">✕</text>"#, y + 5);
        } else {
            let _ = write!(
                svg,
                r#"<line x1="{from}" y1="{y}" x2="{to}" y2="{}" marker-end="url(#hop-arrow)"/>"#,
                y + ROW * 2 / 3
            );
        }
        let _ = write!(
            svg,
            r#"<text class="hop-label" x="{}" y="{}" text-anchor="middle">{}</text></g>"#,
            (from + to) / 2,
            y + 4,
            escape(&label)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn conntrack_table(html: &mut String, title: &str, conntrack: &Conntrack) {
    let _ = write!(html, r#"<div class="device-table"><h3>{}</h3>"#, escape(title));
    let natted: Vec<_> = conntrack.entries().filter(|entry| entry.nat.is_some()).collect();
    if !natted.is_empty() {
        html.push_str(r#"<table class="nat"><caption>NAT table</caption><thead><tr><th>inside</th><th></th><th>public</th><th>other end</th><th>TCP</th></tr></thead><tbody>"#);
        for entry in natted {
            let (inside, outside, peer) = match entry.nat {
                Some(NatKind::Source) => (entry.original.src, entry.reply.dst, entry.original.dst),
                _ => (entry.reply.src, entry.original.dst, entry.original.src),
            };
            let _ = write!(
                html,
                "<tr><td>{inside}</td><td>↔</td><td>{outside}</td><td>{peer}</td><td>{}</td></tr>",
                entry.tcp_state
            );
        }
        html.push_str("</tbody></table>");
    }
    if conntrack.entries().next().is_none() {
        html.push_str(r#"<p class="empty">No connections tracked yet.</p>"#);
    } else {
        html.push_str(r#"<table class="conntrack"><caption>Connection tracking</caption><thead><tr><th>connection (as it arrived)</th><th>state</th><th>TCP</th><th></th></tr></thead><tbody>"#);
        for entry in conntrack.entries() {
            let state = if entry.seen_reply {
                "ESTABLISHED"
            } else if entry.related {
                "RELATED"
            } else {
                "NEW"
            };
            let flags = match (entry.related, entry.helper) {
                (true, true) => "expected, FTP helper",
                (true, false) => "expected",
                (false, true) => "FTP helper",
                (false, false) => "",
            };
            let _ = write!(
                html,
                "<tr><td>{}</td><td>{state}</td><td>{}</td><td>{flags}</td></tr>",
                escape(&entry.original.to_string()),
                entry.tcp_state
            );
        }
        html.push_str("</tbody></table>");
    }
    let expectations: Vec<_> = conntrack.expectations().collect();
    if !expectations.is_empty() {
        html.push_str(r#"<ul class="expectations" aria-label="FTP helper expectations">"#);
        for expectation in expectations {
            let then = expectation.nat_to.map(|to| format!(" (then to {to})")).unwrap_or_default();
            let _ = write!(html, "<li>expects {} → {}{then}</li>", expectation.src_ip, expectation.dst);
        }
        html.push_str("</ul>");
    }
    html.push_str("</div>");
}

fn sockets(html: &mut String, title: &str, stack: &TcpStack, ftp_state: &str) {
    let _ = write!(
        html,
        r#"<div class="device-table"><h3>{title}</h3><p class="ftp-state">FTP: <strong>{}</strong></p><ul class="sockets">"#,
        escape(ftp_state)
    );
    for listener in stack.listeners() {
        let _ = write!(html, "<li>LISTEN {}</li>", listener.local);
    }
    for conn in stack.connections() {
        let _ = write!(html, "<li>{} {} ↔ {}</li>", conn.state, conn.local, conn.remote);
    }
    html.push_str("</ul></div>");
}

/// Every device's tables in `world`: NAT mappings, tracked connections, the FTP helpers'
/// expectations, the hosts' sockets and FTP states.
pub fn device_tables(world: &World) -> String {
    let server_nat = world.scenario().server_nat_active();
    let mut html = String::with_capacity(4_096);
    conntrack_table(&mut html, NodeId::HomeRouter.label(server_nat), world.home_router().conntrack());
    conntrack_table(&mut html, NodeId::ServerEdge.label(server_nat), world.server_edge().conntrack());
    sockets(&mut html, "Client sockets", &world.client().stack, &world.client().app.state_name());
    sockets(&mut html, "Server sockets", &world.server().stack, &world.server().app.state_name());
    html
}

/// The caption for the current event (at the start, the lesson's title and introduction).
pub fn caption(classroom: &Classroom) -> String {
    let position = classroom.position();
    let caption = crate::sim::caption::for_event(&classroom.timeline, position);
    let (headline, body) = match classroom.current_lesson().filter(|_| position == 0) {
        Some(lesson) => (lesson.title.to_owned(), lesson.intro.to_owned()),
        None => (caption.headline, caption.body),
    };
    let event_text = classroom
        .timeline
        .events()
        .get(position)
        .filter(|event| !matches!(event.kind, EventKind::Verdict { .. }))
        .map_or("", |event| event.text.as_str());
    let spoken = if classroom.announce { format!("{headline}. {body}") } else { String::new() };
    format!(
        r#"<p class="headline">{}</p><p class="body">{}</p><p class="event-text">{}</p><div class="visually-hidden" aria-live="polite" aria-atomic="true">{}</div>"#,
        escape(&headline),
        escape(&body),
        escape(event_text),
        escape(&spoken)
    )
}

/// The verdict: "in progress" until the last event, then how the run ended and what would fix
/// it, with a button (`data-index`) to the event where it went wrong.
pub fn verdict(classroom: &Classroom) -> String {
    if classroom.position() < classroom.last() {
        return r#"<p class="pending">Session in progress… the verdict appears at the end.</p>"#.to_owned();
    }
    let verdict = classroom.timeline.verdict();
    let server_nat = classroom.scenario.server_nat_active();
    let (class, title) = if verdict.is_ok() {
        ("ok", "✓ Completed".to_owned())
    } else {
        let at = verdict.device.map(|device| format!(" — {}", device.label(server_nat))).unwrap_or_default();
        ("fail", format!("✗ Failed{at}"))
    };
    let mut html = format!(r#"<div class="verdict {class}"><p class="verdict-title">{title}</p>"#);
    if let Some(cause) = verdict.cause {
        let reply = verdict.final_reply.map(|code| format!(" · last reply {code}")).unwrap_or_default();
        let _ = write!(html, r#"<p class="cause">Cause: {cause}{reply}</p>"#);
    }
    let _ = write!(html, "<p>{}</p>", escape(&verdict.summary));
    if let Some(fix) = &verdict.fix {
        let _ = write!(html, r#"<p class="fix"><strong>Fix: </strong>{}</p>"#, escape(fix));
    }
    if let Some(index) = verdict.event {
        let _ = write!(html, r#"<button class="link" data-index="{index}">Show where it went wrong</button>"#);
    }
    html.push_str("</div>");
    html
}

/// Every mode on the current network, each cell a full run of the simulator. While a quiz
/// question is open it would give the answer away, so it waits.
pub fn comparison(classroom: &Classroom) -> String {
    if classroom.quiz.enabled && classroom.quiz.answer.is_none() {
        return r#"<p class="note">Hidden until the class has answered the quiz.</p>"#.to_owned();
    }
    let mut html = String::from(r#"<table><thead><tr><th>Mode</th><th>Result</th></tr></thead><tbody>"#);
    for cell in classroom.comparison.iter() {
        let ok = cell.outcome == RunOutcome::Ok;
        let result = if ok { "✓ works".to_owned() } else { format!("✗ {}", escape(&cell.text)) };
        let current = if cell.mode == classroom.scenario.mode { " current" } else { "" };
        let _ = write!(
            html,
            r#"<tr class="{}{current}"><td>{}</td><td>{result}</td></tr>"#,
            if ok { "ok" } else { "fail" },
            crate::messages::settings::mode(cell.mode)
        );
    }
    let _ = write!(
        html,
        r#"</tbody></table><p class="note">Each row is a full run of the simulator on the settings shown (passive ports {}–{}).</p>"#,
        PASSIVE_RANGE.0, PASSIVE_RANGE.1
    );
    html
}

fn select(html: &mut String, name: &str, label: &str, options: &[(&str, &str)], selected: &str) {
    let _ =
        write!(html, r#"<label class="field" for="setting-{name}">{label}<select id="setting-{name}" name="{name}">"#);
    for (value, text) in options {
        let chosen = if *value == selected { " selected" } else { "" };
        let _ = write!(html, r#"<option value="{value}"{chosen}>{text}</option>"#);
    }
    html.push_str("</select></label>");
}

fn checkbox(html: &mut String, name: &str, label: &str, help: &str, checked: bool) {
    let _ = write!(
        html,
        r#"<label class="toggle" for="setting-{name}" title="{}"><input type="checkbox" id="setting-{name}" name="{name}"{}><span>{label}</span></label>"#,
        escape(help),
        if checked { " checked" } else { "" }
    );
}

/// The network toggles as a form. Each control has a `name` that
/// [`crate::classroom::setting_from_form`] understands, and a visible label that is also its
/// accessible name.
pub fn settings_form(scenario: &Scenario, revision: u32) -> String {
    // The revision changes when an input is refused, so the form is drawn again with the
    // values in force instead of what was typed.
    let mut html = format!(r#"<div class="settings-form" data-revision="{revision}">"#);
    let modes: Vec<(&str, &str)> =
        DataMode::ALL.iter().map(|mode| (mode.as_str(), crate::messages::settings::mode(*mode))).collect();
    select(&mut html, "mode", "Mode", &modes, scenario.mode.as_str());
    let operations: Vec<(&str, &str)> =
        Transfer::ALL.iter().map(|command| (command.as_str(), command.verb())).collect();
    select(&mut html, "operation", "Operation", &operations, scenario.command.as_str());
    html.push_str("<fieldset><legend>Home router</legend>");
    checkbox(
        &mut html,
        "client_firewall",
        "Client firewall",
        "A stateful firewall on the home router refuses new connections from outside",
        scenario.client_firewall,
    );
    checkbox(
        &mut html,
        "client_nat",
        "Client NAT",
        "The home router shares one public address (IPv4 only)",
        scenario.client_nat,
    );
    checkbox(
        &mut html,
        "client_alg",
        "FTP helper (ALG)",
        "The home router reads PORT and EPRT and lets the announced connection in",
        scenario.client_alg,
    );
    html.push_str("</fieldset><fieldset><legend>Server side</legend>");
    select(
        &mut html,
        "server_firewall",
        "Server firewall",
        &[("off", "Off"), ("passive-range", "Passive range open"), ("control-only", "Control port only")],
        scenario.server_firewall.as_str(),
    );
    checkbox(
        &mut html,
        "server_alg",
        "Server FTP helper",
        "The server's firewall or router reads 227 and 229 replies",
        scenario.server_alg,
    );
    checkbox(
        &mut html,
        "server_nat",
        "Server behind NAT",
        "The server has a private address behind its own router (IPv4 only)",
        scenario.server_nat,
    );
    select(
        &mut html,
        "pasv_address",
        "Address in 227",
        &[("private", "Server's own"), ("public", "Public (pasv_address)")],
        if scenario.pasv_address == PasvAddress::Public { "public" } else { "private" },
    );
    checkbox(
        &mut html,
        "port_check",
        "Server checks PORT address",
        "vsftpd port_promiscuous=NO: refuse PORT to any address but the client's own",
        scenario.port_check == PortCheck::Strict,
    );
    checkbox(
        &mut html,
        "server_epsv",
        "Server supports EPSV",
        "Old servers answer EPSV with 500",
        scenario.server_epsv,
    );
    html.push_str("</fieldset><fieldset><legend>Client and network</legend>");
    checkbox(
        &mut html,
        "control_encrypted",
        "Encrypted control connection (FTPS)",
        "FTP over TLS: the FTP helpers can no longer read PORT, EPRT, 227 or 229",
        scenario.control_encrypted,
    );
    checkbox(
        &mut html,
        "trust_pasv_address",
        "Client trusts the 227 address",
        "Classic behaviour; curl since 7.74 and ftplib reuse the control connection's address instead",
        scenario.trust_pasv_address,
    );
    let _ = write!(
        html,
        r#"<label class="field" for="setting-control_port">Control port<input type="number" id="setting-control_port" name="control_port" min="1" max="65535" value="{}"></label>"#,
        scenario.control_port
    );
    select(
        &mut html,
        "ip",
        "IP version",
        &[("v4", "IPv4"), ("v6", "IPv6")],
        if scenario.ip == IpVersion::V4 { "v4" } else { "v6" },
    );
    html.push_str("</fieldset></div>");
    html
}

fn button(html: &mut String, action: &str, label: &str, title: &str, text: &str, class: &str) {
    let _ = write!(
        html,
        r#"<button type="button" id="control-{action}" class="{class}" data-action="{action}" aria-label="{label}" title="{title}">{text}</button>"#
    );
}

/// |◀ and ▶| drawn, since not every classroom computer has a font with those symbols.
const ICON_START: &str =
    r#"<svg class="icon" viewBox="0 0 12 12" aria-hidden="true"><path d="M1 1h2v10H1zM11 1v10L4 6z"/></svg>"#;
const ICON_END: &str =
    r#"<svg class="icon" viewBox="0 0 12 12" aria-hidden="true"><path d="M9 1h2v10H9zM1 1v10l7-5z"/></svg>"#;

/// The page header: the Lesson menu and the view switches. Controls carry `name` or
/// `data-action` for [`crate::classroom::action_from_control`] and
/// [`crate::classroom::action_from_form`].
pub fn header(classroom: &Classroom) -> String {
    let mut html = String::from(
        r#"<h1>FTP: active vs passive</h1><label class="lesson-picker" for="lesson-menu">Lesson<select id="lesson-menu" name="lesson">"#,
    );
    let _ = write!(
        html,
        r#"<option value=""{} disabled>Your own settings</option>"#,
        if classroom.lesson.is_none() { " selected" } else { "" }
    );
    for lesson in crate::sim::lessons::all() {
        let chosen = if classroom.lesson == Some(lesson.id) { " selected" } else { "" };
        let _ = write!(html, r#"<option value="{}"{chosen}>{}</option>"#, lesson.id, escape(lesson.title));
    }
    html.push_str(r#"</select></label><div class="modes" role="group" aria-label="View">"#);
    checkbox(
        &mut html,
        "quiz",
        "Quiz mode",
        "Stop before the data connection and ask the class what will happen",
        classroom.quiz.enabled,
    );
    checkbox(
        &mut html,
        "compare",
        "Side by side",
        "Two modes on the same network, stepped together",
        classroom.compare.is_some(),
    );
    let _ = write!(
        html,
        r#"<button type="button" id="control-presenter" data-action="presenter" aria-pressed="{}">{}</button></div>"#,
        classroom.presenter,
        if classroom.presenter { "Leave presenter mode" } else { "Presenter mode" }
    );
    html
}

/// The playback buttons and options (the scrubber is drawn by the page itself, so that dragging
/// it is never interrupted).
pub fn playback_buttons(classroom: &Classroom) -> String {
    let mut html = String::with_capacity(1_024);
    button(&mut html, "restart", "Restart", "Back to the start (Home)", &format!("{ICON_START}Restart"), "");
    button(&mut html, "back", "Step back", "Step back (← or Page Up)", "◀ Step back", "");
    let (label, text) = if classroom.playing { ("Pause", "❚❚ Pause") } else { ("Play", "▶ Play") };
    button(&mut html, "play", label, "Play or pause (Space)", text, "play");
    button(&mut html, "forward", "Step forward", "Step forward (→ or Page Down)", "Step forward ▶", "primary");
    button(&mut html, "end", "Jump to end", "Jump to the end (End)", &format!("Jump to end{ICON_END}"), "");
    html
}

/// The Speed and Step-by menus.
pub fn playback_options(classroom: &Classroom) -> String {
    let mut html =
        String::from(r#"<label class="inline" for="control-speed">Speed<select id="control-speed" name="speed">"#);
    for (index, (name, _)) in SPEEDS.iter().enumerate() {
        let chosen = if index == classroom.speed { " selected" } else { "" };
        let _ = write!(html, r#"<option value="{index}"{chosen}>{name}</option>"#);
    }
    html.push_str(r#"</select></label><label class="inline" for="control-step_by">Step by<select id="control-step_by" name="step_by">"#);
    for (value, text, level) in [
        ("key", "key moments", Level::Key),
        ("packet", "packets", Level::Packet),
        ("detail", "every event", Level::Detail),
    ] {
        let chosen = if level == classroom.step_level { " selected" } else { "" };
        let _ = write!(html, r#"<option value="{value}"{chosen}>{text}</option>"#);
    }
    html.push_str("</select></label>");
    html
}

/// The quiz question, or its answer once given; empty when no question is due.
pub fn quiz(classroom: &Classroom) -> String {
    let quiz = &classroom.quiz;
    if !quiz.enabled || quiz.at.is_none_or(|at| classroom.position() < at) {
        return String::new();
    }
    let truth = quiz_truth(&classroom.timeline);
    let server_nat = classroom.scenario.server_nat_active();
    let label = |answer: QuizAnswer| match answer {
        QuizAnswer::ServerEdge => {
            format!("It fails at the {}", NodeId::ServerEdge.label(server_nat).to_ascii_lowercase())
        }
        other => other.label().to_owned(),
    };
    let mut html = String::from(
        r#"<section class="panel quiz" role="dialog" aria-label="Quiz"><h2>Quiz: will this work? Where will it fail?</h2>"#,
    );
    match quiz.answer {
        Some(answer) => {
            let right = answer == truth;
            let _ = write!(
                html,
                r#"<p class="{}">{}The answer: {}.</p><p>{}</p><p class="hint">Keep stepping to watch it happen.</p>"#,
                if right { "right" } else { "wrong" },
                if right { "✓ Right! " } else { "✗ Not this time. " },
                label(truth),
                escape(&classroom.timeline.verdict().summary)
            );
        }
        None => {
            html.push_str(
                r#"<p>The data connection is about to be set up. Discuss, then choose:</p><div class="answers">"#,
            );
            for answer in QuizAnswer::ALL {
                let _ = write!(
                    html,
                    r#"<button type="button" id="answer-{0}" data-action="answer:{0}">{1}</button>"#,
                    answer.id(),
                    label(answer)
                );
            }
            html.push_str("</div>");
        }
    }
    html.push_str("</section>");
    html
}

/// Restart with a changed setting, or branch from this step? Empty when nothing is pending.
pub fn pending(classroom: &Classroom) -> String {
    let Some(pending) = &classroom.pending else {
        return String::new();
    };
    let mut html = format!(
        r#"<section class="panel pending-change" role="dialog" aria-label="Apply the change"><p>Change: {}.</p>"#,
        escape(&pending.description)
    );
    if let Some(why) = &pending.restart_only {
        let _ = write!(html, r#"<p class="hint">This one needs a fresh start: {}.</p>"#, escape(why));
    }
    html.push_str(r#"<div class="answers"><button type="button" id="control-confirm-restart" class="primary" data-action="confirm-restart">Restart with it</button>"#);
    if pending.restart_only.is_none() {
        html.push_str(r#"<button type="button" id="control-confirm-branch" data-action="confirm-branch">Branch from this step</button>"#);
    }
    html.push_str(r#"<button type="button" id="control-cancel-change" data-action="cancel-change">Cancel</button></div></section>"#);
    html
}

/// A message about input that was not accepted; empty when there is none.
pub fn message(classroom: &Classroom) -> String {
    classroom.message.as_ref().map_or_else(String::new, |message| {
        format!(
            r#"<div class="message" role="alert"><span>{}</span><button type="button" class="link" id="control-dismiss" data-action="dismiss">Dismiss</button></div>"#,
            escape(message)
        )
    })
}

/// The two tab buttons of the place the device tables and the ladder share on narrow screens.
pub fn lower_tabs(show_ladder: bool) -> String {
    format!(
        r#"<div class="tabs" role="tablist" aria-label="Tables or ladder"><button type="button" role="tab" id="control-tab-tables" data-action="tab-tables" aria-selected="{}">Device tables</button><button type="button" role="tab" id="control-tab-ladder" data-action="tab-ladder" aria-selected="{}">Ladder diagram</button></div>"#,
        !show_ladder, show_ladder
    )
}

/// The mode menu of a side-by-side pane (`side` is "left" or "right").
pub fn pane_mode_menu(side: &str, mode: DataMode) -> String {
    let label = if side == "left" { "Left mode" } else { "Right mode" };
    let mut html =
        format!(r#"<label class="field" for="pane-{side}">{label}<select id="pane-{side}" name="pane_{side}">"#);
    for option in DataMode::ALL {
        let chosen = if option == mode { " selected" } else { "" };
        let _ = write!(
            html,
            r#"<option value="{}"{chosen}>{}</option>"#,
            option.as_str(),
            crate::messages::settings::mode(option)
        );
    }
    html.push_str("</select></label>");
    html
}

/// One side of the side-by-side view: its mode menu, topology, verdict and transcript.
/// `side` is "left" or "right".
pub fn pane(side: &str, pane: &Pane, server_nat: bool, tick_ms: u32) -> String {
    let position = pane.cursor.position();
    let scene = crate::sim::scene::scene(&pane.timeline, pane.cursor.world(), position);
    let mode = pane.timeline.scenario().mode;
    let verdict = pane.timeline.verdict();
    let finished = position + 1 >= pane.timeline.len();
    let title = if side == "left" { "Left" } else { "Right" };
    let (class, text) = if !finished {
        ("pending", "in progress…".to_owned())
    } else if verdict.is_ok() {
        ("ok", "✓ Completed".to_owned())
    } else {
        let at = verdict
            .device
            .map(|device| format!(" at the {}", device.label(server_nat).to_ascii_lowercase()))
            .unwrap_or_default();
        ("fail", format!("✗ Failed{at} — {}", verdict.cell()))
    };
    format!(
        r#"<section class="pane" aria-label="{title}: {}">{}{}<p class="pane-verdict {class}" role="status" aria-label="{title} verdict">{}</p><section class="panel transcript-panel"><h2>{title} transcript</h2><div class="pinned-scroller">{}</div></section></section>"#,
        crate::messages::settings::mode(mode),
        pane_mode_menu(side, mode),
        topology(
            &scene,
            position,
            Style { tick_ms, compact: true },
            &format!("{} on this network", crate::messages::settings::mode(mode))
        ),
        escape(&text),
        transcript(&pane.timeline, position, &format!("{title} transcript"), false),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ftp::client::DataMode;
    use crate::sim::scenario::Scenario;
    use crate::sim::scene;

    fn at(timeline: &Timeline, what: impl Fn(&TraceEvent) -> bool) -> usize {
        timeline.events().iter().position(what).expect("event exists")
    }

    #[test]
    fn the_settings_form_names_every_control_and_reads_back() {
        let scenario = Scenario::default();
        let form = settings_form(&scenario, 0);
        for label in [
            "Mode",
            "Operation",
            "Client firewall",
            "Client NAT",
            "FTP helper (ALG)",
            "Server firewall",
            "Server behind NAT",
        ] {
            assert!(form.contains(&format!(">{label}<")), "{label}");
        }
        assert!(form.contains(r#"<option value="pasv" selected>"#));
        assert!(form.contains(r#"name="client_nat" checked"#));
        assert!(!form.contains(r#"name="client_alg" checked"#));
    }

    #[test]
    fn caption_verdict_and_comparison_markup() {
        let mut classroom = Classroom::new(Some("active-nat"));
        assert!(caption(&classroom).contains("Active mode behind NAT"), "the lesson introduces itself");
        assert!(verdict(&classroom).contains("in progress"));
        classroom.apply(crate::classroom::Action::End);
        let text = verdict(&classroom);
        assert!(
            text.contains("✗ Failed — Server") && text.contains("Cause: server-refused-address · last reply 500"),
            "{text}"
        );
        assert!(text.contains("data-index="));
        let table = comparison(&classroom);
        assert_eq!(table.matches("<tr class=").count(), 5);
        assert!(table.contains("✗ 500") && table.contains("✓ works"));
    }

    #[test]
    fn escaping() {
        assert_eq!(escape(r#"<a href="x">&</a>"#), "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
    }

    #[test]
    fn the_topology_shows_the_places_the_connections_and_the_dropped_packet() {
        let scenario = Scenario { mode: DataMode::Port, client_nat: false, ..Scenario::default() };
        let timeline = Timeline::run(&scenario).expect("valid");
        let drop = at(&timeline, |event| matches!(event.kind, EventKind::PacketDropped { .. }));
        let world = timeline.world_at(drop);
        let picture =
            topology(&scene::scene(&timeline, &world, drop), drop, Style { tick_ms: 250, compact: false }, "Network");
        for place in ["client", "home-router", "internet", "server-edge", "server"] {
            assert!(picture.contains(&format!(r#"data-node="{place}""#)), "{place}");
        }
        assert!(picture.contains(r#"data-connection="control""#));
        assert!(picture.contains(r#"data-channel="data connection 1""#));
        assert!(picture.contains("packet data syn dropped"));
        assert!(picture.contains(r#"data-callout="bad""#));
        assert!(picture.contains("nobody inside asked for"));
        assert_eq!(picture.matches("<svg").count(), 1);
        assert!(picture.ends_with("</svg>"));
    }

    #[test]
    fn packets_in_flight_resume_where_they_were() {
        let timeline = Timeline::run(&Scenario::default()).expect("valid");
        let sent = at(&timeline, |event| matches!(event.kind, EventKind::PacketSent { .. }));
        let world = timeline.world_at(sent);
        let picture =
            topology(&scene::scene(&timeline, &world, sent), sent, Style { tick_ms: 200, compact: false }, "Network");
        assert!(picture.contains("animation-delay:-0ms"), "a packet that just left starts at the beginning");
        let still =
            topology(&scene::scene(&timeline, &world, sent), sent, Style { tick_ms: 0, compact: false }, "Network");
        assert!(!still.contains("moving"), "no animation when motion is reduced");
    }

    #[test]
    fn the_transcript_decodes_addresses_and_shows_helper_rewrites() {
        let scenario = Scenario { mode: DataMode::Port, client_alg: true, ..Scenario::default() };
        let timeline = Timeline::run(&scenario).expect("valid");
        let text = transcript(&timeline, timeline.len() - 1, "Transcript", true);
        assert!(text.starts_with(r#"<ol class="transcript" role="log" aria-label="Transcript""#));
        assert!(text.contains("→</span><span class=\"text\">PORT 192,168,1,2,"));
        assert!(text.contains("(= 192.168.1.2:"));
        assert!(text.contains("server received: PORT 203,0,113,1,"));
        assert!(text.contains("rewrites: PORT 192,168,1,2,"));
        assert!(text.contains("226 Directory send OK."));
        assert!(text.contains("Completed"));
        assert!(text.contains("data-index="));
    }

    #[test]
    fn the_ladder_and_tables_follow_the_position() {
        let timeline = Timeline::run(&Scenario::default()).expect("valid");
        let early = ladder(&timeline, 3);
        let late = ladder(&timeline, timeline.len() - 1);
        assert!(late.matches("class=\"hop").count() > early.matches("class=\"hop").count());
        let login = at(&timeline, |event| event.text.contains("receives the reply 230"));
        let tables = device_tables(&timeline.world_at(login));
        assert!(tables.contains("NAT table"));
        assert!(tables.contains("192.168.1.2:"));
        assert!(tables.contains("ESTABLISHED"));
        assert!(tables.contains("LISTEN 198.51.100.10:21"));
    }
}
