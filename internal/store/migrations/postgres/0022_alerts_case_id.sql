-- Alerts of one case, newest first (MCP list_alerts case_id, keyset on
-- id): without it the case filter walks the whole table by id.
CREATE INDEX alerts_case_id ON alerts (case_id, id) WHERE case_id IS NOT NULL;
