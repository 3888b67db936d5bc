package maintain

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/demo"
	"github.com/watchfloor/watchfloor/internal/demo/demotest"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/report"
	"github.com/watchfloor/watchfloor/internal/staffing"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// retentionEnd is the end of the demo SOC the retention tests prune.
var retentionEnd = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// demoInto stores a 130-day demo SOC of 120 alerts a day in st.
func demoInto(t *testing.T, st *store.Store) {
	t.Helper()
	cfg := demo.Config{Days: 130, AlertsPerDay: 120, Analysts: 8, End: retentionEnd}.WithDefaults()
	demotest.Records(t, st, cfg, nil)
	// The demo's native records carry no source payload; these do, as
	// OCSF findings and SOAR cases would: alerts every 15 hours, one in ten
	// in a case of its own.
	var b store.Batch
	for i := range 200 {
		at := retentionEnd.Add(-time.Duration(i) * 15 * time.Hour)
		id := fmt.Sprintf("f%03d", i)
		al := model.Alert{Source: "ocsf", ExternalID: id, Title: "Detection " + id, Severity: model.SeverityMedium,
			RuleID: "ocsf-rule", RuleName: "OCSF rule", CreatedAt: at, OccurredAt: at.Add(-time.Minute),
			Raw: []byte(fmt.Sprintf(`{"class_uid":2004,"finding_info":{"uid":%q}}`, id))}
		if i%10 == 0 {
			al.CaseExternalID = "case-" + id
			b.Cases = append(b.Cases, model.Case{Source: "ocsf", ExternalID: "case-" + id, Title: "Case " + id, Priority: model.P3,
				Status: "new", CreatedAt: at, UpdatedAt: at, Raw: []byte(fmt.Sprintf(`{"case":%q}`, id))})
		}
		b.Alerts = append(b.Alerts, al)
	}
	if _, err := st.Apply(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RefreshFacts(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// everyReport renders, as JSON, every report over the store's history: the
// performance report of each timeframe with its trend and series, by each
// grouping, rule quality of each timeframe, a window over the whole period
// by explicit dates, and the ATT&CK technique sets of that window.
func everyReport(t *testing.T, svc *metrics.Service) []byte {
	t.Helper()
	ctx := context.Background()
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	emit := func(v any) {
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
	}
	windows := []metrics.WindowQuery{{From: "2026-01-01", To: "2026-05-31"}, {From: "2026-01-20", To: "2026-02-28"}}
	for _, tf := range metrics.Timeframes {
		windows = append(windows, metrics.WindowQuery{Timeframe: string(tf)})
	}
	for _, wq := range windows {
		for _, g := range append([]string{""}, metrics.GroupBys...) {
			rep, err := svc.Performance(ctx, metrics.PerformanceQuery{WindowQuery: wq, GroupBy: g, Trend: true, Series: true})
			if err != nil {
				t.Fatalf("performance %+v %s: %v", wq, g, err)
			}
			emit(rep)
		}
		rules, err := svc.Rules(ctx, metrics.RulesQuery{WindowQuery: wq})
		if err != nil {
			t.Fatalf("rules %+v: %v", wq, err)
		}
		emit(rules)
		res, err := svc.Resolve(ctx, wq)
		if err != nil {
			t.Fatal(err)
		}
		sets, n, err := svc.Engine().TechniqueSets(ctx, res.Window)
		if err != nil {
			t.Fatal(err)
		}
		emit(sets)
		emit(n)
	}
	return out.Bytes()
}

// TestRetentionKeepsEveryReport prunes raw payloads after 30 days, alerts
// after 90 and the logs of cases closed more than 90 days ago from a
// 130-day demo SOC, and compares every report over the whole period,
// pruned days included, before and after, byte for byte — the KPIs with
// their trends and series, the executive report's data, the shift handover
// and operations review of pruned days, and the staffing model's history
// (a history longer than the alert retention says what it misses) — with a
// fresh report service, so nothing comes from a cache in memory.
func TestRetentionKeepsEveryReport(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		ctx := context.Background()
		now := retentionEnd
		clock := func() time.Time { return now }
		// The reports before pruning come from a twin store (the demo is
		// deterministic), so the pruned store has no day aggregate built
		// before retention removes alerts: the reports after are built
		// from the alert rollups kept at ingest alone.
		twin := storetest.Open(t, storetest.SQLitePath(t))
		demoInto(t, twin)
		before := everyReport(t, metrics.NewService(twin, clock))
		staffingBefore := staffingHistory(t, twin, 0)
		docsBefore := documents(t, twin, clock)
		st := open()
		demoInto(t, st)
		countsBefore, err := st.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}

		var log auditLog
		eventsBefore := countsBefore["case_events"]
		r := &Retention{Store: st, Policy: Policy{RawPayloads: 30 * 24 * time.Hour, Alerts: 90 * 24 * time.Hour, CaseLogs: 90 * 24 * time.Hour},
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Audit: &log, Actor: "test", Now: clock}
		dry, err := r.Apply(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != 0 {
			t.Errorf("a dry run wrote the audit log: %+v", log)
		}
		if c, _ := st.Counts(ctx); c["alerts"] != countsBefore["alerts"] {
			t.Fatalf("a dry run removed alerts: %d of %d left", c["alerts"], countsBefore["alerts"])
		}
		rep, err := r.Apply(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		t.Log(rep.Summary())
		if rep.Alerts.Alerts == 0 || rep.Alerts.Kept == 0 || rep.Raw.Alerts.Rows == 0 || rep.Raw.Cases.Rows == 0 ||
			rep.CaseLogs.Cases == 0 || rep.CaseLogs.Comments == 0 {
			t.Fatalf("nothing pruned: %s", rep.Summary())
		}
		if rep.Alerts.Alerts != dry.Alerts.Alerts || rep.Raw.Alerts != dry.Raw.Alerts || rep.Raw.Cases != dry.Raw.Cases ||
			*rep.CaseLogs != *dry.CaseLogs {
			t.Errorf("the dry run counted %s\nthe run did %s", dry.Summary(), rep.Summary())
		}
		if c, _ := st.Counts(ctx); c["case_events"] != eventsBefore-rep.CaseLogs.Events {
			t.Errorf("%d case events left, want %d − %d", c["case_events"], eventsBefore, rep.CaseLogs.Events)
		}
		if w, _ := st.RetentionWatermarks(ctx); !w.CaseLogs.Equal(rep.CaseLogs.Before) || !w.Alerts.Equal(rep.Alerts.Before) ||
			!w.RawPayloads.Equal(rep.Raw.Before) {
			t.Errorf("watermarks %+v after %s", w, rep.Summary())
		}
		if want := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC); !rep.Alerts.Before.Equal(want) {
			t.Errorf("alerts pruned before %s, want %s (the day 90 days before %s)", rep.Alerts.Before, want, now)
		}
		countsAfter, _ := st.Counts(ctx)
		if got, want := countsAfter["alerts"], countsBefore["alerts"]-rep.Alerts.Alerts; got != want {
			t.Errorf("%d alerts left, want %d", got, want)
		}
		if len(log) != 1 || log[0].Action != "retention apply" || !strings.Contains(log[0].Detail, "removed") {
			t.Errorf("audit log %+v", log)
		}

		after := everyReport(t, metrics.NewService(st, clock))
		if !bytes.Equal(before, after) {
			t.Errorf("reports changed by retention:\n%s", firstDiff(before, after))
		}
		if got := staffingHistory(t, st, 0); !bytes.Equal(got, staffingBefore) {
			t.Errorf("the staffing model's history changed by retention:\n%s", firstDiff(staffingBefore, got))
		}
		// A history reaching before the alerts removed says so.
		w, err := staffing.Model(ctx, st, staffing.Config{HistoryDays: 130})
		if err != nil {
			t.Fatal(err)
		}
		const note = "The history from 2026-01-22 reaches before 2026-03-03, where alert retention removed the alerts of no case: " +
			"the alert arrivals and rule volumes before it cannot be counted again, so alert inflow is understated; set history_days to at most 90"
		if len(w.Notes) == 0 || w.Notes[len(w.Notes)-1] != note {
			t.Errorf("staffing notes %q\nwant last %q", w.Notes, note)
		}
		if got := documents(t, st, clock); !bytes.Equal(got, docsBefore) {
			t.Errorf("the report documents changed by retention:\n%s", firstDiff(docsBefore, got))
		}
		if err := st.Check(ctx); err != nil {
			t.Errorf("check after retention: %v", err)
		}
		// A late alert on a day before the horizon is counted like any
		// other: its rollup was kept at ingest.
		late := store.Batch{Alerts: []model.Alert{{Source: "ocsf", ExternalID: "late", Title: "late", RuleID: "ocsf-rule",
			CreatedAt: time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC)}}}
		for _, s := range []*store.Store{st, twin} {
			if _, err := s.Apply(ctx, &late); err != nil {
				t.Fatal(err)
			}
		}
		q := metrics.RulesQuery{WindowQuery: metrics.WindowQuery{From: "2026-01-01", To: "2026-05-31"}}
		rules, err := metrics.NewService(st, clock).Rules(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		twinRules, err := metrics.NewService(twin, clock).Rules(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, "rule quality after a late alert on a pruned day", twinRules, rules)

		// A second run finds nothing more to do and changes nothing.
		again, err := r.Apply(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		if again.Alerts.Alerts != 1 || again.Alerts.Kept != rep.Alerts.Kept {
			t.Errorf("second run: %s; want the late alert removed and the same kept", again.Summary())
		}
		// The time zone cannot change under frozen aggregates.
		if err := st.SetTimeZone(ctx, "Europe/Berlin"); err == nil || !strings.Contains(err.Error(), "retention") {
			t.Errorf("time zone change after pruning: %v", err)
		}
	})
}

// TestCaseLogRetentionKeepsStaffingHistory prunes only case logs (cases
// closed more than 90 days ago) from the 130-day demo SOC: the staffing
// model over all 130 days, which reads case arrivals by their first
// priority and handle times from the logs, is the same byte for byte, and
// so are the KPI reports with their series.
func TestCaseLogRetentionKeepsStaffingHistory(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		ctx := context.Background()
		clock := func() time.Time { return retentionEnd }
		twin := storetest.Open(t, storetest.SQLitePath(t))
		demoInto(t, twin)
		staffingBefore := staffingHistory(t, twin, 130)
		q := metrics.PerformanceQuery{WindowQuery: metrics.WindowQuery{Timeframe: "quarterly"}, GroupBy: metrics.ByAnalyst, Trend: true, Series: true}
		perfBefore, err := metrics.NewService(twin, clock).Performance(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		st := open()
		demoInto(t, st)
		r := &Retention{Store: st, Policy: Policy{CaseLogs: 90 * 24 * time.Hour}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clock}
		rep, err := r.Apply(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		if rep.CaseLogs == nil || rep.CaseLogs.Cases == 0 || rep.Alerts != nil || rep.Raw != nil {
			t.Fatalf("pruned %s", rep.Summary())
		}
		if got := staffingHistory(t, st, 130); !bytes.Equal(got, staffingBefore) {
			t.Errorf("the staffing model's 130-day history changed by case-log retention:\n%s", firstDiff(staffingBefore, got))
		}
		perf, err := metrics.NewService(st, clock).Performance(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, "the quarterly report by analyst", perfBefore, perf)
	})
}

// TestRetentionNeverRebuildsPrunedDays: alerts removed before any report
// built their days still count, and a rebuild of the alert rollups from the
// rows left keeps the days before the horizon.
func TestRetentionNeverRebuildsPrunedDays(t *testing.T) {
	ctx := context.Background()
	clock := func() time.Time { return retentionEnd }
	twin := storetest.Open(t, storetest.SQLitePath(t))
	demoInto(t, twin)
	q := metrics.RulesQuery{WindowQuery: metrics.WindowQuery{From: "2026-02-20", To: "2026-03-10"}}
	want, err := metrics.NewService(twin, clock).Rules(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.Open(t, storetest.SQLitePath(t))
	demoInto(t, st)
	if _, err := st.PruneAlerts(ctx, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), false); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RebuildAlertRollups(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := metrics.NewService(st, clock).Rules(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "rule quality over pruned days", want, got)
}

func TestPolicyValidate(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		p    Policy
		want string
	}{
		{Policy{}, ""},
		{Policy{RawPayloads: day, Alerts: 90 * day}, ""},
		{Policy{RawPayloads: time.Hour}, "raw payload retention 1h0m0s"},
		{Policy{Alerts: 30 * day}, "alert retention 30d: want 0 (keep) or at least 90d"},
		{Policy{Alerts: -day}, "alert retention"},
	}
	for _, tc := range tests {
		err := tc.p.Validate()
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: %v, want %q", tc.p, err, tc.want)
		}
	}
	for in, want := range map[string]time.Duration{"": 0, "0": 0, "90d": 90 * day, "36h": 36 * time.Hour} {
		if got, err := ParseDays(in); err != nil || got != want {
			t.Errorf("ParseDays(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"x", "-3d", "3 weeks", "-1h"} {
		if _, err := ParseDays(in); err == nil {
			t.Errorf("ParseDays(%q) accepted", in)
		}
	}
}

// sameJSON fails the test when want and got render to different JSON.
func sameJSON(t *testing.T, what string, want, got any) {
	t.Helper()
	a, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("%s changed:\n%s", what, firstDiff(a, b))
	}
}

// firstDiff shows where two renderings first differ.
func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-300)
	return "before: …" + string(a[lo:min(len(a), i+300)]) + "\nafter:  …" + string(b[lo:min(len(b), i+300)])
}

