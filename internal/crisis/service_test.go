package crisis

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/budget"
	"github.com/watchfloor/watchfloor/internal/store"
)

func TestLifecycle(t *testing.T) { engines(t, testLifecycle) }

func testLifecycle(t *testing.T, st *store.Store) {
	ctx := context.Background()
	s, clk := newService(t, st)
	inc := must(s.Declare(ctx, ic, DeclareInput{Severity: "sev2", Cases: []string{"fx/C-1"}, Regimes: []string{"gdpr", "NIS2"},
		AwareAt: atT(-minutes(30))})).get(t)
	if inc.Ref != "MI-1" || inc.Title != "Mailbox rule forwards <script>alert(1)</script> to external" || inc.Severity != "SEV2" ||
		inc.Status != StatusActive || inc.Holder(RoleCommander) != "krossi" || strings.Join(inc.Regimes, ",") != "gdpr,nis2" {
		t.Fatalf("declared %+v", inc)
	}
	v := must(s.Status(ctx, "MI-1")).get(t)
	due := map[string]string{}
	for _, c := range v.Clocks {
		d := "-"
		if c.DueAt != nil {
			d = c.DueAt.Format(time.RFC3339)
		}
		due[c.Regime+"/"+c.Report] = d + " " + string(c.State)
	}
	want := map[string]string{
		"gdpr/notification":  "2026-03-05T07:30:00Z running",
		"nis2/early-warning": "2026-03-03T07:30:00Z running",
		"nis2/notification":  "2026-03-05T07:30:00Z running",
		"nis2/final":         "- waiting",
	}
	if fmt.Sprint(due) != fmt.Sprint(want) {
		t.Fatalf("clocks %v\nwant %v", due, want)
	}
	if v.NextUpdate.State != CadenceOK || !v.NextUpdate.DueAt.Equal(atT(hours(2))) || len(v.Cases) != 1 || v.Cases[0].Alerts != 2 {
		t.Fatalf("status: next update %+v, cases %+v", v.NextUpdate, v.Cases)
	}

	clk.set(minutes(10))
	must(s.AssignRole(ctx, ic, "MI-1", RoleInput{Role: "scribe", Person: "zzimmer"})).get(t)
	must(s.AssignRole(ctx, ic, "1", RoleInput{Role: "deputy", Person: "ann"})).get(t)
	clk.set(minutes(30))
	must(s.PostUpdate(ctx, ic, "MI-1", UpdateInput{Severity: "SEV1", Conditions: "Attacker forwarded the CFO's mail",
		Actions: "Rules removed, sessions revoked", Needs: "Finance to hold payments"})).get(t)
	clk.set(minutes(40))
	inc = must(s.RecordEvent(ctx, ic, "MI-1", EventInput{Type: "notified", Regime: "nis2", Reference: "CSIRT-2026-0042"})).get(t)
	if len(inc.Submissions) != 1 || inc.Submissions[0].Report != "early-warning" {
		t.Fatalf("submission %+v: want the early warning, the running clock due first", inc.Submissions)
	}
	clk.set(minutes(45))
	must(s.Task(ctx, ic, "MI-1", TaskInput{Title: "Search mail logs for forwarding rules", Owner: "ann", Due: atT(hours(2))})).get(t)
	clk.set(minutes(60))
	must(s.PostUpdate(ctx, ic, "MI-1", UpdateInput{Cases: []string{"fx/C-2", "1"}})).get(t)
	clk.set(hours(3))
	must(s.PostUpdate(ctx, ic, "MI-1", UpdateInput{Status: "stable", Summary: "Contained; no payment left the company."})).get(t)
	clk.set(hours(4))
	must(s.Task(ctx, ic, "MI-1", TaskInput{ID: 1, Status: "done"})).get(t)
	clk.set(hours(5))
	must(s.AssignRole(ctx, ic, "MI-1", RoleInput{Role: "ic", Person: "zzimmer", Handover: true})).get(t)
	clk.set(hours(6))
	inc = must(s.Close(ctx, Actor{Name: "zzimmer", Source: "test"}, "MI-1", CloseInput{Handover: "ann", Summary: "Stood down"})).get(t)
	if inc.Status != StatusClosed || !inc.ClosedAt.Equal(atT(hours(6))) || inc.Handover != "ann" || inc.StableAt != atT(hours(3)) {
		t.Fatalf("closed %+v", inc)
	}
	var spells []string
	for _, sp := range inc.Roles {
		spells = append(spells, fmt.Sprintf("%s %s %s-%s %s", sp.Role, sp.Person, sp.From.Format("15:04"), sp.To.Format("15:04"), sp.HandoverFrom))
	}
	if got := strings.Join(spells, "; "); got != "commander krossi 08:00-13:00 ; scribe zzimmer 08:10-14:00 ; deputy ann 08:10-14:00 ; commander zzimmer 13:00-14:00 krossi" {
		t.Fatalf("role history: %s", got)
	}
	var types []string
	for _, e := range inc.Timeline {
		types = append(types, e.Type)
	}
	if got := strings.Join(types, " "); got != "regulatory declared role role role severity update regulatory task case status update task role status" {
		t.Fatalf("timeline types: %s", got)
	}
	if inc.Timeline[9].Text != "Linked case fx/C-2" {
		t.Errorf("case entry %q", inc.Timeline[9].Text)
	}

	r := must(s.Review(ctx, "MI-1")).get(t)
	var phases []string
	for _, p := range r.Phases {
		sec := "open"
		if p.Seconds != nil {
			sec = fmt.Sprint(*p.Seconds)
		}
		phases = append(phases, p.Name+"="+sec)
	}
	// C-1: occurred 06:30, created 07:00, acknowledged 07:10; declared 08:00;
	// stable 11:00; closed 14:00.
	if got := strings.Join(phases, " "); got != "detect=1800 acknowledge=600 declare=3600 contain=14400 resolve=25200" {
		t.Fatalf("review durations: %s", got)
	}
	// Updates: 08:30 (SEV1 from then) and 11:00. Gaps: 08:00→08:30 (SEV2,
	// 2 h: fine), 08:30→11:00 (SEV1, 1 h: late), 11:00→14:00 (late).
	if r.Cadence.Updates != 2 || r.Cadence.Late != 2 || r.Cadence.LongestGapSeconds != 3*3600 {
		t.Fatalf("cadence review %+v", r.Cadence)
	}
	// Cost at the roster's hourly costs (L3 100, L2 70, L1 50): krossi
	// commands 5 h (500); zzimmer is scribe 4 h 50 m (338.33), then
	// commander for the last hour while still scribe, charged once as
	// commander (70); ann is deputy 5 h 50 m (291.67).
	c := r.Cost
	var roles []string
	for _, rc := range c.ByRole {
		roles = append(roles, fmt.Sprintf("%s %.2fh %.2f", rc.Role, rc.Hours, rc.Cost))
	}
	if got := strings.Join(roles, "; "); got != "commander 6.00h 570.00; deputy 5.83h 291.67; scribe 4.83h 338.33" || c.Total != 1200 || len(c.Unpriced) != 0 {
		t.Fatalf("cost %s total %v unpriced %v notes %v", got, c.Total, c.Unpriced, c.Notes)
	}
	if len(r.OpenTasks) != 0 || r.Status != StatusClosed {
		t.Fatalf("review open tasks %+v", r.OpenTasks)
	}
	if _, err := st.IncidentByKey(ctx, "none"); err == nil {
		t.Fatal("IncidentByKey found a missing key")
	}
	list := must(s.List(ctx, false, 10)).get(t)
	if len(list) != 1 || list[0].Status != StatusClosed || list[0].Cases != 2 || list[0].Commander != "" {
		t.Fatalf("list %+v", list)
	}
	if open := must(s.List(ctx, true, 10)).get(t); len(open) != 0 {
		t.Fatalf("open list %+v", open)
	}
	rows := must(st.Incidents(ctx, store.IncidentFilter{CaseID: v.Cases[0].ID})).get(t)
	if len(rows) != 1 || fmt.Sprint(rows[0].CaseIDs) != "[1 2]" {
		t.Fatalf("incidents of case 1: %+v", rows)
	}
}

