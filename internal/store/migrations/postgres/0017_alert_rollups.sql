-- Alert rollups kept at ingest (issue 19): per local day (YYYYMMDD in the
-- organisation's time zone), per rule and rule name, what that day's alerts
-- add up to (counts by severity, disposition and technique list, case links,
-- MTTD bins and sum), encoded by store/alert_rollups.go. Every write to an
-- alert adds its change in the same transaction, so reports never scan raw
-- alerts. alert_rollups_rebuild holds a row while the rollups of alerts
-- stored before this migration have not been built from the rows yet.
CREATE TABLE alert_rollups (
    day       BIGINT NOT NULL,
    source    TEXT NOT NULL,
    rule_id   TEXT NOT NULL,
    rule_name TEXT NOT NULL,
    data      BYTEA NOT NULL,
    PRIMARY KEY (day, source, rule_id, rule_name)
);
CREATE TABLE alert_rollups_rebuild (
    pending INTEGER PRIMARY KEY
);
INSERT INTO alert_rollups_rebuild (pending) SELECT 1 WHERE EXISTS (SELECT 1 FROM alerts);
