//! DALI request parameters (DALI 1.1 §3), shared by TAP and UWS: names case-insensitive, values case-sensitive, from the query string and
//! from form-urlencoded or multipart bodies (file parts become inline uploads, `param:` URIs).

use actix_multipart::Multipart;
use actix_web::HttpRequest;
use futures_util::StreamExt as _;
use std::io::Write as _;
use std::path::PathBuf;

/// One parameter as submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Name exactly as sent (echoed back in job documents).
    pub name: String,
    /// Value.
    pub value: String,
}

/// A file part of a multipart request, spooled to disk so its size never weighs on memory.
#[derive(Debug)]
pub struct InlineFile {
    /// The part's form name (what `param:NAME` refers to).
    pub name: String,
    /// The client's file name, if it gave one.
    pub filename: Option<String>,
    /// Where the bytes are; removed when the `InlineFile` is dropped.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
}

impl Drop for InlineFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// All parameters of a request, in submission order.
#[derive(Debug, Default)]
pub struct Params {
    /// Plain parameters.
    pub params: Vec<Param>,
    /// File parts.
    pub files: Vec<InlineFile>,
}

/// What can be wrong with the parameters of a request.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParamError {
    /// A single-valued parameter was given more than once (DALI 1.1 §3.2) with different values.
    #[error("parameter {0} given more than once")]
    Repeated(String),
    /// The body could not be read.
    #[error("cannot read the request body: {0}")]
    Body(String),
    /// A form value or the body is larger than allowed.
    #[error("{0}")]
    TooLarge(String),
    /// The body is not in a form we read.
    #[error(
        "unsupported request body type '{0}': use application/x-www-form-urlencoded or multipart/form-data"
    )]
    ContentType(String),
}

impl Params {
    /// The value of a single-valued parameter, case-insensitively; an error when it was given twice with
    /// different values (the same value twice is harmless and accepted, as clients sometimes send both query
    /// string and body).
    pub fn single(&self, name: &str) -> Result<Option<&str>, ParamError> {
        let mut found: Option<&str> = None;
        for p in self
            .params
            .iter()
            .filter(|p| p.name.eq_ignore_ascii_case(name))
        {
            match found {
                Some(v) if v != p.value => {
                    return Err(ParamError::Repeated(name.to_ascii_uppercase()));
                }
                _ => found = Some(&p.value),
            }
        }
        Ok(found)
    }

    /// Every value of a repeatable parameter (e.g. UPLOAD), in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.params
            .iter()
            .filter(move |p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value.as_str())
    }

    /// The file part named `name` (case-sensitive, as `param:` URIs are).
    pub fn file(&self, name: &str) -> Option<&InlineFile> {
        self.files.iter().find(|f| f.name == name)
    }

    /// Adds the `a=b&c=d` pairs of a query string or urlencoded body.
    pub fn add_urlencoded(&mut self, text: &str) {
        for pair in text.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            self.params.push(Param {
                name: decode_form(k),
                value: decode_form(v),
            });
        }
    }
}

/// Decodes one application/x-www-form-urlencoded component (`+` is a space).
pub fn decode_form(s: &str) -> String {
    let plus = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8_lossy()
        .into_owned()
}

/// Limits applied while reading a request.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Largest urlencoded body or multipart text field.
    pub max_form_bytes: u64,
    /// Largest total of file parts.
    pub max_file_bytes: u64,
}

/// Reads the parameters of a request: its query string, then its body (urlencoded or multipart).
pub async fn read_params(
    req: &HttpRequest,
    mut payload: actix_web::dev::Payload,
    limits: BodyLimits,
    spool_dir: &std::path::Path,
) -> Result<Params, ParamError> {
    let mut params = Params::default();
    params.add_urlencoded(req.query_string());
    let ctype = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let mime = ctype
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "multipart/form-data" => {
            // Some clients (astroquery's TapPlus) send an unquoted boundary made of '=' signs, which is not a
            // valid MIME token: quote it so the multipart parser accepts it.
            let mut headers = req.headers().clone();
            if let Some(b) = ctype
                .split(';')
                .map(str::trim)
                .find_map(|p| p.strip_prefix("boundary="))
            {
                let b = b.trim_matches('"');
                if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&format!(
                    "multipart/form-data; boundary=\"{b}\""
                )) {
                    headers.insert(actix_web::http::header::CONTENT_TYPE, v);
                }
            }
            let mp = Multipart::new(&headers, payload);
            read_multipart(mp, &mut params, limits, spool_dir).await?;
        }
        "application/x-www-form-urlencoded" | "" => {
            let body = read_body(&mut payload, limits.max_form_bytes).await?;
            if !body.is_empty() {
                if mime.is_empty() && req.method() == actix_web::http::Method::GET {
                    // a GET with a body but no type: ignore the body as HTTP says it has no meaning.
                } else {
                    let text = String::from_utf8(body)
                        .map_err(|_| ParamError::Body("the form is not UTF-8".into()))?;
                    params.add_urlencoded(text.trim_end_matches(['\r', '\n']));
                }
            }
        }
        other => {
            let body = read_body(&mut payload, limits.max_form_bytes).await?;
            if !body.is_empty() {
                return Err(ParamError::ContentType(other.to_string()));
            }
        }
    }
    Ok(params)
}

