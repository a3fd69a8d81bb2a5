//! Jobs in the database (SQLite or PostgreSQL through one statement API), so they survive restarts.
//!
//! Every phase change is a compare-and-set: one conditional `UPDATE ... WHERE phase IN (from)`, so an ABORT, a
//! finishing runner and the execution-duration timer cannot all win (STYLE.md §5, OpenCADC's `setPhase`). The
//! store also refuses, by construction, any change the UWS phase machine does not allow.

mod migrate;

use crate::error::UwsError;
use crate::model::{ErrorSummary, ErrorType, Job, Param, Phase, ResultRef, iso, parse_time};
use almagest_db::exec::{Arg, Pool, placeholders};
use chrono::{DateTime, Utc};

pub use migrate::LATEST as SCHEMA_VERSION;

const JOB_COLUMNS: &str = "id, run_id, owner, phase, creation, start_time, end_time, execution_duration, \
                           destruction, error_message, error_type, error_detail_mime";

/// Parameters per INSERT statement (SQLite allows 32766 bound values; PostgreSQL 65535).
const PARAMS_PER_INSERT: usize = 1000;

/// Columns of a job list entry.
const LIST_COLUMNS: &str = "id, run_id, owner, phase, creation";

/// Phases in which a job still counts against its owner's limit.
const ACTIVE: &str = "('PENDING', 'QUEUED', 'EXECUTING', 'HELD', 'SUSPENDED')";

/// The job store of every job list (each row carries its list's name).
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
}

/// Filters of a job list (UWS 1.1 §2.2.2.1); they combine with AND.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only these phases (union); ARCHIVED jobs appear only when asked for.
    pub phases: Vec<Phase>,
    /// Created after this time.
    pub after: Option<DateTime<Utc>>,
    /// The n most recent, newest first.
    pub last: Option<u64>,
}

fn text(a: &Arg) -> Option<String> {
    a.as_str().map(str::to_string)
}

fn time(a: &Arg) -> Option<DateTime<Utc>> {
    a.as_str().and_then(parse_time)
}

fn count(rows: &[Vec<Arg>]) -> u64 {
    rows.first()
        .and_then(|r| r.first())
        .and_then(Arg::as_i64)
        .unwrap_or(0)
        .max(0) as u64
}

/// The `from` phases of a change, each checked against the phase machine.
fn checked_from(from: &[Phase], to: Phase) -> Result<Vec<Arg>, UwsError> {
    match from.iter().find(|f| !f.can_go_to(to)) {
        Some(bad) => Err(UwsError::Internal(format!(
            "refused phase change {bad} -> {to}: not in the UWS phase machine"
        ))),
        None => Ok(from.iter().map(|p| Arg::from(p.as_str())).collect()),
    }
}

impl Store {
    /// Opens the store over a read-write pool, bringing its schema up to date (versioned migrations in
    /// `schemas/uws/`).
    pub async fn open(pool: Pool) -> Result<Store, UwsError> {
        migrate::migrate(&pool).await?;
        Ok(Store { pool })
    }

    /// A store in a SQLite database.
    pub async fn sqlite(pool: sqlx::SqlitePool) -> Result<Store, UwsError> {
        Store::open(Pool::Sqlite(pool)).await
    }

    /// A store in a PostgreSQL database.
    pub async fn postgres(pool: sqlx::PgPool) -> Result<Store, UwsError> {
        Store::open(Pool::Postgres(pool)).await
    }

