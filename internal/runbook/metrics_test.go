package runbook

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/kpi"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/sla"
)

var d0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func at(days int, d time.Duration) time.Time { return d0.AddDate(0, 0, days).Add(d) }

func mustParse(t *testing.T, path, text string) *Document {
	t.Helper()
	d, err := Parse(path, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// fixtureRegistry: irps/x has version 1 (3 steps, synced a day before the
// window) and version 2 (a fourth step, synced on day 5); common/isolate
// (title "Isolate host") and hunt/never one version each.
func fixtureRegistry(t *testing.T) *Registry {
	v1 := mustParse(t, "irps/x.md", "---\ntitle: X response\ntype: irp\napplies_to: {techniques: [T1566]}\n---\n"+
		"## Phase 1: Identify\n1. Identify\n2. **Enrich:** indicators\n## Phase 2: Contain\n1. Contain\n")
	v2 := mustParse(t, "irps/x.md", "---\ntitle: X response\ntype: irp\nreview_interval: 3d\napplies_to: {techniques: [T1566]}\n---\n"+
		"## Phase 1: Identify\n1. Identify\n2. **Enrich:** indicators\n## Phase 2: Contain\n1. Contain\n2. Notify `gone.md`\n")
	v2.Links[0].Broken = "no such file in the synced folder"
	iso := mustParse(t, "common/isolate.md", "---\ntitle: Isolate host\ntype: runbook\nreview_interval: 1y\nlast_reviewed: 2020-01-01\n"+
		"applies_to: {rules: [R-2]}\n---\n1. Isolate the host\n")
	never := mustParse(t, "hunt/never.md", "---\ntitle: Never\ntype: runbook\n---\n1. Hunt\n")
	return NewRegistry([]*Entry{
		{ID: "irps/x", CreatedAt: at(-1, 0), Versions: []Version{{1, at(-1, 0), v1}, {2, at(5, 0), v2}}},
		{ID: "common/isolate", CreatedAt: at(-1, 0), Versions: []Version{{1, at(-1, 0), iso}}},
		{ID: "hunt/never", CreatedAt: at(-1, 0), Versions: []Version{{1, at(-1, 0), never}}},
	})
}

// ev builds a runbook event.
func ev(id, caseID int64, done bool, when time.Time, actor string, rec model.RunbookExecution) Event {
	b, _ := json.Marshal(rec)
	return Event{ID: id, CaseID: caseID, Case: "src/C" + string(rune('0'+caseID)), CaseDone: done, At: when, Actor: actor, Source: "test", New: string(b)}
}

func fixtureEvents() []Event {
	x := func(run, step, status, outcome string, ver int, start, end time.Time) model.RunbookExecution {
		return model.RunbookExecution{Runbook: "irps/x", Run: run, Step: step, Status: status, Outcome: outcome, Version: ver, StartedAt: start, FinishedAt: end}
	}
	return []Event{
		// Case 1: run a, version not recorded (1 in force), step 1.2 named by title.
		ev(1, 1, true, at(0, 70*time.Minute), "ana", x("a", "1.1", "completed", "", 0, at(0, time.Hour), time.Time{})),
		ev(2, 1, true, at(0, 90*time.Minute), "ben", x("a", "enrich", "done", "", 0, time.Time{}, time.Time{})),
		ev(3, 1, true, at(0, 2*time.Hour), "ana", x("a", "2.1", "completed", "completed", 0, time.Time{}, at(0, 2*time.Hour))),
		// Case 2: run b skips 1.2 by not recording it.
		ev(4, 2, true, at(1, 75*time.Minute), "ben", x("b", "1.1", "completed", "", 0, at(1, time.Hour), time.Time{})),
		ev(5, 2, true, at(1, 4*time.Hour), "ben", x("b", "2.1", "completed", "completed", 0, time.Time{}, time.Time{})),
		// Case 3: run c after version 2, skipping its new step explicitly.
		ev(6, 3, true, at(6, time.Hour), "cat", x("c", "1.1", "completed", "", 0, time.Time{}, time.Time{})),
		ev(7, 3, true, at(6, 70*time.Minute), "cat", x("c", "1.2", "completed", "", 0, time.Time{}, time.Time{})),
		ev(8, 3, true, at(6, 80*time.Minute), "cat", x("c", "2.2", "skipped", "", 0, time.Time{}, time.Time{})),
		ev(9, 3, true, at(6, 90*time.Minute), "cat", x("c", "2.1", "completed", "completed", 0, time.Time{}, time.Time{})),
		// Case 4: run d records version 2 and is still going.
		ev(10, 4, false, at(7, time.Hour), "dan", x("d", "1.1", "completed", "", 2, at(7, 50*time.Minute), time.Time{})),
		// Case 5: a record that is not an execution.
		{ID: 11, CaseID: 5, Case: "src/C5", CaseDone: true, At: at(2, time.Hour), Source: "test", New: "not json"},
		// Case 6: an isolation that failed and was run again (no run ids).
		ev(12, 6, true, at(3, time.Hour), "eve", model.RunbookExecution{Runbook: "Isolate host", Step: "EDR containment", Status: "failed",
			StartedAt: at(3, 55*time.Minute)}),
		ev(13, 6, true, at(3, 70*time.Minute), "eve", model.RunbookExecution{Runbook: "Isolate host", Step: "EDR containment", Status: "completed",
			StartedAt: at(3, 65*time.Minute)}),
		// Case 7: a playbook the registry does not know.
		ev(14, 7, false, at(4, time.Hour), "fay", model.RunbookExecution{Runbook: "Old playbook", Status: "completed"}),
	}
}

func TestDerive(t *testing.T) {
	execs, bad := Derive(fixtureRegistry(t), fixtureEvents())
	if len(bad) != 1 || bad[0].EventID != 11 || !strings.Contains(bad[0].Reason, "runbook execution record") {
		t.Errorf("unreadable %+v", bad)
	}
	type row struct {
		Case, Runbook string
		Registered    bool
		Version       int
		Inferred      bool
		Run           string
		Analysts      string
		Start, End    time.Time
		Outcome       string
		Detail        bool
		Steps         string
		C, F, S       int
	}
	var got []row
	for _, x := range execs {
		var steps []string
		for _, s := range x.Steps {
			steps = append(steps, s.Key+"="+s.Status)
		}
		got = append(got, row{x.Case, x.Runbook, x.Registered, x.Version, x.VersionInferred, x.Run, strings.Join(x.Analysts, ","),
			x.StartedAt, x.FinishedAt, x.Outcome, x.StepDetail, strings.Join(steps, " "), x.Completed, x.Failed, x.Skipped})
	}
	want := []row{
		{"src/C1", "irps/x", true, 1, true, "a", "ana,ben", at(0, time.Hour), at(0, 2*time.Hour), OutcomeCompleted, true, "1.1=completed 1.2=completed 2.1=completed", 3, 0, 0},
		{"src/C2", "irps/x", true, 1, true, "b", "ben", at(1, time.Hour), at(1, 4*time.Hour), OutcomeCompleted, true, "1.1=completed 1.2=skipped 2.1=completed", 2, 0, 1},
		{"src/C6", "common/isolate", true, 1, true, "", "eve", at(3, 55*time.Minute), at(3, time.Hour), OutcomeFailed, false, "=failed", 0, 1, 0},
		{"src/C6", "common/isolate", true, 1, true, "", "eve", at(3, 65*time.Minute), at(3, 70*time.Minute), OutcomeCompleted, false, "=completed", 1, 0, 0},
		{"src/C7", "Old playbook", false, 0, false, "", "fay", at(4, time.Hour), at(4, time.Hour), OutcomeCompleted, false, "", 0, 0, 0},
		{"src/C3", "irps/x", true, 2, true, "c", "cat", at(6, time.Hour), at(6, 90*time.Minute), OutcomeCompleted, true,
			"1.1=completed 1.2=completed 2.1=completed 2.2=skipped", 3, 0, 1},
		{"src/C4", "irps/x", true, 2, false, "d", "dan", at(7, 50*time.Minute), at(7, time.Hour), OutcomeInProgress, true,
			"1.1=completed 1.2=pending 2.1=pending 2.2=pending", 1, 0, 0},
	}
	if !reflect.DeepEqual(got, want) {
		for i := range max(len(got), len(want)) {
			var g, w row
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("execution %d:\n got  %+v\n want %+v", i, g, w)
			}
		}
	}
}

func TestDeriveEdges(t *testing.T) {
	reg := fixtureRegistry(t)
	x := func(rec model.RunbookExecution, done bool) Execution {
		t.Helper()
		execs, _ := Derive(reg, []Event{ev(1, 1, done, at(0, time.Hour), "a", rec)})
		if len(execs) != 1 {
			t.Fatalf("%d executions", len(execs))
		}
		return execs[0]
	}
	// A recorded version that does not exist falls back to the one in force.
	if e := x(model.RunbookExecution{Runbook: "irps/x", Run: "r", Step: "1.1", Status: "completed", Version: 9}, false); e.Version != 1 || !e.VersionInferred {
		t.Errorf("unknown version: %+v", e)
	}
	// Before the first sync: version 1, flagged.
	execs, _ := Derive(reg, []Event{ev(1, 1, true, at(-3, 0), "a", model.RunbookExecution{Runbook: "irps/x", Run: "r", Step: "1.1", Status: "completed"})})
	if e := execs[0]; e.Version != 1 || !e.BeforeFirstSync || e.Outcome != OutcomeCompleted || e.Skipped != 2 {
		t.Errorf("before the first sync: %+v", e)
	}
	// Every step with a status ends a run even while the case is open.
	execs, _ = Derive(reg, []Event{
		ev(1, 1, false, at(0, time.Hour), "a", model.RunbookExecution{Runbook: "irps/x", Run: "r", Step: "1.1", Status: "completed"}),
		ev(2, 1, false, at(0, 2*time.Hour), "a", model.RunbookExecution{Runbook: "irps/x", Run: "r", Step: "1.2", Status: "skipped"}),
		ev(3, 1, false, at(0, 3*time.Hour), "a", model.RunbookExecution{Runbook: "irps/x", Run: "r", Step: "2.1", Status: "failed"}),
		ev(4, 1, false, at(0, 4*time.Hour), "a", model.RunbookExecution{Runbook: "IRPS/X", Run: "r", Step: "2.1", Status: "completed"}),
	})
	if len(execs) != 1 || execs[0].Outcome != OutcomeCompleted || execs[0].Completed != 2 || execs[0].Skipped != 1 {
		t.Errorf("run retried to completion: %+v", execs)
	}
	// An aborted run did not reach the steps it does not record.
	if e := x(model.RunbookExecution{Runbook: "irps/x", Run: "r", Step: "1.1", Status: "completed", Outcome: "aborted"}, true); e.Outcome != OutcomeAborted ||
		e.Skipped != 0 || e.Steps[1].Status != StepNotReached {
		t.Errorf("aborted: %+v", e)
	}
	// Explicit outcomes win; a retry that failed last fails the run.
	if e := x(model.RunbookExecution{Runbook: "irps/x", Run: "r", Status: "completed", Outcome: "escalated"}, false); e.Outcome != OutcomeEscalated || e.StepDetail {
		t.Errorf("escalated: %+v", e)
	}
	if e := x(model.RunbookExecution{Runbook: "irps/x", Run: "r", Step: "2.1", Status: "error"}, true); e.Outcome != OutcomeFailed || e.Failed != 1 || e.Skipped != 2 {
		t.Errorf("failed step on a closed case: %+v", e)
	}
	// A status that says neither is pending while open, unknown after.
	if e := x(model.RunbookExecution{Runbook: "Old", Step: "warm up", Status: "running"}, false); e.Outcome != OutcomeInProgress || e.Steps[0].Status != StepUnknown {
		t.Errorf("running: %+v", e)
	}
	// The same run id on two cases is two runs.
	execs, _ = Derive(reg, []Event{
		ev(1, 1, true, at(0, time.Hour), "a", model.RunbookExecution{Runbook: "irps/x", Run: "1", Step: "1.1", Status: "completed"}),
		ev(2, 2, true, at(0, time.Hour), "a", model.RunbookExecution{Runbook: "irps/x", Run: "1", Step: "1.1", Status: "completed"}),
	})
	if len(execs) != 2 {
		t.Errorf("runs across cases: %d", len(execs))
	}
	// No runbook name: unreadable.
	if _, bad := Derive(reg, []Event{ev(1, 1, true, at(0, 0), "a", model.RunbookExecution{Status: "completed"})}); len(bad) != 1 {
		t.Errorf("nameless record: %+v", bad)
	}
}

func f64(v float64) *float64 { return &v }

func fixtureFacts() []kpi.Facts {
	c := func(id int64, p model.Priority, rule string, created time.Time, ack, res time.Duration, s sla.Status, reopens int) kpi.Facts {
		f := kpi.Facts{CaseID: id, Priority: p, Rule: rule, Created: created, Ack: created.Add(ack), SLAResolve: s, Reopens: reopens}
		if res > 0 {
			f.Resolve, f.Done = created.Add(res), true
		}
		return f
	}
	excluded := c(8, model.P2, "R-1", at(5, 0), time.Minute, time.Minute, sla.StatusMet, 0)
	excluded.Excluded = true
	return []kpi.Facts{
		c(1, model.P2, "R-1", at(0, 0), 10*time.Minute, 10*time.Hour, sla.StatusMet, 0),
		c(2, model.P2, "R-1", at(1, 0), 30*time.Minute, 20*time.Hour, sla.StatusBreached, 0),
		c(3, model.P2, "R-1", at(6, 0), 5*time.Minute, 5*time.Hour, sla.StatusMet, 1),
		c(4, model.P3, "R-2", at(7, 0), time.Hour, 0, sla.StatusOnTrack, 0),
		c(5, model.P2, "R-1", at(2, 0), 20*time.Minute, 2*time.Hour, sla.StatusMet, 0),
		c(6, model.P2, "R-1", at(3, 0), 40*time.Minute, 4*time.Hour, sla.StatusMet, 0),
		c(7, model.P2, "R-1", at(4, 0), time.Hour, 0, sla.StatusOverdue, 0),
		excluded,
		c(9, model.P4, "R-3", at(5, 0), time.Hour, 3*time.Hour, sla.StatusMet, 0),
	}
}

// TestBuildHandComputed checks a report on the fixture against figures
// worked out by hand (see the comments).
func TestBuildHandComputed(t *testing.T) {
	reg := fixtureRegistry(t)
	execs, bad := Derive(reg, fixtureEvents())
	rep := Build(Input{Registry: reg, Executions: execs, Facts: fixtureFacts(), Unreadable: len(bad), Window: "test",
		From: d0, To: at(10, 0), AsOf: at(10, 0),
		Rules: []RuleInfo{
			{ID: "R-1", Name: "Phish", Techniques: []string{"T1566.001"}, Tactics: []string{"initial-access"}, Alerts: 10},
			{ID: "R-2", Name: "Beacon", Techniques: []string{"T1071.001"}, Tactics: []string{"command-and-control"}, Alerts: 4},
			{ID: "R-3", Name: "Scan", Techniques: []string{"T1046"}, Tactics: []string{"Discovery"}, Alerts: 100},
		},
		LastRuns: map[string]time.Time{"irps/x": at(7, time.Hour), "common/isolate": at(3, 70*time.Minute)}})

	if rep.Runs != 7 || rep.CasesWithRuns != 6 || rep.Unreadable != 1 {
		t.Errorf("runs %d on %d cases, %d unreadable; want 7 on 6, 1", rep.Runs, rep.CasesWithRuns, rep.Unreadable)
	}
	if len(rep.Runbooks) != 3 || rep.Runbooks[0].ID != "irps/x" || rep.Runbooks[1].ID != "common/isolate" || rep.Runbooks[2].ID != "hunt/never" {
		t.Fatalf("runbooks %+v", rep.Runbooks)
	}
	x := rep.Runbooks[0]
	// Finished runs took 1h, 3h and 30m: sorted 1800, 3600, 10800 s; the
	// median is rank ⌈0.5·3⌉ = 2, the p90 rank ⌈0.9·3⌉ = 3; the mean 5400.
	if x.Runs != 4 || x.Cases != 4 || x.Analysts != 4 || x.Version != 2 || x.Steps != 4 || x.BrokenLinks != 1 ||
		!reflect.DeepEqual(x.Outcomes, map[string]int{OutcomeCompleted: 3, OutcomeInProgress: 1}) ||
		x.Duration != (Durations{Count: 3, Median: 3600, P90: 10800, Mean: 5400, Open: 1}) {
		t.Errorf("irps/x stats %+v", x)
	}
	// Version 1: runs a (1h) and b (3h); step 1.2 skipped in b → 1/2.
	// Version 2: run c (30m) finished, d open; 2.2 skipped in c → 1/1.
	wantV := []VersionStats{
		{Version: 1, SyncedAt: at(-1, 0), Runs: 2, Outcomes: map[string]int{OutcomeCompleted: 2},
			Duration: Durations{Count: 2, Median: 3600, P90: 10800, Mean: 7200}, StepRuns: 2,
			Steps: []StepStats{{"1.1", "Identify", 2, 0, 0, f64(0)}, {"1.2", "Enrich", 1, 0, 1, f64(0.5)}, {"2.1", "Contain", 2, 0, 0, f64(0)}}},
		{Version: 2, SyncedAt: at(5, 0), Runs: 2, Outcomes: map[string]int{OutcomeCompleted: 1, OutcomeInProgress: 1},
			Duration: Durations{Count: 1, Median: 1800, P90: 1800, Mean: 1800, Open: 1}, StepRuns: 1,
			Steps: []StepStats{{"1.1", "Identify", 1, 0, 0, f64(0)}, {"1.2", "Enrich", 1, 0, 0, f64(0)}, {"2.1", "Contain", 1, 0, 0, f64(0)},
				{"2.2", "Notify `gone.md`", 0, 0, 1, f64(1)}}},
	}
	if !reflect.DeepEqual(x.Versions, wantV) {
		t.Errorf("irps/x versions\n got  %+v\n want %+v", x.Versions, wantV)
	}
	// With: cases 1, 2, 3 (P2 R-1); case 4 (P3 R-2) has no counterpart.
	// Without: 5, 6, 7 (7 still open); 8 is a test.
	// MTTR with 10h, 20h, 5h: median 36000, p90 72000, mean 42000.
	// MTTR without 2h, 4h (+1 open): median 7200, p90 14400, mean 10800.
	// MTTA with 600, 1800, 300 s; without 1200, 2400, 3600 s.
	// Difference (one stratum): 42000 − 10800 = 31200 s; MTTA 900 − 2400.
	wantC := &Comparison{Strata: 1, UnmatchedWith: 1, Adoption: f64(0.5), MTTRDifference: f64(31200), MTTADifference: f64(-1500),
		With: Cohort{Cases: 3, MTTR: Durations{3, 36000, 72000, 42000, 0}, MTTA: Durations{3, 600, 1800, 900, 0},
			SLAMet: 2, SLABreached: 1, SLAAdherence: f64(2.0 / 3), Reopened: 1},
		Without: Cohort{Cases: 3, MTTR: Durations{2, 7200, 14400, 10800, 1}, MTTA: Durations{3, 2400, 3600, 2400, 0},
			SLAMet: 2, SLABreached: 0, SLAAdherence: f64(1), Reopened: 0}}
	// Margins: the stratum's sample variances are 756e6 and 25.92e6 s² for
	// MTTR (3 and 2 cases), 630000 and 1.44e6 s² for MTTA (3 and 3):
	// 1.96·√(756e6/3 + 25.92e6/2) and 1.96·√(630000/3 + 1.44e6/3).
	if m := x.Comparison.MTTRMargin; m == nil || math.Abs(*m-1.96*math.Sqrt(264.96e6)) > 1e-6 {
		t.Errorf("MTTR margin %v, want %v", m, 1.96*math.Sqrt(264.96e6))
	}
	if m := x.Comparison.MTTAMargin; m == nil || math.Abs(*m-1.96*math.Sqrt(690000)) > 1e-9 {
		t.Errorf("MTTA margin %v, want %v", m, 1.96*math.Sqrt(690000))
	}
	x.Comparison.MTTRMargin, x.Comparison.MTTAMargin = nil, nil
	if !reflect.DeepEqual(x.Comparison, wantC) {
		t.Errorf("irps/x comparison\n got  %+v\n want %+v", x.Comparison, wantC)
	}
	// Review due at version 2's sync (day 5) plus 3 days: 2 days overdue.
	if !x.ReviewDue.Equal(at(8, 0)) || !x.Overdue {
		t.Errorf("irps/x review due %v overdue %v", x.ReviewDue, x.Overdue)
	}
	iso := rep.Runbooks[1]
	if iso.Runs != 2 || iso.Duration != (Durations{Count: 1, Median: 300, P90: 300, Mean: 300}) ||
		!reflect.DeepEqual(iso.Outcomes, map[string]int{OutcomeCompleted: 1, OutcomeFailed: 1}) || iso.Versions[0].StepRuns != 0 {
		t.Errorf("common/isolate %+v", iso)
	}
	// 2021-01-01 to 2026-03-12: 1826 days to 2026-01-01, then 31+28+11.
	wantOverdue := []Review{{ID: "common/isolate", Title: "Isolate host", Due: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), DaysOverdue: 1896, Runs: 2},
		{ID: "irps/x", Title: "X response", Due: at(8, 0), DaysOverdue: 2, Runs: 4}}
	if !reflect.DeepEqual(rep.Overdue, wantOverdue) {
		t.Errorf("overdue %+v", rep.Overdue)
	}
	if len(rep.NeverUsed) != 1 || rep.NeverUsed[0].ID != "hunt/never" {
		t.Errorf("never used %+v", rep.NeverUsed)
	}
	if !reflect.DeepEqual(rep.Unregistered, []NameCount{{Name: "Old playbook", Runs: 1, Cases: 1}}) {
		t.Errorf("unregistered %+v", rep.Unregistered)
	}
	// R-1 is covered by technique T1566, R-2 by its id; R-3 by nothing.
	if len(rep.RulesWithout) != 1 || rep.RulesWithout[0].ID != "R-3" || rep.RulesWithout[0].Cases != 1 || rep.RulesWithout[0].CasesWithRuns != 0 {
		t.Errorf("rules without runbook %+v", rep.RulesWithout)
	}
	if !reflect.DeepEqual(rep.TypesWithout, []TypeGap{{Type: "discovery", Rules: 1, Alerts: 100, Cases: 1}}) {
		t.Errorf("types without runbook %+v", rep.TypesWithout)
	}
	var items []string
	for _, im := range rep.Improvements {
		items = append(items, im.Kind+" "+im.Runbook+im.Rule+" "+strings.Repeat("*", im.Affected))
	}
	wantItems := []string{
		"review_overdue irps/x ****", "fix_links irps/x ****", "review_overdue common/isolate **",
		"write_runbook R-3 *", "register_runbook Old playbook *", "retire_or_train hunt/never ",
	}
	if !reflect.DeepEqual(items, wantItems) {
		t.Errorf("improvements\n%s\nwant\n%s", strings.Join(items, "\n"), strings.Join(wantItems, "\n"))
	}
}

