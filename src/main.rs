//! The `clinescan` executable: parse the command line, set up logging, run, exit.

use std::panic;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Parser;
use clinescan::cli::{Cli, Verbosity};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbosity);
    panic::set_hook(Box::new(report_panic));
    match panic::catch_unwind(|| clinescan::commands::run(cli)) {
        Ok(Ok(code)) => ExitCode::from(code),
        // The reader of stdout went away (`clinescan rules | head`): nothing left to say.
        Ok(Err(error)) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Ok(Err(error)) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
        // The hook has said what happened.
        Err(_) => ExitCode::from(2),
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Reports a panic in one line, once, naming the place in clinescan's code but never the
/// panic's message: it could hold bytes of a scanned file. Worker threads that panic after
/// the first stay silent; the panic reaches `main` through the thread pools.
fn report_panic(info: &panic::PanicHookInfo<'_>) {
    static REPORTED: AtomicBool = AtomicBool::new(false);
    if REPORTED.swap(true, Ordering::SeqCst) {
        return;
    }
    let place = info
        .location()
        .map(|location| format!(" at {}:{}", location.file(), location.line()))
        .unwrap_or_default();
    eprintln!("error: internal error{place} (a bug in clinescan; please report it); scan aborted");
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
        .with_ansi(clinescan::commands::use_color(&std::io::stderr()))
        .with_target(false)
        .without_time()
        .init();
}
