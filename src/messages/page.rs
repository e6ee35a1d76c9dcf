//! The page's words: controls, headings, panels, the quiz, notices, and the labels drawn on
//! the topology, the ladder and the transcript.

pub const TITLE: &str = "FTP: active vs passive";

/// Words drawn on the topology next to a device about what it just did.
pub mod callouts {
    use std::net::SocketAddr;

    pub fn dropped(flags: &str, target: SocketAddr) -> String {
        format!("✕ drops {flags} → {target}")
    }

    pub fn refused(flags: &str, target: SocketAddr, answer: &str) -> String {
        format!("✕ refuses {flags} → {target}, answers {answer}")
    }

    pub fn source(before: SocketAddr, after: SocketAddr) -> String {
        format!("source {before} → {after}")
    }

    pub fn destination(before: SocketAddr, after: SocketAddr) -> String {
        format!("destination {before} → {after}")
    }

    pub const REWRITTEN: &str = "↓ rewritten by the FTP helper";

    pub fn expects(from: &str, to: SocketAddr) -> String {
        format!("FTP helper expects {from} → {to}")
    }
}

/// The quiz.
pub mod quiz {
    pub const QUESTION: &str = "Quiz: will this work? Where will it fail?";
    pub const PROMPT: &str = "The data connection is about to be set up. Discuss, then choose:";
    pub const WORKS: &str = "It will work";
    pub const SERVER_REFUSES: &str = "The server refuses it";
    pub const RIGHT: &str = "✓ Right!";
    pub const WRONG: &str = "✗ Not this time.";
    pub const KEEP_STEPPING: &str = "Keep stepping to watch it happen.";
    pub const WAITING: &str = "Answer the quiz first: the class decides before the network does.";

    pub fn fails_at(place: &str) -> String {
        format!("It fails at the {}", place.to_ascii_lowercase())
    }

    pub fn answer(truth: &str) -> String {
        format!("The answer: {truth}.")
    }
}

/// Notices, and the countdowns of running timeouts.
pub mod notices {
    pub fn unknown_lesson(asked: &str) -> String {
        format!("There is no lesson called \"{asked}\"; the page shows the default network instead.")
    }

    pub fn setting_refused(error: &str) -> String {
        format!("That value was not taken: {error}. The setting keeps its value.")
    }

    pub fn settings_invalid(error: &str) -> String {
        format!("That change was not applied: {error}.")
    }

    pub fn branch_impossible(error: &str) -> String {
        format!("The run cannot continue from here with that change: {error}.")
    }

    /// Parts of a link that were left out; what is on screen is the rest.
    pub fn link_problems(problems: &[String]) -> String {
        format!("Part of this link could not be read, so the page shows it without that part: {}.", problems.join("; "))
    }

    /// "Server gives up with 425 in 52 s (connect_timeout)"; `server` says whose timer it is,
    /// `accept` whether it waits for a connection to arrive rather than to open.
    pub fn timer_countdown(who: &str, name: &str, server: bool, accept: bool, left: &str) -> String {
        match (server, accept) {
            (true, _) => format!("{who} gives up with 425 in {left} ({name})"),
            (false, true) => format!("{who} stops waiting for the server's connection in {left} ({name})"),
            (false, false) => format!("{who} gives up in {left} ({name})"),
        }
    }

    /// "Client's TCP gives up on data connection 1 in 96 s"
    pub fn connect_countdown(who: &str, channel: &str, left: &str) -> String {
        format!("{who}'s TCP gives up on the {channel} in {left}, unless an answer comes")
    }
}

/// Words drawn on the topology.
pub mod topology {
    use crate::net::packet::Channel;

    /// "control connection · 192.168.1.2:60091 → 198.51.100.10:21 · ESTABLISHED"
    pub fn connection(channel: Channel, addresses: &str, state: &str) -> String {
        format!("{} · {addresses} · {state}", crate::messages::places::channel(channel))
    }

    pub fn seen_from_other_end(addresses: &str) -> String {
        format!("seen from the other end: {addresses}")
    }

    /// The picture's name for screen readers.
    pub const LABEL: &str =
        "Network: client, home router, internet, server side and server, with the connections and packets between them";

