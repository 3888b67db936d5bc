package store_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// copyAlert is alert i of the COPY tests: rule R(i%3), created on 2 March
// 2026 at i minutes past 08:00, occurred a minute before.
func copyAlert(i int) model.Alert {
	at := ts("2026-03-02T08:00:00Z").Add(time.Duration(i) * time.Minute)
	return model.Alert{Source: "siem", ExternalID: fmt.Sprintf("a%02d", i), Title: "t", Severity: model.SeverityMedium,
		Status: "new", RuleID: fmt.Sprintf("R%d", i%3), RuleName: "rule", OccurredAt: at.Add(-time.Minute), CreatedAt: at,
		Entities: []model.Entity{{Type: "host", Value: fmt.Sprintf("h%d", i)}}, Techniques: []string{"T1110"}}
}

// storedOrder lists the stored alerts' external ids by id.
func storedOrder(t *testing.T, s *store.Store) []string {
	t.Helper()
	als, err := s.Alerts(context.Background(), store.AlertFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(als, func(a, b model.Alert) int { return int(a.ID - b.ID) })
	var out []string
	for _, al := range als {
		out = append(out, al.ExternalID)
	}
	return out
}

func alertCounts(r store.Result) [3]int {
	return [3]int{r.Inserted[store.KindAlert], r.Updated[store.KindAlert], r.Unchanged[store.KindAlert]}
}

// TestAlertBatchesNewStoredChanged: the paths a batch of alerts takes on
// PostgreSQL (COPY straight into alerts when every key is new; staged in a
// temporary table and inserted with ON CONFLICT DO NOTHING when some are
// stored; the stored versions of those read back in one join) and the one
// path of SQLite give the same results: rejects by index with the
// record's id, new, changed and unchanged counts, the changes as alert
// events, ids in batch order, rollups kept equal to rebuilt, and a
// re-applied batch changing nothing.
func TestAlertBatchesNewStoredChanged(t *testing.T) {
	engines(t, func(t *testing.T, open func() *store.Store) {
		s := open()
		ctx := context.Background()
		first := &store.Batch{}
		for i := range 10 {
			first.Alerts = append(first.Alerts, copyAlert(i))
		}
		if got := alertCounts(apply(t, s, first)); got != [3]int{10, 0, 0} {
			t.Fatalf("first batch: new, changed, unchanged = %v, want [10 0 0]", got)
		}

		second := &store.Batch{}
		for i := 5; i < 15; i++ {
			second.Alerts = append(second.Alerts, copyAlert(i))
		}
		second.Alerts[2].Title = "renamed"             // a07
		second.Alerts[2].Severity = model.SeverityHigh // a07
		second.Alerts[3].CreatedAt = ts("2026-03-03T09:00:00Z")
		bad := copyAlert(40)
		bad.Disposition = "maybe"
		second.Alerts = append(second.Alerts, bad)
		again := copyAlert(12)
		again.Status = "closed" // a12 twice: the second version is a change
		second.Alerts = append(second.Alerts, again)
		res := apply(t, s, second)
		if got := alertCounts(res); got != [3]int{5, 3, 3} {
			t.Fatalf("second batch: new, changed, unchanged = %v, want [5 3 3]", got)
		}
		if len(res.Rejects) != 1 || res.Rejects[0].Index != 10 ||
			res.Rejects[0].Err.Error() != `alert a40: unknown disposition "maybe"` {
			t.Fatalf("rejects %+v", res.Rejects)
		}
		want := []string{"a00", "a01", "a02", "a03", "a04", "a05", "a06", "a07", "a08", "a09", "a10", "a11", "a12", "a13", "a14"}
		if got := storedOrder(t, s); !slices.Equal(got, want) {
			t.Fatalf("stored by id %v, want %v", got, want)
		}
		events := map[string][]string{}
		for _, ext := range []string{"a05", "a07", "a08", "a12"} {
			al, err := s.AlertByExternalID(ctx, "siem", ext)
			if err != nil {
				t.Fatal(err)
			}
			evs, err := s.AlertEvents(ctx, al.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range evs {
				events[ext] = append(events[ext], fmt.Sprintf("%s %s→%s", e.Kind, e.Old, e.New))
			}
		}
		wantEvents := map[string][]string{
			"a07": {"title t→renamed", "severity medium→high"},
			"a08": {"created_at 2026-03-02T08:08:00Z→2026-03-03T09:00:00Z"},
			"a12": {"status new→closed"},
		}
		if !maps.EqualFunc(events, wantEvents, slices.Equal) {
			t.Fatalf("alert events %v, want %v", events, wantEvents)
		}
		a07, err := s.AlertByExternalID(ctx, "siem", "a07")
		if err != nil || a07.Title != "renamed" || a07.Severity != model.SeverityHigh {
			t.Fatalf("a07 stored as %q %v (%v)", a07.Title, a07.Severity, err)
		}
		checkRollupDays(t, s, "after the mixed batch", 20260302, 20260303)

		fp, err := s.Fingerprint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		second.Alerts = second.Alerts[:len(second.Alerts)-1] // a12 as first sent would be a change back
		second.Alerts[7].Status = "closed"
		res = apply(t, s, second)
		if got := alertCounts(res); got != [3]int{0, 0, 10} {
			t.Fatalf("re-applied: new, changed, unchanged = %v, want [0 0 10]", got)
		}
		if fp2, _ := s.Fingerprint(ctx); fp2 != fp {
			t.Fatal("re-applying the batch changed the store")
		}

		// All new again, after batches with stored keys.
		for round := range 2 {
			b := &store.Batch{}
			for i := range 5 {
				b.Alerts = append(b.Alerts, copyAlert(20+5*round+i))
			}
			if got := alertCounts(apply(t, s, b)); got != [3]int{5, 0, 0} {
				t.Fatalf("new batch %d: new, changed, unchanged = %v, want [5 0 0]", round, got)
			}
		}
		if got := storedOrder(t, s); len(got) != 25 || !strings.HasPrefix(strings.Join(got[15:], ","), "a20,a21,a22,a23,a24,a25") {
			t.Fatalf("stored by id %v", got)
		}
		checkRollupDays(t, s, "after the new batches", 20260302, 20260303)
	})
}

// TestAlertBatchRefusedWhole: on PostgreSQL a value the database cannot
// index (an id too large for the key's index) fails the batch, COPY
// included, and nothing of it is stored; the next batch is stored whole.
// (Ingest then finds the record by halving the batch; see
// ingest.TestPostgresRefusedRecordAlone.)
func TestAlertBatchRefusedWhole(t *testing.T) {
	engines(t, func(t *testing.T, open func() *store.Store) {
		if open().Engine() != store.Postgres {
			t.Skip("SQLite stores ids of any size")
		}
		s := open()
		ctx := context.Background()
		b := &store.Batch{}
		for i := range 6 {
			b.Alerts = append(b.Alerts, copyAlert(i))
		}
		big := make([]byte, 15000)
		rand.Read(big)
		b.Alerts[3].ExternalID = base64.RawURLEncoding.EncodeToString(big) // incompressible
		for _, step := range []string{"all new", "after a stored key"} {
			_, err := s.Apply(ctx, b)
			if !store.IsRecordError(err) {
				t.Fatalf("%s: apply: %v, want a record error", step, err)
			}
			c, err := s.Counts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if c["alerts"] != int64(map[string]int{"all new": 0, "after a stored key": 1}[step]) {
				t.Fatalf("%s: %d alerts stored", step, c["alerts"])
			}
			// A stored key sends the next batch through the staging table.
			apply(t, s, &store.Batch{Alerts: []model.Alert{copyAlert(0)}})
		}
		b.Alerts[3] = copyAlert(3)
		if got := alertCounts(apply(t, s, b)); got != [3]int{5, 0, 1} {
			t.Fatalf("the batch without the bad id: %v, want [5 0 1]", got)
		}
		checkRollupDays(t, s, "after the refused batches", 20260302)
	})
}
