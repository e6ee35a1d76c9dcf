//! One table of the settings a teacher can change. The page's settings form, the parser that
//! turns a form value into a [`Change`], and the terminal runner's flags are all generated from
//! [`SETTINGS`], so a new setting is added here and nowhere else (the way clap's derive makes a
//! struct *be* the interface).
//!
//! Each [`Setting`] has a key (the terminal flag `--client-firewall` and the form control's
//! name), a label and help text from [`crate::messages::settings`], a [`Kind`] that says which
//! values it takes, and three small functions: the value in force, the [`Change`] a value
//! stands for, and why the setting has no effect under the other settings (NAT on IPv6).

use super::scenario::{
    Change, EpsvRefusal, IpVersion, MAX_TIMEOUT, MAX_TRANSFERS, PasvAddress, PortCheck, PortList, Scenario,
    ServerFirewall, Transfer, User,
};
use crate::ftp::client::{ClientProfile, DataMode};
use crate::ftp::server::ServerProfile;
use crate::messages::settings::{choices, expected, groups, help, labels, unavailable};
use crate::net::device::PrivateDestinations;

/// A value a setting can take, with the words the form shows for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The value on the command line and in the form: `pasv`, `control-only`.
    pub token: &'static str,
    pub label: &'static str,
}

/// Which values a setting takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Two values, shown as a checkbox; `on` and `off` are the tokens (`on`/`off`, or
    /// `strict`/`off` for the PORT check).
    Switch { on: &'static str, off: &'static str },
    /// One of a few values, shown as a menu.
    Choice(&'static [Choice]),
    /// A whole number in a range, shown as a number field.
    Number { min: u32, max: u32 },
    /// A whole number in a range, or the word `none` for "not set" (a default or no limit).
    OptionalNumber { min: u32, max: u32, none: &'static str },
    /// Ports separated by commas (`21,2121`).
    Ports,
}

/// Where a setting sits in the form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    Session,
    HomeRouter,
    ServerSide,
    ClientAndNetwork,
}

impl Group {
    pub const ALL: [Group; 4] = [Group::Session, Group::HomeRouter, Group::ServerSide, Group::ClientAndNetwork];

    /// The heading of the group in the form.
    pub fn label(self) -> &'static str {
        match self {
            Group::Session => groups::SESSION,
            Group::HomeRouter => groups::HOME_ROUTER,
            Group::ServerSide => groups::SERVER_SIDE,
            Group::ClientAndNetwork => groups::CLIENT_AND_NETWORK,
        }
    }
}

/// One setting.
#[derive(Debug)]
pub struct Setting {
    /// The flag (`--client-firewall`) and the form control's name.
    pub key: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    pub group: Group,
    pub kind: Kind,
    /// Shown on the page; the others are for the terminal runner only.
    pub on_page: bool,
    read: fn(&Scenario) -> String,
    change: fn(&str) -> Option<Change>,
    unavailable: fn(&Scenario) -> Option<&'static str>,
}

/// A value that is not one of a setting's values.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", expected::refused(label, expected, got))]
pub struct SettingError {
    pub label: &'static str,
    pub expected: String,
    pub got: String,
}

impl Setting {
    /// The value in force, as a token. A setting without effect (NAT on IPv6) shows the value
    /// in effect, so the form never claims what the picture does not show.
    pub fn value(&self, scenario: &Scenario) -> String {
        (self.read)(scenario)
    }

    /// The value the scenario holds, as a token, even where the setting has no effect: NAT on
    /// IPv6 holds its switch (on in the lesson `epsv-ipv6`) but shows off. Applied to the
    /// scenario, it leaves it as it is: what a link carries to give the same scenario back.
    pub fn stored(&self, scenario: &Scenario) -> String {
        match self.key {
            "client-nat" => on_off(scenario.client_nat),
            "server-nat" => on_off(scenario.server_nat),
            _ => self.value(scenario),
        }
    }

    /// True for a switch that is on.
    pub fn is_on(&self, scenario: &Scenario) -> bool {
        matches!(self.kind, Kind::Switch { on, .. } if self.value(scenario) == on)
    }

