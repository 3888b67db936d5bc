-- Threat intelligence: indicators from feeds with the normalised keys they
-- match by, what feeds say about adversaries (threat objects and the
-- relationships between them), the matches of indicators in alerts, the
-- scheduled feeds with their incremental cursors, and change counters.
-- Times are Unix microseconds (UTC); NULL means not known.
CREATE TABLE intel_indicators (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    type        TEXT NOT NULL DEFAULT '',
    value       TEXT NOT NULL DEFAULT '',
    pattern     TEXT NOT NULL DEFAULT '',
    name        TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    labels      TEXT NOT NULL DEFAULT '',
    confidence  INTEGER NOT NULL DEFAULT -1,
    tlp         TEXT NOT NULL DEFAULT '',
    valid_from  INTEGER,
    valid_until INTEGER,
    revoked     INTEGER NOT NULL DEFAULT 0,
    detect      INTEGER NOT NULL DEFAULT 1,
    first_seen  INTEGER,
    last_seen   INTEGER,
    modified    INTEGER,
    ingested_at INTEGER NOT NULL,
    changed_at  INTEGER NOT NULL,
    -- The intel_meta "indicator_seq" of the write that added the indicator
    -- or changed what it matches; a retro-hunt covers every seq up to the
    -- "hunted_seq" it records.
    seq         INTEGER NOT NULL DEFAULT 0,
    digest      TEXT NOT NULL DEFAULT '',
    raw         TEXT NOT NULL DEFAULT '',
    UNIQUE (source, external_id)
);
CREATE INDEX intel_indicators_seq ON intel_indicators (seq);
CREATE INDEX intel_indicators_changed ON intel_indicators (changed_at);

CREATE TABLE intel_indicator_keys (
    indicator_id INTEGER NOT NULL REFERENCES intel_indicators (id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    PRIMARY KEY (indicator_id, key)
);
CREATE INDEX intel_indicator_keys_key ON intel_indicator_keys (key);

CREATE TABLE intel_threats (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    aliases     TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    country     TEXT NOT NULL DEFAULT '',
    victims     TEXT NOT NULL DEFAULT '',
    sectors     TEXT NOT NULL DEFAULT '',
    motivation  TEXT NOT NULL DEFAULT '',
    attack_ids  TEXT NOT NULL DEFAULT '',
    techniques  TEXT NOT NULL DEFAULT '',
    refs        TEXT NOT NULL DEFAULT '',
    first_seen  INTEGER,
    last_seen   INTEGER,
    modified    INTEGER,
    revoked     INTEGER NOT NULL DEFAULT 0,
    ingested_at INTEGER NOT NULL,
    digest      TEXT NOT NULL DEFAULT '',
    UNIQUE (source, external_id)
);
CREATE INDEX intel_threats_external ON intel_threats (external_id);

CREATE TABLE intel_relations (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    type        TEXT NOT NULL,
    from_ref    TEXT NOT NULL,
    to_ref      TEXT NOT NULL,
    modified    INTEGER,
    revoked     INTEGER NOT NULL DEFAULT 0,
    digest      TEXT NOT NULL DEFAULT '',
    UNIQUE (source, external_id)
);
CREATE INDEX intel_relations_from ON intel_relations (from_ref);

-- One row per indicator, alert and matched key: the alert's entity value
-- as it carried it, the hosts and users beside it, the activity's first
-- and last time, and how many of the alert's entities carried it.
CREATE TABLE intel_matches (
    id              INTEGER PRIMARY KEY,
    indicator_id    INTEGER NOT NULL REFERENCES intel_indicators (id) ON DELETE CASCADE,
    alert_id        INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    key             TEXT NOT NULL,
    observable      TEXT NOT NULL DEFAULT '',
    observable_type TEXT NOT NULL DEFAULT '',
    assets          TEXT NOT NULL DEFAULT '',
    first_seen      INTEGER,
    last_seen       INTEGER,
    count           INTEGER NOT NULL DEFAULT 1,
    matched_at      INTEGER NOT NULL,
    via             TEXT NOT NULL DEFAULT '',
    UNIQUE (indicator_id, alert_id, key)
);
CREATE INDEX intel_matches_last_seen ON intel_matches (last_seen);
CREATE INDEX intel_matches_alert ON intel_matches (alert_id);

CREATE TABLE intel_feeds (
    name         TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    url          TEXT NOT NULL,
    collection   TEXT NOT NULL DEFAULT '',
    auth         TEXT NOT NULL DEFAULT '',
    username     TEXT NOT NULL DEFAULT '',
    secret_env   TEXT NOT NULL DEFAULT '',
    interval_s   INTEGER NOT NULL,
    enabled      INTEGER NOT NULL DEFAULT 1,
    next_run     INTEGER,
    last_attempt INTEGER,
    last_success INTEGER,
    last_error   TEXT NOT NULL DEFAULT '',
    failures     INTEGER NOT NULL DEFAULT 0,
    last_records INTEGER NOT NULL DEFAULT 0,
    last_rejects INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
);

-- Where an incremental pull resumes: per source, per item (a TAXII
-- collection's added_after, a MISP event's timestamp).
CREATE TABLE intel_cursors (
    source     TEXT NOT NULL,
    item       TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (source, item)
);

CREATE TABLE intel_meta (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
