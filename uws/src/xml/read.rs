//! Reading UWS job and job-list documents back (namespace-aware, any prefix): what clients do with ours, so tests
//! can round-trip a job field by field (OpenCADC's JobReader), and services can read other UWS services.

use crate::model::{ErrorSummary, ErrorType, Job, Param, Phase, ResultRef, parse_time};
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

const UWS_NS: &str = "http://www.ivoa.net/xml/UWS/v1.0";
const XLINK_NS: &str = "http://www.w3.org/1999/xlink";

/// A document that is not a UWS document we can read.
#[derive(Debug, thiserror::Error)]
#[error("not a readable UWS document at byte {at}: {message}")]
pub struct XmlError {
    /// Byte offset.
    pub at: u64,
    /// What is wrong.
    pub message: String,
}

/// An attribute by namespace (None: unqualified) and local name.
fn attr(r: &NsReader<&[u8]>, e: &BytesStart<'_>, ns: Option<&str>, name: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        let (res, local) = r.resolver().resolve_attribute(a.key);
        let ns_ok = match (ns, res) {
            (None, ResolveResult::Unbound) => true,
            (Some(want), ResolveResult::Bound(n)) => n.as_ref() == want,
            _ => false,
        };
        (ns_ok && local.as_ref() == name)
            .then(|| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .ok()
                    .map(|v| v.into_owned())
            })
            .flatten()
    })
}

fn is_nil(r: &NsReader<&[u8]>, e: &BytesStart<'_>) -> bool {
    attr(
        r,
        e,
        Some("http://www.w3.org/2001/XMLSchema-instance"),
        "nil",
    )
    .as_deref()
        == Some("true")
}

/// Elements of one UWS document, each with its attributes and text, in document order.
struct Element {
    name: String,
    attrs: Vec<(&'static str, Option<String>)>,
    nil: bool,
    text: String,
}

fn elements(doc: &str) -> Result<Vec<Element>, XmlError> {
    let mut r = NsReader::from_str(doc);
    let mut out: Vec<Element> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let err = |r: &NsReader<&[u8]>, m: String| XmlError {
        at: r.buffer_position(),
        message: m,
    };
    loop {
        let ev = r.read_resolved_event().map_err(|e| XmlError {
            at: 0,
            message: e.to_string(),
        })?;
        let empty = matches!(ev.1, Event::Empty(_));
        match ev {
            (ns, Event::Start(e)) | (ns, Event::Empty(e)) => {
                let ns_ok = matches!(ns, ResolveResult::Bound(n) if n.as_ref() == UWS_NS);
                let local = e.local_name().as_ref().to_string();
                if !ns_ok {
                    if out.is_empty() {
                        return Err(err(
                            &r,
                            format!("root element <{local}> is not in the UWS namespace"),
                        ));
                    }
                    if !empty {
                        open.push(usize::MAX);
                    }
                    continue;
                }
                let mut attrs = Vec::new();
                for a in [
                    "id",
                    "byReference",
                    "isPost",
                    "size",
                    "mime-type",
                    "type",
                    "hasDetail",
                    "version",
                ] {
                    attrs.push((a, attr(&r, &e, None, a)));
                }
                attrs.push(("href", attr(&r, &e, Some(XLINK_NS), "href")));
                out.push(Element {
                    name: local,
                    attrs,
                    nil: is_nil(&r, &e),
                    text: String::new(),
                });
                if !empty {
                    open.push(out.len() - 1);
                }
            }
            (_, Event::End(_)) => {
                open.pop();
            }
            (_, Event::Text(t)) => {
                if let Some(&i) = open.last()
                    && let Some(el) = out.get_mut(i)
                {
                    el.text.push_str(&t.xml10_content());
                }
            }
            (_, Event::GeneralRef(g)) => {
                let c = match g.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    _ => match &*g {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => return Err(err(&r, format!("unknown entity &{other};"))),
                    },
                };
                if let Some(&i) = open.last()
                    && let Some(el) = out.get_mut(i)
                {
                    el.text.push(c);
                }
            }
            (_, Event::Eof) => break,
            _ => {}
        }
    }
    if out.is_empty() {
        return Err(XmlError {
            at: 0,
            message: "empty document".into(),
        });
    }
    Ok(out)
}

