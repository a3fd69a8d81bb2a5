//! `almagest`: every Almagest service in one process, plus the admin subcommands.

mod adql_cmd;

use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "almagest", version, about = "IVOA services for an astronomical data centre")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check an ADQL query read from stdin and print its SQL translation.
    Adql {
        /// SQL dialect to translate to.
        #[arg(long, value_enum, default_value_t = DialectArg::Sqlite)]
        dialect: DialectArg,
        /// Only check the ADQL grammar (and declared functions); print nothing on success.
        #[arg(long)]
        syntax_only: bool,
        /// Declare a user-defined function, e.g. `--udf 'my_fn(x DOUBLE) -> DOUBLE'` (repeatable).
        #[arg(long = "udf")]
        udfs: Vec<String>,
    },
}

/// The SQL dialects the translator targets.
#[derive(Clone, Copy, ValueEnum)]
pub enum DialectArg {
    Sqlite,
    Postgres,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Adql { dialect, syntax_only, udfs } => adql_cmd::run(dialect, syntax_only, &udfs, None),
    }
}
