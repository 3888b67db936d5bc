package ingest_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/watchfloor/watchfloor/internal/ingest"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// alertsWith is n native alerts; line poison (1-based, 0 for none) has
// description desc.
func alertsWith(n, poison int, desc string) string {
	var b strings.Builder
	base := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		d := "plain"
		if i == poison {
			d = desc
		}
		js, _ := json.Marshal(d) // "\u0000", as a source would send it
		fmt.Fprintf(&b, `{"record":"alert","source":"edr","external_id":"a%d","title":"t","description":%s,"created_at":%q}`+"\n",
			i, js, base.Add(time.Duration(i)*time.Second).Format(time.RFC3339))
	}
	return b.String()
}

// TestNULInOneRecordLosesNothing: one NUL in a description of 12,000
// alerts. PostgreSQL refuses NUL in text, and used to refuse the whole
// batch (0 stored, the error naming the batch's end) while SQLite stored
// everything. Text hygiene makes both engines store all 12,000, the NUL
// replaced with U+FFFD and counted.
func TestNULInOneRecordLosesNothing(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		st := open()
		in := alertsWith(12000, 7000, "before\u0000after")
		var warnings []string
		sum, err := ingest.Run(context.Background(), st, strings.NewReader(in), "nul.ndjson", ingest.Options{
			OnWarning: func(loc, msg string) { warnings = append(warnings, loc+": "+msg) }})
		if err != nil {
			t.Fatalf("ingest: %v", err)
		}
		if sum.Inserted[store.KindAlert] != 12000 || sum.Rejected != 0 {
			t.Fatalf("stored %d, rejected %d; want 12000, 0", sum.Inserted[store.KindAlert], sum.Rejected)
		}
		if sum.Repairs != (ingest.Repairs{Records: 1, NUL: 1}) {
			t.Errorf("repairs %+v, want 1 record, 1 NUL", sum.Repairs)
		}
		if len(warnings) != 1 || !strings.HasPrefix(warnings[0], "nul.ndjson:7000: text repaired: 1 NUL") {
			t.Errorf("warnings %q", warnings)
		}
		a, err := st.AlertByExternalID(context.Background(), "edr", "a7000")
		if err != nil || a.Description != "before\uFFFDafter" {
			t.Errorf("a7000: %q %v", a.Description, err)
		}
	})
}

// TestInvalidUTF8Repaired: invalid UTF-8 in a CSV field (ServiceNow) is
// replaced and counted, the same on both engines.
func TestInvalidUTF8Repaired(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		st := open()
		csv := "number,incident_state,sys_mod_count,sys_updated_at,opened_at,priority,category\n" +
			"INC1,New,0,01-03-2026 10:00,01-03-2026 10:00,1 - Critical,Caf\xe9 \xff\xfe net\n" +
			"INC1,Active,1,01-03-2026 10:30,01-03-2026 10:00,1 - Critical,Caf\xe9 \xff\xfe net\n"
		sum, err := ingest.Run(context.Background(), st, strings.NewReader(csv), "inc.csv", ingest.Options{Format: "servicenow"})
		if err != nil {
			t.Fatalf("ingest: %v", err)
		}
		if sum.Rejected != 0 || sum.Repairs.InvalidUTF8 == 0 || sum.Repairs.NUL != 0 {
			t.Fatalf("rejected %d, repairs %+v", sum.Rejected, sum.Repairs)
		}
		c, err := st.CaseByExternalID(context.Background(), "servicenow", "INC1")
		if err != nil || c.Title != "INC1 Caf\uFFFD \uFFFD net" {
			t.Errorf("title %q %v", c.Title, err)
		}
	})
}

// refusing is a store that refuses, as PostgreSQL refuses a value it
// cannot store, every batch holding the alert or the indicator named
// poison.
type refusing struct {
	*store.Store
	poison  string
	batches int
}

// refused is the error PostgreSQL gives for a value it cannot store.
var refused = &pgconn.PgError{Code: "22021", Message: "invalid byte sequence"}

func (r *refusing) Apply(ctx context.Context, b *store.Batch) (store.Result, error) {
	r.batches++
	if slices.ContainsFunc(b.Alerts, func(a model.Alert) bool { return a.ExternalID == r.poison }) {
		return store.Result{}, fmt.Errorf("storing alert: %w", refused)
	}
	return r.Store.Apply(ctx, b)
}