    /// Why the setting has no effect under these settings, if it has none.
    pub fn unavailable(&self, scenario: &Scenario) -> Option<&'static str> {
        (self.unavailable)(scenario)
    }

    /// The change a token stands for, or what was expected instead.
    pub fn parse(&self, token: &str) -> Result<Change, SettingError> {
        let token = token.trim();
        (self.change)(token).ok_or_else(|| SettingError {
            label: self.label,
            expected: self.expected(),
            got: token.chars().take(40).collect(),
        })
    }

    /// The change a switch makes when it is set to `on`.
    pub fn switch(&self, on: bool) -> Option<Change> {
        match self.kind {
            Kind::Switch { on: on_token, off } => (self.change)(if on { on_token } else { off }),
            _ => None,
        }
    }

    /// The values it takes, for help texts and error messages.
    pub fn expected(&self) -> String {
        match self.kind {
            Kind::Switch { on, off } => expected::either(on, off),
            Kind::Choice(choices) => {
                let tokens: Vec<&str> = choices.iter().map(|choice| choice.token).collect();
                expected::one_of(&tokens.join(", "))
            }
            Kind::Number { min, max } => expected::number(min, max),
            Kind::OptionalNumber { min, max, none } => expected::number_or(min, max, none),
            Kind::Ports => expected::ports(),
        }
    }

    /// The tokens it takes (switches and menus), for the terminal runner's help.
    pub fn tokens(&self) -> Vec<&'static str> {
        match self.kind {
            Kind::Switch { on, off } => vec![on, off],
            Kind::Choice(choices) => choices.iter().map(|choice| choice.token).collect(),
            Kind::Number { .. } | Kind::OptionalNumber { .. } | Kind::Ports => Vec::new(),
        }
    }
}

fn on_off(on: bool) -> String {
    if on { "on" } else { "off" }.to_owned()
}

fn switch(token: &str) -> Option<bool> {
    match token {
        "on" => Some(true),
        "off" => Some(false),
        _ => None,
    }
}

fn always(_: &Scenario) -> Option<&'static str> {
    None
}

fn needs_ipv4(scenario: &Scenario) -> Option<&'static str> {
    (scenario.ip == IpVersion::V6).then_some(unavailable::NAT_NEEDS_IPV4)
}

const SWITCH: Kind = Kind::Switch { on: "on", off: "off" };

/// Seconds, or `default`: the server's own timeout.
const SERVER_SECONDS: Kind = Kind::OptionalNumber { min: 1, max: MAX_TIMEOUT, none: "default" };

fn seconds_or(value: Option<u32>, none: &str) -> String {
    value.map_or_else(|| none.to_owned(), |seconds| seconds.to_string())
}

/// `Some(None)` for the `none` word, `Some(Some(n))` for a number in range.
fn parse_seconds(token: &str, none: &str) -> Option<Option<u32>> {
    if token == none {
        return Some(None);
    }
    token.parse::<u32>().ok().filter(|n| (1..=MAX_TIMEOUT).contains(n)).map(Some)
}

fn parse_ports(token: &str) -> Option<Change> {
    let ports: Option<Vec<u16>> =
        token.split(',').map(|part| part.trim().parse::<u16>().ok().filter(|port| *port != 0)).collect();
    ports.filter(|ports| !ports.is_empty()).and_then(|ports| PortList::new(&ports)).map(Change::HelperPorts)
}

const CLIENTS: &[Choice] =
    &[Choice { token: "curl", label: choices::CURL }, Choice { token: "ftplib", label: choices::FTPLIB }];

const SERVERS: &[Choice] =
    &[Choice { token: "vsftpd", label: choices::VSFTPD }, Choice { token: "pyftpdlib", label: choices::PYFTPDLIB }];

const USERS: &[Choice] =
    &[Choice { token: "anonymous", label: choices::ANONYMOUS }, Choice { token: "demo", label: choices::DEMO }];

const EPSV_REFUSALS: &[Choice] = &[Choice { token: "500", label: "500" }, Choice { token: "502", label: "502" }];

const PRIVATE_DESTINATIONS: &[Choice] =
    &[Choice { token: "drop", label: choices::DROPPED }, Choice { token: "unreachable", label: choices::UNREACHABLE }];

