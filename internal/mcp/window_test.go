package mcp

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/store"
)

// TestParseWindow: the one reading of from and to that every KPI tool uses.
func TestParseWindow(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	day := func(s string, loc *time.Location) time.Time {
		d, _ := time.ParseInLocation(time.DateOnly, s, loc)
		return d
	}
	for _, tc := range []struct {
		from, to string
		loc      *time.Location
		given    bool
		f, t     string // first day, day after the last
		err      string
	}{
		{"", "", time.UTC, false, "", "", ""},
		{"2026-03-08", "2026-03-10", time.UTC, true, "2026-03-08", "2026-03-11", ""},
		{"2026-03-10", "2026-03-10", time.UTC, true, "2026-03-10", "2026-03-11", ""},
		{" 2026-03-08 ", "2026-03-10T23:00:00Z", time.UTC, true, "2026-03-08", "2026-03-11", ""},
		// An RFC 3339 time is its day in the organisation's time zone.
		{"2026-03-08T23:30:00Z", "2026-03-10T22:59:00Z", paris, true, "2026-03-09", "2026-03-11", ""},
		{"2026-03-08T23:30:00-02:00", "2026-03-09", time.UTC, true, "2026-03-09", "2026-03-10", ""},
		{"2026-03-08", "", time.UTC, false, "", "", "from and to go together"},
		{"", "2026-03-08", time.UTC, false, "", "", "from and to go together"},
		{"yesterday", "2026-03-10", time.UTC, false, "", "", `from "yesterday": want YYYY-MM-DD or an RFC 3339 time`},
		{"2026-03-08", "2026-02-30", time.UTC, false, "", "", `to "2026-02-30" is not a day (day out of range): want YYYY-MM-DD`},
		// A bad end is named before the missing partner.
		{"2026-11-31", "", time.UTC, false, "", "", `from "2026-11-31" is not a day (day out of range)`},
		{"", "2026-13-01", time.UTC, false, "", "", `to "2026-13-01" is not a day (month out of range)`},
		{"2026-03-10", "2026-03-08", time.UTC, false, "", "", "to 2026-03-08 is before from 2026-03-10"},
		{"2026-03-10T12:00:00Z", "2026-03-10T11:00:00Z", time.UTC, false, "", "", "is before from"},
		{"2026-03-10T12:00:00Z", "2026-03-10T12:00:00Z", time.UTC, false, "", "", "is before from"},
		{"1969-12-31", "2026-01-01", time.UTC, false, "", "", "from 1969-12-31: want a day from 1970 on"},
		{"2010-01-01", "2026-01-01", time.UTC, false, "", "", "is 5845 days: at most 3660"},
	} {
		w, given, err := parseWindow(tc.from, tc.to, tc.loc)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "invalid argument: ") {
				t.Errorf("%q–%q: error %v, want %q", tc.from, tc.to, err, tc.err)
			}
			continue
		}
		if err != nil || given != tc.given {
			t.Errorf("%q–%q: given %v, %v", tc.from, tc.to, given, err)
			continue
		}
		if !given {
			continue
		}
		if !w.From.Equal(day(tc.f, tc.loc)) || !w.To.Equal(day(tc.t, tc.loc)) {
			t.Errorf("%q–%q: window %v – %v, want %s – %s", tc.from, tc.to, w.From, w.To, tc.f, tc.t)
		}
		last := day(tc.t, tc.loc).AddDate(0, 0, -1).Format(time.DateOnly)
		if w.Query.From != tc.f || w.Query.To != last {
			t.Errorf("%q–%q: query %+v", tc.from, tc.to, w.Query)
		}
	}
}

