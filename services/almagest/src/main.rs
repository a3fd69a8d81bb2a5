//! `almagest`: every Almagest service in one process, plus the admin subcommands.

mod adql_cmd;
mod bridge;
mod serve;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "almagest",
    version,
    about = "IVOA services for an astronomical data centre"
)]
struct Cli {
    /// Configuration file (TOML); `ALMAGEST_*` environment variables override it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every service (TAP at /tap, UWS jobs, VOSpace at /vospace) on one port.
    Serve,
    /// Load a table (CSV, VOTable or FITS) into the catalogue and publish it in TAP_SCHEMA.
    Ingest(almagest_tap::ingest::IngestArgs),
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
    /// Print the effective configuration (defaults, file and environment combined).
    Config,
    /// Manage user accounts (in the state database of the data directory; safe while the server runs).
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user (home container `/NAME` in VOSpace at its first request); prints its bearer token on the
    /// last line.
    Add {
        /// Account name: 1-64 of a-z A-Z 0-9 . _ - (not starting with . or -).
        name: String,
    },
}

/// The SQL dialects the translator targets.
#[derive(Clone, Copy, ValueEnum)]
pub enum DialectArg {
    /// SQLite (the embedded default).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = || match almagest_common::config::Config::from_process(cli.config.as_deref()) {
        Ok(c) => Ok(c),
        Err(e) => {
            eprintln!("almagest: {e}");
            Err(ExitCode::FAILURE)
        }
    };
    match cli.command {
        Command::Adql {
            dialect,
            syntax_only,
            ref udfs,
        } => {
            if syntax_only {
                return adql_cmd::run(dialect, true, udfs, None);
            }
            let config = match config() {
                Ok(c) => c,
                Err(code) => return code,
            };
            match serve::runtime().and_then(|rt| rt.block_on(serve::load_catalogue(&config))) {
                Ok(snapshot) => adql_cmd::run(dialect, false, udfs, Some(&*snapshot)),
                Err(e) => {
                    eprintln!("almagest adql: cannot read the catalogue: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Config => match config() {
            Ok(c) => {
                print!("{}", c.to_toml());
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        Command::Serve => {
            let config = match config() {
                Ok(c) => c,
                Err(code) => return code,
            };
            serve::init_logging();
            match serve::runtime().and_then(|rt| rt.block_on(serve::serve(config))) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("almagest serve: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::User(UserCommand::Add { ref name }) => {
            let config = match config() {
                Ok(c) => c,
                Err(code) => return code,
            };
            match serve::runtime().and_then(|rt| rt.block_on(serve::add_user(&config, name))) {
                Ok(token) => {
                    println!(
                        "user {name} added; bearer token (HTTP 'Authorization: Bearer <token>'):"
                    );
                    println!("{token}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("almagest user add: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Ingest(ref args) => {
            let config = match config() {
                Ok(c) => c,
                Err(code) => return code,
            };
            serve::init_logging();
            match serve::runtime().and_then(|rt| rt.block_on(serve::ingest(&config, args))) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("almagest ingest: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
