-- Detection coverage (package coverage) and the SOC roadmap (package
-- roadmap). Rules sent with alerts keep their lifecycle status, data
-- sources and platforms; detection content imported from Sigma, Splunk
-- ESCU or native files is kept apart from them (detection_rules) and
-- linked to the rules seen in alerts by id or title when read. Coverage
-- snapshots and saved roadmaps are dated JSON documents.
ALTER TABLE rules ADD COLUMN status TEXT NOT NULL DEFAULT '';
ALTER TABLE rules ADD COLUMN data_sources TEXT NOT NULL DEFAULT '';
ALTER TABLE rules ADD COLUMN platforms TEXT NOT NULL DEFAULT '';

CREATE TABLE detection_rules (
    id           INTEGER PRIMARY KEY,
    format       TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    title        TEXT NOT NULL DEFAULT '',
    description  TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT '',
    level        INTEGER NOT NULL DEFAULT 0,
    techniques   TEXT NOT NULL DEFAULT '',
    tactics      TEXT NOT NULL DEFAULT '',
    data_sources TEXT NOT NULL DEFAULT '',
    platforms    TEXT NOT NULL DEFAULT '',
    author       TEXT NOT NULL DEFAULT '',
    path         TEXT NOT NULL DEFAULT '',
    hash         TEXT NOT NULL DEFAULT '',
    imported_at  INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (format, external_id)
);

CREATE TABLE coverage_snapshots (
    id       INTEGER PRIMARY KEY,
    taken_at INTEGER NOT NULL,
    span     TEXT NOT NULL,
    doc      TEXT NOT NULL
);

CREATE TABLE roadmaps (
    id         INTEGER PRIMARY KEY,
    created_at INTEGER NOT NULL,
    horizon    TEXT NOT NULL,
    doc        TEXT NOT NULL
);
