package store_test

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// oldStoreSQL fills a store at schema version v with what a release of
// that version wrote, in the columns that version had: a case with its
// log and an alert, and from the versions that had them the time zone
// setting, a day rollup in the old JSON encoding (0002), the case queued
// for its facts (0003), an account and an audit entry (0004), and a day
// part in JSON (0007).
func oldStoreSQL(v int) []string {
	t := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC).UnixMicro()
	min := int64(time.Minute / time.Microsecond)
	q := []string{
		fmt.Sprintf(`INSERT INTO cases (id, source, external_id, title, priority, severity, status, stage, assignee, created_at, updated_at, ingested_at, last_event_at, resolved_at, closed_at, acknowledged_at)
			VALUES (1, 'soar', 'c1', 'Old case', 2, 3, 'closed', 'closed', 'bob', %d, %d, %d, %d, %d, %d, %d)`, t, t+120*min, t, t+120*min, t+120*min, t+120*min, t+10*min),
		fmt.Sprintf(`INSERT INTO case_events (case_id, dedup_key, at, actor, source, kind, old, new, ingested_at) VALUES
			(1, 'k1', %d, 'bob', 'soar', 'stage', '', 'new', %d),
			(1, 'k2', %d, 'bob', 'soar', 'stage', 'new', 'triage', %d),
			(1, 'k3', %d, 'bob', 'soar', 'assignee', '', 'bob', %d),
			(1, 'k4', %d, 'bob', 'soar', 'stage', 'triage', 'closed', %d)`, t, t, t+10*min, t, t+10*min, t, t+120*min, t),
		fmt.Sprintf(`INSERT INTO alerts (source, external_id, title, severity, rule_id, rule_name, case_ext_id, case_id, occurred_at, created_at, ingested_at, entities, raw)
			VALUES ('soar', 'a1', 'Old alert', 3, 'r1', 'Rule one', 'c1', 1, %d, %d, %d, '[{"type":"user","value":"bob"}]', '{"old":true}')`, t-5*min, t, t),
	}
	if v >= 2 {
		q = append(q, `INSERT INTO settings (name, value) VALUES ('timezone', 'Europe/Berlin')`,
			`INSERT INTO rollup_days (kind, day, version, built_version, data) VALUES ('cases', 20261102, 3, 3, '{"format":1,"groups":{}}')`)
	}
	if v >= 3 {
		// From 0003 on, ingest queued the cases it touched for their facts
		// (a release at the newest schema has no later migration that
		// queues cases without facts, as 0018 does for older stores).
		q = append(q, `INSERT INTO facts_pending (case_id) VALUES (1)`)
	}
	if v >= 4 {
		q = append(q, fmt.Sprintf(`INSERT INTO users (name, role, password_hash, created_at) VALUES ('ada', 'admin', '$2a$10$abcdefghijklmnopqrstuu', %d)`, t),
			fmt.Sprintf(`INSERT INTO audit_log (at, actor, role, action) VALUES (%d, 'cli:root', 'local', 'users add')`, t))
	}
	if v >= 7 {
		q = append(q, `INSERT INTO rollup_parts (kind, day, part, version, data) VALUES ('cases', 20261102, 'all', 3, '{"format":6,"groups":{"":{}}}')`)
	}
	return q
}

