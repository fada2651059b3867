//! The `actline` binary: parse the command line, run, map the outcome to an
//! exit code (see `actline --help`).

mod cli;

fn main() {
    std::process::exit(cli::main());
}
