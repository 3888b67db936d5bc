package metrics_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// rebuildStore never gives the engine a stored part, of any kind, and
// stores none: every day of every report is built afresh from the case
// facts and the alert rollups kept at ingest. With an engine that adds
// alert days one by one (metrics.DayByDay) it is the oracle of what the
// engine makes of its stored day parts and spans.
type rebuildStore struct{ *store.Store }

func (s rebuildStore) RollupPart(context.Context, string, int64, string) (int64, string, bool, error) {
	return 0, "", false, nil
}

func (s rebuildStore) SaveRollupParts(context.Context, string, int64, int64, map[string]string) error {
	return nil
}

// partsDays is the span of the stored-parts test: 140 days before
// partsEnd, long enough for windows of 1 to 130 days at any end.
const partsDays = 140

var partsEnd = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)

// partsGen makes random alerts and cases over partsDays days, times to the
// microsecond (so the engine's float sums are not whole seconds), and
// remembers them so later batches can send them again changed.
type partsGen struct {
	r      *rand.Rand
	alerts []model.Alert
	cases  []model.Case
	events int
}

// at is a random instant of the span, to the microsecond.
func (g *partsGen) at() time.Time {
	return partsEnd.Add(-time.Duration(g.r.Int64N(int64(partsDays*24*time.Hour/time.Microsecond))) * time.Microsecond)
}

func (g *partsGen) micros(max time.Duration) time.Duration {
	return time.Duration(g.r.Int64N(int64(max/time.Microsecond))) * time.Microsecond
}

var partsDispositions = []model.Disposition{model.DispositionFalsePositive, model.DispositionTruePositive,
	model.DispositionBenignPositive, model.DispositionDuplicate, ""}

// batch is nAlerts alerts and nCases cases (with logs), new or sent again
// changed, on random days of the span or, with day set, on that day.
func (g *partsGen) batch(nAlerts, nCases int, day time.Time) *store.Batch {
	b := &store.Batch{}
	when := func() time.Time {
		if day.IsZero() {
			return g.at()
		}
		return day.Add(g.micros(24 * time.Hour))
	}
	for range nAlerts {
		if len(g.alerts) > 0 && g.r.IntN(5) == 0 { // sent again, changed
			al := g.alerts[g.r.IntN(len(g.alerts))]
			al.Disposition = partsDispositions[g.r.IntN(len(partsDispositions))]
			al.Severity = model.Severity(1 + g.r.IntN(5))
			b.Alerts = append(b.Alerts, al)
			continue
		}
		created := when()
		al := model.Alert{Source: "edr", ExternalID: fmt.Sprintf("a%d", len(g.alerts)), Title: "alert",
			Severity: model.Severity(1 + g.r.IntN(5)), Status: "closed", Disposition: partsDispositions[g.r.IntN(len(partsDispositions))],
			RuleID: fmt.Sprintf("R%d", g.r.IntN(12)), RuleName: fmt.Sprintf("rule %d", g.r.IntN(3)), CreatedAt: created,
			OccurredAt: created.Add(-g.micros(2 * time.Hour)), Techniques: []string{fmt.Sprintf("T10%02d", g.r.IntN(4))}}
		if len(g.cases) > 0 && g.r.IntN(3) == 0 {
			al.CaseExternalID = g.cases[g.r.IntN(len(g.cases))].ExternalID
		}
		g.alerts = append(g.alerts, al)
		b.Alerts = append(b.Alerts, al)
	}
	for range nCases {
		var c model.Case
		if len(g.cases) > 0 && g.r.IntN(4) == 0 { // more events on a stored case
			c = g.cases[g.r.IntN(len(g.cases))]
		} else {
			created := when()
			c = model.Case{Source: "edr", ExternalID: fmt.Sprintf("c%d", len(g.cases)), Title: "case",
				Priority: model.Priority(1 + g.r.IntN(4)), Stage: model.StageNew, Team: fmt.Sprintf("team %d", g.r.IntN(3)),
				CreatedAt: created, UpdatedAt: created, OccurredAt: created.Add(-g.micros(6 * time.Hour))}
			g.cases = append(g.cases, c)
			b.Cases = append(b.Cases, c)
		}
		t := c.CreatedAt.Add(g.micros(3 * time.Hour))
		for _, ev := range []struct {
			kind  model.EventKind
			value string
		}{
			{model.EventAssignee, fmt.Sprintf("analyst%d", g.r.IntN(5))}, {model.EventStage, "triage"},
			{model.EventStage, "contained"}, {model.EventStage, "resolved"},
		} {
			if g.r.IntN(6) == 0 {
				break // left open
			}
			g.events++
			b.Events = append(b.Events, model.CaseEvent{CaseSource: c.Source, CaseExternalID: c.ExternalID,
				ExternalID: fmt.Sprintf("e%d", g.events), At: t, Source: "edr", Kind: ev.kind, New: ev.value})
			t = t.Add(g.micros(8 * time.Hour))
		}
	}
	return b
}

