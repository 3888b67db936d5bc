-- The runbook registry (package runbook): every runbook with its current
-- version, each version's parsed document (JSON, with the Markdown body),
-- and a record of every sync. Executions are not stored here: they are the
-- runbook events of the case logs, read through the partial index below.
CREATE TABLE runbooks (
    id         TEXT PRIMARY KEY,
    source     TEXT NOT NULL,
    path       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    hash       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    removed_at INTEGER
);
CREATE TABLE runbook_versions (
    runbook_id TEXT NOT NULL REFERENCES runbooks (id),
    version    INTEGER NOT NULL,
    hash       TEXT NOT NULL,
    path       TEXT NOT NULL,
    synced_at  INTEGER NOT NULL,
    sync_id    INTEGER NOT NULL,
    doc        TEXT NOT NULL,
    PRIMARY KEY (runbook_id, version)
);
CREATE TABLE runbook_syncs (
    id       INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,
    source   TEXT NOT NULL,
    files    INTEGER NOT NULL,
    changes  TEXT NOT NULL,
    problems TEXT NOT NULL,
    broken   TEXT NOT NULL
);
CREATE INDEX case_events_runbook ON case_events (at) WHERE kind = 'runbook';

-- Certifications held by analysts (by external id), with their dates, for
-- team development (package training). Analysts' own certification lists
-- carry no dates; these rows add them.
CREATE TABLE analyst_certifications (
    analyst    TEXT NOT NULL,
    name       TEXT NOT NULL,
    issued_at  INTEGER,
    expires_at INTEGER,
    source     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (analyst, name)
);
