package metrics_test

import (
	"cmp"
	"context"
	"encoding/csv"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest"
	"github.com/watchfloor/watchfloor/internal/kpi/sketch"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/shareddata"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// The ServiceNow cross-check recomputes MTTR per priority and the made-SLA
// rate straight from the CSV with encoding/csv, following the definitions
// documented in package servicenow and the store, without using either:
//
//   - An incident's rows are ordered by (sys_updated_at, sys_mod_count,
//     file line), and a row repeating an earlier row's sys_mod_count and
//     every value except sys_updated_by/sys_updated_at is dropped (a
//     revision logged twice).
//   - The case is created at the first row's opened_at. The first row is the
//     initial snapshot: if its state is already past New, the store logs
//     that stage at the row's sys_updated_at.
//   - Each later row whose stage (New → new, Resolved → resolved, Closed →
//     closed, anything else → investigating) differs from the previous
//     row's logs a stage change. A move into Closed is dated by its row's
//     sys_updated_at. A move into Resolved is dated by the row's
//     resolved_at when that is present, not before the previous row's
//     sys_updated_at and not after the sys_updated_at of the first later
//     row that is no longer Resolved (the end of the resolved spell);
//     otherwise by its row's sys_updated_at.
//   - MTTR (first close) is the earliest change into resolved or closed
//     minus opened_at; a negative value (rows dated before opened_at) is
//     clamped to 0 and counted. An incident never resolved or closed is open.
//   - The case's priority is that of its last row ("1 - Critical" → P1 …).
//   - made_sla is read from the last row.
//
// A single-row incident would be its snapshot with resolved_at/closed_at as
// milestones; the sample has none, and the test checks that.
type snowRow struct {
	line                     int
	f                        []string
	number, state            string
	mod                      int64
	updated, opened, resolve time.Time
}

type snowIncident struct {
	number   string
	opened   time.Time
	priority string // "P1" …
	mttr     float64
	clamped  bool
	open     bool
	madeSLA  string // of the last row
}

func snowTime(t *testing.T, v string) time.Time {
	t.Helper()
	if v == "?" || v == "" {
		return time.Time{}
	}
	tm, err := time.ParseInLocation("02-01-2006 15:04", v, time.UTC)
	if err != nil {
		t.Fatalf("time %q: %v", v, err)
	}
	return tm
}

func snowStage(state string) string {
	switch state {
	case "New":
		return "new"
	case "Resolved":
		return "resolved"
	case "Closed":
		return "closed"
	}
	return "investigating"
}

func readServiceNow(t *testing.T, path string) []snowIncident {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	hdr, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range hdr {
		col[h] = i
	}
	byNumber := map[string][]*snowRow{}
	var order []string
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		mod, err := strconv.ParseInt(rec[col["sys_mod_count"]], 10, 64)
		if err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		row := &snowRow{line: line, f: rec, number: rec[col["number"]], state: rec[col["incident_state"]], mod: mod,
			updated: snowTime(t, rec[col["sys_updated_at"]]), opened: snowTime(t, rec[col["opened_at"]]),
			resolve: snowTime(t, rec[col["resolved_at"]])}
		if _, ok := byNumber[row.number]; !ok {
			order = append(order, row.number)
		}
		byNumber[row.number] = append(byNumber[row.number], row)
	}

	var out []snowIncident
	for _, num := range order {
		rows := byNumber[num]
		slices.SortStableFunc(rows, func(a, b *snowRow) int {
			if c := a.updated.Compare(b.updated); c != 0 {
				return c
			}
			if c := cmp.Compare(a.mod, b.mod); c != 0 {
				return c
			}
			return cmp.Compare(a.line, b.line)
		})
		var kept []*snowRow
		seen := map[string]bool{}
		for _, r := range rows {
			var parts []string
			for i, v := range r.f {
				if i != col["sys_updated_at"] && i != col["sys_updated_by"] {
					parts = append(parts, v)
				}
			}
			key := strings.Join(parts, "\x00") // includes sys_mod_count
			if !seen[key] {
				seen[key] = true
				kept = append(kept, r)
			}
		}
		if len(kept) == 1 {
			t.Fatalf("%s has a single row; the independent computation does not model single-row snapshots", num)
		}
		inc := snowIncident{number: num, opened: kept[0].opened}
		last := kept[len(kept)-1]
		inc.priority = "P" + strings.TrimSpace(strings.SplitN(last.f[col["priority"]], "-", 2)[0])
		inc.madeSLA = last.f[col["made_sla"]]

		var firstDone time.Time
		done := func(at time.Time) {
			if firstDone.IsZero() || at.Before(firstDone) {
				firstDone = at
			}
		}
		if st := snowStage(kept[0].state); st == "resolved" || st == "closed" {
			done(kept[0].updated)
		}
		for i := 1; i < len(kept); i++ {
			prev, cur := snowStage(kept[i-1].state), snowStage(kept[i].state)
			if cur == prev {
				continue
			}
			switch cur {
			case "closed":
				done(kept[i].updated)
			case "resolved":
				at := kept[i].updated
				if r := kept[i].resolve; !r.IsZero() && !r.Before(kept[i-1].updated) {
					at = r
					for _, later := range kept[i+1:] {
						if later.state != "Resolved" {
							if r.After(later.updated) {
								at = kept[i].updated
							}
							break
						}
					}
				}
				done(at)
			}
		}
		if firstDone.IsZero() {
			inc.open = true
		} else {
			d := firstDone.Sub(inc.opened).Seconds()
			if d < 0 {
				d, inc.clamped = 0, true
			}
			inc.mttr = d
		}
		out = append(out, inc)
	}
	return out
}

