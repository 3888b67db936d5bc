package demo

import (
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/runbook"
)

// demoRegistry builds the registry the demo's syncs make, without a store.
func demoRegistry(t *testing.T, cfg Config) *runbook.Registry {
	t.Helper()
	byID := map[string]*runbook.Entry{}
	var entries []*runbook.Entry
	for _, s := range Runbooks(cfg) {
		f, err := runbook.Load(s.FS, "")
		if err != nil || len(f.Problems) > 0 || len(f.Broken) > 0 {
			t.Fatalf("demo runbooks at %v: %v %v %v", s.At, err, f.Problems, f.Broken)
		}
		for _, d := range f.Docs {
			e := byID[d.ID]
			if e == nil {
				e = &runbook.Entry{ID: d.ID, CreatedAt: s.At}
				byID[d.ID] = e
				entries = append(entries, e)
			}
			if len(e.Versions) == 0 || e.Current().Doc.Hash != d.Hash {
				e.Versions = append(e.Versions, runbook.Version{Version: len(e.Versions) + 1, SyncedAt: s.At, Doc: d})
			}
		}
	}
	return runbook.NewRegistry(entries)
}

// The simulation's runbook events derive into runs of the demo's runbooks:
// every step they name is a step of the version they record, plans run on
// cases whose rule they apply to, the malware plan's revision is used
// after it is synced, and some cases a plan applies to are handled without
// it.
func TestDemoRunbookRuns(t *testing.T) {
	cfg := Config{Seed: 1, Days: 30, AlertsPerDay: 2000, End: testEnd}.WithDefaults()
	o := generate(t, cfg)
	reg := demoRegistry(t, cfg)
	if e := reg.Get("irps/malware"); e == nil || len(e.Versions) != 2 || len(reg.Entries) != 13 {
		t.Fatalf("demo registry: %d runbooks, malware %+v", len(reg.Entries), e)
	}
	rev := Runbooks(cfg)[1].At
	var evs []runbook.Event
	for id, list := range o.events {
		c := o.cases[id]
		done := false
		for _, e := range list {
			if e.Kind == model.EventStage && model.Stage(e.New).Done() {
				done = true
			}
		}
		for i, e := range list {
			if e.Kind == model.EventRunbook {
				evs = append(evs, runbook.Event{ID: int64(i), CaseID: caseNum(t, c.ExternalID), Case: id, CaseDone: done, At: e.At, Actor: e.Actor, New: e.New})
			}
		}
	}
	sortEvents(evs)
	execs, bad := runbook.Derive(reg, evs)
	if len(bad) > 0 {
		t.Fatalf("unreadable runbook events: %+v", bad[:1])
	}
	rules := map[string]*rule{}
	for _, r := range o.rules {
		rules[r.m.ExternalID] = r
	}
	caseRule := map[string]string{}
	for _, a := range o.alerts {
		if a.CaseExternalID != "" && caseRule[a.CaseExternalID] == "" {
			caseRule[a.CaseExternalID] = a.RuleID
		}
	}
	planned := map[string]bool{}
	runs := map[string]int{}
	outcomes := map[string]int{}
	skipped := 0
	for _, x := range execs {
		if !x.Registered {
			t.Fatalf("run of an unregistered runbook: %+v", x)
		}
		runs[x.Runbook]++
		outcomes[x.Outcome]++
		skipped += x.Skipped
		for _, s := range x.Steps {
			if s.Key == "" && x.Run != "" {
				t.Errorf("case %s: %s version %d has no step %q", x.Case, x.Runbook, x.Version, s.Title)
			}
		}
		if x.Run != "" && x.VersionInferred {
			t.Errorf("case %s: run %s of %s records no version", x.Case, x.Run, x.Runbook)
		}
		if x.Runbook == "irps/malware" && (x.Version == 2 && x.StartedAt.Before(rev.Add(-time.Hour)) || x.Version == 1 && x.StartedAt.After(rev.Add(time.Hour))) {
			t.Errorf("malware run at %v measured against version %d (revision %v)", x.StartedAt, x.Version, rev)
		}
		if x.Run != "" && x.Runbook != "triage/case-triage" && !strings.HasPrefix(o.cases[x.Case].Title, "Major incident") {
			r := rules[caseRule[x.Case]]
			info := runbook.RuleInfo{ID: r.m.ExternalID, Name: r.m.Name, Techniques: r.m.Techniques, Tactics: r.m.Tactics}
			if !reg.Get(x.Runbook).Current().Doc.AppliesTo.Covers(info) {
				t.Errorf("case %s: %s ran on rule %s %q it does not apply to", x.Case, x.Runbook, r.m.ExternalID, r.m.Name)
			}
			planned[x.Case] = true
		}
	}
	for _, id := range []string{"triage/case-triage", "irps/phishing", "irps/malware", "irps/compromised-account", "common/isolate-host", "common/enrich-indicators"} {
		if runs[id] == 0 {
			t.Errorf("no runs of %s", id)
		}
	}
	// Plans are followed on some of the cases they apply to, not all.
	applicable := 0
	sx, err := newSim(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for id, c := range o.cases {
		if r := rules[caseRule[id]]; r != nil && o.events[id] != nil && !strings.HasPrefix(c.Title, "Major incident") && sx.irpForRule(r) != "" {
			applicable++
		}
	}
	if len(planned) == 0 || len(planned) >= applicable {
		t.Errorf("plans followed on %d of %d cases they apply to", len(planned), applicable)
	}
	if runs["hunting/lateral-movement-hunt"] != 0 {
		t.Error("the hunt nobody runs has runs")
	}
	if outcomes[runbook.OutcomeCompleted] == 0 || outcomes[runbook.OutcomeAborted] == 0 || outcomes[runbook.OutcomeInProgress] == 0 || skipped == 0 {
		t.Errorf("outcomes %v, %d skipped steps: want completed, aborted, in-progress runs and skipped steps", outcomes, skipped)
	}
	t.Logf("runs %v outcomes %v", runs, outcomes)
}

func caseNum(t *testing.T, id string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(strings.TrimPrefix(id, "C-"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// sortEvents orders events by case, time and then log position, as the
// store returns them.
func sortEvents(evs []runbook.Event) {
	sort.SliceStable(evs, func(i, j int) bool {
		a, b := evs[i], evs[j]
		if a.CaseID != b.CaseID {
			return a.CaseID < b.CaseID
		}
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		return a.ID < b.ID
	})
}
