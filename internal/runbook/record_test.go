package runbook

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

func TestRecordRecords(t *testing.T) {
	reg := fixtureRegistry(t)
	start, end := at(1, time.Hour), at(1, 2*time.Hour)
	got, err := Record{Runbook: "X response", Run: "r1", StartedAt: start, FinishedAt: end,
		Completed: []string{"1.1", "contain"}, Skipped: []string{"Enrich"}, Outcome: "completed"}.Records(reg)
	if err != nil {
		t.Fatal(err)
	}
	want := []model.RunbookExecution{
		{Runbook: "irps/x", Version: 2, Run: "r1", Step: "1.1", Status: "completed", StartedAt: start},
		{Runbook: "irps/x", Version: 2, Run: "r1", Step: "2.1", Status: "completed"},
		{Runbook: "irps/x", Version: 2, Run: "r1", Step: "1.2", Status: "skipped", Outcome: "completed", FinishedAt: end},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("records\n got  %+v\n want %+v", got, want)
	}
	got, err = Record{Runbook: "irps/x", Version: 1, Run: "r2", Outcome: "aborted"}.Records(reg)
	if err != nil || !reflect.DeepEqual(got, []model.RunbookExecution{{Runbook: "irps/x", Version: 1, Run: "r2", Status: "aborted", Outcome: "aborted"}}) {
		t.Errorf("outcome only: %+v, %v", got, err)
	}

	bad := []struct {
		r    Record
		want string
	}{
		{Record{Runbook: "nope", Run: "r", Outcome: "completed"}, "not in the registry"},
		{Record{Runbook: "irps/x", Version: 3, Run: "r", Outcome: "completed"}, "has no version 3"},
		{Record{Runbook: "irps/x", Outcome: "completed"}, "run: name the execution"},
		{Record{Runbook: "irps/x", Run: "r", Outcome: "done"}, "outcome \"done\""},
		{Record{Runbook: "irps/x", Run: "r", Completed: []string{"9.9"}}, "step \"9.9\" is not a step of irps/x version 2"},
		{Record{Runbook: "irps/x", Run: "r", Completed: []string{"1.1"}, Failed: []string{"Identify"}}, "step 1.1 is named twice"},
		{Record{Runbook: "irps/x", Run: "r"}, "nothing to record"},
		{Record{Runbook: "irps/x", Run: "r", Outcome: "failed", StartedAt: end, FinishedAt: start}, "is before started_at"},
	}
	for _, b := range bad {
		if _, err := b.r.Records(reg); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%+v: error %v, want %q", b.r, err, b.want)
		}
	}
	// What is recorded derives back to the run described.
	recs, _ := Record{Runbook: "irps/x", Run: "r1", StartedAt: start, FinishedAt: end, Completed: []string{"1.1", "1.2", "2.1"},
		Skipped: []string{"2.2"}, Outcome: "escalated"}.Records(reg)
	var evs []Event
	for i, r := range recs {
		evs = append(evs, ev(int64(i+1), 1, false, end, "ana", r))
	}
	execs, _ := Derive(reg, evs)
	if len(execs) != 1 || execs[0].Version != 2 || execs[0].VersionInferred || execs[0].Outcome != OutcomeEscalated ||
		execs[0].Duration() != time.Hour || execs[0].Completed != 3 || execs[0].Skipped != 1 {
		t.Errorf("derived %+v", execs)
	}
}
