package runbook

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// TheHiveTask is a TheHive 5 task as its API returns it (the fields of
// thehive4py's OutputTask this package reads). A case's tasks, created from
// its case template, are the steps of a runbook run.
type TheHiveTask struct {
	ID        string `json:"_id"`
	Type      string `json:"_type"`
	CreatedAt int64  `json:"_createdAt"`
	UpdatedAt int64  `json:"_updatedAt"`
	Title     string `json:"title"`
	Group     string `json:"group"`
	Status    string `json:"status"` // Waiting, InProgress, Completed, Cancel
	StartDate int64  `json:"startDate"`
	EndDate   int64  `json:"endDate"`
	Assignee  string `json:"assignee"`
	Order     int    `json:"order"`
}

// TheHiveSource is the source of the runbook events made from TheHive
// tasks.
const TheHiveSource = "thehive"

// ParseTheHiveTasks reads TheHive tasks: a JSON array, one object, or
// NDJSON. A task that is not one (no _id, another _type, no title, an
// unknown status) is an error naming its position; the others are
// returned.
func ParseTheHiveTasks(r io.Reader) ([]TheHiveTask, []error) {
	data, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return nil, []error{fmt.Errorf("reading tasks: %w", err)}
	}
	var raws []json.RawMessage
	var where []string
	trim := bytes.TrimSpace(data)
	switch {
	case len(trim) > 0 && trim[0] == '[':
		if err := json.Unmarshal(trim, &raws); err != nil {
			return nil, []error{fmt.Errorf("tasks: not a JSON array: %w", err)}
		}
		for i := range raws {
			where = append(where, fmt.Sprintf("$[%d]", i))
		}
	default:
		sc := bufio.NewScanner(bytes.NewReader(trim))
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for n := 1; sc.Scan(); n++ {
			if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
				raws = append(raws, append(json.RawMessage(nil), line...))
				where = append(where, fmt.Sprintf("line %d", n))
			}
		}
		if err := sc.Err(); err != nil {
			return nil, []error{fmt.Errorf("tasks: %w", err)}
		}
	}
	var out []TheHiveTask
	var errs []error
	for i, raw := range raws {
		var t TheHiveTask
		if err := json.Unmarshal(raw, &t); err != nil {
			errs = append(errs, fmt.Errorf("%s: not a task: %w", where[i], err))
			continue
		}
		switch {
		case t.ID == "":
			errs = append(errs, fmt.Errorf("%s: the task has no _id", where[i]))
		case t.Type != "" && !strings.EqualFold(t.Type, "Task"):
			errs = append(errs, fmt.Errorf("%s: _type %q is not a task", where[i], t.Type))
		case strings.TrimSpace(t.Title) == "":
			errs = append(errs, fmt.Errorf("%s: task %s has no title", where[i], t.ID))
		case taskStatus(t.Status) == "?":
			errs = append(errs, fmt.Errorf("%s: task %s: status %q is not Waiting, InProgress, Completed or Cancel", where[i], t.ID, t.Status))
		default:
			out = append(out, t)
		}
	}
	return out, errs
}

// taskStatus maps a task's status to a step status: "" for a task started
// but not done, "-" for one not started, "?" for an unknown status.
func taskStatus(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "completed":
		return StepCompleted
	case "cancel", "cancelled", "canceled":
		return StepSkipped
	case "inprogress":
		return ""
	case "waiting":
		return "-"
	}
	return "?"
}

func millis(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// TheHiveEvents turns one case's tasks into runbook events of one run of
// a runbook (its case template): a task completed or cancelled is a step
// completed or skipped, dated by its end; a task in progress is a record
// of the step started; a task waiting makes none. The step is the task's
// title, matched to the runbook's steps by title when the run is derived.
// Event ids carry the task id and its status, so importing the same tasks
// again adds nothing and a task that moved on adds one event.
func TheHiveEvents(tasks []TheHiveTask, caseID int64, runbookID, run string) []model.CaseEvent {
	var out []model.CaseEvent
	for _, t := range tasks {
		st := taskStatus(t.Status)
		if st == "-" || st == "?" {
			continue
		}
		start, end := millis(t.StartDate), millis(t.EndDate)
		at := end
		if st == "" || at.IsZero() {
			at = start
		}
		if at.IsZero() {
			at = millis(t.UpdatedAt)
		}
		if at.IsZero() {
			at = millis(t.CreatedAt)
		}
		if at.IsZero() {
			continue // nothing dates it
		}
		rec := model.RunbookExecution{Runbook: runbookID, Run: run, Step: strings.TrimSpace(t.Title), Status: st, StartedAt: start}
		if st != "" {
			rec.FinishedAt = at
		}
		if !rec.StartedAt.IsZero() && rec.StartedAt.After(at) {
			rec.StartedAt = at
		}
		b, _ := json.Marshal(rec)
		out = append(out, model.CaseEvent{CaseID: caseID, ExternalID: "thehive:task:" + t.ID + ":" + strings.ToLower(t.Status),
			At: at, Actor: t.Assignee, Source: TheHiveSource, Kind: model.EventRunbook, New: string(b)})
	}
	return out
}
