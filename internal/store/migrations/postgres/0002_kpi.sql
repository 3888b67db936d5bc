-- Organisation settings, such as the time zone KPIs bucket days in.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- What each case contributes to the KPIs (package kpi), kept current by
-- ingest. day is the created date in the organisation's time zone as
-- YYYYMMDD (0 when the case has no creation time).
CREATE TABLE case_facts (
    case_id         BIGINT PRIMARY KEY REFERENCES cases (id),
    day             BIGINT NOT NULL,
    source          TEXT NOT NULL,
    team            TEXT NOT NULL,
    analyst         TEXT NOT NULL,
    priority        BIGINT NOT NULL,
    disposition     TEXT NOT NULL,
    excluded        BIGINT NOT NULL,
    created_at      BIGINT,
    occurred_at     BIGINT,
    ack_at          BIGINT,
    contain_at      BIGINT,
    resolve_at      BIGINT,
    last_close_at   BIGINT,
    ack_imputed     BIGINT NOT NULL,
    contain_imputed BIGINT NOT NULL,
    done            BIGINT NOT NULL,
    reopens         BIGINT NOT NULL,
    escalated       BIGINT NOT NULL,
    sla_ack         TEXT NOT NULL,
    sla_resolve     TEXT NOT NULL,
    clamped         BIGINT NOT NULL
);
CREATE INDEX case_facts_day ON case_facts (day);

-- Per-day aggregates the metrics engine builds and reuses. Ingest bumps
-- version when a day's data changes; a row whose built_version differs is
-- rebuilt on the next read.
CREATE TABLE rollup_days (
    kind          TEXT NOT NULL,
    day           BIGINT NOT NULL,
    version       BIGINT NOT NULL,
    built_version BIGINT NOT NULL DEFAULT -1,
    data          TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (kind, day)
);

-- Open work is what the dashboard reads on every refresh.
CREATE INDEX cases_open ON cases (stage, priority) WHERE stage NOT IN ('resolved', 'closed');
