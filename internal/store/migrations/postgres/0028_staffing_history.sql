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

CREATE FUNCTION case_facts_arrivals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.arr_at IS NOT NULL THEN
        INSERT INTO case_arrivals (quarter, priority, n) VALUES (OLD.arr_at / 900000000, OLD.arr_priority, -1)
            ON CONFLICT (quarter, priority) DO UPDATE SET n = case_arrivals.n - 1;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.arr_at IS NOT NULL THEN
        INSERT INTO case_arrivals (quarter, priority, n) VALUES (NEW.arr_at / 900000000, NEW.arr_priority, 1)
            ON CONFLICT (quarter, priority) DO UPDATE SET n = case_arrivals.n + 1;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER case_facts_arrivals_insert AFTER INSERT ON case_facts FOR EACH ROW
    WHEN (NEW.arr_at IS NOT NULL) EXECUTE FUNCTION case_facts_arrivals();
CREATE TRIGGER case_facts_arrivals_delete AFTER DELETE ON case_facts FOR EACH ROW
    WHEN (OLD.arr_at IS NOT NULL) EXECUTE FUNCTION case_facts_arrivals();
CREATE TRIGGER case_facts_arrivals_update AFTER UPDATE OF arr_at, arr_priority ON case_facts FOR EACH ROW
    WHEN (OLD.arr_at IS DISTINCT FROM NEW.arr_at OR OLD.arr_priority IS DISTINCT FROM NEW.arr_priority)
    EXECUTE FUNCTION case_facts_arrivals();

CREATE TABLE handle_hours (
    hour          BIGINT PRIMARY KEY,
    version       BIGINT NOT NULL DEFAULT 1,
    built_version BIGINT NOT NULL DEFAULT -1,
    data          BYTEA
);
INSERT INTO handle_hours (hour) SELECT DISTINCT resolved_at / 3600000000 FROM cases WHERE resolved_at IS NOT NULL;

-- mark_handle_hour bumps the version of the hour a resolution time falls in.
CREATE FUNCTION mark_handle_hour(resolved BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF resolved IS NOT NULL THEN
        INSERT INTO handle_hours (hour) VALUES (resolved / 3600000000)
            ON CONFLICT (hour) DO UPDATE SET version = handle_hours.version + 1;
    END IF;
END $$;
CREATE FUNCTION cases_handle_hours() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        PERFORM mark_handle_hour(OLD.resolved_at);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM mark_handle_hour(NEW.resolved_at);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER cases_handle_hours_insert AFTER INSERT ON cases FOR EACH ROW
    WHEN (NEW.resolved_at IS NOT NULL) EXECUTE FUNCTION cases_handle_hours();
CREATE TRIGGER cases_handle_hours_delete AFTER DELETE ON cases FOR EACH ROW
    WHEN (OLD.resolved_at IS NOT NULL) EXECUTE FUNCTION cases_handle_hours();
CREATE TRIGGER cases_handle_hours_update AFTER UPDATE OF resolved_at ON cases FOR EACH ROW
    WHEN (OLD.resolved_at IS DISTINCT FROM NEW.resolved_at) EXECUTE FUNCTION cases_handle_hours();
-- A change of a case's kept handle time or of its log's pruning marks the
-- hour the case is resolved in.
CREATE FUNCTION case_handle_hours() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    cid BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        cid := OLD.case_id;
    ELSE
        cid := NEW.case_id;
    END IF;
    PERFORM mark_handle_hour((SELECT c.resolved_at FROM cases c WHERE c.id = cid));
    RETURN NULL;
END $$;
CREATE TRIGGER case_facts_handle_hours_insert AFTER INSERT ON case_facts FOR EACH ROW EXECUTE FUNCTION case_handle_hours();
CREATE TRIGGER case_facts_handle_hours_delete AFTER DELETE ON case_facts FOR EACH ROW EXECUTE FUNCTION case_handle_hours();
CREATE TRIGGER case_facts_handle_hours_update AFTER UPDATE OF ht_gap, ht_pause, ht_created, ht_start, ht_active, ht_priority, ht_arrival
    ON case_facts FOR EACH ROW
    WHEN (OLD.ht_gap IS DISTINCT FROM NEW.ht_gap OR OLD.ht_pause IS DISTINCT FROM NEW.ht_pause
        OR OLD.ht_created IS DISTINCT FROM NEW.ht_created OR OLD.ht_start IS DISTINCT FROM NEW.ht_start
        OR OLD.ht_active IS DISTINCT FROM NEW.ht_active OR OLD.ht_priority IS DISTINCT FROM NEW.ht_priority
        OR OLD.ht_arrival IS DISTINCT FROM NEW.ht_arrival)
    EXECUTE FUNCTION case_handle_hours();
CREATE TRIGGER case_log_pruned_handle_hours_insert AFTER INSERT ON case_log_pruned FOR EACH ROW EXECUTE FUNCTION case_handle_hours();
CREATE TRIGGER case_log_pruned_handle_hours_delete AFTER DELETE ON case_log_pruned FOR EACH ROW EXECUTE FUNCTION case_handle_hours();
