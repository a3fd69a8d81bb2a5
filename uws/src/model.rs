//! The UWS 1.1 job model (UWS.html §2.1): phases, the allowed transitions, parameters, results, errors.

use chrono::{DateTime, Utc};

/// Execution phases (UWS 1.1 §2.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Accepting parameters; not yet asked to run.
    Pending,
    /// Waiting for a runner slot.
    Queued,
    /// Running.
    Executing,
    /// Finished with results.
    Completed,
    /// Failed.
    Error,
    /// Stopped by the user (or the service).
    Aborted,
    /// Unknown state.
    Unknown,
    /// Held by the service.
    Held,
    /// Suspended by the service.
    Suspended,
    /// Results deleted, record kept.
    Archived,
}

impl Phase {
    /// The UWS name.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Pending => "PENDING",
            Phase::Queued => "QUEUED",
            Phase::Executing => "EXECUTING",
            Phase::Completed => "COMPLETED",
            Phase::Error => "ERROR",
            Phase::Aborted => "ABORTED",
            Phase::Unknown => "UNKNOWN",
            Phase::Held => "HELD",
            Phase::Suspended => "SUSPENDED",
            Phase::Archived => "ARCHIVED",
        }
    }

    /// Parses a UWS phase name (case-insensitive, as clients differ).
    pub fn parse(s: &str) -> Option<Phase> {
        Some(match s.trim().to_ascii_uppercase().as_str() {
            "PENDING" => Phase::Pending,
            "QUEUED" => Phase::Queued,
            "EXECUTING" => Phase::Executing,
            "COMPLETED" => Phase::Completed,
            "ERROR" => Phase::Error,
            "ABORTED" => Phase::Aborted,
            "UNKNOWN" => Phase::Unknown,
            "HELD" => Phase::Held,
            "SUSPENDED" => Phase::Suspended,
            "ARCHIVED" => Phase::Archived,
            _ => return None,
        })
    }

    /// Whether the job may still change phase by itself (WAIT blocks only then, UWS 1.1 §2.2.1.2).
    pub fn is_active(self) -> bool {
        matches!(
            self,
            Phase::Pending | Phase::Queued | Phase::Executing | Phase::Held | Phase::Suspended
        )
    }

    /// Whether the job has ended.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Phase::Completed | Phase::Error | Phase::Aborted | Phase::Archived
        )
    }

    /// Every phase, in the order of the XSD enumeration.
    pub const ALL: [Phase; 10] = [
        Phase::Pending,
        Phase::Queued,
        Phase::Executing,
        Phase::Completed,
        Phase::Error,
        Phase::Aborted,
        Phase::Unknown,
        Phase::Held,
        Phase::Suspended,
        Phase::Archived,
    ];

    /// Whether a transition is part of the UWS state machine (UWS 1.1 §2.1.3 and its figure): RUN moves a
    /// PENDING or HELD job to QUEUED (or the service holds it), a runner starts a QUEUED job, an executing job
    /// completes, fails or is suspended, every unfinished job can fail or be aborted, and finished jobs can be
    /// archived. The store refuses any other change, so no code path can move a job backwards.
    pub fn can_go_to(self, to: Phase) -> bool {
        use Phase::*;
        matches!(
            (self, to),
            (Pending | Held, Queued)
                | (Pending, Held)
                | (Queued, Executing)
                | (Executing | Suspended, Completed)
                | (Pending | Queued | Executing | Held | Suspended, Error)
                | (Pending | Queued | Executing | Held | Suspended, Aborted)
                | (Executing, Suspended)
                | (Suspended, Executing)
                | (Completed | Error | Aborted, Archived)
        )
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job parameter as submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Name as sent.
    pub name: String,
    /// Value (for a by-reference parameter, the URL of its content).
    pub value: String,
    /// The value is a reference to content (an inline upload).
    pub by_reference: bool,
    /// The parameter came in a POST body rather than the URL (the XSD's `isPost`).
    pub is_post: bool,
}

impl Param {
    /// A plain parameter given in a POST body (what programmatic callers usually mean).
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Param {
        Param {
            name: name.into(),
            value: value.into(),
            by_reference: false,
            is_post: true,
        }
    }
}