    pub fn pane_label(mode: &str) -> String {
        format!("{mode} on this network")
    }
}

/// The transcript's lines.
pub mod transcript {
    use std::net::SocketAddr;

    pub fn server_received(command: &str) -> String {
        format!("server received: {command}")
    }

    pub fn rewrites(place: &str, before: &str, after: &str) -> String {
        format!("{place} rewrites: {before} ⇒ {after}")
    }

    pub fn data_opens(n: u32, from: SocketAddr, to: SocketAddr) -> String {
        format!("data connection {n}: SYN {from} → {to}")
    }

    pub fn data_blocked(place: &str, refused: bool, retry: u32) -> String {
        let what = if refused { "refuses" } else { "drops" };
        if retry == 0 {
            format!("{place} {what} the SYN")
        } else {
            format!("{place} {what} the SYN again (retry {retry})")
        }
    }

    pub fn data_open(n: u32) -> String {
        format!("data connection {n} is open")
    }

    pub fn data_flows(bytes: usize) -> String {
        format!("data flows: {bytes} bytes in the first segment")
    }

    pub fn data_closes(n: u32) -> String {
        format!("data connection {n} closes")
    }

    pub fn data_given_up(who: &str, n: u32) -> String {
        format!("{who} gives up on data connection {n}")
    }

    pub fn timer(who: &str, name: &str) -> String {
        format!("{who}: {name} ran out")
    }

    pub const COMPLETED: &str = "Completed";

    pub fn failed(cause: &str) -> String {
        format!("Failed: {cause}")
    }

    pub fn settings_changed(description: &str) -> String {
        format!("Settings changed: {description}")
    }

    pub const ENCRYPTED: &str = "encrypted on the wire";
    pub const GO_THERE: &str = "Go to this moment";
}

/// The ladder diagram's words.
pub mod ladder {
    pub const LABEL: &str = "Ladder diagram: each packet's hop between the client, the routers and the server, in time order. Each row is a button that goes to that moment.";

    pub fn retry(flags: &str, retry: u32) -> String {
        format!("{flags} (retry {retry})")
    }

    pub fn dropped(what: &str) -> String {
        format!("✕ {what} dropped")
    }

    pub fn refused(what: &str) -> String {
        format!("✕ {what} refused")
    }

    pub fn timer(name: &str) -> String {
        format!("◷ {name} ran out")
    }

    pub const SETTINGS_CHANGED: &str = "settings changed";
    pub const COMPLETED: &str = "✓ completed";
    pub const FAILED: &str = "✗ failed";
    pub const REWRITTEN: &str = "rewritten by the FTP helper";
    pub const TRANSLATED: &str = "NAT";
}

/// The device tables' words.
pub mod tables {
    pub const NAT_TABLE: &str = "NAT table";
    pub const INSIDE: &str = "inside";
    pub const PUBLIC: &str = "public";
    pub const OTHER_END: &str = "other end";
    pub const TCP: &str = "TCP";
    pub const CONNECTION_TRACKING: &str = "Connection tracking";
    pub const CONNECTION: &str = "connection (as it arrived)";
    pub const STATE: &str = "state";
    pub const NOTES: &str = "notes";
    pub const NONE_TRACKED: &str = "No connections tracked yet.";
    pub const EXPECTED: &str = "expected";
    pub const EXPECTED_HELPER: &str = "expected, FTP helper";
    pub const HELPER: &str = "FTP helper";
    pub const EXPECTATIONS: &str = "FTP helper expectations";
    pub const CLIENT_SOCKETS: &str = "Client sockets";
    pub const SERVER_SOCKETS: &str = "Server sockets";
    pub const FTP: &str = "FTP:";

    pub fn expects(from: &str, to: &str, then: Option<&str>) -> String {
        match then {
            Some(then) => format!("expects {from} → {to} (then to {then})"),
            None => format!("expects {from} → {to}"),
        }
    }
}

