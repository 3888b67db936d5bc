package demo

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/shareddata"
)

// testEnd is a fixed end of simulation, truncated to the hour as callers do.
var testEnd = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

// output is everything one run emitted, in order.
type output struct {
	cfg     Config
	stats   stats
	rules   map[string]*rule // by external id, background and drill
	recs    []record.Record
	alerts  []*model.Alert
	cases   map[string]*model.Case
	events  map[string][]*model.CaseEvent // by case external id, in order
	extra   map[string]bool               // alert ids of major incidents and drills
	ruleIDs map[string]bool
}

func generate(t testing.TB, cfg Config) *output {
	t.Helper()
	s, err := newSim(cfg)
	if err != nil {
		t.Fatal(err)
	}
	o := &output{cfg: s.cfg, rules: map[string]*rule{}, cases: map[string]*model.Case{},
		events: map[string][]*model.CaseEvent{}, extra: map[string]bool{}, ruleIDs: map[string]bool{}}
	for _, r := range append(slices.Clip(s.rules), s.drill) {
		o.rules[r.m.ExternalID] = r
	}
	err = s.run(context.Background(), func(_ int64, r record.Record) error {
		o.recs = append(o.recs, r)
		switch {
		case r.Alert != nil:
			o.alerts = append(o.alerts, r.Alert)
		case r.Case != nil:
			o.cases[r.Case.ExternalID] = r.Case
		case r.Event != nil:
			o.events[r.Event.CaseExternalID] = append(o.events[r.Event.CaseExternalID], r.Event)
		case r.Rule != nil:
			o.ruleIDs[r.Rule.ExternalID] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	o.stats = s.stats
	for _, id := range s.stats.extraIDs {
		o.extra[id] = true
	}
	return o
}

// digest hashes the JSON of every record in order.
func digest(t *testing.T, cfg Config) [32]byte {
	t.Helper()
	h := sha256.New()
	enc := json.NewEncoder(h)
	err := Generate(context.Background(), cfg, func(r record.Record) error {
		return enc.Encode(r)
	})
	if err != nil {
		t.Fatal(err)
	}
	return [32]byte(h.Sum(nil))
}

func TestDeterminism(t *testing.T) {
	cfg := Config{Seed: 7, Days: 10, AlertsPerDay: 1500, End: testEnd}
	a, b := digest(t, cfg), digest(t, cfg)
	if a != b {
		t.Fatal("same seed gave different output")
	}
	cfg.Seed = 8
	if c := digest(t, cfg); c == a {
		t.Fatal("different seeds gave the same output")
	}
}

// The arrival stream does not depend on staffing: the same seed with a
// different head count sees the same alerts.
func TestArrivalsIndependentOfStaffing(t *testing.T) {
	cfg := Config{Seed: 3, Days: 7, AlertsPerDay: 1000, End: testEnd}
	a := generate(t, cfg)
	cfg.Analysts = 40
	b := generate(t, cfg)
	if len(a.alerts) != len(b.alerts) {
		t.Fatalf("alert counts differ: %d vs %d", len(a.alerts), len(b.alerts))
	}
	for i := range a.alerts {
		x, y := a.alerts[i], b.alerts[i]
		if x.ExternalID != y.ExternalID || x.RuleID != y.RuleID || !x.CreatedAt.Equal(y.CreatedAt) ||
			!x.OccurredAt.Equal(y.OccurredAt) || !slices.Equal(x.Entities, y.Entities) {
			t.Fatalf("alert %d differs: %+v vs %+v", i, x, y)
		}
	}
}

func TestVolume(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"two weeks UTC", Config{Seed: 1, Days: 14, AlertsPerDay: 2000, End: testEnd}},
		{"other seed and zone", Config{Seed: 99, Days: 14, AlertsPerDay: 2000, End: testEnd, TimeZone: time.FixedZone("UTC+5:30", 5*3600+1800)}},
		{"end not on the hour", Config{Seed: 5, Days: 9, AlertsPerDay: 3000, End: testEnd.Add(17*time.Minute + 123456789)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := generate(t, tt.cfg)
			// Background arrivals are Poisson with mean μ = AlertsPerDay ×
			// Days exactly (the rates are scaled to it), so the count has
			// standard deviation √μ. Five of them: a false failure is
			// about a one-in-a-million event.
			mu := float64(tt.cfg.AlertsPerDay * tt.cfg.Days)
			n := float64(o.stats.background)
			if d := math.Abs(n - mu); d > 5*math.Sqrt(mu) {
				t.Errorf("background alerts = %.0f, want %.0f ± %.0f", n, mu, 5*math.Sqrt(mu))
			}
			if got, want := len(o.alerts), o.stats.background+len(o.stats.extraIDs); got != want {
				t.Errorf("alerts = %d, want background %d + extras %d", got, o.stats.background, len(o.stats.extraIDs))
			}
		})
	}
}

func TestSeasonality(t *testing.T) {
	loc := time.FixedZone("UTC-5", -5*3600)
	o := generate(t, Config{Seed: 11, Days: 28, AlertsPerDay: 3000, End: testEnd, TimeZone: loc})
	var byHour [24]float64
	var byWeekday [7]float64
	for _, a := range o.alerts {
		if o.extra[a.ExternalID] {
			continue
		}
		lt := a.CreatedAt.In(loc)
		if wd := lt.Weekday(); wd != time.Saturday && wd != time.Sunday {
			byHour[lt.Hour()]++
		}
		byWeekday[lt.Weekday()]++
	}
	var business, night float64
	for h := 9; h < 17; h++ {
		business += byHour[h] / 8
	}
	for h := 0; h < 6; h++ {
		night += byHour[h] / 6
	}
	// The profile puts business hours at about three times the night rate.
	if business < 2*night {
		t.Errorf("business-hour rate %.0f not well above night rate %.0f", business, night)
	}
	weekday := (byWeekday[1] + byWeekday[2] + byWeekday[3] + byWeekday[4] + byWeekday[5]) / 5
	weekend := (byWeekday[0] + byWeekday[6]) / 2
	// Expected ratio about 1.5.
	if weekday < 1.3*weekend {
		t.Errorf("weekday volume %.0f not well above weekend volume %.0f", weekday, weekend)
	}
}

func TestFalsePositiveRates(t *testing.T) {
	o := generate(t, Config{Seed: 2, Days: 21, AlertsPerDay: 4000, End: testEnd})
	type counts struct{ fp, decided, undecided int }
	per := map[string]*counts{}
	for _, a := range o.alerts {
		if o.extra[a.ExternalID] || a.Disposition == model.DispositionDuplicate {
			continue
		}
		c := per[a.RuleID]
		if c == nil {
			c = &counts{}
			per[a.RuleID] = c
		}
		switch a.Disposition {
		case model.DispositionFalsePositive:
			c.fp++
			c.decided++
		case model.DispositionBenignPositive, model.DispositionTruePositive:
			c.decided++
		case model.DispositionNone:
			c.undecided++
		default:
			t.Errorf("alert %s: unexpected disposition %q", a.ExternalID, a.Disposition)
		}
	}
	checked := 0
	for id, c := range per {
		if c.decided < 500 {
			continue
		}
		checked++
		fp := o.rules[id].fp
		got := float64(c.fp) / float64(c.decided)
		// Binomial sampling error (4.5 σ), plus the alerts still without a
		// verdict at the end, which could each have gone either way.
		tol := 4.5*math.Sqrt(fp*(1-fp)/float64(c.decided)) + float64(c.undecided)/float64(c.decided)
		if math.Abs(got-fp) > tol {
			t.Errorf("rule %s: FP rate %.4f over %d alerts, configured %.4f (tolerance %.4f)", id, got, c.decided, fp, tol)
		}
	}
	if checked < 20 {
		t.Errorf("only %d rules had enough alerts to check", checked)
	}
	// A few noisy rules carry most of the volume.
	byRule := map[string]int{}
	for _, a := range o.alerts {
		byRule[a.RuleID]++
	}
	var vols []int
	for _, n := range byRule {
		vols = append(vols, n)
	}
	slices.Sort(vols)
	slices.Reverse(vols)
	top := vols[0] + vols[1] + vols[2] + vols[3] + vols[4] + vols[5]
	if share := float64(top) / float64(len(o.alerts)); share < 0.45 {
		t.Errorf("top six rules carry %.0f %% of alerts, want a large share", share*100)
	}
}

// caseState tracks a case through its events in the test.
type caseState struct {
	stage, status, assignee, team, priority, disposition string
}

func TestCaseEventsConsistent(t *testing.T) {
	o := generate(t, Config{Seed: 4, Days: 21, AlertsPerDay: 3000, End: testEnd})
	allowed := map[[2]string]bool{
		{"new", "triage"}: true, {"triage", "investigating"}: true, {"investigating", "contained"}: true,
		{"investigating", "resolved"}: true, {"contained", "resolved"}: true, {"resolved", "closed"}: true,
		{"resolved", "investigating"}: true, {"closed", "investigating"}: true, // reopen
	}
	kinds := map[model.EventKind]int{}
	reopened, escalated, paused := 0, 0, 0
	for id, c := range o.cases {
		st := caseState{stage: "new", priority: c.Priority.String(), team: c.Team}
		prev := c.CreatedAt
		assigned := false
		for _, e := range o.events[id] {
			kinds[e.Kind]++
			if e.At.Before(prev) {
				t.Fatalf("case %s: event %s at %v before previous %v", id, e.ExternalID, e.At, prev)
			}
			prev = e.At
			check := func(field *string) {
				if e.Old != *field {
					t.Errorf("case %s event %s (%s): old %q, state has %q", id, e.ExternalID, e.Kind, e.Old, *field)
				}
				*field = e.New
			}
			switch e.Kind {
			case model.EventStage:
				if !allowed[[2]string{st.stage, e.New}] {
					t.Errorf("case %s event %s: stage move %s → %s", id, e.ExternalID, st.stage, e.New)
				}
				if e.New == "triage" && !assigned {
					t.Errorf("case %s: triage before assignment", id)
				}
				if e.New == "resolved" && st.disposition == "" {
					t.Errorf("case %s: resolved without a disposition", id)
				}
				if (st.stage == "resolved" || st.stage == "closed") && e.New == "investigating" {
					reopened++
				}
				check(&st.stage)
			case model.EventAssignee:
				if st.assignee != "" {
					escalated++
				}
				check(&st.assignee)
				assigned = true
			case model.EventTeam:
				check(&st.team)
			case model.EventPriority:
				check(&st.priority)
				if p, err := model.ParsePriority(e.New); err != nil || !p.Valid() {
					t.Errorf("case %s: bad priority %q", id, e.New)
				}
			case model.EventStatus:
				if e.New == statusAwaitingUser || e.New == statusAwaitingVendor {
					paused++
					if st.stage != "investigating" {
						t.Errorf("case %s: paused in stage %s", id, st.stage)
					}
				}
				check(&st.status)
			case model.EventDisposition:
				check(&st.disposition)
				if d := model.Disposition(e.New); d == model.DispositionNone || !d.Valid() {
					t.Errorf("case %s: bad disposition %q", id, e.New)
				}
			case model.EventRunbook:
				var rb model.RunbookExecution
				if err := json.Unmarshal([]byte(e.New), &rb); err != nil {
					t.Errorf("case %s: runbook %q: %v", id, e.New, err)
				} else if rb.Runbook == "" || (rb.Status != "completed" && rb.Status != "failed" && rb.Status != "skipped") ||
					rb.FinishedAt.Before(rb.StartedAt) || !rb.FinishedAt.Equal(e.At) {
					t.Errorf("case %s: bad runbook execution %+v at %v", id, rb, e.At)
				}
			case model.EventComment, model.EventAlertLinked:
				if e.New == "" {
					t.Errorf("case %s: empty %s event", id, e.Kind)
				}
			default:
				t.Errorf("case %s: unexpected event kind %q", id, e.Kind)
			}
			if st.status == statusAwaitingUser || st.status == statusAwaitingVendor {
				if e.Kind == model.EventStage {
					t.Errorf("case %s: stage moved while paused", id)
				}
			}
		}
	}
	for _, k := range []model.EventKind{model.EventAssignee, model.EventStage, model.EventPriority, model.EventStatus,
		model.EventTeam, model.EventComment, model.EventRunbook, model.EventDisposition, model.EventAlertLinked} {
		if kinds[k] == 0 {
			t.Errorf("no %s events", k)
		}
	}
	if reopened == 0 || escalated == 0 || paused == 0 {
		t.Errorf("reopened %d, escalated %d, paused %d: want some of each", reopened, escalated, paused)
	}
}

func TestRecords(t *testing.T) {
	cfg := Config{Seed: 6, Days: 14, AlertsPerDay: 2500, End: testEnd.Add(-42 * time.Minute), TimeZone: time.FixedZone("CET", 3600)}
	o := generate(t, cfg)
	start, end := cfg.End.Add(-14*24*time.Hour), cfg.End
	inWindow := func(what string, ts time.Time) {
		if ts.IsZero() || ts.Before(start) || !ts.Before(end) {
			t.Errorf("%s: time %v outside [%v, %v)", what, ts, start, end)
		}
		if ts.Location() != time.UTC {
			t.Errorf("%s: time %v not in UTC", what, ts)
		}
	}
	alertID := regexp.MustCompile(`^A-\d{8}$`)
	caseID := regexp.MustCompile(`^C-\d{6}$`)
	phase := 0 // teams, shifts, analysts, rules, SLA, stream
	order := map[string]int{"team": 0, "shift": 1, "analyst": 2, "rule": 3, "sla": 4, "stream": 5}
	var last time.Time
	alerts := map[string]*model.Alert{}
	eventIDs := map[string]bool{}
	seenCase := map[string]bool{}
	var pauseStatuses []string
	for i, r := range o.recs {
		n := 0
		for _, set := range []bool{r.Alert != nil, r.Case != nil, r.Event != nil, r.Analyst != nil, r.Rule != nil,
			r.Finding != nil, r.Team != nil, r.Shift != nil, r.SLA != nil} {
			if set {
				n++
			}
		}
		if n != 1 || r.Err != nil || !strings.HasPrefix(r.Loc, "demo:") {
			t.Fatalf("record %d: %d payloads, err %v, loc %q", i, n, r.Err, r.Loc)
		}
		kind := "stream"
		switch {
		case r.Team != nil:
			kind = "team"
		case r.Shift != nil:
			kind = "shift"
		case r.Analyst != nil:
			kind = "analyst"
		case r.Rule != nil:
			kind = "rule"
		case r.SLA != nil:
			kind = "sla"
			pauseStatuses = r.SLA.PauseStatuses
			if len(r.SLA.Targets) != 5 {
				t.Errorf("SLA targets for %d priorities, want 5", len(r.SLA.Targets))
			}
		}
		if order[kind] < phase {
			t.Fatalf("record %d (%s) after a later kind", i, kind)
		}
		phase = order[kind]
		var at time.Time
		switch {
		case r.Alert != nil:
			a := r.Alert
			at = a.CreatedAt
			inWindow(a.ExternalID+" created", a.CreatedAt)
			inWindow(a.ExternalID+" occurred", a.OccurredAt)
			if a.OccurredAt.After(a.CreatedAt) {
				t.Errorf("%s: occurred after created", a.ExternalID)
			}
			if !alertID.MatchString(a.ExternalID) || a.ExternalID != "A-"+pad("", len(alerts)+1, 8) {
				t.Errorf("alert id %q out of sequence", a.ExternalID)
			}
			if a.Source != Source || !o.ruleIDs[a.RuleID] || a.RuleName == "" || len(a.Entities) == 0 || len(a.Techniques) == 0 {
				t.Errorf("alert %s incomplete: %+v", a.ExternalID, a)
			}
			if a.Severity < model.SeverityInformational || a.Severity > model.SeverityCritical || !a.Disposition.Valid() {
				t.Errorf("alert %s: severity %v disposition %q", a.ExternalID, a.Severity, a.Disposition)
			}
			switch a.Status {
			case alertClosed:
				if a.Disposition == model.DispositionNone {
					t.Errorf("alert %s closed without disposition", a.ExternalID)
				}
			case alertNew, alertInProgress, alertEscalated:
				if a.Disposition != model.DispositionNone {
					t.Errorf("alert %s %s with disposition", a.ExternalID, a.Status)
				}
			default:
				t.Errorf("alert %s: status %q", a.ExternalID, a.Status)
			}
			if a.Status == alertEscalated && a.CaseExternalID == "" {
				t.Errorf("alert %s escalated without a case", a.ExternalID)
			}
			alerts[a.ExternalID] = a
		case r.Case != nil:
			c := r.Case
			at = c.CreatedAt
			inWindow(c.ExternalID, c.CreatedAt)
			seenCase[c.ExternalID] = true
			if !caseID.MatchString(c.ExternalID) || c.Source != Source || c.Stage != model.StageNew ||
				c.Assignee != "" || !c.Priority.Valid() || !c.UpdatedAt.Equal(c.CreatedAt) || c.Title == "" ||
				len(c.AlertExternalIDs) != 1 || c.Disposition != model.DispositionNone {
				t.Errorf("case snapshot not in its initial state: %+v", c)
			}
			for _, id := range c.AlertExternalIDs {
				if a := alerts[id]; a == nil || a.CaseExternalID != c.ExternalID {
					t.Errorf("case %s lists alert %s that does not link back", c.ExternalID, id)
				}
			}
		case r.Event != nil:
			e := r.Event
			at = e.At
			inWindow(e.ExternalID, e.At)
			if !seenCase[e.CaseExternalID] {
				t.Errorf("event %s before its case", e.ExternalID)
			}
			if e.Source != Source || e.CaseSource != Source || !e.Kind.Valid() || e.Actor == "" ||
				!strings.HasPrefix(e.ExternalID, e.CaseExternalID+"/") || eventIDs[e.ExternalID] {
				t.Errorf("bad event %+v", e)
			}
			eventIDs[e.ExternalID] = true
			if e.Kind == model.EventStage {
				if s, err := model.ParseStage(e.New); err != nil || string(s) != e.New {
					t.Errorf("event %s: stage %q", e.ExternalID, e.New)
				}
			}
			if e.Kind == model.EventStatus && e.New != statusInProgress && !slices.Contains(pauseStatuses, e.New) {
				t.Errorf("event %s: status %q is neither a pause status nor %q", e.ExternalID, e.New, statusInProgress)
			}
			if e.Kind == model.EventAlertLinked {
				if a := alerts[e.New]; a == nil || a.CaseExternalID != e.CaseExternalID {
					t.Errorf("event %s links alert %s that does not name the case", e.ExternalID, e.New)
				}
			}
		}
		if !at.IsZero() {
			if at.Before(last) {
				t.Fatalf("record %d (%s) at %v before previous record at %v", i, r.Loc, at, last)
			}
			last = at
		}
	}
	// Every case link points at an emitted case, and open work remains.
	var openAlerts, openCases int
	for _, a := range o.alerts {
		if a.CaseExternalID != "" && o.cases[a.CaseExternalID] == nil {
			t.Errorf("alert %s links to unknown case %s", a.ExternalID, a.CaseExternalID)
		}
		if a.Status != alertClosed {
			openAlerts++
		}
	}
	for id := range o.cases {
		stage := "new"
		for _, e := range o.events[id] {
			if e.Kind == model.EventStage {
				stage = e.New
			}
		}
		if !model.Stage(stage).Done() {
			openCases++
		}
	}
	if openAlerts == 0 || openCases == 0 {
		t.Errorf("open alerts %d, open cases %d at the end: want some of each", openAlerts, openCases)
	}
	if len(o.cases) < 14*5 {
		t.Errorf("only %d cases in 14 days", len(o.cases))
	}
}

func TestAnalysts(t *testing.T) {
	tests := []struct {
		n    int
		want [3]int
	}{
		{3, [3]int{1, 1, 1}},
		{12, [3]int{7, 4, 1}},
		{14, [3]int{9, 4, 1}},
		{15, [3]int{8, 5, 2}},
		{100, [3]int{60, 30, 10}},
		{500, [3]int{300, 150, 50}},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.n), func(t *testing.T) {
			var teams, shifts []string
			var got [3]int
			logins := map[string]bool{}
			var leads []string
			err := Generate(context.Background(), Config{Days: 1, AlertsPerDay: 10, Analysts: tt.n, End: testEnd},
				func(r record.Record) error {
					switch {
					case r.Team != nil:
						teams = append(teams, r.Team.Name)
						leads = append(leads, r.Team.Lead)
					case r.Shift != nil:
						shifts = append(shifts, r.Shift.Name)
						if r.Shift.Duration != 8*time.Hour || len(r.Shift.Days) != 7 {
							t.Errorf("shift %+v", r.Shift)
						}
					case r.Analyst != nil:
						a := r.Analyst
						got[map[model.Tier]int{model.TierL1: 0, model.TierL2: 1, model.TierL3: 2}[a.Tier]]++
						if logins[a.ExternalID] {
							t.Errorf("duplicate login %s", a.ExternalID)
						}
						logins[a.ExternalID] = true
						if !slices.Contains(teams, a.Team) || !slices.Contains(shifts, a.Shift) || a.Name == "" ||
							a.HourlyCost <= 0 || len(a.Skills) < 3 || !a.Active {
							t.Errorf("analyst %+v", a)
						}
						for _, s := range a.Skills {
							if s.Level < 1 || s.Level > 5 {
								t.Errorf("analyst %s: skill %+v", a.ExternalID, s)
							}
						}
					}
					return nil
				})
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("tiers L1/L2/L3 = %v, want %v", got, tt.want)
			}
			if len(teams) != 3 || len(shifts) != 3 {
				t.Errorf("teams %v shifts %v", teams, shifts)
			}
			for _, l := range leads {
				if !logins[l] {
					t.Errorf("team lead %q is not an analyst", l)
				}
			}
		})
	}
}

