package store_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

func engines(t *testing.T, test func(t *testing.T, open func() *store.Store)) {
	storetest.Engines(t, test)
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func apply(t *testing.T, s *store.Store, b *store.Batch) store.Result {
	t.Helper()
	res, err := s.Apply(context.Background(), b)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return res
}

// field is one checked value of a record: its name, what the test got and
// what it wants.
type field struct {
	name      string
	got, want any
}

// checkFields reports, by name, each field of a record that differs from
// what the test wants.
func checkFields(t *testing.T, what string, fields ...field) {
	t.Helper()
	for _, f := range fields {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("%s: %s is %v, want %v", what, f.name, f.got, f.want)
		}
	}
}

func counts(t *testing.T, s *store.Store) map[string]int64 {
	t.Helper()
	c, err := s.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAlertsIdempotentAndVersioned(t *testing.T) {
	engines(t, func(t *testing.T, open func() *store.Store) {
		s := open()
		ctx := context.Background()
		alerts := []model.Alert{
			{Source: "edr", ExternalID: "a1", Title: "Mimikatz", Severity: model.SeverityHigh, RuleID: "r1",
				CreatedAt: ts("2026-03-01T10:00:00Z"), OccurredAt: ts("2026-03-01T09:58:00Z"),
				Entities: []model.Entity{{Type: "host", Value: "ws-1"}}, Techniques: []string{"T1003.001"}},
			{Source: "edr", ExternalID: "a2", Title: "<img src=x onerror=alert(1)>", Severity: model.SeverityLow, CreatedAt: ts("2026-03-01T10:01:00Z")},
		}
		res := apply(t, s, &store.Batch{Alerts: alerts})
		if res.Inserted[store.KindAlert] != 2 {
			t.Fatalf("inserted %v, want 2 alerts", res.Inserted)
		}
		res = apply(t, s, &store.Batch{Alerts: alerts})
		if res.Inserted[store.KindAlert] != 0 || res.Unchanged[store.KindAlert] != 2 {
			t.Fatalf("second apply: inserted %v unchanged %v", res.Inserted, res.Unchanged)
		}
		changed := alerts[0]
		changed.Disposition = model.DispositionFalsePositive
		changed.Status = "closed"
		res = apply(t, s, &store.Batch{Alerts: []model.Alert{changed}})
		if res.Updated[store.KindAlert] != 1 {
			t.Fatalf("update: %+v", res)
		}
		got, err := s.AlertByExternalID(ctx, "edr", "a1")
		if err != nil {
			t.Fatal(err)
		}
		checkFields(t, "stored alert a1",
			field{"disposition", got.Disposition, model.DispositionFalsePositive},
			field{"status", got.Status, "closed"},
			field{"entities", got.Entities, []model.Entity{{Type: "host", Value: "ws-1"}}},
			field{"techniques", got.Techniques, []string{"T1003.001"}},
			field{"occurred_at", got.OccurredAt, ts("2026-03-01T09:58:00Z")})
		evs, err := s.AlertEvents(ctx, got.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 {
			t.Fatalf("%d alert events, want 2: %+v", len(evs), evs)
		}
		checkFields(t, "alert events",
			field{"first kind", evs[0].Kind, model.EventStatus}, field{"first value", evs[0].New, "closed"},
			field{"second kind", evs[1].Kind, model.EventDisposition}, field{"second value", evs[1].New, "false_positive"})
		if c := counts(t, s); c["alerts"] != 2 || c["alert_events"] != 2 {
			t.Fatalf("counts %v", c)
		}
	})
}

func TestDuplicateKeyInOneBatchIsAnUpdate(t *testing.T) {
	engines(t, func(t *testing.T, open func() *store.Store) {
		s := open()
		a := model.Alert{Source: "x", ExternalID: "1", Title: "t", Status: "new", CreatedAt: ts("2026-01-01T00:00:00Z")}
		b := a
		b.Status = "closed"
		res := apply(t, s, &store.Batch{Alerts: []model.Alert{a, b}})
		if res.Inserted[store.KindAlert] != 1 || res.Updated[store.KindAlert] != 1 {
			t.Fatalf("result %+v", res)
		}
		got, _ := s.AlertByExternalID(context.Background(), "x", "1")
		if got.Status != "closed" {
			t.Fatalf("status %q", got.Status)
		}
	})
}

func TestCaseSnapshotsBecomeEvents(t *testing.T) {
	engines(t, func(t *testing.T, open func() *store.Store) {
		s := open()
		ctx := context.Background()
		snap := model.Case{Source: "thehive", ExternalID: "c1", Title: "Phishing wave", Priority: model.P2,
			Status: "New", CreatedAt: ts("2026-03-02T08:00:00Z"), UpdatedAt: ts("2026-03-02T08:00:00Z")}
		apply(t, s, &store.Batch{Cases: []model.Case{snap}})
		apply(t, s, &store.Batch{Cases: []model.Case{snap}}) // idempotent
		c, err := s.CaseByExternalID(ctx, "thehive", "c1")
		if err != nil {
			t.Fatal(err)
		}
		evs, _ := s.CaseEvents(ctx, c.ID)
		if want := "created priority status"; kinds(evs) != want {
			t.Fatalf("events %q, want %q", kinds(evs), want)
		}
		if c.Stage != model.StageNew || c.Priority != model.P2 {
			t.Fatalf("projection %+v", c)
		}

		// The analyst picks it up, then it is resolved.
		snap2 := snap
		snap2.Status, snap2.Assignee, snap2.UpdatedAt = "InProgress", "alice", ts("2026-03-02T08:20:00Z")
		snap3 := snap2
		snap3.Status, snap3.Disposition, snap3.UpdatedAt = "Resolved", model.DispositionTruePositive, ts("2026-03-02T12:00:00Z")
		res := apply(t, s, &store.Batch{Cases: []model.Case{snap2, snap3}})
		if res.Updated[store.KindCase] != 2 {
			t.Fatalf("result %+v", res)
		}
		// A stale snapshot changes nothing.
		res = apply(t, s, &store.Batch{Cases: []model.Case{snap2}})
		if res.Unchanged[store.KindCase] != 1 {
			t.Fatalf("stale: %+v", res)
		}
		c, _ = s.CaseByExternalID(ctx, "thehive", "c1")
		checkFields(t, "projection of c1",
			field{"stage", c.Stage, model.StageResolved},
			field{"assignee", c.Assignee, "alice"},
			field{"disposition", c.Disposition, model.DispositionTruePositive},
			field{"acknowledged_at", c.AcknowledgedAt, ts("2026-03-02T08:20:00Z")},
			field{"resolved_at", c.ResolvedAt, ts("2026-03-02T12:00:00Z")})
		evs, _ = s.CaseEvents(ctx, c.ID)
		if want := "created priority status status stage assignee status stage disposition"; kinds(evs) != want {
			t.Fatalf("events %q, want %q", kinds(evs), want)
		}
		if err := s.Check(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestFirstSightingDatesMilestones(t *testing.T) {
	engines(t, func(t *testing.T, open func() *store.Store) {
		s := open()
		ctx := context.Background()
		snap := model.Case{Source: "src", ExternalID: "c9", Title: "Closed on arrival", Priority: model.P3, Status: "Closed",
			CreatedAt: ts("2026-01-01T00:00:00Z"), ResolvedAt: ts("2026-01-01T05:00:00Z"), ClosedAt: ts("2026-01-02T00:00:00Z"),
			UpdatedAt: ts("2026-01-02T00:00:00Z")}
		apply(t, s, &store.Batch{Cases: []model.Case{snap}})
		c, _ := s.CaseByExternalID(ctx, "src", "c9")
		checkFields(t, "projection of c9",
			field{"stage", c.Stage, model.StageClosed},
			field{"resolved_at", c.ResolvedAt, snap.ResolvedAt.UTC()},
			field{"closed_at", c.ClosedAt, snap.ClosedAt.UTC()},
			field{"acknowledged_at", c.AcknowledgedAt, snap.ResolvedAt.UTC()})
	})
}

func kinds(evs []model.CaseEvent) string {
	var k []string
	for _, e := range evs {
		k = append(k, string(e.Kind))
	}
	return strings.Join(k, " ")
}

func TestExplicitEventsDedupReplayAndReopen(t *testing.T) {
	engines(t, func(t *testing.T, open func() *store.Store) {
		s := open()
		ctx := context.Background()
		apply(t, s, &store.Batch{Cases: []model.Case{{Source: "sn", ExternalID: "INC1", Title: "t", Status: "New",
			CreatedAt: ts("2026-02-01T00:00:00Z"), UpdatedAt: ts("2026-02-01T00:00:00Z")}}})
		ev := func(id, at, kind, old, new string) model.CaseEvent {
			return model.CaseEvent{CaseSource: "sn", CaseExternalID: "INC1", ExternalID: id, At: ts(at), Source: "sn",
				Kind: model.EventKind(kind), Old: old, New: new}
		}
		evs := []model.CaseEvent{
			ev("1", "2026-02-01T01:00:00Z", "status", "New", "Active"),
			ev("3", "2026-02-01T05:00:00Z", "status", "Active", "Resolved"),
			ev("4", "2026-02-01T07:00:00Z", "status", "Resolved", "Active"), // reopened
			ev("5", "2026-02-01T09:00:00Z", "status", "Active", "Closed"),
		}
		res := apply(t, s, &store.Batch{Events: evs})
		if res.Events != 8 { // each status event derives its stage event
			t.Fatalf("events appended %d, want 8", res.Events)
		}
		res = apply(t, s, &store.Batch{Events: evs})
		if res.Events != 0 {
			t.Fatalf("re-apply appended %d", res.Events)
		}
		// A late event from before the newest one forces a replay.
		res = apply(t, s, &store.Batch{Events: []model.CaseEvent{ev("2", "2026-02-01T02:00:00Z", "assignee", "", "bob")}})
		if res.Events != 1 {
			t.Fatalf("late event appended %d", res.Events)
		}
		c, _ := s.CaseByExternalID(ctx, "sn", "INC1")
		checkFields(t, "projection of INC1",
			field{"stage", c.Stage, model.StageClosed},
			field{"assignee", c.Assignee, "bob"},
			field{"acknowledged_at", c.AcknowledgedAt, ts("2026-02-01T01:00:00Z")},
			field{"resolved_at", c.ResolvedAt, ts("2026-02-01T05:00:00Z")},
			field{"closed_at", c.ClosedAt, ts("2026-02-01T09:00:00Z")})
		if c.ReopenCount != 1 {
			t.Fatalf("reopens %d, want 1", c.ReopenCount)
		}
		if err := s.Check(ctx); err != nil {
			t.Fatal(err)
		}
		// An event for an unknown case is rejected, the rest lands.
		res = apply(t, s, &store.Batch{Events: []model.CaseEvent{
			{CaseSource: "sn", CaseExternalID: "NOPE", At: ts("2026-02-02T00:00:00Z"), Source: "sn", Kind: model.EventComment, New: "x"},
			ev("6", "2026-02-02T00:00:00Z", "comment", "", "done"),
		}})
		if len(res.Rejects) != 1 {
			t.Fatalf("%d rejects, want 1: %+v", len(res.Rejects), res.Rejects)
		}
		if res.Rejects[0].Index != 0 {
			t.Errorf("reject of record %d, want 0", res.Rejects[0].Index)
		}
		if !strings.Contains(res.Rejects[0].Err.Error(), "unknown case sn/NOPE") {
			t.Errorf("reject reason %q, want the unknown case named", res.Rejects[0].Err)
		}
		if res.Events != 1 {
			t.Errorf("%d events appended, want the good one", res.Events)
		}
	})
}

func TestAlertsLinkToCasesInEitherOrder(t *testing.T) {
	engines(t, func(t *testing.T, open func() *store.Store) {
		s := open()
		ctx := context.Background()
		// Alert first, case later.
		apply(t, s, &store.Batch{Alerts: []model.Alert{{Source: "soar", ExternalID: "al1", Title: "x", CaseExternalID: "C1", CreatedAt: ts("2026-01-05T00:00:00Z")}}})
		apply(t, s, &store.Batch{Cases: []model.Case{{Source: "soar", ExternalID: "C1", Title: "c", CreatedAt: ts("2026-01-05T00:01:00Z")}}})
		// Case first, alert later.
		apply(t, s, &store.Batch{Alerts: []model.Alert{{Source: "soar", ExternalID: "al2", Title: "y", CaseExternalID: "C1", CreatedAt: ts("2026-01-05T00:02:00Z")}}})
		c, _ := s.CaseByExternalID(ctx, "soar", "C1")
		got, err := s.Alerts(ctx, store.AlertFilter{CaseID: c.ID})
		if err != nil || len(got) != 2 {
			t.Fatalf("linked alerts %d, err %v", len(got), err)
		}
		evs, _ := s.CaseEvents(ctx, c.ID)
		if want := "alert_linked created alert_linked"; kinds(evs) != want {
			t.Fatalf("events %q want %q", kinds(evs), want)
		}
		if err := s.Check(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestReferenceData(t *testing.T) {
	engines(t, func(t *testing.T, open func() *store.Store) {
		s := open()
		b := &store.Batch{
			Teams:    []model.Team{{Name: "Blue", Lead: "carol"}},
			Shifts:   []model.Shift{{Name: "day", Start: "07:00", Duration: 8 * time.Hour, Days: []time.Weekday{1, 2, 3, 4, 5}}, {Name: "bad", Start: "7am", Duration: time.Hour}},
			Analysts: []model.Analyst{{ExternalID: "alice", Name: "Alice", Tier: model.TierL2, Skills: []model.Skill{{Name: "malware", Level: 4}}, Active: true}},
			Rules:    []model.Rule{{Source: "sigma", ExternalID: "r-1", Name: "Suspicious PowerShell", Techniques: []string{"T1059.001"}, Enabled: true}},
			SLA: []model.SLAPolicy{{Name: "default", Version: 1, EffectiveFrom: ts("2026-01-01T00:00:00Z"),
				Targets: map[model.Priority]model.SLATarget{model.P1: {Acknowledge: 15 * time.Minute, Resolve: 4 * time.Hour}}}},
			Findings: []model.Finding{{Source: "inspector", ExternalID: "f1", Class: model.FindingVulnerability, Title: "CVE-2023-1"}},
		}
		res := apply(t, s, b)
		if len(res.Rejects) != 1 {
			t.Fatalf("%d rejects, want 1: %+v", len(res.Rejects), res.Rejects)
		}
		checkFields(t, "reject", field{"kind", res.Rejects[0].Kind, store.KindShift}, field{"index", res.Rejects[0].Index, 1})
		res = apply(t, s, b)
		if n := res.Inserted[store.KindAnalyst] + res.Inserted[store.KindRule] + res.Inserted[store.KindTeam] + res.Inserted[store.KindFinding]; n != 0 {
			t.Fatalf("second apply changed %v", res.Inserted)
		}
		c := counts(t, s)
		for table, want := range map[string]int64{"teams": 1, "shifts": 1, "analysts": 1, "rules": 1, "sla_policies": 1, "findings": 1} {
			if c[table] != want {
				t.Errorf("%s: %d rows, want %d", table, c[table], want)
			}
		}
	})
}

func TestConcurrentWritersStoreEachEventOnce(t *testing.T) {
	engines(t, func(t *testing.T, open func() *store.Store) {
		s1 := open()
		s2 := open() // a second process on the same database
		ctx := context.Background()
		apply(t, s1, &store.Batch{Cases: []model.Case{{Source: "p", ExternalID: "C", Title: "c", CreatedAt: ts("2026-01-01T00:00:00Z")}}})
		var evs []model.CaseEvent
		for i := range 50 {
			evs = append(evs, model.CaseEvent{CaseSource: "p", CaseExternalID: "C", ExternalID: fmt.Sprint(i),
				At: ts("2026-01-01T00:00:00Z").Add(time.Duration(50-i) * time.Minute), Source: "p", Kind: model.EventComment, New: fmt.Sprint(i)})
		}
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for _, s := range []*store.Store{s1, s2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range evs {
					if _, err := s.Apply(ctx, &store.Batch{Events: evs[i : i+1]}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if c := counts(t, s1); c["case_events"] != 51 {
			t.Fatalf("case_events %d, want 51", c["case_events"])
		}
		if err := s1.Check(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSameExternalIDFromTwoSources(t *testing.T) {
	engines(t, func(t *testing.T, open func() *store.Store) {
		s := open()
		res := apply(t, s, &store.Batch{Alerts: []model.Alert{
			{Source: "edr", ExternalID: "1", Title: "from edr"},
			{Source: "ids", ExternalID: "1", Title: "from ids"},
		}})
		if res.Inserted[store.KindAlert] != 2 {
			t.Fatalf("inserted %v", res.Inserted)
		}
		res = apply(t, s, &store.Batch{Alerts: []model.Alert{{Source: "ids", ExternalID: "1", Title: "from ids"}}})
		if res.Unchanged[store.KindAlert] != 1 {
			t.Fatalf("re-apply %+v", res)
		}
		for src, want := range map[string]string{"edr": "from edr", "ids": "from ids"} {
			a, err := s.AlertByExternalID(context.Background(), src, "1")
			if err != nil || a.Title != want {
				t.Fatalf("%s: %+v %v", src, a, err)
			}
		}
	})
}

// TestListAlertsWindow lists a time window newest first by id, sparse
// (read through the created_at index on SQLite) and dense (walked by id):
// both give the same alerts, in id order, filters and paging applied.
func TestListAlertsWindow(t *testing.T) {
	engines(t, func(t *testing.T, open func() *store.Store) {
		s := open()
		ctx := context.Background()
		base := ts("2026-01-01T00:00:00Z")
		var b store.Batch
		// 5,000 old alerts, then three recent ones, one of them imported
		// late (a low created_at but the highest id).
		for i := 0; i < 5000; i++ {
			b.Alerts = append(b.Alerts, model.Alert{Source: "siem", ExternalID: fmt.Sprintf("old%d", i), Title: "t",
				Severity: model.SeverityLow, CreatedAt: base.Add(time.Duration(i) * time.Minute)})
		}
		for i, sev := range []model.Severity{model.SeverityHigh, model.SeverityLow, model.SeverityCritical} {
			b.Alerts = append(b.Alerts, model.Alert{Source: "siem", ExternalID: fmt.Sprintf("new%d", i), Title: "t", Severity: sev,
				CreatedAt: ts("2026-02-01T00:00:00Z").Add(time.Duration(i) * time.Hour)})
		}
		b.Alerts = append(b.Alerts, model.Alert{Source: "edr", ExternalID: "late", Title: "t", Severity: model.SeverityHigh,
			CreatedAt: base})
		apply(t, s, &b)
		ids := func(as []model.Alert) string {
			var out []string
			for _, a := range as {
				out = append(out, a.ExternalID)
			}
			return strings.Join(out, " ")
		}
		for _, c := range []struct {
			name string
			f    store.AlertFilter
			want string
		}{
			{"sparse window", store.AlertFilter{Since: ts("2026-01-20T00:00:00Z"), Limit: 10}, "new2 new1 new0"},
			{"sparse, severity", store.AlertFilter{Since: ts("2026-01-20T00:00:00Z"), MinSeverity: model.SeverityHigh, Limit: 10}, "new2 new0"},
			{"sparse, closed window", store.AlertFilter{Since: ts("2026-01-20T00:00:00Z"), Until: ts("2026-02-01T01:30:00Z"), Limit: 10}, "new1 new0"},
			{"empty window", store.AlertFilter{Since: ts("2026-03-01T00:00:00Z"), Limit: 10}, ""},
			{"dense window, paged", store.AlertFilter{Since: base, Limit: 3}, "late new2 new1"},
			{"the late import is in its own window", store.AlertFilter{Since: base, Until: base.Add(time.Second), Limit: 5}, "late old0"},
		} {
			got, err := s.Alerts(ctx, c.f)
			if err != nil || ids(got) != c.want {
				t.Errorf("%s: %q, %v; want %q", c.name, ids(got), err, c.want)
			}
		}
		first, _ := s.Alerts(ctx, store.AlertFilter{Since: ts("2026-01-20T00:00:00Z"), Limit: 2})
		next, err := s.Alerts(ctx, store.AlertFilter{Since: ts("2026-01-20T00:00:00Z"), Limit: 2, AfterID: first[1].ID})
		if err != nil || ids(next) != "new0" {
			t.Errorf("second page %q, %v", ids(next), err)
		}
	})
}

// A late event is merged with the stored log to derive stages; the stored
// stage events must still count as there, whatever the merge does to the
// order (it once sorted the stored slice in place, so the newest stored
// stage event could fall out of view and be derived a second time).
func TestLateEventKeepsStoredStageEvents(t *testing.T) {
	engines(t, func(t *testing.T, open func() *store.Store) {
		s := open()
		ctx := context.Background()
		apply(t, s, &store.Batch{Cases: []model.Case{{Source: "sn", ExternalID: "INC2", Title: "t", Status: "New",
			CreatedAt: ts("2026-02-01T00:00:00Z"), UpdatedAt: ts("2026-02-01T00:00:00Z")}}})
		ev := func(id, at, kind, new string) model.CaseEvent {
			return model.CaseEvent{CaseSource: "sn", CaseExternalID: "INC2", ExternalID: id, At: ts(at), Source: "sn",
				Kind: model.EventKind(kind), New: new}
		}
		// Stored: created, status New, a comment, then a status change
		// with its stage event given explicitly (5 events).
		res := apply(t, s, &store.Batch{Events: []model.CaseEvent{
			ev("c1", "2026-02-01T00:10:00Z", "comment", "look"),
			ev("s1", "2026-02-01T01:00:00Z", "status", "Active"),
			ev("g1", "2026-02-01T01:00:00Z", "stage", "investigating"),
		}})
		if res.Events != 3 {
			t.Fatalf("events appended %d, want 3 (the given stage event stands for the status change)", res.Events)
		}
		res = apply(t, s, &store.Batch{Events: []model.CaseEvent{ev("c0", "2026-02-01T00:30:00Z", "comment", "late")}})
		if res.Events != 1 {
			t.Errorf("late comment appended %d events, want 1", res.Events)
		}
		evs, err := s.CaseEvents(ctx, mustCaseID(t, s, "sn", "INC2"))
		if err != nil {
			t.Fatal(err)
		}
		stages := 0
		for _, e := range evs {
			if e.Kind == model.EventStage {
				stages++
			}
		}
		if stages != 1 {
			t.Errorf("stage events in the log: %d, want 1 (%s)", stages, kinds(evs))
		}
	})
}

func mustCaseID(t *testing.T, s *store.Store, source, ext string) int64 {
	t.Helper()
	c, err := s.CaseByExternalID(context.Background(), source, ext)
	if err != nil {
		t.Fatalf("reading case %s/%s: %v", source, ext, err)
	}
	return c.ID
}
