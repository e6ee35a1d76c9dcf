//! `ftpsim`, the terminal runner: list the lessons, play one scenario as a transcript or JSON,
//! or print the comparison matrix.
//!
//! Exit status: 0 when the run completed (or for `presets` / `matrix`), 1 when the simulated
//! FTP session failed, 2 for bad flags or a bad scenario file.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(cli::main());
}

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use std::path::PathBuf;

    use clap::{Args, Parser, Subcommand, ValueEnum};
    use ftpsim::ftp::client::DataMode;
    use ftpsim::sim::lessons;
    use ftpsim::sim::matrix;
    use ftpsim::sim::scenario::{IpVersion, PasvAddress, PortCheck, Scenario, ServerFirewall, Transfer};
    use ftpsim::sim::timeline::Timeline;
    use ftpsim::sim::trace::Level;
    use serde_json::json;

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
            #[command(flatten)]
            settings: Settings,
            /// Which events to print in text format: everything, packets and up, or key events.
            #[arg(long, value_enum, default_value_t = Detail::All)]
            detail: Detail,
            #[arg(long, value_enum, default_value_t = Format::Text)]
            format: Format,
        },
        /// Run every combination of the network toggles in every mode and print the table.
        Matrix {
            #[command(flatten)]
            settings: Settings,
            #[arg(long, value_enum, default_value_t = Format::Text)]
            format: Format,
        },
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

    #[derive(Clone, Copy, ValueEnum)]
    enum Switch {
        On,
        Off,
    }

    impl Switch {
        fn on(self) -> bool {
            matches!(self, Switch::On)
        }
    }

    #[derive(Clone, Copy, ValueEnum)]
    enum Mode {
        Port,
        Eprt,
        Pasv,
        Epsv,
        Auto,
    }

    #[derive(Clone, Copy, ValueEnum)]
    enum CommandArg {
        List,
        Retr,
        Stor,
    }

    #[derive(Clone, Copy, ValueEnum)]
    enum ServerFirewallArg {
        Off,
        PassiveRange,
        ControlOnly,
    }

    #[derive(Clone, Copy, ValueEnum)]
    enum PasvAddressArg {
        Public,
        Private,
    }

    #[derive(Clone, Copy, ValueEnum)]
    enum PortCheckArg {
        Strict,
        Off,
    }

    #[derive(Clone, Copy, ValueEnum)]
    enum IpArg {
        V4,
        V6,
    }

    /// Flags that override the preset or file.
    #[derive(Args)]
    struct Settings {
        #[arg(long, value_enum)]
        mode: Option<Mode>,
        #[arg(long, value_enum)]
        command: Option<CommandArg>,
        #[arg(long, value_enum)]
        client_firewall: Option<Switch>,
        #[arg(long, value_enum)]
        client_nat: Option<Switch>,
        #[arg(long, value_enum)]
        client_alg: Option<Switch>,
        #[arg(long, value_enum)]
        server_firewall: Option<ServerFirewallArg>,
        #[arg(long, value_enum)]
        server_alg: Option<Switch>,
        #[arg(long, value_enum)]
        server_nat: Option<Switch>,
        #[arg(long, value_enum)]
        pasv_address: Option<PasvAddressArg>,
        #[arg(long, value_enum)]
        port_check: Option<PortCheckArg>,
        #[arg(long, value_enum)]
        trust_pasv_address: Option<Switch>,
        #[arg(long, value_enum)]
        server_epsv: Option<Switch>,
        /// FTP over TLS: the FTP helpers cannot read the control connection.
        #[arg(long, value_enum)]
        control_encrypted: Option<Switch>,
        /// The server's control port (the FTP helpers still watch port 21 only).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        control_port: Option<u16>,
        #[arg(long, value_enum)]
        ip: Option<IpArg>,
        /// Repeat the transfer this many times in one session.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        transfers: Option<u32>,
    }

    impl Settings {
        fn apply(&self, scenario: &mut Scenario) {
            if let Some(mode) = self.mode {
                scenario.mode = match mode {
                    Mode::Port => DataMode::Port,
                    Mode::Eprt => DataMode::Eprt,
                    Mode::Pasv => DataMode::Pasv,
                    Mode::Epsv => DataMode::Epsv,
                    Mode::Auto => DataMode::Auto,
                };
            }
            if let Some(command) = self.command {
                scenario.command = match command {
                    CommandArg::List => Transfer::List,
                    CommandArg::Retr => Transfer::Retr,
                    CommandArg::Stor => Transfer::Stor,
                };
            }
            let switches: [(Option<Switch>, &mut bool); 8] = [
                (self.client_firewall, &mut scenario.client_firewall),
                (self.client_nat, &mut scenario.client_nat),
                (self.client_alg, &mut scenario.client_alg),
                (self.server_alg, &mut scenario.server_alg),
                (self.server_nat, &mut scenario.server_nat),
                (self.trust_pasv_address, &mut scenario.trust_pasv_address),
                (self.server_epsv, &mut scenario.server_epsv),
                (self.control_encrypted, &mut scenario.control_encrypted),
            ];
            for (switch, field) in switches {
                if let Some(switch) = switch {
                    *field = switch.on();
                }
            }
            if let Some(firewall) = self.server_firewall {
                scenario.server_firewall = match firewall {
                    ServerFirewallArg::Off => ServerFirewall::Off,
                    ServerFirewallArg::PassiveRange => ServerFirewall::PassiveRange,
                    ServerFirewallArg::ControlOnly => ServerFirewall::ControlOnly,
                };
            }
            if let Some(address) = self.pasv_address {
                scenario.pasv_address = match address {
                    PasvAddressArg::Public => PasvAddress::Public,
                    PasvAddressArg::Private => PasvAddress::Private,
                };
            }
            if let Some(check) = self.port_check {
                scenario.port_check = match check {
                    PortCheckArg::Strict => PortCheck::Strict,
                    PortCheckArg::Off => PortCheck::Off,
                };
            }
            if let Some(port) = self.control_port {
                scenario.control_port = port;
            }
            if let Some(ip) = self.ip {
                scenario.ip = match ip {
                    IpArg::V4 => IpVersion::V4,
                    IpArg::V6 => IpVersion::V6,
                };
            }
            if let Some(transfers) = self.transfers {
                scenario.transfers = transfers;
            }
        }
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
    fn emit(text: &str) {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.write_all(b"\n")).and_then(|()| stdout.flush());
    }

    pub fn main() -> i32 {
        let cli = match Cli::try_parse() {
            Ok(cli) => cli,
            Err(error) => {
                let _ = error.print();
                return error.exit_code();
            }
        };
        let result = match cli.command {
            Commands::Presets { format } => Ok(presets(format)),
            Commands::Run { preset, scenario, settings, detail, format } => {
                run(preset.as_deref(), scenario, &settings, detail, format)
            }
            Commands::Matrix { settings, format } => base_scenario(None, None, &settings).map(|base| {
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

    fn base_scenario(preset: Option<&str>, file: Option<PathBuf>, settings: &Settings) -> Result<Scenario, UsageError> {
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
        settings.apply(&mut scenario);
        scenario.validate().map_err(|error| UsageError(format!("invalid settings: {error}")))?;
        Ok(scenario)
    }

    fn run(
        preset: Option<&str>,
        file: Option<PathBuf>,
        settings: &Settings,
        detail: Detail,
        format: Format,
    ) -> Result<i32, UsageError> {
        let scenario = base_scenario(preset, file, settings)?;
        let timeline = Timeline::run(&scenario).map_err(|error| UsageError(format!("invalid settings: {error}")))?;
        let verdict = timeline.verdict();
        match format {
            Format::Json => {
                let document = json!({
                    "scenario": scenario,
                    "outcome": verdict.outcome,
                    "final_reply": verdict.final_reply,
                    "cause": verdict.cause,
                    "device": verdict.device,
                    "rule": verdict.rule,
                    "event": verdict.event,
                    "summary": verdict.summary,
                    "fix": verdict.fix,
                    "events": timeline.events(),
                });
                emit(&serde_json::to_string_pretty(&document).unwrap_or_default());
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
                for event in timeline.events().iter().filter(|event| event.level >= minimum) {
                    out!("{:>4} {}", event.index, event.to_line());
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
