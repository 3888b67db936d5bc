package training

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/runbook"
	"github.com/watchfloor/watchfloor/internal/sla"
	"github.com/watchfloor/watchfloor/internal/staffing"
	"github.com/watchfloor/watchfloor/internal/store"
)

// asOf is a Wednesday.
var asOf = time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)

func day(d int, hh, mm int) time.Time { return time.Date(2026, 2, d, hh, mm, 0, 0, time.UTC) }

func skills(kv ...any) []model.Skill {
	var out []model.Skill
	for i := 0; i < len(kv); i += 2 {
		out = append(out, model.Skill{Name: kv[i].(string), Level: kv[i+1].(int)})
	}
	return out
}

// fixture: Day 06:00 and Swing 14:00 every day, Night 22:00 Monday to
// Friday only; the malware IRP needs malware analysis 3, windows forensics
// 2 and a GIAC GCIH.
func fixture(t *testing.T) Input {
	t.Helper()
	doc, err := runbook.Parse("irps/malware.md", []byte("---\ntitle: Malware IRP\ntype: irp\n"+
		"required_skills: [\"malware analysis:3\", \"windows forensics:2\"]\nrequired_certifications: [GIAC GCIH]\n---\n1. Contain\n"))
	if err != nil {
		t.Fatal(err)
	}
	reg := runbook.NewRegistry([]*runbook.Entry{{ID: "irps/malware", Versions: []runbook.Version{{Version: 1, Doc: doc}}}})
	every := []time.Weekday{0, 1, 2, 3, 4, 5, 6}
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	run := func(id int64, at time.Time, who string) runbook.Execution {
		return runbook.Execution{CaseID: id, Runbook: "irps/malware", Registered: true, Version: 1, Analysts: []string{who},
			StartedAt: at, FinishedAt: at.Add(time.Hour), Outcome: runbook.OutcomeCompleted}
	}
	fact := func(id int64, who string, p model.Priority, created time.Time, res time.Duration, s sla.Status) store.CaseOutcome {
		f := store.CaseOutcome{CaseID: id, Analyst: who, Priority: p, Created: created, SLAResolve: s}
		if res > 0 {
			f.Resolve = created.Add(res)
		}
		return f
	}
	return Input{
		AsOf: asOf, Loc: time.UTC, Registry: reg, HistoryFrom: day(18, 0, 0), HistoryTo: time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC),
		Certifications: true,
		Roster: store.Roster{
			Shifts: []model.Shift{
				{Name: "Night", Start: "22:00", Duration: 8 * time.Hour, Days: weekdays},
				{Name: "Day", Start: "06:00", Duration: 8 * time.Hour, Days: every},
				{Name: "Swing", Start: "14:00", Duration: 8 * time.Hour, Days: every},
			},
			Analysts: []model.Analyst{
				{ExternalID: "ana", Name: "Ana", Tier: model.TierL2, Shift: "Day", Active: true, Skills: skills("malware analysis", 3, "Windows Forensics", 3),
					Certifications: []string{"GIAC GCIH"}},
				{ExternalID: "ben", Name: "Ben", Tier: model.TierL1, Shift: "Day", Active: true, Skills: skills("malware analysis", 2, "windows forensics", 1)},
				{ExternalID: "cat", Name: "Cat", Tier: model.TierL2, Shift: "Swing", Active: true, Skills: skills("malware analysis", 4, "windows forensics", 2),
					Certifications: []string{"GIAC GCIH"}},
				{ExternalID: "dan", Name: "Dan", Tier: model.TierL1, Shift: "Night", Active: true, Skills: skills("malware analysis", 2, "windows forensics", 3),
					Certifications: []string{"giac gcih"}},
				{ExternalID: "eve", Name: "Eve", Tier: model.TierL3, Shift: "Night", Active: true, Skills: skills("malware analysis", 3, "windows forensics", 3)},
				{ExternalID: "fay", Name: "Fay", Shift: "Swing", Active: false, Skills: skills("malware analysis", 5, "windows forensics", 5)},
			},
		},
		Certs: []store.Certification{
			{Analyst: "ana", Name: "GIAC GCIH", Expires: asOf.AddDate(0, 0, 30)},
			{Analyst: "cat", Name: "GIAC GCIH", Issued: asOf.AddDate(-4, 0, -10), Expires: asOf.AddDate(0, 0, -10)},
			{Analyst: "eve", Name: "GIAC GCIH", Expires: asOf.AddDate(0, 0, 400)},
		},
		Executions: []runbook.Execution{
			run(1, day(24, 15, 0), "cat"),                               // Tue 15:00, swing: uncovered
			run(2, day(25, 10, 0), "ana"),                               // Wed 10:00, day: ana
			run(3, time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC), "eve"),  // Sun 03:00: no night shift
			run(4, day(28, 23, 30), "eve"),                              // Sat 23:30: no night shift
			run(5, day(26, 16, 0), "cat"),                               // Thu 16:00, swing
			run(6, time.Date(2026, 3, 2, 23, 0, 0, 0, time.UTC), "eve"), // Mon 23:00, night: eve
		},
		Outcomes: []store.CaseOutcome{
			fact(1, "cat", model.P2, day(24, 14, 0), 30*time.Hour, sla.StatusBreached),
			fact(2, "ana", model.P2, day(25, 9, 0), time.Hour, sla.StatusMet),
			fact(3, "eve", model.P1, time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC), 0, sla.StatusOnTrack),
			fact(4, "ana", model.P2, day(28, 23, 0), 3*time.Hour, sla.StatusBreached),
			fact(5, "ana", model.P3, day(26, 15, 0), 2*time.Hour, sla.StatusMet),
		},
	}
}

