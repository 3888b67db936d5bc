package intel_test

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest"
	"github.com/watchfloor/watchfloor/internal/intel"
	"github.com/watchfloor/watchfloor/internal/shareddata"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// galaxyActor is a cluster of the shared threat-actor galaxy, read
// independently of the parser.
type galaxyActor struct {
	UUID  string `json:"uuid"`
	Value string `json:"value"`
	Meta  map[string]any
}

func (g galaxyActor) list(keys ...string) []string {
	var out []string
	for _, k := range keys {
		switch v := g.Meta[k].(type) {
		case string:
			out = append(out, v)
		case []any:
			for _, x := range v {
				out = append(out, x.(string))
			}
		}
	}
	return out
}

// TestRelevanceRanksMatchingActors: with an organisation profile of one
// sector and two countries, the galaxy actors that target the sector and
// one of the countries rank above every actor that targets neither, and
// each lists both reasons.
func TestRelevanceRanksMatchingActors(t *testing.T) {
	path := shareddata.Path(t, "misp-galaxy", "clusters", "threat-actor.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Values []galaxyActor `json:"values"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	st := storetest.Open(t, storetest.SQLitePath(t))
	ctx := context.Background()
	sum, err := ingest.Run(ctx, st, strings.NewReader(string(b)), "threat-actor.json", ingest.Options{})
	if err != nil || sum.Format != "misp-galaxy" || sum.Inserted[store.KindThreat] != len(file.Values) {
		t.Fatalf("ingest: %s, %v", sum, err)
	}
	svc := &intel.Service{Store: st, Now: func() time.Time { return now }}
	org, err := svc.SetOrgProfile(ctx, intel.OrgProfile{Sectors: []string{"Financial services"}, Regions: []string{"Germany", "fr"}})
	if err != nil || !slices.Equal(org.Sectors, []string{"finance"}) || !slices.Equal(org.Regions, []string{"France", "Germany"}) {
		t.Fatalf("org profile %+v, %v", org, err)
	}
	// Independently: the finance names the galaxy uses, and the places
	// that hold Germany or France.
	finance := []string{"Finance", "Financial", "Financial services", "Bank", "Investment", "Payment", "Cryptocurrency"}
	places := []string{"Germany", "France", "Europe", "Western Europe", "European Union", "Global"}
	broad := []string{"Private sector", "Private Sector", "Business", "Services"}
	var matching, neither []galaxyActor
	for _, a := range file.Values {
		victims := a.list("cfr-suspected-victims", "suspected-victims")
		sectors := a.list("cfr-target-category", "targeted-sector", "sector")
		v := slices.ContainsFunc(victims, func(s string) bool { return s == "Germany" || s == "France" })
		s := slices.ContainsFunc(sectors, func(s string) bool { return slices.Contains(finance, s) })
		anyPlace := slices.ContainsFunc(victims, func(s string) bool { return slices.Contains(places, s) })
		anySector := slices.ContainsFunc(sectors, func(s string) bool { return slices.Contains(finance, s) || slices.Contains(broad, s) })
		switch {
		case v && s:
			matching = append(matching, a)
		case !anyPlace && !anySector:
			neither = append(neither, a)
		}
	}
	if len(matching) != 4 {
		t.Fatalf("the galaxy has %d actors targeting finance in Germany or France, the test expects 4", len(matching))
	}
	r, err := svc.Rank(ctx, intel.RankQuery{})
	if err != nil {
		t.Fatal(err)
	}
	ps, _ := svc.ProfileSet(ctx)
	rank := map[string]int{}
	for i, p := range r.Profiles {
		rank[p.ID] = i
	}
	profileOf := func(a galaxyActor) intel.Ranked {
		p := ps.ForObject(a.UUID)
		if len(p) != 1 {
			t.Fatalf("galaxy actor %s (%s) is in %d profiles", a.Value, a.UUID, len(p))
		}
		return r.Profiles[rank[p[0].ID]]
	}
	worstMatching := 0
	for _, a := range matching {
		p := profileOf(a)
		worstMatching = max(worstMatching, rank[p.ID])
		factors := map[string]intel.Reason{}
		for _, x := range p.Reasons {
			factors[x.Factor] = x
		}
		if factors["sector"].Points != 30 || !strings.Contains(factors["sector"].Text, "finance (listed as") ||
			factors["region"].Points != 25 || !strings.Contains(factors["region"].Text, "where the organisation operates (France, Germany)") {
			t.Errorf("%s (%s): score %v, reasons %+v", a.Value, p.ID, p.Score, p.Reasons)
		}
	}
	// Galaxy actors merge by ATT&CK id and alias (GRIM SPIDER and UNC1878
	// are names of Wizard Spider): a profile targets neither when none of
	// the clusters merged into it does.
	isNeither := map[string]bool{}
	for _, a := range neither {
		isNeither[a.UUID] = true
	}
	checked := 0
	for _, p := range r.Profiles {
		galaxy, all := 0, true
		for _, src := range p.Sources {
			if src.Source == "misp-galaxy:threat-actor" {
				galaxy++
				all = all && isNeither[src.ExternalID]
			}
		}
		if galaxy == 0 || !all {
			continue
		}
		checked++
		if rank[p.ID] <= worstMatching || p.Score != 0 {
			t.Errorf("%s (%s, score %v, reasons %+v) ranks %d, above a matching actor at %d", p.Name, p.ID, p.Score, p.Reasons, rank[p.ID], worstMatching)
		}
	}
	// A hand-checked example: WIZARD SPIDER merges by name into ATT&CK's
	// Wizard Spider (G0102); sector 30 + region 25, no activity, no
	// platforms set.
	ws, pos, err := svc.Profile(ctx, "wizard spider", 0)
	if err != nil || ws.ID != "G0102" || ws.Score != 55 || len(ws.Reasons) != 2 || pos > 4 ||
		ws.Reasons[0].Text != `targets the organisation's sector: finance (listed as "Financial")` ||
		ws.Reasons[1].Text != `its suspected victims include "France", "Germany", where the organisation operates (France, Germany)` {
		t.Fatalf("Wizard Spider: rank %d, %+v, %v", pos, ws, err)
	}
	if !slices.ContainsFunc(ws.Sources, func(s intel.ProfileSource) bool {
		return s.Name == "WIZARD SPIDER" && s.Source == "misp-galaxy:threat-actor"
	}) {
		t.Errorf("Wizard Spider sources: %+v", ws.Sources)
	}
	t.Logf("%d profiles; matching actors ranked within the top %d; %d profiles of %d galaxy actors target neither and rank below",
		len(r.Profiles), worstMatching+1, checked, len(neither))
}
