//! The topology picture: the five places, the connections between the hosts, the packets on
//! the wires, and what the current device just did. It draws a [`Scene`]; it decides nothing.

use yew::prelude::*;

use crate::net::packet::{Channel, PacketKind};
use crate::sim::scene::{Callout, CalloutKind, ConnectionView, NodeView, PacketStatus, PacketView, Scene};
use crate::sim::trace::NodeId;

/// Horizontal centre of each place, in the 1000-wide drawing.
const XS: [f64; 5] = [80.0, 290.0, 500.0, 710.0, 920.0];
/// Height of the wire the packets travel on.
const WIRE_Y: f64 = 150.0;

fn x(node: NodeId) -> f64 {
    XS[node.position()]
}

/// Whole user units as text: SVG needs no fractions here, and the browser build then carries
/// no float-formatting code.
fn n(value: f64) -> String {
    (value.round() as i32).to_string()
}

/// Draws `scene`. `hop_ms` is how long one hop takes on screen (0: no animation); `compact` is
/// for the side-by-side panes; `label` is the picture's accessible name.
pub fn topology(scene: &Scene, hop_ms: u32, compact: bool, label: &str) -> Html {
    let data_rows: Vec<&ConnectionView> = scene.connections.iter().filter(|conn| conn.channel != Channel::Control).collect();
    let height = 370;
    html! {
        <svg class={classes!("topology", compact.then_some("compact"))} viewBox={format!("0 0 1000 {height}")}
             role="img" aria-label={label.to_owned()} preserveAspectRatio="xMidYMid meet">
            <defs>
                <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
                    <path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead" />
                </marker>
            </defs>
            { for (0..4).map(|i| html! {
                <line class="wire" x1={n(XS[i] + 34.0)} y1={n(WIRE_Y)} x2={n(XS[i + 1] - 34.0)} y2={n(WIRE_Y)} />
            }) }
            { for scene.connections.iter().filter(|conn| conn.channel == Channel::Control).map(|conn| connection(conn, 28.0)) }
            { for data_rows.iter().enumerate().map(|(row, conn)| connection(conn, 62.0 + 26.0 * row as f64)) }
            { for scene.nodes.iter().map(|node| node_view(node, scene.current == Some(node.id))) }
            { for scene.packets.iter().enumerate().map(|(index, packet)| packet_view(packet, index, hop_ms)) }
            { for scene.callouts.iter().map(callout_view) }
        </svg>
    }
}

fn connection(conn: &ConnectionView, y: f64) -> Html {
    let (x1, x2) = (x(conn.from), x(conn.to));
    let (left, right) = if x1 <= x2 { (x1, x2) } else { (x2, x1) };
    let control = conn.channel == Channel::Control;
    let name = match conn.channel {
        Channel::Control => "control connection".to_owned(),
        Channel::Data(number) => format!("data connection {number}"),
    };
    let reaches_host = matches!(conn.to, NodeId::Client | NodeId::Server);
    let middle = (left + right) / 2.0;
    let text = format!("{name}: {} · {}", conn.label, conn.state);
    html! {
        <g class={classes!("connection", if control { "control" } else { "data" }, conn.open.then_some("open"))}
           data-connection={if control { "control" } else { "data" }} data-channel={name.clone()}>
            <title>{ format!("{text}{}", conn.far_label.as_ref().map(|far| format!(" (the other end sees {far})")).unwrap_or_default()) }</title>
            <line x1={n(left)} y1={n(y)} x2={n(right)} y2={n(y)} />
            <circle class="end" cx={n(x1)} cy={n(y)} r="5" />
            if reaches_host {
                <circle class="end" cx={n(x2)} cy={n(y)} r="5" />
            } else {
                <text class="blocked" x={n(x2)} y={n(y + 5.0)} text-anchor="middle">{ "✕" }</text>
            }
            <text class="connection-label" x={n(middle)} y={n(y - 7.0)} text-anchor="middle">{ text }</text>
            if let Some(far) = &conn.far_label {
                <text class="far-label" x={n(middle)} y={n(y + 15.0)} text-anchor="middle">
                    { format!("seen from the other end: {far}") }
                </text>
            }
        </g>
    }
}

