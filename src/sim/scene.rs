//! What the page draws at one moment, computed from the timeline: the places on the path with
//! their addresses and switches, the connections that exist, the packets on the wires, and a
//! callout for what the current event did (a drop with its reason, a rewrite before → after).
//!
//! This is the view model: the browser code only turns a [`Scene`] into SVG, so everything the
//! picture claims is tested natively here.

use litemap::LiteMap;

use serde::Serialize;

use super::scenario::ServerFirewall;
use super::timeline::Timeline;
use super::trace::{EventKind, Level, NodeId, PacketInfo};
use super::world::World;
use crate::messages::page::callouts as say;
use crate::messages::{engine, places};
use crate::net::device::DeviceEvent;
use crate::net::packet::{Channel, PacketId, PacketKind};
use crate::net::tcp::TcpState;

/// A switch shown on a device, such as "NAT on".
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Badge {
    pub label: &'static str,
    pub on: bool,
    /// A word on how it is set, for switches with more than two positions.
    pub detail: Option<&'static str>,
}

/// One place on the path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeView {
    pub id: NodeId,
    pub label: &'static str,
    pub addresses: Vec<String>,
    pub badges: Vec<Badge>,
}

/// Where a packet is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum PacketStatus {
    /// On the link from `from` to `to`.
    InFlight,
    /// Stopped at `from` by a device, for this reason.
    Dropped { rule: String, reason: String },
}

/// A packet to draw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PacketView {
    pub id: PacketId,
    pub from: NodeId,
    pub to: NodeId,
    pub kind: PacketKind,
    pub channel: Channel,
    /// `SYN`, `PSH-ACK PORT 192,168,1,2,…`: what the label on the dot says.
    pub label: String,
    pub status: PacketStatus,
    /// The place it came from on its last hop: `from` while it flies, the hop before when a
    /// device has stopped it (so the drawing knows which side of the device it stands on).
    pub approach: NodeId,
    /// The event at which it left `from`: a new hop restarts its animation.
    pub since: usize,
    /// The event at which it reaches `to` (equal to `since` when it is not moving).
    pub arrival: usize,
}

/// A TCP connection to draw between the hosts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConnectionView {
    pub channel: Channel,
    /// The host that opened it.
    pub from: NodeId,
    /// How far it reaches: the other host, or the device that stops its SYN.
    pub to: NodeId,
    /// The addresses as the opening host sees them.
    pub label: String,
    /// The addresses as the other host sees them, when NAT makes them differ.
    pub far_label: Option<String>,
    /// The opening host's TCP state.
    pub state: TcpState,
    /// Established at both ends.
    pub open: bool,
}

/// What a callout is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum CalloutKind {
    Dropped,
    Refused,
    Rewritten,
    Translated,
    Expected,
    Note,
}

/// Words next to a device about what it just did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Callout {
    pub at: NodeId,
    pub kind: CalloutKind,
    pub lines: Vec<String>,
}

/// Everything the topology picture shows at one event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Scene {
    pub nodes: Vec<NodeView>,
    pub connections: Vec<ConnectionView>,
    pub packets: Vec<PacketView>,
    /// Where the current event happened.
    pub current: Option<NodeId>,
    pub callouts: Vec<Callout>,
}

/// The five places with their addresses and switches.
pub fn nodes(world: &World) -> Vec<NodeView> {
    let scenario = world.scenario();
    let topology = world.topology();
    let server_nat = scenario.server_nat_active();
    let label = |node: NodeId| node.label(server_nat);
    vec![
        NodeView {
            id: NodeId::Client,
            label: label(NodeId::Client),
            addresses: vec![topology.client.to_string()],
            badges: Vec::new(),
        },
        NodeView {
            id: NodeId::HomeRouter,
            label: label(NodeId::HomeRouter),
            addresses: vec![
                places::lan(&topology.router_lan.to_string()),
                places::wan(&topology.router_wan.to_string()),
            ],
            badges: vec![
                Badge { label: places::BADGE_NAT, on: scenario.client_nat_active(), detail: None },
                Badge { label: places::BADGE_FIREWALL, on: scenario.client_firewall, detail: None },
                Badge { label: places::BADGE_HELPER, on: scenario.client_alg, detail: None },
            ],
        },
        NodeView { id: NodeId::Internet, label: label(NodeId::Internet), addresses: Vec::new(), badges: Vec::new() },
        NodeView {
            id: NodeId::ServerEdge,
            label: label(NodeId::ServerEdge),
            addresses: match topology.edge_lan {
                Some(lan) => vec![places::wan(&topology.server_public.to_string()), places::lan(&lan.to_string())],
                None => Vec::new(),
            },
            badges: vec![
                Badge {
                    label: places::BADGE_FIREWALL,
                    on: scenario.server_firewall != ServerFirewall::Off,
                    detail: match scenario.server_firewall {
                        ServerFirewall::Off => None,
                        ServerFirewall::PassiveRange => Some(places::PASSIVE_PORTS_OPEN),
                        ServerFirewall::ControlOnly => Some(places::CONTROL_PORT_ONLY),
                    },
                },
                Badge { label: places::BADGE_NAT, on: server_nat, detail: None },
                Badge { label: places::BADGE_HELPER, on: scenario.server_alg, detail: None },
            ],
        },
        NodeView {
            id: NodeId::Server,
            label: label(NodeId::Server),
            addresses: vec![topology.server.to_string(), places::control_port(scenario.control_port)],
            badges: Vec::new(),
        },
    ]
}

