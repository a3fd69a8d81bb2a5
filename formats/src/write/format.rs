//! Output formats and their names: MIME types and DALI/TAP short forms (DALI 1.1 §3.4.3, TAPRegExt 1.0 §2.4).

/// A result serialisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    /// VOTable 1.4, TABLEDATA (XML cells).
    VotableTabledata,
    /// VOTable 1.4, BINARY (base64 stream; nulls by per-type conventions).
    VotableBinary,
    /// VOTable 1.4, BINARY2 (base64 stream with a null bitmap per row): the TAP default.
    VotableBinary2,
    /// RFC 4180 CSV with a header line.
    Csv,
    /// Tab-separated values with a header line.
    Tsv,
    /// JSON: `{"metadata": [...], "data": [[...]], "status": ..., "overflow": ...}`.
    Json,
    /// FITS: an empty primary HDU and one BINTABLE.
    Fits,
}

const VOTABLE_MIME: &str = "application/x-votable+xml";

impl OutputFormat {
    /// Every format, the TAP default (BINARY2) first: the TAPRegExt `outputFormat` list.
    pub fn all() -> &'static [OutputFormat] {
        &[
            OutputFormat::VotableBinary2,
            OutputFormat::VotableTabledata,
            OutputFormat::VotableBinary,
            OutputFormat::Csv,
            OutputFormat::Tsv,
            OutputFormat::Json,
            OutputFormat::Fits,
        ]
    }

    /// Parses a RESPONSEFORMAT/FORMAT value: a MIME type (parameters after `;` considered, case-insensitive)
    /// or a short name (`votable`, `votable/td`, `votable/b`, `votable/b2`, `csv`, `tsv`, `json`, `fits`...).
    /// `None` for anything this service cannot produce, e.g. `text/csv;header=absent`.
    pub fn parse(s: &str) -> Option<OutputFormat> {
        let lower = s.trim().to_ascii_lowercase();
        let mut parts = lower.split(';').map(str::trim);
        let base = parts.next().unwrap_or("");
        let mut serialization = None;
        let mut header = None;
        for p in parts.filter(|p| !p.is_empty()) {
            let (k, v) = p.split_once('=')?;
            let v = v.trim().trim_matches('"');
            match k.trim() {
                "serialization" => serialization = Some(v.to_string()),
                "header" => header = Some(v.to_string()),
                "charset" if v == "utf-8" || v == "utf8" => {}
                _ => return None,
            }
        }
        let format = match base {
            VOTABLE_MIME | "text/xml" | "application/xml" | "votable" => {
                match serialization.as_deref() {
                    None | Some("binary2") => OutputFormat::VotableBinary2,
                    Some("binary") => OutputFormat::VotableBinary,
                    Some("tabledata") => OutputFormat::VotableTabledata,
                    Some(_) => return None,
                }
            }
            "votable/td" | "votable/tabledata" | "votabletd" => OutputFormat::VotableTabledata,
            "votable/b" | "votable/binary" | "votableb" => OutputFormat::VotableBinary,
            "votable/b2" | "votable/binary2" | "votableb2" => OutputFormat::VotableBinary2,
            "text/csv" | "csv" => OutputFormat::Csv,
            "text/tab-separated-values" | "tsv" => OutputFormat::Tsv,
            "application/json" | "json" => OutputFormat::Json,
            "application/fits" | "fits" => OutputFormat::Fits,
            _ => return None,
        };
        if serialization.is_some() && !format.is_votable() {
            return None;
        }
        match (format, header.as_deref()) {
            (_, None) | (OutputFormat::Csv | OutputFormat::Tsv, Some("present")) => Some(format),
            _ => None,
        }
    }

    /// True for the three VOTable serialisations.
    pub fn is_votable(self) -> bool {
        matches!(
            self,
            OutputFormat::VotableTabledata
                | OutputFormat::VotableBinary
                | OutputFormat::VotableBinary2
        )
    }

    /// The MIME type that names exactly this format (TAPRegExt `mime`, and the Content-Type when the client
    /// asked by short name; DALI 1.1 §3.4.3 wants the client's own MIME type echoed when it gave one).
    pub fn content_type(self) -> &'static str {
        match self {
            OutputFormat::VotableTabledata => "application/x-votable+xml;serialization=tabledata",
            OutputFormat::VotableBinary => "application/x-votable+xml;serialization=binary",
            OutputFormat::VotableBinary2 => "application/x-votable+xml;serialization=binary2",
            OutputFormat::Csv => "text/csv;header=present",
            OutputFormat::Tsv => "text/tab-separated-values",
            OutputFormat::Json => "application/json",
            OutputFormat::Fits => "application/fits",
        }
    }

    /// Short names accepted for this format (TAPRegExt `alias`), the preferred one first.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            OutputFormat::VotableTabledata => &["votable/td", "votable/tabledata"],
            OutputFormat::VotableBinary => &["votable/b", "votable/binary"],
            OutputFormat::VotableBinary2 => &["votable", "votable/b2", "votable/binary2"],
            OutputFormat::Csv => &["csv"],
            OutputFormat::Tsv => &["tsv"],
            OutputFormat::Json => &["json"],
            OutputFormat::Fits => &["fits"],
        }
    }

    /// The TAPRegExt 1.0 standard identifier, where one exists.
    pub fn ivo_id(self) -> Option<&'static str> {
        Some(match self {
            OutputFormat::VotableTabledata => "ivo://ivoa.net/std/TAPRegExt#output-votable-td",
            OutputFormat::VotableBinary => "ivo://ivoa.net/std/TAPRegExt#output-votable-binary",
            OutputFormat::VotableBinary2 => "ivo://ivoa.net/std/TAPRegExt#output-votable-binary2",
            _ => return None,
        })
    }

    /// A file name extension for saved results.
    pub fn file_extension(self) -> &'static str {
        match self {
            OutputFormat::VotableTabledata
            | OutputFormat::VotableBinary
            | OutputFormat::VotableBinary2 => "vot",
            OutputFormat::Csv => "csv",
            OutputFormat::Tsv => "tsv",
            OutputFormat::Json => "json",
            OutputFormat::Fits => "fits",
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::OutputFormat::{self, *};

    #[test]
    fn mime_types_and_short_names_parse() {
        let cases: &[(&str, Option<OutputFormat>)] = &[
            ("votable", Some(VotableBinary2)),
            ("VOTable", Some(VotableBinary2)),
            ("application/x-votable+xml", Some(VotableBinary2)),
            ("text/xml", Some(VotableBinary2)),
            (
                "application/x-votable+xml;serialization=binary2",
                Some(VotableBinary2),
            ),
            (
                "application/x-votable+xml; serialization=TABLEDATA",
                Some(VotableTabledata),
            ),
            (
                "application/x-votable+xml;serialization=binary",
                Some(VotableBinary),
            ),
            ("votable/td", Some(VotableTabledata)),
            ("votable/b", Some(VotableBinary)),
            ("votable/binary", Some(VotableBinary)),
            ("votable/b2", Some(VotableBinary2)),
            ("csv", Some(Csv)),
            ("text/csv", Some(Csv)),
            ("text/csv;header=present", Some(Csv)),
            ("text/csv;header=absent", None),
            ("tsv", Some(Tsv)),
            ("text/tab-separated-values", Some(Tsv)),
            ("json", Some(Json)),
            ("application/json", Some(Json)),
            ("fits", Some(Fits)),
            ("application/fits", Some(Fits)),
            ("text/csv;serialization=binary", None),
            ("application/x-votable+xml;serialization=fancy", None),
            ("text/html", None),
            ("", None),
            ("votable;", Some(VotableBinary2)),
            ("votable;junk", None),
        ];
        for (s, want) in cases {
            assert_eq!(OutputFormat::parse(s), *want, "{s}");
        }
    }

    #[test]
    fn every_format_parses_back_from_its_own_names() {
        for f in OutputFormat::all() {
            assert_eq!(OutputFormat::parse(f.content_type()), Some(*f));
            for a in f.aliases() {
                assert_eq!(OutputFormat::parse(a), Some(*f), "{a}");
            }
        }
        assert_eq!(OutputFormat::all()[0], VotableBinary2);
    }
}