const MODES: &[Choice] = &[
    Choice { token: "port", label: crate::messages::settings::MODE_PORT },
    Choice { token: "eprt", label: crate::messages::settings::MODE_EPRT },
    Choice { token: "pasv", label: crate::messages::settings::MODE_PASV },
    Choice { token: "epsv", label: crate::messages::settings::MODE_EPSV },
    Choice { token: "auto", label: crate::messages::settings::MODE_AUTO },
];

const OPERATIONS: &[Choice] = &[
    Choice { token: "list", label: choices::LIST },
    Choice { token: "retr", label: choices::RETR },
    Choice { token: "stor", label: choices::STOR },
];

const SERVER_FIREWALLS: &[Choice] = &[
    Choice { token: "off", label: choices::FIREWALL_OFF },
    Choice { token: "passive-range", label: choices::FIREWALL_PASSIVE_RANGE },
    Choice { token: "control-only", label: choices::FIREWALL_CONTROL_ONLY },
];

const PASV_ADDRESSES: &[Choice] = &[
    Choice { token: "private", label: choices::PASV_PRIVATE },
    Choice { token: "public", label: choices::PASV_PUBLIC },
];

const IP_VERSIONS: &[Choice] =
    &[Choice { token: "v4", label: choices::IPV4 }, Choice { token: "v6", label: choices::IPV6 }];

