//! The control conversation, like an FTP client's message log, and the ladder diagram.

use yew::prelude::*;

use crate::ftp::FtpTrace;
use crate::ftp::codec::Command;
use crate::net::device::DeviceEvent;
use crate::net::packet::Channel;
use crate::sim::timeline::Timeline;
use crate::sim::trace::{EventKind, NodeId, Role, TraceEvent};
use crate::sim::world::{explain_command, explain_reply};
use crate::ui::state::Action;

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
        match &event.kind {
            EventKind::Ftp { role: Role::Client, event: FtpTrace::CommandSent(command) } => {
                last_sent = Some(command.clone());
                lines.push(Line {
                    index: event.index,
                    class: "command",
                    arrow: "→",
                    text: command.to_string(),
                    note: explain_command(command).trim().to_owned(),
                });
            }
            // The server saw something else than the client sent: a helper rewrote it.
            EventKind::Ftp { role: Role::Server, event: FtpTrace::CommandReceived(command) }
                if last_sent.as_ref().is_some_and(|sent| sent != command) =>
            {
                lines.push(Line {
                    index: event.index,
                    class: "rewritten",
                    arrow: "⇢",
                    text: format!("server received: {command}"),
                    note: explain_command(command).trim().to_owned(),
                });
            }
            EventKind::Ftp { role: Role::Client, event: FtpTrace::ReplyReceived(reply) } => {
                let failure = reply.is_failure();
                lines.push(Line {
                    index: event.index,
                    class: if failure { "reply failure" } else { "reply" },
                    arrow: "←",
                    text: reply.to_string().trim_end().replace("\r\n", " | "),
                    note: explain_reply(reply).trim().to_owned(),
                });
            }
            EventKind::Ftp { role: Role::Client, event: FtpTrace::Note(text) } => {
                lines.push(Line { index: event.index, class: "note", arrow: "·", text: text.clone(), note: String::new() });
            }
            EventKind::Device { event: DeviceEvent::PayloadRewritten { before, after } } => {
                lines.push(Line {
                    index: event.index,
                    class: "helper",
                    arrow: "✎",
                    text: format!("{} rewrites: {before} ⇒ {after}", event.device.label(false)),
                    note: String::new(),
                });
            }
            EventKind::PacketDropped { packet, .. } if packet.channel != Channel::Control && packet.kind == crate::net::packet::PacketKind::Syn => {
                lines.push(Line {
                    index: event.index,
                    class: "dropped",
                    arrow: "✕",
                    text: format!("{} dropped the data connection's SYN to {}", event.device.label(false), packet.dst),
                    note: String::new(),
                });
            }
            EventKind::Verdict { verdict } => {
                lines.push(Line {
                    index: event.index,
                    class: if verdict.is_ok() { "verdict ok" } else { "verdict failure" },
                    arrow: if verdict.is_ok() { "✓" } else { "✗" },
                    text: if verdict.is_ok() { "Completed".to_owned() } else { format!("Failed: {}", verdict.cause.map(|cause| cause.to_string()).unwrap_or_default()) },
                    note: String::new(),
                });
            }
            _ => {}
        }
    }
    lines
}

/// The transcript up to event `position`. The list sits in a scroller that keeps its end in
/// view as lines are added (CSS `column-reverse`), so no script has to scroll it.
pub fn transcript(timeline: &Timeline, position: usize, dispatch: &Callback<Action>, title: &str) -> Html {
    let events = &timeline.events()[..=position.min(timeline.len().saturating_sub(1))];
    let lines = transcript_lines(events);
    html! {
        <section class="panel transcript-panel">
            <h2>{ title.to_owned() }</h2>
            <div class="pinned-scroller">
                <ol class="transcript" role="log" aria-label={title.to_owned()} aria-live="off">
                    { for lines.into_iter().map(|line| {
                        let dispatch = dispatch.clone();
                        let index = line.index;
                        html! {
                            <li class={classes!("line", line.class)} data-index={index.to_string()}>
                                <button class="seek" title="Go to this moment" onclick={Callback::from(move |_| dispatch.emit(Action::Seek(index)))}>
                                    <span class="arrow" aria-hidden="true">{ line.arrow }</span>
                                    <span class="text">{ line.text }</span>
                                    if !line.note.is_empty() {
                                        <span class="decoded">{ line.note }</span>
                                    }
                                </button>
                            </li>
                        }
                    }) }
                </ol>
            </div>
        </section>
    }
}

