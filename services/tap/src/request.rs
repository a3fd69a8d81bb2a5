//! A TAP query request (TAP 1.1 §2.7) made from DALI parameters: what to run, in which format, how many rows.
//! Requirements are checked here, at execution time (an async job may be created empty and filled later).

use crate::error::TapError;
use almagest_common::params::Params;

/// The query language asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// `ADQL`, `ADQL-2.0` or `ADQL-2.1`: one parser serves them all (2.1 is a superset of what 2.0 clients send).
    Adql,
}

/// Where an uploaded table comes from (DALI 1.1 §3.4.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadSource {
    /// `param:NAME`: a file part of the same multipart request (or, for jobs, a stored inline parameter).
    Inline(String),
    /// An http(s) URL the service fetches.
    Url(String),
    /// A VOSpace node (`vos://...`).
    Vos(String),
}

/// One `UPLOAD=name,uri` pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadSpec {
    /// Table name, referenced as `TAP_UPLOAD.<name>`.
    pub name: String,
    /// Where the table is.
    pub source: UploadSource,
}

/// A checked TAP query request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TapRequest {
    /// LANG.
    pub lang: Lang,
    /// QUERY text.
    pub query: String,
    /// RESPONSEFORMAT or FORMAT as given (none: the default format).
    pub format: Option<String>,
    /// MAXREC as given (none: the service default).
    pub maxrec: Option<u64>,
    /// RUNID, echoed in logs and results.
    pub runid: Option<String>,
    /// Uploaded tables.
    pub uploads: Vec<UploadSpec>,
}

impl TapRequest {
    /// Reads the TAP parameters; spurious parameters are ignored (TAP 1.1 §2.7: pyvo still sends
    /// `REQUEST=doQuery`, astroquery `PHASE=RUN` and `tapclient` even on /sync).
    pub fn from_params(p: &Params) -> Result<TapRequest, TapError> {
        if let Some(r) = p.single("REQUEST")?
            && !r.eq_ignore_ascii_case("doQuery")
        {
            return Err(TapError::BadRequest(format!(
                "REQUEST={r} is not supported: TAP 1.1 needs no REQUEST parameter (doQuery is accepted)"
            )));
        }
        let lang = match p.single("LANG")? {
            None => {
                return Err(TapError::BadRequest(
                    "missing LANG parameter: use LANG=ADQL".into(),
                ));
            }
            Some(l) => parse_lang(l)?,
        };
        let query = match p.single("QUERY")? {
            Some(q) if !q.trim().is_empty() => q.to_string(),
            Some(_) => return Err(TapError::BadRequest("the QUERY parameter is empty".into())),
            None => return Err(TapError::BadRequest("missing QUERY parameter".into())),
        };
        let responseformat = p.single("RESPONSEFORMAT")?;
        let legacy = p.single("FORMAT")?;
        let format = match (responseformat, legacy) {
            (Some(a), Some(b)) if a != b => {
                return Err(TapError::BadRequest(format!(
                    "RESPONSEFORMAT={a} and FORMAT={b} disagree: give one of them"
                )));
            }
            (a, b) => a.or(b).map(str::to_string),
        };
        let maxrec = match p.single("MAXREC")? {
            None => None,
            Some(m) => Some(m.trim().parse::<u64>().map_err(|_| {
                TapError::BadRequest(format!("MAXREC must be a non-negative integer, not '{m}'"))
            })?),
        };
        let runid = p.single("RUNID")?.map(str::to_string);
        if let Some(r) = &runid
            && r.chars().count() > 64
        {
            return Err(TapError::BadRequest(
                "RUNID is longer than 64 characters (DALI 1.1 §3.4.6)".into(),
            ));
        }
        let mut uploads = Vec::new();
        for u in p.all("UPLOAD") {
            for spec in u.split(';').filter(|s| !s.trim().is_empty()) {
                uploads.push(parse_upload(spec)?);
            }
        }
        Ok(TapRequest {
            lang,
            query,
            format,
            maxrec,
            runid,
            uploads,
        })
    }
}