func TestBadInputWritesNothing(t *testing.T) { engines(t, testBadInput) }

func testBadInput(t *testing.T, st *store.Store) {
	ctx := context.Background()
	s, clk := newService(t, st)
	_, err := s.Declare(ctx, ic, DeclareInput{Title: "x", Severity: "SEV1", Regimes: []string{"gdpr", "ccpa"}})
	wantInvalid(t, err, `unknown regime "ccpa" (known: gdpr, nis2, dora, sec, hipaa, circia)`)
	_, err = s.Declare(ctx, ic, DeclareInput{Title: "x", Severity: "SEV4"})
	wantInvalid(t, err, `unknown severity "SEV4" (want SEV1, SEV2, SEV3)`)
	_, err = s.Declare(ctx, ic, DeclareInput{Severity: "SEV1", Cases: []string{"fx/C-1", "fx/C-404"}})
	wantInvalid(t, err, `case "fx/C-404" not found`)
	_, err = s.Declare(ctx, ic, DeclareInput{Severity: "SEV1"})
	wantInvalid(t, err, "title is required")
	_, err = s.Declare(ctx, ic, DeclareInput{Title: "x", Severity: "SEV1", AwareAt: atT(hours(1))})
	wantInvalid(t, err, "awareness time 2026-03-02T09:00:00Z is in the future")
	if rows := must(st.Incidents(ctx, store.IncidentFilter{})).get(t); len(rows) != 0 {
		t.Fatalf("refused declarations stored %d incidents", len(rows))
	}

	must(s.Declare(ctx, ic, DeclareInput{Title: "BEC", Severity: "SEV1", Regimes: []string{"dora"}})).get(t)
	unchanged := func(step string) {
		t.Helper()
		row, log, err := st.IncidentLog(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if row.LastSeq != 2 || len(log) != 2 || row.Severity != "SEV1" || row.Commander != "krossi" {
			t.Fatalf("%s wrote something: last seq %d, %d events, %+v", step, row.LastSeq, len(log), row)
		}
	}
	clk.set(minutes(5))
	for _, tc := range []struct {
		name string
		run  func() error
		want string
	}{
		{"second commander", func() error {
			_, err := s.AssignRole(ctx, ic, "MI-1", RoleInput{Role: "commander", Person: "zzimmer"})
			return err
		}, "the role incident commander is held by krossi; a second incident commander is not allowed: pass --handover"},
		{"commander steps down", func() error {
			_, err := s.AssignRole(ctx, ic, "MI-1", RoleInput{Role: "commander", Release: true})
			return err
		}, "cannot step down while the incident is open"},
		{"hand-over dated before the holder took command", func() error {
			_, err := s.AssignRole(ctx, ic, "MI-1", RoleInput{Role: "commander", Person: "zzimmer", Handover: true, At: atT(-hours(1))})
			return err
		}, "cannot be dated before that"},
		{"unknown role", func() error {
			_, err := s.AssignRole(ctx, ic, "MI-1", RoleInput{Role: "pilot", Person: "x"})
			return err
		}, `unknown role "pilot"`},
		{"unknown regime on an event", func() error {
			_, err := s.RecordEvent(ctx, ic, "MI-1", EventInput{Type: "aware", Regime: "ccpa"})
			return err
		}, `unknown regime "ccpa"`},
		{"trigger the regime does not use", func() error {
			_, err := s.RecordEvent(ctx, ic, "MI-1", EventInput{Type: "materiality-determined", Regime: "dora"})
			return err
		}, "regime dora has no report whose clock starts at materiality-determined"},
		{"submission before its clock starts", func() error {
			_, err := s.RecordEvent(ctx, ic, "MI-1", EventInput{Type: "notified", Regime: "dora", Report: "initial"})
			return err
		}, "the clock of dora initial has not started (it starts at classified-major)"},
		{"unknown report", func() error {
			_, err := s.RecordEvent(ctx, ic, "MI-1", EventInput{Type: "notified", Regime: "dora", Report: "weekly"})
			return err
		}, `regime dora has no report "weekly" (reports: initial, intermediate, final)`},
		{"unknown event type", func() error {
			_, err := s.RecordEvent(ctx, ic, "MI-1", EventInput{Type: "breach"})
			return err
		}, `unknown event type "breach"`},
		{"decision without text", func() error {
			_, err := s.RecordEvent(ctx, ic, "MI-1", EventInput{Type: "decision"})
			return err
		}, "a decision entry needs --text"},
		{"task due before it is created", func() error {
			_, err := s.Task(ctx, ic, "MI-1", TaskInput{Title: "t", Due: atT(minutes(4))})
			return err
		}, "a task cannot be due before it is created"},
		{"half a tactical update with a valid severity change", func() error {
			_, err := s.PostUpdate(ctx, ic, "MI-1", UpdateInput{Severity: "SEV2", Conditions: "c", Actions: "a"})
			return err
		}, "--needs is required"},
		{"empty update", func() error {
			_, err := s.PostUpdate(ctx, ic, "MI-1", UpdateInput{})
			return err
		}, "nothing to update"},
		{"closing without a commander hand-over", func() error {
			_, err := s.Close(ctx, ic, "MI-1", CloseInput{Summary: "done"})
			return err
		}, "closing needs a commander hand-over"},
		{"closing status through update", func() error {
			_, err := s.PostUpdate(ctx, ic, "MI-1", UpdateInput{Status: "closed"})
			return err
		}, "close an incident with the close command"},
		{"unknown task", func() error {
			_, err := s.Task(ctx, ic, "MI-1", TaskInput{ID: 7, Status: "done"})
			return err
		}, "no task T7"},
		{"bad reference", func() error {
			_, err := s.Status(ctx, "INC-1")
			return err
		}, `incident "INC-1": want an incident reference such as MI-7 or 7`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantInvalid(t, tc.run(), tc.want)
			unchanged(tc.name)
		})
	}
	// A trigger submitted before its clock's start is refused too.
	must(s.RecordEvent(ctx, ic, "MI-1", EventInput{Type: "classified-major", Regime: "dora", At: atT(minutes(2))})).get(t)
	_, err = s.RecordEvent(ctx, ic, "MI-1", EventInput{Type: "notified", Regime: "dora", Report: "initial", At: atT(minutes(1))})
	wantInvalid(t, err, "is before the clock's trigger (classified-major at 2026-03-02T08:02:00Z)")
	if _, err := s.Status(ctx, "MI-9"); err == nil || !strings.Contains(err.Error(), "incident MI-9: not found") {
		t.Fatalf("missing incident: %v", err)
	}
	// The demo's key makes a declaration idempotent.
	a := must(s.Declare(ctx, ic, DeclareInput{Title: "keyed", Severity: "SEV3", Key: "demo:C-1"})).get(t)
	b := must(s.Declare(ctx, ic, DeclareInput{Title: "keyed again", Severity: "SEV1", Key: "demo:C-1"})).get(t)
	if a.ID != b.ID || b.Title != "keyed" {
		t.Fatalf("keyed declarations %d and %d (%q)", a.ID, b.ID, b.Title)
	}
}

