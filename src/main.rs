//! The `redline` binary: parses the command line, sets up logging, builds
//! the runtime and hands over to the library. See `redline --help`.

use std::process::ExitCode;

use clap::Parser;
use redline::cli::{Cli, Exit};

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli.init_logging();
    let runtime = match redline::runtime() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("redline: cannot start the async runtime: {e}");
            return Exit::Failure.into();
        }
    };
    match runtime.block_on(cli.run()) {
        Ok(exit) => exit.into(),
        Err(failed) => {
            eprintln!("redline: {}", redline::error_chain(failed.error.as_ref()));
            failed.exit.into()
        }
    }
}
