//! Command-line entry point: parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    huizong::cli::main()
}