type snowGroup struct {
	values                []float64
	sum                   float64
	open, clamped, n, met int64
}

func TestServiceNowCrossCheck(t *testing.T) {
	path := shareddata.Path(t, "servicenow-incidents", "incident_event_log.csv")
	incs := readServiceNow(t, path)
	if len(incs) != 890 {
		t.Fatalf("%d incidents in the sample, want 890", len(incs))
	}
	groups := map[string]*snowGroup{}
	var from, to time.Time
	for _, inc := range incs {
		g := groups[inc.priority]
		if g == nil {
			g = &snowGroup{}
			groups[inc.priority] = g
		}
		g.n++
		if inc.madeSLA == "TRUE" {
			g.met++
		}
		switch {
		case inc.open:
			g.open++
		default:
			g.values = append(g.values, inc.mttr)
			g.sum += inc.mttr
			if inc.clamped {
				g.clamped++
			}
		}
		if from.IsZero() || inc.opened.Before(from) {
			from = inc.opened
		}
		if inc.opened.After(to) {
			to = inc.opened
		}
	}
	w := metrics.Window{From: from.Truncate(24 * time.Hour), To: to.Truncate(24*time.Hour).AddDate(0, 0, 1)}

	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		st := open()
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sum, err := ingest.Run(context.Background(), st, f, "incident_event_log.csv", ingest.Options{})
		if err != nil {
			t.Fatalf("ingest: %v (%s)", err, sum)
		}
		rep := perf(t, st, metrics.Request{Window: w, GroupBy: metrics.ByPriority})
		if got := groupNames(rep); !slices.Equal(got, []string{"P1", "P2", "P3", "P4"}) {
			t.Fatalf("priority groups %q", got)
		}
		for _, name := range []string{"P1", "P2", "P3", "P4"} {
			want := groups[name]
			got := kpiOf(t, group(t, rep, name), metrics.MTTR)
			sorted := slices.Clone(want.values)
			sort.Float64s(sorted)
			n := float64(len(sorted))
			exactMedian := sketch.ExactQuantile(sorted, 0.5)
			t.Logf("%s: %d incidents, MTTR n=%d mean %.1f s median %.0f s (engine %.1f / %.0f), open %d, clamped %d",
				name, want.n, len(sorted), want.sum/n, exactMedian, val(got.Mean), val(got.Median), want.open, want.clamped)
			if got.Count != int64(len(sorted)) || got.Open != want.open || got.Clamped != want.clamped || got.Missing != 0 {
				t.Errorf("%s MTTR: count %d open %d clamped %d missing %d, want %d %d %d 0",
					name, got.Count, got.Open, got.Clamped, got.Missing, len(sorted), want.open, want.clamped)
			}
			// Every duration is whole minutes, so the mean is exact to the second.
			if diff := val(got.Mean) - want.sum/n; !(diff <= 1e-6 && diff >= -1e-6) {
				t.Errorf("%s MTTR mean %.6f s, want %.6f s", name, val(got.Mean), want.sum/n)
			}
			if !within(val(got.Median), exactMedian) {
				t.Errorf("%s MTTR median %.1f s, want %.1f s ±1%%", name, val(got.Median), exactMedian)
			}
			if exact := sketch.ExactQuantile(sorted, 0.9); !within(val(got.P90), exact) {
				t.Errorf("%s MTTR p90 %.1f s, want %.1f s ±1%%", name, val(got.P90), exact)
			}
		}
	})
}

