//! A stateful packet filter: an ordered rule list per chain, first match wins, then the policy.
//!
//! It reads like an nftables rule set. A rule matches on where the packet came from (the inside
//! or the outside of the device), its conntrack state (NEW / ESTABLISHED / RELATED) and its
//! destination port; its action is accept, drop (silently, the sender hears nothing and
//! retries) or reject (a TCP reset goes back, the sender gives up at once).
//!
//! Left out on purpose: matching on source addresses, protocols other than TCP, rate limits,
//! logging, and the output chain (devices never filter what they send themselves).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::conntrack::CtState;

/// What to do with a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Accept,
    /// Discard silently.
    Drop,
    /// Discard and answer with a TCP reset.
    Reject,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Accept => "accept",
            Action::Drop => "drop",
            Action::Reject => "reject",
        })
    }
}

/// Which way a packet is going through the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// The protected network (the home LAN, or the server's side).
    Inside,
    /// The internet.
    Outside,
}

/// Forwarded traffic, or traffic for the device itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Chain {
    Forward,
    Input,
}

/// One filter rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// What the rule is for, in words ("answers to connections from inside").
    pub comment: String,
    pub chain: Chain,
    /// Only packets arriving from this side.
    pub from: Option<Side>,
    /// Only packets in one of these conntrack states.
    pub states: Vec<CtState>,
    /// Only packets to a destination port in this inclusive range.
    pub dport: Option<(u16, u16)>,
    pub action: Action,
}

impl Rule {
    fn matches(&self, packet: &PacketFacts) -> bool {
        self.chain == packet.chain
            && self.from.is_none_or(|side| side == packet.from)
            && (self.states.is_empty() || self.states.contains(&packet.state))
            && self.dport.is_none_or(|(low, high)| (low..=high).contains(&packet.dport))
    }

    /// The rule in nftables-like words: `ct state established,related accept`.
    pub fn describe(&self) -> String {
        let mut words = Vec::new();
        if let Some(side) = self.from {
            words.push(match side {
                Side::Inside => "iif inside".to_owned(),
                Side::Outside => "iif outside".to_owned(),
            });
        }
        if !self.states.is_empty() {
            let states: Vec<String> = self.states.iter().map(|state| state.to_string().to_ascii_lowercase()).collect();
            words.push(format!("ct state {}", states.join(",")));
        }
        if let Some((low, high)) = self.dport {
            words.push(if low == high { format!("tcp dport {low}") } else { format!("tcp dport {low}-{high}") });
        }
        words.push(self.action.to_string());
        words.join(" ")
    }
}

/// What the filter needs to know about a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketFacts {
    pub chain: Chain,
    pub from: Side,
    pub state: CtState,
    pub dport: u16,
}

/// Which rule decided, for the trace: a numbered rule, or the chain's policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub action: Action,
    /// 1-based rule number, or `None` for the policy.
    pub rule: Option<usize>,
    /// "rule 2: iif inside accept (connections from inside)" or "policy drop".
    pub text: String,
}

/// The rule set of one device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    pub rules: Vec<Rule>,
    pub forward_policy: Action,
    pub input_policy: Action,
}

impl Filter {
    /// Lets everything through: no firewall.
    pub fn open() -> Self {
        Filter { rules: Vec::new(), forward_policy: Action::Accept, input_policy: Action::Accept }
    }

    /// True when the filter cannot drop anything.
    pub fn is_open(&self) -> bool {
        self.forward_policy == Action::Accept
            && self.input_policy == Action::Accept
            && self.rules.iter().all(|rule| rule.action == Action::Accept)
    }

    /// Runs the rules in order; the first that matches decides, else the chain's policy.
    pub fn decide(&self, packet: &PacketFacts) -> Decision {
        for (index, rule) in self.rules.iter().enumerate() {
            if rule.matches(packet) {
                return Decision {
                    action: rule.action,
                    rule: Some(index + 1),
                    text: format!("rule {}: {} ({})", index + 1, rule.describe(), rule.comment),
                };
            }
        }
        let policy = match packet.chain {
            Chain::Forward => self.forward_policy,
            Chain::Input => self.input_policy,
        };
        let chain = match packet.chain {
            Chain::Forward => "forward",
            Chain::Input => "input",
        };
        Decision { action: policy, rule: None, text: format!("{chain} policy {policy}") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home_router() -> Filter {
        let established = Rule {
            comment: "answers and announced connections".into(),
            chain: Chain::Forward,
            from: None,
            states: vec![CtState::Established, CtState::Related],
            dport: None,
            action: Action::Accept,
        };
        let outbound = Rule {
            comment: "anything started from inside".into(),
            chain: Chain::Forward,
            from: Some(Side::Inside),
            states: vec![],
            dport: None,
            action: Action::Accept,
        };
        Filter { rules: vec![established, outbound], forward_policy: Action::Drop, input_policy: Action::Drop }
    }

    #[test]
    fn first_match_wins_then_policy() {
        let filter = home_router();
        let inbound_new = PacketFacts { chain: Chain::Forward, from: Side::Outside, state: CtState::New, dport: 5200 };
        let decision = filter.decide(&inbound_new);
        assert_eq!(decision.action, Action::Drop);
        assert_eq!(decision.rule, None);
        assert_eq!(decision.text, "forward policy drop");

        let related = PacketFacts { state: CtState::Related, ..inbound_new };
        let decision = filter.decide(&related);
        assert_eq!(decision.action, Action::Accept);
        assert_eq!(decision.text, "rule 1: ct state established,related accept (answers and announced connections)");

        let outbound = PacketFacts { from: Side::Inside, ..inbound_new };
        assert_eq!(filter.decide(&outbound).rule, Some(2));
        assert!(!filter.is_open());
        assert!(Filter::open().is_open());
    }

    #[test]
    fn port_ranges_and_chains() {
        let rule = Rule {
            comment: "passive range".into(),
            chain: Chain::Forward,
            from: Some(Side::Outside),
            states: vec![CtState::New],
            dport: Some((50000, 51000)),
            action: Action::Accept,
        };
        assert_eq!(rule.describe(), "iif outside ct state new tcp dport 50000-51000 accept");
        let filter = Filter { rules: vec![rule], forward_policy: Action::Reject, input_policy: Action::Drop };
        let inside = PacketFacts { chain: Chain::Forward, from: Side::Outside, state: CtState::New, dport: 50000 };
        assert_eq!(filter.decide(&inside).action, Action::Accept);
        assert_eq!(filter.decide(&PacketFacts { dport: 51001, ..inside }).action, Action::Reject);
        assert_eq!(filter.decide(&PacketFacts { chain: Chain::Input, ..inside }).action, Action::Drop);
    }
}