fn parse_lang(l: &str) -> Result<Lang, TapError> {
    let up = l.trim().to_ascii_uppercase();
    match up.as_str() {
        "ADQL" | "ADQL-2.0" | "ADQL-2.1" => Ok(Lang::Adql),
        _ => Err(TapError::BadRequest(format!(
            "unknown query language LANG={l}: this service speaks ADQL (ADQL-2.0, ADQL-2.1)"
        ))),
    }
}

/// Parses `name,uri` (DALI 1.1 §3.4.5): the name is an ADQL regular identifier.
pub fn parse_upload(spec: &str) -> Result<UploadSpec, TapError> {
    let Some((name, uri)) = spec.split_once(',') else {
        return Err(TapError::BadRequest(format!(
            "UPLOAD must be 'name,URI', not '{spec}'"
        )));
    };
    let name = name.trim();
    let uri = uri.trim();
    let mut chars = name.chars();
    let ok_name = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok_name {
        return Err(TapError::BadRequest(format!(
            "upload table name '{name}' is not an ADQL regular identifier (a letter, then letters, digits or _)"
        )));
    }
    let source = if let Some(part) = uri.strip_prefix("param:") {
        UploadSource::Inline(part.to_string())
    } else if uri.starts_with("http://") || uri.starts_with("https://") {
        UploadSource::Url(uri.to_string())
    } else if uri.starts_with("vos://") {
        UploadSource::Vos(uri.to_string())
    } else {
        return Err(TapError::BadRequest(format!(
            "upload '{name}': unsupported URI '{uri}' (use param:, http:, https: or vos:)"
        )));
    };
    Ok(UploadSpec {
        name: name.to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(q: &str) -> Result<TapRequest, TapError> {
        let mut p = Params::default();
        p.add_urlencoded(q);
        TapRequest::from_params(&p)
    }

    #[test]
    fn minimal_request_and_spurious_parameters() {
        let r =
            req("REQUEST=doQuery&LANG=ADQL&QUERY=SELECT+1&tapclient=x&PHASE=RUN&DUMMY=ignore-me")
                .unwrap();
        assert_eq!(r.query, "SELECT 1");
        assert_eq!(r.format, None);
        assert_eq!(r.maxrec, None);
    }

    #[test]
    fn languages() {
        assert!(req("LANG=adql-2.0&QUERY=x").is_ok());
        assert!(req("LANG=ADQL-2.1&QUERY=x").is_ok());
        let e = req("LANG=OOBLECK&QUERY=x").unwrap_err();
        assert!(e.to_string().contains("unknown query language"), "{e}");
        let e = req("QUERY=x").unwrap_err();
        assert!(e.to_string().contains("missing LANG"), "{e}");
    }

    #[test]
    fn maxrec_and_format() {
        assert_eq!(req("LANG=ADQL&QUERY=x&MAXREC=0").unwrap().maxrec, Some(0));
        assert!(
            req("LANG=ADQL&QUERY=x&MAXREC=-1")
                .unwrap_err()
                .to_string()
                .contains("MAXREC")
        );
        assert_eq!(
            req("LANG=ADQL&QUERY=x&FORMAT=csv")
                .unwrap()
                .format
                .as_deref(),
            Some("csv")
        );
        assert!(req("LANG=ADQL&QUERY=x&FORMAT=csv&RESPONSEFORMAT=tsv").is_err());
        assert!(req("LANG=ADQL&QUERY=x&FORMAT=csv&RESPONSEFORMAT=csv").is_ok());
    }

    #[test]
    fn uploads() {
        let r = req("LANG=ADQL&QUERY=x&UPLOAD=t1,param:t1&UPLOAD=b,https://h/b.xml").unwrap();
        assert_eq!(
            r.uploads[0],
            UploadSpec {
                name: "t1".into(),
                source: UploadSource::Inline("t1".into())
            }
        );
        assert_eq!(
            r.uploads[1].source,
            UploadSource::Url("https://h/b.xml".into())
        );
        assert!(req("LANG=ADQL&QUERY=x&UPLOAD=1t,param:x").is_err());
        assert!(req("LANG=ADQL&QUERY=x&UPLOAD=t,file:///etc/passwd").is_err());
        assert!(req("LANG=ADQL&QUERY=x&UPLOAD=nocomma").is_err());
    }
}