func TestMajorIncidents(t *testing.T) {
	o := generate(t, Config{Seed: 1, Days: 90, AlertsPerDay: 300, End: testEnd})
	if o.stats.majors < 3 || o.stats.majors > 6 {
		t.Fatalf("%d major incidents in 90 days, want 3 to 6", o.stats.majors)
	}
	linked := map[string]int{}
	for _, a := range o.alerts {
		linked[a.CaseExternalID]++
	}
	var majors int
	for id, c := range o.cases {
		if !slices.Contains(c.Tags, "major-incident") {
			continue
		}
		majors++
		prio, contained := c.Priority, false
		for _, e := range o.events[id] {
			if e.Kind == model.EventPriority {
				prio, _ = model.ParsePriority(e.New)
			}
			if e.Kind == model.EventStage && e.New == "contained" {
				contained = true
			}
		}
		if prio != model.P1 && c.CreatedAt.Before(testEnd.Add(-6*time.Hour)) {
			t.Errorf("major incident %s at priority %v", id, prio)
		}
		if linked[id] < 15 {
			t.Errorf("major incident %s has %d linked alerts", id, linked[id])
		}
		if !contained && c.CreatedAt.Before(testEnd.Add(-3*24*time.Hour)) {
			t.Errorf("major incident %s from %v never contained", id, c.CreatedAt)
		}
	}
	if majors != o.stats.majors {
		t.Errorf("%d major-incident cases, %d scheduled", majors, o.stats.majors)
	}
	var drills int
	for _, c := range o.cases {
		if slices.Contains(c.Tags, "drill") {
			drills++
		}
	}
	if drills < 5 {
		t.Errorf("%d drill cases in 90 days, want one a fortnight", drills)
	}
}