pub const LESSON: &str = "Lesson";
pub const OWN_SETTINGS: &str = "Your own settings";
pub const VIEW: &str = "View";
pub const QUIZ_MODE: &str = "Quiz mode";
pub const QUIZ_HELP: &str = "Stop before the data connection and ask the class what will happen";
pub const SIDE_BY_SIDE: &str = "Side by side";
pub const SIDE_BY_SIDE_HELP: &str = "Two modes on the same network, stepped together";
pub const PRESENTER: &str = "Presenter mode";
pub const LEAVE_PRESENTER: &str = "Leave presenter mode";

/// The playback bar.
pub mod playback {
    pub const GROUP: &str = "Playback";
    pub const RESTART: &str = "Restart";
    pub const RESTART_TITLE: &str = "Back to the start (Home)";
    pub const BACK: &str = "Step back";
    pub const BACK_TITLE: &str = "Step back (← or Page Up)";
    pub const PLAY: &str = "Play";
    pub const PAUSE: &str = "Pause";
    pub const PLAY_TITLE: &str = "Play or pause (Space)";
    pub const FORWARD: &str = "Step forward";
    pub const FORWARD_TITLE: &str = "Step forward (→ or Page Down)";
    pub const END: &str = "Jump to end";
    pub const END_TITLE: &str = "Jump to the end (End)";
    pub const TIMELINE: &str = "Timeline position";
    pub const SPEED: &str = "Speed";
    pub const STEP_BY: &str = "Step by";
    pub const KEY_MOMENTS: &str = "key moments";
    pub const PACKETS: &str = "packets";
    pub const EVERY_EVENT: &str = "every event";

    /// "12 / 215 · t = 0.088 s"
    pub fn counter(position: usize, last: usize, time: &str) -> String {
        format!("{} / {} · t = {time}", position + 1, last + 1)
    }

    /// "event 12 of 215, at 0.088 s"
    pub fn value_text(position: usize, last: usize, time: &str) -> String {
        format!("event {} of {}, at {time}", position + 1, last + 1)
    }

    /// "step 3 of 40" (side by side)
    pub fn steps(step: usize, last: usize) -> String {
        format!("step {} of {}", step + 1, last + 1)
    }
}

/// Panel headings and the words inside them.
pub mod panels {
    pub const CAPTION: &str = "What is happening";
    pub const WAITING: &str = "Running timeouts";
    pub const PICTURE: &str = "Network picture";
    pub const TRANSCRIPT: &str = "Transcript";
    pub const LADDER: &str = "Ladder diagram";
    pub const TABLES: &str = "Device tables";
    pub const LOWER_TABS: &str = "Ladder diagram or device tables";
    pub const VERDICT: &str = "Verdict";
    pub const EVERY_MODE: &str = "This network, every mode";
    pub const SETTINGS: &str = "Settings";
    pub const KEYS: &str =
        "Keys: Space play/pause · → or Page Down step · ← or Page Up back · Home · End · Esc cancels waiting changes";

    pub fn about(version: &str) -> String {
        format!("ftpsim {version}: vsftpd 3.0.3, Linux netfilter, curl and ftplib behaviour, simulated.")
    }
}

/// The verdict panel.
pub mod verdict {
    pub const IN_PROGRESS: &str = "Session in progress… the verdict appears at the end.";
    pub const COMPLETED: &str = "✓ Completed";
    pub const REFUSED_ON_PURPOSE: &str = "✓ Refused on purpose";
    pub const FIX: &str = "Fix:";
    pub const SHOW_WHERE: &str = "Show where it went wrong";
    pub const BRANCHED: &str = "These settings were changed mid-session; the verdict is about the run as it happened.";

    pub fn failed_at(place: Option<&str>) -> String {
        match place {
            Some(place) => format!("✗ Failed at the {}", place.to_ascii_lowercase()),
            None => "✗ Failed".to_owned(),
        }
    }

    pub fn why(cause: &str, reply: Option<u16>) -> String {
        match reply {
            Some(code) => format!("Why: {cause} (last reply {code})."),
            None => format!("Why: {cause}."),
        }
    }

    pub fn looking_back(position: usize) -> String {
        format!("This is how the run ends; the page is back at event {}.", position + 1)
    }
}