// TestImprovementThresholds: a runbook whose cases resolve slower than
// comparable cases, one that is faster but little used, mostly skipped
// steps and failing runs are listed once they pass the thresholds.
func TestImprovementThresholds(t *testing.T) {
	slow := mustParse(t, "slow.md", "---\ntitle: Slow\ntype: irp\n---\n1. A\n2. B\n")
	fast := mustParse(t, "fast.md", "---\ntitle: Fast\ntype: irp\n---\n1. A\n")
	reg := NewRegistry([]*Entry{
		{ID: "slow", Versions: []Version{{1, at(-1, 0), slow}}},
		{ID: "fast", Versions: []Version{{1, at(-1, 0), fast}}},
		{ID: "noisy", Versions: []Version{{1, at(-1, 0), mustParse(t, "noisy.md", "---\ntitle: Noisy\ntype: irp\n---\n1. A\n")}}},
	})
	var evs []Event
	var facts []kpi.Facts
	id := int64(0)
	add := func(rule string, res time.Duration, rb string, recs ...model.RunbookExecution) {
		id++
		facts = append(facts, kpi.Facts{CaseID: id, Priority: model.P3, Rule: rule, Created: at(1, 0), Ack: at(1, time.Minute),
			Resolve: at(1, res), Done: true})
		for i, r := range recs {
			r.Runbook, r.Run = rb, "1"
			evs = append(evs, ev(id*10+int64(i), id, true, at(1, time.Duration(i+1)*time.Minute), "a", r))
		}
	}
	// Rule S: 10 cases with "slow" (2h, step B skipped, 2 of 10 fail) and
	// 10 without (1h). Rule F: 10 with "fast" (30m) and 20 without (1h).
	for i := range 10 {
		status := "completed"
		if i < 2 {
			status = "failed"
		}
		add("S", 2*time.Hour, "slow", model.RunbookExecution{Step: "1.1", Status: status})
		add("S", time.Hour, "")
		add("F", 30*time.Minute, "fast", model.RunbookExecution{Step: "1.1", Status: "completed", Outcome: "completed"})
	}
	for range 20 {
		add("F", time.Hour, "")
	}
	// Rule N: "noisy" cases take 1h or 5h (mean 3h), the others 1h or 4h
	// (mean 2.5h): +30m with a margin of 1.96·√(40/9/10 + 22.5/9/10) h,
	// about 1h38m, so it is not listed.
	for i := range 10 {
		add("N", time.Duration(1+4*(i%2))*time.Hour, "noisy", model.RunbookExecution{Step: "1.1", Status: "completed", Outcome: "completed"})
		add("N", time.Duration(1+3*(i%2))*time.Hour, "")
	}
	execs, _ := Derive(reg, evs)
	rep := Build(Input{Registry: reg, Executions: execs, Facts: facts, From: d0, To: at(10, 0), AsOf: at(10, 0),
		LastRuns: map[string]time.Time{"slow": at(1, 0), "fast": at(1, 0), "noisy": at(1, 0)}})
	for _, st := range rep.Runbooks {
		if c := st.Comparison; st.ID == "noisy" && (c.MTTRDifference == nil || *c.MTTRDifference != 1800 || c.MTTRMargin == nil ||
			math.Abs(*c.MTTRMargin-1.96*3600*math.Sqrt((40.0/9+22.5/9)/10)) > 1e-6) {
			t.Errorf("noisy comparison %+v", c)
		}
	}
	var items []string
	for _, im := range rep.Improvements {
		items = append(items, im.Kind+" "+im.Runbook+" "+im.Step+" "+strings.Repeat("*", im.Affected)+" | "+im.Evidence)
	}
	wantItems := []string{
		"raise_adoption fast  ******************** | MTTR −30m ± 0m vs comparable cases (10 with, 20 without, 1 priority×rule strata), adoption 33%",
		"review_slower_cases slow  ********** | MTTR +1h 00m ± 0m vs comparable cases (10 with, 10 without, 1 priority×rule strata)",
		"review_skipped_step slow 1.2 ********** | skipped in 10 of 10 finished runs of version 1 (100%)",
		"fix_failing_runs slow  ** | 2 of 10 finished runs failed (20%)",
	}
	if !reflect.DeepEqual(items, wantItems) {
		t.Errorf("improvements\n%s\nwant\n%s", strings.Join(items, "\n"), strings.Join(wantItems, "\n"))
	}
}

