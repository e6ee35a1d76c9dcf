//! The ladder diagram, in the way of Wireshark's Flow Graph: a lane per place, one row per
//! packet hop or event, arrows that stop at the device that dropped them, rewrites marked.
//! This module computes the rows; the page draws each as a button that goes to its moment.

use crate::messages::page::ladder as say;
use crate::net::device::DeviceEvent;
use crate::net::packet::{Channel, PacketId, PacketKind};
use crate::sim::timeline::Timeline;
use crate::sim::trace::{EventKind, NodeId, PacketInfo};
use litemap::LiteMap;

/// What a row shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowKind {
    /// A packet travels from one lane to another.
    Hop,
    /// A device stopped the packet: the arrow ends at its lane.
    Stopped,
    /// Something happened at one lane (a timer ran out, the verdict).
    Event,
}

/// One row of the ladder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The event it stands for (clicking the row goes there).
    pub index: usize,
    pub time: String,
    /// Lanes, 0 (client) to 4 (server).
    pub from: usize,
    pub to: usize,
    pub kind: RowKind,
    pub data: bool,
    /// What the arrow says: a command, a reply, flags.
    pub label: String,
    /// The FTP helper changed the packet's content on this hop.
    pub rewritten: bool,
    /// NAT changed the packet's addresses on this hop.
    pub translated: bool,
    /// The whole event in words, for the tooltip and screen readers.
    pub title: String,
}

/// A lane's centre, in percent of the drawing's width.
fn lane(index: usize) -> usize {
    10 + 20 * index
}

impl Row {
    /// The row as markup (escaped by maud): a button with the time, the lanes, the arrow (or the
    /// mark where the packet stopped) and the label, placed on the side with more room so it is
    /// never cut at the panel's edge. The page puts it inside a keyed list item whose click
    /// handler carries the typed action.
    pub fn markup(&self) -> String {
        let (left, right) = (lane(self.from.min(self.to)), lane(self.from.max(self.to)));
        let direction = if self.to >= self.from { "right" } else { "left" };
        let kind = match self.kind {
            RowKind::Hop => "hop",
            RowKind::Stopped => "stopped",
            RowKind::Event => "event",
        };
        let label_style = match self.kind {
            RowKind::Hop if left + right <= 100 => format!("left:{}%;max-width:{}%", left + 1, 98 - left),
            RowKind::Hop => format!("right:{}%;max-width:{}%", 101 - right, right - 2),
            _ if left <= 50 => format!("left:calc({left}% + 12px);max-width:{}%", 94 - left),
            _ => format!("right:calc({}% + 12px);max-width:{}%", 100 - left, left - 6),
        };
        let class = format!(
            "ladder-row {kind} {direction} {}{}",
            if self.data { "data" } else { "control" },
            if self.rewritten { " rewritten" } else { "" }
        );
        maud::html! {
            button type="button" class=(class) title=(self.title) {
                span class="time" { (self.time) }
                span class="lanes" {
                    @if self.kind == RowKind::Hop {
                        span class="arrow" style=(format!("left:{left}%;width:{}%", right - left)) {}
                    } @else {
                        span class="marker" style=(format!("left:{left}%")) { (if self.kind == RowKind::Stopped { "✕" } else { "●" }) }
                    }
                    span class="hop-label" style=(label_style) {
                        (self.label)
                        @if self.rewritten { span class="mark" { (say::REWRITTEN) } }
                        @if self.translated { span class="mark" { (say::TRANSLATED) } }
                    }
                }
            }
        }
        .into_string()
    }
}

/// The lane names, in order.
pub fn lanes(server_nat: bool) -> [&'static str; 5] {
    NodeId::ALL.map(|node| node.label(server_nat))
}

fn label_of(packet: &PacketInfo) -> String {
    if packet.preview.is_empty() {
        packet.flags.clone()
    } else if packet.channel == Channel::Control {
        packet.preview.clone()
    } else {
        format!("{} {}", packet.flags, packet.preview)
    }
}

