package runbook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// Record is an execution to record on a case through the CLI, the API or
// MCP: which runbook, which steps were completed, skipped or failed, and
// how it ended.
type Record struct {
	// Runbook is a registered runbook's id, path, title or alias.
	Runbook string `json:"runbook"`
	// Version is the version run; 0 means the current one.
	Version int `json:"version,omitempty"`
	// Run names the execution, so later records can add to it; required.
	Run        string    `json:"run"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// Completed, Skipped and Failed name steps by key ("2.3") or title.
	Completed []string `json:"completed,omitempty"`
	Skipped   []string `json:"skipped,omitempty"`
	Failed    []string `json:"failed,omitempty"`
	// Outcome ends the run: completed, failed, aborted or escalated; empty
	// leaves it in progress.
	Outcome string `json:"outcome,omitempty"`
}

// Records checks r against the registry and returns the execution records
// to append to the case log, one per step named (the first carrying the
// start, the last the finish and the outcome). The runbook and its
// version resolve to an id and a number.
func (r Record) Records(reg *Registry) ([]model.RunbookExecution, error) {
	e := reg.Lookup(r.Runbook)
	if e == nil {
		return nil, fmt.Errorf("runbook %q is not in the registry (sync its folder first; list them with runbooks list)", r.Runbook)
	}
	ver := e.Current()
	if r.Version != 0 {
		if ver = e.Version(r.Version); ver == nil {
			return nil, fmt.Errorf("runbook %s has no version %d (it has 1 to %d)", e.ID, r.Version, len(e.Versions))
		}
	}
	run := strings.TrimSpace(r.Run)
	if run == "" || len(run) > 100 {
		return nil, errors.New("run: name the execution (1 to 100 characters), so later records add to it")
	}
	outcome := ""
	if strings.TrimSpace(r.Outcome) != "" {
		if outcome = normOutcome(r.Outcome); outcome == "" || outcome != strings.ToLower(strings.TrimSpace(r.Outcome)) {
			return nil, fmt.Errorf("outcome %q: want completed, failed, aborted or escalated (or none while in progress)", r.Outcome)
		}
	}
	if !r.StartedAt.IsZero() && !r.FinishedAt.IsZero() && r.FinishedAt.Before(r.StartedAt) {
		return nil, fmt.Errorf("finished_at %s is before started_at %s", r.FinishedAt.Format(time.RFC3339), r.StartedAt.Format(time.RFC3339))
	}
	steps := ver.Doc.Steps()
	var out []model.RunbookExecution
	seen := map[string]string{}
	for _, g := range []struct {
		status string
		names  []string
	}{{StepCompleted, r.Completed}, {StepSkipped, r.Skipped}, {StepFailed, r.Failed}} {
		for _, n := range g.names {
			k := matchStep(steps, strings.TrimSpace(n))
			if k == "" {
				return nil, fmt.Errorf("step %q is not a step of %s version %d (steps are keyed 1.1, 1.2 …; see runbooks show %s)", n, e.ID, ver.Version, e.ID)
			}
			if prev, dup := seen[k]; dup {
				return nil, fmt.Errorf("step %s is named twice (%s and %s)", k, prev, g.status)
			}
			seen[k] = g.status
			out = append(out, model.RunbookExecution{Runbook: e.ID, Version: ver.Version, Run: run, Step: k, Status: g.status})
		}
	}
	if len(out) == 0 {
		if outcome == "" {
			return nil, errors.New("nothing to record: name completed, skipped or failed steps, or an outcome")
		}
		out = append(out, model.RunbookExecution{Runbook: e.ID, Version: ver.Version, Run: run, Status: outcome})
	}
	out[0].StartedAt = r.StartedAt.UTC()
	last := &out[len(out)-1]
	last.FinishedAt, last.Outcome = r.FinishedAt.UTC(), outcome
	if r.StartedAt.IsZero() {
		out[0].StartedAt = time.Time{}
	}
	if r.FinishedAt.IsZero() {
		last.FinishedAt = time.Time{}
	}
	return out, nil
}

// Events turns the records into case events for the case with id caseID,
// dated at (the finish, else now), by actor from source. key makes the
// events' external ids unique ("key:0", "key:1" …); pass a fresh random
// key per recording.
func (r Record) Events(reg *Registry, caseID int64, at time.Time, actor, source, key string) ([]model.CaseEvent, error) {
	recs, err := r.Records(reg)
	if err != nil {
		return nil, err
	}
	if !r.FinishedAt.IsZero() {
		at = r.FinishedAt
	}
	out := make([]model.CaseEvent, 0, len(recs))
	for i, rec := range recs {
		b, err := json.Marshal(rec)
		if err != nil {
			return nil, fmt.Errorf("encoding execution record: %w", err)
		}
		out = append(out, model.CaseEvent{CaseID: caseID, ExternalID: fmt.Sprintf("%s:%d", key, i), At: at.UTC(), Actor: actor,
			Source: source, Kind: model.EventRunbook, New: string(b)})
	}
	return out, nil
}

// Recorder is what recording a run needs from the store.
type Recorder interface {
	RunbookEntries(ctx context.Context) ([]*Entry, error)
	// AppendCaseEvents appends events to a case's log and returns the ids
	// of those written.
	AppendCaseEvents(ctx context.Context, caseID int64, evs []model.CaseEvent) ([]int64, error)
	CaseEvents(ctx context.Context, caseID int64) ([]model.CaseEvent, error)
}

// RecordRun checks r against the registry, appends its events to the
// case's log (dated now unless r has a finish, by actor from source, with
// external ids made from key) and returns the run as derived from the log
// afterwards, with the ids of the events written.
func RecordRun(ctx context.Context, st Recorder, c model.Case, r Record, actor, source, key string, now time.Time) (Execution, []int64, error) {
	entries, err := st.RunbookEntries(ctx)
	if err != nil {
		return Execution{}, nil, err
	}
	reg := NewRegistry(entries)
	evs, err := r.Events(reg, c.ID, now, actor, source, key)
	if err != nil {
		return Execution{}, nil, err
	}
	ids, err := st.AppendCaseEvents(ctx, c.ID, evs)
	if err != nil {
		return Execution{}, nil, err
	}
	log, err := st.CaseEvents(ctx, c.ID)
	if err != nil {
		return Execution{}, ids, err
	}
	id := reg.Lookup(r.Runbook).ID
	for _, x := range CaseRuns(reg, c, log) {
		if x.Runbook == id && x.Run == strings.TrimSpace(r.Run) {
			return x, ids, nil
		}
	}
	return Execution{}, ids, fmt.Errorf("run %s of %s is not in the log of case %d after recording it", r.Run, id, c.ID)
}

// CaseRuns derives the runbook runs of one case from its log.
func CaseRuns(reg *Registry, c model.Case, log []model.CaseEvent) []Execution {
	var evs []Event
	for _, e := range log {
		if e.Kind == model.EventRunbook {
			evs = append(evs, Event{ID: e.ID, CaseID: c.ID, Case: c.Source + "/" + c.ExternalID, CaseDone: c.Stage.Done(),
				At: e.At, Actor: e.Actor, Source: e.Source, New: e.New})
		}
	}
	sort.SliceStable(evs, func(i, j int) bool {
		if !evs[i].At.Equal(evs[j].At) {
			return evs[i].At.Before(evs[j].At)
		}
		return evs[i].ID < evs[j].ID
	})
	execs, _ := Derive(reg, evs)
	return execs
}
