-- The detection rule of a case's earliest alert, so case KPIs and analyst
-- time can be grouped by rule.
ALTER TABLE case_facts ADD COLUMN rule TEXT NOT NULL DEFAULT '';
-- Facts computed before this column existed are computed again ("WHERE
-- true" keeps SQLite from reading ON CONFLICT as part of the SELECT).
INSERT INTO facts_pending (case_id) SELECT case_id FROM case_facts WHERE true ON CONFLICT (case_id) DO NOTHING;