/// The index of the latest key event at or before `index`.
fn last_key_event(timeline: &Timeline, index: usize) -> usize {
    timeline.events()[..=index].iter().rposition(|event| event.level == Level::Key).unwrap_or(0)
}

fn packet_label(packet: &PacketInfo) -> String {
    if packet.preview.is_empty() { packet.flags.clone() } else { format!("{} {}", packet.flags, packet.preview) }
}

/// The packets on the wires (and just dropped) at event `index`.
pub fn packets(timeline: &Timeline, index: usize) -> Vec<PacketView> {
    let events = timeline.events();
    let index = index.min(events.len().saturating_sub(1));
    let key = last_key_event(timeline, index);
    let mut seen: LiteMap<PacketId, PacketView> = LiteMap::new();
    for event in &events[..=index] {
        let flying = |packet: &PacketInfo, to: NodeId| PacketView {
            id: packet.id,
            from: event.device,
            to,
            kind: packet.kind,
            channel: packet.channel,
            label: packet_label(packet),
            status: PacketStatus::InFlight,
            approach: event.device,
            since: event.index,
            arrival: event.index,
        };
        match &event.kind {
            EventKind::PacketSent { packet, to } | EventKind::PacketForwarded { packet, to, .. } => {
                seen.insert(packet.id, flying(packet, *to));
            }
            EventKind::PacketDelivered { packet } => {
                seen.remove(&packet.id);
            }
            EventKind::PacketDropped { packet, rule, reason }
            | EventKind::PacketRejected { packet, rule, reason, .. } => {
                if event.index >= key {
                    let approach = seen.get(&packet.id).map_or(event.device, |earlier| earlier.from);
                    let mut view = flying(packet, event.device);
                    view.approach = approach;
                    let reason = engine::refusal(reason, event.device == NodeId::HomeRouter);
                    view.status = PacketStatus::Dropped { rule: rule.clone(), reason };
                    seen.insert(packet.id, view);
                } else {
                    seen.remove(&packet.id);
                }
                if let EventKind::PacketRejected { response, response_to: Some(to), .. } = &event.kind {
                    seen.insert(response.id, flying(response, *to));
                }
            }
            _ => {}
        }
    }
    let mut views: Vec<PacketView> = seen.into_tuple_vec().into_iter().map(|(_, view)| view).collect();
    // When does each packet in flight arrive? Its next event says.
    for view in views.iter_mut().filter(|view| view.status == PacketStatus::InFlight) {
        view.arrival = events[index + 1..]
            .iter()
            .find(|event| event.kind.packet().is_some_and(|packet| packet.id == view.id))
            .map_or(index + 1, |event| event.index);
    }
    views
}

/// One end of a connection, as the trace's TCP state changes describe it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct End {
    local: std::net::SocketAddr,
    remote: std::net::SocketAddr,
    state: TcpState,
}

