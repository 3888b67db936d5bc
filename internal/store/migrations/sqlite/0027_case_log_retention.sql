-- Cases whose log (events and comments) case-log retention removed (see
-- Store.PruneCaseLogs): when, under which policy, and what reads of the log
-- the case facts do not keep (the handle time is in case_facts, 0023).
-- Times are Unix microseconds (UTC).
CREATE TABLE case_log_pruned (
    case_id        INTEGER PRIMARY KEY REFERENCES cases (id),
    pruned_at      INTEGER NOT NULL,            -- when the log was removed
    cutoff         INTEGER NOT NULL,            -- cases closed before this
    policy         TEXT NOT NULL,               -- the retention period, "400d"
    events         INTEGER NOT NULL,            -- events removed (comments included)
    comments       INTEGER NOT NULL,
    last_event_id  INTEGER NOT NULL,            -- the newest event removed
    first_priority TEXT NOT NULL DEFAULT '',    -- the log's first priority (arrivals)
    clocks         TEXT NOT NULL DEFAULT '',    -- its SLA clocks as the log gave them (JSON)
    changed_at     INTEGER                      -- the case or the SLA policies changed after pruning
);
CREATE INDEX case_log_pruned_changed ON case_log_pruned (case_id) WHERE changed_at IS NOT NULL;
