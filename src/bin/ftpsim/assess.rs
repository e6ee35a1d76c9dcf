//! `ftpsim quiz` and `ftpsim assignment`: the generated questions in the terminal.
//!
//! `quiz` plays a lesson's variant up to each question's moment (key events only), asks it,
//! reads the answer from standard input and marks it as the mode says: practice marks at once
//! and lets a wrong answer be tried again (an empty line moves on), a test marks nothing until
//! the end. It ends with the score and the values a SCORM 1.2 course would be sent.
//! `assignment` prints the teacher's answer key: each student's variant, its cause and its
//! answers.

use std::io::BufRead;
use std::net::SocketAddr;

use clap::{Args, ValueEnum};
use ftpsim::assess::attempt::{Attempt, Mode};
use ftpsim::assess::questions::{self, Ask, Mark, Question, Response};
use ftpsim::assess::variant::{self, Variant};
use ftpsim::messages::assess as say;
use ftpsim::sim::timeline::Timeline;
use ftpsim::sim::trace::{Level, NodeId};

#[derive(Clone, Copy, ValueEnum)]
pub enum QuizMode {
    Practice,
    Test,
}

/// Which variant: a lesson and a seed.
#[derive(Args)]
pub struct VariantArgs {
    /// The lesson (see `ftpsim presets`).
    #[arg(long)]
    pub lesson: String,
    /// The seed of the variant (an assignment link carries one per student).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Keep the lesson's fault: vary the numbers only, not which setting is at fault.
    #[arg(long)]
    pub same_fault: bool,
}

#[derive(Args)]
pub struct QuizArgs {
    #[command(flatten)]
    pub variant: VariantArgs,
    #[arg(long, value_enum, default_value_t = QuizMode::Practice)]
    pub mode: QuizMode,
    /// The passing score in percent (the test then passes or fails, as an LMS records it).
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub pass: Option<u8>,
}

#[derive(Args)]
pub struct AssignmentArgs {
    #[command(flatten)]
    pub variant: VariantArgs,
    /// How many students: variants `seed`, `seed + 1`, …
    #[arg(long, default_value_t = 1)]
    pub students: u64,
    /// Write the answer key as a printable HTML page to FILE instead of text on stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

/// One student's variant as the answer key lists it.
struct KeyEntry {
    seed: u64,
    title: &'static str,
    settings: String,
    numbers: String,
    /// (question, answer)
    answers: Vec<(String, String)>,
}

fn key_entries(args: &AssignmentArgs) -> Result<Vec<KeyEntry>, String> {
    let first = args.variant.seed;
    (first..first.saturating_add(args.students.clamp(1, 1000)))
        .map(|seed| {
            let (found, timeline) = find_variant(&args.variant, seed)?;
            let server_nat = found.scenario.server_nat_active();
            let topology = found.scenario.topology();
            let (low, high) = found.scenario.numbers.passive_range;
            Ok(KeyEntry {
                seed,
                title: found.lesson.title,
                settings: found.scenario.describe(),
                numbers: say::key_numbers(
                    &topology.client.to_string(),
                    &topology.router_wan.to_string(),
                    &topology.server_public.to_string(),
                    low,
                    high,
                ),
                answers: questions::questions(&timeline)
                    .iter()
                    .map(|question| (question.words(server_nat), question.answer_words(server_nat)))
                    .collect(),
            })
        })
        .collect()
}

/// The answer key as a page to print: every text escaped by maud.
fn key_page(lesson: &str, entries: &[KeyEntry]) -> String {
    let title = say::answer_key_title(lesson);
    let body = maud::html! {
        h1 { (title) }
        @for entry in entries {
            section class="variant" {
                h2 { (say::variant_heading(entry.seed, entry.title)) }
                p class="note" { (entry.settings) br; (entry.numbers) }
                ol {
                    @for (question, answer) in &entry.answers {
                        li { (question) br; b { (answer) } }
                    }
                }
            }
        }
    };
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n{}\nsection.variant {{ break-inside: avoid; margin-bottom: 1em; }}\n</style>\n</head>\n<body>\n{}\n</body>\n</html>\n",
        maud::html! { (title) }.into_string(),
        include_str!("../../../static/handout.css"),
        body.into_string()
    )
}

fn find_variant(args: &VariantArgs, seed: u64) -> Result<(Variant, Timeline), String> {
    let found = variant::variant(&args.lesson, seed, !args.same_fault)
        .ok_or_else(|| format!("unknown lesson \"{}\" (see ftpsim presets)", args.lesson))?;
    let timeline = Timeline::run(&found.scenario).map_err(|error| format!("invalid settings: {error}"))?;
    Ok((found, timeline))
}

/// `ftpsim assignment`: the answer key of `students` variants, as text or a page to print.
pub fn assignment(args: &AssignmentArgs) -> Result<i32, String> {
    let entries = key_entries(args)?;
    if let Some(path) = &args.output {
        std::fs::write(path, key_page(&args.variant.lesson, &entries))
            .map_err(|error| format!("cannot write the answer key {}: {error}", path.display()))?;
        return Ok(0);
    }
    for entry in &entries {
        crate::cli::emit(&say::variant_heading(entry.seed, entry.title));
        crate::cli::emit(&format!("  {}", entry.settings));
        crate::cli::emit(&format!("  {}", entry.numbers));
        for (number, (question, answer)) in entry.answers.iter().enumerate() {
            crate::cli::emit(&format!("  {}. {question}", number + 1));
            crate::cli::emit(&format!("     → {answer}"));
        }
        crate::cli::emit("");
    }
    Ok(0)
}

