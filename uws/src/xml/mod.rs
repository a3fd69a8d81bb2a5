//! UWS 1.1 documents (namespace `http://www.ivoa.net/xml/UWS/v1.0`, `version="1.1"`, element order of
//! UWS-v1.1.xsd). Every element carries the literal `uws:` prefix: astroquery's TapPlus compares prefixed names as
//! strings (CLIENTS.md §2).

mod read;

pub use read::{XmlError, read_job, read_job_list};

use crate::model::{ErrorType, Job, iso};
use std::fmt::Write as _;

const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
const NS: &str = "xmlns:uws=\"http://www.ivoa.net/xml/UWS/v1.0\" \
                  xmlns:xlink=\"http://www.w3.org/1999/xlink\" \
                  xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"";

/// Escapes text or attribute content; characters XML 1.0 forbids are dropped.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

fn nil_or(out: &mut String, name: &str, v: Option<String>) {
    match v {
        Some(v) => {
            let _ = writeln!(out, "  <uws:{name}>{}</uws:{name}>", esc(&v));
        }
        None => {
            let _ = writeln!(out, "  <uws:{name} xsi:nil=\"true\"/>");
        }
    }
}

/// The parameters element (inside a job, or alone at `/parameters`).
fn parameters(out: &mut String, job: &Job, indent: &str) {
    let _ = writeln!(out, "{indent}<uws:parameters>");
    for p in &job.params {
        let _ = writeln!(
            out,
            "{indent}  <uws:parameter id=\"{}\"{}{}>{}</uws:parameter>",
            esc(&p.name),
            if p.by_reference {
                " byReference=\"true\""
            } else {
                ""
            },
            if p.is_post { " isPost=\"true\"" } else { "" },
            esc(&p.value)
        );
    }
    let _ = writeln!(out, "{indent}</uws:parameters>");
}

fn results(out: &mut String, job: &Job, job_url: &str, indent: &str) {
    let _ = writeln!(out, "{indent}<uws:results>");
    for r in &job.results {
        // An external result is linked where it lives; a stored one through the job (its URL segment encoded
        // as its key is, so any result name makes a valid URL).
        let href = match &r.href {
            Some(h) => h.clone(),
            None => format!("{job_url}/results/{}", crate::bytes::key_segment(&r.id)),
        };
        let _ = write!(
            out,
            "{indent}  <uws:result id=\"{}\" xlink:type=\"simple\" xlink:href=\"{}\"",
            esc(&r.id),
            esc(&href)
        );
        if r.href.is_none() {
            let _ = write!(out, " size=\"{}\"", r.size);
        }
        if !r.mime.is_empty() {
            let _ = write!(out, " mime-type=\"{}\"", esc(&r.mime));
        }
        out.push_str("/>\n");
    }
    let _ = writeln!(out, "{indent}</uws:results>");
}

/// The job document.
pub fn job_document(job: &Job, job_url: &str) -> String {
    let mut out = String::from(HEAD);
    let _ = writeln!(out, "<uws:job {NS} version=\"1.1\">");
    let _ = writeln!(out, "  <uws:jobId>{}</uws:jobId>", esc(&job.id));
    if let Some(r) = &job.run_id {
        let _ = writeln!(out, "  <uws:runId>{}</uws:runId>", esc(r));
    }
    nil_or(&mut out, "ownerId", job.owner.clone());
    let _ = writeln!(out, "  <uws:phase>{}</uws:phase>", job.phase);
    nil_or(&mut out, "quote", None);
    let _ = writeln!(
        out,
        "  <uws:creationTime>{}</uws:creationTime>",
        iso(&job.creation)
    );
    nil_or(&mut out, "startTime", job.start.as_ref().map(iso));
    nil_or(&mut out, "endTime", job.end.as_ref().map(iso));
    let _ = writeln!(
        out,
        "  <uws:executionDuration>{}</uws:executionDuration>",
        // the XSD's xs:int: a larger value is a practically unlimited one
        job.execution_duration.min(i32::MAX as u64)
    );
    nil_or(&mut out, "destruction", job.destruction.as_ref().map(iso));
    parameters(&mut out, job, "  ");
    results(&mut out, job, job_url, "  ");
    if let Some(e) = &job.error {
        let _ = writeln!(
            out,
            "  <uws:errorSummary type=\"{}\" hasDetail=\"{}\">\n    <uws:message>{}</uws:message>\n  </uws:errorSummary>",
            if e.kind == ErrorType::Fatal {
                "fatal"
            } else {
                "transient"
            },
            e.has_detail,
            esc(&e.message)
        );
    }
    out.push_str("</uws:job>\n");
    out
}