func (r *refusing) ApplyIntel(ctx context.Context, b *store.IntelBatch) (store.Result, error) {
	r.batches++
	if slices.ContainsFunc(b.Indicators, func(in model.Indicator) bool { return in.ExternalID == r.poison }) {
		return store.Result{}, fmt.Errorf("storing indicator: %w", refused)
	}
	return r.Store.ApplyIntel(ctx, b)
}

// TestRefusedRecordAloneIsRejected: a record the database still refuses is
// rejected alone, with its own location; the rest of its batch lands, in
// order (the case before its events).
func TestRefusedRecordAloneIsRejected(t *testing.T) {
	st := storetest.Open(t, storetest.SQLitePath(t))
	in := `{"record":"case","source":"edr","external_id":"c1","title":"c","created_at":"2026-06-01T00:00:00Z"}` + "\n" +
		alertsWith(300, 0, "") +
		`{"record":"case_event","source":"edr","case_external_id":"c1","kind":"stage","new":"triage","at":"2026-06-01T00:05:00Z"}` + "\n"
	in = strings.Replace(in, `"external_id":"a123"`, `"external_id":"poison"`, 1)
	w := &refusing{Store: st, poison: "poison"}
	var rejects []string
	sum, err := ingest.Run(context.Background(), w, strings.NewReader(in), "batch.ndjson", ingest.Options{
		OnReject: func(loc string, err error) { rejects = append(rejects, loc+": "+err.Error()) }})
	if !errors.Is(err, ingest.ErrRejects) {
		t.Fatalf("ingest: %v", err)
	}
	if len(rejects) != 1 || !strings.HasPrefix(rejects[0], "batch.ndjson:124: the database refused the record") {
		t.Fatalf("rejects %q", rejects)
	}
	if sum.Inserted[store.KindAlert] != 299 || sum.Inserted[store.KindCase] != 1 || sum.Events == 0 {
		t.Errorf("inserted %v, events %d", sum.Inserted, sum.Events)
	}
	c, err := st.CaseByExternalID(context.Background(), "edr", "c1")
	if err != nil || c.Stage != model.StageTriage {
		t.Errorf("case c1 stage %q %v, want triage (its event stored after it)", c.Stage, err)
	}
	// Halving finds one record of 302 in about 2·log2(302) tries, not 302.
	if w.batches > 25 {
		t.Errorf("%d batches to find one refused record", w.batches)
	}
}

// TestPostgresRefusedRecordAlone: PostgreSQL refuses an alert (or a
// threat-intelligence indicator) whose id is too large for its index
// (SQLSTATE 54000); that record is rejected alone and the rest of its batch
// is stored. SQLite stores it.
func TestPostgresRefusedRecordAlone(t *testing.T) {
	big := make([]byte, 15000)
	rand.Read(big)
	id := base64.RawURLEncoding.EncodeToString(big)
	for _, tc := range []struct {
		name, in, loc string
		want          map[store.Kind]int
	}{
		{"alert", strings.Replace(alertsWith(50, 0, ""), `"external_id":"a20"`, `"external_id":"`+id+`"`, 1),
			"big.ndjson:20", map[store.Kind]int{store.KindAlert: 49}},
		{"indicator", strings.Replace(indicators(50), `"external_id":"i20"`, `"external_id":"`+id+`"`, 1),
			"big.ndjson:21", map[store.Kind]int{store.KindIndicator: 49, store.KindThreat: 1, store.KindRelation: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := storetest.Open(t, storetest.PostgresDSN(t))
			var rejects []string
			sum, err := ingest.Run(context.Background(), st, strings.NewReader(tc.in), "big.ndjson", ingest.Options{
				OnReject: func(loc string, err error) { rejects = append(rejects, loc+": "+err.Error()) }})
			if !errors.Is(err, ingest.ErrRejects) || !maps.Equal(sum.Inserted, tc.want) {
				t.Fatalf("ingest: %v, inserted %v, want %v", err, sum.Inserted, tc.want)
			}
			if len(rejects) != 1 || !strings.HasPrefix(rejects[0], tc.loc+": the database refused the record") {
				t.Fatalf("rejects %q", rejects)
			}
		})
	}
}