// TestCheckRollups: the stored aggregates of a demo store equal their
// recomputation from raw rows; a stored part swapped for another day's is
// found.
func TestCheckRollups(t *testing.T) {
	ctx := context.Background()
	path := storetest.SQLitePath(t)
	st := storetest.Open(t, path)
	demoInto(t, st)
	everyReport(t, metrics.NewService(st, func() time.Time { return retentionEnd })) // stores the aggregates
	rc, err := CheckRollups(ctx, st, 5)
	if err != nil {
		t.Fatal(err)
	}
	if rc.CaseDays != 5 || rc.AlertDays != 5 || rc.RawAlertDays != 5 || len(rc.Mismatches) != 0 {
		t.Fatalf("sound store: %+v", rc)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The newest case day's "all" part becomes the day before's.
	var day int64
	if err := db.QueryRow(`SELECT MAX(day) FROM rollup_days WHERE kind = 'cases' AND built_version = version`).Scan(&day); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE rollup_parts SET data = (SELECT p.data FROM rollup_parts p WHERE p.kind = 'cases' AND p.part = 'all' AND p.day < ? ORDER BY p.day DESC LIMIT 1)
		WHERE kind = 'cases' AND part = 'all' AND day = ?`, day, day); err != nil {
		t.Fatal(err)
	}
	rc, err = CheckRollups(ctx, st, 5)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("cases %d", day); !slices.Equal(rc.Mismatches, []string{want}) {
		t.Errorf("mismatches %v, want [%s]", rc.Mismatches, want)
	}
	// An alert whose row changes behind the store's back (not through
	// ingest) leaves the kept rollup differing from the raw rows.
	var alertDay int64
	if err := db.QueryRow(`SELECT MAX(day) FROM rollup_days WHERE kind = 'alerts' AND built_version = version`).Scan(&alertDay); err != nil {
		t.Fatal(err)
	}
	from := time.Date(int(alertDay/10000), time.Month(alertDay/100%100), int(alertDay%100), 0, 0, 0, 0, time.UTC)
	if _, err := db.Exec(`UPDATE alerts SET rule_id = 'tampered' WHERE id = (SELECT MIN(id) FROM alerts WHERE created_at >= ? AND created_at < ?)`,
		from.UnixMicro(), from.AddDate(0, 0, 1).UnixMicro()); err != nil {
		t.Fatal(err)
	}
	rc, err = CheckRollups(ctx, st, 5)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("alert rollups %d (kept at ingest ≠ raw alerts)", alertDay); !slices.Contains(rc.Mismatches, want) {
		t.Errorf("mismatches %v, want %s among them", rc.Mismatches, want)
	}
}

// TestCheckStaffingHistory: the staffing history kept for a demo store (the
// handle-time hours a plan built, the case arrival counts) equals its rows;
// an hour's kept summary swapped for another's, and a case arrival count
// changed behind the store's back, are found.
func TestCheckStaffingHistory(t *testing.T) {
	ctx := context.Background()
	path := storetest.SQLitePath(t)
	st := storetest.Open(t, path)
	demoInto(t, st)
	staffingHistory(t, st, 0) // builds the window's hours
	rc, err := CheckRollups(ctx, st, 2)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var built int
	if err := db.QueryRow(`SELECT COUNT(*) FROM handle_hours WHERE built_version = version AND data IS NOT NULL`).Scan(&built); err != nil {
		t.Fatal(err)
	}
	// Two days: the newest 48 built hours (fewer where no case was
	// resolved) and 192 quarter hours of arrivals.
	if built < 2 || rc.StaffingHours != min(built, 48) || rc.StaffingQuarters != 192 || len(rc.Mismatches) != 0 {
		t.Fatalf("sound store (%d hours built): %+v", built, rc)
	}
	var hour int64
	if err := db.QueryRow(`SELECT MAX(hour) FROM handle_hours WHERE built_version = version AND data IS NOT NULL
		AND data <> (SELECT h.data FROM handle_hours h WHERE h.hour < handle_hours.hour AND h.data IS NOT NULL ORDER BY h.hour DESC LIMIT 1)`).Scan(&hour); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE handle_hours SET data = (SELECT h.data FROM handle_hours h WHERE h.hour < ? AND h.data IS NOT NULL ORDER BY h.hour DESC LIMIT 1)
		WHERE hour = ?`, hour, hour); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE case_arrivals SET n = n + 1 WHERE quarter = (SELECT MAX(quarter) FROM case_arrivals WHERE n <> 0)`); err != nil {
		t.Fatal(err)
	}
	rc, err = CheckRollups(ctx, st, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("handle-time hour %s", time.UnixMicro(hour*int64(time.Hour/time.Microsecond)).UTC().Format("2006-01-02T15Z"))
	if len(rc.Mismatches) != 2 || rc.Mismatches[0] != want || !strings.HasPrefix(rc.Mismatches[1], "case arrivals of the 192 quarter hours") {
		t.Errorf("mismatches %q, want [%s, case arrivals …]", rc.Mismatches, want)
	}
}

// staffingHistory renders the staffing model built from a store's history
// (arrivals, handle times, rule volumes) of days (0: the default 28).
func staffingHistory(t *testing.T, st *store.Store, days int) []byte {
	t.Helper()
	w, err := staffing.Model(context.Background(), st, staffing.Config{HistoryDays: days})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// documents renders the data of the reports written as documents over
// pruned days: the executive report (its sidecar JSON) of two months and of
// the default month, the shift handover of a day and the operations review
// of a week.
func documents(t *testing.T, st *store.Store, clock func() time.Time) []byte {
	t.Helper()
	ctx := context.Background()
	src := report.Sources{Store: st, Metrics: metrics.NewService(st, clock)}
	var out bytes.Buffer
	for _, q := range []report.Query{{From: "2026-01-01", To: "2026-02-28"}, {}} {
		e, err := src.Executive(ctx, q)
		if err != nil {
			t.Fatalf("executive %+v: %v", q, err)
		}
		if err := e.Render(&out, "json"); err != nil {
			t.Fatal(err)
		}
	}
	h, err := src.ShiftHandover(ctx, report.ShiftQuery{Day: "2026-02-10"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Render(&out, "json"); err != nil {
		t.Fatal(err)
	}
	o, err := src.Operations(ctx, report.OperationsQuery{From: "2026-02-02", To: "2026-02-08"})
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Render(&out, "json"); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
