-- Counters and the data version kept in the write transactions (issue 19).
-- table_rows holds the row count of every data table (store.Tables) and
-- alert_source_rows the alerts of each source, so `status` reads a few rows
-- instead of counting millions. Ingest adds the alerts, cases and case events
-- it inserts (store/counts.go, in Go: a trigger per row costs a quarter of a
-- minimal insert); triggers add every other insert and every delete, whatever
-- code path makes it.
-- alert_arrivals counts alerts by UTC quarter hour of created_at and by
-- severity, for the staffing model's arrival history: ingest adds new alerts,
-- triggers follow changed times or severities and deletes. A trigger may run
-- before its transaction's ingest counts are added, so it upserts: a row can
-- pass through a negative count and rest at 0; readers skip zero rows.
-- data_version is bumped by every write transaction that changes data, so
-- servers (several replicas on PostgreSQL) know when what they keep is stale.
CREATE TABLE table_rows (
    name TEXT PRIMARY KEY,
    n    BIGINT NOT NULL
);
CREATE TABLE alert_source_rows (
    source TEXT PRIMARY KEY,
    n      BIGINT NOT NULL
);
CREATE TABLE alert_arrivals (
    quarter  BIGINT NOT NULL,
    severity INTEGER NOT NULL,
    n        BIGINT NOT NULL,
    PRIMARY KEY (quarter, severity)
);
-- The first priority in a case's log, the staffing model's priority of a case
-- arrival, is one seek per case here instead of a sort of its whole log.
CREATE INDEX case_events_priority ON case_events (case_id, at, id) WHERE kind = 'priority';
CREATE TABLE data_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO data_version (id, version) VALUES (1, 1);
INSERT INTO table_rows (name, n) SELECT 'alerts', COUNT(*) FROM alerts;
INSERT INTO table_rows (name, n) SELECT 'alert_events', COUNT(*) FROM alert_events;
INSERT INTO table_rows (name, n) SELECT 'cases', COUNT(*) FROM cases;
INSERT INTO table_rows (name, n) SELECT 'case_events', COUNT(*) FROM case_events;
INSERT INTO table_rows (name, n) SELECT 'analysts', COUNT(*) FROM analysts;
INSERT INTO table_rows (name, n) SELECT 'teams', COUNT(*) FROM teams;
INSERT INTO table_rows (name, n) SELECT 'shifts', COUNT(*) FROM shifts;
INSERT INTO table_rows (name, n) SELECT 'rules', COUNT(*) FROM rules;
INSERT INTO table_rows (name, n) SELECT 'sla_policies', COUNT(*) FROM sla_policies;
INSERT INTO table_rows (name, n) SELECT 'findings', COUNT(*) FROM findings;
INSERT INTO table_rows (name, n) SELECT 'intel_indicators', COUNT(*) FROM intel_indicators;
INSERT INTO table_rows (name, n) SELECT 'intel_indicator_keys', COUNT(*) FROM intel_indicator_keys;
INSERT INTO table_rows (name, n) SELECT 'intel_threats', COUNT(*) FROM intel_threats;
INSERT INTO table_rows (name, n) SELECT 'intel_relations', COUNT(*) FROM intel_relations;
INSERT INTO table_rows (name, n) SELECT 'intel_matches', COUNT(*) FROM intel_matches;
INSERT INTO alert_source_rows (source, n) SELECT source, COUNT(*) FROM alerts GROUP BY source;
INSERT INTO alert_arrivals (quarter, severity, n)
    SELECT created_at / 900000000, severity, COUNT(*) FROM alerts WHERE created_at IS NOT NULL GROUP BY 1, 2;
CREATE TRIGGER alert_events_rows_insert AFTER INSERT ON alert_events BEGIN
    UPDATE table_rows SET n = n + 1 WHERE name = 'alert_events';
END;
CREATE TRIGGER analysts_rows_insert AFTER INSERT ON analysts BEGIN
    UPDATE table_rows SET n = n + 1 WHERE name = 'analysts';
END;
CREATE TRIGGER teams_rows_insert AFTER INSERT ON teams BEGIN
    UPDATE table_rows SET n = n + 1 WHERE name = 'teams';
END;
CREATE TRIGGER shifts_rows_insert AFTER INSERT ON shifts BEGIN
    UPDATE table_rows SET n = n + 1 WHERE name = 'shifts';
END;
CREATE TRIGGER rules_rows_insert AFTER INSERT ON rules BEGIN
    UPDATE table_rows SET n = n + 1 WHERE name = 'rules';
END;
CREATE TRIGGER sla_policies_rows_insert AFTER INSERT ON sla_policies BEGIN
    UPDATE table_rows SET n = n + 1 WHERE name = 'sla_policies';
END;
CREATE TRIGGER findings_rows_insert AFTER INSERT ON findings BEGIN
    UPDATE table_rows SET n = n + 1 WHERE name = 'findings';
END;
CREATE TRIGGER intel_indicators_rows_insert AFTER INSERT ON intel_indicators BEGIN
    UPDATE table_rows SET n = n + 1 WHERE name = 'intel_indicators';
