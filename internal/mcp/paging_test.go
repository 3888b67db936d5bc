package mcp

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/intel"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

func TestPagingRaces(t *testing.T) { engines(t, testPagingRaces) }

// testPagingRaces walks list_cases a page at a time while the queue moves:
// a case ingested between pages (newer, and a late one dated in the past)
// and a case closed during a status "open" walk. Every case that was in
// the walk's range and still matches is listed exactly once.
func testPagingRaces(t *testing.T, st *store.Store) {
	ctx := context.Background()
	cs := connect(t, Options{Store: st, AllowWrites: true, Auditor: &memAuditor{}})
	walk := func(args map[string]any, between func(page int, seen []string)) []string {
		var seen []string
		tok := ""
		for page := 0; page < 20; page++ {
			a := map[string]any{"page_size": 1, "next_page_token": tok}
			for k, v := range args {
				a[k] = v
			}
			out := call[ListCasesOut](t, cs, "list_cases", a)
			for _, c := range out.Cases {
				seen = append(seen, c.ExternalID)
			}
			if tok = out.NextPageToken; tok == "" {
				return seen
			}
			if between != nil {
				between(page, seen)
			}
		}
		t.Fatal("walk did not end")
		return nil
	}
	before := walk(nil, nil)
	if !slices.Equal(before, []string{"C-2", "C-1", "C-3", "C-4"}) {
		t.Fatalf("newest first = %v", before)
	}
	// Between pages 1 and 2: a new case (newest of all) and a late one
	// created before C-3. Offsets would list C-1 twice and skip one.
	got := walk(nil, func(page int, _ []string) {
		if page != 0 {
			return
		}
		if _, err := st.Apply(ctx, &store.Batch{Cases: []model.Case{
			{Source: "fx", ExternalID: "N-new", Title: "new", Priority: model.P3, CreatedAt: now.Add(-time.Minute), UpdatedAt: now},
			{Source: "fx", ExternalID: "N-late", Title: "late", Priority: model.P3, CreatedAt: now.Add(-3 * time.Hour), UpdatedAt: now},
		}}); err != nil {
			t.Fatal(err)
		}
	})
	if !slices.Equal(got, []string{"C-2", "C-1", "N-late", "C-3", "C-4"}) {
		t.Fatalf("walk with inserts = %v, want each case once and the late one in its place", got)
	}
	// A status "open" walk in which the case just listed is closed: offsets
	// would skip the next one.
	open := walk(map[string]any{"status": "open"}, nil)
	got = walk(map[string]any{"status": "open"}, func(page int, seen []string) {
		if page == 0 {
			call[WriteOut](t, cs, "close_case", map[string]any{"case_id": "fx/" + seen[0], "disposition": "true_positive", "reason": "done"})
		}
	})
	if !slices.Equal(got, open) {
		t.Fatalf("open walk while closing = %v, want %v", got, open)
	}
	// The priority order pages by (priority, created, id) too.
	prio := walk(map[string]any{"order_by": "priority"}, nil)
	if !slices.Equal(prio, []string{"C-1", "C-2", "C-3", "N-late", "N-new", "C-4"}) {
		t.Fatalf("priority order = %v", prio)
	}
}

func TestBreachPagingRace(t *testing.T) { engines(t, testBreachPagingRace) }

// testBreachPagingRace: the case on the first page of list_sla_breaches is
// closed before the second page is asked for; the clock after it is still
// listed (an offset would skip it).
func testBreachPagingRace(t *testing.T, st *store.Store) {
	cs := connect(t, Options{Store: st, AllowWrites: true, Auditor: &memAuditor{}})
	all := call[BreachesOut](t, cs, "list_sla_breaches", map[string]any{"include_at_risk": true})
	var want []string
	for _, it := range all.Items {
		want = append(want, it.ExternalID+"/"+it.Clock)
	}
	if len(want) < 2 {
		t.Fatalf("fixture breaches = %v", want)
	}
	first := call[BreachesOut](t, cs, "list_sla_breaches", map[string]any{"include_at_risk": true, "max_results": 1})
	if len(first.Items) != 1 || first.Items[0].ExternalID+"/"+first.Items[0].Clock != want[0] || first.NextPageToken == "" {
		t.Fatalf("first page = %+v", first)
	}
	call[WriteOut](t, cs, "close_case", map[string]any{"case_id": first.Items[0].CaseID, "disposition": "true_positive", "reason": "done"})
	got := []string{want[0]}
	tok := first.NextPageToken
	for tok != "" {
		page := call[BreachesOut](t, cs, "list_sla_breaches", map[string]any{"include_at_risk": true, "max_results": 1, "next_page_token": tok})
		for _, it := range page.Items {
			got = append(got, it.ExternalID+"/"+it.Clock)
		}
		tok = page.NextPageToken
	}
	var rest []string
	for _, w := range want[1:] {
		if w[:len(first.Items[0].ExternalID)+1] != first.Items[0].ExternalID+"/" {
			rest = append(rest, w)
		}
	}
	if !slices.Equal(got[1:], rest) {
		t.Fatalf("after closing %s: pages %v, want %v", first.Items[0].ExternalID, got[1:], rest)
	}
}

