package model

import "sort"

// StageKey names the stage events of one case at one time (Unix
// microseconds): a status change dated where a stage event already stands
// implies no second one.
type StageKey struct {
	CaseID int64
	At     int64
}

// StageKeys is a set of StageKeys.
type StageKeys map[StageKey]bool

func stageKey(e *CaseEvent) StageKey { return StageKey{e.CaseID, e.At.UnixMicro()} }

// DeriveStages returns a case's new events in time order, each status event
// followed by the stage event it implies when no stage event is dated at
// that time and the stage changes. A status change that keeps the stage
// (Active to Awaiting User Info, say) derives nothing; nor does a status the
// map does not know.
//
// stored is the case's stored projection, nil when the case is replayed
// from its whole log anyway. When the new events all follow the stored
// log, the stage in force comes from the projection. When some are older,
// the whole log (read by log, in replay order) is walked with them: a late
// event can change what a stored status event implies (a late "resolved"
// before a stored status "Active" makes that status a reopen), so stored
// status events get their missing stage events too.
//
// given holds the stage events the batch names explicitly, for every case;
// it is only read.
func (m StatusMap) DeriveStages(caseID int64, evs []CaseEvent, stored *CaseState, log func() ([]CaseEvent, error), given StageKeys) ([]CaseEvent, error) {
	for i := range evs {
		evs[i].CaseID = caseID
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].At.Before(evs[j].At) })
	if stored != nil && (len(evs) == 0 || !evs[0].At.Before(stored.LastEventAt)) {
		return m.deriveFrom(stored.Stage, evs, evs, given, nil), nil
	}
	old, err := log()
	if err != nil {
		return nil, err
	}
	// This case's stored stage events go in a set of their own, beside the
	// batch's: copying the batch's set for every case made a batch
	// quadratic (5,000 cases with 25,000 stage events: 1M cases took 37
	// minutes to store). They are collected before the log is sorted with
	// the new events, which must not reorder the stored slice.
	own := StageKeys{}
	for i := range old {
		if old[i].Kind == EventStage {
			own[StageKey{caseID, old[i].At.UnixMicro()}] = true
		}
	}
	// Stored events first at equal times: they were there before.
	all := make([]CaseEvent, 0, len(old)+len(evs))
	all = append(append(all, old...), evs...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].At.Before(all[j].At) })
	for i := range all {
		all[i].CaseID = caseID
	}
	return m.deriveFrom("", all, evs, given, own), nil
}

// deriveFrom walks events in time order from a starting stage and returns
// out (the events to write) with the stage events that status changes
// imply where no stage event is dated at the same time in given or own;
// the derived ones are added to own (made when nil).
func (m StatusMap) deriveFrom(running Stage, walk, out []CaseEvent, given, own StageKeys) []CaseEvent {
	res := make([]CaseEvent, 0, len(out)+len(out)/2)
	res = append(res, out...)
	for _, e := range walk {
		switch e.Kind {
		case EventCreated:
			if running == "" {
				running = StageNew // as the projection does
			}
		case EventStage:
			running = Stage(e.New)
		case EventStatus:
			st, ok := m.Stage(e.New)
			k := stageKey(&e)
			if !ok || st == running || own[k] || given[k] {
				continue
			}
			res = append(res, derivedStage(e, running, st))
			if own == nil {
				own = StageKeys{}
			}
			own[k] = true
			running = st
		}
	}
	sort.SliceStable(res, func(i, j int) bool { return res[i].At.Before(res[j].At) })
	return res
}

// derivedStage is the stage event a status event implies: same time, actor
// and source; its external id, when the status event has one, is that id
// with "/stage" appended.
func derivedStage(status CaseEvent, from, to Stage) CaseEvent {
	d := status
	d.ID, d.Kind, d.Old, d.New = 0, EventStage, string(from), string(to)
	d.ExternalID = ""
	if status.ExternalID != "" {
		d.ExternalID = status.ExternalID + "/stage"
	}
	return d
}
