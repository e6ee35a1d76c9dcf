//! The names of the five places on the path, of their switches, and of the connections.

use crate::net::packet::Channel;

pub const CLIENT: &str = "Client";
pub const HOME_ROUTER: &str = "Home router";
pub const INTERNET: &str = "Internet";
/// The server edge when it only filters.
pub const SERVER_FIREWALL: &str = "Server firewall";
/// The server edge when it also translates addresses.
pub const SERVER_ROUTER: &str = "Server router";
pub const SERVER: &str = "Server";

/// Badges on the devices.
pub const BADGE_NAT: &str = "NAT";
pub const BADGE_FIREWALL: &str = "Firewall";
pub const BADGE_HELPER: &str = "FTP helper";
pub const ON: &str = "ON";
pub const OFF: &str = "OFF";
pub const PASSIVE_PORTS_OPEN: &str = "passive ports open";
pub const CONTROL_PORT_ONLY: &str = "control port only";

/// "LAN 192.168.1.1"
pub fn lan(address: &str) -> String {
    format!("LAN {address}")
}

/// "WAN 203.0.113.1"
pub fn wan(address: &str) -> String {
    format!("WAN {address}")
}

/// "control port 21"
pub fn control_port(port: u16) -> String {
    format!("control port {port}")
}

/// "control connection", "data connection 2"
pub fn channel(channel: Channel) -> String {
    match channel {
        Channel::Control => "control connection".to_owned(),
        Channel::Data(n) => format!("data connection {n}"),
    }
}
