//! `ftpsim`, the terminal runner: list the lessons, play one scenario as a transcript or JSON,
//! or print the comparison matrix — and put the simulator's engines on real sockets:
//! `ftpsim serve` for real FTP clients, `ftpsim get/ls/put` against real FTP servers.
//!
//! Exit status: 0 when the run or the transfer completed (or for `presets` / `matrix` /
//! `serve`), 1 when the FTP session failed, 2 for bad flags, a bad scenario file or a bad URL.
//!
//! The real sockets live here, in the native binary only: `driver` feeds socket events into the
//! sans-IO engines of the library, which never see a socket.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod assess;
#[cfg(not(target_arch = "wasm32"))]
mod driver;
#[cfg(not(target_arch = "wasm32"))]
mod fetch;
#[cfg(not(target_arch = "wasm32"))]
mod files;
#[cfg(not(target_arch = "wasm32"))]
mod serve;
#[cfg(not(target_arch = "wasm32"))]
mod transcript;

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(cli::main());
}

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use std::path::PathBuf;

    use clap::{Arg, ArgAction, ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
    use ftpsim::classroom::Printout;
    use ftpsim::sim::capture::{self, CapturePoint};
    use ftpsim::sim::lessons;
    use ftpsim::sim::matrix;
    use ftpsim::sim::scenario::{Change, Scenario};
    use ftpsim::sim::settings::{self, Kind};
    use ftpsim::sim::timeline::Timeline;
    use ftpsim::sim::trace::{self, Level, TraceEvent};

    #[derive(Parser)]
    #[command(
        name = "ftpsim",
        version,
        about = "FTP active and passive modes through NAT, firewalls and the FTP helper, simulated"
    )]
    struct Cli {
        #[command(subcommand)]
        command: Commands,
    }

    #[derive(Subcommand)]
    enum Commands {
        /// List the lessons (preset scenarios).
        Presets {
            #[arg(long, value_enum, default_value_t = Format::Text)]
            format: Format,
        },
        /// Play one scenario to its verdict.
        Run {
            /// Start from this lesson (see `ftpsim presets`).
            #[arg(long, conflicts_with = "scenario")]
            preset: Option<String>,
            /// Start from this scenario file (JSON; missing fields take their defaults).
            #[arg(long)]
            scenario: Option<PathBuf>,
            /// Which events to print in text format: everything, packets and up, or key events.
            #[arg(long, value_enum, default_value_t = Detail::All)]
            detail: Detail,
            #[arg(long, value_enum, default_value_t = Format::Text)]
            format: Format,
            /// Also write a packet capture of the run to FILE (pcap, for Wireshark).
            #[arg(long, value_name = "FILE")]
            pcap: Option<PathBuf>,
            /// Where the capture is taken: the client's network, the home router's internet side
            /// (after NAT), or the server's network (after its firewall).
            #[arg(long, value_name = "client|wan|server", default_value_t = CapturePoint::Client, requires = "pcap")]
            capture_at: CapturePoint,
            /// Type LINE at the console, as a student does on the page: the client logs in, then
            /// sends each typed line as it is, in order, once the network is quiet. Repeat for
            /// more lines (`--type "PORT 192,168,1,2,4,1" --type LIST`).
            #[arg(long = "type", value_name = "LINE")]
            typed: Vec<String>,
        },
        /// Write a printable handout of one scenario as an HTML file: the network and its
        /// settings, the verdict, the every-mode table, the transcript and the ladder; or a
        /// worksheet with blanks, or its answer key.
        Handout {
            /// Start from this lesson (see `ftpsim presets`).
            #[arg(long, conflicts_with = "scenario")]
            preset: Option<String>,
            /// Start from this scenario file (JSON; missing fields take their defaults).
            #[arg(long)]
            scenario: Option<PathBuf>,
            #[arg(long, value_enum, default_value_t = Sheet::Handout)]
            sheet: Sheet,
            /// Where to write it (default: stdout).
            #[arg(short = 'o', long)]
            output: Option<PathBuf>,
        },
        /// Answer the questions the simulator asks about a lesson's variant, on standard input.
        Quiz(crate::assess::QuizArgs),
        /// Print the answer key of an assignment: each student's variant and its answers.
        Assignment(crate::assess::AssignmentArgs),
        /// Run every combination of the network toggles in every mode and print the table.
        Matrix {
            #[arg(long, value_enum, default_value_t = Format::Text)]
            format: Format,
        },
        /// Serve FTP on a real socket with the simulator's server engine.
        Serve(crate::serve::ServeArgs),
        /// Download a file with the simulator's client engine: ftp://[user[:pass]@]host[:port]/path
        Get {
            url: String,
            /// Where to save it (default: its name, in the current directory).
            #[arg(short = 'o', long)]
            output: Option<PathBuf>,
            #[command(flatten)]
            client: crate::fetch::ClientArgs,
        },
        /// List a directory with the simulator's client engine (the listing on stdout).
        Ls {
            url: String,
            #[command(flatten)]
            client: crate::fetch::ClientArgs,
        },
        /// Upload a file with the simulator's client engine (a URL ending in / names the directory).
        Put {
            file: PathBuf,
            url: String,
            #[command(flatten)]
            client: crate::fetch::ClientArgs,
        },
    }

    #[derive(Clone, Copy, ValueEnum)]
    enum Sheet {
        Handout,
        Worksheet,
        AnswerKey,
    }

    #[derive(Clone, Copy, ValueEnum)]
    enum Format {
        Text,
        Json,
    }

    #[derive(Clone, Copy, ValueEnum)]
    enum Detail {
        All,
        Packets,
        Key,
    }

    /// The network settings as flags (`--client-firewall on`), one per row of the settings
    /// table: the flags, their values and their help all come from `ftpsim::sim::settings`.
    fn with_setting_flags(command: clap::Command) -> clap::Command {
        settings::SETTINGS.iter().fold(command, |command, setting| {
            let value_name = match setting.kind {
                Kind::Number { .. } => "N".to_owned(),
                Kind::OptionalNumber { none, .. } => format!("SECONDS|{none}"),
                Kind::Ports => "PORT,PORT".to_owned(),
                Kind::Switch { .. } | Kind::Choice(_) => setting.tokens().join("|"),
            };
            command.arg(
                Arg::new(setting.key)
                    .long(setting.key)
                    .value_name(value_name)
                    .help(format!("{}: {}", setting.label, setting.help))
                    .value_parser(move |text: &str| setting.parse(text))
                    .action(ArgAction::Set),
            )
        })
    }

    /// The changes the setting flags ask for, in table order.
    fn setting_changes(matches: &ArgMatches) -> Vec<Change> {
        settings::SETTINGS
            .iter()
            .filter_map(|setting| matches.try_get_one::<Change>(setting.key).ok().flatten().copied())
            .collect()
    }

    /// A usage problem: printed with its cause, exit status 2.
    struct UsageError(String);

    /// `println!` that survives a closed pipe.
    macro_rules! out {
        ($($arg:tt)*) => {
            emit(&format!($($arg)*))
        };
    }

    /// Writes to standard output; a closed pipe (`ftpsim matrix | head`) just ends the output.
    pub(crate) fn emit(text: &str) {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.write_all(b"\n")).and_then(|()| stdout.flush());
    }

    pub fn main() -> i32 {
        let command =
            Cli::command().mut_subcommand("run", with_setting_flags).mut_subcommand("matrix", with_setting_flags);
        let parsed = command.try_get_matches().and_then(|matches| Ok((Cli::from_arg_matches(&matches)?, matches)));
        let (cli, matches) = match parsed {
            Ok(parsed) => parsed,
            Err(error) => {
                let _ = error.print();
                return error.exit_code();
            }
        };
        let changes = matches.subcommand().map(|(_, sub)| setting_changes(sub)).unwrap_or_default();
        let result = match cli.command {
            Commands::Presets { format } => Ok(presets(format)),
            Commands::Run { preset, scenario, detail, format, pcap, capture_at, typed } => {
                let capture = pcap.map(|file| (file, capture_at));
                run(preset.as_deref(), scenario, &changes, &typed, detail, format, capture)
            }
            Commands::Handout { preset, scenario, sheet, output } => {
                handout(preset.as_deref(), scenario, &changes, sheet, output)
            }
            Commands::Quiz(args) => crate::assess::quiz(&args).map_err(UsageError),
            Commands::Assignment(args) => crate::assess::assignment(&args).map_err(UsageError),
            Commands::Serve(args) => Ok(runtime(crate::serve::serve(args))),
            Commands::Get { url, output, client } => {
                Ok(runtime(async move { crate::fetch::fetch(&url, crate::fetch::Job::Get { output }, &client).await }))
            }
            Commands::Ls { url, client } => {
                Ok(runtime(async move { crate::fetch::fetch(&url, crate::fetch::Job::List, &client).await }))
            }
            Commands::Put { file, url, client } => {
                Ok(runtime(async move { crate::fetch::fetch(&url, crate::fetch::Job::Put { file }, &client).await }))
            }
            Commands::Matrix { format } => base_scenario(None, None, &changes).map(|base| {
                let table = matrix::run(&base);
                match format {
                    Format::Text => emit(&table.to_markdown()),
                    Format::Json => emit(&serde_json::to_string_pretty(&table).unwrap_or_default()),
                }
                0
            }),
        };
        match result {
            Ok(code) => code,
            Err(UsageError(message)) => {
                eprintln!("error: {message}");
                2
            }
        }
    }

    /// Runs a socket command on a tokio runtime; its exit status, or 2 if no runtime starts.
    fn runtime(work: impl std::future::Future<Output = i32>) -> i32 {
        match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
            Ok(runtime) => runtime.block_on(work),
            Err(error) => {
                eprintln!("error: cannot start the network runtime: {error}");
                2
            }
        }
    }

    fn presets(format: Format) -> i32 {
        let lessons = lessons::all();
        match format {
            Format::Text => {
                let width = lessons.iter().map(|lesson| lesson.id.len()).max().unwrap_or(10);
                for lesson in &lessons {
                    out!("{:<width$}  {}  ({})", lesson.id, lesson.title, lesson.expect);
                }
            }
            Format::Json => emit(&serde_json::to_string_pretty(&lessons).unwrap_or_default()),
        }
        0
    }

    fn base_scenario(preset: Option<&str>, file: Option<PathBuf>, changes: &[Change]) -> Result<Scenario, UsageError> {
        let mut scenario = match (preset, file) {
            (Some(id), _) => lessons::find(id).map(|lesson| lesson.scenario).ok_or_else(|| {
                let known: Vec<&str> = lessons::all().iter().map(|lesson| lesson.id).collect();
                UsageError(format!("unknown preset \"{id}\"; expected one of: {}", known.join(", ")))
            })?,
            (None, Some(path)) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|error| UsageError(format!("cannot read scenario file {}: {error}", path.display())))?;
                Scenario::from_json(&text)
                    .map_err(|error| UsageError(format!("scenario file {}: {error}", path.display())))?
            }
            (None, None) => Scenario::default(),
        };
        for change in changes {
            change.apply(&mut scenario);
        }
        scenario.validate().map_err(|error| UsageError(format!("invalid settings: {error}")))?;
        Ok(scenario)
    }

    /// `ftpsim handout`: the document of `picture::handout` in a page of its own, styled as
    /// the simulator's page is, ready to print.
    fn handout(
        preset: Option<&str>,
        file: Option<PathBuf>,
        changes: &[Change],
        sheet: Sheet,
        output: Option<PathBuf>,
    ) -> Result<i32, UsageError> {
        let scenario = base_scenario(preset, file, changes)?;
        let timeline = Timeline::run(&scenario).map_err(|error| UsageError(format!("invalid settings: {error}")))?;
        let comparison = matrix::compare_modes(&scenario, &matrix::MODES);
        // The lesson's title only while its settings are unchanged.
        let lesson = preset.and_then(|id| lessons::find_unchanged(id, &scenario));
        let printout = match sheet {
            Sheet::Handout => Printout::Handout,
            Sheet::Worksheet => Printout::Worksheet,
            Sheet::AnswerKey => Printout::AnswerKey,
        };
        let body = ftpsim::picture::handout::document(&timeline, &comparison, lesson.as_ref(), printout);
        let page = format!(
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n{}\n{}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
            ftpsim::messages::page::TITLE,
            include_str!("../../../static/style.css"),
            include_str!("../../../static/handout.css"),
        );
        match output {
            Some(path) => std::fs::write(&path, page)
                .map_err(|error| UsageError(format!("cannot write the handout {}: {error}", path.display())))?,
            None => emit(&page),
        }
        Ok(0)
    }

    /// `ftpsim run --format json`: the document's fields in the order they have always been
    /// printed in (alphabetical, as a `serde_json::Value` map sorts them), so that the output is
    /// the same as when the whole document was built as one value.
    #[derive(serde::Serialize)]
    struct RunDocument<'a> {
        cause: serde_json::Value,
        device: serde_json::Value,
        dialogue: serde_json::Value,
        event: serde_json::Value,
        events: EventsOneByOne<'a>,
        failed_at: serde_json::Value,
        final_reply: serde_json::Value,
        fix: serde_json::Value,
        outcome: serde_json::Value,
        rule: serde_json::Value,
        scenario: serde_json::Value,
        summary: serde_json::Value,
    }

    /// The events, each turned into a value only while it is written: a long session's JSON is
    /// streamed instead of built whole (which took 4.7 GB for 4 000 transfers). Going through a
    /// value per event keeps each event's keys sorted, as they were.
    struct EventsOneByOne<'a>(&'a [TraceEvent]);

    impl serde::Serialize for EventsOneByOne<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::{Error, SerializeSeq};
            let mut events = serializer.serialize_seq(Some(self.0.len()))?;
            for event in self.0 {
                events.serialize_element(&serde_json::to_value(event).map_err(S::Error::custom)?)?;
            }
            events.end()
        }
    }

    /// A field of the JSON document as a value, as `json!` made it.
    fn value(field: &impl serde::Serialize) -> serde_json::Value {
        serde_json::to_value(field).unwrap_or_default()
    }

    /// Writes `document` as pretty JSON and a newline through one buffered writer, piece by piece;
    /// a closed pipe just ends the output, as with [`emit`].
    fn stream_json(document: &impl serde::Serialize) {
        use std::io::Write;
        let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
        if serde_json::to_writer_pretty(&mut stdout, document).is_ok() {
            let _ = stdout.write_all(b"\n");
        }
        let _ = stdout.flush();
    }

    fn run(
        preset: Option<&str>,
        file: Option<PathBuf>,
        changes: &[Change],
        typed: &[String],
        detail: Detail,
        format: Format,
        capture: Option<(PathBuf, CapturePoint)>,
    ) -> Result<i32, UsageError> {
        let mut scenario = base_scenario(preset, file, changes)?;
        // After the file's own typed lines, if it has any; Timeline::run checks every line.
        scenario.console.extend(typed.iter().cloned());
        let timeline = Timeline::run(&scenario).map_err(|error| UsageError(format!("invalid settings: {error}")))?;
        if let Some((path, at)) = capture {
            std::fs::write(&path, capture::pcap(&timeline, at))
                .map_err(|error| UsageError(format!("cannot write the capture {}: {error}", path.display())))?;
        }
        let verdict = timeline.verdict();
        match format {
            Format::Json => {
                let document = RunDocument {
                    cause: value(&verdict.cause),
                    device: value(&verdict.device),
                    dialogue: value(&trace::dialogue(timeline.events())),
                    event: value(&verdict.event),
                    events: EventsOneByOne(timeline.events()),
                    failed_at: value(&trace::failed_at(timeline.events())),
                    final_reply: value(&verdict.final_reply),
                    fix: value(&verdict.fix),
                    outcome: value(&verdict.outcome),
                    rule: value(&verdict.rule),
                    scenario: value(&scenario),
                    summary: value(&verdict.summary),
                };
                stream_json(&document);
            }
            Format::Text => {
                if let Some(lesson) = preset.and_then(lessons::find) {
                    out!("{}\n{}\n", lesson.title, lesson.intro);
                }
                out!("settings: {scenario}\n");
                let minimum = match detail {
                    Detail::All => Level::Detail,
                    Detail::Packets => Level::Packet,
                    Detail::Key => Level::Key,
                };
                {
                    use std::io::Write;
                    // One buffered writer for what can be a million lines, not a flush per line.
                    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
                    for event in timeline.events().iter().filter(|event| event.level >= minimum) {
                        if writeln!(stdout, "{:>4} {}", event.index, event.to_line()).is_err() {
                            break;
                        }
                    }
                    let _ = stdout.flush();
                }
                emit("");
                out!("outcome:     {}", if verdict.is_ok() { "ok" } else { "fail" });
                out!("final reply: {}", verdict.final_reply.map_or("-".to_owned(), |code| code.to_string()));
                if let Some(cause) = verdict.cause {
                    out!("cause:       {cause}");
                }
                if let Some(device) = verdict.device {
                    out!("device:      {device}");
                }
                if let Some(rule) = &verdict.rule {
                    out!("rule:        {rule}");
                }
                if let Some(event) = verdict.event {
                    out!("went wrong:  event {event}");
                }
                if let Some(fix) = &verdict.fix {
                    out!("fix:         {fix}");
                }
            }
        }
        Ok(if verdict.is_ok() { 0 } else { 1 })
    }
}