/// A result of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultRef {
    /// Identifier (`result` for TAP).
    pub id: String,
    /// MIME type.
    pub mime: String,
    /// Size in bytes (0 when unknown, e.g. an external result).
    pub size: u64,
    /// Where the result lives when it is not in the byte store (e.g. a VOSpace transfer's data URL); the
    /// result's URL then redirects there.
    pub href: Option<String>,
}

/// Whether an error is worth retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    /// Retrying may work (time limit, service restart).
    Transient,
    /// Retrying the same job will fail again (bad query).
    Fatal,
}

/// Why a job failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorSummary {
    /// What went wrong, for a person.
    pub message: String,
    /// Transient or fatal.
    pub kind: ErrorType,
    /// A detail document is served at `/error` (TAP: an error VOTable).
    pub has_detail: bool,
}

/// Everything known about a job.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Identifier.
    pub id: String,
    /// RUNID.
    pub run_id: Option<String>,
    /// Owner (authenticated user), none when anonymous.
    pub owner: Option<String>,
    /// Phase.
    pub phase: Phase,
    /// Created.
    pub creation: DateTime<Utc>,
    /// Started executing.
    pub start: Option<DateTime<Utc>>,
    /// Ended.
    pub end: Option<DateTime<Utc>>,
    /// Allowed run time in seconds (0: unlimited).
    pub execution_duration: u64,
    /// When the job and its results are destroyed.
    pub destruction: Option<DateTime<Utc>>,
    /// Parameters in submission order.
    pub params: Vec<Param>,
    /// Results.
    pub results: Vec<ResultRef>,
    /// Failure, if any.
    pub error: Option<ErrorSummary>,
}

impl Job {
    /// The value of a parameter, by case-insensitive name (the last one given wins).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value.as_str())
    }
}

/// ISO 8601 with milliseconds and `Z` (UWS 1.1 §2.2.1).
pub fn iso(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Parses an ISO 8601 time as clients send it (with or without zone; no zone means UTC).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s.trim_end_matches('Z'), f) {
            return Some(t.and_utc());
        }
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pair of phases, allowed or not, against the UWS 1.1 figure written out by hand.
    #[test]
    fn the_phase_machine() {
        use Phase::*;
        let allowed = [
            (Pending, Queued),
            (Held, Queued),
            (Pending, Held),
            (Queued, Executing),
            (Executing, Completed),
            (Suspended, Completed),
            (Executing, Suspended),
            (Suspended, Executing),
            (Completed, Archived),
            (Error, Archived),
            (Aborted, Archived),
        ];
        let mut expected: Vec<(Phase, Phase)> = allowed.to_vec();
        for from in [Pending, Queued, Executing, Held, Suspended] {
            expected.push((from, Error));
            expected.push((from, Aborted));
        }
        for from in Phase::ALL {
            for to in Phase::ALL {
                assert_eq!(
                    from.can_go_to(to),
                    expected.contains(&(from, to)),
                    "{from} -> {to}"
                );
            }
        }
        assert_eq!(expected.len(), 21);
        for p in Phase::ALL {
            assert!(!p.can_go_to(p), "{p} -> {p} is no transition");
            assert!(!p.can_go_to(Pending), "nothing goes back to PENDING");
            assert!(!p.can_go_to(Unknown));
            if p.is_final() {
                assert!(!p.can_go_to(Executing) && !p.can_go_to(Aborted) && !p.can_go_to(Error));
            }
        }
        for p in Phase::ALL {
            assert_eq!(Phase::parse(p.as_str()), Some(p));
            assert_eq!(Phase::parse(&p.as_str().to_lowercase()), Some(p));
        }
        assert_eq!(Phase::parse("run"), None);
        assert_eq!(Phase::parse(""), None);
    }

    #[test]
    fn times() {
        let t = parse_time("2024-01-01T00:00:00.000000Z").unwrap();
        assert_eq!(iso(&t), "2024-01-01T00:00:00.000Z");
        assert_eq!(
            parse_time("2024-01-02T03:04:05")
                .map(|t| iso(&t))
                .as_deref(),
            Some("2024-01-02T03:04:05.000Z")
        );
        assert!(parse_time("2024-01-02").is_some());
        assert!(parse_time("yesterday").is_none());
    }
}