/// The every-mode table.
pub mod comparison {
    pub const MODE: &str = "Mode";
    pub const RESULT: &str = "Result";
    pub const WORKS: &str = "✓ works";
    pub const HIDDEN: &str = "Hidden until the class has answered the quiz.";
    pub const USES_EPSV: &str = "uses EPSV: PASV cannot carry an IPv6 address";
    pub const USES_EPRT: &str = "uses EPRT: PORT cannot carry an IPv6 address";

    pub fn fails(text: &str) -> String {
        format!("✗ {text}")
    }

    pub fn note(low: u16, high: u16) -> String {
        format!(
            "Each row is a fresh run of the settings shown, in that mode (passive ports {low}–{high}); the run on screen may differ if it was branched."
        )
    }
}

/// The panel of changes waiting for a decision.
pub mod pending {
    pub const TITLE: &str = "Changes waiting";
    pub const PAUSED: &str = "The run on screen is paused until you choose.";
    pub const RESTART: &str = "Restart with them";
    pub const BRANCH: &str = "Branch from this step";
    pub const CANCEL: &str = "Cancel (Esc)";
    pub const MARK: &str = "changed, not applied yet";

    pub fn changes(description: &str) -> String {
        format!("{description}.")
    }

    pub fn restart_only(why: &str) -> String {
        format!("Only a restart is possible: {why}.")
    }
}

pub const DISMISS: &str = "Dismiss";

/// Side by side.
pub mod compare {
    pub const LEFT: &str = "Left";
    pub const RIGHT: &str = "Right";
    pub const LEFT_MODE: &str = "Left mode";
    pub const RIGHT_MODE: &str = "Right mode";
    pub const IN_PROGRESS: &str = "in progress…";

    pub fn pane(side: &str, mode: &str) -> String {
        format!("{side}: {mode}")
    }
}

/// A link (the page's address) that could not be read in full, or cannot be written.
pub mod link {
    pub fn too_long(length: usize, max: usize) -> String {
        format!("the address is {length} characters long; a link from this page has at most {max}")
    }

    pub fn unknown_version(got: &str, known: u32) -> String {
        format!("the link is of version \"{got}\", and this page reads version {known}")
    }

    pub fn unknown_lesson(got: &str) -> String {
        format!("there is no lesson called \"{got}\"")
    }

    pub fn unknown_key(key: &str) -> String {
        format!("\"{key}\" is not a setting or a part of a link")
    }

    pub fn bad_value(key: &str, problem: &str) -> String {
        format!("{key}: {problem}")
    }

    pub fn invalid_settings(problem: &str) -> String {
        format!("the settings do not fit together: {problem}")
    }

    pub const NOT_A_STEP: &str = "expected a step number such as 42";
    pub const NOT_A_SEED: &str = "expected a whole number such as 7";

    pub fn expected_one_of(what: &str) -> String {
        format!("expected {what}")
    }

    pub fn cannot_write(fields: &str) -> String {
        format!("a link cannot carry these settings, which differ from the lesson: {fields}")
    }
}

/// The Share dialog.
pub mod share {
    pub const SHARE: &str = "Share";
    pub const SHARE_HELP: &str = "A link to exactly what is on screen, to copy or to show as a QR code";
    pub const TITLE: &str = "Share what is on screen";
    pub const LINK: &str = "Link";
    pub const COPY: &str = "Copy link";
    pub const COPIED: &str = "Copied. If your browser did not allow it, the link is selected: press Ctrl+C.";
    pub const SHOW_QR: &str = "Show QR code";
    pub const HIDE_QR: &str = "Hide QR code";
    pub const QR_LABEL: &str = "QR code of the link";
    pub const CLOSE: &str = "Close";
    pub const SHOW_EMBED: &str = "Embed code";
    pub const SHOW_LINK: &str = "Show the link";
    pub const EMBED_LABEL: &str = "Code for a course page (HTML)";
    pub const COPY_EMBED: &str = "Copy code";
    pub const EMBED_TITLE: &str = "FTP modes simulator";
    pub const OPEN_WHOLE: &str = "Open the simulator in its own page";
    pub const NEEDS_HOSTED_COPY: &str = "This copy was opened from a file, so it has no link to share. A copy on a \
         web server has links; or share the settings as a file (Save & export).";

