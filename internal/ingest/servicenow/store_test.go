package servicenow

import (
	"cmp"
	"slices"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/model"
)

// fakeStore applies records the way internal/store does: records go in
// batches, and within a batch all cases are written before all events. A
// case's first snapshot is inserted with the events model.SnapshotEvents
// synthesises; a later one is ignored unless newer (by Version, or by
// UpdatedAt without one) and is otherwise diffed against the stored
// projection, which for a case inserted in the same batch is still empty.
// Events are deduplicated per case on ExternalID, and projections are
// refolded from the log (by time, then insertion order) at the end of each
// batch.
type fakeStore struct {
	batch int // records per batch
	cases map[string]*fakeCase
	// diffs counts events produced by snapshots of known cases; ignored
	// counts snapshots dropped as not newer.
	diffs, ignored int
}

type fakeCase struct {
	snap    model.Case // latest applied snapshot
	version int64
	updated time.Time
	proj    model.CaseState
	log     []model.CaseEvent
	ids     map[string]bool
}

func newFakeStore(batch int) *fakeStore {
	return &fakeStore{batch: batch, cases: make(map[string]*fakeCase)}
}

func (s *fakeStore) add(recs []record.Record) {
	for len(recs) > 0 {
		n := min(s.batch, len(recs))
		s.apply(recs[:n])
		recs = recs[n:]
	}
}

func (s *fakeStore) apply(batch []record.Record) {
	touched := map[*fakeCase]bool{}
	for _, r := range batch {
		if r.Case != nil {
			touched[s.addCase(r.Case)] = true
		}
	}
	for _, r := range batch {
		if r.Event != nil {
			if fc := s.addEvent(r.Event); fc != nil {
				touched[fc] = true
			}
		}
	}
	for fc := range touched {
		fc.proj = fc.fold()
	}
}

func (s *fakeStore) addCase(c *model.Case) *fakeCase {
	fc, ok := s.cases[c.ExternalID]
	if !ok {
		fc = &fakeCase{ids: make(map[string]bool), proj: model.CaseState{Title: c.Title}}
		s.cases[c.ExternalID] = fc
		fc.log = append(fc.log, model.SnapshotEvents(nil, c, model.DefaultStatusMap, c.UpdatedAt)...)
	} else {
		if (c.Version > 0 && c.Version <= fc.version) ||
			(c.Version == 0 && (!c.UpdatedAt.After(fc.updated) || !c.UpdatedAt.After(fc.proj.LastEventAt))) {
			s.ignored++
			return fc
		}
		diff := model.SnapshotEvents(&fc.proj, c, model.DefaultStatusMap, c.UpdatedAt)
		s.diffs += len(diff)
		fc.log = append(fc.log, diff...)
	}
	fc.snap, fc.version, fc.updated = *c, c.Version, c.UpdatedAt
	return fc
}

func (s *fakeStore) addEvent(e *model.CaseEvent) *fakeCase {
	fc := s.cases[e.CaseExternalID]
	if fc == nil || fc.ids[e.ExternalID] {
		return nil
	}
	fc.ids[e.ExternalID] = true
	fc.log = append(fc.log, *e)
	return fc
}

// fold replays the log by time, then insertion order.
func (fc *fakeCase) fold() model.CaseState {
	log := slices.Clone(fc.log)
	slices.SortStableFunc(log, func(a, b model.CaseEvent) int { return cmp.Compare(a.At.UnixNano(), b.At.UnixNano()) })
	var st model.CaseState
	for _, e := range log {
		st.Apply(e)
	}
	return st
}
