//! Lesson titles, introductions for students, and what the class should see happen.

/// One lesson's words.
pub struct LessonText {
    pub id: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    /// What the class should see happen, one short phrase ("works", "fails: …").
    pub expect: &'static str,
}

/// Every lesson's words, in teaching order (the same order as `sim::lessons`).
pub const LESSONS: &[LessonText] = &[
    LessonText {
        id: "open-network",
        title: "Active mode on an open network",
        intro: "No firewall and no NAT anywhere: every computer can reach every other one directly. The client asks the server to connect back to it with PORT, and the server does. This is how FTP was designed to work.",
        expect: "works",
    },
    LessonText {
        id: "active-client-firewall",
        title: "Active mode behind a client firewall",
        intro: "The client now sits behind a router with a stateful firewall, but still has a public address. Watch the server's connection attempt arrive at the router: the firewall has never seen this connection start from inside, so it throws the packets away.",
        expect: "fails: 425 after the server's timeout",
    },
    LessonText {
        id: "active-nat",
        title: "Active mode behind NAT",
        intro: "A typical home network: the client has a private address and the router shares one public address for the whole house. The client writes its private address into PORT. Look at what the server thinks of that.",
        expect: "fails: 500 Illegal PORT command",
    },
    LessonText {
        id: "active-nat-helper",
        title: "Active mode rescued by the router's FTP helper",
        intro: "Same home network, but the router's FTP helper (an ALG) reads the control connection. It rewrites the private address in PORT into the public one and opens a door for exactly the connection the server will make.",
        expect: "works: PORT is rewritten on the way",
    },
    LessonText {
        id: "passive-nat-firewall",
        title: "Passive mode behind NAT and a firewall",
        intro: "Back to the plain home network, now in passive mode. The client asks the server to listen (PASV) and then connects to it, just like it opened the control connection. The router lets it out without any help.",
        expect: "works",
    },
    LessonText {
        id: "passive-server-firewall-closed",
        title: "Passive mode, server firewall without the passive range",
        intro: "Passive mode moves the problem to the server side: the server's firewall must accept new connections to the passive ports (50000–51000 here). This firewall only opens port 21.",
        expect: "fails: the client's connection times out",
    },
    LessonText {
        id: "passive-server-helper",
        title: "Passive mode rescued by a server-side FTP helper",
        intro: "The server firewall still opens only port 21, but now runs an FTP helper that reads the 227 reply and lets in the one connection it announced.",
        expect: "works: the data connection is RELATED",
    },
    LessonText {
        id: "server-nat-classic-client",
        title: "Server behind NAT leaks its private address (classic client)",
        intro: "The server is behind its own router, which forwards port 21 and the passive range. But the server writes its own private address into the 227 reply, and this old-style client believes it.",
        expect: "fails: the client connects to an address nobody can reach",
    },
    LessonText {
        id: "server-nat-modern-client",
        title: "Server behind NAT, with today's curl or Python ftplib",
        intro: "Same server. Modern clients no longer trust the address inside a 227 reply (a hostile server could use it to point them at other machines), and connect to the address they already use for the control connection.",
        expect: "works: the 227 address is ignored",
    },
    LessonText {
        id: "server-nat-epsv",
        title: "Server behind NAT: EPSV carries no address",
        intro: "The classic client again, but in extended passive mode. The 229 reply only says which port to use, so there is no wrong address to believe.",
        expect: "works",
    },
    LessonText {
        id: "server-nat-public-address",
        title: "Server behind NAT: configure the public address",
        intro: "The classic client again, but the server administrator has told the server its public address (vsftpd's pasv_address), so the 227 reply is right.",
        expect: "works",
    },
    LessonText {
        id: "server-nat-helper",
        title: "Server behind NAT: the server router's FTP helper",
        intro: "The classic client again, and the server still writes its private address, but the server's router runs an FTP helper that rewrites the 227 reply on its way out.",
        expect: "works: 227 is rewritten on the way",
    },
    LessonText {
        id: "epsv-ipv6",
        title: "Extended passive mode over IPv6",
        intro: "With IPv6 every computer has a public address, so there is no NAT. PORT and PASV cannot even write an IPv6 address; EPSV and EPRT can. The firewall is still there, so passive mode is still the one that works.",
        expect: "works",
    },
    LessonText {
        id: "epsv-unsupported",
        title: "A server without EPSV: falling back to PASV",
        intro: "Clients try EPSV first. This older server does not know the command and answers 500; the client notices and asks again with PASV.",
        expect: "works after the fallback",
    },
    LessonText {
        id: "port-bounce",
        title: "PORT to a third-party address is refused",
        intro: "Here the client writes somebody else's address into PORT. If the server obeyed, anyone could make it connect to any machine — the old FTP bounce attack. vsftpd only connects back to the address the control connection comes from.",
        expect: "fails on purpose: 500 Illegal PORT command",
    },
    LessonText {
        id: "helper-blind-port",
        title: "The FTP helper is blind on a non-standard port",
        intro: "The router's FTP helper is on, but this server runs on port 2121 and the helper only watches port 21. It never reads the PORT command, so nothing gets rewritten.",
        expect: "fails: 500 Illegal PORT command, exactly as with no helper",
    },
    LessonText {
        id: "encrypted-control",
        title: "An encrypted control connection blinds the FTP helper",
        intro: "With FTP over TLS (explicit FTPS) the client says AUTH TLS, the server answers 234, and from then on the control connection is encrypted. The router's FTP helper is on, but where PORT should be it sees only scrambled bytes.",
        expect: "fails in active mode; passive mode still works",
    },
];

/// The words of the lesson with this id.
pub fn find(id: &str) -> Option<&'static LessonText> {
    LESSONS.iter().find(|lesson| lesson.id == id)
}