/// The ladder's rows up to event `position`.
pub fn rows(timeline: &Timeline, position: usize) -> Vec<Row> {
    let events = &timeline.events()[..=position.min(timeline.len().saturating_sub(1))];
    let mut rows = Vec::new();
    // SYN retries per channel, and the retry number of each SYN on its way.
    let mut syns: LiteMap<Channel, u32> = LiteMap::new();
    let mut retries: LiteMap<PacketId, u32> = LiteMap::new();
    let mut rewrite_pending = false;
    for event in events {
        let row = |from: NodeId, to: NodeId, kind: RowKind, packet: Option<&PacketInfo>, label: String| Row {
            index: event.index,
            time: event.time.to_string(),
            from: from.position(),
            to: to.position(),
            kind,
            data: packet.is_some_and(|packet| packet.channel != Channel::Control),
            label,
            rewritten: false,
            translated: false,
            title: event.text.clone(),
        };
        let retry_label = |packet: &PacketInfo, retries: &LiteMap<PacketId, u32>| match retries.get(&packet.id) {
            Some(&retry) if retry > 0 => say::retry(&packet.flags, retry),
            _ => label_of(packet),
        };
        match &event.kind {
            EventKind::PacketSent { packet, to } => {
                if packet.kind == PacketKind::Syn {
                    let count = syns.get(&packet.channel).copied().unwrap_or(0);
                    syns.insert(packet.channel, count + 1);
                    retries.insert(packet.id, count);
                }
                let label = retry_label(packet, &retries);
                rows.push(row(event.device, *to, RowKind::Hop, Some(packet), label));
            }
            EventKind::PacketForwarded { packet, to, before, .. } => {
                let mut hop = row(event.device, *to, RowKind::Hop, Some(packet), retry_label(packet, &retries));
                hop.rewritten = std::mem::take(&mut rewrite_pending);
                hop.translated =
                    before.as_ref().is_some_and(|before| before.src != packet.src || before.dst != packet.dst);
                rows.push(hop);
            }
            EventKind::PacketDropped { packet, .. } => {
                let what = retry_label(packet, &retries);
                rows.push(row(event.device, event.device, RowKind::Stopped, Some(packet), say::dropped(&what)));
                retries.remove(&packet.id);
            }
            EventKind::PacketRejected { packet, .. } => {
                let what = retry_label(packet, &retries);
                rows.push(row(event.device, event.device, RowKind::Stopped, Some(packet), say::refused(&what)));
                retries.remove(&packet.id);
            }
            EventKind::PacketDelivered { packet } => {
                retries.remove(&packet.id);
            }
            EventKind::Device { event: DeviceEvent::PayloadRewritten { .. } } => rewrite_pending = true,
            EventKind::Timer { armed: false, name, .. } => {
                rows.push(row(event.device, event.device, RowKind::Event, None, say::timer(name)));
            }
            EventKind::SettingsChanged { .. } if event.index > 0 => {
                rows.push(row(NodeId::Client, NodeId::Server, RowKind::Event, None, say::SETTINGS_CHANGED.to_owned()));
            }
            EventKind::Verdict { verdict } => {
                let label = if verdict.is_ok() { say::COMPLETED } else { say::FAILED };
                rows.push(row(NodeId::Client, NodeId::Server, RowKind::Event, None, label.to_owned()));
            }
            _ => {}
        }
    }
    rows
}

/// Sizes of the ladder as a drawing of its own.
const SVG_WIDTH: usize = 960;
const SVG_TIME: usize = 90;
const SVG_ROW: usize = 26;
const SVG_TOP: usize = 56;

/// The centre of a lane in the standalone drawing.
fn svg_lane(index: usize) -> usize {
    SVG_TIME + 40 + index * (SVG_WIDTH - SVG_TIME - 80) / 4
}