fn node_icon(node: NodeId, cx: f64) -> Html {
    let y = WIRE_Y;
    match node {
        NodeId::Client => html! {
            <g class="icon">
                <rect x={n(cx - 30.0)} y={n(y - 24.0)} width="60" height="40" rx="4" />
                <rect class="screen" x={n(cx - 25.0)} y={n(y - 19.0)} width="50" height="30" rx="2" />
                <rect x={n(cx - 14.0)} y={n(y + 18.0)} width="28" height="6" rx="2" />
            </g>
        },
        NodeId::HomeRouter => html! {
            <g class="icon">
                <line x1={n(cx - 18.0)} y1={n(y - 16.0)} x2={n(cx - 24.0)} y2={n(y - 32.0)} />
                <line x1={n(cx + 18.0)} y1={n(y - 16.0)} x2={n(cx + 24.0)} y2={n(y - 32.0)} />
                <rect x={n(cx - 34.0)} y={n(y - 16.0)} width="68" height="32" rx="8" />
                <circle class="led" cx={n(cx - 16.0)} cy={n(y)} r="3" />
                <circle class="led" cx={n(cx - 4.0)} cy={n(y)} r="3" />
                <circle class="led" cx={n(cx + 8.0)} cy={n(y)} r="3" />
            </g>
        },
        NodeId::Internet => html! {
            <g class="icon cloud">
                <path d={format!(
                    "M {a} {b} a 16 16 0 0 1 14 -20 a 22 22 0 0 1 40 -2 a 16 16 0 0 1 22 16 a 12 12 0 0 1 -4 24 h -64 a 12 12 0 0 1 -8 -18 z",
                    a = cx - 50.0, b = y + 6.0
                )} />
            </g>
        },
        NodeId::ServerEdge => html! {
            <g class="icon wall">
                <rect x={n(cx - 30.0)} y={n(y - 26.0)} width="60" height="52" rx="3" />
                { for (0..4).map(|row| {
                    let ry = y - 26.0 + 13.0 * row as f64;
                    let offset = if row % 2 == 0 { 0.0 } else { 15.0 };
                    html! {
                        <>
                            <line class="mortar" x1={n(cx - 30.0)} y1={n(ry)} x2={n(cx + 30.0)} y2={n(ry)} />
                            <line class="mortar" x1={n(cx - 15.0 + offset)} y1={n(ry)} x2={n(cx - 15.0 + offset)} y2={n(ry + 13.0)} />
                            <line class="mortar" x1={n(cx + 15.0 - offset)} y1={n(ry)} x2={n(cx + 15.0 - offset)} y2={n(ry + 13.0)} />
                        </>
                    }
                }) }
            </g>
        },
        NodeId::Server => html! {
            <g class="icon">
                <rect x={n(cx - 22.0)} y={n(y - 32.0)} width="44" height="64" rx="4" />
                <line class="slot" x1={n(cx - 14.0)} y1={n(y - 18.0)} x2={n(cx + 14.0)} y2={n(y - 18.0)} />
                <line class="slot" x1={n(cx - 14.0)} y1={n(y - 8.0)} x2={n(cx + 14.0)} y2={n(y - 8.0)} />
                <circle class="led" cx={n(cx + 10.0)} cy={n(y + 20.0)} r="3" />
            </g>
        },
    }
}

fn node_view(node: &NodeView, current: bool) -> Html {
    let cx = x(node.id);
    let mut y = WIRE_Y + 52.0;
    let name = html! {
        <text class="node-name" x={n(cx)} y={n(y)} text-anchor="middle">{ node.label }</text>
    };
    let addresses: Vec<Html> = node
        .addresses
        .iter()
        .map(|address| {
            y += 17.0;
            html! { <text class="address" x={n(cx)} y={n(y)} text-anchor="middle">{ address.clone() }</text> }
        })
        .collect();
    let badge_y = y + 12.0;
    let count = node.badges.len() as f64;
    let badges: Vec<Html> = node
        .badges
        .iter()
        .enumerate()
        .map(|(column, badge)| {
            let bx = cx - (count * 64.0) / 2.0 + 64.0 * column as f64 + 2.0;
            let state = if badge.on { "on" } else { "off" };
            let title = match badge.detail {
                Some(detail) => format!("{} {state} ({detail})", badge.label),
                None => format!("{} {state}", badge.label),
            };
            html! {
                <g class={classes!("badge", state)} data-badge={badge.label}>
                    <title>{ title }</title>
                    <rect x={n(bx)} y={n(badge_y)} width="60" height="30" rx="6" />
                    <text x={n(bx + 30.0)} y={n(badge_y + 12.0)} text-anchor="middle">{ badge.label }</text>
                    <text class="state" x={n(bx + 30.0)} y={n(badge_y + 25.0)} text-anchor="middle">{ state.to_uppercase() }</text>
                </g>
            }
        })
        .collect();
    html! {
        <g class={classes!("node", current.then_some("current"))} data-node={node.id.as_str()}>
            if current {
                <circle class="halo" cx={n(cx)} cy={n(WIRE_Y)} r="52" />
            }
            { node_icon(node.id, cx) }
            { name }
            { for addresses }
            { for badges }
        </g>
    }
}

