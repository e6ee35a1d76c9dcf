//! The lessons: preset scenarios, each with a one-line title and a short introduction for
//! students (their words live in [`crate::messages::lessons`]). The page's Lesson menu and
//! `ftpsim presets` list them in this order, which is the order a class would meet them in.

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

/// id and the changes to the default home network (client firewall and NAT on, server firewall
/// with the passive range open, passive mode).
type Spec = (&'static str, &'static [Change]);

use Change::*;

/// No firewall and no NAT anywhere.
const OPEN: [Change; 3] = [ClientFirewall(false), ClientNat(false), ServerFirewall(ServerFirewall::Off)];
/// The server behind its own NAT router, telling the client its private address, and a
/// client that believes it.
const SERVER_NAT: [Change; 3] = [ServerNat(true), PasvAddress(PasvAddress::Private), TrustPasvAddress(true)];

const LESSONS: &[Spec] = &[
    ("open-network", &[Mode(DataMode::Port), OPEN[0], OPEN[1], OPEN[2]]),
    ("active-client-firewall", &[Mode(DataMode::Port), ClientNat(false)]),
    ("active-nat", &[Mode(DataMode::Port)]),
    ("active-nat-helper", &[Mode(DataMode::Port), ClientAlg(true)]),
    ("passive-nat-firewall", &[Mode(DataMode::Pasv)]),
    ("passive-server-firewall-closed", &[Mode(DataMode::Pasv), ServerFirewall(ServerFirewall::ControlOnly)]),
    ("passive-server-helper", &[Mode(DataMode::Pasv), ServerFirewall(ServerFirewall::ControlOnly), ServerAlg(true)]),
    ("server-nat-classic-client", &SERVER_NAT),
    ("server-nat-modern-client", &[SERVER_NAT[0], SERVER_NAT[1], TrustPasvAddress(false)]),
    ("server-nat-epsv", &[SERVER_NAT[0], SERVER_NAT[1], SERVER_NAT[2], Mode(DataMode::Epsv)]),
    ("server-nat-public-address", &[SERVER_NAT[0], SERVER_NAT[2], PasvAddress(PasvAddress::Public)]),
    ("server-nat-helper", &[SERVER_NAT[0], SERVER_NAT[1], SERVER_NAT[2], ServerAlg(true)]),
    ("epsv-ipv6", &[Ip(IpVersion::V6), Mode(DataMode::Epsv)]),
    ("epsv-unsupported", &[Mode(DataMode::Auto), ServerEpsv(false)]),
    (
        "port-bounce",
        &[
            Mode(DataMode::Port),
            ClientNat(false),
            ClientFirewall(false),
            BounceTo(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 77))),
        ],
    ),
    ("helper-blind-port", &[Mode(DataMode::Port), ClientAlg(true), ControlPort(2121)]),
    ("encrypted-control", &[Mode(DataMode::Port), ClientAlg(true), ControlEncrypted(true)]),
];

/// Every lesson, in teaching order.
pub fn all() -> Vec<Lesson> {
    LESSONS
        .iter()
        .filter_map(|&(id, changes)| {
            let text = crate::messages::lessons::find(id)?;
            let mut scenario = Scenario::default();
            for change in changes {
                change.apply(&mut scenario);
            }
            Some(Lesson { id, title: text.title, intro: text.intro, expect: text.expect, scenario })
        })
        .collect()
}

/// The lesson with this id.
pub fn find(id: &str) -> Option<Lesson> {
    all().into_iter().find(|lesson| lesson.id == id)
}

/// The lesson with this id while `scenario` is still its own settings: a changed setting (or an
/// assignment's own numbers) makes them the teacher's, and the lesson's title no longer fits.
pub fn find_unchanged(id: &str, scenario: &Scenario) -> Option<Lesson> {
    find(id).filter(|lesson| lesson.scenario == *scenario)
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
        assert_eq!(lessons.len(), LESSONS.len(), "every lesson has its words");
        assert_eq!(crate::messages::lessons::LESSONS.len(), LESSONS.len(), "no words without a lesson");
        for lesson in &lessons {
            assert_eq!(lesson.scenario.validate(), Ok(()), "{}", lesson.id);
            assert!(lesson.title.len() < 80, "{}: titles fit on one line", lesson.id);
            assert!(!lesson.intro.is_empty());
        }
        assert_eq!(find("active-nat").map(|lesson| lesson.scenario.mode), Some(DataMode::Port));
        assert!(find("nope").is_none());
    }
}