// TestKPIWindowPartial: a window is partial when it runs into the future
// or past the newest data, and says why.
func TestKPIWindowPartial(t *testing.T) {
	d := func(s string) time.Time { v, _ := time.Parse(time.DateOnly, s); return v }
	through := time.Date(2026, 3, 10, 11, 40, 0, 0, time.UTC)
	for _, tc := range []struct {
		w       metrics.Window
		through time.Time
		reasons []string
	}{
		{metrics.Window{From: d("2026-03-01"), To: d("2026-03-08")}, through, []string{}},
		{metrics.Window{From: d("2026-03-04"), To: d("2026-03-11")}, through, []string{
			"the window ends 2026-03-11T00:00:00Z, after now (2026-03-10T12:00:00Z): it is still running",
			"the window runs past the newest data (2026-03-10T11:40:00Z)"}},
		// Past data that stopped: complete in time, not in data.
		{metrics.Window{From: d("2026-03-01"), To: d("2026-03-08")}, d("2026-03-05"), []string{
			"the window runs past the newest data (2026-03-05T00:00:00Z)"}},
		{metrics.Window{From: d("2026-03-06"), To: d("2026-03-08")}, d("2026-03-05"), []string{
			"the newest data (2026-03-05T00:00:00Z) is older than the window: nothing in it was measured"}},
		{metrics.Window{From: d("2026-03-06"), To: d("2026-03-08")}, time.Time{}, []string{"the store holds no alert or case"}},
	} {
		k := kpiWindow(tc.w, tc.through, now)
		if !reflect.DeepEqual(k.Reasons, tc.reasons) || k.Partial != (len(tc.reasons) > 0) || k.TimeZone != "UTC" ||
			k.From != tc.w.From.Format(time.DateOnly) || k.To != tc.w.To.AddDate(0, 0, -1).Format(time.DateOnly) {
			t.Errorf("%v: %+v, want reasons %q", tc.w, k, tc.reasons)
		}
	}
	ps := []metrics.Period{{Period: "2026-W09", From: "2026-03-02", To: "2026-03-08"}, {Period: "2026-W10", From: "2026-03-09", To: "2026-03-10"}}
	markPartialPeriods(ps, through, time.UTC)
	if ps[0].Partial || !ps[1].Partial {
		t.Errorf("periods %+v: want only the one past the newest data partial", ps)
	}
}

func TestKPIToolWindows(t *testing.T) { engines(t, testKPIToolWindows) }

// windowed are the KPI tools, each with the arguments it needs besides
// from and to.
var windowed = map[string]map[string]any{
	"get_soc_metrics": nil, "get_noisy_rules": nil, "list_sla_breaches": {"include_at_risk": true}, "get_analyst_workload": nil,
	"get_observable_prevalence": nil, "get_ioc_matches": nil, "get_detection_coverage": nil, "develop_soc_roadmap": nil,
	"list_threat_profiles": {"relevant_only": false}, "get_threat_profile": {"profile_id": "G0007"}, "get_technology_health": nil,
	"plan_staffing": nil, "plan_budget": nil, "assess_team_skills": nil, "get_runbook_metrics": nil, "generate_executive_report": nil,
	"generate_operations_review": nil,
}

