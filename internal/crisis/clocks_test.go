package crisis

import (
	"strings"
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// clockOf builds an incident subject to regime with the given triggers
// and submissions and returns the clock of report at now.
func clockOf(t *testing.T, regime, report string, triggers []Trigger, subs []Submission, now time.Time, tz *time.Location) Clock {
	t.Helper()
	inc := &Incident{Regimes: []string{regime}, Triggers: triggers, Submissions: subs}
	for _, c := range inc.Clocks(DefaultRules(), now, tz) {
		if c.Report == report {
			return c
		}
	}
	t.Fatalf("no clock %s/%s", regime, report)
	return Clock{}
}

func TestClockDeadlines(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	aware := func(at string) Trigger { return Trigger{Type: TriggerAware, At: utc(at)} }
	for _, tc := range []struct {
		name           string
		regime, report string
		triggers       []Trigger
		subs           []Submission
		tz             *time.Location
		wantDue        string // "" when the clock has not started
		wantCap        string
	}{
		// GDPR Art. 33: 72 hours, weekends count: Friday 16:00 → Monday 16:00.
		{"gdpr 72h over a weekend", "gdpr", "notification", []Trigger{aware("2026-03-06T16:00:00Z")}, nil, nil, "2026-03-09T16:00:00Z", ""},
		// A trigger recorded for GDPR alone wins over the general one.
		{"gdpr regime-scoped awareness", "gdpr", "notification", []Trigger{aware("2026-03-06T16:00:00Z"),
			{Type: TriggerAware, Regime: "gdpr", At: utc("2026-03-07T09:30:00Z")}}, nil, nil, "2026-03-10T09:30:00Z", ""},
		// NIS2 Art. 23(4): early warning 24 h, notification 72 h after awareness.
		{"nis2 early warning", "nis2", "early-warning", []Trigger{aware("2026-03-02T08:00:00Z")}, nil, nil, "2026-03-03T08:00:00Z", ""},
		{"nis2 notification", "nis2", "notification", []Trigger{aware("2026-03-02T08:00:00Z")}, nil, nil, "2026-03-05T08:00:00Z", ""},
		{"nis2 final waits for the notification", "nis2", "final", []Trigger{aware("2026-03-02T08:00:00Z")}, nil, nil, "", ""},
		// Final report: one month after the notification was submitted.
		{"nis2 final one month", "nis2", "final", []Trigger{aware("2026-03-02T08:00:00Z")},
			[]Submission{{Regime: "nis2", Report: "notification", At: utc("2026-03-04T17:20:00Z")}}, nil, "2026-04-04T17:20:00Z", ""},
		// One month from 31 January ends on the last day of February …
		{"one month from 31 January", "nis2", "final", []Trigger{aware("2026-01-29T08:00:00Z")},
			[]Submission{{Regime: "nis2", Report: "notification", At: utc("2026-01-31T10:00:00Z")}}, nil, "2026-02-28T10:00:00Z", ""},
		// … the 29th in a leap year, and 30 April from 31 March.
		{"one month in a leap year", "nis2", "final", []Trigger{aware("2028-01-29T08:00:00Z")},
			[]Submission{{Regime: "nis2", Report: "notification", At: utc("2028-01-31T10:00:00Z")}}, nil, "2028-02-29T10:00:00Z", ""},
		{"one month from 31 March", "nis2", "final", []Trigger{aware("2026-03-29T08:00:00Z")},
			[]Submission{{Regime: "nis2", Report: "notification", At: utc("2026-03-31T23:30:00Z")}}, nil, "2026-04-30T23:30:00Z", ""},
		// Months count in the organisation's zone: 23:30 UTC on 31 January is
		// 00:30 on 1 February in Berlin, so the month ends 1 March 00:30 CET.
		{"one month counted in Berlin", "nis2", "final", []Trigger{aware("2026-01-29T08:00:00Z")},
			[]Submission{{Regime: "nis2", Report: "notification", At: utc("2026-01-31T23:30:00Z")}}, berlin, "2026-02-28T23:30:00Z", ""},
		// Across the change to summer time the local hour is kept: 16:00 CET
		// on 10 March is 16:00 CEST on 10 April, an hour earlier in UTC.
		{"one month across daylight saving", "nis2", "final", []Trigger{aware("2026-03-06T08:00:00Z")},
			[]Submission{{Regime: "nis2", Report: "notification", At: utc("2026-03-10T15:00:00Z")}}, berlin, "2026-04-10T14:00:00Z", ""},
		// DORA: 4 h after classification as major …
		{"dora initial 4h after classification", "dora", "initial", []Trigger{aware("2026-03-02T08:00:00Z"),
			{Type: TriggerClassifiedMajor, At: utc("2026-03-02T09:00:00Z")}}, nil, nil, "2026-03-02T13:00:00Z", ""},
		// … but no later than 24 h after awareness: classified 22 h after
		// awareness, the 24 h cap comes before classification + 4 h.
		{"dora 24h cap on a late classification", "dora", "initial", []Trigger{aware("2026-03-02T08:00:00Z"),
			{Type: TriggerClassifiedMajor, At: utc("2026-03-03T06:00:00Z")}}, nil, nil, "2026-03-03T08:00:00Z", "aware + 24h"},
		{"dora waits for classification", "dora", "initial", []Trigger{aware("2026-03-02T08:00:00Z")}, nil, nil, "", ""},
		// Intermediate: 72 h after the initial notification was submitted.
		{"dora intermediate", "dora", "intermediate", []Trigger{aware("2026-03-02T08:00:00Z"),
			{Type: TriggerClassifiedMajor, At: utc("2026-03-02T09:00:00Z")}},
			[]Submission{{Regime: "dora", Report: "initial", At: utc("2026-03-02T12:30:00Z")}}, nil, "2026-03-05T12:30:00Z", ""},
		// Final: one month after the latest (updated) intermediate report.
		{"dora final after the latest intermediate", "dora", "final", []Trigger{aware("2026-03-02T08:00:00Z"),
			{Type: TriggerClassifiedMajor, At: utc("2026-03-02T09:00:00Z")}},
			[]Submission{{Regime: "dora", Report: "initial", At: utc("2026-03-02T12:30:00Z")},
				{Regime: "dora", Report: "intermediate", At: utc("2026-03-05T10:00:00Z")},
				{Regime: "dora", Report: "intermediate", At: utc("2026-03-10T15:00:00Z")}}, nil, "2026-04-10T15:00:00Z", ""},
		// SEC: determined Thursday 2 July 2026; Friday 3 July is the observed
		// Independence Day (4 July is a Saturday), then the weekend: Monday 6
		// is day one, Thursday 9 July day four, 17:30 EDT = 21:30 UTC.
		{"sec across a weekend and Independence Day", "sec", "form-8k",
			[]Trigger{{Type: TriggerMaterialityDetermined, At: utc("2026-07-02T15:00:00Z")}}, nil, nil, "2026-07-09T21:30:00Z", ""},
		// Determined Wednesday 25 November 2026: Thanksgiving (26th) is a
		// holiday, then Fri 27 (1), Mon 30 (2), Tue 1 Dec (3), Wed 2 Dec (4);
		// 17:30 EST = 22:30 UTC.
		{"sec across Thanksgiving and a weekend", "sec", "form-8k",
			[]Trigger{{Type: TriggerMaterialityDetermined, At: utc("2026-11-25T18:00:00Z")}}, nil, nil, "2026-12-02T22:30:00Z", ""},
		// Determined on Saturday 17 January 2026: Monday 19 is Martin Luther
		// King Jr. Day, so Tuesday 20 is day one and Friday 23 day four.
		{"sec from a Saturday over MLK Day", "sec", "form-8k",
			[]Trigger{{Type: TriggerMaterialityDetermined, At: utc("2026-01-17T14:00:00Z")}}, nil, nil, "2026-01-23T22:30:00Z", ""},
		// The determination's day is its Eastern date: 02:00 UTC Friday is
		// still Thursday evening in New York, so Friday counts as day one.
		{"sec uses the Eastern date", "sec", "form-8k",
			[]Trigger{{Type: TriggerMaterialityDetermined, At: utc("2026-03-06T02:00:00Z")}}, nil, nil, "2026-03-11T21:30:00Z", ""},
		// HIPAA: 60 calendar days after discovery, 15 January → 16 March.
		{"hipaa 60 days", "hipaa", "individuals", []Trigger{aware("2026-01-15T09:00:00Z")}, nil, nil, "2026-03-16T09:00:00Z", ""},
		// CIRCIA (proposed): 72 h after reasonable belief, 24 h after a ransom payment.
		{"circia covered incident", "circia", "covered-incident",
			[]Trigger{{Type: TriggerReasonableBelief, At: utc("2026-05-01T10:00:00Z")}}, nil, nil, "2026-05-04T10:00:00Z", ""},
		{"circia ransom payment", "circia", "ransom-payment",
			[]Trigger{{Type: TriggerRansomPaid, At: utc("2026-05-02T22:00:00Z")}}, nil, nil, "2026-05-03T22:00:00Z", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tz := tc.tz
			if tz == nil {
				tz = time.UTC
			}
			c := clockOf(t, tc.regime, tc.report, tc.triggers, tc.subs, utc("2026-01-01T00:00:00Z"), tz)
			if tc.wantDue == "" {
				if c.DueAt != nil || c.State != ClockWaiting {
					t.Fatalf("clock started: due %v, state %s", c.DueAt, c.State)
				}
				return
			}
			if c.DueAt == nil || !c.DueAt.Equal(utc(tc.wantDue)) {
				t.Fatalf("due %v, want %s", c.DueAt, tc.wantDue)
			}
			if c.CappedBy != tc.wantCap {
				t.Errorf("capped by %q, want %q", c.CappedBy, tc.wantCap)
			}
		})
	}
}