// Two commanders assigned at once: the store serialises the writers, so
// exactly one succeeds and the other is refused as a second commander.
func TestConcurrentCommanders(t *testing.T) { engines(t, testConcurrentCommanders) }

func testConcurrentCommanders(t *testing.T, st *store.Store) {
	ctx := context.Background()
	s, _ := newService(t, st)
	must(s.Declare(ctx, ic, DeclareInput{Title: "x", Severity: "SEV1"})).get(t)
	must(s.AssignRole(ctx, ic, "MI-1", RoleInput{Role: "deputy", Person: "ann"})).get(t)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.AssignRole(ctx, ic, "MI-1", RoleInput{Role: "tech-lead", Person: fmt.Sprintf("p%d", i)})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !strings.Contains(err.Error(), "a second technical lead is not allowed") {
			t.Errorf("unexpected error %v", err)
		}
	}
	inc := must(s.Get(ctx, "MI-1")).get(t)
	if ok != 1 || len(inc.Holders(RoleTechLead)) != 1 {
		t.Fatalf("%d assignments succeeded, holders %v", ok, inc.Holders(RoleTechLead))
	}
}

func TestCadence(t *testing.T) { engines(t, testCadence) }

func testCadence(t *testing.T, st *store.Store) {
	ctx := context.Background()
	s, clk := newService(t, st)
	must(s.Declare(ctx, ic, DeclareInput{Title: "x", Severity: "SEV1"})).get(t)
	next := func() Cadence {
		t.Helper()
		return must(s.Status(ctx, "MI-1")).get(t).NextUpdate
	}
	for _, tc := range []struct {
		at        time.Duration
		state     string
		due       time.Duration
		remaining float64
		overdue   float64
	}{
		{minutes(47), CadenceOK, minutes(60), 13 * 60, 0}, // 13 min left of 60: above the 20 % (12 min) mark
		{minutes(50), CadenceDueSoon, minutes(60), 10 * 60, 0},
		{minutes(61), CadenceOverdue, minutes(60), 0, 60},
	} {
		clk.set(tc.at)
		c := next()
		if c.State != tc.state || !c.DueAt.Equal(atT(tc.due)) || c.RemainingSeconds != tc.remaining || c.OverdueSeconds != tc.overdue ||
			c.EverySeconds != 3600 {
			t.Fatalf("at +%v: %+v, want %s due +%v", tc.at, c, tc.state, tc.due)
		}
	}
	// A reminder is recorded once per deadline and state.
	if n := must(s.Remind(ctx)).get(t); n != 1 {
		t.Fatalf("%d reminders, want 1", n)
	}
	if n := must(s.Remind(ctx)).get(t); n != 0 {
		t.Fatalf("second pass recorded %d reminders", n)
	}
	// An executive summary resets the clock: SEV1 → due an hour later.
	clk.set(minutes(65))
	must(s.PostUpdate(ctx, ic, "MI-1", UpdateInput{Summary: "Contained"})).get(t)
	if c := next(); c.State != CadenceOK || !c.DueAt.Equal(atT(minutes(125))) || !c.LastUpdateAt.Equal(atT(minutes(65))) {
		t.Fatalf("after update %+v", c)
	}
	// Downgraded to SEV3, the next update is due 8 h after the last one.
	must(s.PostUpdate(ctx, ic, "MI-1", UpdateInput{Severity: "SEV3"})).get(t)
	if c := next(); !c.DueAt.Equal(atT(minutes(65)+hours(8))) || c.Severity != "SEV3" {
		t.Fatalf("after downgrade %+v", c)
	}
	// Configured names and intervals.
	cfg := &Config{Severities: []Severity{{ID: "P0", Name: "Sev Zero", UpdateEvery: 1800e9}, {ID: "P1", UpdateEvery: 3600e9}}}
	if err := cfg.Prepare(); err != nil {
		t.Fatal(err)
	}
	s.Config = cfg
	clk.set(minutes(70))
	must(s.Declare(ctx, ic, DeclareInput{Title: "y", Severity: "sev zero"})).get(t)
	if c := next(); c.Severity != "SEV3" {
		t.Fatalf("MI-1 changed: %+v", c)
	}
	v := must(s.Status(ctx, "MI-2")).get(t)
	if v.Severity != "P0" || v.SeverityName != "Sev Zero" || !v.NextUpdate.DueAt.Equal(atT(minutes(100))) {
		t.Fatalf("configured severity %+v", v)
	}
}