    pub fn too_long_for_qr(length: usize) -> String {
        format!("this link is {length} characters long, too long for a QR code; copy it instead")
    }

    pub fn no_link(why: &str) -> String {
        format!("There is no link for this: {why}.")
    }
}

/// The Files dialog: save, open, export.
pub mod files {
    pub const FILES: &str = "Save & export";
    pub const FILES_HELP: &str = "Save or open a scenario file, keep one in this browser, export the transcript, the drawings and packet captures";
    pub const TITLE: &str = "Save, open and export";
    pub const SCENARIO: &str = "Scenario file";
    pub const SAVE_SCENARIO: &str = "Save the settings (.json)";
    pub const OPEN_SCENARIO: &str = "Open a scenario file";
    pub const SCENARIO_HELP: &str = "The same file ftpsim run --scenario reads.";
    pub const EXPORT: &str = "Export";
    pub const TRANSCRIPT: &str = "Transcript (.txt)";
    pub const TOPOLOGY: &str = "Network picture at this step (.svg)";
    pub const LADDER: &str = "Ladder diagram up to this step (.svg)";
    pub const LADDER_TITLE: &str = "FTP session ladder diagram";
    pub const CAPTURE: &str = "Packet capture for Wireshark (.pcap)";
    pub const CAPTURE_HELP: &str = "The whole run as packets, captured at one point: compare the client's side with the internet side to see NAT at work.";
    pub const CLOSE: &str = "Close";
    pub const CANNOT_READ: &str = "the file could not be read";
    pub const NOT_JSON: &str = "the file is not JSON: a scenario file looks like {\"mode\": \"port\"}";
    pub const PRINT: &str = "Print";
    pub const PRINT_HELP: &str = "The run on screen, on paper. The worksheet stops before the data connection and leaves blanks; the key fills them in.";
    /// The print buttons, in the order of `classroom::Printout::ALL`.
    pub const PRINTS: [&str; 3] = ["Print handout", "Print worksheet", "Print answer key"];
}

/// The printed handout, the worksheet and its answer key.
pub mod handout {
    pub const HANDOUT: &str = "Handout";
    pub const WORKSHEET: &str = "Worksheet";
    pub const ANSWER_KEY: &str = "Answer key";
    pub const NAME: &str = "Name:";
    pub const SETTINGS: &str = "The network and its settings";
    pub const NO_EFFECT: &str = " (no effect here)";
    pub const AT_START: &str = "The network before the session starts.";
    pub const AT_END: &str = "The network at the end of the run.";
    pub const TRANSCRIPT: &str = "Transcript";
    pub const LADDER: &str = "Ladder diagram";
    pub const SO_FAR: &str = "The session up to the moment the client sets up the data connection: what happens next is for you to work out.";
    pub const QUESTIONS: &str = "Questions";
    pub const ADDRESS: &str = "Address:";
    pub const ADDRESS_PORT: &str = "Address and port:";
    pub const LINE: &str = "Line:";
    pub const IT_WORKS: &str = "It works";
    pub const WHICH_FIX: &str = "Which one setting, changed on its own, would make it work?";
    pub const NO_FIX: &str = "No single setting makes it work.";
    pub const SAME: &str = "the same: nothing on the way changed it";
    pub const NEVER_ARRIVED: &str = "nothing: it never arrived";

    /// "The network where it went wrong (at 0.286 s)."
    pub fn at_failure(time: &str) -> String {
        format!("The network where it went wrong (at {time}).")
    }

    pub fn seen_as(client: &str) -> String {
        format!(
            "The client's own address is {client}. From which address does the server see its control connection come?"
        )
    }

    /// The question on the address the client (active) or the server (passive) announces.
    pub fn announced(by_server: bool, line: &str, two_numbers: bool) -> String {
        let who = if by_server { "server" } else { "client" };
        let how = if two_numbers { " (the port is p1 × 256 + p2: the last two numbers)" } else { "" };
        format!("The {who} sends \"{line}\". Which address and port does it announce{how}?")
    }

    pub fn received(by_server: bool) -> String {
        let who = if by_server { "client" } else { "server" };
        format!("What does the {who} receive, and which address and port does it read in it?")
    }

