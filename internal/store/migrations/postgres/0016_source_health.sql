-- Source health rollups (issue 21): per source and hour (Unix hours of the
-- alerts' created_at, UTC) the alerts created, how many were dispositioned
-- duplicate, how many were delivered again with a key already stored
-- (resent), the newest created_at, and a histogram of ingest lag
-- (ingested_at - created_at) in twelve buckets with upper bounds 15 s,
-- 30 s, 1 m, 2 m, 5 m, 10 m, 30 m, 1 h, 3 h, 12 h, 24 h and none (lag0 …
-- lag11; a negative lag from clock skew counts in lag0). Per source and
-- rule, source_rule_days holds the alert count of each hour of a UTC day
-- (h0 … h23: one row a day, so weeks of history are few rows to read), and
-- source_rules the first and last alert of each. All are kept by ingest, in the batch's transaction,
-- by adding each batch's counts, so health never scans the alerts.
-- Times are Unix microseconds (UTC).
CREATE TABLE source_hours (
    source     TEXT NOT NULL,
    hour       BIGINT NOT NULL,
    alerts     BIGINT NOT NULL DEFAULT 0,
    duplicates BIGINT NOT NULL DEFAULT 0,
    resent     BIGINT NOT NULL DEFAULT 0,
    last_at    BIGINT NOT NULL DEFAULT 0,
    lag0      BIGINT NOT NULL DEFAULT 0,
    lag1      BIGINT NOT NULL DEFAULT 0,
    lag2      BIGINT NOT NULL DEFAULT 0,
    lag3      BIGINT NOT NULL DEFAULT 0,
    lag4      BIGINT NOT NULL DEFAULT 0,
    lag5      BIGINT NOT NULL DEFAULT 0,
    lag6      BIGINT NOT NULL DEFAULT 0,
    lag7      BIGINT NOT NULL DEFAULT 0,
    lag8      BIGINT NOT NULL DEFAULT 0,
    lag9      BIGINT NOT NULL DEFAULT 0,
    lag10     BIGINT NOT NULL DEFAULT 0,
    lag11     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (source, hour)
);

CREATE TABLE source_rule_days (
    source  TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    day     BIGINT NOT NULL,
    h0   BIGINT NOT NULL DEFAULT 0,
    h1   BIGINT NOT NULL DEFAULT 0,
    h2   BIGINT NOT NULL DEFAULT 0,
    h3   BIGINT NOT NULL DEFAULT 0,
    h4   BIGINT NOT NULL DEFAULT 0,
    h5   BIGINT NOT NULL DEFAULT 0,
    h6   BIGINT NOT NULL DEFAULT 0,
    h7   BIGINT NOT NULL DEFAULT 0,
    h8   BIGINT NOT NULL DEFAULT 0,
    h9   BIGINT NOT NULL DEFAULT 0,
    h10  BIGINT NOT NULL DEFAULT 0,
    h11  BIGINT NOT NULL DEFAULT 0,
    h12  BIGINT NOT NULL DEFAULT 0,
    h13  BIGINT NOT NULL DEFAULT 0,
    h14  BIGINT NOT NULL DEFAULT 0,
    h15  BIGINT NOT NULL DEFAULT 0,
    h16  BIGINT NOT NULL DEFAULT 0,
    h17  BIGINT NOT NULL DEFAULT 0,
    h18  BIGINT NOT NULL DEFAULT 0,
    h19  BIGINT NOT NULL DEFAULT 0,
    h20  BIGINT NOT NULL DEFAULT 0,
    h21  BIGINT NOT NULL DEFAULT 0,
    h22  BIGINT NOT NULL DEFAULT 0,
    h23  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (source, rule_id, day)
);
CREATE INDEX source_rule_days_day ON source_rule_days (day);

CREATE TABLE source_rules (
    source   TEXT NOT NULL,
    rule_id  TEXT NOT NULL,
    first_at BIGINT NOT NULL,
    last_at  BIGINT NOT NULL,
    PRIMARY KEY (source, rule_id)
);

-- The alerts already stored.
INSERT INTO source_hours (source, hour, alerts, duplicates, resent, last_at, lag0, lag1, lag2, lag3, lag4, lag5, lag6, lag7, lag8, lag9, lag10, lag11)
SELECT source, created_at / 3600000000, COUNT(*), SUM(CASE WHEN disposition = 'duplicate' THEN 1 ELSE 0 END), 0, MAX(created_at),
    SUM(CASE WHEN (ingested_at - created_at) < 15000000 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (ingested_at - created_at) >= 15000000 AND (ingested_at - created_at) < 30000000 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (ingested_at - created_at) >= 30000000 AND (ingested_at - created_at) < 60000000 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (ingested_at - created_at) >= 60000000 AND (ingested_at - created_at) < 120000000 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (ingested_at - created_at) >= 120000000 AND (ingested_at - created_at) < 300000000 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (ingested_at - created_at) >= 300000000 AND (ingested_at - created_at) < 600000000 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (ingested_at - created_at) >= 600000000 AND (ingested_at - created_at) < 1800000000 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (ingested_at - created_at) >= 1800000000 AND (ingested_at - created_at) < 3600000000 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (ingested_at - created_at) >= 3600000000 AND (ingested_at - created_at) < 10800000000 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (ingested_at - created_at) >= 10800000000 AND (ingested_at - created_at) < 43200000000 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (ingested_at - created_at) >= 43200000000 AND (ingested_at - created_at) < 86400000000 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (ingested_at - created_at) >= 86400000000 THEN 1 ELSE 0 END)
FROM alerts WHERE created_at IS NOT NULL AND created_at >= 0
GROUP BY source, created_at / 3600000000;

INSERT INTO source_rule_days (source, rule_id, day, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9, h10, h11, h12, h13, h14, h15, h16, h17, h18, h19, h20, h21, h22, h23)
SELECT source, rule_id, created_at / 86400000000,
    SUM(CASE WHEN (created_at / 3600000000) % 24 = 0 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (created_at / 3600000000) % 24 = 1 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (created_at / 3600000000) % 24 = 2 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (created_at / 3600000000) % 24 = 3 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (created_at / 3600000000) % 24 = 4 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (created_at / 3600000000) % 24 = 5 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (created_at / 3600000000) % 24 = 6 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (created_at / 3600000000) % 24 = 7 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (created_at / 3600000000) % 24 = 8 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (created_at / 3600000000) % 24 = 9 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (created_at / 3600000000) % 24 = 10 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (created_at / 3600000000) % 24 = 11 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (created_at / 3600000000) % 24 = 12 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (created_at / 3600000000) % 24 = 13 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (created_at / 3600000000) % 24 = 14 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (created_at / 3600000000) % 24 = 15 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (created_at / 3600000000) % 24 = 16 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (created_at / 3600000000) % 24 = 17 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (created_at / 3600000000) % 24 = 18 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (created_at / 3600000000) % 24 = 19 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (created_at / 3600000000) % 24 = 20 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (created_at / 3600000000) % 24 = 21 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (created_at / 3600000000) % 24 = 22 THEN 1 ELSE 0 END),
    SUM(CASE WHEN (created_at / 3600000000) % 24 = 23 THEN 1 ELSE 0 END)
FROM alerts WHERE created_at IS NOT NULL AND created_at >= 0
GROUP BY source, rule_id, created_at / 86400000000;

INSERT INTO source_rules (source, rule_id, first_at, last_at)
SELECT source, rule_id, MIN(created_at), MAX(created_at)
FROM alerts WHERE created_at IS NOT NULL AND created_at >= 0
GROUP BY source, rule_id;