// TestUpgradeFromEveryVersion writes a store at every schema version of
// the migration history, as that release left it, on both engines, then
// opens it with this build: every migration applies, doctor finds it
// sound, nothing is lost, and the KPI report counts the old case with its
// acknowledgement and resolution (its facts computed, its old day rollup
// rebuilt in today's encoding).
func TestUpgradeFromEveryVersion(t *testing.T) {
	for _, eng := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(eng), func(t *testing.T) {
			all, err := store.Migrations(eng)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range all[:len(all)-1] {
				t.Run(fmt.Sprintf("from_%04d", v), func(t *testing.T) {
					ctx := context.Background()
					dsn := storetest.SQLitePath(t)
					if eng == store.Postgres {
						dsn = storetest.PostgresDSN(t)
					}
					if err := store.MigrateTo(ctx, dsn, v); err != nil {
						t.Fatalf("schema %04d: %v", v, err)
					}
					db := rawDB(t, dsn)
					for _, q := range oldStoreSQL(v) {
						if _, err := db.Exec(q); err != nil {
							t.Fatalf("schema %04d: %v\n%s", v, err, q)
						}
					}
					if eng == store.Postgres {
						// Explicit ids leave the sequence behind.
						db.Exec(`SELECT setval(pg_get_serial_sequence('cases', 'id'), 1)`)
					}
					inspect, err := store.OpenInspect(ctx, dsn)
					if err != nil {
						t.Fatal(err)
					}
					d, err := inspect.Diagnose(ctx, time.Now())
					inspect.Close()
					if err != nil {
						t.Fatal(err)
					}
					if len(d.Pending) != len(all)-slices.Index(all, v)-1 || !d.OK() {
						t.Errorf("before the upgrade doctor says pending %v ok %v: %+v", d.Pending, d.OK(), d.Checks)
					}

					s := storetest.Open(t, dsn) // the upgrade
					d, err = s.Diagnose(ctx, time.Now())
					if err != nil {
						t.Fatal(err)
					}
					if !d.OK() || len(d.Pending) != 0 || !slices.Equal(d.Applied, all) {
						t.Fatalf("after the upgrade: ok %v pending %v applied %v checks %+v", d.OK(), d.Pending, d.Applied, d.Checks)
					}
					if c := d.Counts; c["cases"] != 1 || c["alerts"] != 1 || c["case_events"] != 4 {
						t.Errorf("counts after the upgrade: %v", c)
					}
					if v >= 4 {
						if n, err := s.CountUsers(ctx); err != nil || n != 1 {
							t.Errorf("accounts after the upgrade: %d %v", n, err)
						}
					}
					svc := metrics.NewService(s, func() time.Time { return time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC) })
					rep, err := svc.Performance(ctx, metrics.PerformanceQuery{WindowQuery: metrics.WindowQuery{From: "2026-11-01", To: "2026-11-09"}})
					if err != nil {
						t.Fatalf("report after the upgrade: %v", err)
					}
					if len(rep.Groups) != 1 || rep.Groups[0].Cases != 1 {
						t.Fatalf("report after the upgrade: %+v", rep.Groups)
					}
					kpis := map[metrics.KPI]metrics.Summary{}
					for _, k := range rep.Groups[0].KPIs {
						kpis[k.KPI] = k
					}
					mtta, mttr := kpis[metrics.MTTA], kpis[metrics.MTTR]
					if mtta.Count != 1 || mttr.Count != 1 || mtta.Mean == nil || *mtta.Mean != 600 || mttr.Mean == nil || *mttr.Mean != 7200 {
						t.Errorf("KPIs after the upgrade: MTTA %+v, MTTR %+v", mtta, mttr)
					}
					parts, err := db.Query(`SELECT data FROM rollup_parts WHERE kind = 'cases'`)
					if err != nil {
						t.Fatal(err)
					}
					for parts.Next() {
						var data string
						parts.Scan(&data)
						if strings.HasPrefix(data, "{") {
							t.Errorf("a rollup part is still in the old JSON encoding: %.60s", data)
						}
					}
					parts.Close()
				})
			}
		})
	}
}

// TestUpgradeReleaseStores opens stores written by earlier releases
// (testdata/upgrade: whole-day JSON aggregates, JSON day parts, binary day
// parts) with this build: doctor sees the pending migrations first and a
// sound, fully migrated store after; the time zone setting and the
// account survive; the KPI report counts what that release counted, and
// every stored aggregate is rebuilt in today's encoding.
func TestUpgradeReleaseStores(t *testing.T) {
	files, err := filepath.Glob("testdata/upgrade/*.db.gz")
	if err != nil || len(files) < 3 {
		t.Fatalf("fixtures: %v %v", files, err)
	}
	for _, gz := range files {
		name := strings.TrimSuffix(filepath.Base(gz), ".db.gz")
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "old.db")
			f, err := os.Open(gz)
			if err != nil {
				t.Fatal(err)
			}
			zr, err := gzip.NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(zr)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, body, 0o600); err != nil {
				t.Fatal(err)
			}
			var want struct {
				Cases, Done int64
				KPIs        map[string]int64
			}
			b, err := os.ReadFile(strings.TrimSuffix(gz, ".db.gz") + ".kpis.json")
			if err != nil || json.Unmarshal(b, &want) != nil {
				t.Fatalf("expected KPIs: %v", err)
			}

			old, err := store.OpenInspect(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			d, err := old.Diagnose(ctx, time.Now())
			old.Close()
			if err != nil {
				t.Fatal(err)
			}
			if !d.OK() || len(d.Pending) == 0 || d.Counts["alerts"] == 0 {
				t.Fatalf("the old store: ok %v pending %v counts %v %+v", d.OK(), d.Pending, d.Counts, d.Checks)
			}
			counts := d.Counts

			s := storetest.Open(t, path)
			d, err = s.Diagnose(ctx, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if !d.OK() || len(d.Pending) != 0 {
				t.Fatalf("upgraded: ok %v pending %v %+v", d.OK(), d.Pending, d.Checks)
			}
			for table, n := range counts {
				if d.Counts[table] != n {
					t.Errorf("%s: %d rows after the upgrade, %d before", table, d.Counts[table], n)
				}
			}
			if tz, err := s.TimeZone(ctx); err != nil || tz.String() != "Europe/Berlin" {
				t.Errorf("time zone after the upgrade: %v %v", tz, err)
			}
			if !strings.Contains(name, "add816c") {
				if u, err := s.UserByName(ctx, "ada"); err != nil || u.Role != "admin" {
					t.Errorf("account after the upgrade: %+v %v", u, err)
				}
			}
			svc := metrics.NewService(s, func() time.Time { return time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC) })
			for _, g := range append([]string{""}, metrics.GroupBys...) {
				rep, err := svc.Performance(ctx, metrics.PerformanceQuery{WindowQuery: metrics.WindowQuery{From: "2026-11-14", To: "2026-11-19"}, GroupBy: g})
				if err != nil {
					t.Fatalf("report by %q after the upgrade: %v", g, err)
				}
				if g != "" {
					continue
				}
				all := rep.Groups[0]
				if all.Cases != want.Cases || all.Done != want.Done {
					t.Errorf("cases %d done %d, the release counted %d and %d", all.Cases, all.Done, want.Cases, want.Done)
				}
				for _, k := range all.KPIs {
					if n, ok := want.KPIs[string(k.KPI)]; ok && k.Count != n {
						t.Errorf("%s measured %d cases, the release %d", k.KPI, k.Count, n)
					}
				}
			}
			if _, err := svc.Rules(ctx, metrics.RulesQuery{WindowQuery: metrics.WindowQuery{From: "2026-11-14", To: "2026-11-19"}}); err != nil {
				t.Fatalf("rule quality after the upgrade: %v", err)
			}
			db := rawDB(t, path)
			rows, err := db.Query(`SELECT kind, day, part, data FROM rollup_parts`)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for rows.Next() {
				var kind, part, data string
				var day int64
				rows.Scan(&kind, &day, &part, &data)
				n++
				if strings.HasPrefix(data, "{") {
					t.Errorf("%s %d %s is still in the old JSON encoding", kind, day, part)
				}
			}
			rows.Close()
			if n == 0 {
				t.Error("no day part stored after the reports")
			}
		})
	}
}

