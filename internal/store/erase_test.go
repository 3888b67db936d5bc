package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

func TestValidateErasure(t *testing.T) {
	tests := []struct {
		value, typ string
		ok         bool
	}{
		{"alice@example.com", "email", true},
		{"alice", "email", false},
		{"a@b@c", "email", false},
		{"10.0.0.1", "ip", true},
		{"2001:db8::1", "ip", true},
		{"10.0.0", "ip", false},
		{"alice.w", "user", true},
		{"al", "user", false},
		{" alice", "user", false},
		{"web01", "host", true},
		{"web01", "phone", false},
	}
	for _, tc := range tests {
		if err := store.ValidateErasure(tc.value, tc.typ); (err == nil) != tc.ok {
			t.Errorf("ValidateErasure(%q, %q) = %v, want ok %v", tc.value, tc.typ, err, tc.ok)
		}
	}
}

// erasureFixture stores a subject, the user "alice.w" (Alice.W@example.com),
// across every place a person's name lands: an analyst, a case's title,
// assignee, comment and raw payload, alerts' titles, entities (upper case)
// and raw payloads (JSON-escaped after a domain), plus look-alikes that
// must stay: "alicew", "bob.alice" and the address 10.0.0.10 next to
// 10.0.0.1.
func erasureFixture(t *testing.T, s *store.Store) {
	t.Helper()
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	b := &store.Batch{
		Analysts: []model.Analyst{
			{ExternalID: "alice.w", Name: "Alice Wong", Email: "Alice.W@example.com", Tier: model.TierL1},
			{ExternalID: "alicew", Name: "Another Alice", Tier: model.TierL1},
		},
		Cases: []model.Case{{Source: "soar", ExternalID: "c1", Title: "Phishing reported by alice.w", Priority: model.P2,
			Status: "new", Assignee: "alice.w", CreatedAt: at, UpdatedAt: at,
			Raw: []byte(`{"owner":"alice.w","account":"CORP\\alice.w","cc":"bob.alice"}`)}},
		Alerts: []model.Alert{
			{Source: "edr", ExternalID: "a1", Title: "Login by alice.w from 10.0.0.1", CaseExternalID: "c1", CreatedAt: at,
				Entities: []model.Entity{{Type: "user", Value: "ALICE.W"}, {Type: "ip", Value: "10.0.0.10"}},
				Raw:      []byte(`{"user":"CORP\\alice.w","src":"10.0.0.10"}`)},
			{Source: "edr", ExternalID: "a2", Title: "Login by alicew", CreatedAt: at.Add(time.Hour)},
		},
		Events: []model.CaseEvent{
			{CaseSource: "soar", CaseExternalID: "c1", At: at.Add(10 * time.Minute), Actor: "alice.w", Source: "soar", Kind: model.EventStatus, New: "in progress"},
			{CaseSource: "soar", CaseExternalID: "c1", At: at.Add(20 * time.Minute), Actor: "bob", Source: "soar", Kind: model.EventComment, New: "alice.w confirmed; mail Alice.W@example.com"},
		},
	}
	if _, err := s.Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

// everyText returns the text of every column of every row of every table
// (a dump, as pg_dump would show the live rows).
func everyText(t *testing.T, db *sql.DB, postgres bool) string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	var b strings.Builder
	for _, tb := range tables {
		r, err := db.Query(`SELECT * FROM "` + tb + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := r.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for r.Next() {
			if err := r.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				switch v := v.(type) {
				case string:
					b.WriteString(v)
				case []byte:
					b.Write(v)
				}
				b.WriteByte('\n')
			}
		}
		r.Close()
	}
	return b.String()
}

