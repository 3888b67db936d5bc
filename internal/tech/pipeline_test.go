package tech_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
	"github.com/watchfloor/watchfloor/internal/tech"
)

func TestJudgeFeed(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	created := now.Add(-72 * time.Hour)
	for _, c := range []struct {
		name  string
		feed  store.IntelFeed
		state string
		since time.Time
	}{
		{"pulled an hour ago", store.IntelFeed{Enabled: true, Interval: 6 * time.Hour, LastSuccess: now.Add(-time.Hour), CreatedAt: created}, tech.FeedOK, time.Time{}},
		{"within two intervals and the grace", store.IntelFeed{Enabled: true, Interval: 6 * time.Hour, LastSuccess: now.Add(-12*time.Hour - 4*time.Minute), CreatedAt: created}, tech.FeedOK, time.Time{}},
		{"past them", store.IntelFeed{Enabled: true, Interval: 6 * time.Hour, LastSuccess: now.Add(-12*time.Hour - 6*time.Minute), CreatedAt: created}, tech.FeedOverdue, now.Add(-12*time.Hour - 6*time.Minute)},
		{"never pulled", store.IntelFeed{Enabled: true, Interval: 6 * time.Hour, CreatedAt: created}, tech.FeedOverdue, created},
		{"just added", store.IntelFeed{Enabled: true, Interval: 6 * time.Hour, CreatedAt: now.Add(-time.Minute)}, tech.FeedOK, time.Time{}},
		{"last pull failed", store.IntelFeed{Enabled: true, Interval: 6 * time.Hour, LastSuccess: now.Add(-2 * time.Hour), Failures: 1, LastError: "HTTP 401", CreatedAt: created}, tech.FeedFailing, now.Add(-2 * time.Hour)},
		{"disabled", store.IntelFeed{Interval: 6 * time.Hour, CreatedAt: created}, tech.FeedDisabled, time.Time{}},
	} {
		got := tech.JudgeFeed(c.feed, now)
		if got.State != c.state || (got.Since == nil) != c.since.IsZero() || got.Since != nil && !got.Since.Equal(c.since) {
			t.Errorf("%s: %+v, want %s since %v", c.name, got, c.state, c.since)
		}
	}
}

// TestPipeline stores a source whose rule R1 fires every hour and whose R2
// fired daily until four days ago, imported content with a rule that
// matches R1 by id, one that matches R2 by name and one that never fired,
// and a feed whose last pull failed.
func TestPipeline(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		ctx := context.Background()
		st := open()
		now := time.Date(2026, 3, 10, 12, 30, 0, 0, time.UTC)
		start := now.Add(-40 * 24 * time.Hour).Truncate(time.Hour)
		var b store.Batch
		b.Rules = []model.Rule{{Source: "edr", ExternalID: "R2", Name: "Registry Run Key", Enabled: true}}
		n := 0
		for at := start; at.Before(now); at = at.Add(time.Hour) {
			n++
			b.Alerts = append(b.Alerts, model.Alert{Source: "edr", ExternalID: "h" + at.Format("20060102T15"), RuleID: "R1", CreatedAt: at.Add(time.Minute),
				IngestedAt: at.Add(time.Minute + 30*time.Second)})
			if at.Hour() == 12 && at.Before(now.Add(-4*24*time.Hour)) {
				b.Alerts = append(b.Alerts, model.Alert{Source: "edr", ExternalID: "d" + at.Format("20060102"), RuleID: "R2", CreatedAt: at.Add(2 * time.Minute),
					IngestedAt: at.Add(3 * time.Minute)})
			}
		}
		if _, err := st.Apply(ctx, &b); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SaveImportedRules(ctx, []store.ImportedRule{
			{Rule: model.Rule{Source: "sigma", ExternalID: "r1", Name: "Hourly", Status: "stable", Enabled: true}, Hash: "a"},
			{Rule: model.Rule{Source: "sigma", ExternalID: "x-2", Name: "registry run key", Status: "test", Enabled: true}, Hash: "b"},
			{Rule: model.Rule{Source: "sigma", ExternalID: "x-3", Name: "Never Seen", Status: "experimental", Enabled: true}, Hash: "c"},
			{Rule: model.Rule{Source: "sigma", ExternalID: "x-4", Name: "Old", Status: "deprecated", Enabled: true}, Hash: "d"},
		}, now); err != nil {
			t.Fatal(err)
		}
		if err := st.SaveFeed(ctx, store.IntelFeed{Name: "misp-main", Kind: "misp", URL: "https://misp.example/feed", Interval: 6 * time.Hour, IntervalSeconds: 21600, Enabled: true}, now.Add(-48*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := st.FinishFeed(ctx, "misp-main", store.FeedOutcome{At: now.Add(-time.Hour), Err: errors.New("HTTP 401 Unauthorized"), NextRun: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		rep, err := (&tech.Service{Store: st}).Pipeline(ctx, tech.HealthQuery{At: now})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Stopped) != 1 || rep.Stopped[0].Rule != "R2" || rep.Stopped[0].State != tech.Stopped || rep.Stopped[0].RuleName != "Registry Run Key" {
			t.Errorf("stopped %+v", rep.Stopped)
		}
		if len(rep.Jumped) != 0 {
			t.Errorf("jumped %+v", rep.Jumped)
		}
		if rep.ImportedRules != 4 || len(rep.NeverFired) != 1 || rep.NeverFired[0].ID != "x-3" {
			t.Errorf("imported %d, never fired %+v", rep.ImportedRules, rep.NeverFired)
		}
		if len(rep.Feeds) != 1 || rep.Feeds[0].State != tech.FeedFailing || rep.Feeds[0].Reason != "the last 1 pull failed: HTTP 401 Unauthorized" || rep.FeedStates[tech.FeedFailing] != 1 {
			t.Errorf("feeds %+v", rep.Feeds)
		}
	})
}
