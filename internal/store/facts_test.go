package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/kpi"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/sla"
	"github.com/watchfloor/watchfloor/internal/store"
)

// factsBatch is two cases: C1 created 2 March 23:30 UTC (3 March in
// Paris), acknowledged after 10 minutes and resolved after 2 hours, linked
// to an alert that occurred 20 minutes before it was created; C2, created
// 3 March 10:00, still open.
func factsBatch() *store.Batch {
	ev := func(c, id, at string, kind model.EventKind, val string) model.CaseEvent {
		return model.CaseEvent{CaseSource: "soar", CaseExternalID: c, ExternalID: id, At: ts(at), Source: "soar", Kind: kind, New: val, Actor: "ann"}
	}
	return &store.Batch{
		SLA: []model.SLAPolicy{{Name: "std", Version: 1, EffectiveFrom: ts("2026-01-01T00:00:00Z"),
			Targets: map[model.Priority]model.SLATarget{model.P2: {Acknowledge: 15 * time.Minute, Resolve: time.Hour}}}},
		Cases: []model.Case{
			{Source: "soar", ExternalID: "C1", Title: "one", Priority: model.P2, Stage: model.StageNew,
				CreatedAt: ts("2026-03-02T23:30:00Z"), UpdatedAt: ts("2026-03-02T23:30:00Z")},
			{Source: "soar", ExternalID: "C2", Title: "two", Priority: model.P3, Stage: model.StageNew,
				CreatedAt: ts("2026-03-03T10:00:00Z"), UpdatedAt: ts("2026-03-03T10:00:00Z")},
		},
		Alerts: []model.Alert{{Source: "soar", ExternalID: "a1", Title: "x", RuleID: "R1", Severity: model.SeverityHigh,
			OccurredAt: ts("2026-03-02T23:10:00Z"), CreatedAt: ts("2026-03-02T23:25:00Z"), CaseExternalID: "C1"}},
		Events: []model.CaseEvent{
			ev("C1", "1", "2026-03-02T23:40:00Z", model.EventAssignee, "ann"),
			ev("C1", "2", "2026-03-03T01:30:00Z", model.EventStage, "resolved"),
		},
	}
}