// TestServiceNowMadeSLA computes the share of incidents whose last row says
// made_sla = TRUE, per priority, and checks that the store kept that value
// as each case's "made_sla" attribute and that the engine's source SLA
// (GroupResult.SourceSLA) reports exactly those rates.
func TestServiceNowMadeSLA(t *testing.T) {
	path := shareddata.Path(t, "servicenow-incidents", "incident_event_log.csv")
	incs := readServiceNow(t, path)
	wantAttr := map[string]string{}
	made := map[string][2]int64{} // priority → made, incidents
	for _, inc := range incs {
		wantAttr[inc.number] = inc.madeSLA
		m := made[inc.priority]
		if inc.madeSLA == "TRUE" {
			m[0]++
		}
		m[1]++
		made[inc.priority] = m
		a := made["all"]
		if inc.madeSLA == "TRUE" {
			a[0]++
		}
		a[1]++
		made["all"] = a
	}
	for _, p := range []string{"all", "P1", "P2", "P3", "P4"} {
		t.Logf("made_sla rate %s: %d / %d = %.4f", p, made[p][0], made[p][1], float64(made[p][0])/float64(made[p][1]))
	}
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		st := open()
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if sum, err := ingest.Run(context.Background(), st, f, "incident_event_log.csv", ingest.Options{}); err != nil {
			t.Fatalf("ingest: %v (%s)", err, sum)
		}
		cs, err := st.Cases(context.Background(), store.CaseFilter{Source: "servicenow", Limit: 10000})
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != len(wantAttr) {
			t.Fatalf("%d cases stored, want %d", len(cs), len(wantAttr))
		}
		for _, c := range cs {
			if got := c.Attributes["made_sla"]; got != wantAttr[c.ExternalID] {
				t.Errorf("%s: made_sla attribute %q, want %q (last row)", c.ExternalID, got, wantAttr[c.ExternalID])
			}
		}
		var from, to time.Time
		for _, c := range cs {
			if from.IsZero() || c.CreatedAt.Before(from) {
				from = c.CreatedAt
			}
			if c.CreatedAt.After(to) {
				to = c.CreatedAt
			}
		}
		w := metrics.Window{From: from.Truncate(24 * time.Hour), To: to.Truncate(24*time.Hour).AddDate(0, 0, 1)}
		for _, groupBy := range []string{"", metrics.ByPriority} {
			rep := perf(t, st, metrics.Request{Window: w, GroupBy: groupBy})
			for _, g := range rep.Groups {
				want := made[g.Group]
				if g.SourceSLA == nil {
					t.Errorf("%s: no source SLA", g.Group)
					continue
				}
				if g.SourceSLA.Met != want[0] || g.SourceSLA.Met+g.SourceSLA.Breached != want[1] ||
					!(math.Abs(val(g.SourceSLA.Adherence)-float64(want[0])/float64(want[1])) <= 1e-12) {
					t.Errorf("%s: source SLA %+v, want %d of %d", g.Group, *g.SourceSLA, want[0], want[1])
				}
			}
		}
	})
}
