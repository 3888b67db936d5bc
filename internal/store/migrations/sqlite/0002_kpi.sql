-- Organisation settings, such as the time zone KPIs bucket days in.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- What each case contributes to the KPIs (package kpi), kept current by
-- ingest. day is the created date in the organisation's time zone as
-- YYYYMMDD (0 when the case has no creation time).
CREATE TABLE case_facts (
    case_id         INTEGER PRIMARY KEY REFERENCES cases (id),
    day             INTEGER NOT NULL,
    source          TEXT NOT NULL,
    team            TEXT NOT NULL,
    analyst         TEXT NOT NULL,
    priority        INTEGER NOT NULL,
    disposition     TEXT NOT NULL,
    excluded        INTEGER NOT NULL,
    created_at      INTEGER,
    occurred_at     INTEGER,
    ack_at          INTEGER,
    contain_at      INTEGER,
    resolve_at      INTEGER,
    last_close_at   INTEGER,
    ack_imputed     INTEGER NOT NULL,
    contain_imputed INTEGER NOT NULL,
    done            INTEGER NOT NULL,
    reopens         INTEGER NOT NULL,
    escalated       INTEGER NOT NULL,
    sla_ack         TEXT NOT NULL,
    sla_resolve     TEXT NOT NULL,
    clamped         INTEGER NOT NULL
);
CREATE INDEX case_facts_day ON case_facts (day);

-- Per-day aggregates the metrics engine builds and reuses. Ingest bumps
-- version when a day's data changes; a row whose built_version differs is
-- rebuilt on the next read.
CREATE TABLE rollup_days (
    kind          TEXT NOT NULL,
    day           INTEGER NOT NULL,
    version       INTEGER NOT NULL,
    built_version INTEGER NOT NULL DEFAULT -1,
    data          TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (kind, day)
);

-- Open work is what the dashboard reads on every refresh.
CREATE INDEX cases_open ON cases (stage, priority) WHERE stage NOT IN ('resolved', 'closed');