fn packet_view(packet: &PacketView, index: usize, hop_ms: u32) -> Html {
    let control = packet.channel == Channel::Control;
    let lane = if control { -13.0 } else { 13.0 };
    let y = WIRE_Y + lane + 6.0 * ((index % 3) as f64 - 1.0);
    let (from, to) = (x(packet.from), x(packet.to));
    let dropped = matches!(packet.status, PacketStatus::Dropped { .. });
    let kind_class = match packet.kind {
        PacketKind::Syn => "syn",
        PacketKind::SynAck => "synack",
        PacketKind::Ack => "ack",
        PacketKind::Data => "payload",
        PacketKind::Fin => "fin",
        PacketKind::Rst => "rst",
        PacketKind::Icmp => "icmp",
    };
    let short: String = packet.label.chars().take(26).collect();
    let short = if packet.label.chars().count() > 26 { format!("{short}…") } else { short };
    let body = if control {
        html! { <circle r="8" /> }
    } else {
        html! { <rect x="-8" y="-8" width="16" height="16" rx="2" /> }
    };
    let style = if dropped || hop_ms == 0 {
        // Without animation a packet in flight sits halfway along its wire.
        let at = if dropped { from } else { (from + to) / 2.0 };
        format!("transform: translate({}px, {}px)", n(at), n(y))
    } else {
        format!("--x0: {}px; --x1: {}px; --y: {}px; --hop: {hop_ms}ms; transform: translate({}px, {}px)", n(from), n(to), n(y), n(to), n(y))
    };
    html! {
        <g key={format!("{}-{}", packet.id.0, packet.since)}
           class={classes!("packet", if control { "control" } else { "data" }, kind_class, dropped.then_some("dropped"), (hop_ms > 0 && !dropped).then_some("moving"))}
           style={style} data-packet={packet.label.clone()}>
            <title>{ packet.label.clone() }</title>
            { body }
            if dropped {
                <text class="cross" y="5" text-anchor="middle">{ "✕" }</text>
            }
            <text class="packet-label" y={if control { "-13" } else { "24" }} text-anchor="middle">{ short }</text>
        </g>
    }
}

fn callout_view(callout: &Callout) -> Html {
    let width = callout.lines.iter().map(|line| line.chars().count()).max().unwrap_or(10).min(64) as f64 * 6.6 + 20.0;
    let cx = x(callout.at).clamp(width / 2.0 + 4.0, 996.0 - width / 2.0);
    let height = 16.0 * callout.lines.len() as f64 + 10.0;
    let top = 366.0 - height;
    let kind = match callout.kind {
        CalloutKind::Dropped | CalloutKind::Refused => "bad",
        CalloutKind::Rewritten | CalloutKind::Expected => "helper",
        CalloutKind::Translated => "nat",
        CalloutKind::Note => "note",
    };
    html! {
        <g class={classes!("callout", kind)} data-callout={kind}>
            <rect x={n(cx - width / 2.0)} y={n(top)} width={n(width)} height={n(height)} rx="6" />
            { for callout.lines.iter().enumerate().map(|(row, line)| {
                let line: String = line.chars().take(64).collect();
                html! {
                    <text x={n(cx)} y={n(top + 18.0 + 16.0 * row as f64)} text-anchor="middle">{ line }</text>
                }
            }) }
        </g>
    }
}
