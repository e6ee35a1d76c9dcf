//! Assessment: the generated questions, the hints after a wrong answer, the two modes and the
//! score.

/// "Will this transfer work?"
pub const WILL_IT_WORK: &str = "The client is about to set up the data connection. Will the transfer work?";

/// "To which address and port will the server connect?"
pub fn data_target(by_server: bool, line: &str) -> String {
    let who = if by_server { "server" } else { "client" };
    format!("\"{line}\" has just been sent. To which address and port will the {who} open the data connection?")
}

/// "What address does the server read in the PORT command?"
pub fn seen_in_port(line: &str) -> String {
    format!("The client has just sent \"{line}\". Which address will the server read in it?")
}

pub const WHICH_DEVICE: &str = "Which device stopped the data connection? Pick it on the network picture.";
pub const WHICH_SETTING: &str = "Which one setting, changed on its own, would have made this transfer work?";

/// "Fill in the NAT table row for the data connection."
pub fn nat_row(router: &str, peer: &str) -> String {
    format!(
        "Fill in the {router}'s NAT table row for the data connection with {peer}: the address inside and the public address."
    )
}

pub const YES: &str = "Yes, it will work";
pub const NO: &str = "No, it will fail";
pub const INSIDE: &str = "inside";
pub const PUBLIC: &str = "public";
pub const RIGHT: &str = "Right.";
pub const WRONG: &str = "Wrong.";
pub const QUESTIONS: &str = "Questions";
pub const CHECK: &str = "Check";
pub const ADDRESS_AND_PORT: &str = "Address and port";
pub const ADDRESS: &str = "Address";
pub const INSIDE_FIELD: &str = "Inside (address:port)";
pub const PUBLIC_FIELD: &str = "Public (address:port)";
pub const SETTING: &str = "Setting";
pub const PICK_A_SETTING: &str = "Pick one setting from the list.";
pub const SAVED: &str = "Answer saved. The marks come at the end.";
pub const KEEP_STEPPING: &str = "Step on: the next question comes when the session reaches it.";

/// "2 of 5 answered"
pub fn progress(answered: usize, asked: usize) -> String {
    format!("{answered} of {asked} answered")
}

/// "Passing score 80 %: passed"
pub fn passing(percent: u8, status: &str) -> String {
    format!("Passing score {percent} %: {status}")
}

/// "Wrong: look at event 42."
pub fn look_at(event: usize) -> String {
    format!("Not quite. Look at event {}: it shows the answer.", event + 1)
}

pub fn helper_rewrote(event: usize) -> String {
    format!(
        "That is the address inside the line as it was sent, but an FTP helper rewrote the line on the way: see event {}.",
        event + 1
    )
}

pub fn nat_leaves_text_alone(event: usize) -> String {
    format!(
        "NAT rewrites the addresses in packet headers, not the text inside a command: without a helper, the line at event {} arrives as it was sent.",
        event + 1
    )
}

pub fn client_ignores_address(event: usize) -> String {
    format!(
        "That is the address in the reply at event {}, but this client does not trust it: it connects to the address of the control connection instead.",
        event + 1
    )
}

pub fn port_arithmetic(event: usize) -> String {
    format!(
        "The address is right, the port is not. In the six numbers at event {}, the port is the fifth × 256 + the sixth.",
        event + 1
    )
}

/// A fresh run with the setting picked still fails (`at`: the device it stops at).
pub fn still_fails(at: Option<&str>) -> String {
    match at {
        Some(place) => format!("With only that change, a fresh run still fails, at the {place}."),
        None => "With only that change, a fresh run still fails.".to_owned(),
    }
}

/// The button that takes the session to the event a hint names.
pub fn go_to(event: usize) -> String {
    format!("Go to event {}", event + 1)
}

pub const NOT_A_CHANGE: &str = "That is not a change: the setting already has that value.";

pub fn swapped(event: usize) -> String {
    format!("The two halves are the wrong way round: see the row added at event {}.", event + 1)
}

pub const WRONG_KIND: &str = "That answer does not fit this question.";
pub const NOT_AN_ADDRESS_AND_PORT: &str =
    "Type an address and a port, such as 198.51.100.10:50001 or the six numbers 198,51,100,10,195,81";
pub const NOT_AN_ADDRESS: &str = "Type an address, such as 192.168.1.2";

pub const SETTINGS_LOCKED: &str =
    "The settings stay as they are until every question is answered: the answers are about this run.";
pub const PRACTICE: &str = "Practice";
pub const TEST: &str = "Test";
pub const LOCKED: &str = "This question is answered: in a test, answers cannot be changed.";
pub const NO_SUCH_QUESTION: &str = "There is no such question in this run.";

/// "Score: 4 of 6 (67 %)"
pub fn score(right: usize, asked: usize, percent: u8) -> String {
    format!("Score: {right} of {asked} ({percent} %)")
}

/// The answer as the answer key prints it.
pub fn yes_no(works: bool) -> &'static str {
    if works { YES } else { NO }
}

/// "any of: client firewall → off; mode → passive"
pub fn any_of(fixes: &[String]) -> String {
    fixes.join(" · ")
}

/// "192.168.1.2:40000 inside, 203.0.113.1:40000 public"
pub fn nat_row_answer(inside: &str, public: &str) -> String {
    format!("{inside} {INSIDE}, {public} {PUBLIC}")
}

/// The teacher's answer key: one line per student's variant.
pub fn variant_heading(seed: u64, title: &str) -> String {
    format!("Variant {seed}: {title}")
}

/// "client 192.168.1.2 · home router 203.0.113.1 · server 198.51.100.10 · passive range 50000-51000"
pub fn key_numbers(client: &str, router: &str, server: &str, low: u16, high: u16) -> String {
    format!("client {client} · home router {router} · server {server} · passive range {low}-{high}")
}

/// "Answer key: active-nat"
pub fn answer_key_title(lesson: &str) -> String {
    format!("Answer key: {lesson}")
}

/// Why stored progress could not be resumed.
pub mod suspend {
    pub const UNREADABLE: &str = "the saved progress could not be read, so the attempt starts again";
    pub const OTHER_RUN: &str = "the saved progress is for another variant, so the attempt starts again";
}
