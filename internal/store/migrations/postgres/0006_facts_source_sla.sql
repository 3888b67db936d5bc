-- The source system's own SLA verdict (ServiceNow's made_sla), reported
-- beside Watchfloor's; existing facts are computed again ("WHERE true" keeps
-- SQLite from reading ON CONFLICT as part of the SELECT).
ALTER TABLE case_facts ADD COLUMN source_sla TEXT NOT NULL DEFAULT '';
INSERT INTO facts_pending (case_id) SELECT case_id FROM case_facts WHERE true ON CONFLICT (case_id) DO NOTHING;