func TestTechniquesFromCatalog(t *testing.T) {
	catalog := []string{"T1059.001", " t1110.001", "T1046", "T1021.002", "T1003.001", "T1059.001"}
	o := generate(t, Config{Days: 2, AlertsPerDay: 500, End: testEnd, Techniques: catalog})
	allowed := normTechniques(catalog)
	for _, r := range o.recs {
		if r.Rule != nil {
			if len(r.Rule.Techniques) == 0 {
				t.Errorf("rule %s has no technique", r.Rule.ExternalID)
			}
			for _, id := range r.Rule.Techniques {
				if !slices.Contains(allowed, id) {
					t.Errorf("rule %s: technique %s not in the catalog", r.Rule.ExternalID, id)
				}
			}
		}
	}
	for _, a := range o.alerts {
		for _, id := range a.Techniques {
			if !slices.Contains(allowed, id) {
				t.Fatalf("alert %s: technique %s not in the catalog", a.ExternalID, id)
			}
		}
	}
}

// The built-in content pack uses current ATT&CK technique ids: every one is
// in the real Enterprise catalog, neither revoked nor deprecated.
func TestBuiltinTechniquesInATTACK(t *testing.T) {
	f, err := os.Open(shareddata.Path(t, "attack", "enterprise-attack-18.1-slim.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var bundle struct {
		Objects []struct {
			Type       string `json:"type"`
			Revoked    bool   `json:"revoked"`
			Deprecated bool   `json:"x_mitre_deprecated"`
			Refs       []struct {
				Source string `json:"source_name"`
				ID     string `json:"external_id"`
			} `json:"external_references"`
		} `json:"objects"`
	}
	if err := json.NewDecoder(zr).Decode(&bundle); err != nil {
		t.Fatal(err)
	}
	current := map[string]bool{}
	for _, o := range bundle.Objects {
		if o.Type != "attack-pattern" || o.Revoked || o.Deprecated {
			continue
		}
		for _, r := range o.Refs {
			if r.Source == "mitre-attack" {
				current[r.ID] = true
			}
		}
	}
	if len(current) < 600 {
		t.Fatalf("only %d current techniques in the catalog", len(current))
	}
	for _, spec := range append(slices.Clip(ruleSpecs), drillSpec) {
		for _, id := range spec.techniques {
			if !current[id] {
				t.Errorf("rule %q: %s is not a current ATT&CK technique", spec.name, id)
			}
		}
	}
	if n := len(ruleSpecs) + 1; n < 60 || n > 120 {
		t.Errorf("%d rules, want 60 to 120", n)
	}
}

func TestConfig(t *testing.T) {
	d := Config{}.WithDefaults()
	if d.Seed != 1 || d.Days != 90 || d.AlertsPerDay != 4000 || d.Analysts != 14 || d.TimeZone != time.UTC {
		t.Errorf("defaults = %+v", d)
	}
	bad := []Config{
		{},
		{End: testEnd, Analysts: 2},
		{End: testEnd, Analysts: 501},
		{End: testEnd, Days: -1},
		{End: testEnd, Days: MaxDays + 1},
		{End: testEnd, AlertsPerDay: -5},
		{End: testEnd, AlertsPerDay: MaxAlertsPerDay + 1},
	}
	for _, c := range bad {
		err := Generate(context.Background(), c, func(record.Record) error {
			t.Fatalf("config %+v: emitted a record", c)
			return nil
		})
		if err == nil {
			t.Errorf("config %+v: no error", c)
		}
	}
}

func TestStops(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := Generate(context.Background(), Config{Days: 3, AlertsPerDay: 1000, End: testEnd}, func(record.Record) error {
		if n++; n == 500 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 500 {
		t.Errorf("after emit error: err %v, %d records", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = Generate(ctx, Config{Days: 3, AlertsPerDay: 1000, End: testEnd}, func(record.Record) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err %v", err)
	}
}

func TestQueue(t *testing.T) {
	o := generate(t, Config{Seed: 9, Days: 14, AlertsPerDay: 4000, End: testEnd})
	// Most alerts are closed by automation; the rest wait for analysts.
	human := o.stats.background + len(o.stats.extraIDs) - o.stats.autoClosed
	if share := float64(o.stats.autoClosed) / float64(len(o.alerts)); share < 0.8 || share > 0.95 {
		t.Errorf("automation closed %.0f %% of alerts", share*100)
	}
	var waits, n int64
	for d := range o.stats.waitN {
		waits += o.stats.waitSum[d]
		n += int64(o.stats.waitN[d])
	}
	if n == 0 || int(n) > human {
		t.Fatalf("%d alerts triaged by analysts, %d not automated", n, human)
	}
	if mean := time.Duration(waits/n) * time.Millisecond; mean <= 0 || mean > 12*time.Hour {
		t.Errorf("mean triage wait %v", mean)
	}
	// Fewer analysts, longer waits.
	small := generate(t, Config{Seed: 9, Days: 14, AlertsPerDay: 4000, Analysts: 6, End: testEnd})
	var sw, sn int64
	for d := range small.stats.waitN {
		sw += small.stats.waitSum[d]
		sn += int64(small.stats.waitN[d])
	}
	if sn == 0 || sw/sn <= waits/n {
		t.Errorf("6 analysts: mean wait %d ms over %d alerts, not above 14 analysts' %d ms", sw/max(1, sn), sn, waits/n)
	}
}

// Analysts are on duty only during their shift in the organisation's local
// time, five days a week.
func TestRosterFollowsLocalShifts(t *testing.T) {
	loc := time.FixedZone("UTC-5", -5*3600)
	s, err := newSim(Config{Days: 28, Analysts: 30, End: testEnd, TimeZone: loc})
	if err != nil {
		t.Fatal(err)
	}
	ros := s.ros
	worked := make([]int, len(ros.analysts))
	for k := 0; k < ros.nSlots; k++ {
		at := time.UnixMilli(ros.slot0 + int64(k)*slotMs).In(loc)
		minute := at.Hour()*60 + at.Minute()
		want := 2 // Night
		switch {
		case minute >= 6*60 && minute < 14*60:
			want = 0
		case minute >= 14*60 && minute < 22*60:
			want = 1
		}
		for tier := 0; tier < 3; tier++ {
			for _, a := range ros.onDuty(tier, k) {
				if ros.analysts[a].shift != want || ros.analysts[a].tier != tier {
					t.Fatalf("slot %v: analyst %s (tier %d, %s shift) on duty", at, ros.analysts[a].m.ExternalID,
						ros.analysts[a].tier, shiftNames[ros.analysts[a].shift])
				}
				worked[a]++
			}
		}
		if len(ros.onDuty(0, k)) == 0 {
			t.Errorf("slot %v: no L1 analyst on duty", at)
		}
	}
	// Four weeks of five eight-hour days is 640 slots; sick days and a
	// vacation week take some away, nothing adds any.
	for i, n := range worked {
		if n > 640 || n < 640-8*32-6*32 {
			t.Errorf("analyst %s worked %d slots in four weeks", ros.analysts[i].m.ExternalID, n)
		}
	}
}