// testKPIToolWindows: every KPI tool takes from and to, states the window,
// the data's freshness and whether it is partial, and measures the days
// asked for (exact figures of the fixture: cases C-1…C-3 on 2026-03-10,
// C-4 on 03-08; alerts A-4 on 03-09 06:00, the other four on 03-10; newest
// record A-3 at 11:40, now 12:00).
func testKPIToolWindows(t *testing.T, st *store.Store) {
	cs := connect(t, Options{Store: st, Budget: testBudget})
	today := KPIWindow{From: "2026-03-10", To: "2026-03-10", TimeZone: "UTC", DataThrough: "2026-03-10T11:40:00Z", Partial: true,
		Reasons: []string{"the window ends 2026-03-11T00:00:00Z, after now (2026-03-10T12:00:00Z): it is still running",
			"the window runs past the newest data (2026-03-10T11:40:00Z)"}}
	yesterday := KPIWindow{From: "2026-03-09", To: "2026-03-09", TimeZone: "UTC", DataThrough: "2026-03-10T11:40:00Z", Reasons: []string{}}
	type answer struct {
		KPIWindow *KPIWindow `json:"kpi_window"`
	}
	tools, err := cs.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range tools.Tools {
		props := tool.InputSchema.(map[string]any)["properties"].(map[string]any)
		_, hasFrom := props["from"]
		_, hasTo := props["to"]
		if _, ok := windowed[tool.Name]; ok != (hasFrom && hasTo) {
			t.Errorf("%s: from/to in its schema %v, a KPI tool %v", tool.Name, hasFrom && hasTo, ok)
		}
	}
	for tool, extra := range windowed {
		args := func(from, to string) map[string]any {
			a := map[string]any{"from": from, "to": to}
			for k, v := range extra {
				a[k] = v
			}
			return a
		}
		if tool == "get_threat_profile" {
			continue // the fixture has no profiles: tested on the demo below
		}
		for _, tc := range []struct {
			from string
			want KPIWindow
		}{{"2026-03-10", today}, {"2026-03-09", yesterday}} {
			if tool == "plan_staffing" || tool == "plan_budget" {
				continue // the fixture's history is too short to plan: below
			}
			got := call[answer](t, cs, tool, args(tc.from, tc.from))
			if got.KPIWindow == nil || !reflect.DeepEqual(*got.KPIWindow, tc.want) {
				t.Errorf("%s %s: kpi_window %+v, want %+v", tool, tc.from, got.KPIWindow, tc.want)
			}
		}
		for _, tc := range []struct {
			from, to, want string
		}{
			{"2026-03-10", "", "invalid argument: from and to go together"},
			{"2026-03-10", "2026-03-09", "invalid argument: to 2026-03-09 is before from 2026-03-10"},
			{"last week", "2026-03-09", `invalid argument: from "last week": want YYYY-MM-DD or an RFC 3339 time`},
		} {
			if msg := callErr(t, cs, tool, args(tc.from, tc.to)); !strings.Contains(msg, tc.want) {
				t.Errorf("%s %s–%s: %q, want %q", tool, tc.from, tc.to, msg, tc.want)
			}
		}
	}

	// The figures measure the days asked for.
	m := call[MetricsOut](t, cs, "get_soc_metrics", map[string]any{"from": "2026-03-08", "to": "2026-03-10"})
	if len(m.Groups) != 1 || m.Groups[0].Cases != 4 || m.From != "2026-03-08" || m.To != "2026-03-10" {
		t.Errorf("metrics 03-08…03-10: %+v", m.Groups)
	}
	if m := call[MetricsOut](t, cs, "get_soc_metrics", map[string]any{"from": "2026-03-09", "to": "2026-03-10"}); m.Groups[0].Cases != 3 {
		t.Errorf("metrics 03-09…03-10: %d cases, want 3", m.Groups[0].Cases)
	}
	if r := call[NoisyRulesOut](t, cs, "get_noisy_rules", map[string]any{"from": "2026-03-10", "to": "2026-03-10"}); r.Alerts != 4 {
		t.Errorf("noisy rules 03-10: %d alerts, want 4", r.Alerts)
	}
	if r := call[NoisyRulesOut](t, cs, "get_noisy_rules", map[string]any{"from": "2026-03-09T00:00:00Z", "to": "2026-03-09T23:00:00Z"}); r.Alerts != 1 {
		t.Errorf("noisy rules 03-09: %d alerts, want 1", r.Alerts)
	}
	b := call[BreachesOut](t, cs, "list_sla_breaches", map[string]any{"from": "2026-03-10", "to": "2026-03-10", "include_at_risk": true})
	if b.Breached != 1 || b.AtRisk != 1 || len(b.Items) != 2 || b.Items[0].ExternalID != "C-1" || b.Items[1].ExternalID != "C-3" {
		t.Errorf("breaches 03-10: %d breached, %d at risk, %+v", b.Breached, b.AtRisk, b.Items)
	}
	var p1 *WindowSLA
	for i := range b.WindowSLA {
		if b.WindowSLA[i].Priority == "P1" {
			p1 = &b.WindowSLA[i]
		}
	}
	if p1 == nil || p1.Cases != 1 || p1.Acknowledge.Breached != 1 || p1.Acknowledge.BreachedOpen != 1 || p1.Acknowledge.Met != 0 {
		t.Errorf("breaches 03-10, P1 in the window: %+v", p1)
	}
	if b := call[BreachesOut](t, cs, "list_sla_breaches", map[string]any{"from": "2026-03-09", "to": "2026-03-09", "include_at_risk": true}); b.Breached != 0 || b.AtRisk != 0 || len(b.Items) != 0 {
		t.Errorf("breaches 03-09: %+v", b)
	}
	w := call[WorkloadOut](t, cs, "get_analyst_workload", map[string]any{"from": "2026-03-10", "to": "2026-03-10"})
	if len(w.Window) != 2 || w.Window[0].Analyst != "alice" || w.Window[0].Cases != 1 || w.Window[0].Done != 0 || w.Window[1].Cases != 0 {
		t.Errorf("workload 03-10: %+v", w.Window)
	}
	if p := call[PrevalenceOut](t, cs, "get_observable_prevalence", map[string]any{"from": "2026-03-09", "to": "2026-03-09"}); p.Total != 1 ||
		p.AlertsScanned != 1 || p.Observables[0].Observable.Text != "http://x.test/a?b=1" {
		t.Errorf("prevalence 03-09: %+v", p)
	}
	if c := call[CoverageOut](t, cs, "get_detection_coverage", map[string]any{"from": "2026-03-10", "to": "2026-03-10"}); c.Alerts != 4 {
		t.Errorf("coverage 03-10: %d alerts, want 4", c.Alerts)
	}
	if c := call[ThreatProfilesOut](t, cs, "list_threat_profiles", map[string]any{"from": "2026-03-09", "to": "2026-03-09"}); c.AlertsInWindow != 1 {
		t.Errorf("profiles 03-09: %d alerts, want 1", c.AlertsInWindow)
	}
	a := call[AssessTeamOut](t, cs, "assess_team_skills", map[string]any{"from": "2026-03-03", "to": "2026-03-09"})
	if !a.HistoryFrom.Equal(time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)) || !a.HistoryTo.Equal(time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("assessment history %v – %v", a.HistoryFrom, a.HistoryTo)
	}
	e := call[ReportOut](t, cs, "generate_executive_report", map[string]any{"from": "2026-03-01T10:00:00Z", "to": "2026-03-09"})
	if e.From != "2026-03-01" || e.To != "2026-03-09" || e.KPIWindow.Partial {
		t.Errorf("report %s – %s, %+v", e.From, e.To, e.KPIWindow)
	}
	o := call[ReportOut](t, cs, "generate_operations_review", map[string]any{"from": "2026-03-02", "to": "2026-03-08"})
	if o.From != "2026-03-02" || o.To != "2026-03-08" || o.KPIWindow.From != "2026-03-02" || o.KPIWindow.To != "2026-03-08" || o.KPIWindow.Partial {
		t.Errorf("operations review %s – %s, %+v", o.From, o.To, o.KPIWindow)
	}
	// The handover's window is its day.
	if h := call[ReportOut](t, cs, "generate_shift_handover", map[string]any{"day": "2026-03-09"}); !reflect.DeepEqual(h.KPIWindow, yesterday) {
		t.Errorf("handover %+v, want %+v", h.KPIWindow, yesterday)
	}
	// Conflicting ways to set one window.
	for tool, args := range map[string]map[string]any{
		"get_observable_prevalence": {"hours_back": 48}, "get_ioc_matches": {"hours_back": 48}, "list_threat_profiles": {"days_back": 7},
		"get_technology_health": {"last": "7d"}, "plan_staffing": {"history_weeks": 2}, "assess_team_skills": {"history_days": 7},
	} {
		args["from"], args["to"] = "2026-03-01", "2026-03-09"
		if msg := callErr(t, cs, tool, args); !strings.Contains(msg, "both set the") {
			t.Errorf("%s %v: %q", tool, args, msg)
		}
	}
}