/// The connections that exist right after event `index`, folded from the TCP state changes in
/// the trace (so they are exact to the event, not just to the world step).
pub fn connections(timeline: &Timeline, index: usize) -> Vec<ConnectionView> {
    let events = &timeline.events()[..=index.min(timeline.len().saturating_sub(1))];
    let mut ends: LiteMap<(Channel, NodeId), End> = LiteMap::new();
    for event in events {
        if let EventKind::TcpState { local, remote, channel, to, .. } = &event.kind {
            if *to == TcpState::Listen {
                continue;
            }
            if *to == TcpState::Closed {
                ends.remove(&(*channel, event.device));
            } else {
                ends.insert((*channel, event.device), End { local: *local, remote: *remote, state: *to });
            }
        }
    }
    let opener = |channel: Channel| -> NodeId {
        events
            .iter()
            .find_map(|event| match &event.kind {
                EventKind::TcpState { channel: seen, to: TcpState::SynSent, .. } if *seen == channel => {
                    Some(event.device)
                }
                _ => None,
            })
            .unwrap_or(NodeId::Client)
    };
    let syn_reach = |channel: Channel| -> Option<NodeId> {
        events.iter().rev().find_map(|event| match &event.kind {
            EventKind::PacketSent { packet, to } | EventKind::PacketForwarded { packet, to, .. }
                if packet.channel == channel && packet.kind == PacketKind::Syn =>
            {
                Some(*to)
            }
            EventKind::PacketDropped { packet, .. } | EventKind::PacketRejected { packet, .. }
                if packet.channel == channel && packet.kind == PacketKind::Syn =>
            {
                Some(event.device)
            }
            _ => None,
        })
    };
    let mut channels: Vec<Channel> = ends.keys().map(|(channel, _)| *channel).collect();
    channels.dedup();
    channels
        .into_iter()
        .filter_map(|channel| {
            let from = opener(channel);
            let other_end = if from == NodeId::Server { NodeId::Client } else { NodeId::Server };
            let mine = ends.get(&(channel, from)).copied();
            let theirs = ends.get(&(channel, other_end)).copied();
            let (label, state) = match (mine, theirs) {
                (Some(end), _) => (format!("{} → {}", end.local, end.remote), end.state),
                (None, Some(end)) => (format!("{} → {}", end.remote, end.local), end.state),
                (None, None) => return None,
            };
            let far_label = match (mine, theirs) {
                (Some(a), Some(b)) if a.local != b.remote || a.remote != b.local => Some(format!("{} → {}", b.remote, b.local)),
                _ => None,
            };
            let to = match (mine, theirs) {
                (Some(_), None) => syn_reach(channel).unwrap_or(other_end),
                _ => other_end,
            };
            let open = matches!((mine, theirs), (Some(a), Some(b)) if a.state == TcpState::Established && b.state == TcpState::Established);
            Some(ConnectionView { channel, from, to, label, far_label, state, open })
        })
        .collect()
}

/// Callouts for the current event.
pub fn callouts(timeline: &Timeline, index: usize) -> Vec<Callout> {
    let Some(event) = timeline.events().get(index) else {
        return Vec::new();
    };
    let at = event.device;
    let home_side = at == NodeId::HomeRouter;
    let callout = |kind, lines: Vec<String>| vec![Callout { at, kind, lines }];
    match &event.kind {
        EventKind::PacketDropped { packet, rule, reason } => callout(
            CalloutKind::Dropped,
            vec![say::dropped(&packet.flags, packet.dst), engine::refusal(reason, home_side), rule.clone()],
        ),
        EventKind::PacketRejected { packet, rule, reason, response, .. } => callout(
            CalloutKind::Refused,
            vec![
                say::refused(&packet.flags, packet.dst, &response.flags),
                engine::refusal(reason, home_side),
                rule.clone(),
            ],
        ),
        EventKind::PacketForwarded { packet, before: Some(before), .. } => {
            let mut lines = Vec::new();
            if before.src != packet.src {
                lines.push(say::source(before.src, packet.src));
            }
            if before.dst != packet.dst {
                lines.push(say::destination(before.dst, packet.dst));
            }
            if lines.is_empty() { Vec::new() } else { callout(CalloutKind::Translated, lines) }
        }
        EventKind::Device { event: DeviceEvent::PayloadRewritten { before, after } } => {
            callout(CalloutKind::Rewritten, vec![before.clone(), say::REWRITTEN.to_owned(), after.clone()])
        }
        EventKind::Device { event: DeviceEvent::ExpectationAdded { expectation, .. } } => {
            callout(CalloutKind::Expected, vec![say::expects(&expectation.src_ip.to_string(), expectation.dst)])
        }
        EventKind::Device { event: DeviceEvent::HelperNote { note } } => {
            callout(CalloutKind::Note, vec![engine::helper_note(note)])
        }
        _ => Vec::new(),
    }
}