func TestAssessHandComputed(t *testing.T) {
	as := Build(fixture(t))

	// ana qualifies (her certification expires in 30 days, still valid);
	// cat's expired 10 days ago; dan lacks malware analysis 3; eve holds
	// all; fay is inactive.
	if len(as.Requirements) != 1 || !reflect.DeepEqual(as.Requirements[0].Holders, []string{"ana", "eve"}) ||
		as.Requirements[0].PerWeek != 3 {
		t.Fatalf("requirements %+v", as.Requirements)
	}
	var shifts []string
	for _, v := range as.Shifts {
		c := v.Coverage[0]
		shifts = append(shifts, v.Shift+" "+v.Window+" ["+strings.Join(v.Analysts, " ")+"] "+strings.Join(c.Holders, " ")+" "+c.Status)
	}
	wantShifts := []string{
		"Day 06:00–14:00, every day [ana ben] ana single point of failure",
		"Swing 14:00–22:00, every day [cat]  gap",
		"Night 22:00–06:00, Mon–Fri [dan eve] eve single point of failure",
	}
	if !reflect.DeepEqual(shifts, wantShifts) {
		t.Errorf("shifts\n%s\nwant\n%s", strings.Join(shifts, "\n"), strings.Join(wantShifts, "\n"))
	}
	// Uncovered: the swing shift every day (56 h) and the nights no shift
	// starts, Saturday and Sunday 22:00–06:00 (16 h). Exposed runs: 1, 3,
	// 4, 5 of 6 over two weeks; 1 and 4 breached.
	wantGap := Gap{Requirement: "irps/malware", Hours: 72, Exposed: 4, Breached: 2, ExposedPerWeek: 2, Unstaffed: 16,
		Windows: []string{"Mon 14:00–22:00", "Tue 14:00–22:00", "Wed 14:00–22:00", "Thu 14:00–22:00", "Fri 14:00–22:00",
			"Sat 14:00–Sun 06:00", "Sun 14:00–Mon 06:00"}}
	if len(as.Gaps) != 1 || !reflect.DeepEqual(as.Gaps[0], wantGap) {
		t.Errorf("gaps %+v\nwant %+v", as.Gaps, wantGap)
	}
	// Day hands over to a swing shift without a holder; night to day and
	// swing to night do not lose one.
	if want := []Handover{{From: "Day", To: "Swing", At: "14:00", Requirement: "irps/malware", Outgoing: []string{"ana"}}}; !reflect.DeepEqual(as.Handovers, want) {
		t.Errorf("handovers %+v", as.Handovers)
	}
	// Plan: renewing cat's certification closes the 56 swing hours (runs 1
	// and 5: 1 a week); then 0.5 a week each: ana's renewal and ben as a
	// second day holder (run 2, 56 h), dan as a second night holder (run
	// 6, the 40 weekday-night hours). The weekend nights stay open.
	type item struct {
		Rank          int
		Kind, Analyst string
		Raise         []SkillStep
		Certify       []string
		Hours         int
		Removes       float64
		Effort        int
		Due           time.Time
	}
	var got []item
	for _, it := range as.Plan {
		got = append(got, item{it.Rank, it.Kind, it.Analyst, it.Raise, it.Certify, it.ClosesHours, it.RemovesPerWeek, it.Effort, it.Due})
	}
	want := []item{
		{1, ItemGap, "cat", []SkillStep{}, []string{"GIAC GCIH"}, 56, 1, 1, time.Time{}},
		{2, ItemRenew, "ana", []SkillStep{}, []string{"GIAC GCIH"}, 56, 0.5, 1, asOf.AddDate(0, 0, 30)},
		{3, ItemSPOF, "ben", []SkillStep{{"malware analysis", 2, 3}, {"windows forensics", 1, 2}}, []string{"GIAC GCIH"}, 56, 0.5, 3, time.Time{}},
		{4, ItemSPOF, "dan", []SkillStep{{"malware analysis", 2, 3}}, []string{}, 40, 0.5, 1, time.Time{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("plan\n got  %+v\n want %+v", got, want)
	}
	if want := (Program{Analysts: 5, Shifts: 3, Requirements: 1, UncoveredHours: 72, SinglePoints: 2, Handovers: 1, CertsExpired: 1,
		CertsExpiring: 1, ExposedPerWeek: 2, PlanItems: 4}); as.Program != want {
		t.Errorf("program %+v\nwant    %+v", as.Program, want)
	}
	var certs []string
	for _, c := range as.Certifications {
		days := "-"
		if c.DaysLeft != nil {
			days = strconv.Itoa(*c.DaysLeft)
		}
		certs = append(certs, c.Analyst+" "+c.Status+" "+days+" "+strings.Join(c.NeededFor, ","))
	}
	wantCerts := []string{"cat expired -10 irps/malware", "ana expiring 30 irps/malware", "eve valid 400 irps/malware",
		"dan no expiry recorded - irps/malware"}
	if !reflect.DeepEqual(certs, wantCerts) {
		t.Errorf("certifications %q, want %q", certs, wantCerts)
	}
	var notes = strings.Join(as.Notes, "\n")
	if !strings.Contains(notes, "no shift is on duty Sat 22:00–Sun 06:00, Sun 22:00–Mon 06:00") {
		t.Errorf("notes %q", notes)
	}
	// Individual context: ana resolved three cases (1 h, 2 h, 3 h: median
	// 2 h) of P2, P2 and P3 and ran the IRP once.
	for _, p := range as.Analysts {
		switch p.ID {
		case "ana":
			if p.Resolved != 3 || p.MedianResolveSeconds == nil || *p.MedianResolveSeconds != 7200 ||
				!reflect.DeepEqual(p.QueueMix, map[string]int{"P2": 2, "P3": 1}) || !reflect.DeepEqual(p.RunbookMix, map[string]int{"irps/malware": 1}) ||
				!reflect.DeepEqual(p.CanRun, []string{"irps/malware"}) {
				t.Errorf("ana %+v", p)
			}
		case "eve":
			if p.Resolved != 0 || p.MedianResolveSeconds != nil || p.RunbookMix["irps/malware"] != 3 {
				t.Errorf("eve %+v", p)
			}
		case "fay":
			t.Error("inactive analyst profiled")
		}
	}
}

// A night shift every day hands nothing to nobody and leaves no weekend
// hole; with a queue requirement of two per shift the single holders are
// gaps.
func TestAssessEveryNightAndQueue(t *testing.T) {
	in := fixture(t)
	in.Roster.Shifts[0].Days = nil // every day
	in.Staffing = staffing.Config{Skills: []staffing.SkillRequirement{{Skill: "malware analysis", MinLevel: 3, PerShift: 2, For: "P1 cases"}}}
	as := Build(in)
	if len(as.Requirements) != 2 || as.Requirements[1].Kind != KindQueue || !reflect.DeepEqual(as.Requirements[1].Holders, []string{"ana", "cat", "eve"}) {
		t.Fatalf("requirements %+v", as.Requirements)
	}
	var gaps []string
	for _, g := range as.Gaps {
		gaps = append(gaps, g.Requirement+" "+strings.Join(g.Windows, ", "))
	}
	want := []string{
		// Every case counts for the queue: 5 cases, 4 in uncovered hours
		// (all but case 3, created Sunday 02:00 under the every-day night).
		"P1 cases: malware analysis all week",
		"irps/malware 14:00–22:00 every day",
	}
	if !reflect.DeepEqual(gaps, want) {
		t.Errorf("gaps\n%s\nwant\n%s", strings.Join(gaps, "\n"), strings.Join(want, "\n"))
	}
	for _, n := range as.Notes {
		if strings.Contains(n, "no shift is on duty") {
			t.Errorf("note %q with a shift always on duty", n)
		}
	}
}

func TestWindowsAndSlots(t *testing.T) {
	var nights []int
	for d := range 7 {
		nights = append(nights, 24*d, 24*d+1, 24*d+22, 24*d+23)
	}
	if got := windows(nights); !reflect.DeepEqual(got, []string{"22:00–02:00 every day"}) {
		t.Errorf("daily window %q", got)
	}
	if got := windows([]int{0, 1, 167}); !reflect.DeepEqual(got, []string{"Sun 23:00–Mon 02:00"}) {
		t.Errorf("wrapping window %q", got)
	}
	if got := windows([]int{5, 30}); !reflect.DeepEqual(got, []string{"Mon 05:00–06:00", "Tue 06:00–07:00"}) {
		t.Errorf("two windows %q", got)
	}
	if got := windows([]int{23}); !reflect.DeepEqual(got, []string{"Mon 23:00–Tue 00:00"}) {
		t.Errorf("hour before midnight %q", got)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip(err)
	}
	// 23:30 UTC on Sunday is Monday 00:30 in Berlin.
	if k := slotOf(time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC), berlin); k != 0 {
		t.Errorf("slot %d, want 0", k)
	}
	if got := dayRanges([]int{0, 1, 2, 4, 6}); got != "Mon–Wed, Fri, Sun" {
		t.Errorf("dayRanges %q", got)
	}
}

func TestCertStatus(t *testing.T) {
	warn := 90 * 24 * time.Hour
	tests := []struct {
		expires time.Time
		status  string
		days    int
	}{
		{time.Time{}, CertNoExpiry, 0},
		{asOf, CertExpired, 0},
		{asOf.Add(-time.Hour), CertExpired, -1},
		{asOf.Add(time.Hour), CertExpiring, 0},
		{asOf.Add(warn), CertExpiring, 90},
		{asOf.Add(warn + time.Second), CertValid, 90},
		{asOf.AddDate(0, 0, -400), CertExpired, -400},
	}
	for _, tt := range tests {
		st := certStatus(store.Certification{Analyst: "a", Name: "c", Expires: tt.expires}, asOf, warn)
		if st.Status != tt.status || (tt.expires.IsZero() != (st.DaysLeft == nil)) || (st.DaysLeft != nil && *st.DaysLeft != tt.days) {
			t.Errorf("expires %v: %s %v, want %s %d", tt.expires, st.Status, st.DaysLeft, tt.status, tt.days)
		}
	}
}
