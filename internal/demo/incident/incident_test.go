package incident

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/crisis"
	"github.com/watchfloor/watchfloor/internal/demo"
	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// becBatch runs the default simulation and returns its roster and newest
// business-email-compromise case with its log, as a batch to store.
func becBatch(t testing.TB) (*store.Batch, *model.Case) {
	t.Helper()
	var analysts []model.Analyst
	var bec *model.Case
	events := map[string][]model.CaseEvent{}
	err := demo.Generate(context.Background(), demo.Config{End: testEnd}.WithDefaults(), func(r record.Record) error {
		switch {
		case r.Analyst != nil:
			analysts = append(analysts, *r.Analyst)
		case r.Case != nil && slices.Contains(r.Case.Tags, "major-incident") && strings.Contains(r.Case.Title, "business email compromise"):
			bec = r.Case // cases arrive in creation order: the last is the newest
		case r.Event != nil:
			events[r.Event.CaseExternalID] = append(events[r.Event.CaseExternalID], *r.Event)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if bec == nil {
		t.Fatal("the default simulation has no business email compromise")
	}
	return &store.Batch{Cases: []model.Case{*bec}, Analysts: analysts, Events: events[bec.ExternalID]}, bec
}

// BenchmarkDeclare replays the demo's major incident into a fresh SQLite
// store (every command a transaction of its own).
//
//	go test -run '^$' -bench Declare ./internal/demo/incident
func BenchmarkDeclare(b *testing.B) {
	batch, _ := becBatch(b)
	ctx := context.Background()
	entries := int64(0)
	for b.Loop() {
		b.StopTimer()
		st := storetest.Open(b, storetest.SQLitePath(b))
		if _, err := st.Apply(ctx, batch); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		inc, err := Declare(ctx, st, testEnd)
		if err != nil || inc == nil {
			b.Fatal(err)
		}
		entries = inc.LastSeq
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(entries), "log-entries")
}

// testEnd is the simulation's end: the demo tests' fixed hour.
var testEnd = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

// TestDemoDeclaresItsMajorIncident stores the default simulation's roster
// and its newest business-email-compromise case with its log, and checks
// the incident the demo declares from that log.
func TestDemoDeclaresItsMajorIncident(t *testing.T) {
	ctx := context.Background()
	b, bec := becBatch(t)
	st := storetest.Open(t, storetest.SQLitePath(t))
	if _, err := st.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	inc, err := Declare(ctx, st, testEnd)
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.CaseByExternalID(ctx, demo.Source, bec.ExternalID)
	if err != nil {
		t.Fatal(err)
	}
	evs, _ := st.CaseEvents(ctx, c.ID)
	// The declaration is the case log's "Major incident declared" comment;
	// the commander is the analyst assigned with it.
	var declared time.Time
	var declarer, commander string
	for i, e := range evs {
		if e.Kind == model.EventComment && strings.HasPrefix(e.New, "Major incident declared") {
			declared, declarer = e.At, e.Actor
			commander = evs[i+1].New
			break
		}
	}
	if inc == nil || declared.IsZero() {
		t.Fatalf("incident %v, declaration comment at %v", inc, declared)
	}
	if inc.Title != c.Title || !inc.DeclaredAt.Equal(declared) || inc.DeclaredBy != declarer || len(inc.Cases) != 1 || inc.Cases[0].ID != c.ID ||
		strings.Join(inc.Regimes, ",") != "gdpr,nis2,sec" {
		t.Fatalf("declared %+v", inc)
	}
	if inc.Roles[0].Role != crisis.RoleCommander || inc.Roles[0].Person != commander {
		t.Fatalf("first role %+v, want commander %s", inc.Roles[0], commander)
	}
	// Every role filled, by different people.
	people := map[string]crisis.Role{}
	for _, r := range []crisis.Role{crisis.RoleCommander, crisis.RoleDeputy, crisis.RoleScribe, crisis.RoleComms, crisis.RoleTechLead, crisis.RoleLiaison} {
		h := inc.Holders(r)
		if len(h) != 1 {
			t.Fatalf("role %s held by %v", r, h)
		}
		if other, dup := people[h[0]]; dup {
			t.Errorf("%s holds both %s and %s", h[0], other, r)
		}
		people[h[0]] = r
	}
	// Nothing is dated at or after the end, and the log follows its own
	// rules: the first trigger is awareness at the declaration.
	for _, e := range inc.Timeline {
		if !e.At.Before(testEnd) {
			t.Fatalf("entry %d at %v, after the end", e.Seq, e.At)
		}
	}
	if inc.Triggers[0].Type != crisis.TriggerAware || !inc.Triggers[0].At.Equal(declared) {
		t.Fatalf("triggers %+v", inc.Triggers)
	}
	// One task per runbook run finishing after the declaration (+5 min),
	// done at its finish, plus the four bridge tasks.
	runbooks := 0
	for _, e := range evs {
		if e.Kind == model.EventRunbook && strings.Contains(e.New, `"completed"`) && e.At.After(declared.Add(5*time.Minute)) {
			runbooks++
		}
	}
	if len(inc.Tasks) != 4+runbooks || len(inc.Stakeholders) != 3 || len(inc.Updates) == 0 {
		t.Fatalf("%d tasks (%d runbooks), %d stakeholders, %d updates", len(inc.Tasks), runbooks, len(inc.Stakeholders), len(inc.Updates))
	}
	svc := &crisis.Service{Store: st, Now: func() time.Time { return testEnd }}
	v, err := svc.Status(ctx, inc.Ref)
	if err != nil {
		t.Fatal(err)
	}
	clocks := map[string]crisis.Clock{}
	for _, k := range v.Clocks {
		clocks[k.Regime+"/"+k.Report] = k
	}
	// NIS2's early warning goes in nine hours after awareness, when the
	// simulation lasts that long.
	if ew := clocks["nis2/early-warning"]; testEnd.Sub(declared) > 9*time.Hour &&
		(ew.State != crisis.ClockSubmitted || !ew.SubmittedAt.Equal(declared.Add(9*time.Hour))) {
		t.Fatalf("NIS2 early warning %+v", ew)
	}
	if k := clocks["sec/form-8k"]; k.State != crisis.ClockWaiting {
		t.Fatalf("SEC clock %+v: no materiality determination was recorded", k)
	}
	if v.Cost.Total <= 0 || len(v.Cost.Unpriced) != 1 {
		t.Fatalf("cost %+v", v.Cost)
	}
	// Declaring again changes nothing.
	again, err := Declare(ctx, st, testEnd)
	if err != nil || again.ID != inc.ID || again.LastSeq != inc.LastSeq {
		t.Fatalf("second declaration %v: %+v", err, again)
	}
}
