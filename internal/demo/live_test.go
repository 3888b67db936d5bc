package demo

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest"
	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// TestLiveVersions: live mode emits the same simulation as batch mode.
// Every case, event and setup record is the same, in the same order; an
// alert comes first as new (or closed by automation) and then in its
// later states, its last version being the batch alert; records come in
// time order, and an alert never names a case before the case exists.
func TestLiveVersions(t *testing.T) {
	cfg := Config{Seed: 3, Days: 6, AlertsPerDay: 1500, End: testEnd}
	var batch []record.Record
	if err := Generate(context.Background(), cfg, func(r record.Record) error { batch = append(batch, r); return nil }); err != nil {
		t.Fatal(err)
	}
	cfg.Live = true
	type tr struct {
		at  int64
		rec record.Record
	}
	var live []tr
	if err := generateTimed(context.Background(), cfg, func(at int64, r record.Record) error { live = append(live, tr{at, r}); return nil }); err != nil {
		t.Fatal(err)
	}
	var batchOther, liveOther []record.Record
	batchAlerts := map[string]*model.Alert{}
	for _, r := range batch {
		if r.Alert != nil {
			batchAlerts[r.Alert.ExternalID] = r.Alert
		} else {
			batchOther = append(batchOther, r)
		}
	}
	lastAlert := map[string]*model.Alert{}
	versions := map[string][]string{}
	cases := map[string]bool{}
	var prev int64
	for i, x := range live {
		if x.at < prev {
			t.Fatalf("record %d (%s) at %d after one at %d", i, x.rec.Loc, x.at, prev)
		}
		prev = x.at
		switch {
		case x.rec.Case != nil:
			cases[x.rec.Case.ExternalID] = true
			liveOther = append(liveOther, x.rec)
		case x.rec.Alert != nil:
			a := x.rec.Alert
			if a.CaseExternalID != "" && !cases[a.CaseExternalID] {
				t.Fatalf("alert %s names case %s before the case is emitted", a.ExternalID, a.CaseExternalID)
			}
			if x.at < a.CreatedAt.UnixMilli() {
				t.Fatalf("alert %s emitted at %d before it was created", a.ExternalID, x.at)
			}
			if (a.Disposition != "") != (a.Status == alertClosed) {
				t.Fatalf("alert %s: status %s with disposition %q", a.ExternalID, a.Status, a.Disposition)
			}
			lastAlert[a.ExternalID] = a
			versions[a.ExternalID] = append(versions[a.ExternalID], a.Status)
		default:
			liveOther = append(liveOther, x.rec)
		}
	}
	if !reflect.DeepEqual(batchOther, liveOther) {
		t.Fatalf("live mode changed the cases, events or setup: %d records against %d", len(liveOther), len(batchOther))
	}
	if len(lastAlert) != len(batchAlerts) {
		t.Fatalf("%d alerts live, %d in batch", len(lastAlert), len(batchAlerts))
	}
	paths := map[string]int{}
	for id, want := range batchAlerts {
		// The batch dates its alerts' ingestion (a simulated pipeline lag);
		// live ones are ingested when stored. The rest is the same.
		if lag := want.IngestedAt.Sub(want.CreatedAt); lag != PipelineLag(id) || lag < 20*time.Second || lag > 80*time.Second {
			t.Fatalf("alert %s ingested %v after creation, want %v", id, lag, PipelineLag(id))
		}
		w := *want
		w.IngestedAt = time.Time{}
		want = &w
		if got := lastAlert[id]; !reflect.DeepEqual(got, want) {
			t.Fatalf("alert %s: last live version %+v, batch %+v", id, got, want)
		}
		paths[strings.Join(versions[id], ">")]++
	}
	// The state paths an alert may take: each seen but "new" (an alert
	// nobody reached before the end), and no other.
	for _, p := range []string{"closed", "new>in_progress", "new>in_progress>closed", "new>in_progress>escalated", "new>in_progress>escalated>closed"} {
		if paths[p] == 0 {
			t.Errorf("no alert went %s (paths: %v)", p, paths)
		}
	}
	for p := range paths {
		switch p {
		case "closed", "new", "new>in_progress", "new>in_progress>closed", "new>in_progress>escalated", "new>in_progress>escalated>closed":
		default:
			t.Errorf("unexpected state path %s", p)
		}
	}
}

// fakeClock is a clock that sleeping moves forward at once.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }
func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.t = c.t.Add(d)
	return nil
}