// TestReferenceDataNeedsMoreThanIngest: with RestrictReference (an ingest
// token over HTTP) SLA policies, teams, shifts and analysts are rejected
// with the reason; alerts still land.
func TestReferenceDataNeedsMoreThanIngest(t *testing.T) {
	st := storetest.Open(t, storetest.SQLitePath(t))
	in := `{"record":"sla_policy","name":"SOC standard","version":1,"effective_from":"2026-01-01T00:00:00Z","targets":{"P1":{"acknowledge":900000000000,"resolve":86400000000000}}}
{"record":"team","name":"t1"}
{"record":"shift","name":"day","start":"08:00","duration":28800000000000}
{"record":"analyst","external_id":"ana"}
` + alertsWith(2, 0, "")
	var rejects []string
	sum, _ := ingest.Run(context.Background(), st, strings.NewReader(in), "ref.ndjson", ingest.Options{RestrictReference: true,
		OnReject: func(loc string, err error) { rejects = append(rejects, loc+": "+err.Error()) }})
	if len(rejects) != 4 || !strings.Contains(rejects[0], "ref.ndjson:1: sla_policy records configure how work is judged") ||
		!strings.Contains(rejects[3], "ref.ndjson:4: analyst records") || sum.Inserted[store.KindAlert] != 2 {
		t.Fatalf("rejects %q, inserted %v", rejects, sum.Inserted)
	}
	if pols, err := st.SLAPolicies(context.Background()); err != nil || len(pols) != 0 {
		t.Errorf("policies stored: %v %v", pols, err)
	}
}

// TestBadSLAPolicyRejectedAtIngest: the policy of issue 10 (a negative
// acknowledge target) and one in the Mars/Olympus time zone are rejected
// with their location and reason; a later ingest still works.
func TestBadSLAPolicyRejectedAtIngest(t *testing.T) {
	st := storetest.Open(t, storetest.SQLitePath(t))
	in := `{"record":"sla_policy","name":"SOC standard","version":99,"effective_from":"2026-11-01T00:00:00Z","targets":{"P1":{"acknowledge":-1,"resolve":60000000000}}}
{"record":"sla_policy","name":"SOC standard","version":100,"effective_from":"2026-11-01T00:00:00Z","targets":{"P1":{"acknowledge":900000000000,"resolve":86400000000000}},"calendar":{"time_zone":"Mars/Olympus","days":[1,2,3,4,5],"start":"09:00","end":"17:00"}}
`
	var rejects []string
	_, err := ingest.Run(context.Background(), st, strings.NewReader(in), "pol.ndjson", ingest.Options{
		OnReject: func(loc string, err error) { rejects = append(rejects, loc+": "+err.Error()) }})
	if !errors.Is(err, ingest.ErrRejects) || len(rejects) != 2 ||
		rejects[0] != `pol.ndjson:1: SLA policy "SOC standard" version 99: targets.P1.acknowledge: -1ns is negative` ||
		!strings.HasPrefix(rejects[1], `pol.ndjson:2: SLA policy "SOC standard" version 100: calendar: load time zone "Mars/Olympus"`) {
		t.Fatalf("%v %q", err, rejects)
	}
	if _, err := ingest.Run(context.Background(), st, strings.NewReader(alertsWith(3, 0, "")), "more.ndjson", ingest.Options{}); err != nil {
		t.Errorf("later ingest: %v", err)
	}
}

// TestFutureDatedFlagged: a record dated more than 5 minutes ahead of the
// clock is stored, counted and reported as a warning; one 4 minutes ahead
// is not.
func TestFutureDatedFlagged(t *testing.T) {
	st := storetest.Open(t, storetest.SQLitePath(t))
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	in := fmt.Sprintf(`{"record":"alert","source":"edr","external_id":"f1","title":"t","created_at":"2031-01-01T00:00:00Z"}
{"record":"alert","source":"edr","external_id":"f2","title":"t","created_at":%q}
`, now.Add(4*time.Minute).Format(time.RFC3339))
	var warnings []string
	sum, err := ingest.Run(context.Background(), st, strings.NewReader(in), "f.ndjson", ingest.Options{Now: func() time.Time { return now },
		OnWarning: func(loc, msg string) { warnings = append(warnings, loc+": "+msg) }})
	if err != nil || sum.Inserted[store.KindAlert] != 2 || sum.FutureDated != 1 {
		t.Fatalf("%v: inserted %v, future %d", err, sum.Inserted, sum.FutureDated)
	}
	if len(warnings) != 1 || !strings.HasPrefix(warnings[0], "f.ndjson:1: created_at 2031-01-01T00:00:00Z is 1674 days ahead of the clock") {
		t.Errorf("warnings %q", warnings)
	}
	if !strings.Contains(sum.String(), "1 dated in the future") {
		t.Errorf("summary %q", sum.String())
	}
}
