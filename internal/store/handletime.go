package store

import (
	"context"
	"time"
)

// DayHandleTimes returns the handle time of each case created on a KPI day
// (YYYYMMDD in the organisation's time zone) and resolved after it was
// acknowledged, as WorkloadHandleTimes measures it (handle.Collector): the
// time actively worked in the sessions of the people who logged events on
// it, outside pause statuses. Cases still open, or closed straight from
// new, are left out. A case whose log retention pruned has the handle time
// measured when it was pruned (see PruneCaseLogs).
func (s *Store) DayHandleTimes(ctx context.Context, day int64, pauseStatuses []string, gap time.Duration) (map[int64]time.Duration, error) {
	hts, err := s.handleTimes(ctx, `SELECT e.case_id, e.at, e.actor, e.kind, e.new FROM case_events e
		WHERE e.case_id IN (SELECT case_id FROM case_facts WHERE day = ? AND resolve_at IS NOT NULL)
		AND e.case_id NOT IN (SELECT case_id FROM case_log_pruned)
		ORDER BY e.case_id, e.at, e.id`, []any{day}, pauseStatuses, gap)
	if err != nil {
		return nil, err
	}
	kept, err := s.keptHandleTimes(ctx, `SELECT p.handle FROM case_log_pruned p JOIN case_facts f ON f.case_id = p.case_id
		WHERE f.day = ? AND f.resolve_at IS NOT NULL AND p.handle <> ''`, day)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]time.Duration, len(hts)+len(kept))
	for _, ht := range append(hts, kept...) {
		out[ht.CaseID] = ht.Active
	}
	return out, nil
}
