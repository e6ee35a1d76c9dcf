//! The device tables: NAT mappings, tracked connections and the helper's expectations on each
//! router, the hosts' sockets, and the FTP states. Read straight from the world at the cursor.

use yew::prelude::*;

use crate::net::conntrack::{Conntrack, NatKind};
use crate::net::tcp::TcpStack;
use crate::sim::trace::NodeId;
use crate::sim::world::World;

fn conntrack_table(title: String, conntrack: &Conntrack, empty: &str) -> Html {
    let nat_rows: Vec<Html> = conntrack
        .entries()
        .filter(|entry| entry.nat.is_some())
        .map(|entry| {
            let (inside, outside) = match entry.nat {
                Some(NatKind::Source) => (entry.original.src.to_string(), entry.reply.dst.to_string()),
                _ => (entry.reply.src.to_string(), entry.original.dst.to_string()),
            };
            let peer = match entry.nat {
                Some(NatKind::Source) => entry.original.dst.to_string(),
                _ => entry.original.src.to_string(),
            };
            html! {
                <tr>
                    <td>{ inside }</td><td>{ "↔" }</td><td>{ outside }</td><td>{ peer }</td><td>{ entry.tcp_state.to_string() }</td>
                </tr>
            }
        })
        .collect();
    let rows: Vec<Html> = conntrack
        .entries()
        .map(|entry| {
            let state = if entry.seen_reply { "ESTABLISHED" } else if entry.related { "RELATED" } else { "NEW" };
            let mut flags = Vec::new();
            if entry.related {
                flags.push("expected");
            }
            if entry.helper {
                flags.push("FTP helper");
            }
            html! {
                <tr>
                    <td>{ entry.original.to_string() }</td>
                    <td>{ state }</td>
                    <td>{ entry.tcp_state.to_string() }</td>
                    <td>{ flags.join(", ") }</td>
                </tr>
            }
        })
        .collect();
    let expectations: Vec<Html> = conntrack
        .expectations()
        .map(|expectation| {
            html! {
                <li>{ format!("expects {} → {}{}", expectation.src_ip, expectation.dst,
                    expectation.nat_to.map(|to| format!(" (then to {to})")).unwrap_or_default()) }</li>
            }
        })
        .collect();
    html! {
        <div class="device-table">
            <h3>{ title }</h3>
            if !nat_rows.is_empty() {
                <table class="nat">
                    <caption>{ "NAT table" }</caption>
                    <thead><tr><th>{ "inside" }</th><th></th><th>{ "public" }</th><th>{ "other end" }</th><th>{ "TCP" }</th></tr></thead>
                    <tbody>{ for nat_rows }</tbody>
                </table>
            }
            if rows.is_empty() {
                <p class="empty">{ empty }</p>
            } else {
                <table class="conntrack">
                    <caption>{ "Connection tracking" }</caption>
                    <thead><tr><th>{ "connection (as it arrived)" }</th><th>{ "state" }</th><th>{ "TCP" }</th><th></th></tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            }
            if !expectations.is_empty() {
                <ul class="expectations" aria-label="FTP helper expectations">{ for expectations }</ul>
            }
        </div>
    }
}

fn sockets(title: String, stack: &TcpStack, ftp_state: String) -> Html {
    let listeners: Vec<Html> =
        stack.listeners().map(|listener| html! { <li>{ format!("LISTEN {}", listener.local) }</li> }).collect();
    let connections: Vec<Html> = stack
        .connections()
        .map(|conn| html! { <li>{ format!("{} {} ↔ {}", conn.state, conn.local, conn.remote) }</li> })
        .collect();
    html! {
        <div class="device-table">
            <h3>{ title }</h3>
            <p class="ftp-state">{ "FTP: " }<strong>{ ftp_state }</strong></p>
            <ul class="sockets">
                { for listeners }
                { for connections }
            </ul>
        </div>
    }
}

/// Every device's tables in the world at the cursor.
pub fn device_tables(world: &World) -> Html {
    let server_nat = world.scenario().server_nat_active();
    html! {
        <section class="panel tables-panel" aria-label="Device tables">
            <h2>{ "Device tables" }</h2>
            <div class="tables">
                { conntrack_table(NodeId::HomeRouter.label(server_nat).to_owned(), world.home_router().conntrack(), "No connections tracked yet.") }
                { conntrack_table(NodeId::ServerEdge.label(server_nat).to_owned(), world.server_edge().conntrack(), "No connections tracked yet.") }
                { sockets("Client sockets".to_owned(), &world.client().stack, world.client().app.state_name()) }
                { sockets("Server sockets".to_owned(), &world.server().stack, world.server().app.state_name()) }
            </div>
        </section>
    }
}
