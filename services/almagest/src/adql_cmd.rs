//! `almagest adql`: checks an ADQL query read from stdin and prints its SQL translation (or, with
//! `--syntax-only`, only checks the grammar and the declared functions). Exit status 0 when valid, 1 otherwise,
//! with the error (line and column) on stderr.

use crate::DialectArg;
use std::io::Read as _;
use std::process::ExitCode;

/// Runs the subcommand; `catalog` is the catalogue of the data directory (not needed with `syntax_only`).
pub fn run(
    dialect: DialectArg,
    syntax_only: bool,
    udfs: &[String],
    catalog: Option<&dyn adql::Catalog>,
) -> ExitCode {
    let mut query = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut query) {
        eprintln!("almagest adql: cannot read the query from stdin: {e}");
        return ExitCode::FAILURE;
    }
    let mut declared = adql::standard_udfs();
    for form in udfs {
        match form.parse::<adql::Udf>() {
            Ok(u) => declared.push(u),
            Err(e) => {
                eprintln!("almagest adql: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if syntax_only {
        return match adql::validate_syntax(&query, &declared) {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        };
    }
    let Some(catalog) = catalog else {
        eprintln!(
            "almagest adql: no catalogue to check names against (use --syntax-only, or set ALMAGEST_DATA_DIR)"
        );
        return ExitCode::FAILURE;
    };
    // the catalogue's own functions first, then the standard and command-line ones it does not already declare
    let mut udfs = catalog.udfs().to_vec();
    for u in declared {
        if !udfs.iter().any(|k| k.name.eq_ignore_ascii_case(&u.name)) {
            udfs.push(u);
        }
    }
    let with_udfs = WithUdfs {
        base: catalog,
        udfs,
    };
    let dialect = match dialect {
        DialectArg::Sqlite => adql::Dialect::Sqlite,
        DialectArg::Postgres => adql::Dialect::Postgres,
    };
    let result = adql::parse(&query)
        .and_then(|q| adql::check(&q, &with_udfs))
        .and_then(|c| {
            for w in &c.warnings {
                eprintln!("warning: {w}");
            }
            adql::translate(
                &c,
                &adql::TranslateOptions {
                    dialect,
                    row_limit: None,
                },
            )
        });
    match result {
        Ok(sql) => {
            println!("{sql}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// The data directory's catalogue with the functions given on the command line added.
struct WithUdfs<'a> {
    base: &'a dyn adql::Catalog,
    udfs: Vec<adql::Udf>,
}

impl adql::Catalog for WithUdfs<'_> {
    fn tables(&self) -> &[adql::TableMeta] {
        self.base.tables()
    }
    fn udfs(&self) -> &[adql::Udf] {
        &self.udfs
    }
}
