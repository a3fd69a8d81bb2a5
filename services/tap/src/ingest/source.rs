//! Opening a table file for ingestion: the format from the name (or `--format`), `.gz` decompressed on the fly,
//! rows read by the `formats` readers with the row or line number in every error.

use super::IngestError;
use formats::{CsvOptions, Delimiter, Field, TableReader, Value};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// Input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// Comma-separated values with a header line.
    Csv,
    /// Tab-separated values with a header line.
    Tsv,
    /// VOTable (TABLEDATA, BINARY or BINARY2).
    Votable,
    /// FITS binary table.
    Fits,
}

impl InputFormat {
    /// The format a file name suggests.
    pub fn guess(path: &Path) -> Result<InputFormat, IngestError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        let ext = name.rsplit('.').next().unwrap_or("");
        Ok(match ext {
            "csv" => InputFormat::Csv,
            "tsv" | "tab" => InputFormat::Tsv,
            "xml" | "vot" | "votable" => InputFormat::Votable,
            "fits" | "fit" | "fts" => InputFormat::Fits,
            _ => {
                return Err(IngestError::Usage(format!(
                    "cannot tell the format of {} from its name: give --format csv|tsv|votable|fits",
                    path.display()
                )));
            }
        })
    }

    /// Whether the file declares its column types (else they are inferred in a first pass).
    pub fn declares_types(self) -> bool {
        matches!(self, InputFormat::Votable | InputFormat::Fits)
    }
}

/// Rows of a table file.
pub struct Source {
    reader: Box<dyn TableReader>,
}

impl Source {
    /// The columns.
    pub fn fields(&self) -> &[Field] {
        self.reader.fields()
    }

    /// The next row, or `None` at the end; errors name the row or line.
    pub fn next_row(&mut self) -> Result<Option<Vec<Value>>, IngestError> {
        match self.reader.next() {
            None => Ok(None),
            Some(Ok(r)) => Ok(Some(r)),
            Some(Err(e)) => Err(IngestError::Read(e.to_string())),
        }
    }

    /// Where the reader is, for messages.
    pub fn location(&self) -> String {
        let p = formats::TableReader::position(&*self.reader);
        match p.line {
            Some(l) => format!("line {l}"),
            None => format!("row {}", p.row),
        }
    }
}

fn open(path: &Path) -> Result<Box<dyn BufRead + Send>, IngestError> {
    let f = File::open(path)
        .map_err(|e| IngestError::Read(format!("cannot open {}: {e}", path.display())))?;
    let gz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    let inner: Box<dyn Read + Send> = if gz {
        Box::new(flate2::read::MultiGzDecoder::new(f))
    } else {
        Box::new(f)
    };
    Ok(Box::new(BufReader::with_capacity(256 * 1024, inner)))
}

fn read_err(e: formats::ReadError) -> IngestError {
    IngestError::Read(e.to_string())
}

/// Opens the file. For CSV/TSV, `fields` are the column types found by [`scan_fields`]; they are required so that
/// every row is read with the types that hold all of them.
pub fn open_source(
    path: &Path,
    format: InputFormat,
    fields: Option<Vec<Field>>,
) -> Result<Source, IngestError> {
    let reader: Box<dyn TableReader> = match format {
        InputFormat::Csv | InputFormat::Tsv => {
            let opts = CsvOptions {
                delimiter: delimiter(format),
                fields,
                ..CsvOptions::default()
            };
            Box::new(formats::read_csv(open(path)?, opts).map_err(read_err)?)
        }
        InputFormat::Votable => Box::new(formats::read_votable(open(path)?).map_err(read_err)?),
        InputFormat::Fits => {
            let f = File::open(path)
                .map_err(|e| IngestError::Read(format!("cannot open {}: {e}", path.display())))?;
            Box::new(formats::read_fits(f).map_err(read_err)?)
        }
    };
    Ok(Source { reader })
}

fn delimiter(format: InputFormat) -> Delimiter {
    if format == InputFormat::Tsv {
        Delimiter::Tab
    } else {
        Delimiter::Comma
    }
}

/// The columns of a file: declared (VOTable, FITS) or inferred from every row (CSV, TSV).
pub fn scan_fields(path: &Path, format: InputFormat) -> Result<Vec<Field>, IngestError> {
    match format {
        InputFormat::Csv | InputFormat::Tsv => {
            let opts = CsvOptions {
                delimiter: delimiter(format),
                ..CsvOptions::default()
            };
            formats::scan_csv_fields(open(path)?, opts).map_err(read_err)
        }
        _ => Ok(open_source(path, format, None)?.fields().to_vec()),
    }
}
