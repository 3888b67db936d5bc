package runbook

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// Run outcomes.
const (
	OutcomeCompleted  = "completed"
	OutcomeFailed     = "failed"
	OutcomeAborted    = "aborted"
	OutcomeEscalated  = "escalated"
	OutcomeInProgress = "in_progress"
)

// Outcomes lists the outcomes in report order.
var Outcomes = []string{OutcomeCompleted, OutcomeEscalated, OutcomeAborted, OutcomeFailed, OutcomeInProgress}

// Step statuses. A step of a finished run that no record completed,
// failed or skipped counts as skipped; in a run still in progress it is
// pending, in an aborted run not reached.
const (
	StepCompleted = "completed"
	StepFailed    = "failed"
	StepSkipped   = "skipped"
	StepPending   = "pending"
	// StepUnknown is a recorded step whose status says neither (started,
	// running …) and that the version does not have.
	StepUnknown = "unknown"
	// StepNotReached is a step no record names in an aborted run: the run
	// stopped before it.
	StepNotReached = "not_reached"
)

// Event is a runbook event of a case log, with what derivation needs of
// its case.
type Event struct {
	ID       int64     `json:"id"`
	CaseID   int64     `json:"case_id"`
	Case     string    `json:"case"` // source/external id
	CaseDone bool      `json:"case_done"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor,omitempty"`
	Source   string    `json:"source"`
	// New is the event's value: a model.RunbookExecution in JSON.
	New string `json:"new"`
}

// Execution is one run of a runbook on a case, derived from its events.
type Execution struct {
	CaseID int64  `json:"case_id"`
	Case   string `json:"case"`
	// Runbook is the registry id, or the name as recorded when no
	// registered runbook has it (Registered false).
	Runbook    string `json:"runbook"`
	Registered bool   `json:"registered"`
	Title      string `json:"title,omitempty"`
	// Version is the registry version the run is measured against: the
	// one recorded, else the one in force when it started
	// (VersionInferred); a run before the first sync is measured against
	// version 1 (BeforeFirstSync).
	Version         int       `json:"version,omitempty"`
	VersionInferred bool      `json:"version_inferred,omitempty"`
	BeforeFirstSync bool      `json:"before_first_sync,omitempty"`
	Run             string    `json:"run,omitempty"`
	Source          string    `json:"source"`
	Analysts        []string  `json:"analysts"`
	StartedAt       time.Time `json:"started_at"`
	FinishedAt      time.Time `json:"finished_at"`
	Outcome         string    `json:"outcome"`
	// StepDetail is true when the records name steps of the version, so
	// completed and skipped steps can be counted.
	StepDetail bool         `json:"step_detail"`
	Steps      []StepResult `json:"steps"`
	Completed  int          `json:"steps_completed"`
	Failed     int          `json:"steps_failed"`
	Skipped    int          `json:"steps_skipped"`
	Events     []int64      `json:"event_ids"`
}

// Duration is how long a finished run took (zero while in progress).
func (x *Execution) Duration() time.Duration {
	if x.Outcome == OutcomeInProgress || x.FinishedAt.Before(x.StartedAt) {
		return 0
	}
	return x.FinishedAt.Sub(x.StartedAt)
}

// StepResult is what happened to one step in a run. Key is empty for a
// recorded step the version does not have.
type StepResult struct {
	Key    string    `json:"key,omitempty"`
	Title  string    `json:"title"`
	Status string    `json:"status"`
	At     time.Time `json:"at,omitzero"`
}

// normStatus maps a recorded status onto the step statuses; "" when it
// says neither (started, running …).
func normStatus(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "completed", "complete", "done", "success", "succeeded", "ok", "passed":
		return StepCompleted
	case "failed", "failure", "error", "errored":
		return StepFailed
	case "skipped", "skip", "cancel", "cancelled", "canceled", "not_applicable", "n/a":
		return StepSkipped
	}
	return ""
}