// TestPlanWindows: the plans model the history asked for, on the demo.
func TestPlanWindows(t *testing.T) {
	st := fullDemoStore(t, 30, 300)
	cs := connect(t, Options{Store: st, Budget: testBudget, Now: func() time.Time { return demoEnd }})
	p := call[PlanStaffingOut](t, cs, "plan_staffing", map[string]any{"from": "2026-02-09", "to": "2026-02-22"})
	want := KPIWindow{From: "2026-02-09T00:00:00Z", To: "2026-02-23T00:00:00Z", TimeZone: "UTC", DataThrough: p.KPIWindow.DataThrough, Reasons: []string{}}
	if p.HistorySince != "2026-02-09T00:00:00Z" || p.HistoryUntil != "2026-02-23T00:00:00Z" || p.HistoryWeeks != 2 ||
		!reflect.DeepEqual(p.KPIWindow, want) || p.KPIWindow.DataThrough == "" {
		t.Errorf("staffing history %s – %s (%v weeks), %+v", p.HistorySince, p.HistoryUntil, p.HistoryWeeks, p.KPIWindow)
	}
	b := call[PlanBudgetOut](t, cs, "plan_budget", map[string]any{"from": "2026-02-09", "to": "2026-02-22"})
	if !reflect.DeepEqual(b.KPIWindow, want) {
		t.Errorf("budget history %+v, want %+v", b.KPIWindow, want)
	}
	tp := call[ThreatProfilesOut](t, cs, "list_threat_profiles", map[string]any{"limit": 1})
	if len(tp.Profiles) == 0 {
		t.Fatal("the demo ranks no threat profile")
	}
	g := call[GetThreatProfileOut](t, cs, "get_threat_profile", map[string]any{"profile_id": tp.Profiles[0].ID, "from": "2026-02-23", "to": "2026-03-01"})
	if g.KPIWindow.From != "2026-02-23" || g.KPIWindow.To != "2026-03-01" || g.KPIWindow.Partial {
		t.Errorf("profile window %+v", g.KPIWindow)
	}
}