async fn read_body(payload: &mut actix_web::dev::Payload, max: u64) -> Result<Vec<u8>, ParamError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ParamError::Body(e.to_string()))?;
        if (body.len() + chunk.len()) as u64 > max {
            return Err(ParamError::TooLarge(format!(
                "the request body is larger than {max} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

async fn read_multipart(
    mut mp: Multipart,
    params: &mut Params,
    limits: BodyLimits,
    spool_dir: &std::path::Path,
) -> Result<(), ParamError> {
    let mut file_total: u64 = 0;
    while let Some(field) = mp.next().await {
        let mut field = field.map_err(|e| ParamError::Body(e.to_string()))?;
        let (name, filename) = match field.content_disposition() {
            Some(cd) => (
                cd.get_name().unwrap_or("").to_string(),
                cd.get_filename().map(str::to_string),
            ),
            None => (String::new(), None),
        };
        let is_text = filename.is_none()
            && field
                .content_type()
                .map(|m| m.type_() == "text" && m.subtype() == "plain")
                .unwrap_or(true);
        if is_text {
            let mut value = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|e| ParamError::Body(e.to_string()))?;
                if (value.len() + chunk.len()) as u64 > limits.max_form_bytes {
                    return Err(ParamError::TooLarge(format!(
                        "form field '{name}' is larger than {} bytes",
                        limits.max_form_bytes
                    )));
                }
                value.extend_from_slice(&chunk);
            }
            match String::from_utf8(value) {
                Ok(v) => params.params.push(Param { name, value: v }),
                Err(e) => {
                    // Not text after all: keep it as a file part so `param:` can still refer to it.
                    let bytes = e.into_bytes();
                    file_total += bytes.len() as u64;
                    let path = spool_path(spool_dir);
                    std::fs::write(&path, &bytes).map_err(|e| ParamError::Body(e.to_string()))?;
                    params.files.push(InlineFile {
                        name,
                        filename,
                        path,
                        size: bytes.len() as u64,
                    });
                }
            }
        } else {
            let path = spool_path(spool_dir);
            let mut file =
                std::fs::File::create(&path).map_err(|e| ParamError::Body(e.to_string()))?;
            // From here on, an early return must still remove the spooled part.
            let mut inline = InlineFile {
                name,
                filename,
                path,
                size: 0,
            };
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|e| ParamError::Body(e.to_string()))?;
                inline.size += chunk.len() as u64;
                file_total += chunk.len() as u64;
                if file_total > limits.max_file_bytes {
                    return Err(ParamError::TooLarge(format!(
                        "uploaded files are larger than the limit of {} bytes",
                        limits.max_file_bytes
                    )));
                }
                file.write_all(&chunk)
                    .map_err(|e| ParamError::Body(e.to_string()))?;
            }
            params.files.push(inline);
        }
    }
    Ok(())
}

fn spool_path(dir: &std::path::Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    dir.join(format!("part-{}-{n}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &str) -> Params {
        let mut p = Params::default();
        p.add_urlencoded(q);
        p
    }

    #[test]
    fn names_are_case_insensitive_values_are_not() {
        let p = params("lang=ADQL&Query=SELECT+*+FROM+t+WHERE+a%3D%27X%27");
        assert_eq!(p.single("LANG").unwrap(), Some("ADQL"));
        assert_eq!(
            p.single("QUERY").unwrap(),
            Some("SELECT * FROM t WHERE a='X'")
        );
        assert_eq!(p.single("MAXREC").unwrap(), None);
    }

    #[test]
    fn repeated_single_valued_parameter_is_an_error_unless_identical() {
        let p = params("MAXREC=1&maxrec=2");
        assert_eq!(
            p.single("MAXREC"),
            Err(ParamError::Repeated("MAXREC".into()))
        );
        let p = params("LANG=ADQL&lang=ADQL");
        assert_eq!(p.single("LANG").unwrap(), Some("ADQL"));
    }

    #[test]
    fn repeatable_parameters_keep_order() {
        let p = params("UPLOAD=a,param:a&x=1&upload=b,http://h/b.xml");
        assert_eq!(
            p.all("UPLOAD").collect::<Vec<_>>(),
            vec!["a,param:a", "b,http://h/b.xml"]
        );
    }

    #[test]
    fn broken_percent_escapes_do_not_panic() {
        let p = params("QUERY=%E2%82&%zz=1&=&&a");
        assert_eq!(p.params.len(), 4);
    }
}
