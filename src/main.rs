//! The `clinescan` executable: parse the command line, set up logging, run, exit.

use std::process::ExitCode;

use clap::Parser;
use clinescan::cli::{Cli, Verbosity};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbosity);
    match clinescan::commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Logs go to stderr: warnings by default, `-q` errors only, `-v` debug, `-vv` trace;
/// `CLINESCAN_LOG` (an `EnvFilter` directive) overrides all of them.
fn init_logging(verbosity: Verbosity) {
    let level = match (verbosity.quiet, verbosity.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let filter = EnvFilter::try_from_env("CLINESCAN_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("clinescan={level}")))
        // The HTTP layer's trace dumps raw request bytes, `Authorization` header included.
        .add_directive("ureq_proto=off".parse().expect("a valid directive"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
}