func TestCostRateVersions(t *testing.T) { engines(t, testCostRateVersions) }

func testCostRateVersions(t *testing.T, st *store.Store) {
	ctx := context.Background()
	s, clk := newService(t, st)
	s.Budget = &budget.Config{Currency: "EUR", Tiers: map[string]budget.TierCost{"L1": {Hourly: 50}, "L2": {Annual: 70 * 40 * 52}, "L3": {Hourly: 100}}}
	must(s.Declare(ctx, ic, DeclareInput{Title: "x", Severity: "SEV2"})).get(t)
	must(s.AssignRole(ctx, ic, "MI-1", RoleInput{Role: "deputy", Person: "ann"})).get(t)
	must(s.AssignRole(ctx, ic, "MI-1", RoleInput{Role: "liaison", Person: "Legal counsel (outside firm)"})).get(t)
	// Three hours in, L1 time gets dearer; the first three hours keep 50.
	clk.set(hours(3))
	s.Budget.Tiers["L1"] = budget.TierCost{Hourly: 80}
	must(s.RecordEvent(ctx, ic, "MI-1", EventInput{Type: "observation", Text: "rates changed"})).get(t)
	clk.set(hours(5))
	c := s.Cost(ctx, must(s.Get(ctx, "MI-1")).get(t), clk.now)
	// ann: 3 h × 50 + 2 h × 80 = 310; krossi 5 h × 100 = 500; the outside
	// counsel's 5 h are counted, not priced.
	if c.Total != 810 || c.Hours != 15 || c.PricedHours != 10 || c.Currency != "EUR" || len(c.Rates) != 2 ||
		fmt.Sprint(c.Unpriced) != "[Legal counsel (outside firm)]" {
		t.Fatalf("cost %+v", c)
	}
	if !c.Rates[1].EffectiveFrom.Equal(atT(hours(3))) || c.Rates[1].Rates["L1"] != 80 || c.Rates[0].Rates["L2"] != 70 {
		t.Fatalf("rate versions %+v", c.Rates)
	}
	// No new version while the rates stay the same.
	must(s.RecordEvent(ctx, ic, "MI-1", EventInput{Type: "observation", Text: "same rates"})).get(t)
	if vs := must(st.RateVersions(ctx)).get(t); len(vs) != 2 {
		t.Fatalf("%d rate versions, want 2", len(vs))
	}
}