func liveRun(t *testing.T, st *store.Store, clock *fakeClock, until time.Time) {
	t.Helper()
	writes := 0
	l := &Live{Config: Config{Days: 3, AlertsPerDay: 800, Analysts: 8}, Store: st, Horizon: 48 * time.Hour,
		Now: clock.now, Sleep: clock.sleep, Until: until, OnWrite: func() { writes++ }}
	ready := false
	if err := l.Run(context.Background(), func() { ready = true }); err != nil {
		t.Fatal(err)
	}
	if !ready || writes == 0 {
		t.Fatalf("run to %s: ready %v, %d writes", until, ready, writes)
	}
}

// storeDigest summarises what a store holds: counts, each alert's state
// and each case's stage and log length.
func storeDigest(t *testing.T, st *store.Store) string {
	t.Helper()
	ctx := context.Background()
	counts, err := st.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "alerts %d cases %d events %d\n", counts["alerts"], counts["cases"], counts["case_events"])
	for after := int64(1 << 62); ; {
		as, err := st.Alerts(ctx, store.AlertFilter{AfterID: after, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(as) == 0 {
			break
		}
		for _, a := range as {
			fmt.Fprintf(&b, "%s %s %s %s\n", a.ExternalID, a.Status, a.Disposition, a.CaseExternalID)
		}
		after = as[len(as)-1].ID
	}
	cs, err := st.Cases(ctx, store.CaseFilter{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		fmt.Fprintf(&b, "%s %s %s %s\n", c.ExternalID, c.Stage, c.Assignee, c.Priority)
	}
	return b.String()
}

// TestLiveRun: the live demo stores the history up to now, then what
// happens as the clock moves on (new alerts, cases that move); a restart
// continues the same simulation and stores what it missed, ending in the
// same state as an uninterrupted run.
func TestLiveRun(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 12, 17, 0, 0, time.UTC)
	a := storetest.Open(t, storetest.SQLitePath(t))
	clock := &fakeClock{t: t0}
	liveRun(t, a, clock, t0)
	ctx := context.Background()
	first, err := a.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := a.Setting(ctx, SettingLive)
	if !strings.Contains(v, `"start":"2026-11-26T12:00:00Z"`) || !strings.Contains(v, `"horizon":"2026-11-28T12:00:00Z"`) {
		t.Errorf("live state %s", v)
	}
	// Nothing stored lies in the future of the clock.
	newest, err := a.Alerts(ctx, store.AlertFilter{Limit: 1})
	if err != nil || len(newest) != 1 || newest[0].CreatedAt.After(t0) {
		t.Fatalf("newest alert %+v %v at a clock of %s", newest, err, t0)
	}
	// Three hours later: alerts kept arriving and cases kept moving.
	later := t0.Add(3 * time.Hour)
	liveRun(t, a, clock, later)
	second, _ := a.Counts(ctx)
	if second["alerts"] <= first["alerts"] || second["case_events"] <= first["case_events"] {
		t.Errorf("after 3 h: alerts %d → %d, events %d → %d", first["alerts"], second["alerts"], first["case_events"], second["case_events"])
	}
	arrived, err := a.Alerts(ctx, store.AlertFilter{Since: t0, Until: later, Limit: 10000})
	if err != nil || len(arrived) < 50 {
		t.Errorf("%d alerts arrived in 3 h at 800 a day (%v)", len(arrived), err)
	}
	// The same in one uninterrupted run.
	b := storetest.Open(t, storetest.SQLitePath(t))
	liveRun(t, b, &fakeClock{t: t0}, later)
	if da, db := storeDigest(t, a), storeDigest(t, b); da != db {
		t.Errorf("restarted run and uninterrupted run differ:\n%.400s\n---\n%.400s", da, db)
	}
	// A store that holds other data is left alone.
	c := storetest.Open(t, storetest.SQLitePath(t))
	if _, err := ingest.Run(ctx, c, strings.NewReader(`{"record":"alert","source":"siem","external_id":"X","title":"t","created_at":"2026-11-26T11:00:00Z"}`+"\n"),
		"x", ingest.Options{Format: "native"}); err != nil {
		t.Fatal(err)
	}
	l := &Live{Store: c, Now: func() time.Time { return t0 }}
	if err := l.Run(ctx, nil); !errors.Is(err, ErrNotLive) {
		t.Errorf("live demo on a store with other data: %v", err)
	}
}
