-- Cases whose events changed since their facts were computed. Ingest adds
-- to it; RefreshFacts (run at the end of an ingest and before every
-- report) empties it, so a case touched by many batches is computed once.
CREATE TABLE facts_pending (
    case_id BIGINT PRIMARY KEY
);