    /// Stores a new job with its parameters. With `limit = Some(n)` and an owner, the insert happens only if the
    /// owner has fewer than `n` unfinished jobs in this list (checked in the same statement); returns whether
    /// the job was stored.
    pub async fn insert(
        &self,
        list: &str,
        job: &Job,
        limit: Option<u64>,
    ) -> Result<bool, UwsError> {
        let mut tx = self.pool.begin().await?;
        let mut args: Vec<Arg> = vec![
            list.into(),
            job.id.as_str().into(),
            job.run_id.clone().into(),
            job.owner.clone().into(),
            job.phase.as_str().into(),
            iso(&job.creation).into(),
            job.start.as_ref().map(iso).into(),
            job.end.as_ref().map(iso).into(),
            Arg::Int(job.execution_duration.min(i64::MAX as u64) as i64),
            job.destruction.as_ref().map(iso).into(),
        ];
        let values = placeholders(1, args.len());
        let sql = match (limit, &job.owner) {
            (Some(n), Some(owner)) => {
                args.push(owner.as_str().into());
                args.push(Arg::Int(n.min(i64::MAX as u64) as i64));
                format!(
                    "INSERT INTO uws_job (list, id, run_id, owner, phase, creation, start_time, end_time, \
                     execution_duration, destruction) SELECT {values} WHERE (SELECT COUNT(*) FROM uws_job \
                     WHERE list = $1 AND owner = $11 AND phase IN {ACTIVE}) < $12"
                )
            }
            _ => format!(
                "INSERT INTO uws_job (list, id, run_id, owner, phase, creation, start_time, end_time, \
                 execution_duration, destruction) VALUES ({values})"
            ),
        };
        if tx.execute(&sql, &args).await? != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        // All parameters in one statement (a round trip per parameter would dominate job creation).
        for (c, chunk) in job.params.chunks(PARAMS_PER_INSERT).enumerate() {
            let mut sql = String::from(
                "INSERT INTO uws_param (job_id, seq, name, value, by_reference, is_post) VALUES ",
            );
            let mut args: Vec<Arg> = vec![job.id.as_str().into()];
            for (i, p) in chunk.iter().enumerate() {
                let first = args.len() + 1;
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("($1, {})", placeholders(first, 5)));
                let seq = c * PARAMS_PER_INSERT + i;
                args.extend([
                    Arg::Int(seq as i64),
                    p.name.as_str().into(),
                    p.value.as_str().into(),
                    Arg::Int(p.by_reference as i64),
                    Arg::Int(p.is_post as i64),
                ]);
            }
            tx.execute(&sql, &args).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    fn row_to_job(r: &[Arg]) -> Job {
        let cell = |i: usize| r.get(i).cloned().unwrap_or(Arg::Null);
        Job {
            id: text(&cell(0)).unwrap_or_default(),
            run_id: text(&cell(1)),
            owner: text(&cell(2)),
            phase: cell(3)
                .as_str()
                .and_then(Phase::parse)
                .unwrap_or(Phase::Unknown),
            creation: time(&cell(4)).unwrap_or_default(),
            start: time(&cell(5)),
            end: time(&cell(6)),
            execution_duration: cell(7).as_i64().unwrap_or(0).max(0) as u64,
            destruction: time(&cell(8)),
            params: Vec::new(),
            results: Vec::new(),
            error: text(&cell(9)).map(|message| ErrorSummary {
                message,
                kind: if cell(10).as_str() == Some("transient") {
                    ErrorType::Transient
                } else {
                    ErrorType::Fatal
                },
                has_detail: !matches!(cell(11), Arg::Null),
            }),
        }
    }

    /// A job of a list with its parameters and results.
    pub async fn get(&self, list: &str, id: &str) -> Result<Option<Job>, UwsError> {
        let rows = self
            .pool
            .fetch(
                &format!("SELECT {JOB_COLUMNS} FROM uws_job WHERE list = $1 AND id = $2"),
                &[list.into(), id.into()],
            )
            .await?;
        let Some(r) = rows.first() else {
            return Ok(None);
        };
        let mut job = Store::row_to_job(r);
        job.params = self
            .pool
            .fetch(
                "SELECT name, value, by_reference, is_post FROM uws_param WHERE job_id = $1 ORDER BY seq",
                &[id.into()],
            )
            .await?
            .iter()
            .map(|p| Param {
                name: p.first().and_then(text).unwrap_or_default(),
                value: p.get(1).and_then(text).unwrap_or_default(),
                by_reference: p.get(2).and_then(Arg::as_i64) == Some(1),
                is_post: p.get(3).and_then(Arg::as_i64) != Some(0),
            })
            .collect();
        job.results = self
            .pool
            .fetch(
                "SELECT id, mime, size, href FROM uws_result WHERE job_id = $1 ORDER BY seq, id",
                &[id.into()],
            )
            .await?
            .iter()
            .map(|p| ResultRef {
                id: p.first().and_then(text).unwrap_or_default(),
                mime: p.get(1).and_then(text).unwrap_or_default(),
                size: p.get(2).and_then(Arg::as_i64).unwrap_or(0).max(0) as u64,
                href: p.get(3).and_then(text),
            })
            .collect();
        Ok(Some(job))
    }

    /// The phase of a job (one indexed lookup: what WAIT polls).
    pub async fn phase(&self, id: &str) -> Result<Option<Phase>, UwsError> {
        let rows = self
            .pool
            .fetch("SELECT phase FROM uws_job WHERE id = $1", &[id.into()])
            .await?;
        Ok(rows
            .first()
            .and_then(|r| r.first())
            .and_then(Arg::as_str)
            .and_then(Phase::parse))
    }

    /// The MIME type of a job's error detail document, if it has one.
    pub async fn error_detail_mime(&self, id: &str) -> Result<Option<String>, UwsError> {
        let rows = self
            .pool
            .fetch(
                "SELECT error_detail_mime FROM uws_job WHERE id = $1",
                &[id.into()],
            )
            .await?;
        Ok(rows.first().and_then(|r| r.first()).and_then(text))
    }

    /// Jobs of one owner as list entries (id, runId, owner, phase, creation time; the rest left empty): oldest first, or the `last` newest first.
    /// The `(list, owner, creation)` index serves every variant, so LAST=n reads n rows whatever the list's size.
    pub async fn list(
        &self,
        list: &str,
        owner: &str,
        f: &ListFilter,
    ) -> Result<Vec<Job>, UwsError> {
        let mut sql = format!("SELECT {LIST_COLUMNS} FROM uws_job WHERE list = $1 AND owner = $2");
        let mut args: Vec<Arg> = vec![list.into(), owner.into()];
        if f.phases.is_empty() {
            sql.push_str(" AND phase <> 'ARCHIVED'");
        } else {
            let first = args.len() + 1;
            sql.push_str(&format!(
                " AND phase IN ({})",
                placeholders(first, f.phases.len())
            ));
            args.extend(f.phases.iter().map(|p| Arg::from(p.as_str())));
        }
        if let Some(a) = &f.after {
            args.push(iso(a).into());
            sql.push_str(&format!(" AND creation > ${}", args.len()));
        }
        match f.last {
            Some(n) => {
                args.push(Arg::Int(n.min(i64::MAX as u64) as i64));
                sql.push_str(&format!(
                    " ORDER BY creation DESC, id DESC LIMIT ${}",
                    args.len()
                ));
            }
            None => sql.push_str(" ORDER BY creation, id"),
        }
        Ok(self
            .pool
            .fetch(&sql, &args)
            .await?
            .iter()
            .map(|r| Store::row_to_job(r))
            .collect())
    }

    /// Unfinished jobs of an owner in a list.
    pub async fn count_active(&self, list: &str, owner: &str) -> Result<u64, UwsError> {
        let rows = self
            .pool
            .fetch(
                &format!(
                    "SELECT COUNT(*) FROM uws_job WHERE list = $1 AND owner = $2 AND phase IN {ACTIVE}"
                ),
                &[list.into(), owner.into()],
            )
            .await?;
        Ok(count(&rows))
    }

    /// Moves a job from one of `from` to `to`; false when it was in none of them (someone else won). Entering
    /// EXECUTING stamps the start time, entering a final phase the end time.
    pub async fn set_phase(&self, id: &str, from: &[Phase], to: Phase) -> Result<bool, UwsError> {
        let from_args = checked_from(from, to)?;
        let mut args: Vec<Arg> = vec![to.as_str().into(), id.into()];
        let first = args.len() + 1;
        args.extend(from_args);
        let stamp = match to {
            Phase::Executing => {
                args.push(iso(&Utc::now()).into());
                format!(", start_time = ${}", args.len())
            }
            p if p.is_final() => {
                args.push(iso(&Utc::now()).into());
                format!(", end_time = ${}", args.len())
            }
            _ => String::new(),
        };
        let sql = format!(
            "UPDATE uws_job SET phase = $1{stamp} WHERE id = $2 AND phase IN ({})",
            placeholders(first, from.len())
        );
        Ok(self.pool.execute(&sql, &args).await? == 1)
    }

    /// Moves a job from one of `from` to ERROR with its error summary, in one statement; false when the job
    /// was no longer in any of `from`.
    pub async fn set_error(
        &self,
        id: &str,
        from: &[Phase],
        e: &ErrorSummary,
        detail_mime: Option<&str>,
    ) -> Result<bool, UwsError> {
        let from_args = checked_from(from, Phase::Error)?;
        let mut args: Vec<Arg> = vec![
            e.message.as_str().into(),
            if e.kind == ErrorType::Fatal {
                "fatal"
            } else {
                "transient"
            }
            .into(),
            detail_mime.into(),
            iso(&Utc::now()).into(),
            id.into(),
        ];
        let first = args.len() + 1;
        args.extend(from_args);
        let sql = format!(
            "UPDATE uws_job SET phase = 'ERROR', error_message = $1, error_type = $2, error_detail_mime = $3, \
             end_time = $4 WHERE id = $5 AND phase IN ({})",
            placeholders(first, from.len())
        );
        Ok(self.pool.execute(&sql, &args).await? == 1)
    }

    /// EXECUTING → COMPLETED together with the job's results, in one transaction: the results appear exactly
    /// when the phase says COMPLETED, and not at all when the job was aborted meanwhile (returns false).
    pub async fn complete(&self, id: &str, results: &[ResultRef]) -> Result<bool, UwsError> {
        let mut tx = self.pool.begin().await?;
        let n = tx
            .execute(
                "UPDATE uws_job SET phase = 'COMPLETED', end_time = $1 WHERE id = $2 AND phase = 'EXECUTING'",
                &[iso(&Utc::now()).into(), id.into()],
            )
            .await?;
        if n != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        tx.execute("DELETE FROM uws_result WHERE job_id = $1", &[id.into()])
            .await?;
        for (seq, r) in results.iter().enumerate() {
            tx.execute(
                "INSERT INTO uws_result (job_id, id, mime, size, href, seq) VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    id.into(),
                    r.id.as_str().into(),
                    r.mime.as_str().into(),
                    Arg::Int(r.size.min(i64::MAX as u64) as i64),
                    r.href.clone().into(),
                    Arg::Int(seq as i64),
                ],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Adds or replaces parameters (by case-insensitive name: a new value replaces every earlier one of that
    /// name, several new values of one name are all kept), only while the job is PENDING; false otherwise.
    /// RUNID also sets the job's runId.
    pub async fn update_params(&self, id: &str, params: &[Param]) -> Result<bool, UwsError> {
        let mut tx = self.pool.begin().await?;
        let pending = tx
            .execute(
                "UPDATE uws_job SET phase = phase WHERE id = $1 AND phase = 'PENDING'",
                &[id.into()],
            )
            .await?;
        if pending != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        for p in params {
            tx.execute(
                "DELETE FROM uws_param WHERE job_id = $1 AND LOWER(name) = LOWER($2)",
                &[id.into(), p.name.as_str().into()],
            )
            .await?;
        }
        for p in params {
            insert_param(&mut tx, id, p).await?;
            if p.name.eq_ignore_ascii_case("RUNID") {
                tx.execute(
                    "UPDATE uws_job SET run_id = $1 WHERE id = $2",
                    &[p.value.as_str().into(), id.into()],
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Sets the execution duration (seconds), only while PENDING; false otherwise.
    pub async fn set_execution_duration(&self, id: &str, secs: u64) -> Result<bool, UwsError> {
        let n = self
            .pool
            .execute(
                "UPDATE uws_job SET execution_duration = $1 WHERE id = $2 AND phase = 'PENDING'",
                &[Arg::Int(secs.min(i64::MAX as u64) as i64), id.into()],
            )
            .await?;
        Ok(n == 1)
    }

    /// Sets the destruction time.
    pub async fn set_destruction(&self, id: &str, t: &DateTime<Utc>) -> Result<bool, UwsError> {
        let n = self
            .pool
            .execute(
                "UPDATE uws_job SET destruction = $1 WHERE id = $2",
                &[iso(t).into(), id.into()],
            )
            .await?;
        Ok(n == 1)
    }

    /// Removes a job and everything recorded of it.
    pub async fn delete(&self, id: &str) -> Result<(), UwsError> {
        let mut tx = self.pool.begin().await?;
        tx.execute("DELETE FROM uws_result WHERE job_id = $1", &[id.into()])
            .await?;
        tx.execute("DELETE FROM uws_param WHERE job_id = $1", &[id.into()])
            .await?;
        tx.execute("DELETE FROM uws_job WHERE id = $1", &[id.into()])
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Jobs of a list whose destruction time has passed (at most `limit`, oldest first).
    pub async fn expired(
        &self,
        list: &str,
        now: &DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<String>, UwsError> {
        Ok(self
            .pool
            .fetch(
                "SELECT id FROM uws_job WHERE list = $1 AND destruction IS NOT NULL AND destruction < $2 \
                 ORDER BY destruction LIMIT $3",
                &[
                    list.into(),
                    iso(now).into(),
                    Arg::Int(limit.min(i64::MAX as u64) as i64),
                ],
            )
            .await?
            .iter()
            .filter_map(|r| r.first().and_then(text))
            .collect())
    }

    /// Jobs of a list in a phase with their owners, oldest first (restart recovery, queue rebuild).
    pub async fn ids_in(
        &self,
        list: &str,
        phase: Phase,
    ) -> Result<Vec<(String, Option<String>)>, UwsError> {
        Ok(self
            .pool
            .fetch(
                "SELECT id, owner FROM uws_job WHERE list = $1 AND phase = $2 ORDER BY creation, id",
                &[list.into(), phase.as_str().into()],
            )
            .await?
            .iter()
            .filter_map(|r| Some((r.first().and_then(text)?, r.get(1).and_then(text))))
            .collect())
    }
}

/// Appends one parameter after the job's last one.
async fn insert_param(tx: &mut almagest_db::exec::Tx, id: &str, p: &Param) -> Result<(), UwsError> {
    tx.execute(
        "INSERT INTO uws_param (job_id, seq, name, value, by_reference, is_post) \
         VALUES ($1, (SELECT COALESCE(MAX(seq), -1) + 1 FROM uws_param WHERE job_id = $1), $2, $3, $4, $5)",
        &[
            id.into(),
            p.name.as_str().into(),
            p.value.as_str().into(),
            Arg::Int(p.by_reference as i64),
            Arg::Int(p.is_post as i64),
        ],
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests;
