//! The `connectors` binary: parse the command line, set up logging,
//! dispatch. Errors print as one line on stderr with a non-zero exit.

use clap::Parser;
use connectors::cli::{self, Cli};
use connectors::config::{Config, LogFormat};
use std::process::ExitCode;

/// mimalloc: the service allocates many small, short-lived buffers per
/// request (rows, JSON, headers); measured in docs/performance.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Administrative commands log only warnings unless asked otherwise.
    let (filter, format) = match Config::load(&cli.config) {
        Ok(c) if cli::is_serve(&cli) || cli.config.log_level.is_some() => {
            (c.log_filter, c.log_format)
        }
        Ok(c) => ("warn".to_string(), c.log_format),
        Err(_) => ("warn".to_string(), LogFormat::Text),
    };
    connectors::telemetry::init(&filter, format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