/// Every setting, in the order the form shows them.
pub static SETTINGS: [Setting; 26] = [
    Setting {
        key: "client",
        label: labels::CLIENT,
        help: help::CLIENT,
        group: Group::Session,
        kind: Kind::Choice(CLIENTS),
        on_page: true,
        read: |s| s.client.as_str().to_owned(),
        change: |t| ClientProfile::ALL.into_iter().find(|client| client.as_str() == t).map(Change::Client),
        unavailable: always,
    },
    Setting {
        key: "server",
        label: labels::SERVER,
        help: help::SERVER,
        group: Group::Session,
        kind: Kind::Choice(SERVERS),
        on_page: true,
        read: |s| s.server.as_str().to_owned(),
        change: |t| ServerProfile::ALL.into_iter().find(|server| server.as_str() == t).map(Change::Server),
        unavailable: always,
    },
    Setting {
        key: "mode",
        label: labels::MODE,
        help: help::MODE,
        group: Group::Session,
        kind: Kind::Choice(MODES),
        on_page: true,
        read: |s| s.mode.as_str().to_owned(),
        change: |t| DataMode::ALL.into_iter().find(|mode| mode.as_str() == t).map(Change::Mode),
        unavailable: always,
    },
    Setting {
        key: "command",
        label: labels::OPERATION,
        help: help::OPERATION,
        group: Group::Session,
        kind: Kind::Choice(OPERATIONS),
        on_page: true,
        read: |s| s.command.as_str().to_owned(),
        change: |t| Transfer::ALL.into_iter().find(|command| command.as_str() == t).map(Change::Operation),
        unavailable: always,
    },
    Setting {
        key: "client-firewall",
        label: labels::CLIENT_FIREWALL,
        help: help::CLIENT_FIREWALL,
        group: Group::HomeRouter,
        kind: SWITCH,
        on_page: true,
        read: |s| on_off(s.client_firewall),
        change: |t| switch(t).map(Change::ClientFirewall),
        unavailable: always,
    },
    Setting {
        key: "client-nat",
        label: labels::CLIENT_NAT,
        help: help::CLIENT_NAT,
        group: Group::HomeRouter,
        kind: SWITCH,
        on_page: true,
        read: |s| on_off(s.client_nat_active()),
        change: |t| switch(t).map(Change::ClientNat),
        unavailable: needs_ipv4,
    },
    Setting {
        key: "client-alg",
        label: labels::CLIENT_ALG,
        help: help::CLIENT_ALG,
        group: Group::HomeRouter,
        kind: SWITCH,
        on_page: true,
        read: |s| on_off(s.client_alg),
        change: |t| switch(t).map(Change::ClientAlg),
        unavailable: always,
    },
    Setting {
        key: "server-firewall",
        label: labels::SERVER_FIREWALL,
        help: help::SERVER_FIREWALL,
        group: Group::ServerSide,
        kind: Kind::Choice(SERVER_FIREWALLS),
        on_page: true,
        read: |s| s.server_firewall.as_str().to_owned(),
        change: |t| ServerFirewall::ALL.into_iter().find(|f| f.as_str() == t).map(Change::ServerFirewall),
        unavailable: always,
    },
    Setting {
        key: "server-alg",
        label: labels::SERVER_ALG,
        help: help::SERVER_ALG,
        group: Group::ServerSide,
        kind: SWITCH,
        on_page: true,
        read: |s| on_off(s.server_alg),
        change: |t| switch(t).map(Change::ServerAlg),
        unavailable: always,
    },
    Setting {
        key: "server-nat",
        label: labels::SERVER_NAT,
        help: help::SERVER_NAT,
        group: Group::ServerSide,
        kind: SWITCH,
        on_page: true,
        read: |s| on_off(s.server_nat_active()),
        change: |t| switch(t).map(Change::ServerNat),
        unavailable: needs_ipv4,
    },
    Setting {
        key: "pasv-address",
        label: labels::PASV_ADDRESS,
        help: help::PASV_ADDRESS,
        group: Group::ServerSide,
        kind: Kind::Choice(PASV_ADDRESSES),
        on_page: true,
        read: |s| if s.pasv_address == PasvAddress::Public { "public" } else { "private" }.to_owned(),
        change: |t| match t {
            "public" => Some(Change::PasvAddress(PasvAddress::Public)),
            "private" => Some(Change::PasvAddress(PasvAddress::Private)),
            _ => None,
        },
        unavailable: |s| (!s.server_nat_active()).then_some(unavailable::PASV_ADDRESS_NEEDS_SERVER_NAT),
    },
    Setting {
        key: "port-check",
        label: labels::PORT_CHECK,
        help: help::PORT_CHECK,
        group: Group::ServerSide,
        kind: Kind::Switch { on: "strict", off: "off" },
        on_page: true,
        read: |s| if s.port_check == PortCheck::Strict { "strict" } else { "off" }.to_owned(),
        change: |t| match t {
            "strict" => Some(Change::PortCheck(PortCheck::Strict)),
            "off" => Some(Change::PortCheck(PortCheck::Off)),
            _ => None,
        },
        unavailable: always,
    },
    Setting {
        key: "server-epsv",
        label: labels::SERVER_EPSV,
        help: help::SERVER_EPSV,
        group: Group::ServerSide,
        kind: SWITCH,
        on_page: true,
        read: |s| on_off(s.server_epsv),
        change: |t| switch(t).map(Change::ServerEpsv),
        unavailable: always,
    },
    Setting {
        key: "control-encrypted",
        label: labels::CONTROL_ENCRYPTED,
        help: help::CONTROL_ENCRYPTED,
        group: Group::ClientAndNetwork,
        kind: SWITCH,
        on_page: true,
        read: |s| on_off(s.control_encrypted),
        change: |t| switch(t).map(Change::ControlEncrypted),
        unavailable: always,
    },
    Setting {
        key: "trust-pasv-address",
        label: labels::TRUST_PASV_ADDRESS,
        help: help::TRUST_PASV_ADDRESS,
        group: Group::ClientAndNetwork,
        kind: SWITCH,
        on_page: true,
        read: |s| on_off(s.trust_pasv_address),
        change: |t| switch(t).map(Change::TrustPasvAddress),
        unavailable: always,
    },
    Setting {
        key: "control-port",
        label: labels::CONTROL_PORT,
        help: help::CONTROL_PORT,
        group: Group::ClientAndNetwork,
        kind: Kind::Number { min: 1, max: 65535 },
        on_page: true,
        read: |s| s.control_port.to_string(),
        change: |t| t.parse::<u16>().ok().filter(|port| *port != 0).map(Change::ControlPort),
        unavailable: always,
    },
    Setting {
        key: "ip",
        label: labels::IP,
        help: help::IP,
        group: Group::ClientAndNetwork,
        kind: Kind::Choice(IP_VERSIONS),
        on_page: true,
        read: |s| if s.ip == IpVersion::V4 { "v4" } else { "v6" }.to_owned(),
        change: |t| match t {
            "v4" => Some(Change::Ip(IpVersion::V4)),
            "v6" => Some(Change::Ip(IpVersion::V6)),
            _ => None,
        },
        unavailable: always,
    },
    Setting {
        key: "user",
        label: labels::USER,
        help: help::USER,
        group: Group::Session,
        kind: Kind::Choice(USERS),
        on_page: false,
        read: |s| if s.user == User::Demo { "demo" } else { "anonymous" }.to_owned(),
        change: |t| match t {
            "anonymous" => Some(Change::User(User::Anonymous)),
            "demo" => Some(Change::User(User::Demo)),
            _ => None,
        },
        unavailable: always,
    },
    Setting {
        key: "connect-timeout",
        label: labels::CONNECT_TIMEOUT,
        help: help::CONNECT_TIMEOUT,
        group: Group::ServerSide,
        kind: SERVER_SECONDS,
        on_page: false,
        read: |s| seconds_or(s.connect_timeout, "default"),
        change: |t| parse_seconds(t, "default").map(Change::ConnectTimeout),
        unavailable: always,
    },
    Setting {
        key: "accept-timeout",
        label: labels::ACCEPT_TIMEOUT,
        help: help::ACCEPT_TIMEOUT,
        group: Group::ServerSide,
        kind: SERVER_SECONDS,
        on_page: false,
        read: |s| seconds_or(s.accept_timeout, "default"),
        change: |t| parse_seconds(t, "default").map(Change::AcceptTimeout),
        unavailable: always,
    },
    Setting {
        key: "client-timeout",
        label: labels::CLIENT_TIMEOUT,
        help: help::CLIENT_TIMEOUT,
        group: Group::ClientAndNetwork,
        kind: Kind::OptionalNumber { min: 1, max: MAX_TIMEOUT, none: "none" },
        on_page: false,
        read: |s| seconds_or(s.client_timeout, "none"),
        change: |t| parse_seconds(t, "none").map(Change::ClientTimeout),
        unavailable: always,
    },
    Setting {
        key: "port20",
        label: labels::PORT20,
        help: help::PORT20,
        group: Group::ServerSide,
        kind: SWITCH,
        on_page: false,
        read: |s| on_off(s.port20),
        change: |t| switch(t).map(Change::Port20),
        unavailable: |s| (s.server != ServerProfile::Vsftpd).then_some(unavailable::PORT20_VSFTPD_ONLY),
    },
    Setting {
        key: "epsv-refusal",
        label: labels::EPSV_REFUSAL,
        help: help::EPSV_REFUSAL,
        group: Group::ServerSide,
        kind: Kind::Choice(EPSV_REFUSALS),
        on_page: false,
        read: |s| if s.epsv_refusal == EpsvRefusal::NotImplemented502 { "502" } else { "500" }.to_owned(),
        change: |t| match t {
            "500" => Some(Change::EpsvRefusal(EpsvRefusal::Unknown500)),
            "502" => Some(Change::EpsvRefusal(EpsvRefusal::NotImplemented502)),
            _ => None,
        },
        unavailable: |s| s.server_epsv.then_some(unavailable::EPSV_REFUSAL_NEEDS_NO_EPSV),
    },
    Setting {
        key: "helper-ports",
        label: labels::HELPER_PORTS,
        help: help::HELPER_PORTS,
        group: Group::ClientAndNetwork,
        kind: Kind::Ports,
        on_page: false,
        read: |s| s.helper_ports.iter().map(u16::to_string).collect::<Vec<_>>().join(","),
        change: parse_ports,
        unavailable: always,
    },
    Setting {
        key: "private-destinations",
        label: labels::PRIVATE_DESTINATIONS,
        help: help::PRIVATE_DESTINATIONS,
        group: Group::ClientAndNetwork,
        kind: Kind::Choice(PRIVATE_DESTINATIONS),
        on_page: false,
        read: |s| {
            if s.private_destinations == PrivateDestinations::Unreachable { "unreachable" } else { "drop" }.to_owned()
        },
        change: |t| match t {
            "drop" => Some(Change::PrivateDestinations(PrivateDestinations::Drop)),
            "unreachable" => Some(Change::PrivateDestinations(PrivateDestinations::Unreachable)),
            _ => None,
        },
        unavailable: always,
    },
    Setting {
        key: "transfers",
        label: labels::TRANSFERS,
        help: help::TRANSFERS,
        group: Group::Session,
        kind: Kind::Number { min: 1, max: MAX_TRANSFERS },
        on_page: false,
        read: |s| s.transfers.to_string(),
        change: |t| t.parse::<u32>().ok().filter(|n| (1..=MAX_TRANSFERS).contains(n)).map(Change::Transfers),
        unavailable: always,
    },
];

