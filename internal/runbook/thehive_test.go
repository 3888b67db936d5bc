package runbook

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestTheHiveTasks(t *testing.T) {
	f, err := os.Open("testdata/thehive_tasks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tasks, errs := ParseTheHiveTasks(f)
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	want := []string{`$[5]: _type "case_artifact" is not a task`, `$[6]: the task has no _id`,
		`$[7]: task ~4152: status "Paused" is not Waiting, InProgress, Completed or Cancel`}
	if len(tasks) != 5 || !reflect.DeepEqual(msgs, want) {
		t.Fatalf("%d tasks, errors %q", len(tasks), msgs)
	}
	evs := TheHiveEvents(tasks, 1, "irps/x", "thehive")
	var ids []string
	for _, e := range evs {
		ids = append(ids, e.ExternalID+" "+e.At.Format("15:04:05")+" "+e.Actor)
	}
	wantIDs := []string{"thehive:task:~4104:completed 10:30:00 ana@acme.example", "thehive:task:~4112:cancel 10:40:00 ana@acme.example",
		"thehive:task:~4120:inprogress 11:00:00 ben@acme.example", "thehive:task:~4136:completed 11:13:20 ben@acme.example"}
	if !reflect.DeepEqual(ids, wantIDs) {
		t.Fatalf("events %q", ids)
	}
	// Derived against irps/x version 1 (synced before the tasks): steps
	// matched by title; the task the plan lacks is kept as an extra step.
	var rbs []Event
	for i, e := range evs {
		rbs = append(rbs, Event{ID: int64(i + 1), CaseID: 1, Case: "thehive/~1", At: e.At, Actor: e.Actor, Source: e.Source, New: e.New})
	}
	execs, bad := Derive(fixtureRegistry(t), rbs)
	if len(bad) != 0 || len(execs) != 1 {
		t.Fatalf("derived %+v, %+v", execs, bad)
	}
	x := execs[0]
	var steps []string
	for _, s := range x.Steps {
		steps = append(steps, s.Key+"="+s.Status)
	}
	if x.Runbook != "irps/x" || x.Version != 1 || x.Outcome != OutcomeInProgress || x.Completed != 2 || x.Skipped != 1 ||
		!x.StartedAt.Equal(time.Date(2026, 3, 2, 10, 5, 0, 0, time.UTC)) || !x.FinishedAt.Equal(time.Date(2026, 3, 2, 11, 13, 20, 0, time.UTC)) ||
		strings.Join(steps, " ") != "1.1=completed 1.2=skipped 2.1=pending =completed" || strings.Join(x.Analysts, ",") != "ana@acme.example,ben@acme.example" {
		t.Errorf("run %+v, steps %q", x, steps)
	}
	// NDJSON and a single object read the same.
	if tasks, errs := ParseTheHiveTasks(strings.NewReader(`{"_id":"~1","_type":"Task","title":"A","status":"Completed","endDate":1}` + "\n\n" + `{"_id":"~2","title":"B","status":"Waiting"}`)); len(tasks) != 2 || len(errs) != 0 {
		t.Errorf("NDJSON: %+v %v", tasks, errs)
	}
	if _, errs := ParseTheHiveTasks(strings.NewReader(`{"_id": 5}` + "\n")); len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "line 1: not a task") {
		t.Errorf("bad line: %v", errs)
	}
}

// FuzzParseTheHiveTasks checks that any input either yields tasks that
// turn into well-formed events or errors naming a position.
func FuzzParseTheHiveTasks(f *testing.F) {
	b, err := os.ReadFile("testdata/thehive_tasks.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"_id":"~1","title":"A","status":"InProgress","startDate":-5}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tasks, errs := ParseTheHiveTasks(strings.NewReader(string(data)))
		for _, e := range errs {
			if e == nil || e.Error() == "" {
				t.Fatal("empty error")
			}
		}
		for _, e := range TheHiveEvents(tasks, 1, "rb", "run") {
			if e.At.IsZero() || !strings.HasPrefix(e.ExternalID, "thehive:task:") || e.New == "" {
				t.Fatalf("event %+v", e)
			}
		}
	})
}
