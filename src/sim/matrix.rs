//! The comparison table: every combination of the network toggles, run in every mode.
//!
//! The article's summary table says "active: problems with firewalls and NAT; passive: fine".
//! This module computes the same table for real, for any network: each cell is a full run of
//! the simulator, so the table is true for exactly the settings shown.

use serde::Serialize;

use super::scenario::{Scenario, ServerFirewall};
use super::timeline::Timeline;
use super::verdict::{Cause, RunOutcome, Verdict};
use crate::ftp::client::DataMode;

/// The modes the table compares, in column order.
pub const MODES: [DataMode; 5] = [DataMode::Port, DataMode::Eprt, DataMode::Pasv, DataMode::Epsv, DataMode::Auto];

/// One run's result in a table cell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub mode: DataMode,
    pub outcome: RunOutcome,
    pub final_reply: Option<u16>,
    pub cause: Option<Cause>,
    /// `ok`, `500`, `425`, `timeout`, …
    pub text: String,
}

impl Cell {
    fn of(mode: DataMode, verdict: &Verdict) -> Self {
        Cell {
            mode,
            outcome: verdict.outcome,
            final_reply: verdict.final_reply,
            cause: verdict.cause,
            text: verdict.cell(),
        }
    }
}

/// Runs `scenario` once per mode.
pub fn compare_modes(scenario: &Scenario, modes: &[DataMode]) -> Vec<Cell> {
    modes
        .iter()
        .map(|&mode| {
            // The scripted client in each mode: typed console lines do not depend on the mode.
            let run = Scenario { mode, transfers: 1, console: Vec::new(), ..scenario.clone() };
            match Timeline::run(&run) {
                Ok(timeline) => Cell::of(mode, timeline.verdict()),
                Err(error) => {
                    Cell { mode, outcome: RunOutcome::Fail, final_reply: None, cause: None, text: error.to_string() }
                }
            }
        })
        .collect()
}

/// One network (one combination of toggles) and its results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Row {
    pub client_firewall: bool,
    pub client_nat: bool,
    pub client_alg: bool,
    pub server_firewall: ServerFirewall,
    pub server_alg: bool,
    pub cells: Vec<Cell>,
}

/// The whole table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Matrix {
    /// The settings the table did not vary.
    pub base: Scenario,
    pub modes: Vec<DataMode>,
    pub rows: Vec<Row>,
}

/// Runs every combination of client firewall, client NAT, client helper, server firewall and
/// server helper, in every mode; every other setting comes from `base`.
pub fn run(base: &Scenario) -> Matrix {
    let mut rows = Vec::new();
    for client_firewall in [false, true] {
        for client_nat in [false, true] {
            for client_alg in [false, true] {
                for server_firewall in ServerFirewall::ALL {
                    for server_alg in [false, true] {
                        let scenario = Scenario {
                            client_firewall,
                            client_nat,
                            client_alg,
                            server_firewall,
                            server_alg,
                            ..base.clone()
                        };
                        let cells = compare_modes(&scenario, &MODES);
                        rows.push(Row { client_firewall, client_nat, client_alg, server_firewall, server_alg, cells });
                    }
                }
            }
        }
    }
    Matrix { base: base.clone(), modes: MODES.to_vec(), rows }
}

impl Matrix {
    /// A Markdown table, aligned so it also reads well in a terminal.
    pub fn to_markdown(&self) -> String {
        let on = |flag: bool| if flag { "on" } else { "off" }.to_owned();
        let mut header: Vec<String> =
            ["client firewall", "client NAT", "client helper", "server firewall", "server helper"]
                .map(str::to_owned)
                .to_vec();
        header.extend(self.modes.iter().map(|mode| mode.as_str().to_ascii_uppercase()));
        let mut body: Vec<Vec<String>> = Vec::new();
        for row in &self.rows {
            let mut line = vec![
                on(row.client_firewall),
                on(row.client_nat),
                on(row.client_alg),
                row.server_firewall.as_str().to_owned(),
                on(row.server_alg),
            ];
            line.extend(row.cells.iter().map(|cell| cell.text.clone()));
            body.push(line);
        }
        let widths: Vec<usize> = (0..header.len())
            .map(|column| {
                body.iter()
                    .map(|line| line[column].chars().count())
                    .chain([header[column].chars().count()])
                    .max()
                    .unwrap_or(3)
            })
            .collect();
        let render = |cells: &[String]| -> String {
            let padded: Vec<String> =
                cells.iter().zip(&widths).map(|(cell, width)| format!("{cell:<width$}", width = *width)).collect();
            format!("| {} |", padded.join(" | "))
        };
        let mut lines = vec![render(&header)];
        lines.push(format!("|{}|", widths.iter().map(|width| "-".repeat(width + 2)).collect::<Vec<_>>().join("|")));
        lines.extend(body.iter().map(|line| render(line)));
        lines.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_combination_and_one_cell_per_mode() {
        let matrix = run(&Scenario::default());
        assert_eq!(matrix.rows.len(), 2 * 2 * 2 * 3 * 2);
        assert!(matrix.rows.iter().all(|row| row.cells.len() == MODES.len()));
        let table = matrix.to_markdown();
        assert_eq!(table.lines().count(), matrix.rows.len() + 2);
        assert!(table.starts_with("| client firewall | client NAT |"));
    }

    #[test]
    fn the_article_summary_holds_on_a_home_network() {
        let cells = compare_modes(&Scenario::default(), &MODES);
        let text: Vec<&str> = cells.iter().map(|cell| cell.text.as_str()).collect();
        assert_eq!(text, ["500", "500", "ok", "ok", "ok"]);
    }
}