// normOutcome maps a recorded outcome; "" when unknown.
func normOutcome(s string) string {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case OutcomeCompleted, OutcomeFailed, OutcomeAborted, OutcomeEscalated:
		return v
	case "success", "succeeded", "done", "resolved":
		return OutcomeCompleted
	case "cancelled", "canceled", "abandoned", "stopped":
		return OutcomeAborted
	case "handed_over", "handover":
		return OutcomeEscalated
	}
	return ""
}

// Unreadable is a runbook event whose value is not an execution record.
type Unreadable struct {
	EventID int64  `json:"event_id"`
	Case    string `json:"case"`
	Reason  string `json:"reason"`
}

// Derive groups runbook events into executions. Events must be ordered
// by case, then time, then id (as the store returns them). Events whose
// value is not an execution record are returned apart.
func Derive(reg *Registry, events []Event) ([]Execution, []Unreadable) {
	type group struct {
		recs []model.RunbookExecution
		evs  []*Event
	}
	var order []string
	groups := map[string]*group{}
	var bad []Unreadable
	for i := range events {
		e := &events[i]
		rec, err := model.ParseRunbookExecution(e.New)
		if err != nil {
			bad = append(bad, Unreadable{EventID: e.ID, Case: e.Case, Reason: err.Error()})
			continue
		}
		if strings.TrimSpace(rec.Runbook) == "" {
			bad = append(bad, Unreadable{EventID: e.ID, Case: e.Case, Reason: "the record names no runbook"})
			continue
		}
		key := strconv.FormatInt(e.CaseID, 10) + "\x00"
		if rec.Run != "" {
			name := strings.ToLower(strings.TrimSpace(rec.Runbook))
			if en := reg.Lookup(rec.Runbook); en != nil {
				name = en.ID
			}
			key += name + "\x00" + rec.Run
		} else {
			key += "\x00#" + strconv.FormatInt(e.ID, 10) + "/" + strconv.Itoa(i)
		}
		g := groups[key]
		if g == nil {
			g = &group{}
			groups[key] = g
			order = append(order, key)
		}
		g.recs = append(g.recs, rec)
		g.evs = append(g.evs, e)
	}
	out := make([]Execution, 0, len(order))
	for _, k := range order {
		g := groups[k]
		out = append(out, build(reg, g.recs, g.evs))
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].StartedAt.Equal(out[j].StartedAt) {
			return out[i].StartedAt.Before(out[j].StartedAt)
		}
		return out[i].CaseID < out[j].CaseID
	})
	return out, bad
}