/// The ladder as an SVG file of its own (for a handout or a slide): the lane names on top, a
/// line per lane, a row per hop with its time, the arrow (or the mark where the packet stopped)
/// and its label; styled by its own attributes, so it looks the same anywhere. Text is escaped
/// by maud.
pub fn svg(rows: &[Row], lanes: [&str; 5], title: &str) -> String {
    let height = SVG_TOP + rows.len() * SVG_ROW + 20;
    let bottom = height - 10;
    let colour = |row: &Row| match (row.kind, row.data) {
        (RowKind::Stopped, _) => "#b3261e",
        (RowKind::Event, _) => "#555555",
        (_, true) => "#1a7f37",
        (_, false) => "#1d4ed8",
    };
    let markup = maud::html! {
        svg xmlns="http://www.w3.org/2000/svg" width=(SVG_WIDTH) height=(height)
            viewBox=(format!("0 0 {SVG_WIDTH} {height}")) font-family="sans-serif" font-size="12" role="img" aria-label=(title) {
            title { (title) }
            rect x="0" y="0" width=(SVG_WIDTH) height=(height) fill="#ffffff" {}
            @for (index, name) in lanes.iter().enumerate() {
                text x=(svg_lane(index)) y="20" text-anchor="middle" font-weight="bold" font-size="13" { (name) }
                line x1=(svg_lane(index)) y1="30" x2=(svg_lane(index)) y2=(bottom) stroke="#9aa3b0" stroke-width="1.5" {}
            }
            @for (number, row) in rows.iter().enumerate() {
                @let y = SVG_TOP + number * SVG_ROW;
                @let (from, to) = (svg_lane(row.from), svg_lane(row.to));
                @let (left, right) = (from.min(to), from.max(to));
                @let colour = colour(row);
                g {
                    title { (row.title) }
                    text x="4" y=(y + 4) fill="#445" font-size="11" { (row.time) }
                    @if row.kind == RowKind::Hop {
                        line x1=(from) y1=(y) x2=(to) y2=(y) stroke=(colour) stroke-width="2"
                            stroke-dasharray=[row.data.then_some("6 3")] {}
                        @let tip = if to >= from { format!("{to},{y} {},{} {},{}", to - 8, y - 4, to - 8, y + 4) }
                                   else { format!("{to},{y} {},{} {},{}", to + 8, y - 4, to + 8, y + 4) };
                        polygon points=(tip) fill=(colour) {}
                        text x=((left + right) / 2) y=(y - 5) text-anchor="middle" fill=(colour) {
                            (row.label)
                            @if row.rewritten { " · " (say::REWRITTEN) }
                            @if row.translated { " · " (say::TRANSLATED) }
                        }
                    } @else {
                        text x=(from) y=(y + 4) text-anchor="middle" fill=(colour) font-weight="bold" {
                            (if row.kind == RowKind::Stopped { "✕" } else { "●" })
                        }
                        @let (x, anchor) = if from <= SVG_WIDTH / 2 { (from + 12, "start") } else { (from - 12, "end") };
                        text x=(x) y=(y + 4) text-anchor=(anchor) fill=(colour) { (row.label) }
                    }
                }
            }
        }
    };
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}\n", markup.into_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ftp::client::DataMode;
    use crate::sim::scenario::Scenario;

    #[test]
    fn rows_follow_the_position_and_mark_drops_retries_and_rewrites() {
        let timeline =
            Timeline::run(&Scenario { mode: DataMode::Port, client_nat: false, ..Scenario::default() }).expect("valid");
        let early = rows(&timeline, 3);
        let all = rows(&timeline, timeline.len() - 1);
        assert!(all.len() > early.len());
        let stopped: Vec<&Row> = all.iter().filter(|row| row.kind == RowKind::Stopped).collect();
        assert!(stopped.len() >= 6);
        assert!(stopped.iter().all(|row| row.from == NodeId::HomeRouter.position() && row.data));
        assert_eq!(stopped[0].label, "✕ SYN dropped");
        assert_eq!(stopped[1].label, "✕ SYN (retry 1) dropped");
        assert!(all.iter().any(|row| row.label.contains("connect_timeout")));
        assert_eq!(all.last().map(|row| row.label.as_str()), Some("✗ failed"));

        let helped =
            Timeline::run(&Scenario { mode: DataMode::Port, client_alg: true, ..Scenario::default() }).expect("valid");
        let rows = rows(&helped, helped.len() - 1);
        let rewritten = rows.iter().find(|row| row.rewritten).expect("a rewritten hop");
        assert!(rewritten.label.starts_with("PORT 203,0,113,1,"), "{}", rewritten.label);
        assert!(rewritten.translated, "NAT changed its addresses too");
    }

    #[test]
    fn the_ladder_as_a_file_has_every_row_and_escapes_text() {
        let timeline =
            Timeline::run(&Scenario { mode: DataMode::Port, client_alg: true, ..Scenario::default() }).expect("valid");
        let rows = rows(&timeline, timeline.len() - 1);
        let drawing = svg(&rows, lanes(false), "Ladder <&>");
        assert!(drawing.starts_with("<?xml") && drawing.contains("xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(drawing.contains("Ladder &lt;&amp;&gt;"), "text is escaped");
        assert_eq!(drawing.matches("<g>").count(), rows.len(), "a group per row");
        assert!(drawing.contains("PORT 203,0,113,1,"), "the rewritten PORT is there");
        assert!(drawing.contains(say::REWRITTEN));
    }
}