func TestClockStates(t *testing.T) {
	tr := []Trigger{{Type: TriggerAware, At: utc("2026-03-02T08:00:00Z")}} // GDPR due 2026-03-05T08:00Z
	for _, tc := range []struct {
		name      string
		now       string
		subs      []Submission
		want      ClockState
		remaining float64
		overdue   float64
	}{
		{"running", "2026-03-03T08:00:00Z", nil, ClockRunning, 48 * 3600, 0},
		// 20 % of 72 h is 14.4 h: at 14 h left the clock is at risk.
		{"at risk", "2026-03-04T18:00:00Z", nil, ClockAtRisk, 14 * 3600, 0},
		{"just outside at risk", "2026-03-04T17:00:00Z", nil, ClockRunning, 15 * 3600, 0},
		{"overdue", "2026-03-05T10:30:00Z", nil, ClockOverdue, 0, 2.5 * 3600},
		{"submitted on time", "2026-03-09T00:00:00Z", []Submission{{Regime: "gdpr", Report: "notification", At: utc("2026-03-04T09:00:00Z")}}, ClockSubmitted, 0, 0},
		{"submitted late", "2026-03-09T00:00:00Z", []Submission{{Regime: "gdpr", Report: "notification", At: utc("2026-03-05T09:00:00Z")}}, ClockLate, 0, 3600},
	} {
		c := clockOf(t, "gdpr", "notification", tr, tc.subs, utc(tc.now), time.UTC)
		if c.State != tc.want || c.RemainingSeconds != tc.remaining || c.OverdueSeconds != tc.overdue {
			t.Errorf("%s: state %s remaining %v overdue %v, want %s %v %v", tc.name, c.State, c.RemainingSeconds, c.OverdueSeconds,
				tc.want, tc.remaining, tc.overdue)
		}
	}
	c := clockOf(t, "circia", "ransom-payment", nil, nil, utc("2026-03-09T00:00:00Z"), time.UTC)
	if !c.Proposed || c.RegimeName != "CIRCIA (proposed rule)" || !strings.Contains(c.Citation, "Proposed rule") {
		t.Errorf("CIRCIA clock not marked proposed: %+v", c)
	}
	// Every default report cites its article.
	for _, g := range DefaultRules().Regimes {
		for _, rp := range g.Reports {
			if len(rp.Citation) < 40 {
				t.Errorf("%s/%s: citation %q", g.ID, rp.ID, rp.Citation)
			}
		}
	}
}