    /// "192.168.1.2, port 226 × 256 + 217 = 58073"
    pub fn decoded(address: &str, port: u16, two_numbers: bool) -> String {
        if two_numbers {
            format!("{address}, port {} × 256 + {} = {port}", port / 256, port % 256)
        } else {
            format!("{address}, port {port}")
        }
    }

    /// What a 229 reply announces: a port, on the control connection's address.
    pub fn port_only(port: u16, control: &str) -> String {
        format!("port {port}, and no address: the client connects to the control connection's, {control}")
    }

    pub fn port_of(address: &str, port: u16) -> String {
        format!("{address} (port {port})")
    }

    pub fn where_it_stops(places: &str) -> String {
        format!("Where is the data connection stopped? Circle one: It works · {places}")
    }

    pub fn fails_at(place: &str, why: &str) -> String {
        format!("{place}: {why}")
    }

    pub fn fix(setting: &str, value: &str) -> String {
        format!("{setting}: {value}")
    }

    pub fn any_of(fixes: &str) -> String {
        format!("any one of: {fixes}")
    }

    /// Where an answer can be seen in the run.
    pub fn seen_at(time: &str) -> String {
        format!("(seen at {time})")
    }
}

/// What the browser keeps between visits, and scenarios saved under a name.
pub mod stored {
    pub const NOT_JSON: &str = "it is not JSON";
    pub const AN_OBJECT: &str = "an object";
    pub const A_NUMBER: &str = "a version number";
    pub const A_LINK: &str = "a link";
    pub const A_LIST: &str = "a list";
    pub const A_LEVEL: &str = "\"key\", \"packet\" or \"detail\"";
    pub const A_SPEED: &str = "a speed from 0 to 15";
    pub const TRUE_OR_FALSE: &str = "true or false";
    pub const A_NAME: &str = "a name";
    pub const NO_NAME: &str = "give the scenario a name first";

    pub fn too_long(length: usize, limit: usize) -> String {
        format!("it is {length} characters long, more than the {limit} this page keeps")
    }

    pub fn newer(version: u64, known: u64) -> String {
        format!("a newer version of the page wrote it (version {version}; this page knows up to {known})")
    }

    pub fn wrong_field(field: &str, expected: &str) -> String {
        format!("\"{field}\" should be {expected}")
    }

    pub fn bad_scenario(name: &str, problem: &str) -> String {
        format!("the saved scenario \"{name}\" is not a valid network ({problem})")
    }

    pub fn name_too_long(limit: usize) -> String {
        format!("a name can be at most {limit} characters long")
    }

    pub fn too_many(limit: usize) -> String {
        format!("this browser keeps at most {limit} saved scenarios: delete one first")
    }

    /// The whole notice when the stored record could not be read.
    pub fn set_aside(problem: &str, key: &str) -> String {
        format!(
            "What this browser kept from an earlier visit could not be read ({problem}). It was moved aside \
             under \"{key}\" in the browser's storage, and the page starts afresh."
        )
    }

    pub fn not_saved(problem: &str) -> String {
        format!("The scenario was not saved: {problem}.")
    }

    /// The browser does not let the page keep anything (private window, blocked storage).
    pub const UNAVAILABLE: &str = "This browser does not let the page keep anything (private window or blocked storage): saved scenarios and preferences last until the tab closes.";
    pub const SAVED_TITLE: &str = "Saved in this browser";
    pub const SAVED_HELP: &str = "Scenarios kept in this browser under a name, for the next class.";
    pub const NAME_LABEL: &str = "Name";
    pub const SAVE: &str = "Save in this browser";
    pub const NONE_SAVED: &str = "Nothing saved yet.";
    pub const OPEN: &str = "Open";
    pub const DELETE: &str = "Delete";

    pub fn saved_as(name: &str) -> String {
        format!("Saved as \"{name}\".")
    }

    pub fn deleted(name: &str) -> String {
        format!("\"{name}\" was deleted.")
    }

    pub fn open_label(name: &str) -> String {
        format!("Open {name}")
    }

    pub fn delete_label(name: &str) -> String {
        format!("Delete {name}")
    }
}
