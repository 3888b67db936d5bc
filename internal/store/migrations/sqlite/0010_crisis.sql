-- Major incidents (package crisis): each incident's state is the replay of
-- its append-only event log; the incident row keeps what lists show and
-- serialises writers. Times are Unix microseconds (UTC).
CREATE TABLE crisis_incidents (
    id          INTEGER PRIMARY KEY,
    ext_key     TEXT,                 -- optional unique key of the declaring system (the demo)
    title       TEXT NOT NULL,
    severity    TEXT NOT NULL,
    status      TEXT NOT NULL,
    commander   TEXT NOT NULL DEFAULT '',
    declared_at INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    closed_at   INTEGER,
    last_seq    INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX crisis_incidents_key ON crisis_incidents (ext_key) WHERE ext_key IS NOT NULL;

CREATE TABLE crisis_events (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES crisis_incidents (id),
    seq         INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    source      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    data        TEXT NOT NULL,
    UNIQUE (incident_id, seq)
);
CREATE INDEX crisis_events_kind ON crisis_events (kind);

CREATE TABLE crisis_incident_cases (
    incident_id INTEGER NOT NULL REFERENCES crisis_incidents (id),
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    PRIMARY KEY (incident_id, case_id)
);
CREATE INDEX crisis_incident_cases_case ON crisis_incident_cases (case_id);

-- Loaded hourly cost per tier as in force from effective_from, so an
-- incident's cost is not restated when the budget changes.
CREATE TABLE crisis_rates (
    id             INTEGER PRIMARY KEY,
    effective_from INTEGER NOT NULL,
    currency       TEXT NOT NULL DEFAULT '',
    rates          TEXT NOT NULL,
    sources        TEXT NOT NULL DEFAULT ''
);

-- Outbound messages (package notify): e-mail and webhooks, with every
-- attempt's outcome; retrying rows wait for next_attempt_at.
CREATE TABLE notify_deliveries (
    id              INTEGER PRIMARY KEY,
    created_at      INTEGER NOT NULL,
    channel         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    recipients      TEXT NOT NULL DEFAULT '',
    ref             TEXT NOT NULL DEFAULT '',
    event           TEXT NOT NULL DEFAULT '',
    subject         TEXT NOT NULL DEFAULT '',
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    last_attempt_at INTEGER,
    next_attempt_at INTEGER,
    sent_at         INTEGER
);
CREATE INDEX notify_deliveries_due ON notify_deliveries (status, next_attempt_at);
CREATE INDEX notify_deliveries_ref ON notify_deliveries (ref);
