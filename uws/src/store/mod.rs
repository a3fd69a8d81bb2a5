//! Jobs in the database (SQLite or PostgreSQL), so they survive restarts. Phase changes are compare-and-set
//! (one conditional UPDATE), so an ABORT and a finishing runner cannot both win (STYLE.md §5).

use crate::error::UwsError;
use crate::model::{ErrorSummary, ErrorType, Job, Param, Phase, ResultRef, iso, parse_time};
use almagest_db::exec::{Arg, Pool, placeholders};
use chrono::{DateTime, Utc};

const MIGRATION: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS uws_job (list TEXT NOT NULL, id TEXT PRIMARY KEY, run_id TEXT, owner TEXT, \
     phase TEXT NOT NULL, creation TEXT NOT NULL, start_time TEXT, end_time TEXT, \
     execution_duration BIGINT NOT NULL, destruction TEXT, error_message TEXT, error_type TEXT, \
     error_detail_mime TEXT)",
    "CREATE INDEX IF NOT EXISTS uws_job_by_owner ON uws_job (list, owner, creation)",
    "CREATE INDEX IF NOT EXISTS uws_job_by_destruction ON uws_job (destruction)",
    "CREATE INDEX IF NOT EXISTS uws_job_by_phase ON uws_job (list, phase)",
    "CREATE TABLE IF NOT EXISTS uws_param (job_id TEXT NOT NULL, seq INTEGER NOT NULL, name TEXT NOT NULL, \
     value TEXT NOT NULL, by_reference INTEGER NOT NULL, PRIMARY KEY (job_id, seq))",
    "CREATE TABLE IF NOT EXISTS uws_result (job_id TEXT NOT NULL, id TEXT NOT NULL, mime TEXT NOT NULL, \
     size BIGINT NOT NULL, PRIMARY KEY (job_id, id))",
];

const JOB_COLUMNS: &str = "id, run_id, owner, phase, creation, start_time, end_time, execution_duration, \
                           destruction, error_message, error_type, error_detail_mime";

/// The job store.
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
}

/// Filters of a job list (UWS 1.1 §2.2.2.1).
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only these phases (union); ARCHIVED jobs appear only when asked for.
    pub phases: Vec<Phase>,
    /// Created after this time.
    pub after: Option<DateTime<Utc>>,
    /// The n most recent.
    pub last: Option<u64>,
}

fn text(a: &Arg) -> Option<String> {
    a.as_str().map(str::to_string)
}

fn time(a: &Arg) -> Option<DateTime<Utc>> {
    a.as_str().and_then(parse_time)
}

impl Store {
    /// Creates the tables if needed.
    pub async fn open(pool: Pool) -> Result<Store, UwsError> {
        let mut tx = pool.begin().await?;
        for stmt in MIGRATION {
            tx.execute(stmt, &[]).await?;
        }
        tx.commit().await?;
        Ok(Store { pool })
    }