/// Lanes of the ladder diagram, as percentages of its width.
const LANES: [u32; 5] = [8, 29, 50, 71, 92];
/// Height of one row, in the diagram's own units.
const ROW: u32 = 16;

/// The ladder diagram up to event `position`: one row per hop, lanes for the five places.
pub fn ladder(timeline: &Timeline, position: usize, dispatch: &Callback<Action>, server_nat: bool) -> Html {
    let events = &timeline.events()[..=position.min(timeline.len().saturating_sub(1))];
    let hops: Vec<(usize, &TraceEvent)> = events
        .iter()
        .filter(|event| {
            matches!(
                event.kind,
                EventKind::PacketSent { .. } | EventKind::PacketForwarded { .. } | EventKind::PacketDropped { .. } | EventKind::PacketRejected { .. }
            )
        })
        .enumerate()
        .collect();
    let height = (hops.len() as u32 + 1) * ROW + 10;
    html! {
        <section class="panel ladder-panel">
            <h2>{ "Ladder diagram" }</h2>
            <div class="ladder-heads" aria-hidden="true">
                { for NodeId::ALL.iter().map(|node| html! {
                    <span style={format!("left: {}%", LANES[node.position()])}>{ node.label(server_nat) }</span>
                }) }
            </div>
            <div class="pinned-scroller ladder-scroll">
                <svg class="ladder" viewBox={format!("0 0 100 {height}")} preserveAspectRatio="none" style={format!("height: {height}px")}
                     role="img" aria-label="Ladder diagram: each packet's hop between the client, the routers and the server, in time order">
                    { for LANES.iter().map(|lane| html! {
                        <line class="lane" x1={lane.to_string()} y1="0" x2={lane.to_string()} y2={height.to_string()} />
                    }) }
                    { for hops.iter().map(|(row, event)| ladder_row(*row, event, position, dispatch)) }
                </svg>
            </div>
        </section>
    }
}

fn ladder_row(row: usize, event: &TraceEvent, position: usize, dispatch: &Callback<Action>) -> Html {
    let y = 8 + row as u32 * ROW;
    let from = LANES[event.device.position()];
    let (to, packet, dropped) = match &event.kind {
        EventKind::PacketSent { packet, to } | EventKind::PacketForwarded { packet, to, .. } => (LANES[to.position()], packet, false),
        EventKind::PacketDropped { packet, .. } | EventKind::PacketRejected { packet, .. } => (from, packet, true),
        _ => return html! {},
    };
    let class = classes!(
        "hop",
        if packet.channel == Channel::Control { "control" } else { "data" },
        dropped.then_some("dropped"),
        (event.index == position).then_some("current")
    );
    let index = event.index;
    let dispatch = dispatch.clone();
    let onclick = Callback::from(move |_| dispatch.emit(Action::Seek(index)));
    let label = if packet.preview.is_empty() { packet.flags.clone() } else { packet.preview.chars().take(22).collect() };
    html! {
        <g class={class} onclick={onclick}>
            <title>{ event.text.clone() }</title>
            if dropped {
                <text class="cross" x={from.to_string()} y={(y + 4).to_string()} text-anchor="middle">{ "✕" }</text>
            } else {
                <line x1={from.to_string()} y1={y.to_string()} x2={to.to_string()} y2={(y + ROW * 4 / 5).to_string()} />
            }
            <text class="hop-label" x={((from + to) / 2).to_string()} y={(y + 5).to_string()} text-anchor="middle">{ label }</text>
        </g>
    }
}