impl Element {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    fn value(&self) -> Option<String> {
        (!self.nil)
            .then(|| self.text.trim().to_string())
            .filter(|s| !s.is_empty())
    }
}

fn phase(s: &str) -> Result<Phase, XmlError> {
    Phase::parse(s).ok_or_else(|| XmlError {
        at: 0,
        message: format!("'{s}' is not a UWS phase"),
    })
}

fn time(el: &Element) -> Result<Option<chrono::DateTime<chrono::Utc>>, XmlError> {
    el.value()
        .map(|v| {
            parse_time(&v).ok_or_else(|| XmlError {
                at: 0,
                message: format!("<{}> '{v}' is not a time", el.name),
            })
        })
        .transpose()
}

/// Reads a `<uws:job>` document.
pub fn read_job(doc: &str) -> Result<Job, XmlError> {
    let els = elements(doc)?;
    if els[0].name != "job" {
        return Err(XmlError {
            at: 0,
            message: format!("root element is <{}>, not <job>", els[0].name),
        });
    }
    let mut job = Job {
        id: String::new(),
        run_id: None,
        owner: None,
        phase: Phase::Unknown,
        creation: chrono::DateTime::default(),
        start: None,
        end: None,
        execution_duration: 0,
        destruction: None,
        params: vec![],
        results: vec![],
        error: None,
    };
    let mut message = None;
    for el in &els[1..] {
        match el.name.as_str() {
            "jobId" => job.id = el.text.trim().to_string(),
            "runId" => job.run_id = el.value(),
            "ownerId" => job.owner = el.value(),
            "phase" => job.phase = phase(el.text.trim())?,
            "creationTime" => job.creation = time(el)?.unwrap_or_default(),
            "startTime" => job.start = time(el)?,
            "endTime" => job.end = time(el)?,
            "destruction" => job.destruction = time(el)?,
            "executionDuration" => {
                job.execution_duration = el.text.trim().parse().map_err(|_| XmlError {
                    at: 0,
                    message: format!("executionDuration '{}' is not a number", el.text.trim()),
                })?
            }
            "parameter" => job.params.push(Param {
                name: el.attr("id").unwrap_or_default().to_string(),
                value: el.text.clone(),
                by_reference: el.attr("byReference") == Some("true"),
                is_post: el.attr("isPost") == Some("true"),
            }),
            "result" => job.results.push(ResultRef {
                id: el.attr("id").unwrap_or_default().to_string(),
                mime: el.attr("mime-type").unwrap_or_default().to_string(),
                size: el.attr("size").and_then(|s| s.parse().ok()).unwrap_or(0),
                href: el.attr("href").map(str::to_string),
            }),
            "errorSummary" => {
                job.error = Some(ErrorSummary {
                    message: String::new(),
                    kind: if el.attr("type") == Some("transient") {
                        ErrorType::Transient
                    } else {
                        ErrorType::Fatal
                    },
                    has_detail: el.attr("hasDetail") == Some("true"),
                })
            }
            "message" => message = Some(el.text.trim().to_string()),
            _ => {}
        }
    }
    if let (Some(e), Some(m)) = (job.error.as_mut(), message) {
        e.message = m;
    }
    Ok(job)
}

/// Reads a `<uws:jobs>` document: (job id, phase, href) of each job reference.
pub fn read_job_list(doc: &str) -> Result<Vec<(String, Phase, Option<String>)>, XmlError> {
    let els = elements(doc)?;
    if els[0].name != "jobs" {
        return Err(XmlError {
            at: 0,
            message: format!("root element is <{}>, not <jobs>", els[0].name),
        });
    }
    let mut out: Vec<(String, Phase, Option<String>)> = Vec::new();
    for el in &els[1..] {
        match el.name.as_str() {
            "jobref" => out.push((
                el.attr("id").unwrap_or_default().to_string(),
                Phase::Unknown,
                el.attr("href").map(str::to_string),
            )),
            "phase" => {
                if let Some(last) = out.last_mut() {
                    last.1 = phase(el.text.trim())?;
                }
            }
            _ => {}
        }
    }
    Ok(out)
}
