-- The cases the KPIs count, by rule and day: the runbook report's per-rule
-- case counts (Store.RuleCaseCounts) walk it in rule order instead of
-- sorting a quarter's facts, and its facts of a few rules
-- (Store.RuleFacts) are looked up instead of scanned.
CREATE INDEX case_facts_rule_day ON case_facts (rule, day) WHERE excluded = 0;
