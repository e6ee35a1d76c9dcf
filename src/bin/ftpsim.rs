//! `ftpsim`, the terminal runner.

fn main() {
    println!("ftpsim {}", ftpsim::VERSION);
}
