//! The lessons: preset scenarios, each with a one-line title and a short introduction for
//! students. The page's Lesson menu and `ftpsim presets` list them in this order, which is the
//! order a class would meet them in.

use serde::Serialize;

use std::net::{IpAddr, Ipv4Addr};

use super::scenario::{Change, IpVersion, PasvAddress, Scenario, ServerFirewall};
use crate::ftp::client::DataMode;

/// One preset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Lesson {
    /// Stable id used on the command line and in links: `active-nat`.
    pub id: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    /// What the class should see happen, one short phrase.
    pub expect: &'static str,
    pub scenario: Scenario,
}

/// id, title, introduction, what to expect, and the changes to the default home network
/// (client firewall and NAT on, server firewall with the passive range open, passive mode).
type Spec = (&'static str, &'static str, &'static str, &'static str, &'static [Change]);

use Change::*;

/// No firewall and no NAT anywhere.
const OPEN: [Change; 3] = [ClientFirewall(false), ClientNat(false), ServerFirewall(ServerFirewall::Off)];
/// The server behind its own NAT router, telling the client its private address, and a
/// client that believes it.
const SERVER_NAT: [Change; 3] = [ServerNat(true), PasvAddress(PasvAddress::Private), TrustPasvAddress(true)];

const LESSONS: &[Spec] = &[
    (
        "open-network",
        "Active mode on an open network",
        "No firewall and no NAT anywhere: every computer can reach every other one directly. The client asks the server to connect back to it with PORT, and the server does. This is how FTP was designed to work.",
        "works",
        &[Mode(DataMode::Port), OPEN[0], OPEN[1], OPEN[2]],
    ),
    (
        "active-client-firewall",
        "Active mode behind a client firewall",
        "The client now sits behind a router with a stateful firewall, but still has a public address. Watch the server's connection attempt arrive at the router: the firewall has never seen this connection start from inside, so it throws the packets away.",
        "fails: 425 after the server's timeout",
        &[Mode(DataMode::Port), ClientNat(false)],
    ),
    (
        "active-nat",
        "Active mode behind NAT",
        "A typical home network: the client has a private address and the router shares one public address for the whole house. The client writes its private address into PORT. Look at what the server thinks of that.",
        "fails: 500 Illegal PORT command",
        &[Mode(DataMode::Port)],
    ),
    (
        "active-nat-helper",
        "Active mode rescued by the router's FTP helper",
        "Same home network, but the router's FTP helper (an ALG) reads the control connection. It rewrites the private address in PORT into the public one and opens a door for exactly the connection the server will make.",
        "works: PORT is rewritten on the way",
        &[Mode(DataMode::Port), ClientAlg(true)],
    ),
    (
        "passive-nat-firewall",
        "Passive mode behind NAT and a firewall",
        "Back to the plain home network, now in passive mode. The client asks the server to listen (PASV) and then connects to it, just like it opened the control connection. The router lets it out without any help.",
        "works",
        &[Mode(DataMode::Pasv)],
    ),
    (
        "passive-server-firewall-closed",
        "Passive mode, server firewall without the passive range",
        "Passive mode moves the problem to the server side: the server's firewall must accept new connections to the passive ports (50000–51000 here). This firewall only opens port 21.",
        "fails: the client's connection times out",
        &[Mode(DataMode::Pasv), ServerFirewall(ServerFirewall::ControlOnly)],
    ),
    (
        "passive-server-helper",
        "Passive mode rescued by a server-side FTP helper",
        "The server firewall still opens only port 21, but now runs an FTP helper that reads the 227 reply and lets in the one connection it announced.",
        "works: the data connection is RELATED",
        &[Mode(DataMode::Pasv), ServerFirewall(ServerFirewall::ControlOnly), ServerAlg(true)],
    ),
    (
        "server-nat-classic-client",
        "Server behind NAT leaks its private address (classic client)",
        "The server is behind its own router, which forwards port 21 and the passive range. But the server writes its own private address into the 227 reply, and this old-style client believes it.",
        "fails: the client connects to an address nobody can reach",
        &SERVER_NAT,
    ),
    (
        "server-nat-modern-client",
        "Server behind NAT, with today's curl or Python ftplib",
        "Same server. Modern clients no longer trust the address inside a 227 reply (a hostile server could use it to point them at other machines), and connect to the address they already use for the control connection.",
        "works: the 227 address is ignored",
        &[SERVER_NAT[0], SERVER_NAT[1], TrustPasvAddress(false)],
    ),
    (
        "server-nat-epsv",
        "Server behind NAT: EPSV carries no address",
        "The classic client again, but in extended passive mode. The 229 reply only says which port to use, so there is no wrong address to believe.",
        "works",
        &[SERVER_NAT[0], SERVER_NAT[1], SERVER_NAT[2], Mode(DataMode::Epsv)],
    ),
    (
        "server-nat-public-address",
        "Server behind NAT: configure the public address",
        "The classic client again, but the server administrator has told the server its public address (vsftpd's pasv_address), so the 227 reply is right.",
        "works",
        &[SERVER_NAT[0], SERVER_NAT[2], PasvAddress(PasvAddress::Public)],
    ),
    (
        "server-nat-helper",
        "Server behind NAT: the server router's FTP helper",
        "The classic client again, and the server still writes its private address, but the server's router runs an FTP helper that rewrites the 227 reply on its way out.",
        "works: 227 is rewritten on the way",
        &[SERVER_NAT[0], SERVER_NAT[1], SERVER_NAT[2], ServerAlg(true)],
    ),
    (
        "epsv-ipv6",
        "Extended passive mode over IPv6",
        "With IPv6 every computer has a public address, so there is no NAT. PORT and PASV cannot even write an IPv6 address; EPSV and EPRT can. The firewall is still there, so passive mode is still the one that works.",
        "works",
        &[Ip(IpVersion::V6), Mode(DataMode::Epsv)],
    ),
    (
        "epsv-unsupported",
        "A server without EPSV: falling back to PASV",
        "Clients try EPSV first. This older server does not know the command and answers 500; the client notices and asks again with PASV.",
        "works after the fallback",
        &[Mode(DataMode::Auto), ServerEpsv(false)],
    ),
    (
        "port-bounce",
        "PORT to a third-party address is refused",
        "Here the client writes somebody else's address into PORT. If the server obeyed, anyone could make it connect to any machine — the old FTP bounce attack. vsftpd only connects back to the address the control connection comes from.",
        "fails on purpose: 500 Illegal PORT command",
        &[
            Mode(DataMode::Port),
            ClientNat(false),
            ClientFirewall(false),
            BounceTo(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 77))),
        ],
    ),
    (
        "helper-blind-port",
        "The FTP helper is blind on a non-standard port",
        "The router's FTP helper is on, but this server runs on port 2121 and the helper only watches port 21. It never reads the PORT command, so nothing gets rewritten.",
        "fails: 500 Illegal PORT command, exactly as with no helper",
        &[Mode(DataMode::Port), ClientAlg(true), ControlPort(2121)],
    ),
    (
        "encrypted-control",
        "An encrypted control connection blinds the FTP helper",
        "With FTP over TLS the commands are encrypted. The router's helper is on, but it sees only scrambled bytes where PORT should be.",
        "fails in active mode; passive mode still works",
        &[Mode(DataMode::Port), ClientAlg(true), ControlEncrypted(true)],
    ),
];

/// Every lesson, in teaching order.
pub fn all() -> Vec<Lesson> {
    LESSONS
        .iter()
        .map(|&(id, title, intro, expect, changes)| {
            let mut scenario = Scenario::default();
            for change in changes {
                change.apply(&mut scenario);
            }
            Lesson { id, title, intro, expect, scenario }
        })
        .collect()
}

/// The lesson with this id.
pub fn find(id: &str) -> Option<Lesson> {
    all().into_iter().find(|lesson| lesson.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_every_scenario_is_valid() {
        let lessons = all();
        let mut ids: Vec<&str> = lessons.iter().map(|lesson| lesson.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), lessons.len());
        for lesson in &lessons {
            assert_eq!(lesson.scenario.validate(), Ok(()), "{}", lesson.id);
            assert!(lesson.title.len() < 80, "{}: titles fit on one line", lesson.id);
            assert!(!lesson.intro.is_empty());
        }
        assert_eq!(find("active-nat").map(|lesson| lesson.scenario.mode), Some(DataMode::Port));
        assert!(find("nope").is_none());
    }
}
