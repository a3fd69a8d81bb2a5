//! UWS 1.1 documents (namespace `http://www.ivoa.net/xml/UWS/v1.0`, `version="1.1"`, element order of
//! UWS-v1.1.xsd). Every element carries the literal `uws:` prefix: astroquery's TapPlus compares prefixed names as
//! strings (CLIENTS.md §2).

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
            "{indent}  <uws:parameter id=\"{}\"{}>{}</uws:parameter>",
            esc(&p.name),
            if p.by_reference {
                " byReference=\"true\""
            } else {
                ""
            },
            esc(&p.value)
        );
    }
    let _ = writeln!(out, "{indent}</uws:parameters>");
}

fn results(out: &mut String, job: &Job, job_url: &str, indent: &str) {
    let _ = writeln!(out, "{indent}<uws:results>");
    for r in &job.results {
        let _ = writeln!(
            out,
            "{indent}  <uws:result id=\"{id}\" xlink:type=\"simple\" xlink:href=\"{url}/results/{id}\" size=\"{size}\" mime-type=\"{mime}\"/>",
            id = esc(&r.id),
            url = esc(job_url),
            size = r.size,
            mime = esc(&r.mime)
        );
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
        job.execution_duration
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
