//! `almagest adql`: placeholder until the adql crate lands.
use crate::DialectArg;
use std::process::ExitCode;

pub fn run(
    _dialect: DialectArg,
    _syntax_only: bool,
    _udfs: &[String],
    _catalog: Option<&dyn adql::Catalog>,
) -> ExitCode {
    eprintln!("not implemented yet");
    ExitCode::FAILURE
}
