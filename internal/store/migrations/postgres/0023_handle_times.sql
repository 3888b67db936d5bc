-- Handle times kept with the case facts (issue 19): computed from the case's
-- log whenever its facts are (store/handletime.go), so no report replays
-- case events. ht_gap (microseconds) and ht_pause (handle.PauseKey) are the
-- session gap and pause statuses they were measured with; ht_gap is NULL
-- until measured. ht_start is NULL when the case has no handle time (not
-- resolved after it was acknowledged). handle_times_rebuild holds a row
-- while the cases stored before this migration wait for their one-time
-- measurement; readers replay the logs meanwhile.
ALTER TABLE case_facts ADD COLUMN ht_gap BIGINT;
ALTER TABLE case_facts ADD COLUMN ht_pause TEXT NOT NULL DEFAULT '';
ALTER TABLE case_facts ADD COLUMN ht_created BIGINT;
ALTER TABLE case_facts ADD COLUMN ht_start BIGINT;
ALTER TABLE case_facts ADD COLUMN ht_end BIGINT;
ALTER TABLE case_facts ADD COLUMN ht_active BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_facts ADD COLUMN ht_paused BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_facts ADD COLUMN ht_priority INTEGER NOT NULL DEFAULT 0;
ALTER TABLE case_facts ADD COLUMN ht_arrival INTEGER NOT NULL DEFAULT 0;
CREATE TABLE handle_times_rebuild (
    pending INTEGER PRIMARY KEY
);
INSERT INTO handle_times_rebuild (pending) SELECT 1 WHERE EXISTS (SELECT 1 FROM case_facts);
-- The staffing model reads the cases resolved in its history window.
CREATE INDEX cases_resolved_at ON cases (resolved_at);
