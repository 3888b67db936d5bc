-- Upkeep (issue 20). Cases without KPI facts — a store written before
-- case_facts existed (0002), or an ingest stopped between storing a case
-- and queueing it — are queued, so the next report computes them instead
-- of leaving them out of every KPI. Stores where every case has facts
-- are unchanged.
INSERT INTO facts_pending (case_id)
SELECT id FROM cases WHERE NOT EXISTS (SELECT 1 FROM case_facts f WHERE f.case_id = cases.id)
ON CONFLICT (case_id) DO NOTHING;