END;
CREATE TRIGGER intel_indicator_keys_rows_insert AFTER INSERT ON intel_indicator_keys BEGIN
    UPDATE table_rows SET n = n + 1 WHERE name = 'intel_indicator_keys';
END;
CREATE TRIGGER intel_threats_rows_insert AFTER INSERT ON intel_threats BEGIN
    UPDATE table_rows SET n = n + 1 WHERE name = 'intel_threats';
END;
CREATE TRIGGER intel_relations_rows_insert AFTER INSERT ON intel_relations BEGIN
    UPDATE table_rows SET n = n + 1 WHERE name = 'intel_relations';
END;
CREATE TRIGGER intel_matches_rows_insert AFTER INSERT ON intel_matches BEGIN
    UPDATE table_rows SET n = n + 1 WHERE name = 'intel_matches';
END;
CREATE TRIGGER alerts_rows_delete AFTER DELETE ON alerts BEGIN
    UPDATE table_rows SET n = n - 1 WHERE name = 'alerts';
    INSERT INTO alert_source_rows (source, n) VALUES (OLD.source, -1) ON CONFLICT (source) DO UPDATE SET n = n - 1;
    INSERT INTO alert_arrivals (quarter, severity, n) SELECT OLD.created_at / 900000000, OLD.severity, -1 WHERE OLD.created_at IS NOT NULL
        ON CONFLICT (quarter, severity) DO UPDATE SET n = n - 1;
END;
CREATE TRIGGER alert_events_rows_delete AFTER DELETE ON alert_events BEGIN
    UPDATE table_rows SET n = n - 1 WHERE name = 'alert_events';
END;
CREATE TRIGGER cases_rows_delete AFTER DELETE ON cases BEGIN
    UPDATE table_rows SET n = n - 1 WHERE name = 'cases';
END;
CREATE TRIGGER case_events_rows_delete AFTER DELETE ON case_events BEGIN
    UPDATE table_rows SET n = n - 1 WHERE name = 'case_events';
END;
CREATE TRIGGER analysts_rows_delete AFTER DELETE ON analysts BEGIN
    UPDATE table_rows SET n = n - 1 WHERE name = 'analysts';
END;
CREATE TRIGGER teams_rows_delete AFTER DELETE ON teams BEGIN
    UPDATE table_rows SET n = n - 1 WHERE name = 'teams';
END;
CREATE TRIGGER shifts_rows_delete AFTER DELETE ON shifts BEGIN
    UPDATE table_rows SET n = n - 1 WHERE name = 'shifts';
END;
CREATE TRIGGER rules_rows_delete AFTER DELETE ON rules BEGIN
    UPDATE table_rows SET n = n - 1 WHERE name = 'rules';
END;
CREATE TRIGGER sla_policies_rows_delete AFTER DELETE ON sla_policies BEGIN
    UPDATE table_rows SET n = n - 1 WHERE name = 'sla_policies';
END;
CREATE TRIGGER findings_rows_delete AFTER DELETE ON findings BEGIN
    UPDATE table_rows SET n = n - 1 WHERE name = 'findings';
END;
CREATE TRIGGER intel_indicators_rows_delete AFTER DELETE ON intel_indicators BEGIN
    UPDATE table_rows SET n = n - 1 WHERE name = 'intel_indicators';
END;
CREATE TRIGGER intel_indicator_keys_rows_delete AFTER DELETE ON intel_indicator_keys BEGIN
    UPDATE table_rows SET n = n - 1 WHERE name = 'intel_indicator_keys';
END;
CREATE TRIGGER intel_threats_rows_delete AFTER DELETE ON intel_threats BEGIN
    UPDATE table_rows SET n = n - 1 WHERE name = 'intel_threats';
END;
CREATE TRIGGER intel_relations_rows_delete AFTER DELETE ON intel_relations BEGIN
    UPDATE table_rows SET n = n - 1 WHERE name = 'intel_relations';
END;
CREATE TRIGGER intel_matches_rows_delete AFTER DELETE ON intel_matches BEGIN
    UPDATE table_rows SET n = n - 1 WHERE name = 'intel_matches';
END;
CREATE TRIGGER alerts_arrival_update AFTER UPDATE OF created_at, severity ON alerts
    WHEN OLD.created_at IS NOT NEW.created_at OR OLD.severity IS NOT NEW.severity BEGIN
    INSERT INTO alert_arrivals (quarter, severity, n) SELECT OLD.created_at / 900000000, OLD.severity, -1 WHERE OLD.created_at IS NOT NULL
        ON CONFLICT (quarter, severity) DO UPDATE SET n = n - 1;
    INSERT INTO alert_arrivals (quarter, severity, n) SELECT NEW.created_at / 900000000, NEW.severity, 1 WHERE NEW.created_at IS NOT NULL
        ON CONFLICT (quarter, severity) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER alerts_source_update AFTER UPDATE OF source ON alerts WHEN OLD.source IS NOT NEW.source BEGIN
    INSERT INTO alert_source_rows (source, n) VALUES (OLD.source, -1) ON CONFLICT (source) DO UPDATE SET n = n - 1;
    INSERT INTO alert_source_rows (source, n) VALUES (NEW.source, 1) ON CONFLICT (source) DO UPDATE SET n = n + 1;
END;
