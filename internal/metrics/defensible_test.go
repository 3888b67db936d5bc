package metrics_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/demo"
	"github.com/watchfloor/watchfloor/internal/demo/demotest"
	"github.com/watchfloor/watchfloor/internal/ingest"
	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// Tests of the numbers a SOC manager must be able to defend: breaches in
// flight, empty samples, bad stored policies, future-dated records, rule
// attribution and run-to-run determinism.

// engineDSNs runs test on each engine with the store and the DSN behind
// it (for writing what ingest would refuse straight into the database).
func engineDSNs(t *testing.T, test func(t *testing.T, st *store.Store, driver, dsn string)) {
	t.Run("sqlite", func(t *testing.T) {
		path := storetest.SQLitePath(t)
		test(t, storetest.Open(t, path), "sqlite", path)
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := storetest.PostgresDSN(t)
		test(t, storetest.Open(t, dsn), "pgx", dsn)
	})
}

// demoStore is a SQLite store holding the demo SOC of cfg.
func demoStore(t *testing.T, cfg demo.Config) *store.Store {
	t.Helper()
	st := storetest.Open(t, storetest.SQLitePath(t))
	cfg = cfg.WithDefaults()
	demotest.Records(t, st, cfg, nil)
	return st
}

// service is a report service whose clock reads *now.
func service(st *store.Store, now *time.Time) *metrics.Service {
	return metrics.NewService(st, func() time.Time { return *now })
}

func performance(t *testing.T, svc *metrics.Service, q metrics.PerformanceQuery) *metrics.Report {
	t.Helper()
	rep, err := svc.Performance(context.Background(), q)
	if err != nil {
		t.Fatalf("performance %+v: %v", q, err)
	}
	return rep
}

// inFlightPolicy: P1 acknowledge 30 min, resolve 24 h; P2 acknowledge 1 h,
// resolve 4 h; 24×7.
func inFlightPolicy() model.SLAPolicy {
	return model.SLAPolicy{Name: "std", Version: 1, EffectiveFrom: ts("2026-01-01T00:00:00Z"),
		Targets: map[model.Priority]model.SLATarget{
			model.P1: {Acknowledge: 30 * time.Minute, Resolve: 24 * time.Hour},
			model.P2: {Acknowledge: time.Hour, Resolve: 4 * time.Hour},
		}}
}

// inFlightScripts, all created 2026-03-02 (UTC):
//
//	A P1 10:00, assigned to alice 10:10, never resolved: resolve at risk
//	       from 03-03 05:12 (80 % of 24 h), a breach in flight after 03-03 10:00
//	B P2 16:00, never acknowledged: acknowledge a breach in flight after
//	       17:00, resolve after 20:00
//	C P1 10:00, triage 10:05, resolved 14:00: met, met
//	D P2 10:00, assigned to bob 10:05, resolved 15:00: met, breached (5 h > 4 h)
func inFlightScripts() []*script {
	return []*script{
		newScript("fx", "A", model.P1, "", "2026-03-02T10:00:00Z", "").on("2026-03-02T10:10:00Z", model.EventAssignee, "alice"),
		newScript("fx", "B", model.P2, "", "2026-03-02T16:00:00Z", ""),
		newScript("fx", "C", model.P1, "", "2026-03-02T10:00:00Z", "").
			on("2026-03-02T10:05:00Z", model.EventStage, "triage").on("2026-03-02T14:00:00Z", model.EventStage, "resolved"),
		newScript("fx", "D", model.P2, "", "2026-03-02T10:00:00Z", "").
			on("2026-03-02T10:05:00Z", model.EventAssignee, "bob").on("2026-03-02T15:00:00Z", model.EventStage, "resolved"),
	}
}