func TestFederalHolidays(t *testing.T) {
	format := func(ts []time.Time) string {
		var out []string
		for _, x := range ts {
			out = append(out, x.Format("01-02"))
		}
		return strings.Join(out, " ")
	}
	for year, want := range map[int]string{
		// 2026: July 4 is a Saturday (observed Friday 3 July); Nov 11 a Wednesday.
		2026: "01-01 01-19 02-16 05-25 06-19 07-03 09-07 10-12 11-11 11-26 12-25",
		// 2021: Juneteenth's first year (a Saturday, observed Friday 18 June);
		// New Year's Day 2022 is a Saturday, observed Friday 31 December 2021.
		2021: "01-01 01-18 02-15 05-31 06-18 07-05 09-06 10-11 11-11 11-25 12-24 12-31",
		// 2022 has no New Year's holiday of its own (observed in 2021).
		2022: "01-17 02-21 05-30 06-20 07-04 09-05 10-10 11-11 11-24 12-26",
		// 2020: no Juneteenth yet.
		2020: "01-01 01-20 02-17 05-25 07-03 09-07 10-12 11-11 11-26 12-25",
	} {
		if got := format(FederalHolidays(year)); got != want {
			t.Errorf("%d: %s\n want %s", year, got, want)
		}
	}
	if !IsFederalHoliday(utc("2021-12-31T12:00:00Z")) || IsFederalHoliday(utc("2022-01-03T12:00:00Z")) {
		t.Error("New Year's Day 2022 must be observed on 31 December 2021 only")
	}
}