/// The job list document.
pub fn jobs_document(jobs: &[Job], list_url: &str) -> String {
    let mut out = String::from(HEAD);
    let _ = writeln!(out, "<uws:jobs {NS} version=\"1.1\">");
    for j in jobs {
        let _ = writeln!(
            out,
            "  <uws:jobref id=\"{id}\" xlink:type=\"simple\" xlink:href=\"{url}/{id}\">",
            id = esc(&j.id),
            url = esc(list_url)
        );
        let _ = writeln!(out, "    <uws:phase>{}</uws:phase>", j.phase);
        if let Some(r) = &j.run_id {
            let _ = writeln!(out, "    <uws:runId>{}</uws:runId>", esc(r));
        }
        match &j.owner {
            Some(o) => {
                let _ = writeln!(out, "    <uws:ownerId>{}</uws:ownerId>", esc(o));
            }
            None => {
                let _ = writeln!(out, "    <uws:ownerId xsi:nil=\"true\"/>");
            }
        }
        let _ = writeln!(
            out,
            "    <uws:creationTime>{}</uws:creationTime>",
            iso(&j.creation)
        );
        out.push_str("  </uws:jobref>\n");
    }
    out.push_str("</uws:jobs>\n");
    out
}

/// The `/results` document.
pub fn results_document(job: &Job, job_url: &str) -> String {
    let mut out = String::from(HEAD);
    let mut inner = String::new();
    results(&mut inner, job, job_url, "");
    out.push_str(&inner.replacen("<uws:results>", &format!("<uws:results {NS}>"), 1));
    out
}

