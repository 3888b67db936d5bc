-- Case arrivals kept with the case facts (issue 19): arr_at is the case's
-- created_at as stored on cases (NULL when it has none) and arr_priority
-- its priority at creation (the first priority in its log, else its
-- current one), computed with the facts, so the staffing model counts
-- arrivals from an index instead of reading every case's log. The cases
-- stored before get theirs in the one-time measurement of the handle times
-- (handle_times_rebuild); until then the arrivals are counted from the logs.
ALTER TABLE case_facts ADD COLUMN arr_at BIGINT;
ALTER TABLE case_facts ADD COLUMN arr_priority INTEGER NOT NULL DEFAULT 0;
CREATE INDEX case_facts_arrivals ON case_facts (arr_at, arr_priority);
INSERT INTO handle_times_rebuild (pending) SELECT 1 WHERE EXISTS (SELECT 1 FROM case_facts)
    AND NOT EXISTS (SELECT 1 FROM handle_times_rebuild);
