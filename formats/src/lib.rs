//! Table formats of the VO: streaming writers for query results (VOTable TABLEDATA/BINARY/BINARY2, CSV, TSV,
//! JSON, FITS) and readers for uploads and ingestion (VOTable in every serialisation, CSV/TSV with type
//! inference, FITS binary tables).
//!
//! The contract shared with the rest of Almagest is [`Value`] (one cell, as it comes out of the database) and
//! [`Field`] (the VOTable FIELD metadata of a column, as the ADQL checker computes it).
//!
//! Writing a result streams: one row in memory at a time (FITS alone spools to a temporary file).
//!
//! ```
//! use formats::{End, Field, OutputFormat, ResultMeta, Value, writer_for};
//!
//! let fields = vec![Field { name: "ra".into(), datatype: "double".into(), unit: Some("deg".into()),
//!                           ..Default::default() }];
//! let mut out = Vec::new();
//! let mut w = writer_for(OutputFormat::Csv, &mut out);
//! w.begin(&ResultMeta::default(), &fields).unwrap();
//! w.row(&[Value::Float(10.5)]).unwrap();
//! w.row(&[Value::Null]).unwrap();
//! w.finish(End::Ok).unwrap();
//! drop(w);
//! assert_eq!(String::from_utf8(out).unwrap(), "ra\r\n10.5\r\n\r\n");
//! ```
//!
//! Reading gives the same cells back:
//!
//! ```
//! use formats::{CsvOptions, TableReader, Value, read_csv};
//!
//! let mut r = read_csv("id,name\n1,Vega\n2,\n".as_bytes(), CsvOptions::default()).unwrap();
//! assert_eq!(r.fields()[0].datatype, "long");
//! let rows: Vec<Vec<Value>> = r.by_ref().collect::<Result<_, _>>().unwrap();
//! assert_eq!(rows[0], vec![Value::Int(1), Value::Text("Vega".into())]);
//! assert_eq!(rows[1], vec![Value::Int(2), Value::Null]);
//! ```
#![deny(missing_docs)]

mod cell;
mod datatype;
mod error;
mod fits_card;
mod out;
mod read;
mod value;
mod write;
mod xml;

pub use datatype::{ArraySize, ColumnType, Datatype, LastDim, MAX_FIXED_ELEMENTS};
pub use error::{ReadError, RowPosition, WriteError};
pub use read::{
    CsvOptions, CsvReader, Delimiter, FitsReader, MAX_TEXT_RUN, TableReader, VotableReader,
    read_csv, read_fits, read_votable, scan_csv_fields,
};
pub use value::{Field, Value};
pub use write::{
    CsvWriter, End, FitsWriter, JsonWriter, OutputFormat, ResultLink, ResultMeta, ResultWriter,
    Serialization, TsvWriter, VotableWriter, writer_for,
};
