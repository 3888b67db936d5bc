-- The staffing model's case history kept beside the case facts (issue 19),
-- so a plan reads a few rows per hour of history instead of one per case.
--
-- case_arrivals counts the case facts' arrivals (arr_at, arr_priority) by UTC
-- quarter hour of arr_at and priority: what WorkloadCaseArrivals counts.
-- Triggers follow every insert, change and delete of case facts.
--
-- handle_hours holds, per UTC hour of cases.resolved_at, the handle-time
-- summary of the cases resolved in it (store/handlehours.go: counts by
-- measurement, priority, active time, arrival priority and acknowledgement
-- delay), built from the rows when first read and kept while its version is
-- the one it was built at (built_version). Triggers bump the version of an
-- hour whenever what it summarises may change: a case resolved into or out
-- of it, a change of a kept handle time of a case resolved in it, and a case
-- log pruned or unpruned (a pruned case's kept handle time answers whatever
-- was asked). An hour with no row has never had a resolved case.
CREATE TABLE case_arrivals (
    quarter  BIGINT NOT NULL,
    priority INTEGER NOT NULL,
    n        BIGINT NOT NULL,
    PRIMARY KEY (quarter, priority)
);
INSERT INTO case_arrivals (quarter, priority, n)
    SELECT arr_at / 900000000, arr_priority, COUNT(*) FROM case_facts WHERE arr_at IS NOT NULL GROUP BY 1, 2;

CREATE TRIGGER case_facts_arrivals_insert AFTER INSERT ON case_facts WHEN NEW.arr_at IS NOT NULL BEGIN
    INSERT INTO case_arrivals (quarter, priority, n) VALUES (NEW.arr_at / 900000000, NEW.arr_priority, 1)
        ON CONFLICT (quarter, priority) DO UPDATE SET n = case_arrivals.n + 1;
END;
CREATE TRIGGER case_facts_arrivals_delete AFTER DELETE ON case_facts WHEN OLD.arr_at IS NOT NULL BEGIN
    INSERT INTO case_arrivals (quarter, priority, n) VALUES (OLD.arr_at / 900000000, OLD.arr_priority, -1)
        ON CONFLICT (quarter, priority) DO UPDATE SET n = case_arrivals.n - 1;
END;
CREATE TRIGGER case_facts_arrivals_update AFTER UPDATE OF arr_at, arr_priority ON case_facts
    WHEN OLD.arr_at IS NOT NEW.arr_at OR OLD.arr_priority IS NOT NEW.arr_priority BEGIN
    INSERT INTO case_arrivals (quarter, priority, n) SELECT OLD.arr_at / 900000000, OLD.arr_priority, -1 WHERE OLD.arr_at IS NOT NULL
        ON CONFLICT (quarter, priority) DO UPDATE SET n = case_arrivals.n - 1;
    INSERT INTO case_arrivals (quarter, priority, n) SELECT NEW.arr_at / 900000000, NEW.arr_priority, 1 WHERE NEW.arr_at IS NOT NULL
        ON CONFLICT (quarter, priority) DO UPDATE SET n = case_arrivals.n + 1;
END;

CREATE TABLE handle_hours (
    hour          INTEGER PRIMARY KEY,
    version       INTEGER NOT NULL DEFAULT 1,
    built_version INTEGER NOT NULL DEFAULT -1,
    data          BLOB
);
INSERT INTO handle_hours (hour) SELECT DISTINCT resolved_at / 3600000000 FROM cases WHERE resolved_at IS NOT NULL;

CREATE TRIGGER cases_handle_hours_insert AFTER INSERT ON cases WHEN NEW.resolved_at IS NOT NULL BEGIN
    INSERT INTO handle_hours (hour) VALUES (NEW.resolved_at / 3600000000)
        ON CONFLICT (hour) DO UPDATE SET version = handle_hours.version + 1;
END;
CREATE TRIGGER cases_handle_hours_delete AFTER DELETE ON cases WHEN OLD.resolved_at IS NOT NULL BEGIN
    INSERT INTO handle_hours (hour) VALUES (OLD.resolved_at / 3600000000)
        ON CONFLICT (hour) DO UPDATE SET version = handle_hours.version + 1;
END;
CREATE TRIGGER cases_handle_hours_update AFTER UPDATE OF resolved_at ON cases WHEN OLD.resolved_at IS NOT NEW.resolved_at BEGIN
    INSERT INTO handle_hours (hour) SELECT OLD.resolved_at / 3600000000 WHERE OLD.resolved_at IS NOT NULL
        ON CONFLICT (hour) DO UPDATE SET version = handle_hours.version + 1;
    INSERT INTO handle_hours (hour) SELECT NEW.resolved_at / 3600000000 WHERE NEW.resolved_at IS NOT NULL
        ON CONFLICT (hour) DO UPDATE SET version = handle_hours.version + 1;
END;
CREATE TRIGGER case_facts_handle_hours_insert AFTER INSERT ON case_facts BEGIN
    INSERT INTO handle_hours (hour) SELECT resolved_at / 3600000000 FROM cases WHERE id = NEW.case_id AND resolved_at IS NOT NULL
        ON CONFLICT (hour) DO UPDATE SET version = handle_hours.version + 1;
END;
CREATE TRIGGER case_facts_handle_hours_delete AFTER DELETE ON case_facts BEGIN
    INSERT INTO handle_hours (hour) SELECT resolved_at / 3600000000 FROM cases WHERE id = OLD.case_id AND resolved_at IS NOT NULL
        ON CONFLICT (hour) DO UPDATE SET version = handle_hours.version + 1;
END;
CREATE TRIGGER case_facts_handle_hours_update AFTER UPDATE OF ht_gap, ht_pause, ht_created, ht_start, ht_active, ht_priority, ht_arrival ON case_facts
    WHEN OLD.ht_gap IS NOT NEW.ht_gap OR OLD.ht_pause IS NOT NEW.ht_pause OR OLD.ht_created IS NOT NEW.ht_created
        OR OLD.ht_start IS NOT NEW.ht_start OR OLD.ht_active IS NOT NEW.ht_active OR OLD.ht_priority IS NOT NEW.ht_priority
        OR OLD.ht_arrival IS NOT NEW.ht_arrival BEGIN
    INSERT INTO handle_hours (hour) SELECT resolved_at / 3600000000 FROM cases WHERE id = NEW.case_id AND resolved_at IS NOT NULL
        ON CONFLICT (hour) DO UPDATE SET version = handle_hours.version + 1;
END;
CREATE TRIGGER case_log_pruned_handle_hours_insert AFTER INSERT ON case_log_pruned BEGIN
    INSERT INTO handle_hours (hour) SELECT resolved_at / 3600000000 FROM cases WHERE id = NEW.case_id AND resolved_at IS NOT NULL
        ON CONFLICT (hour) DO UPDATE SET version = handle_hours.version + 1;
END;
CREATE TRIGGER case_log_pruned_handle_hours_delete AFTER DELETE ON case_log_pruned BEGIN
    INSERT INTO handle_hours (hour) SELECT resolved_at / 3600000000 FROM cases WHERE id = OLD.case_id AND resolved_at IS NOT NULL
        ON CONFLICT (hour) DO UPDATE SET version = handle_hours.version + 1;
END;