/// The whole picture at event `index`; `world` must be the world at that event.
pub fn scene(timeline: &Timeline, world: &World, index: usize) -> Scene {
    Scene {
        nodes: nodes(world),
        connections: connections(timeline, index),
        packets: packets(timeline, index),
        current: timeline.events().get(index).map(|event| event.device),
        callouts: callouts(timeline, index),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ftp::client::DataMode;
    use crate::sim::scenario::Scenario;

    fn find(timeline: &Timeline, what: impl Fn(&EventKind) -> bool) -> usize {
        timeline.events().iter().position(|event| what(&event.kind)).expect("event exists")
    }

    #[test]
    fn the_control_connection_spans_the_path_and_shows_both_views_under_nat() {
        let timeline = Timeline::run(&Scenario::default()).expect("valid");
        let login =
            timeline.events().iter().position(|event| event.text.contains("receives the reply 230")).expect("login");
        let connections = connections(&timeline, login);
        assert_eq!(connections.len(), 1);
        let control = &connections[0];
        assert_eq!(control.channel, Channel::Control);
        assert_eq!((control.from, control.to), (NodeId::Client, NodeId::Server));
        assert!(control.open);
        assert!(control.label.starts_with("192.168.1.2:"), "{}", control.label);
        assert!(control.far_label.as_deref().unwrap_or("").starts_with("203.0.113.1:"), "{:?}", control.far_label);
    }

    #[test]
    fn a_data_connection_appears_with_its_syn_and_goes_when_closed() {
        let timeline = Timeline::run(&Scenario::default()).expect("valid");
        let syn = find(
            &timeline,
            |kind| matches!(kind, EventKind::PacketSent { packet, .. } if packet.channel == Channel::Data(1) && packet.kind == PacketKind::Syn),
        );
        let data: Vec<_> =
            connections(&timeline, syn).into_iter().filter(|conn| conn.channel == Channel::Data(1)).collect();
        assert_eq!(data.len(), 1);
        assert_eq!(data[0].state, TcpState::SynSent);
        // The step that sends the SYN starts with the socket entering SYN-SENT.
        let opened = find(&timeline, |kind| {
            matches!(kind, EventKind::TcpState { channel: Channel::Data(1), to: TcpState::SynSent, .. })
        });
        assert!(opened < syn);
        assert!(connections(&timeline, opened - 1).iter().all(|conn| conn.channel == Channel::Control));
        assert!(connections(&timeline, opened).iter().any(|conn| conn.channel == Channel::Data(1)));
        assert!(connections(&timeline, timeline.len() - 1).is_empty(), "all closed at the end");
    }

    #[test]
    fn a_dropped_syn_stops_at_the_router_with_its_reason() {
        let scenario = Scenario { mode: DataMode::Port, client_nat: false, ..Scenario::default() };
        let timeline = Timeline::run(&scenario).expect("valid");
        let drop = find(&timeline, |kind| matches!(kind, EventKind::PacketDropped { .. }));
        let world = timeline.world_at(drop);
        let scene = scene(&timeline, &world, drop);
        let dropped: Vec<_> =
            scene.packets.iter().filter(|packet| matches!(packet.status, PacketStatus::Dropped { .. })).collect();
        assert_eq!(dropped.len(), 1);
        assert_eq!(dropped[0].from, NodeId::HomeRouter);
        assert_eq!(scene.callouts[0].kind, CalloutKind::Dropped);
        assert!(scene.callouts[0].lines[1].contains("nobody inside asked for"));
        // The half-open data connection reaches only as far as the router.
        let data = scene.connections.iter().find(|conn| conn.channel == Channel::Data(1)).expect("data connection");
        assert_eq!((data.from, data.to), (NodeId::Server, NodeId::HomeRouter));
        assert!(!data.open);
    }

    #[test]
    fn packets_are_in_flight_between_send_and_delivery() {
        let timeline = Timeline::run(&Scenario::default()).expect("valid");
        let sent = find(&timeline, |kind| matches!(kind, EventKind::PacketSent { .. }));
        let flying = packets(&timeline, sent);
        assert_eq!(flying.len(), 1);
        assert_eq!((flying[0].from, flying[0].to), (NodeId::Client, NodeId::HomeRouter));
        assert_eq!(flying[0].status, PacketStatus::InFlight);
        let delivered = find(&timeline, |kind| matches!(kind, EventKind::PacketDelivered { .. }));
        assert!(packets(&timeline, delivered).iter().all(|packet| packet.id != flying[0].id));
    }

    #[test]
    fn a_helper_rewrite_shows_before_and_after() {
        let scenario = Scenario { mode: DataMode::Port, client_alg: true, ..Scenario::default() };
        let timeline = Timeline::run(&scenario).expect("valid");
        let rewrite =
            find(&timeline, |kind| matches!(kind, EventKind::Device { event: DeviceEvent::PayloadRewritten { .. } }));
        let callouts = callouts(&timeline, rewrite);
        assert_eq!(callouts[0].kind, CalloutKind::Rewritten);
        assert!(callouts[0].lines[0].starts_with("PORT 192,168,1,2,"));
        assert!(callouts[0].lines[2].starts_with("PORT 203,0,113,1,"));
    }

    #[test]
    fn nodes_show_addresses_and_switches() {
        let world =
            crate::sim::world::World::new(&Scenario { server_nat: true, client_alg: true, ..Scenario::default() })
                .expect("valid");
        let nodes = nodes(&world);
        assert_eq!(nodes.len(), 5);
        assert_eq!(nodes[1].addresses, ["LAN 192.168.1.1", "WAN 203.0.113.1"]);
        assert!(nodes[1].badges.iter().any(|badge| badge.label == "FTP helper" && badge.on));
        assert_eq!(nodes[3].label, "Server router");
        assert_eq!(nodes[4].addresses[0], "10.0.0.10");
    }
}
