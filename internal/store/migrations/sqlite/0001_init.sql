-- Times are Unix microseconds (UTC); NULL means not known.
CREATE TABLE alerts (
    id            INTEGER PRIMARY KEY,
    source        TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    title         TEXT NOT NULL DEFAULT '',
    description   TEXT NOT NULL DEFAULT '',
    severity      INTEGER NOT NULL DEFAULT 0,
    status        TEXT NOT NULL DEFAULT '',
    disposition   TEXT NOT NULL DEFAULT '',
    rule_id       TEXT NOT NULL DEFAULT '',
    rule_name     TEXT NOT NULL DEFAULT '',
    case_ext_id   TEXT NOT NULL DEFAULT '',
    case_id       INTEGER,
    occurred_at   INTEGER,
    created_at    INTEGER,
    ingested_at   INTEGER NOT NULL,
    entities      TEXT NOT NULL DEFAULT '',
    techniques    TEXT NOT NULL DEFAULT '',
    raw           TEXT NOT NULL DEFAULT '',
    UNIQUE (source, external_id)
);
CREATE INDEX alerts_created_at ON alerts (created_at);
CREATE INDEX alerts_case_ext ON alerts (source, case_ext_id) WHERE case_ext_id <> '';

CREATE TABLE alert_events (
    id        INTEGER PRIMARY KEY,
    alert_id  INTEGER NOT NULL REFERENCES alerts (id),
    at        INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    old       TEXT NOT NULL DEFAULT '',
    new       TEXT NOT NULL DEFAULT '',
    source    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alert_events_alert ON alert_events (alert_id);

CREATE TABLE cases (
    id              INTEGER PRIMARY KEY,
    source          TEXT NOT NULL,
    external_id     TEXT NOT NULL,
    title           TEXT NOT NULL DEFAULT '',
    description     TEXT NOT NULL DEFAULT '',
    priority        INTEGER NOT NULL DEFAULT 0,
    severity        INTEGER NOT NULL DEFAULT 0,
    status          TEXT NOT NULL DEFAULT '',
    stage           TEXT NOT NULL DEFAULT '',
    disposition     TEXT NOT NULL DEFAULT '',
    assignee        TEXT NOT NULL DEFAULT '',
    team            TEXT NOT NULL DEFAULT '',
    tags            TEXT NOT NULL DEFAULT '',
    occurred_at     INTEGER,
    created_at      INTEGER,
    updated_at      INTEGER,
    ingested_at     INTEGER NOT NULL,
    acknowledged_at INTEGER,
    contained_at    INTEGER,
    resolved_at     INTEGER,
    closed_at       INTEGER,
    reopen_count    INTEGER NOT NULL DEFAULT 0,
    version         INTEGER NOT NULL DEFAULT 0,
    last_event_at   INTEGER,
    attributes      TEXT NOT NULL DEFAULT '',
    raw             TEXT NOT NULL DEFAULT '',
    UNIQUE (source, external_id)
);
CREATE INDEX cases_created_at ON cases (created_at);

CREATE TABLE case_events (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    dedup_key   TEXT NOT NULL,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL,
    old         TEXT NOT NULL DEFAULT '',
    new         TEXT NOT NULL DEFAULT '',
    ingested_at INTEGER NOT NULL,
    UNIQUE (case_id, dedup_key)
);

CREATE TABLE analysts (
    id             INTEGER PRIMARY KEY,
    external_id    TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL DEFAULT '',
    email          TEXT NOT NULL DEFAULT '',
    tier           TEXT NOT NULL DEFAULT '',
    role           TEXT NOT NULL DEFAULT '',
    team           TEXT NOT NULL DEFAULT '',
    shift          TEXT NOT NULL DEFAULT '',
    skills         TEXT NOT NULL DEFAULT '',
    certifications TEXT NOT NULL DEFAULT '',
    active         INTEGER NOT NULL DEFAULT 1,
    hourly_cost    REAL NOT NULL DEFAULT 0
);

CREATE TABLE teams (
    name TEXT PRIMARY KEY,
    lead TEXT NOT NULL DEFAULT ''
);

CREATE TABLE shifts (
    name       TEXT PRIMARY KEY,
    start      TEXT NOT NULL,
    duration_s INTEGER NOT NULL,
    days       TEXT NOT NULL DEFAULT '',
    time_zone  TEXT NOT NULL DEFAULT ''
);

CREATE TABLE rules (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    severity    INTEGER NOT NULL DEFAULT 0,
    techniques  TEXT NOT NULL DEFAULT '',
    tactics     TEXT NOT NULL DEFAULT '',
    enabled     INTEGER NOT NULL DEFAULT 1,
    author      TEXT NOT NULL DEFAULT '',
    UNIQUE (source, external_id)
);

CREATE TABLE sla_policies (
    name           TEXT NOT NULL,
    version        INTEGER NOT NULL,
    effective_from INTEGER NOT NULL,
    targets        TEXT NOT NULL,
    pause_statuses TEXT NOT NULL DEFAULT '',
    calendar       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (name, version)
);

CREATE TABLE findings (
    id            INTEGER PRIMARY KEY,
    source        TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    class         TEXT NOT NULL,
    title         TEXT NOT NULL DEFAULT '',
    description   TEXT NOT NULL DEFAULT '',
    severity      INTEGER NOT NULL DEFAULT 0,
    status        TEXT NOT NULL DEFAULT '',
    category      TEXT NOT NULL DEFAULT '',
    resource_name TEXT NOT NULL DEFAULT '',
    resource_type TEXT NOT NULL DEFAULT '',
    remediation   TEXT NOT NULL DEFAULT '',
    cves          TEXT NOT NULL DEFAULT '',
    cvss          REAL NOT NULL DEFAULT 0,
    first_seen_at INTEGER,
    last_seen_at  INTEGER,
    created_at    INTEGER,
    ingested_at   INTEGER NOT NULL,
    raw           TEXT NOT NULL DEFAULT '',
    UNIQUE (source, external_id)
);