// TestBreachesInFlight pins the SLA adherence definition on a hand-built
// log: met ÷ (met + breached), where an open clock counts as breached the
// moment it passes its target, and open clocks within target are shown
// apart. The report judges the same facts at four instants, in the period
// report, the trend series and the per-analyst view.
func TestBreachesInFlight(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		st := open()
		ss := inFlightScripts()
		mustApply(t, st, &store.Batch{SLA: []model.SLAPolicy{inFlightPolicy()}, Cases: cases(ss), Events: events(ss)})
		var now time.Time
		svc := service(st, &now)
		q := metrics.PerformanceQuery{WindowQuery: metrics.WindowQuery{From: "2026-03-02", To: "2026-03-02"}}
		for _, c := range []struct {
			at       string
			ack, res metrics.SLAResult
		}{
			// B just created: within both targets.
			{"2026-03-02T16:30:00Z",
				metrics.SLAResult{Met: 3, Open: 1, Adherence: ptr(1)},
				metrics.SLAResult{Met: 1, Breached: 1, Open: 2, Adherence: ptr(0.5)}},
			// B's hour to acknowledge is over: a breach in flight.
			{"2026-03-02T17:30:00Z",
				metrics.SLAResult{Met: 3, Breached: 1, BreachedOpen: 1, Adherence: ptr(0.75)},
				metrics.SLAResult{Met: 1, Breached: 1, Open: 2, Adherence: ptr(0.5)}},
			// B's 4 h to resolve are over; A is past 80 % of its 24 h.
			{"2026-03-03T06:00:00Z",
				metrics.SLAResult{Met: 3, Breached: 1, BreachedOpen: 1, Adherence: ptr(0.75)},
				metrics.SLAResult{Met: 1, Breached: 2, BreachedOpen: 1, Open: 1, AtRisk: 1, Adherence: ptr(1.0 / 3)}},
			// A's 24 h are over too.
			{"2026-03-03T10:30:00Z",
				metrics.SLAResult{Met: 3, Breached: 1, BreachedOpen: 1, Adherence: ptr(0.75)},
				metrics.SLAResult{Met: 1, Breached: 3, BreachedOpen: 2, Adherence: ptr(0.25)}},
		} {
			now = ts(c.at)
			rep := performance(t, svc, q)
			g := rep.Groups[0]
			checkSLA(t, c.at+" acknowledge", g.SLAAcknowledge, c.ack)
			checkSLA(t, c.at+" resolve", g.SLAResolve, c.res)
			if !rep.Now.Equal(now) {
				t.Errorf("report judged at %s, want %s", rep.Now, now)
			}
		}
		// At 03-03 10:30, grouped and trended the same way: alice owns the
		// overdue incident, so her resolve adherence is 0 of 1, not 100 %.
		now = ts("2026-03-03T10:30:00Z")
		byAnalyst := performance(t, svc, metrics.PerformanceQuery{WindowQuery: q.WindowQuery, GroupBy: metrics.ByAnalyst})
		checkSLA(t, "alice resolve", group(t, byAnalyst, "alice").SLAResolve, metrics.SLAResult{Breached: 1, BreachedOpen: 1, Adherence: ptr(0)})
		checkSLA(t, "bob resolve", group(t, byAnalyst, "bob").SLAResolve, metrics.SLAResult{Breached: 1, Adherence: ptr(0)})
		byPrio := performance(t, svc, metrics.PerformanceQuery{WindowQuery: q.WindowQuery, GroupBy: metrics.ByPriority})
		checkSLA(t, "P1 resolve", group(t, byPrio, "P1").SLAResolve, metrics.SLAResult{Met: 1, Breached: 1, BreachedOpen: 1, Adherence: ptr(0.5)})
		trend := performance(t, svc, metrics.PerformanceQuery{WindowQuery: metrics.WindowQuery{Timeframe: "daily", From: "2026-03-02", To: "2026-03-02"}, Series: true})
		last := trend.Series[len(trend.Series)-1]
		if last.Period != "2026-03-02" {
			t.Fatalf("series ends with %s", last.Period)
		}
		checkSLA(t, "series 2026-03-02 resolve", last.Result.SLAResolve, metrics.SLAResult{Met: 1, Breached: 3, BreachedOpen: 2, Adherence: ptr(0.25)})
		// Judged at the present (no clock given), as every report is.
		rep := perf(t, st, metrics.Request{Window: window("2026-03-02", "2026-03-02", time.UTC)})
		if g := rep.Groups[0]; g.SLAResolve.Breached != 3 || g.SLAAcknowledge.Breached != 1 {
			t.Errorf("judged now: resolve breached %d, acknowledge breached %d; want 3 and 1", g.SLAResolve.Breached, g.SLAAcknowledge.Breached)
		}
	})
}

