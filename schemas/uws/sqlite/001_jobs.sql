-- UWS job store, first layout (the one the service created before migrations were versioned; IF NOT EXISTS keeps
-- such databases). Times are ISO 8601 UTC text with milliseconds and Z, so text order is time order.
CREATE TABLE IF NOT EXISTS uws_job (
    list TEXT NOT NULL,
    id TEXT PRIMARY KEY,
    run_id TEXT,
    owner TEXT,
    phase TEXT NOT NULL,
    creation TEXT NOT NULL,
    start_time TEXT,
    end_time TEXT,
    execution_duration BIGINT NOT NULL,
    destruction TEXT,
    error_message TEXT,
    error_type TEXT,
    error_detail_mime TEXT
);
CREATE INDEX IF NOT EXISTS uws_job_by_owner ON uws_job (list, owner, creation);
CREATE INDEX IF NOT EXISTS uws_job_by_destruction ON uws_job (destruction);
CREATE INDEX IF NOT EXISTS uws_job_by_phase ON uws_job (list, phase);
CREATE TABLE IF NOT EXISTS uws_param (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    by_reference INTEGER NOT NULL,
    PRIMARY KEY (job_id, seq)
);
CREATE TABLE IF NOT EXISTS uws_result (
    job_id TEXT NOT NULL,
    id TEXT NOT NULL,
    mime TEXT NOT NULL,
    size BIGINT NOT NULL,
    PRIMARY KEY (job_id, id)
);
