package runbook

import (
	"encoding/json"
	"errors"
	"fmt"
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