/// Reads a typed answer for `question`; `Err` holds what to tell the student.
fn read_response(question: &Question, line: &str) -> Result<Response, String> {
    let line = line.trim();
    match &question.ask {
        Ask::WillItWork => match line.to_ascii_lowercase().as_str() {
            "y" | "yes" => Ok(Response::YesNo(true)),
            "n" | "no" => Ok(Response::YesNo(false)),
            _ => Err("yes or no".to_owned()),
        },
        Ask::DataTarget { .. } => {
            questions::read_address_and_port(line).map(Response::Address).map_err(|e| e.to_string())
        }
        Ask::SeenInPort { .. } => questions::read_address(line).map(Response::Ip).map_err(|e| e.to_string()),
        Ask::WhichDevice => NodeId::ALL
            .into_iter()
            .find(|node| {
                node.as_str().eq_ignore_ascii_case(line)
                    || node.label(false).eq_ignore_ascii_case(line)
                    || node.label(true).eq_ignore_ascii_case(line)
            })
            .map(Response::Device)
            .ok_or_else(|| {
                let names: Vec<&str> = NodeId::ALL.iter().map(|node| node.as_str()).collect();
                names.join(", ")
            }),
        Ask::WhichSetting => match line.split_whitespace().collect::<Vec<_>>().as_slice() {
            [key, token] => Ok(Response::Setting { key: (*key).to_owned(), token: (*token).to_owned() }),
            _ => Err("a setting and its value, such as: client-alg on".to_owned()),
        },
        Ask::NatRow { .. } => {
            let parts: Vec<Result<SocketAddr, _>> =
                line.split_whitespace().map(questions::read_address_and_port).collect();
            match parts.as_slice() {
                [Ok(inside), Ok(public)] => Ok(Response::NatRow { inside: *inside, public: *public }),
                _ => Err("two address:port pairs, inside then public".to_owned()),
            }
        }
    }
}

/// `ftpsim quiz`: the questions of one variant, answered on standard input.
pub fn quiz(args: &QuizArgs) -> Result<i32, String> {
    let (found, timeline) = find_variant(&args.variant, args.variant.seed)?;
    let server_nat = found.scenario.server_nat_active();
    let mode = match args.mode {
        QuizMode::Practice => Mode::Practice,
        QuizMode::Test => Mode::Test,
    };
    crate::cli::emit(&format!("{} · {}", say::variant_heading(found.seed, found.assigned), mode_words(mode)));
    crate::cli::emit(&format!("settings: {}\n", found.scenario.describe()));
    let mut attempt = Attempt::new(mode, questions::questions(&timeline));
    let mut input = std::io::stdin().lock().lines();
    let mut shown = 0;
    for index in 0..attempt.questions.len() {
        let question = attempt.questions[index].clone();
        print_key_events(&timeline, shown, question.asked_at + 1);
        shown = shown.max(question.asked_at + 1);
        attempt.position = question.asked_at;
        crate::cli::emit(&format!("\n{}. {}", index + 1, question.words(server_nat)));
        loop {
            let Some(Ok(line)) = input.next() else {
                crate::cli::emit("");
                return finish(&attempt, &found, args.pass);
            };
            if line.trim().is_empty() && attempt.records[index].tries > 0 {
                break;
            }
            let response = match read_response(&question, &line) {
                Ok(response) => response,
                Err(expected) => {
                    crate::cli::emit(&format!("   ? {expected}"));
                    continue;
                }
            };
            match attempt.answer(index, &response, &timeline) {
                Ok(Some(Mark::Right)) => {
                    crate::cli::emit(&format!("   {}", say::RIGHT));
                    break;
                }
                Ok(Some(Mark::Wrong(hint))) => crate::cli::emit(&format!("   {}", hint.words(server_nat))),
                Ok(None) | Err(_) => break,
            }
        }
        crate::cli::emit("");
    }
    print_key_events(&timeline, shown, timeline.events().len());
    attempt.position = timeline.events().len().saturating_sub(1);
    finish(&attempt, &found, args.pass)
}

/// Prints the key events from `from` up to (not including) `until`, numbered from 1 as the hints
/// number them; nothing when the range is empty or past the end.
fn print_key_events(timeline: &Timeline, from: usize, until: usize) {
    let events = timeline.events();
    for event in events.get(from..until.min(events.len())).unwrap_or_default() {
        if event.level == Level::Key {
            crate::cli::emit(&format!("{:>4} {}", event.index + 1, event.to_line()));
        }
    }
}

fn mode_words(mode: Mode) -> &'static str {
    match mode {
        Mode::Practice => say::PRACTICE,
        Mode::Test => say::TEST,
    }
}

/// The end: the marks of a test, the score, and what an LMS would be told.
fn finish(attempt: &Attempt, found: &Variant, pass: Option<u8>) -> Result<i32, String> {
    let server_nat = found.scenario.server_nat_active();
    if attempt.mode == Mode::Test {
        for (number, (question, record)) in attempt.questions.iter().zip(&attempt.records).enumerate() {
            let mark = if record.right_first { "right" } else { "wrong" };
            crate::cli::emit(&format!("{}. {mark}: {}", number + 1, question.answer_words(server_nat)));
        }
    }
    let report = attempt.report(found.assigned, found.seed, pass, 0);
    crate::cli::emit(&attempt.score().words());
    crate::cli::emit(&format!("cmi.core.lesson_status: {}", report.lesson_status.as_str()));
    crate::cli::emit(&format!("cmi.core.score.raw: {} (min 0, max 100)", report.score_raw));
    crate::cli::emit(&format!("cmi.suspend_data: {}", report.suspend_data));
    Ok(0)
}