// TestUpgradeDropsPartsOfEarlierVersions: migration 0029 drops the day
// parts a version of their day could be mistaken for (left by time-zone
// changes that marked days again from version 1) and keeps the others.
func TestUpgradeDropsPartsOfEarlierVersions(t *testing.T) {
	for _, eng := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(eng), func(t *testing.T) {
			ctx := context.Background()
			dsn := storetest.SQLitePath(t)
			if eng == store.Postgres {
				dsn = storetest.PostgresDSN(t)
			}
			if err := store.MigrateTo(ctx, dsn, 27); err != nil {
				t.Fatal(err)
			}
			db := rawDB(t, dsn)
			for _, q := range []string{
				// Built at its version 4: its parts of version 4 are current,
				// the one of version 2 is merely old.
				`INSERT INTO rollup_days (kind, day, version, built_version, data) VALUES ('cases', 20261101, 4, 4, 'parts')`,
				`INSERT INTO rollup_parts (kind, day, part, version, data) VALUES ('cases', 20261101, 'all', 4, 'x'),
					('cases', 20261101, 'rule_load', 4, 'x'), ('cases', 20261101, 'team', 2, 'x')`,
				// Marked again at 2 after a time-zone change, not built: the
				// parts of its earlier life at 2 and 5 go, the one at 1 stays.
				`INSERT INTO rollup_days (kind, day, version, built_version, data) VALUES ('alerts', 20261101, 2, -1, '')`,
				`INSERT INTO rollup_parts (kind, day, part, version, data) VALUES ('alerts', 20261101, 'rules', 2, 'x'),
					('alerts', 20261101, 'techniques', 5, 'x'), ('alerts', 20261102, 'rules', 1, 'x'), ('alerts', 20261101, 'old', 1, 'x')`,
			} {
				if _, err := db.Exec(q); err != nil {
					t.Fatalf("%v\n%s", err, q)
				}
			}
			storetest.Open(t, dsn) // the upgrade
			rows, err := db.Query(`SELECT kind, day, part, version FROM rollup_parts ORDER BY kind, day, part`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var got []string
			for rows.Next() {
				var kind, part string
				var day, version int64
				if err := rows.Scan(&kind, &day, &part, &version); err != nil {
					t.Fatal(err)
				}
				got = append(got, fmt.Sprintf("%s %d %s v%d", kind, day, part, version))
			}
			want := []string{"alerts 20261101 old v1", "cases 20261101 all v4", "cases 20261101 rule_load v4", "cases 20261101 team v2"}
			if !slices.Equal(got, want) {
				t.Errorf("parts after the upgrade:\n got %q\nwant %q", got, want)
			}
		})
	}
}