// A plan's completed step that links to a common step runs that common
// step on the case: it counts in the common step's usage and cases.
func TestLinkedRuns(t *testing.T) {
	plan := mustParse(t, "irps/p.md", "---\ntitle: P\ntype: irp\n---\n1. Contain: run [iso](../common/iso.md)\n2. Block `../common/block.md`\n")
	plan.Links[0].Path, plan.Links[1].Path = "common/iso.md", "common/block.md"
	reg := NewRegistry([]*Entry{
		{ID: "irps/p", Versions: []Version{{1, at(-1, 0), plan}}},
		{ID: "common/iso", Versions: []Version{{1, at(-1, 0), mustParse(t, "common/iso.md", "---\ntitle: Iso\ntype: runbook\ntags: [common_step]\n---\n1. A\n")}}},
		{ID: "common/block", Versions: []Version{{1, at(-1, 0), mustParse(t, "common/block.md", "---\ntitle: Block\ntype: runbook\ntags: [common_step]\n---\n1. A\n")}}},
	})
	execs, _ := Derive(reg, []Event{
		ev(1, 1, true, at(1, time.Hour), "a", model.RunbookExecution{Runbook: "irps/p", Run: "r", Step: "1.1", Status: "completed"}),
		ev(2, 1, true, at(1, 2*time.Hour), "a", model.RunbookExecution{Runbook: "irps/p", Run: "r", Step: "1.2", Status: "skipped", Outcome: "completed"}),
	})
	facts := []kpi.Facts{{CaseID: 1, Priority: model.P2, Rule: "R", Created: at(1, 0), Resolve: at(1, 3*time.Hour)},
		{CaseID: 2, Priority: model.P2, Rule: "R", Created: at(1, 0), Resolve: at(1, 5*time.Hour)}}
	rep := Build(Input{Registry: reg, Executions: execs, Facts: facts, From: d0, To: at(10, 0), AsOf: at(10, 0), LastRuns: map[string]time.Time{}})
	for _, st := range rep.Runbooks {
		switch st.ID {
		case "common/iso":
			if st.Runs != 0 || st.InPlans != 1 || st.Comparison == nil || st.Comparison.With.Cases != 1 || st.Comparison.Without.Cases != 1 {
				t.Errorf("common/iso %+v %+v", st, st.Comparison)
			}
		case "common/block":
			if st.InPlans != 0 || st.Comparison != nil {
				t.Errorf("common/block (skipped in the plan) %+v", st)
			}
		}
	}
}