// TestStoredPartsReportLikeARebuild: after random interleavings of new,
// changed and late alerts and cases, a batch on the last day only (the
// days a report builds in the dimensions it shows only), and a change of
// time zone, every report — of random windows, with and without a
// grouping, from a new engine (a new process) or one kept throughout (a
// server) — equals, JSON for JSON, the report of an engine that builds every
// day afresh, adds alert days one by one and stores nothing; and windows
// of 65 to 130 days are read through stored spans of up to 64 days.
func TestStoredPartsReportLikeARebuild(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		st := open()
		ctx := context.Background()
		g := &partsGen{r: rand.New(rand.NewPCG(20261206, 6))}
		mustApply(t, st, &store.Batch{SLA: []model.SLAPolicy{{Name: "std", Version: 1, EffectiveFrom: partsEnd.AddDate(0, -6, 0),
			Targets: map[model.Priority]model.SLATarget{model.P1: {Acknowledge: 30 * time.Minute, Resolve: 4 * time.Hour},
				model.P2: {Acknowledge: time.Hour, Resolve: 8 * time.Hour}, model.P3: {Acknowledge: 4 * time.Hour, Resolve: 24 * time.Hour},
				model.P4: {Acknowledge: 8 * time.Hour, Resolve: 48 * time.Hour}}}}})
		mustApply(t, st, g.batch(1500, 300, time.Time{}))
		server := &metrics.Engine{Store: st}
		oracle := metrics.DayByDay(rebuildStore{st})
		now := partsEnd.Add(2 * time.Hour)
		loc := time.UTC
		lastDay := partsEnd.AddDate(0, 0, -1)
		check := func(step int) {
			t.Helper()
			for range 6 {
				n := []int{1, 7, 12, 30, 65, 90, 130}[g.r.IntN(7)]
				end := partsEnd.AddDate(0, 0, -g.r.IntN(4)).Add(-time.Hour)
				w := metrics.WindowEnding(end, n, loc)
				by := ""
				if g.r.IntN(2) == 0 {
					by = metrics.GroupBys[g.r.IntN(len(metrics.GroupBys))]
				}
				e := &metrics.Engine{Store: st} // a new process
				if g.r.IntN(2) == 0 {
					e = server
				}
				req := metrics.Request{Window: w, GroupBy: by, Now: now}
				got, err := e.Performance(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				want, err := oracle.Performance(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				sameJSON(t, fmt.Sprintf("step %d, %d days to %s by %q: stored parts and rebuild differ", step, n, end.Format(time.DateOnly), by), got, want)
				gr, err := e.Rules(ctx, w)
				if err != nil {
					t.Fatal(err)
				}
				wr, err := oracle.Rules(ctx, w)
				if err != nil {
					t.Fatal(err)
				}
				sameJSON(t, fmt.Sprintf("step %d, rules of %d days to %s: stored parts and rebuild differ", step, n, end.Format(time.DateOnly)), gr, wr)
			}
			if t.Failed() {
				t.FailNow()
			}
		}
		check(0)
		for step := 1; step <= 8; step++ {
			switch step {
			case 3, 6: // an ingest of the last day only, as a live feed does
				mustApply(t, st, g.batch(60, 10, lastDay))
			case 5:
				if err := st.SetTimeZone(ctx, "America/New_York"); err != nil {
					t.Fatal(err)
				}
				loc, _ = time.LoadLocation("America/New_York")
			default:
				mustApply(t, st, g.batch(100+g.r.IntN(200), 5+g.r.IntN(30), time.Time{}))
			}
			check(step)
		}
		// The spans were stored: a window of 130 days holds one of 64.
		spans := 0
		for c := partsEnd.Unix()/86400 - partsDays; c < partsEnd.Unix()/86400; c++ {
			if c%64 == 0 {
				d := time.Unix(c*86400, 0).UTC()
				_, _, ok, err := st.RollupPart(ctx, store.RollupAlerts, int64(d.Year()*10000+int(d.Month())*100+d.Day()), "rules@64")
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					spans++
				}
			}
		}
		if spans == 0 {
			t.Error("no span of 64 days was stored")
		}
	})
}

func (s rebuildStore) SaveRollupSpan(context.Context, string, int64, int64, string, int64, string) error {
	return nil
}