func TestRuleSetErrors(t *testing.T) {
	for _, tc := range []struct {
		yaml, want string
	}{
		{"regimes: [{id: x, name: X, reports: [{id: r, name: R, citation: c, from: {event: aware}, within: 0h}]}]", "a deadline cannot come before its trigger"},
		{"regimes: [{id: x, name: X, reports: [{id: r, name: R, citation: c, from: {event: breach}, within: 72h}]}]", `unknown event "breach"`},
		{"regimes: [{id: x, name: X, reports: [{id: r, name: R, citation: c, from: {submitted: r}, within: 72h}]}]", "cannot start its own clock"},
		{"regimes: [{id: x, name: X, reports: [{id: r, name: R, citation: c, from: {event: aware}, within: 4 business days}]}]", "business days need a calendar"},
		{"regimes: [{id: x, name: X, reports: [{id: r, name: R, citation: c, from: {event: aware}, within: 72 parsecs}]}]", "want a count and a unit"},
		{"regimes: [{id: x, name: X, reports: [{id: r, name: R, from: {event: aware}, within: 72h}]}]", "needs a name and a citation"},
		{"regimes: [{id: x, name: X, reports: [{id: a, name: A, citation: c, from: {submitted: b}, within: 1h}, {id: b, name: B, citation: c, from: {submitted: a}, within: 1h}]}]", "waits on itself"},
		{"regimes: [{id: x, name: X, colour: red, reports: []}]", "field colour not found"},
	} {
		if _, err := ParseRules([]byte(tc.yaml), "rules.yaml"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
	// An organisation's regime replaces the default of the same id.
	r, err := DefaultRules().Merge([]Regime{{ID: "gdpr", Name: "GDPR (stricter internal rule)", Reports: []Report{
		{ID: "notification", Name: "n", Citation: "internal policy", From: Anchor{Event: TriggerAware}, Within: Period{48, Hours}}}}})
	if err != nil {
		t.Fatal(err)
	}
	c := (&Incident{Regimes: []string{"gdpr"}, Triggers: []Trigger{{Type: TriggerAware, At: utc("2026-03-02T08:00:00Z")}}}).Clocks(r, utc("2026-03-02T09:00:00Z"), time.UTC)
	if len(c) != 1 || !c[0].DueAt.Equal(utc("2026-03-04T08:00:00Z")) || len(r.Regimes) != len(DefaultRules().Regimes) {
		t.Fatalf("merged rule: %+v", c)
	}
}

// The documented example configuration loads, its extra regime counts
// from awareness, and its board template renders.
func TestExampleConfig(t *testing.T) {
	cfg, err := LoadConfig("../../docs/crisis-example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Stakeholders) != 3 || strings.Join(cfg.DefaultRegimes, ",") != "gdpr,nis2" || cfg.ReminderChannel != "exec-slack" {
		t.Fatalf("config %+v", cfg)
	}
	inc := &Incident{Regimes: []string{"internal-policy"}, Triggers: []Trigger{{Type: TriggerAware, At: utc("2026-03-02T08:00:00Z")}}}
	if c := inc.Clocks(cfg.Rules(), utc("2026-03-02T09:00:00Z"), time.UTC); len(c) != 1 || !c[0].DueAt.Equal(utc("2026-03-02T20:00:00Z")) {
		t.Fatalf("internal policy clock %+v", c)
	}
	board, err := cfg.Audience("board")
	if err != nil {
		t.Fatal(err)
	}
	subject, body, err := renderAudience(board, TemplateData{Ref: "MI-4", Title: "BEC", Severity: "SEV1", Status: StatusActive,
		DeclaredAt: utc("2026-03-02T08:00:00Z"), Commander: "krossi", Executive: &Update{Summary: "Contained."}, NextUpdateDue: utc("2026-03-02T09:00:00Z")})
	if err != nil || subject != "Major incident MI-4 (SEV1): BEC" ||
		body != "The security team is handling a major incident declared 2026-03-02 08:00 UTC.\nStatus: active. Incident commander: krossi.\nContained.\nNext update by 2026-03-02 09:00 UTC.\n" {
		t.Fatalf("board message %q %q %v", subject, body, err)
	}
	// A broken template fails when the configuration loads.
	if _, err := DecodeConfig(strings.NewReader("crisis: {audiences: [{id: x, subject: '{{.Nope}}', body: b}]}"), "c.yaml"); err == nil ||
		!strings.Contains(err.Error(), "audience x: subject template") {
		t.Fatalf("broken template: %v", err)
	}
}
