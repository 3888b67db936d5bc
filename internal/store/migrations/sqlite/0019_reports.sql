-- Reports (package report): each generated report is kept as its JSON
-- document, from which every format (Markdown, HTML, PDF) is rendered
-- again on request; report schedules say what serve generates and sends,
-- when (a cron-like spec in the organisation's time zone) and to which
-- notification channels. next_run is claimed with a compare-and-set, so
-- one replica runs each occurrence.
CREATE TABLE reports (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    period       TEXT NOT NULL,
    from_day     TEXT NOT NULL,
    to_day       TEXT NOT NULL,
    generated_at INTEGER NOT NULL,
    generated_by TEXT NOT NULL,
    schedule     TEXT NOT NULL DEFAULT '',
    doc          TEXT NOT NULL
);
CREATE INDEX reports_generated ON reports (generated_at);

CREATE TABLE report_schedules (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    period      TEXT NOT NULL,
    spec        TEXT NOT NULL,
    channels    TEXT NOT NULL DEFAULT '',
    recipients  TEXT NOT NULL DEFAULT '',
    next_run    INTEGER NOT NULL,
    last_run    INTEGER NOT NULL DEFAULT 0,
    last_report INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