    /// Stores a new job with its parameters.
    pub async fn insert(&self, list: &str, job: &Job) -> Result<(), UwsError> {
        let mut tx = self.pool.begin().await?;
        let sql = format!(
            "INSERT INTO uws_job (list, {JOB_COLUMNS}) VALUES ({})",
            placeholders(1, 13)
        );
        tx.execute(
            &sql,
            &[
                list.into(),
                job.id.as_str().into(),
                job.run_id.clone().into(),
                job.owner.clone().into(),
                job.phase.as_str().into(),
                iso(&job.creation).into(),
                job.start.as_ref().map(iso).into(),
                job.end.as_ref().map(iso).into(),
                (job.execution_duration as i64).into(),
                job.destruction.as_ref().map(iso).into(),
                Arg::Null,
                Arg::Null,
                Arg::Null,
            ],
        )
        .await?;
        for (i, p) in job.params.iter().enumerate() {
            tx.execute(
                "INSERT INTO uws_param (job_id, seq, name, value, by_reference) VALUES ($1, $2, $3, $4, $5)",
                &[job.id.as_str().into(), (i as i64).into(), p.name.as_str().into(), p.value.as_str().into(), p.by_reference.into()],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    fn row_to_job(r: &[Arg]) -> Job {
        Job {
            id: text(&r[0]).unwrap_or_default(),
            run_id: text(&r[1]),
            owner: text(&r[2]),
            phase: r[3]
                .as_str()
                .and_then(Phase::parse)
                .unwrap_or(Phase::Unknown),
            creation: time(&r[4]).unwrap_or_else(Utc::now),
            start: time(&r[5]),
            end: time(&r[6]),
            execution_duration: r[7].as_i64().unwrap_or(0).max(0) as u64,
            destruction: time(&r[8]),
            params: Vec::new(),
            results: Vec::new(),
            error: text(&r[9]).map(|message| ErrorSummary {
                message,
                kind: if r[10].as_str() == Some("transient") {
                    ErrorType::Transient
                } else {
                    ErrorType::Fatal
                },
                has_detail: !matches!(r[11], Arg::Null),
            }),
        }
    }

    /// A job with its parameters and results.
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
                "SELECT name, value, by_reference FROM uws_param WHERE job_id = $1 ORDER BY seq",
                &[id.into()],
            )
            .await?
            .iter()
            .map(|p| Param {
                name: text(&p[0]).unwrap_or_default(),
                value: text(&p[1]).unwrap_or_default(),
                by_reference: p[2].as_i64() == Some(1),
            })
            .collect();
        job.results = self
            .pool
            .fetch(
                "SELECT id, mime, size FROM uws_result WHERE job_id = $1 ORDER BY id",
                &[id.into()],
            )
            .await?
            .iter()
            .map(|p| ResultRef {
                id: text(&p[0]).unwrap_or_default(),
                mime: text(&p[1]).unwrap_or_default(),
                size: p[2].as_i64().unwrap_or(0).max(0) as u64,
            })
            .collect();
        Ok(Some(job))
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
        Ok(rows.first().and_then(|r| text(&r[0])))
    }

    /// Jobs of one owner (summaries without parameters), newest first when LAST is given.
    pub async fn list(
        &self,
        list: &str,
        owner: &str,
        f: &ListFilter,
    ) -> Result<Vec<Job>, UwsError> {
        let mut sql = format!("SELECT {JOB_COLUMNS} FROM uws_job WHERE list = $1 AND owner = $2");
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
            Some(n) => sql.push_str(&format!(" ORDER BY creation DESC, id LIMIT {n}")),
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

    /// Unfinished jobs of an owner (for the per-owner limit).
    pub async fn count_active(&self, list: &str, owner: &str) -> Result<u64, UwsError> {
        let rows = self
            .pool
            .fetch(
                "SELECT COUNT(*) FROM uws_job WHERE list = $1 AND owner = $2 AND phase IN ('PENDING', 'QUEUED', 'EXECUTING', 'HELD', 'SUSPENDED')",
                &[list.into(), owner.into()],
            )
            .await?;
        Ok(rows.first().and_then(|r| r[0].as_i64()).unwrap_or(0).max(0) as u64)
    }

    /// Moves a job from one of `from` to `to`; false when it was in none of them (someone else won).
    pub async fn set_phase(&self, id: &str, from: &[Phase], to: Phase) -> Result<bool, UwsError> {
        let now = iso(&Utc::now());
        let mut args: Vec<Arg> = vec![to.as_str().into(), id.into()];
        let first = args.len() + 1;
        args.extend(from.iter().map(|p| Arg::from(p.as_str())));
        let stamp = match to {
            Phase::Executing => {
                args.push(now.into());
                format!(", start_time = ${}", args.len())
            }
            p if p.is_final() => {
                args.push(now.into());
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

    /// Records why a job failed (with the MIME type of a detail document, if one was stored).
    pub async fn set_error(
        &self,
        id: &str,
        e: &ErrorSummary,
        detail_mime: Option<&str>,
    ) -> Result<(), UwsError> {
        self.pool
            .execute(
                "UPDATE uws_job SET error_message = $1, error_type = $2, error_detail_mime = $3 WHERE id = $4",
                &[
                    e.message.as_str().into(),
                    if e.kind == ErrorType::Fatal { "fatal" } else { "transient" }.into(),
                    detail_mime.into(),
                    id.into(),
                ],
            )
            .await?;
        Ok(())
    }

    /// Adds or replaces parameters, only while the job is PENDING; false otherwise.
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
            tx.execute(
                "INSERT INTO uws_param (job_id, seq, name, value, by_reference) \
                 VALUES ($1, (SELECT COALESCE(MAX(seq), -1) + 1 FROM uws_param WHERE job_id = $1), $2, $3, $4)",
                &[id.into(), p.name.as_str().into(), p.value.as_str().into(), p.by_reference.into()],
            )
            .await?;
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

    /// Sets the execution duration (seconds), only while PENDING.
    pub async fn set_execution_duration(&self, id: &str, secs: u64) -> Result<bool, UwsError> {
        let n = self
            .pool
            .execute(
                "UPDATE uws_job SET execution_duration = $1 WHERE id = $2 AND phase = 'PENDING'",
                &[(secs as i64).into(), id.into()],
            )
            .await?;
        Ok(n == 1)
    }

    /// Sets the destruction time.
    pub async fn set_destruction(&self, id: &str, t: &DateTime<Utc>) -> Result<(), UwsError> {
        self.pool
            .execute(
                "UPDATE uws_job SET destruction = $1 WHERE id = $2",
                &[iso(t).into(), id.into()],
            )
            .await?;
        Ok(())
    }

    /// Records a result.
    pub async fn add_result(&self, id: &str, r: &ResultRef) -> Result<(), UwsError> {
        let mut tx = self.pool.begin().await?;
        tx.execute(
            "DELETE FROM uws_result WHERE job_id = $1 AND id = $2",
            &[id.into(), r.id.as_str().into()],
        )
        .await?;
        tx.execute(
            "INSERT INTO uws_result (job_id, id, mime, size) VALUES ($1, $2, $3, $4)",
            &[
                id.into(),
                r.id.as_str().into(),
                r.mime.as_str().into(),
                (r.size as i64).into(),
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a job and everything recorded of it.
    pub async fn delete(&self, id: &str) -> Result<(), UwsError> {
        let mut tx = self.pool.begin().await?;
        for t in ["uws_result", "uws_param"] {
            tx.execute(&format!("DELETE FROM {t} WHERE job_id = $1"), &[id.into()])
                .await?;
        }
        tx.execute("DELETE FROM uws_job WHERE id = $1", &[id.into()])
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Jobs whose destruction time has passed.
    pub async fn expired(&self, now: &DateTime<Utc>) -> Result<Vec<String>, UwsError> {
        Ok(self
            .pool
            .fetch(
                "SELECT id FROM uws_job WHERE destruction IS NOT NULL AND destruction < $1",
                &[iso(now).into()],
            )
            .await?
            .iter()
            .filter_map(|r| text(&r[0]))
            .collect())
    }

    /// Jobs of a list in the given phases, oldest first (restart recovery, queue rebuild).
    pub async fn ids_in(&self, list: &str, phase: Phase) -> Result<Vec<String>, UwsError> {
        Ok(self
            .pool
            .fetch(
                "SELECT id FROM uws_job WHERE list = $1 AND phase = $2 ORDER BY creation, id",
                &[list.into(), phase.as_str().into()],
            )
            .await?
            .iter()
            .filter_map(|r| text(&r[0]))
            .collect())
    }
}
