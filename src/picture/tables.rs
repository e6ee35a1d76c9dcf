//! The device tables at one moment: each router's NAT table, its connection tracking and its
//! FTP helper's expectations, and each host's sockets and FTP state. Read-only markup, written
//! with maud so every value is escaped.

use maud::{Markup, html};

use crate::ftp::client::DataMode;
use crate::messages::page::tables as say;
use crate::net::conntrack::{Conntrack, NatKind};
use crate::net::tcp::TcpStack;
use crate::sim::matrix::Cell;
use crate::sim::scenario::{IpVersion, Scenario};
use crate::sim::trace::NodeId;
use crate::sim::verdict::RunOutcome;
use crate::sim::world::World;

/// The every-mode table of `scenario`: how its run ends in each data mode (its own mode marked),
/// and the note under it (with the server's passive range). One drawing for the page's panel and
/// the printed sheets.
pub fn every_mode(cells: &[Cell], scenario: &Scenario) -> String {
    use crate::messages::page::comparison as every;
    let ipv6 = scenario.ip == IpVersion::V6;
    let (current, passive_range) = (scenario.mode, scenario.numbers.passive_range);
    let note = |mode: DataMode| match mode {
        DataMode::Pasv | DataMode::Auto if ipv6 => Some(every::USES_EPSV),
        DataMode::Port if ipv6 => Some(every::USES_EPRT),
        _ => None,
    };
    html! {
        table {
            thead { tr { th scope="col" { (every::MODE) } th scope="col" { (every::RESULT) } } }
            tbody {
                @for cell in cells {
                    @let ok = cell.outcome == RunOutcome::Ok;
                    tr class={ (if ok { "ok" } else { "fail" }) @if cell.mode == current { " current" } } {
                        th scope="row" {
                            (crate::messages::settings::mode(cell.mode))
                            @if let Some(note) = note(cell.mode) { span class="mode-note" { (note) } }
                        }
                        td { @if ok { (every::WORKS) } @else { (every::fails(&cell.text)) } }
                    }
                }
            }
        }
        p class="note" { (every::note(passive_range.0, passive_range.1)) }
    }
    .into_string()
}

fn conntrack_table(title: &str, conntrack: &Conntrack) -> Markup {
    let natted: Vec<_> = conntrack.entries().filter(|entry| entry.nat.is_some()).collect();
    let expectations: Vec<_> = conntrack.expectations().collect();
    html! {
        div class="device-table" {
            h3 { (title) }
            @if !natted.is_empty() {
                table class="nat" {
                    caption { (say::NAT_TABLE) }
                    thead { tr { th scope="col" { (say::INSIDE) } th scope="col" { (say::PUBLIC) } th scope="col" { (say::OTHER_END) } th scope="col" { (say::TCP) } } }
                    tbody {
                        @for entry in natted {
                            @let (inside, outside, peer) = match entry.nat {
                                Some(NatKind::Source) => (entry.original.src, entry.reply.dst, entry.original.dst),
                                _ => (entry.reply.src, entry.original.dst, entry.original.src),
                            };
                            tr { td { (inside) } td { (outside) } td { (peer) } td { (entry.tcp_state) } }
                        }
                    }
                }
            }
            @if conntrack.entries().next().is_none() {
                p class="empty" { (say::NONE_TRACKED) }
            } @else {
                table class="conntrack" {
                    caption { (say::CONNECTION_TRACKING) }
                    thead { tr { th scope="col" { (say::CONNECTION) } th scope="col" { (say::STATE) } th scope="col" { (say::TCP) } th scope="col" { (say::NOTES) } } }
                    tbody {
                        @for entry in conntrack.entries() {
                            @let state = if entry.seen_reply { "ESTABLISHED" } else if entry.related { "RELATED" } else { "NEW" };
                            @let notes = match (entry.related, entry.helper) {
                                (true, true) => say::EXPECTED_HELPER,
                                (true, false) => say::EXPECTED,
                                (false, true) => say::HELPER,
                                (false, false) => "",
                            };
                            tr { td { (entry.original) } td { (state) } td { (entry.tcp_state) } td { (notes) } }
                        }
                    }
                }
            }
            @if !expectations.is_empty() {
                ul class="expectations" aria-label=(say::EXPECTATIONS) {
                    @for expectation in expectations {
                        @let then = expectation.nat_to.map(|to| to.to_string());
                        li { (say::expects(&expectation.src_ip.to_string(), &expectation.dst.to_string(), then.as_deref())) }
                    }
                }
            }
        }
    }
}

fn sockets(title: &str, stack: &TcpStack, ftp_state: &str) -> Markup {
    html! {
        div class="device-table" {
            h3 { (title) }
            p class="ftp-state" { (say::FTP) " " strong { (ftp_state) } }
            ul class="sockets" {
                @for listener in stack.listeners() { li { "LISTEN " (listener.local) } }
                @for conn in stack.connections() { li { (conn.state) " " (conn.local) " ↔ " (conn.remote) } }
            }
        }
    }
}

/// Every device's tables in `world`.
pub fn device_tables(world: &World) -> String {
    let server_nat = world.scenario().server_nat_active();
    html! {
        (conntrack_table(NodeId::HomeRouter.label(server_nat), world.home_router().conntrack()))
        (conntrack_table(NodeId::ServerEdge.label(server_nat), world.server_edge().conntrack()))
        (sockets(say::CLIENT_SOCKETS, &world.client().stack, &world.client_state()))
        (sockets(say::SERVER_SOCKETS, &world.server().stack, &world.server().app.state_name()))
    }
    .into_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::Scenario;
    use crate::sim::timeline::Timeline;

    #[test]
    fn the_tables_follow_the_position() {
        let timeline = Timeline::run(&Scenario::default()).expect("valid");
        let login =
            timeline.events().iter().position(|event| event.text.contains("receives the reply 230")).expect("login");
        let tables = device_tables(&timeline.world_at(login));
        assert!(tables.contains("NAT table"));
        assert!(tables.contains("192.168.1.2:"));
        assert!(tables.contains("ESTABLISHED"));
        assert!(tables.contains("LISTEN 198.51.100.10:21"));
        assert!(device_tables(&timeline.world_at(0)).contains("No connections tracked yet."));
    }
}