/// The `/parameters` document.
pub fn parameters_document(job: &Job) -> String {
    let mut out = String::from(HEAD);
    let mut inner = String::new();
    parameters(&mut inner, job, "");
    out.push_str(&inner.replacen("<uws:parameters>", &format!("<uws:parameters {NS}>"), 1));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ErrorSummary, ErrorType, Param, Phase, ResultRef, parse_time};

    fn full_job() -> Job {
        Job {
            id: "abc123".into(),
            run_id: Some("run <1> & \"2\"".into()),
            owner: Some("alice".into()),
            phase: Phase::Error,
            creation: parse_time("2024-05-06T07:08:09.123Z").unwrap(),
            start: parse_time("2024-05-06T07:08:10.000Z"),
            end: parse_time("2024-05-06T07:08:11.500Z"),
            execution_duration: 600,
            destruction: parse_time("2024-05-13T07:08:09.123Z"),
            params: vec![
                Param::new("QUERY", "SELECT * FROM t WHERE a < 3 AND b = 'x' -- é"),
                Param {
                    name: "UPLOAD".into(),
                    value: "t1,param:t1".into(),
                    by_reference: false,
                    is_post: false,
                },
                Param {
                    name: "t1".into(),
                    value: "http://h/async/abc123/parameters/t1".into(),
                    by_reference: true,
                    is_post: true,
                },
                Param::new("UPLOAD", "t2,http://h/t2.xml"),
            ],
            results: vec![
                ResultRef {
                    id: "result".into(),
                    mime: "application/x-votable+xml".into(),
                    size: 1234,
                    href: None,
                },
                ResultRef {
                    id: "ext".into(),
                    mime: "".into(),
                    size: 0,
                    href: Some("http://x/y?a=1&b=2".into()),
                },
            ],
            error: Some(ErrorSummary {
                message: "column 'z' not found\nat line 1".into(),
                kind: ErrorType::Transient,
                has_detail: true,
            }),
        }
    }

    #[test]
    fn a_job_round_trips_field_by_field_and_validates() {
        let job = full_job();
        let doc = job_document(&job, "http://h/async/abc123");
        almagest_common::testing::xmllint(&doc, "UWS-v1.1.xsd");
        let mut back = read_job(&doc).unwrap();
        // a stored result's href is where we serve it
        assert_eq!(
            back.results[0].href.as_deref(),
            Some("http://h/async/abc123/results/result")
        );
        back.results[0].href = None;
        assert_eq!(back, job);
        // the literal prefix astroquery's TapPlus needs, on every element
        for el in doc
            .split('<')
            .skip(2)
            .filter(|s| !s.starts_with('/') && !s.is_empty())
        {
            assert!(el.starts_with("uws:"), "unprefixed element: <{el}");
        }
    }

    #[test]
    fn a_fresh_job_has_nil_times_and_owner() {
        let mut job = full_job();
        job.owner = None;
        job.run_id = None;
        job.phase = Phase::Pending;
        job.start = None;
        job.end = None;
        job.destruction = None;
        job.error = None;
        job.results.clear();
        let doc = job_document(&job, "http://h/async/abc123");
        for nil in ["ownerId", "quote", "startTime", "endTime", "destruction"] {
            assert!(
                doc.contains(&format!("<uws:{nil} xsi:nil=\"true\"/>")),
                "{nil}: {doc}"
            );
        }
        assert!(!doc.contains("runId") && !doc.contains("errorSummary"));
        almagest_common::testing::xmllint(&doc, "UWS-v1.1.xsd");
        assert_eq!(read_job(&doc).unwrap(), job);
    }

    #[test]
    fn lists_results_and_parameters_documents_validate() {
        let job = full_job();
        let mut anon = full_job();
        anon.id = "other".into();
        anon.owner = None;
        anon.run_id = None;
        anon.phase = Phase::Completed;
        let list = jobs_document(&[job.clone(), anon], "http://h/async");
        almagest_common::testing::xmllint(&list, "UWS-v1.1.xsd");
        assert_eq!(
            read_job_list(&list).unwrap(),
            vec![
                (
                    "abc123".to_string(),
                    Phase::Error,
                    Some("http://h/async/abc123".to_string())
                ),
                (
                    "other".to_string(),
                    Phase::Completed,
                    Some("http://h/async/other".to_string())
                ),
            ]
        );
        almagest_common::testing::xmllint(&jobs_document(&[], "http://h/async"), "UWS-v1.1.xsd");
        almagest_common::testing::xmllint(
            &results_document(&job, "http://h/async/abc123"),
            "UWS-v1.1.xsd",
        );
        almagest_common::testing::xmllint(&parameters_document(&job), "UWS-v1.1.xsd");
    }

    #[test]
    fn any_prefix_reads_and_foreign_documents_are_refused() {
        let doc = job_document(&full_job(), "http://h/async/abc123")
            .replace("uws:", "u:")
            .replace("xmlns:uws", "xmlns:u");
        assert_eq!(read_job(&doc).unwrap().id, "abc123");
        assert!(
            read_job("<job><jobId>x</jobId></job>").is_err(),
            "no UWS namespace"
        );
        assert!(read_job("").is_err());
        assert!(
            read_job_list(&job_document(&full_job(), "u")).is_err(),
            "a job is not a list"
        );
    }

    #[test]
    fn control_characters_cannot_break_the_document() {
        let mut job = full_job();
        job.params = vec![Param::new("Q", "a\u{1}b\u{fffe}c")];
        let doc = job_document(&job, "http://h/j");
        almagest_common::testing::xmllint(&doc, "UWS-v1.1.xsd");
        assert_eq!(read_job(&doc).unwrap().params[0].value, "abc");
    }
}