// TestEraseLeavesNoCopy erases a user name on both engines: no table holds
// it afterwards in any case or escaping (and on SQLite neither the database
// file nor its log), the look-alikes stay, the records and their KPIs stay
// (the analyst's figures under the token), the report says what changed,
// and a second run finds nothing.
func TestEraseLeavesNoCopy(t *testing.T) {
	for _, eng := range []string{"sqlite", "postgres"} {
		t.Run(eng, func(t *testing.T) {
			ctx := context.Background()
			dsn := storetest.SQLitePath(t)
			if eng == "postgres" {
				dsn = storetest.PostgresDSN(t)
			}
			s := storetest.Open(t, dsn)
			erasureFixture(t, s)
			now := time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
			report := func() string {
				svc := metrics.NewService(s, func() time.Time { return now })
				rep, err := svc.Performance(ctx, metrics.PerformanceQuery{WindowQuery: metrics.WindowQuery{From: "2026-11-01", To: "2026-11-09"}, GroupBy: metrics.ByAnalyst})
				if err != nil {
					t.Fatal(err)
				}
				b, _ := json.Marshal(rep)
				return string(b)
			}
			before := report() // also stores the analyst's name in the rollups
			db := rawDB(t, dsn)
			if !strings.Contains(strings.ToLower(everyText(t, db, eng == "postgres")), "alice.w") {
				t.Fatal("the fixture does not hold the value")
			}
			countsBefore := counts(t, s)

			const token = "[erased user 1f2e]"
			dry, err := s.Erase(ctx, store.Erasure{Value: "alice.w", Type: "user", Token: token, DryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			if dry.Rows == 0 || !strings.Contains(strings.ToLower(everyText(t, db, eng == "postgres")), "alice.w") {
				t.Fatalf("dry run: %+v (and it must change nothing)", dry)
			}
			rep, err := s.Erase(ctx, store.Erasure{Value: "alice.w", Type: "user", Token: token})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Rows != dry.Rows || !rep.Compacted || len(rep.Warnings) != 0 || rep.Rebuilt != 1 {
				t.Errorf("report %+v, dry run counted %d rows", rep, dry.Rows)
			}
			changed := map[string]bool{}
			for _, c := range rep.Columns {
				changed[c.Table+"."+c.Column] = true
			}
			for _, want := range []string{"alerts.title", "alerts.entities", "alerts.raw", "cases.title", "cases.assignee", "cases.raw",
				"case_events.actor", "case_events.new", "analysts.external_id", "analysts.email", "case_facts.analyst"} {
				if !changed[want] {
					t.Errorf("the report does not list %s: %+v", want, rep.Columns)
				}
			}

			dump := everyText(t, db, eng == "postgres")
			if i := strings.Index(strings.ToLower(dump), "alice.w"); i >= 0 {
				t.Errorf("the value is still in a table: …%s…", dump[max(0, i-80):min(len(dump), i+80)])
			}
			for _, keep := range []string{"alicew", "bob.alice", "10.0.0.10", "from 10.0.0.1", "Alice Wong", token + "@example.com", `CORP\\` + token} {
				if !strings.Contains(dump, keep) {
					t.Errorf("%q is gone (or was not redacted as expected)", keep)
				}
			}
			if eng == "postgres" {
				// pg_dump of the test's schema, as an operator would check it.
				if pgDump, err := exec.LookPath("pg_dump"); err != nil {
					t.Log("pg_dump is not installed; the dump check is left out")
				} else {
					u, _ := url.Parse(dsn)
					schema := u.Query().Get("search_path")
					q := u.Query()
					q.Del("search_path")
					u.RawQuery = q.Encode()
					out, err := exec.Command(pgDump, "--schema="+schema, u.String()).CombinedOutput()
					if err != nil {
						t.Fatalf("pg_dump: %v\n%s", err, out)
					}
					if !bytes.Contains(out, []byte("case_events")) {
						t.Fatalf("pg_dump printed no tables: %.300s", out)
					}
					if i := bytes.Index(bytes.ToLower(out), []byte("alice.w")); i >= 0 {
						t.Errorf("pg_dump still shows the value: …%s…", out[max(0, i-80):min(len(out), i+80)])
					}
				}
			}
			if eng == "sqlite" {
				for _, f := range []string{dsn, dsn + "-wal"} {
					b, err := os.ReadFile(f)
					if err != nil && !os.IsNotExist(err) {
						t.Fatal(err)
					}
					if i := bytes.Index(bytes.ToLower(b), []byte("alice.w")); i >= 0 {
						t.Errorf("%s still holds the value at byte %d", f, i)
					}
				}
			}
			if got := counts(t, s); !equalCounts(got, countsBefore) {
				t.Errorf("rows changed: %v, before %v", got, countsBefore)
			}
			if after, want := report(), strings.ReplaceAll(before, "alice.w", token); after != want {
				t.Errorf("KPIs changed beyond the name:\nbefore %s\nafter  %s", want, after)
			}
			again, err := s.Erase(ctx, store.Erasure{Value: "Alice.W", Type: "user", Token: token})
			if err != nil || again.Rows != 0 {
				t.Errorf("a second erasure found %+v %v", again, err)
			}
		})
	}
}

func equalCounts(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestErasureBoundaries: an IP address never matches inside a longer one,
// an e-mail address matches in any case and inside JSON.
func TestErasureBoundaries(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t, storetest.SQLitePath(t))
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	titles := map[string]string{
		"x1": "from 10.0.0.1",
		"x2": "from 10.0.0.10 and 110.0.0.1",
		"x3": "10.0.0.1,10.0.0.1;10.0.0.1.",
		"x4": `{"mail":"Bob@Example.COM"}`,
		"x5": "notbob@example.com bob@example.community",
	}
	var b store.Batch
	for id, title := range titles {
		b.Alerts = append(b.Alerts, model.Alert{Source: "s", ExternalID: id, Title: title, CreatedAt: at})
	}
	apply(t, s, &b)
	if _, err := s.Erase(ctx, store.Erasure{Value: "10.0.0.1", Type: "ip", Token: "[ip]"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Erase(ctx, store.Erasure{Value: "bob@example.com", Type: "email", Token: "[mail]"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"x1": "from [ip]",
		"x2": "from 10.0.0.10 and 110.0.0.1",
		"x3": "[ip],[ip];[ip].",
		"x4": `{"mail":"[mail]"}`,
		"x5": "notbob@example.com bob@example.community",
	}
	alerts, err := s.Alerts(ctx, store.AlertFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range alerts {
		if a.Title != want[a.ExternalID] {
			t.Errorf("%s: %q, want %q", a.ExternalID, a.Title, want[a.ExternalID])
		}
	}
}
