//! The `ftpsim` terminal runner, driven as a user would.

use std::process::{Command, Output};

fn ftpsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ftpsim")).args(args).output().expect("ftpsim runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn presets_lists_every_lesson() {
    let output = ftpsim(&["presets"]);
    assert!(output.status.success());
    let text = stdout(&output);
    for id in [
        "open-network",
        "active-nat",
        "passive-server-firewall-closed",
        "server-nat-classic-client",
        "epsv-ipv6",
        "helper-blind-port",
    ] {
        assert!(text.contains(id), "{id} missing from\n{text}");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&ftpsim(&["presets", "--format", "json"]).stdout).expect("json");
    assert_eq!(json.as_array().map(Vec::len), Some(ftpsim::sim::lessons::all().len()));
}

#[test]
fn run_json_has_outcome_reply_cause_device_and_events() {
    let output = ftpsim(&["run", "--preset", "active-nat", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "a failed session exits with 1");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    assert_eq!(json["outcome"], "fail");
    assert_eq!(json["final_reply"], 500);
    assert_eq!(json["cause"], "server-refused-address");
    assert_eq!(json["device"], "server");
    let events = json["events"].as_array().expect("events");
    assert!(events.len() > 50);
    for event in events {
        for field in ["time", "device", "kind", "text"] {
            assert!(event.get(field).is_some(), "event without {field}: {event}");
        }
    }
    assert_eq!(events.last().map(|event| event["kind"].clone()), Some(serde_json::json!("verdict")));
}

#[test]
fn flags_override_the_preset() {
    let output = ftpsim(&["run", "--preset", "active-nat", "--mode", "pasv", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(json["outcome"], "ok");
    assert_eq!(json["final_reply"], 221);
    assert!(json["cause"].is_null());

    let helped = ftpsim(&["run", "--preset", "active-nat", "--client-alg", "on"]);
    assert_eq!(helped.status.code(), Some(0));
    let blinded = ftpsim(&["run", "--preset", "active-nat", "--client-alg", "on", "--control-encrypted", "on"]);
    assert_eq!(blinded.status.code(), Some(1), "the helper cannot read an encrypted PORT");
    let closed = ftpsim(&["run", "--mode", "epsv", "--server-firewall", "control-only", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&closed.stdout).expect("json");
    assert_eq!(json["cause"], "client-data-connect-timeout");
    assert_eq!(json["device"], "server-edge");
}

#[test]
fn text_run_is_a_readable_transcript_with_a_verdict() {
    let output = ftpsim(&["run", "--preset", "active-client-firewall", "--detail", "key"]);
    let text = stdout(&output);
    assert!(text.contains("Active mode behind a client firewall"), "{text}");
    assert!(text.contains("425 Failed to establish connection."), "{text}");
    assert!(text.contains("outcome:     fail"));
    assert!(text.contains("device:      home-router"));
    assert!(text.contains("fix:"));
}

#[test]
fn scenario_files_are_read_and_checked() {
    let dir = std::env::temp_dir().join(format!("ftpsim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let good = dir.join("good.json");
    std::fs::write(&good, r#"{"mode": "port", "client_alg": true}"#).expect("write");
    assert_eq!(ftpsim(&["run", "--scenario", good.to_str().expect("utf8")]).status.code(), Some(0));

    let unknown = dir.join("unknown.json");
    std::fs::write(&unknown, r#"{"mode": "port", "colour": "red"}"#).expect("write");
    let output = ftpsim(&["run", "--scenario", unknown.to_str().expect("utf8")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("unknown field `colour`"), "{}", stderr(&output));

    let broken = dir.join("broken.json");
    std::fs::write(&broken, "{ not json").expect("write");
    let output = ftpsim(&["run", "--scenario", broken.to_str().expect("utf8")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("broken.json"), "{}", stderr(&output));

    let missing = ftpsim(&["run", "--scenario", "/nonexistent/scenario.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("cannot read scenario file"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_flags_exit_with_2_and_say_what_is_wrong() {
    for (args, says) in [
        (vec!["run", "--mode", "sideways"], "sideways"),
        (vec!["run", "--client-nat", "maybe"], "maybe"),
        (vec!["run", "--preset", "nope"], "unknown preset \"nope\""),
        (vec!["run", "--control-port", "0"], "control-port"),
        (vec!["run", "--control-port", "50001"], "outside the passive range"),
        (vec!["run", "--preset", "active-nat", "--scenario", "x.json"], "cannot be used with"),
        (vec!["fly"], "unrecognized subcommand"),
    ] {
        let output = ftpsim(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).contains(says), "{args:?}: {}", stderr(&output));
    }
}

#[test]
fn matrix_prints_every_combination() {
    let output = ftpsim(&["matrix"]);
    assert!(output.status.success());
    let text = stdout(&output);
    assert_eq!(text.lines().count(), 2 + 48);
    assert!(text.lines().next().unwrap_or("").contains("PORT | EPRT | PASV"));
    let json: serde_json::Value =
        serde_json::from_slice(&ftpsim(&["matrix", "--format", "json", "--ip", "v6"]).stdout).expect("json");
    assert_eq!(json["rows"].as_array().map(Vec::len), Some(48));
}

#[test]
fn every_issue_8_setting_is_a_flag_and_the_json_has_the_dialogue() {
    let output = ftpsim(&[
        "run",
        "--client",
        "ftplib",
        "--server",
        "pyftpdlib",
        "--user",
        "demo",
        "--mode",
        "port",
        "--client-nat",
        "off",
        "--command",
        "stor",
        "--connect-timeout",
        "4",
        "--accept-timeout",
        "4",
        "--client-timeout",
        "6",
        "--port20",
        "off",
        "--server-epsv",
        "off",
        "--epsv-refusal",
        "502",
        "--helper-ports",
        "21,2121",
        "--private-destinations",
        "unreachable",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let scenario = &json["scenario"];
    assert_eq!(scenario["client"], "ftplib");
    assert_eq!(scenario["server"], "pyftpdlib");
    assert_eq!(scenario["user"], "demo");
    assert_eq!(scenario["connect_timeout"], 4);
    assert_eq!(scenario["client_timeout"], 6);
    assert_eq!(scenario["port20"], false);
    assert_eq!(scenario["epsv_refusal"], "502");
    assert_eq!(scenario["helper_ports"], serde_json::json!([21, 2121]));
    assert_eq!(scenario["private_destinations"], "unreachable");
    // The client firewall drops pyftpdlib's connect at PORT time: 421 after 4 s, then ftplib QUITs.
    let lines: Vec<String> = json["dialogue"]
        .as_array()
        .expect("dialogue")
        .iter()
        .map(|line| line["line"].as_str().unwrap_or_default().chars().take(4).collect())
        .collect();
    assert_eq!(lines[..6], ["220 ", "USER", "331 ", "PASS", "230 ", "TYPE"]);
    assert!(
        lines.ends_with(&["PORT".to_owned(), "421 ".to_owned(), "QUIT".to_owned(), "221 ".to_owned()]),
        "{lines:?}"
    );
    assert!(json["failed_at"].as_u64().is_some_and(|micros| (4_000_000..5_000_000).contains(&micros)));
}

#[test]
fn bad_values_of_the_new_settings_say_what_was_expected() {
    for (flag, value, expected) in [
        ("--client-timeout", "0", "a whole number from 1 to 3600, or none"),
        ("--connect-timeout", "soon", "a whole number from 1 to 3600, or default"),
        ("--helper-ports", "21,0", "ports from 1 to 65535 separated by commas"),
        ("--client", "wget", "one of curl, ftplib"),
        ("--epsv-refusal", "404", "one of 500, 502"),
    ] {
        let output = ftpsim(&["run", flag, value]);
        assert_eq!(output.status.code(), Some(2), "{flag} {value}");
        assert!(stderr(&output).contains(expected), "{flag} {value}: {}", stderr(&output));
    }
    let output = ftpsim(&["run", "--client", "ftplib", "--mode", "epsv"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("ftplib has no epsv mode on IPv4"), "{}", stderr(&output));
}

#[test]
fn handout_writes_a_printable_page_and_its_worksheet_and_answer_key() {
    let handout = ftpsim(&["handout", "--preset", "active-nat"]);
    assert!(handout.status.success(), "{}", String::from_utf8_lossy(&handout.stderr));
    let page = String::from_utf8_lossy(&handout.stdout);
    assert!(page.starts_with("<!doctype html>") && page.contains("<svg"), "a page with the picture");
    assert!(page.contains("Active mode behind NAT"), "the lesson's title");
    assert!(page.contains("PORT 192,168,1,2,"), "the transcript");

    let worksheet = ftpsim(&["handout", "--preset", "active-nat", "--sheet", "worksheet"]);
    let key = ftpsim(&["handout", "--preset", "active-nat", "--sheet", "answer-key"]);
    let (worksheet, key) = (String::from_utf8_lossy(&worksheet.stdout), String::from_utf8_lossy(&key.stdout));
    assert!(worksheet.contains("class=\"blank\""), "the worksheet has blanks");
    assert!(!worksheet.contains("class=\"answer\""), "and no answers");
    assert!(key.contains("class=\"answer\"") && key.contains("203.0.113.1"), "the key has them");

    let dir = std::env::temp_dir().join(format!("ftpsim-handout-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let file = dir.join("sheet.html");
    let written = ftpsim(&["handout", "--preset", "passive-nat-firewall", "-o", file.to_str().expect("utf-8")]);
    assert!(written.status.success());
    assert!(std::fs::read_to_string(&file).expect("written").contains("</html>"));
    let _ = std::fs::remove_dir_all(&dir);

    let unknown = ftpsim(&["handout", "--preset", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown preset"));
}

#[test]
fn typed_lines_play_as_at_the_pages_console() {
    let output = ftpsim(&[
        "run",
        "--preset",
        "active-nat",
        "--format",
        "json",
        "--type",
        "PORT 192,168,1,2,4,1",
        "--type",
        "LIST",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(json["scenario"]["console"], serde_json::json!(["PORT 192,168,1,2,4,1", "LIST"]));
    // The same as the engine's own run of those lines, the page's console included.
    let mut scenario = ftpsim::sim::lessons::find("active-nat").expect("lesson").scenario;
    scenario.console = vec!["PORT 192,168,1,2,4,1".to_owned(), "LIST".to_owned()];
    let timeline = ftpsim::sim::timeline::Timeline::run(&scenario).expect("valid");
    let texts: Vec<&str> =
        json["events"].as_array().expect("events").iter().filter_map(|e| e["text"].as_str()).collect();
    let expected: Vec<&str> = timeline.events().iter().map(|event| event.text.as_str()).collect();
    assert_eq!(texts, expected);
    assert!(texts.iter().any(|text| text.contains("500 Illegal PORT command")), "behind NAT, vsftpd refuses it");
    // A line the console would not take is a usage error naming the line.
    let refused = ftpsim(&["run", "--preset", "active-nat", "--type", "LIST", "--type", "  "]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("typed line 2"), "{}", stderr(&refused));
}