func TestIoCPagingRace(t *testing.T) { engines(t, testIoCPagingRace) }

// testIoCPagingRace: get_ioc_matches lists the network (seen 11:00, newer
// indicator) then the domain (seen 11:00). Between the pages another feed's
// indicator matches the same alert and sorts first; an offset would list
// the network again on page 2, the keyset lists the domain.
func testIoCPagingRace(t *testing.T, st *store.Store) {
	ctx := context.Background()
	intelFixture(t, st)
	cs := connect(t, Options{Store: st})
	p1 := call[IoCOut](t, cs, "get_ioc_matches", map[string]any{"max_matches": 1})
	if len(p1.Matches) != 1 || p1.Matches[0].Type != "cidr" || p1.Total != 2 || p1.NextPageToken == "" {
		t.Fatalf("page 1 = %+v", p1)
	}
	if _, err := st.ApplyIntel(ctx, &store.IntelBatch{Indicators: []model.Indicator{{Source: "other-feed", ExternalID: "indicator--dom2",
		Type: "domain", Value: "evil.example", Detect: true, Confidence: 70, Observables: []model.IndicatorObservable{{Kind: "domain", Value: "evil.example"}}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := intel.RetroHunt(ctx, st, 90, now); err != nil {
		t.Fatal(err)
	}
	if all := call[IoCOut](t, cs, "get_ioc_matches", nil); all.Total != 3 || all.Matches[0].Source != "other-feed" {
		t.Fatalf("after the new match: %+v", all)
	}
	var got []string
	for tok := p1.NextPageToken; tok != ""; {
		p := call[IoCOut](t, cs, "get_ioc_matches", map[string]any{"max_matches": 1, "next_page_token": tok})
		for _, m := range p.Matches {
			got = append(got, m.Source+"/"+m.Type)
		}
		tok = p.NextPageToken
	}
	if !slices.Equal(got, []string{"acme-feed/domain"}) {
		t.Fatalf("pages after the first = %v, want the domain once", got)
	}
	if msg := callErr(t, cs, "get_ioc_matches", map[string]any{"max_matches": 1, "type": "domain", "next_page_token": p1.NextPageToken}); !strings.Contains(msg, "other filters") {
		t.Fatalf("token with other filters: %s", msg)
	}
}

func TestIncidentPagingRace(t *testing.T) { engines(t, testIncidentPagingRace) }

// testIncidentPagingRace: list_major_incidents, newest first, a page of
// one: MI-2, then MI-3 is declared, then page 2 is MI-1 and the last (an
// offset would list MI-2 again).
func testIncidentPagingRace(t *testing.T, st *store.Store) {
	cs := connect(t, Options{Store: st, AllowWrites: true, Auditor: &memAuditor{}, Actor: "manager"})
	declare := func(c string) {
		call[IncidentStatusOut](t, cs, "declare_major_incident", map[string]any{"severity": "SEV2", "case_ids": []string{c}})
	}
	declare("fx/C-1")
	declare("fx/C-2")
	p1 := call[ListIncidentsOut](t, cs, "list_major_incidents", map[string]any{"page_size": 1})
	if len(p1.Incidents) != 1 || p1.Incidents[0].IncidentID != "MI-2" || p1.NextPageToken == "" {
		t.Fatalf("page 1 = %+v", p1)
	}
	declare("fx/C-3")
	p2 := call[ListIncidentsOut](t, cs, "list_major_incidents", map[string]any{"page_size": 1, "next_page_token": p1.NextPageToken})
	if len(p2.Incidents) != 1 || p2.Incidents[0].IncidentID != "MI-1" || p2.NextPageToken != "" {
		t.Fatalf("page 2 after MI-3 = %+v", p2)
	}
	if msg := callErr(t, cs, "list_major_incidents", map[string]any{"open_only": true, "next_page_token": p1.NextPageToken}); !strings.Contains(msg, "other filters") {
		t.Fatalf("token with other filters: %s", msg)
	}
}
