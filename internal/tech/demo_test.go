package tech_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/demo"
	"github.com/watchfloor/watchfloor/internal/demo/demotest"
	"github.com/watchfloor/watchfloor/internal/runbook"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
	"github.com/watchfloor/watchfloor/internal/tech"
)

// demoStore is a SQLite store holding the demo SOC of cfg.
func demoStore(t testing.TB, cfg demo.Config) *store.Store {
	t.Helper()
	st := storetest.Open(t, storetest.SQLitePath(t))
	cfg = cfg.WithDefaults()
	demotest.Records(t, st, cfg, nil)
	return st
}

// memStore serves a store's rollups from memory, read once, so a test can
// judge hundreds of instants without reading the weeks again each time.
type memStore struct {
	hours []store.SourceHour
	rules []store.SourceRuleDay
	pairs []store.SourceRule
	infos []runbook.RuleInfo
}

func loadMem(t *testing.T, st *store.Store) *memStore {
	ctx := context.Background()
	m := &memStore{}
	var err error
	if m.hours, err = st.SourceHours(ctx, 0, 1<<40); err != nil {
		t.Fatal(err)
	}
	if m.rules, err = st.SourceRuleDays(ctx, 0, 1<<40); err != nil {
		t.Fatal(err)
	}
	if m.pairs, err = st.SourceRules(ctx); err != nil {
		t.Fatal(err)
	}
	if m.infos, err = st.RuleInfos(ctx); err != nil {
		t.Fatal(err)
	}
	sort.Slice(m.rules, func(i, j int) bool { return m.rules[i].Day < m.rules[j].Day })
	return m
}

func (m *memStore) SourceHours(_ context.Context, from, to int64) ([]store.SourceHour, error) {
	var out []store.SourceHour
	for _, h := range m.hours {
		if h.Hour >= from && h.Hour < to {
			out = append(out, h)
		}
	}
	return out, nil
}

func (m *memStore) SourceRuleDays(_ context.Context, from, to int64) ([]store.SourceRuleDay, error) {
	i := sort.Search(len(m.rules), func(i int) bool { return m.rules[i].Day >= from })
	j := sort.Search(len(m.rules), func(i int) bool { return m.rules[i].Day >= to })
	return m.rules[i:j], nil
}

// SourceRules is what the store would have said at the time judged: the
// service clips the newest alert to the instant judged.
func (m *memStore) SourceRules(context.Context) ([]store.SourceRule, error) { return m.pairs, nil }
func (m *memStore) RuleInfos(context.Context) ([]runbook.RuleInfo, error)   { return m.infos, nil }
func (m *memStore) TimeZone(context.Context) (*time.Location, error)        { return time.UTC, nil }

// TestDemoHasNoFalseAlarms judges the demo's steady source every 11 hours
// (so every hour of the week comes round) from its fourth week, when the
// baseline has three past weeks, to its end: it is never anything but
// healthy. Rules may be noisy when an incident or a drill fires them.
func TestDemoHasNoFalseAlarms(t *testing.T) {
	if testing.Short() {
		t.Skip("stores the 90-day demo")
	}
	end := time.Date(2026, 3, 10, 11, 0, 0, 0, time.UTC)
	st := demoStore(t, demo.Config{End: end})
	svc := &tech.Service{Store: loadMem(t, st)}
	ruleAlarms := map[tech.State]int{}
	judged := 0
	for at := end.AddDate(0, 0, -90+22); !at.After(end); at = at.Add(11*time.Hour + 17*time.Minute) {
		rep, err := svc.Health(context.Background(), tech.HealthQuery{At: at})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Sources) != 1 {
			t.Fatalf("%s: sources %+v", at, rep.Sources)
		}
		if s := rep.Sources[0]; s.State != tech.Healthy {
			t.Errorf("%s (%s): demo is %s: %+v", at.Format(time.RFC3339), at.Weekday(), s.State, s.Conditions)
		}
		for _, r := range rep.Rules {
			if r.State.Alarm() {
				ruleAlarms[r.State]++
				if r.State != tech.Noisy {
					t.Errorf("%s: rule %s is %s: %+v", at.Format(time.RFC3339), r.Rule, r.State, r.Conditions)
				}
			}
		}
		judged++
	}
	t.Logf("judged %d instants; rule alarms %v", judged, ruleAlarms)
}

// TestDemoSilencedSource mutes the demo's source for its last hour: judged
// at the end it is silent since its last alert, with the evidence.
func TestDemoSilencedSource(t *testing.T) {
	if testing.Short() {
		t.Skip("stores a demo")
	}
	end := time.Date(2026, 3, 10, 11, 0, 0, 0, time.UTC)
	st := demoStore(t, demo.Config{End: end, Days: 28, AlertsPerDay: 2000, Mute: &demo.Mute{Source: demo.Source, From: end.Add(-time.Hour)}})
	rep, err := (&tech.Service{Store: st}).Health(context.Background(), tech.HealthQuery{At: end})
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Sources[0]
	if s.State != tech.Silent || s.Since == nil || !s.Since.Before(end.Add(-time.Hour)) || !s.Since.Equal(s.Last) || s.Seen != 0 || s.Expected < 50 {
		t.Errorf("muted source: %+v", s)
	}
	if rep.SourceStates[tech.Silent] != 1 {
		t.Errorf("states %v", rep.SourceStates)
	}
}

func (m *memStore) Feeds(context.Context) ([]store.IntelFeed, error) { return nil, nil }
func (m *memStore) ImportedRules(context.Context) ([]store.ImportedRule, error) {
	return nil, nil
}

func (m *memStore) Setting(context.Context, string) (string, error) { return "", nil }

// TestLiveDemoSilenceSwitch runs the live demo as `serve --demo
// --demo-silence demo` does: 28 days of history (stored as if ingested
// 20–80 s after creation), then an hour of live time with the source
// muted from the start. Judged at the start the source is healthy (not
// late: the history's lag is the simulated pipeline's); an hour later it
// is silent since its last alert before the switch.
func TestLiveDemoSilenceSwitch(t *testing.T) {
	if testing.Short() {
		t.Skip("stores a demo")
	}
	st := storetest.Open(t, storetest.SQLitePath(t))
	t0 := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
	clock := t0
	run := func(until time.Time) {
		l := &demo.Live{Config: demo.Config{Days: 28, AlertsPerDay: 1500, Analysts: 8, Mute: &demo.Mute{Source: demo.Source, From: t0}},
			Store: st, Horizon: 48 * time.Hour, Until: until, Now: func() time.Time { return clock },
			Sleep: func(ctx context.Context, d time.Duration) error { clock = clock.Add(d); return ctx.Err() }}
		if err := l.Run(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	}
	run(t0)
	svc := &tech.Service{Store: st}
	rep, err := svc.Health(context.Background(), tech.HealthQuery{At: t0})
	if err != nil {
		t.Fatal(err)
	}
	if s := rep.Sources[0]; s.State != tech.Healthy || s.UsualLag < 20*time.Second || s.UsualLag > 80*time.Second {
		t.Fatalf("at the switch: %s, usual lag %v: %+v", s.State, s.UsualLag, s.Conditions)
	}
	run(t0.Add(time.Hour))
	rep, err = (&tech.Service{Store: st}).Health(context.Background(), tech.HealthQuery{At: clock})
	if err != nil {
		t.Fatal(err)
	}
	if s := rep.Sources[0]; s.State != tech.Silent || s.Since == nil || s.Since.After(t0) || s.Since.Before(t0.Add(-10*time.Minute)) {
		t.Errorf("an hour after the switch: %s since %v: %+v", s.State, s.Since, s.Conditions)
	}
}
