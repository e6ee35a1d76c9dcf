//! Speed of the engine: a full session, the whole matrix, and seeking in long sessions.
//! Run with `cargo bench`; BENCHMARKS.md records the figures and how they were taken.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ftpsim::ftp::client::DataMode;
use ftpsim::sim::matrix;
use ftpsim::sim::scenario::{Scenario, Transfer};
use ftpsim::sim::timeline::Timeline;
use std::hint::black_box;

fn full_session(c: &mut Criterion) {
    let mut group = c.benchmark_group("session");
    for (name, scenario) in [
        ("passive-list", Scenario::default()),
        (
            "active-nat-helper-retr",
            Scenario { mode: DataMode::Port, client_alg: true, command: Transfer::Retr, ..Scenario::default() },
        ),
        ("active-firewall-timeout", Scenario { mode: DataMode::Port, client_nat: false, ..Scenario::default() }),
    ] {
        group.bench_function(name, |b| b.iter(|| Timeline::run(black_box(&scenario)).map(|timeline| timeline.len())));
    }
    group.finish();
}

fn whole_matrix(c: &mut Criterion) {
    let mut group = c.benchmark_group("matrix");
    group.sample_size(10);
    group.bench_function("48-networks-x-5-modes", |b| {
        b.iter(|| matrix::run(black_box(&Scenario::default())).rows.len())
    });
    group.finish();
}

/// A long autoplay: the same download repeated `transfers` times in one session.
fn long_session(transfers: u32) -> Timeline {
    let scenario = Scenario { command: Transfer::Retr, transfers, ..Scenario::default() };
    Timeline::run(&scenario).expect("valid scenario")
}

fn seek(c: &mut Criterion) {
    let mut group = c.benchmark_group("seek");
    // Seek cost must not grow with the position or with the session's length.
    for transfers in [120, 480] {
        let timeline = long_session(transfers);
        for target in [100usize, 1_000, 10_000] {
            let id = BenchmarkId::new(format!("session-{}-events", timeline.len()), target);
            group.bench_with_input(id, &target, |b, &target| b.iter(|| timeline.world_at(black_box(target)).now()));
        }
    }
    group.finish();
}

criterion_group!(benches, full_session, whole_matrix, seek);
criterion_main!(benches);
