package coverage_test

import (
	"context"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/watchfloor/watchfloor/internal/coverage"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestService imports content into a store with alerts, on both engines,
// and checks the import counts, the report and the fired query.
func TestService(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		ctx := context.Background()
		st := open()
		FP, TP := model.DispositionFalsePositive, model.DispositionTruePositive
		alert := func(ext, ruleID, ruleName string, d model.Disposition, created string) model.Alert {
			return model.Alert{Source: "siem", ExternalID: ext, Title: "alert " + ext, RuleID: ruleID, RuleName: ruleName, Disposition: d,
				CreatedAt: ts(created), Techniques: []string{"T1059.001"}}
		}
		b := &store.Batch{
			Rules: []model.Rule{{Source: "siem", ExternalID: "R-1", Name: "Encoded PowerShell", Techniques: []string{"T1059.001"},
				Enabled: true, Status: model.RuleStable, DataSources: []string{"edr"}, Platforms: []string{"windows"}}},
			Alerts: []model.Alert{
				// Credited to the stored rule R-1 by id.
				alert("a1", "R-1", "Encoded PowerShell", FP, "2026-03-10T01:00:00Z"),
				alert("a2", "R-1", "Encoded PowerShell", TP, "2026-03-10T02:00:00Z"),
				// Credited to the imported Sigma rule by its title.
				alert("a3", "sig-x", "Kerberoasting Activity", TP, "2026-03-11T02:00:00Z"),
				alert("a4", "sig-x", "Kerberoasting Activity", TP, "2026-03-12T02:00:00Z"),
				// Outside the window.
				alert("a5", "sig-x", "Kerberoasting Activity", TP, "2026-04-12T02:00:00Z"),
			},
		}
		if _, err := st.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
		rules, err := st.RuleCatalog(ctx)
		if err != nil || len(rules) != 1 || rules[0].Status != model.RuleStable || !slices.Equal(rules[0].DataSources, []string{"edr"}) ||
			!slices.Equal(rules[0].Platforms, []string{"windows"}) {
			t.Fatalf("rule catalog %+v %v", rules, err)
		}
		fsys := fstest.MapFS{
			"kerb.yml":  {Data: []byte("title: Kerberoasting Activity\nid: 0aa1\nstatus: test\ntags: [attack.t1558.003]\ndetection: {a: 1}\n")},
			"quiet.yml": {Data: []byte("title: Quiet\nid: 0bb2\nstatus: stable\ntags: [attack.t1047]\ndetection: {a: 1}\n")},
			"bad.yml":   {Data: []byte("title: Bad\ndetection: {a: 1}\n")},
		}
		svc := coverage.NewService(st, metrics.NewService(st, func() time.Time { return ts("2026-03-31T12:00:00Z") }))
		res, err := svc.Import(ctx, fsys, "mem", "sigma")
		if err != nil {
			t.Fatal(err)
		}
		if res.Files != 3 || res.Rules != 2 || res.Added != 2 || len(res.Problems) != 1 || res.Problems[0].Path != "bad.yml" || res.Techniques != 2 {
			t.Errorf("import %+v", res)
		}
		// Again, with one file changed.
		fsys["quiet.yml"] = &fstest.MapFile{Data: []byte("title: Quiet\nid: 0bb2\nstatus: deprecated\ntags: [attack.t1047]\ndetection: {a: 1}\n")}
		res, err = svc.Import(ctx, fsys, "mem", "sigma")
		if err != nil {
			t.Fatal(err)
		}
		if res.Added != 0 || res.Updated != 1 || res.Unchanged != 1 {
			t.Errorf("re-import %+v", res.ImportCounts)
		}
		imported, err := st.ImportedRules(ctx)
		if err != nil || len(imported) != 2 || imported[1].Status != model.RuleDeprecated || imported[1].Enabled || imported[0].Path != "kerb.yml" {
			t.Fatalf("imported %+v %v", imported, err)
		}

		rep, err := svc.Report(ctx, coverage.Query{WindowQuery: metrics.WindowQuery{From: "2026-03-01", To: "2026-03-31"}})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Alerts != 4 || rep.Rules != 3 || rep.Active != 2 || rep.FiredRules != 2 || rep.Imported != 2 || rep.Linked != 0 {
			t.Errorf("report alerts %d rules %d active %d fired %d imported %d linked %d", rep.Alerts, rep.Rules, rep.Active, rep.FiredRules, rep.Imported, rep.Linked)
		}
		checks := []struct {
			id           string
			score, rules int
			alerts, seen int64
		}{
			{"T1059.001", 4, 1, 2, 4}, // FP 1 ÷ 2 = 0.5, one TP, one rule
			{"T1059", 4, 1, 2, 4},
			{"T1558.003", 4, 1, 2, 0}, // TP 2 ÷ 2, FP rate 0, one rule
			{"T1047", 0, 0, 0, 0},     // deprecated now
		}
		for _, c := range checks {
			row, _ := rep.Technique(c.id)
			if row.Score != c.score || row.Rules != c.rules || row.Alerts != c.alerts || row.SeenInAlerts != c.seen {
				t.Errorf("%s: score %d rules %d alerts %d seen %d, want %+v (%v)", c.id, row.Score, row.Rules, row.Alerts, row.SeenInAlerts, c, row.Reasons)
			}
		}

		fired, err := coverage.Fired(ctx, st, ts("2026-03-01T00:00:00Z"), ts("2026-04-01T00:00:00Z"))
		if err != nil {
			t.Fatal(err)
		}
		if len(fired) != 2 || fired[0].ID != "0aa1" || fired[0].Alerts != 2 || !fired[0].First.Equal(ts("2026-03-11T02:00:00Z")) ||
			!fired[0].Last.Equal(ts("2026-03-12T02:00:00Z")) || !slices.Equal(fired[0].AlertRules, []string{"siem/sig-x"}) ||
			fired[1].ID != "0bb2" || fired[1].Alerts != 0 {
			t.Errorf("fired %+v", fired)
		}

		firedIn, window, err := svc.FiredIn(ctx, metrics.WindowQuery{From: "2026-03-01", To: "2026-03-31"})
		if err != nil || window != "2026-03-01 … 2026-03-31" || len(firedIn) != 2 || firedIn[0].Alerts != 2 || firedIn[1].Alerts != 0 ||
			!slices.Equal(firedIn[0].AlertRules, []string{"siem/sig-x"}) {
			t.Errorf("fired in %s: %+v %v", window, firedIn, err)
		}

		sn, err := svc.TakeSnapshot(ctx, coverage.Query{WindowQuery: metrics.WindowQuery{From: "2026-03-01", To: "2026-03-31"}}, ts("2026-03-31T12:00:00Z"))
		if err != nil {
			t.Fatal(err)
		}
		sn2, err := svc.TakeSnapshot(ctx, coverage.Query{WindowQuery: metrics.WindowQuery{From: "2026-04-01", To: "2026-04-30"}}, ts("2026-04-30T12:00:00Z"))
		if err != nil {
			t.Fatal(err)
		}
		all, err := svc.Snapshots(ctx)
		if err != nil || len(all) != 2 || all[0].ID != sn.ID || all[1].ID != sn2.ID || !all[0].TakenAt.Equal(ts("2026-03-31T12:00:00Z")) {
			t.Fatalf("snapshots %+v %v", all, err)
		}
		if all[0].Scores["T1558.003"] != 4 || all[1].Scores["T1558.003"] != 4 || all[1].Scores["T1059.001"] != 2 {
			t.Errorf("snapshot scores %v %v", all[0].Scores, all[1].Scores)
		}
		// In April only the Kerberoasting rule fired (a5): PowerShell falls
		// from 4 to 2 (stable, silent).
		changes := coverage.Compare(all[0], all[1])
		if !slices.Equal(changes, []coverage.Change{{ID: "T1059", From: 4, To: 2}, {ID: "T1059.001", From: 4, To: 2}}) {
			t.Errorf("changes %+v", changes)
		}
	})
}