// TestNoDataIsNotZero: a window without closed cases has no MTTR (null,
// "—"), not 0; an SLA without met or breached clocks has no adherence; a
// store without an SLA policy says so instead of 0 %, next to the source
// system's own verdict.
func TestNoDataIsNotZero(t *testing.T) {
	st := storetest.Open(t, storetest.SQLitePath(t))
	open := newScript("servicenow", "INC1", model.P2, "", "2026-03-02T10:00:00Z", "")
	open.c.Attributes = map[string]string{"made_sla": "TRUE"}
	mustApply(t, st, &store.Batch{Cases: []model.Case{open.c}})
	now := ts("2026-03-02T12:00:00Z")
	rep := performance(t, service(st, &now), metrics.PerformanceQuery{WindowQuery: metrics.WindowQuery{From: "2026-03-02", To: "2026-03-02"}})
	g := rep.Groups[0]
	checkKPI(t, "open case", kpiOf(t, g, metrics.MTTR), want{open: 1})
	if g.SLAAcknowledge.Adherence != nil || g.SLAResolve.Adherence != nil || g.ReopenRate != nil {
		t.Errorf("adherence %v/%v reopen rate %v, want null", g.SLAAcknowledge.Adherence, g.SLAResolve.Adherence, g.ReopenRate)
	}
	if g.SourceSLA == nil || val(g.SourceSLA.Adherence) != 1 {
		t.Errorf("source SLA %+v", g.SourceSLA)
	}
	if len(rep.SLAPolicies) != 0 || !strings.Contains(strings.Join(rep.Warnings, "\n"), metrics.NoPolicyWarning) {
		t.Errorf("policies %v warnings %q", rep.SLAPolicies, rep.Warnings)
	}
	b, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"kpi":"mttr","definition":`, `"mean_seconds":null,"median_seconds":null,"p90_seconds":null`,
		`"adherence":null`, `"reopen_rate":null`} {
		if !strings.Contains(string(b), w) {
			t.Errorf("JSON lacks %s: %s", w, b)
		}
	}
}

// TestBadStoredPolicyNeverBreaksReports: a version stored before
// validation existed (a negative target, a calendar on Mars) is left out
// with a visible warning; reports, the dashboard and later ingests go on,
// judged by the good version.
func TestBadStoredPolicyNeverBreaksReports(t *testing.T) {
	engineDSNs(t, func(t *testing.T, st *store.Store, driver, dsn string) {
		ctx := context.Background()
		ss := slaScripts()
		mustApply(t, st, &store.Batch{SLA: slaPolicies(), Cases: cases(ss), Events: events(ss)})
		db, err := sql.Open(driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, q := range []string{
			`INSERT INTO sla_policies (name, version, effective_from, targets, pause_statuses, calendar) VALUES
				('SOC standard', 99, 1790000000000000, '{"P1":{"acknowledge":-1,"resolve":60000000000}}', '', '')`,
			`INSERT INTO sla_policies (name, version, effective_from, targets, pause_statuses, calendar) VALUES
				('SOC standard', 100, 1790000000000000, '{"P1":{"acknowledge":900000000000,"resolve":3600000000000}}', '',
				'{"time_zone":"Mars/Olympus","days":[1,2,3,4,5],"start":"09:00","end":"17:00"}')`,
			`INSERT INTO facts_pending (case_id) SELECT case_id FROM case_facts`,
		} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		// A later ingest stores and computes facts.
		more := newScript("fx", "later", model.P2, "", "2026-03-05T10:00:00Z", "")
		if _, err := ingest.RunFormat(ctx, st, ingest.Format{Name: "x", Parser: record.ParserFunc(
			func(ctx context.Context, _ io.Reader, _ string, emit record.Emit) error {
				return emit(record.Record{Loc: "x:1", Case: &more.c})
			})}, nil, "x", ingest.Options{}); err != nil {
			t.Fatalf("later ingest: %v", err)
		}
		now := time.Now()
		svc := service(st, &now)
		rep := performance(t, svc, metrics.PerformanceQuery{WindowQuery: metrics.WindowQuery{From: "2026-03-02", To: "2026-03-08"}})
		warnings := strings.Join(rep.Warnings, "\n")
		if !strings.Contains(warnings, `"SOC standard" version 99 left out: targets.P1.acknowledge: -1ns is negative`) ||
			!strings.Contains(warnings, `"SOC standard" version 100 left out: calendar: load time zone "Mars/Olympus"`) {
			t.Errorf("warnings %q", rep.Warnings)
		}
		// Judged by std v1/v2 as before, the new case in flight too.
		checkSLA(t, "all resolve", rep.Groups[0].SLAResolve, metrics.SLAResult{Met: 5, Breached: 5, BreachedOpen: 2, NoTarget: 1, Adherence: ptr(0.5)})
		if _, err := svc.Rules(ctx, metrics.RulesQuery{WindowQuery: metrics.WindowQuery{From: "2026-03-02", To: "2026-03-08"}}); err != nil {
			t.Errorf("rules: %v", err)
		}
		d, err := svc.Dashboard(ctx)
		if err != nil || len(d.Breached) == 0 || len(d.Warnings) < 2 {
			t.Errorf("dashboard: %v, %d breached, warnings %q", err, len(d.Breached), d.Warnings)
		}
		vs, err := svc.SLAPolicies(ctx)
		states := map[string]string{}
		for _, v := range vs {
			states[fmt.Sprintf("%s v%d", v.Name, v.Version)] = v.State
		}
		if err != nil || len(vs) != 4 || states["SOC standard v99"] != metrics.PolicyInvalid || states["SOC standard v100"] != metrics.PolicyInvalid ||
			states["std v2"] != metrics.PolicyInForce || states["std v1"] != metrics.PolicySuperseded {
			t.Errorf("policy states %v %v", states, err)
		}
	})
}

// TestFutureRecordDoesNotMoveWindows: one alert dated 2031 must not make
// the default weekly window cover 2030-12-26 … 2031-01-01: windows end at
// the present, or at the newest data when it is older, and the record is
// counted in the data-quality line.
func TestFutureRecordDoesNotMoveWindows(t *testing.T) {
	st := storetest.Open(t, storetest.SQLitePath(t))
	ss := inFlightScripts()
	mustApply(t, st, &store.Batch{SLA: []model.SLAPolicy{inFlightPolicy()}, Cases: cases(ss), Events: events(ss),
		Alerts: []model.Alert{{Source: "edr", ExternalID: "future", Title: "t", CreatedAt: ts("2031-01-01T00:00:00Z")}}})
	for _, c := range []struct {
		now, from, to string
		future        int64
	}{
		{"2026-03-10T09:00:00Z", "2026-02-24", "2026-03-02", 1}, // data older than now: ends with the newest data
		{"2026-03-02T18:00:00Z", "2026-02-24", "2026-03-02", 1}, // data of today: ends today
		// A clock before the data: the window never ends in the future,
		// and the four cases of 03-02 are future-dated too.
		{"2026-03-01T12:00:00Z", "2026-02-23", "2026-03-01", 5},
	} {
		now := ts(c.now)
		rep := performance(t, service(st, &now), metrics.PerformanceQuery{})
		if rep.From != c.from || rep.To != c.to {
			t.Errorf("now %s: window %s … %s, want %s … %s", c.now, rep.From, rep.To, c.from, c.to)
		}
		if rep.FutureDated != c.future || !rep.FutureNewest.Equal(ts("2031-01-01T00:00:00Z")) || len(rep.DataQuality) != 1 ||
			!strings.Contains(rep.DataQuality[0], "dated more than 5m0s ahead of the clock") {
			t.Errorf("now %s: future %d %s %q", c.now, rep.FutureDated, rep.FutureNewest, rep.DataQuality)
		}
	}
	now := ts("2026-03-10T09:00:00Z")
	if rep := performance(t, service(st, &now), metrics.PerformanceQuery{}); !rep.DataThrough.Equal(ts("2026-03-02T16:00:00Z")) {
		t.Errorf("data through %s, want the newest case's creation", rep.DataThrough)
	}
}

// TestRuleAttribution: cases without alerts are a row of their own, never
// credited to an alert whose rule id is empty; analyst hours are the
// staffing model's handle time (work sessions), the wall-clock figure is
// elapsed hours.
func TestRuleAttribution(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		st := open()
		// K1 (rule R1): alice assigned 10:00, comment 10:20, then nothing
		// until she resolves at 14:00: one 20-minute session and a lone
		// event: 20 min worked, 4 h elapsed.
		k1 := newScript("edr", "K1", model.P2, "", "2026-03-02T09:55:00Z", "")
		k1.on("2026-03-02T10:00:00Z", model.EventAssignee, "alice").on("2026-03-02T10:20:00Z", model.EventComment, "looking")
		k1.on("2026-03-02T14:00:00Z", model.EventStage, "resolved")
		for i := range k1.evs {
			k1.evs[i].Actor = "alice"
		}
		// K2: no alert at all; K3's alert has no rule id.
		k2 := newScript("servicenow", "K2", model.P3, "", "2026-03-02T11:00:00Z", "")
		k3 := newScript("ocsf", "K3", model.P3, "", "2026-03-02T11:00:00Z", "")
		alerts := []model.Alert{
			{Source: "edr", ExternalID: "al1", Title: "t", RuleID: "R1", RuleName: "Rule one", CaseExternalID: "K1", CreatedAt: ts("2026-03-02T09:50:00Z")},
			{Source: "ocsf", ExternalID: "al2", Title: "t", CaseExternalID: "K3", CreatedAt: ts("2026-03-02T10:50:00Z")},
			{Source: "ocsf", ExternalID: "al3", Title: "t", CreatedAt: ts("2026-03-02T10:55:00Z")},
		}
		ss := []*script{k1, k2, k3}
		mustApply(t, st, &store.Batch{Alerts: alerts, Cases: cases(ss), Events: events(ss)})
		now := ts("2026-03-03T00:00:00Z")
		rep, err := service(st, &now).Rules(context.Background(), metrics.RulesQuery{WindowQuery: metrics.WindowQuery{From: "2026-03-02", To: "2026-03-02"}})
		if err != nil {
			t.Fatal(err)
		}
		rows := map[string]metrics.RuleResult{}
		for _, r := range rep.Rules {
			key := r.Source + "/" + r.RuleID
			if r.WithoutAlerts {
				key = "none"
			}
			rows[key] = r
		}
		if len(rows) != 3 {
			t.Fatalf("rows %+v", rep.Rules)
		}
		if r := rows["ocsf/"]; r.Alerts != 2 || r.Cases != 1 {
			t.Errorf("alerts without a rule id: %d alerts, %d cases; want 2, 1 (K3)", r.Alerts, r.Cases)
		}
		if r := rows["none"]; r.Alerts != 0 || r.Cases != 1 || r.RuleName != metrics.NoRuleName {
			t.Errorf("cases without alerts: %+v", r)
		}
		r1 := rows["edr/R1"]
		if r1.Cases != 1 || r1.Worked != 1 || !approx(val(r1.AnalystHours), 20.0/60) || !approx(val(r1.ElapsedHours), 4) {
			t.Errorf("R1: cases %d, worked %d, analyst h %v, elapsed h %v; want 1, 1, 0.333, 4", r1.Cases, r1.Worked,
				val(r1.AnalystHours), val(r1.ElapsedHours))
		}
		if r := rows["none"]; r.AnalystHours != nil || r.ElapsedHours != nil {
			t.Errorf("open case without alerts has hours %v %v", r.AnalystHours, r.ElapsedHours)
		}
		byRule := performance(t, service(st, &now), metrics.PerformanceQuery{WindowQuery: metrics.WindowQuery{From: "2026-03-02", To: "2026-03-02"},
			GroupBy: metrics.ByRule})
		if names := groupNames(byRule); len(names) != 3 || names[0] != "(no alert)" || names[1] != "edr/R1" || names[2] != "ocsf/" {
			t.Errorf("groups by rule %q", names)
		}
	})
}

// TestReportsAreDeterministic: the same report, made again by fresh
// engines (and after its days are rebuilt), is the same to the byte: sums
// and means never depend on map order.
func TestReportsAreDeterministic(t *testing.T) {
	ctx := context.Background()
	end := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	st := demoStore(t, demo.Config{Days: 30, AlertsPerDay: 400, End: end})
	now := end
	report := func() []byte {
		svc := service(st, &now)
		var b bytes.Buffer
		for _, q := range []metrics.PerformanceQuery{
			{WindowQuery: metrics.WindowQuery{Timeframe: "monthly"}, Series: true, Trend: true},
			{WindowQuery: metrics.WindowQuery{Timeframe: "monthly"}, GroupBy: metrics.ByRule},
			{WindowQuery: metrics.WindowQuery{Timeframe: "monthly"}, GroupBy: metrics.ByAnalyst},
		} {
			if err := json.NewEncoder(&b).Encode(performance(t, svc, q)); err != nil {
				t.Fatal(err)
			}
		}
		rules, err := svc.Rules(ctx, metrics.RulesQuery{WindowQuery: metrics.WindowQuery{Timeframe: "monthly"}})
		if err != nil {
			t.Fatal(err)
		}
		json.NewEncoder(&b).Encode(rules)
		return b.Bytes()
	}
	first := report()
	for i := range 5 {
		if again := report(); !bytes.Equal(first, again) {
			t.Fatalf("run %d differs from the first (%d vs %d bytes)", i+2, len(again), len(first))
		}
	}
	// Rebuilt days (a time zone set back to UTC rebuilds every day) sum
	// to the same bytes.
	if err := st.SetTimeZone(ctx, "UTC"); err != nil {
		t.Fatal(err)
	}
	if again := report(); !bytes.Equal(first, again) {
		t.Fatal("rebuilt days give another report")
	}
}

// TestReportDuringAnotherWriter: while another process holds SQLite's
// write lock (a long ingest), a report still answers: the day aggregates
// it builds are used unsaved, and the facts the writer is changing are
// noted as not in it yet. It used to fail with SQLITE_BUSY after 10 s.
func TestReportDuringAnotherWriter(t *testing.T) {
	path := storetest.SQLitePath(t)
	st := storetest.Open(t, path)
	ss := inFlightScripts()
	mustApply(t, st, &store.Batch{SLA: []model.SLAPolicy{inFlightPolicy()}, Cases: cases(ss), Events: events(ss)})
	if _, err := st.RefreshFacts(context.Background()); err != nil {
		t.Fatal(err)
	}
	// More work queued for facts, as an ingest leaves it between batches.
	late := newScript("fx", "late", model.P2, "", "2026-03-02T12:00:00Z", "")
	mustApply(t, st, &store.Batch{Cases: []model.Case{late.c}})

	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), `ROLLBACK`)

	now := ts("2026-03-03T10:30:00Z")
	svc := service(st, &now)
	rep := performance(t, svc, metrics.PerformanceQuery{WindowQuery: metrics.WindowQuery{From: "2026-03-02", To: "2026-03-02"}})
	if rep.Groups[0].Cases != 4 || !strings.Contains(strings.Join(rep.Warnings, "\n"), "an ingest is writing") {
		t.Errorf("during the other write: %d cases, warnings %q", rep.Groups[0].Cases, rep.Warnings)
	}
	if _, err := svc.Rules(context.Background(), metrics.RulesQuery{WindowQuery: metrics.WindowQuery{From: "2026-03-02", To: "2026-03-02"}}); err != nil {
		t.Errorf("rules during the other write: %v", err)
	}
	conn.ExecContext(context.Background(), `ROLLBACK`)
	// Once the lock is free, the next report has everything.
	rep = performance(t, svc, metrics.PerformanceQuery{WindowQuery: metrics.WindowQuery{From: "2026-03-02", To: "2026-03-02"}})
	if rep.Groups[0].Cases != 5 || len(rep.Warnings) != 0 {
		t.Errorf("after: %d cases, warnings %q", rep.Groups[0].Cases, rep.Warnings)
	}
}

// TestDashboardBreachesAreReportBreaches: on the demo SOC, every clock the
// live dashboard lists as breached is counted as breached (in flight) in
// the report of the day its case was created, and every clock it lists at
// risk is counted at risk: per day and clock, the counts are equal.
func TestDashboardBreachesAreReportBreaches(t *testing.T) {
	ctx := context.Background()
	end := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	st := demoStore(t, demo.Config{Days: 45, AlertsPerDay: 1500, End: end})
	for _, now := range []time.Time{end, end.Add(6 * time.Hour), end.Add(72 * time.Hour)} {
		svc := service(st, &now)
		d, err := svc.Dashboard(ctx)
		if err != nil {
			t.Fatal(err)
		}
		type key struct{ day, clock string }
		breached, atRisk := map[key]int64{}, map[key]int64{}
		created := map[int64]string{}
		cs, err := st.OpenCases(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			created[c.ID] = c.CreatedAt.UTC().Format(time.DateOnly)
		}
		for _, it := range d.Breached {
			breached[key{created[it.CaseID], it.Clock}]++
		}
		for _, it := range d.AtRisk {
			atRisk[key{created[it.CaseID], it.Clock}]++
		}
		if len(d.Breached) == 0 {
			t.Fatalf("at %s the dashboard lists no breach: the test proves nothing", now)
		}
		days := map[string]bool{}
		for k := range breached {
			days[k.day] = true
		}
		for k := range atRisk {
			days[k.day] = true
		}
		for day := range days {
			rep := performance(t, svc, metrics.PerformanceQuery{WindowQuery: metrics.WindowQuery{From: day, To: day}, IncludeTests: true})
			g := rep.Groups[0]
			for _, c := range []struct {
				clock string
				r     metrics.SLAResult
			}{{"acknowledge", g.SLAAcknowledge}, {"resolve", g.SLAResolve}} {
				k := key{day, c.clock}
				if c.r.BreachedOpen != breached[k] || c.r.AtRisk != atRisk[k] {
					t.Errorf("at %s, cases of %s, %s: dashboard %d breached and %d at risk, report %d in flight and %d at risk",
						now.Format(time.RFC3339), day, c.clock, breached[k], atRisk[k], c.r.BreachedOpen, c.r.AtRisk)
				}
			}
		}
	}
}