func dayFacts(t *testing.T, s *store.Store, day int64) map[int64]kpi.Facts {
	t.Helper()
	out := map[int64]kpi.Facts{}
	if err := s.DayFacts(context.Background(), day, func(f *kpi.Facts) { out[f.CaseID] = *f }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRefreshFactsAndRollupDays(t *testing.T) {
	engines(t, func(t *testing.T, open func() *store.Store) {
		s := open()
		ctx := context.Background()
		apply(t, s, factsBatch())
		n, err := s.RefreshFacts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Errorf("refreshed %d cases, want 2", n)
		}
		if n, _ := s.RefreshFacts(ctx); n != 0 {
			t.Errorf("a second refresh computed %d cases, want 0", n)
		}
		// UTC days: C1 on the 2nd, C2 on the 3rd.
		f2, f3 := dayFacts(t, s, 20260302), dayFacts(t, s, 20260303)
		if len(f2) != 1 || len(f3) != 1 {
			t.Fatalf("facts on 2 and 3 March: %d and %d cases, want 1 and 1", len(f2), len(f3))
		}
		var c1 kpi.Facts
		for _, f := range f2 {
			c1 = f
		}
		if got := c1.Ack.Sub(c1.Created); got != 10*time.Minute {
			t.Errorf("C1 acknowledged after %v, want 10m", got)
		}
		if got := c1.Resolve.Sub(c1.Created); got != 2*time.Hour {
			t.Errorf("C1 resolved after %v, want 2h", got)
		}
		if !c1.Occurred.Equal(ts("2026-03-02T23:10:00Z")) {
			t.Errorf("C1 occurred %v, want the alert's 23:10", c1.Occurred)
		}
		if c1.Rule != "R1" {
			t.Errorf("C1 rule %q, want R1", c1.Rule)
		}
		if c1.SLAAck != sla.StatusMet || c1.SLAResolve != sla.StatusBreached {
			t.Errorf("C1 SLA acknowledge %q resolve %q, want met and breached", c1.SLAAck, c1.SLAResolve)
		}
		if !c1.Done || c1.Priority != model.P2 || c1.Analyst != "ann" {
			t.Errorf("C1 done %v priority %v analyst %q, want true P2 ann", c1.Done, c1.Priority, c1.Analyst)
		}
		days, err := s.RollupVersions(ctx, store.RollupCases, 20260301, 20260331)
		if err != nil {
			t.Fatal(err)
		}
		var marked []int64
		for _, d := range days {
			marked = append(marked, d.Day)
			if !d.Stale() {
				t.Errorf("day %d is not stale before it was ever built", d.Day)
			}
		}
		if !slices.Equal(marked, []int64{20260302, 20260303}) {
			t.Errorf("case rollup days %v, want 20260302 and 20260303", marked)
		}

		// Building a day stores its parts; a new event on the day's case
		// makes it stale again.
		v := days[0].Version
		if err := s.SaveRollupParts(ctx, store.RollupCases, 20260302, v, map[string]string{"all": "data"}); err != nil {
			t.Fatal(err)
		}
		if gotV, data, ok, err := s.RollupPart(ctx, store.RollupCases, 20260302, "all"); err != nil || !ok || data != "data" || gotV != v {
			t.Errorf("stored part: version %d data %q ok %v err %v, want %d \"data\" true", gotV, data, ok, err, v)
		}
		if _, _, ok, _ := s.RollupPart(ctx, store.RollupCases, 20260302, "by_rule"); ok {
			t.Error("a part never stored was found")
		}
		days, _ = s.RollupVersions(ctx, store.RollupCases, 20260302, 20260302)
		if len(days) != 1 || days[0].Stale() {
			t.Fatalf("built day %+v, want fresh", days)
		}
		apply(t, s, &store.Batch{Events: []model.CaseEvent{{CaseSource: "soar", CaseExternalID: "C1", ExternalID: "3",
			At: ts("2026-03-03T02:00:00Z"), Source: "soar", Kind: model.EventComment, New: "note"}}})
		if n, _ := s.RefreshFacts(ctx); n != 1 {
			t.Errorf("refresh after a new event computed %d cases, want 1", n)
		}
		days, _ = s.RollupVersions(ctx, store.RollupCases, 20260302, 20260302)
		if len(days) != 1 || !days[0].Stale() {
			t.Errorf("day after a new event %+v, want stale", days)
		}

		// In Paris C1 was created on the 3rd: its facts move there.
		if err := s.SetTimeZone(ctx, "Europe/Paris"); err != nil {
			t.Fatal(err)
		}
		if loc, err := s.TimeZone(ctx); err != nil || loc.String() != "Europe/Paris" {
			t.Errorf("time zone %v, %v", loc, err)
		}
		if v, err := s.Setting(ctx, store.SettingTimeZone); err != nil || v != "Europe/Paris" {
			t.Errorf("setting %q, %v", v, err)
		}
		if got := len(dayFacts(t, s, 20260303)); got != 2 {
			t.Errorf("3 March in Paris holds %d cases, want 2", got)
		}
		if got := len(dayFacts(t, s, 20260302)); got != 0 {
			t.Errorf("2 March in Paris holds %d cases, want 0", got)
		}
		if err := s.SetTimeZone(ctx, "Mars/Olympus"); err == nil {
			t.Error("an unknown time zone was saved")
		}
	})
}

func TestOpenWorkReads(t *testing.T) {
	engines(t, func(t *testing.T, open func() *store.Store) {
		s := open()
		ctx := context.Background()
		apply(t, s, factsBatch())
		cases, err := s.OpenCases(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(cases) != 1 || cases[0].ExternalID != "C2" {
			t.Fatalf("open cases %+v, want C2 only", cases)
		}
		if cases[0].Raw != nil {
			t.Errorf("open case read with its raw record (%d bytes)", len(cases[0].Raw))
		}
		logs, err := s.OpenCaseEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		evs := logs[cases[0].ID]
		if len(logs) != 1 || len(evs) == 0 {
			t.Fatalf("open case logs %v", logs)
		}
		for _, e := range evs {
			if e.Kind == model.EventComment || e.Kind == model.EventAlertLinked {
				t.Errorf("open case log holds a %s event, which no SLA clock reads", e.Kind)
			}
		}
		n, err := s.CountAlerts(ctx, ts("2026-03-02T23:00:00Z"), ts("2026-03-03T00:00:00Z"))
		if err != nil || n != 1 {
			t.Errorf("alerts in the hour: %d, %v; want 1", n, err)
		}
		if n, _ := s.CountAlerts(ctx, ts("2026-03-03T00:00:00Z"), ts("2026-03-04T00:00:00Z")); n != 0 {
			t.Errorf("alerts the next day: %d, want 0", n)
		}
		var rows []store.AlertRow
		if err := s.EachAlert(ctx, ts("2026-03-01T00:00:00Z"), ts("2026-03-04T00:00:00Z"), func(r *store.AlertRow) { rows = append(rows, *r) }); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].RuleID != "R1" || !rows[0].Linked || rows[0].Severity != model.SeverityHigh {
			t.Errorf("alert rows %+v, want R1, high, linked", rows)
		}
		last, err := s.LatestActivity(ctx)
		if err != nil || last.IsZero() {
			t.Errorf("latest activity %v, %v", last, err)
		}
		all, err := s.Cases(ctx, store.CaseFilter{})
		if err != nil || len(all) != 2 {
			t.Errorf("cases %d, %v; want 2", len(all), err)
		}
	})
}

func TestRawBaselines(t *testing.T) {
	engines(t, func(t *testing.T, open func() *store.Store) {
		s := open()
		ctx := context.Background()
		// Four P2 cases resolved after 1, 2, 3 and 10 hours: mean 4h,
		// lower median 2h; a test case is left out.
		var b store.Batch
		for i, h := range []int{1, 2, 3, 10, 5} {
			id := string(rune('A' + i))
			c := model.Case{Source: "s", ExternalID: id, Title: id, Priority: model.P2, Stage: model.StageNew,
				CreatedAt: ts("2026-03-02T00:00:00Z"), UpdatedAt: ts("2026-03-02T00:00:00Z")}
			if i == 4 {
				c.Disposition = model.DispositionTest
			}
			b.Cases = append(b.Cases, c)
			b.Events = append(b.Events, model.CaseEvent{CaseSource: "s", CaseExternalID: id, At: ts("2026-03-02T00:00:00Z").Add(time.Duration(h) * time.Hour),
				Source: "s", Kind: model.EventStage, New: "resolved"})
		}
		b.Cases = append(b.Cases, model.Case{Source: "s", ExternalID: "open", Title: "o", Priority: model.P1, Stage: model.StageTriage,
			CreatedAt: ts("2026-03-02T00:00:00Z")})
		apply(t, s, &b)
		mttr, err := s.RawMTTR(ctx, ts("2026-03-01T00:00:00Z"), ts("2026-03-03T00:00:00Z"))
		if err != nil {
			t.Fatal(err)
		}
		got := mttr[model.P2]
		if got.Count != 4 {
			t.Errorf("MTTR count %d, want 4", got.Count)
		}
		if got.Mean != 4*3600 {
			t.Errorf("MTTR mean %v s, want 14400", got.Mean)
		}
		if got.Median != 2*3600 {
			t.Errorf("MTTR median %v s, want 7200 (lower middle)", got.Median)
		}
		queue, lastHour, err := s.RawQueue(ctx, ts("2026-03-02T00:30:00Z"))
		if err != nil {
			t.Fatal(err)
		}
		if len(queue) != 1 || queue[[2]string{"P1", "triage"}] != 1 || lastHour != 0 {
			t.Errorf("raw queue %v, alerts last hour %d; want one P1 in triage, 0", queue, lastHour)
		}
	})
}

func TestOverviewAndFingerprint(t *testing.T) {
	engines(t, func(t *testing.T, open func() *store.Store) {
		s := open()
		ctx := context.Background()
		before, err := s.Fingerprint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		apply(t, s, factsBatch())
		after, err := s.Fingerprint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if before == after {
			t.Error("the fingerprint did not change with a write")
		}
		if again, _ := s.Fingerprint(ctx); again != after {
			t.Errorf("the fingerprint changed without a write: %s then %s", after, again)
		}
		o, err := s.Overview(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if o.AlertsBySource["soar"] != 1 {
			t.Errorf("overview: alerts by source %v, want soar 1", o.AlertsBySource)
		}
		if got := o.OpenCases[model.StageNew][model.P3]; got != 1 {
			t.Errorf("overview: open new P3 cases %d, want 1 (C2)", got)
		}
		if !o.FirstAlert.Equal(ts("2026-03-02T23:25:00Z")) || !o.LastAlert.Equal(o.FirstAlert) {
			t.Errorf("overview: alerts from %v to %v, want both 23:25", o.FirstAlert, o.LastAlert)
		}
		if v, err := s.SchemaVersion(ctx); err != nil || v < 1 {
			t.Errorf("schema version %d, %v", v, err)
		}
		if err := s.Ping(ctx); err != nil {
			t.Error(err)
		}
	})
}

func TestBatchAndResult(t *testing.T) {
	b := store.Batch{Cases: make([]model.Case, 2), Alerts: make([]model.Alert, 3), Shifts: make([]model.Shift, 1)}
	if b.Len() != 6 {
		t.Errorf("batch length %d, want 6", b.Len())
	}
	b.Reset()
	if b.Len() != 0 || cap(b.Alerts) != 3 {
		t.Errorf("reset batch: length %d, alert capacity %d; want 0 and 3 kept", b.Len(), cap(b.Alerts))
	}
	var r store.Result
	r.Add(store.Result{Inserted: map[store.Kind]int{store.KindAlert: 2}, Updated: map[store.Kind]int{store.KindCase: 1},
		Unchanged: map[store.Kind]int{}, Events: 4, Rejects: []store.Reject{{Kind: store.KindEvent}}})
	r.Add(store.Result{Inserted: map[store.Kind]int{store.KindAlert: 1}, Unchanged: map[store.Kind]int{store.KindCase: 5}, Events: 1})
	if r.Inserted[store.KindAlert] != 3 {
		t.Errorf("inserted alerts %d, want 3", r.Inserted[store.KindAlert])
	}
	if r.Updated[store.KindCase] != 1 || r.Unchanged[store.KindCase] != 5 {
		t.Errorf("cases updated %d unchanged %d, want 1 and 5", r.Updated[store.KindCase], r.Unchanged[store.KindCase])
	}
	if r.Events != 5 || len(r.Rejects) != 1 {
		t.Errorf("events %d rejects %d, want 5 and 1", r.Events, len(r.Rejects))
	}
}
