-- isPost of parameters (UWS 1.1 XSD), external result references and result order; indexes for the queries the
-- service runs: the per-list sweep of expired jobs and restart recovery by phase in creation order.
ALTER TABLE uws_param ADD COLUMN is_post INTEGER NOT NULL DEFAULT 1;
ALTER TABLE uws_result ADD COLUMN href TEXT;
ALTER TABLE uws_result ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
DROP INDEX IF EXISTS uws_job_by_destruction;
CREATE INDEX uws_job_by_list_destruction ON uws_job (list, destruction);
DROP INDEX IF EXISTS uws_job_by_phase;
CREATE INDEX uws_job_by_list_phase ON uws_job (list, phase, creation);