/// The setting with this key.
pub fn find(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|setting| setting.key == key)
}

/// The settings shown on the page, in groups, in form order.
pub fn on_page(group: Group) -> impl Iterator<Item = &'static Setting> {
    SETTINGS.iter().filter(move |setting| setting.on_page && setting.group == group)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_a_setting_offers_parses_to_a_change_that_reads_back() {
        for setting in &SETTINGS {
            let tokens = setting.tokens();
            for token in tokens {
                let change = setting.parse(token).unwrap_or_else(|error| panic!("{}: {error}", setting.key));
                let mut scenario = Scenario::default();
                change.apply(&mut scenario);
                assert_eq!(setting.value(&scenario), token, "{} = {token}", setting.key);
            }
            // The value in force always parses back.
            assert!(setting.parse(&setting.value(&Scenario::default())).is_ok(), "{}", setting.key);
        }
        let port = find("control-port").expect("setting");
        assert_eq!(port.parse(" 2121 "), Ok(Change::ControlPort(2121)));
    }

    #[test]
    fn bad_values_say_what_was_expected_and_what_came() {
        let mode = find("mode").expect("setting");
        let error = mode.parse("sideways").expect_err("not a mode");
        assert_eq!(error.to_string(), "Mode: expected one of port, eprt, pasv, epsv, auto, got \"sideways\"");
        let port = find("control-port").expect("setting");
        for bad in ["abc", "0", "70000", "", "-1", "<script>"] {
            let error = port.parse(bad).expect_err(bad);
            assert!(error.to_string().contains("a whole number from 1 to 65535"), "{error}");
        }
        let nat = find("client-nat").expect("setting");
        assert_eq!(nat.parse("maybe").map_err(|error| error.expected), Err("on or off".to_owned()));
    }

    #[test]
    fn keys_are_unique_and_every_page_setting_is_in_a_group() {
        let mut keys: Vec<&str> = SETTINGS.iter().map(|setting| setting.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), SETTINGS.len());
        let shown: usize = Group::ALL.iter().map(|group| on_page(*group).count()).sum();
        assert_eq!(shown, SETTINGS.iter().filter(|setting| setting.on_page).count());
    }

    #[test]
    fn nat_on_ipv6_shows_as_off_and_says_why() {
        let scenario = Scenario { ip: IpVersion::V6, client_nat: true, ..Scenario::default() };
        let nat = find("client-nat").expect("setting");
        assert!(!nat.is_on(&scenario), "the form shows what the picture shows");
        assert!(nat.unavailable(&scenario).is_some());
        assert!(nat.unavailable(&Scenario::default()).is_none());
        assert_eq!(nat.stored(&scenario), "on", "a link carries the switch as it is");
    }

    #[test]
    fn the_stored_value_of_every_setting_gives_the_scenario_back() {
        let mut scenarios = vec![Scenario::default()];
        scenarios.extend(crate::sim::lessons::all().into_iter().map(|lesson| lesson.scenario));
        for scenario in scenarios.clone() {
            for (ip, nat) in [(IpVersion::V4, false), (IpVersion::V6, true), (IpVersion::V6, false)] {
                scenarios.push(Scenario { ip, client_nat: nat, server_nat: !nat, ..scenario.clone() });
            }
        }
        for scenario in &scenarios {
            for setting in &SETTINGS {
                let token = setting.stored(scenario);
                let mut again = scenario.clone();
                setting.parse(&token).unwrap_or_else(|error| panic!("{}: {error}", setting.key)).apply(&mut again);
                assert_eq!(&again, scenario, "{} = {token}", setting.key);
            }
        }
    }
}