// build makes one execution from its records (in log order).
func build(reg *Registry, recs []model.RunbookExecution, evs []*Event) Execution {
	first := evs[0]
	x := Execution{CaseID: first.CaseID, Case: first.Case, Runbook: strings.TrimSpace(recs[0].Runbook), Run: recs[0].Run,
		Source: first.Source, Analysts: []string{}, Steps: []StepResult{}}
	seen := map[string]bool{}
	recorded := 0
	outcome := ""
	for i, r := range recs {
		e := evs[i]
		x.Events = append(x.Events, e.ID)
		if a := strings.TrimSpace(e.Actor); a != "" && !seen[a] {
			seen[a] = true
			x.Analysts = append(x.Analysts, a)
		}
		start, end := r.StartedAt, r.FinishedAt
		if start.IsZero() {
			start = e.At
		}
		if end.IsZero() {
			end = e.At
		}
		if x.StartedAt.IsZero() || start.Before(x.StartedAt) {
			x.StartedAt = start.UTC()
		}
		if end.After(x.FinishedAt) {
			x.FinishedAt = end.UTC()
		}
		if r.Version > 0 {
			recorded = r.Version
		}
		if o := normOutcome(r.Outcome); o != "" {
			outcome = o
		}
	}
	en := reg.Lookup(x.Runbook)
	var ver *Version
	if en != nil {
		x.Runbook, x.Registered = en.ID, true
		if ver = en.Version(recorded); ver == nil {
			ver, x.BeforeFirstSync = en.At(x.StartedAt)
			x.VersionInferred = true
		}
		x.Version, x.Title = ver.Version, ver.Doc.Title
	}

	// Final status of each step: the last record naming it.
	type stepState struct {
		status string
		at     time.Time
	}
	var steps []Step
	if ver != nil {
		steps = ver.Doc.Steps()
	}
	final := map[string]*stepState{}
	var extra []StepResult
	extraIdx := map[string]int{}
	for i, r := range recs {
		name := strings.TrimSpace(r.Step)
		st := normStatus(r.Status)
		if name == "" {
			continue
		}
		at := evs[i].At
		if !r.FinishedAt.IsZero() {
			at = r.FinishedAt.UTC()
		}
		if k := matchStep(steps, name); k != "" {
			x.StepDetail = true
			if st != "" {
				final[k] = &stepState{st, at}
			}
			continue
		}
		if j, ok := extraIdx[name]; ok {
			if st != "" {
				extra[j].Status, extra[j].At = st, at
			}
			continue
		}
		extraIdx[name] = len(extra)
		extra = append(extra, StepResult{Title: name, Status: st, At: at})
	}

	ended := outcome != ""
	anyFailed := false
	if x.StepDetail {
		all := true
		for _, s := range steps {
			fs := final[s.Key]
			if fs == nil {
				all = false
			} else if fs.status == StepFailed {
				anyFailed = true
			}
		}
		ended = ended || all
	}
	if !ended && len(recs) == 1 && recs[0].Run == "" {
		// One record without a run id is a whole run: its status is how it ended.
		switch normStatus(recs[0].Status) {
		case StepCompleted:
			outcome, ended = OutcomeCompleted, true
		case StepFailed:
			outcome, ended = OutcomeFailed, true
		case StepSkipped:
			outcome, ended = OutcomeAborted, true
		}
	}
	for _, s := range extra {
		anyFailed = anyFailed || s.Status == StepFailed
	}
	if !ended && first.CaseDone {
		ended = true
	}
	switch {
	case outcome != "":
	case !ended:
		outcome = OutcomeInProgress
	case anyFailed:
		outcome = OutcomeFailed
	default:
		outcome = OutcomeCompleted
	}
	x.Outcome = outcome

	if x.StepDetail {
		for _, s := range steps {
			sr := StepResult{Key: s.Key, Title: s.Title}
			if fs := final[s.Key]; fs != nil {
				sr.Status, sr.At = fs.status, fs.at
			} else if outcome == OutcomeInProgress {
				sr.Status = StepPending
			} else if outcome == OutcomeAborted {
				sr.Status = StepNotReached
			} else {
				sr.Status = StepSkipped
			}
			x.Steps = append(x.Steps, sr)
		}
	}
	for _, s := range extra {
		if s.Status == "" {
			s.Status = StepUnknown
		}
		x.Steps = append(x.Steps, s)
	}
	for _, s := range x.Steps {
		switch s.Status {
		case StepCompleted:
			x.Completed++
		case StepFailed:
			x.Failed++
		case StepSkipped:
			x.Skipped++
		}
	}
	return x
}

// matchStep finds the step a record names: by key ("2.3"), else by title
// ignoring case.
func matchStep(steps []Step, name string) string {
	for _, s := range steps {
		if s.Key == name {
			return s.Key
		}
	}
	for _, s := range steps {
		if strings.EqualFold(s.Title, name) {
			return s.Key
		}
	}
	return ""
}

// Newest returns the runs that started in [from, to) (a zero bound does not
// limit) of the runbook id ("": every runbook), newest first.
func Newest(execs []Execution, from, to time.Time, id string) []Execution {
	var out []Execution
	for _, x := range execs {
		if (id == "" || x.Runbook == id) && (from.IsZero() || !x.StartedAt.Before(from)) && (to.IsZero() || x.StartedAt.Before(to)) {
			out = append(out, x)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartedAt.After(out[j].StartedAt) })
	return out
}
