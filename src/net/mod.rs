//! Sans-IO network: packets, TCP-lite, and the devices FTP has to get through.
//!
//! | module          | what it holds                                                      |
//! |-----------------|--------------------------------------------------------------------|
//! | [`packet`]      | TCP segments and ICMP errors, with ids the page can follow          |
//! | [`tcp`]         | TCP-lite: handshake, data, FIN, RST, SYN retries (Linux timings)    |
//! | [`conntrack`]   | connection tracking: NEW / ESTABLISHED / RELATED, expectations      |
//! | [`firewall`]    | ordered filter rules with accept / drop / reject                    |
//! | [`alg`]         | the FTP helper's reading and rewriting of PORT / EPRT / 227 / 229   |
//! | [`device`]      | `Device::on_packet → Verdict`: Linux routers and the internet       |
//!
//! Nothing here knows about time beyond what it is given, or about FTP beyond the helper's
//! pattern matching. Left out on purpose: UDP, IP fragmentation, ARP, routing protocols, and
//! any link that loses packets by itself — every lost packet in the simulator was dropped by a
//! device that says why.

pub mod alg;
pub mod conntrack;
pub mod device;
pub mod firewall;
pub mod packet;
pub mod tcp;
