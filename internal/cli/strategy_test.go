package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/attack"
	"github.com/watchfloor/watchfloor/internal/intel"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/roadmap"
	"github.com/watchfloor/watchfloor/internal/store"
)

// TestRoadmapOnDemo develops the roadmap on the demo SOC: items of at
// least four kinds, every evidence id resolving to what it names; the
// second roadmap reports the first one's items.
func TestRoadmapOnDemo(t *testing.T) {
	db := filepath.Join(t.TempDir(), "wf.db")
	code, out, errOut := run(t, db, "", "strategy", "develop", "--soc-roadmap", "--demo", "-o", "json")
	if code != 0 {
		t.Fatalf("roadmap (%d): %s", code, errOut)
	}
	var r roadmap.Roadmap
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, it := range r.Items {
		if !slices.Contains(kinds, it.Kind) {
			kinds = append(kinds, it.Kind)
		}
	}
	if len(kinds) < 4 || r.ID == 0 {
		t.Fatalf("kinds %v, id %d", kinds, r.ID)
	}
	t.Logf("%d items of kinds %v", len(r.Items), kinds)

	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := metrics.NewService(st, nil)
	rules, err := svc.Rules(ctx, metrics.RulesQuery{WindowQuery: metrics.WindowQuery{Timeframe: "quarterly"}})
	if err != nil {
		t.Fatal(err)
	}
	ruleKeys := map[string]bool{}
	for _, x := range rules.Rules {
		ruleKeys[x.Source+"/"+x.RuleID] = true
	}
	catalogRules, err := st.RuleCatalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	perf, err := svc.Performance(ctx, metrics.PerformanceQuery{WindowQuery: metrics.WindowQuery{Timeframe: "quarterly"}, GroupBy: metrics.ByPriority})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := attack.Load()
	if err != nil {
		t.Fatal(err)
	}
	ps, err := (&intel.Service{Store: st, Engine: svc.Engine()}).ProfileSet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hour := regexp.MustCompile(`^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([01]\d|2[0-3]):00$`)
	for _, it := range r.Items {
		if len(it.Evidence) == 0 || it.KPI == "" || it.Effect == "" || it.Effort == "" || it.Bucket == "" || it.Rationale == "" {
			t.Errorf("%s: incomplete %+v", it.Key, it)
		}
		for _, e := range it.Evidence {
			ok := false
			switch e.Type {
			case "technique":
				_, ok = cat.Technique(e.ID)
			case "profile":
				_, ok = ps.Find(e.ID)
			case "rule":
				ok = ruleKeys[e.ID]
			case "rule_id":
				ok = slices.ContainsFunc(catalogRules, func(r2 model.Rule) bool { return r2.ExternalID == e.ID })
			case "priority":
				ok = slices.ContainsFunc(perf.Groups, func(g metrics.GroupResult) bool { return g.Group == e.ID })
			case "hour":
				ok = hour.MatchString(e.ID)
			case "queue":
				ok = strings.TrimSpace(e.ID) != ""
			case "finding":
				id, err := strconv.ParseInt(e.ID, 10, 64)
				if err == nil {
					_, err = st.FindingByID(ctx, id)
				}
				ok = err == nil
			case "kpi":
				ok = slices.Contains([]string{"analyst_hours", "fte", "sla_resolve", "sla_acknowledge"}, e.ID)
			}
			if !ok {
				t.Errorf("%s: evidence %s %q does not resolve", it.Key, e.Type, e.ID)
			}
		}
	}
	code, out, _ = run(t, db, "", "strategy", "develop", "--soc-roadmap")
	if code != 0 || !strings.Contains(out, "Items of roadmap "+strconv.FormatInt(r.ID, 10)) || !strings.Contains(out, "open") {
		t.Fatalf("second roadmap (%d): %s", code, out)
	}
	if code, _, errOut = run(t, db, "", "strategy", "develop"); code == 0 || !strings.Contains(errOut, "--soc-roadmap") {
		t.Errorf("without --soc-roadmap (%d): %s", code, errOut)
	}
}
