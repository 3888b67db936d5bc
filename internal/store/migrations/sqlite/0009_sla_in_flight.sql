-- Breaches in flight: a running SLA clock keeps the instants it turns at
-- risk and overdue, so a report judges it at its own "now" (package sla,
-- Judge). alerted says whether the case has linked alerts, so a case
-- without any is not credited to an alert whose rule id is empty.
ALTER TABLE case_facts ADD COLUMN ack_risk_from INTEGER;
ALTER TABLE case_facts ADD COLUMN ack_overdue_from INTEGER;
ALTER TABLE case_facts ADD COLUMN resolve_risk_from INTEGER;
ALTER TABLE case_facts ADD COLUMN resolve_overdue_from INTEGER;
ALTER TABLE case_facts ADD COLUMN alerted INTEGER NOT NULL DEFAULT 0;
-- SLA policy versions are never edited; a version is disabled instead
-- (watchfloor sla disable), which keeps it for the record and leaves it out
-- of the timeline that judges clocks.
ALTER TABLE sla_policies ADD COLUMN disabled_at INTEGER;
ALTER TABLE sla_policies ADD COLUMN disabled_by TEXT NOT NULL DEFAULT '';
ALTER TABLE sla_policies ADD COLUMN disabled_reason TEXT NOT NULL DEFAULT '';
-- Facts computed before these columns existed are computed again ("WHERE
-- true" keeps SQLite from reading ON CONFLICT as part of the SELECT).
INSERT INTO facts_pending (case_id) SELECT case_id FROM case_facts WHERE true ON CONFLICT (case_id) DO NOTHING;
