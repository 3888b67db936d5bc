package tech_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/notify"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
	"github.com/watchfloor/watchfloor/internal/tech"
)

type sent struct {
	channel string
	m       notify.Message
}

type fakeSender struct{ got []sent }

func (f *fakeSender) Send(_ context.Context, ch string, _ []string, m notify.Message) (store.Delivery, error) {
	f.got = append(f.got, sent{ch, m})
	return store.Delivery{}, nil
}

// steady stores a source sending every two minutes over [from, to).
func steady(t *testing.T, st *store.Store, src string, from, to time.Time) {
	t.Helper()
	var b store.Batch
	for at := from; at.Before(to); at = at.Add(2 * time.Minute) {
		b.Alerts = append(b.Alerts, model.Alert{Source: src, ExternalID: fmt.Sprint(at.Unix()), RuleID: "R1", CreatedAt: at, IngestedAt: at.Add(20 * time.Second)})
	}
	if _, err := st.Apply(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
}

// TestWatcherNotifiesChanges: a source that goes silent is notified once
// on every channel, not again while it stays silent, and its recovery is
// notified; a source that stays healthy never is.
func TestWatcherNotifiesChanges(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, storetest.SQLitePath(t))
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	steady(t, st, "edr", now.Add(-28*24*time.Hour), now.Add(-time.Hour))
	steady(t, st, "proxy", now.Add(-28*24*time.Hour), now)
	clock := now
	fs := &fakeSender{}
	w := &tech.Watcher{Service: &tech.Service{Store: st}, Sender: fs, Channels: []string{"soc-slack", "soc-mail"}, Store: st,
		Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return clock }}
	changes, err := w.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1 || changes[0].Source != "edr" || changes[0].To != tech.Silent || len(fs.got) != 2 {
		t.Fatalf("changes %+v, sent %+v", changes, fs.got)
	}
	m := fs.got[0].m
	if fs.got[0].channel != "soc-slack" || fs.got[1].channel != "soc-mail" || m.Subject != "Source edr is silent" || m.Event != "source_health.change" ||
		!strings.Contains(m.Text, "no alert since 2026-03-10T10:58:00Z") {
		t.Errorf("message %+v", m)
	}
	// Five minutes later: still silent, nothing new.
	clock = now.Add(5 * time.Minute)
	if changes, err := w.Check(ctx); err != nil || len(changes) != 0 || len(fs.got) != 2 {
		t.Fatalf("still silent: %+v %v (%d sent)", changes, err, len(fs.got))
	}
	// The connector is back and delivers the backlog: recovered.
	steady(t, st, "edr", now.Add(-time.Hour), now.Add(5*time.Minute))
	clock = now.Add(6 * time.Minute)
	changes, err = w.Check(ctx)
	if err != nil || len(changes) != 1 || changes[0].From != tech.Silent || len(fs.got) != 4 || !strings.Contains(fs.got[2].m.Subject, "recovered") {
		t.Fatalf("recovery: %+v %v %+v", changes, err, fs.got)
	}
}

func TestLoadNotifyConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := dir + "/c.yaml"
		if err := writeFile(p, s); err != nil {
			t.Fatal(err)
		}
		return p
	}
	nc := &notify.Config{Channels: []notify.Channel{{Name: "soc-slack", Kind: notify.Slack, URLEnv: "X"}}}
	c, err := tech.LoadNotifyConfig(write("tech:\n  notify: [soc-slack]\n  check_every: 2m\n"), nc)
	if err != nil || len(c.Notify) != 1 || time.Duration(c.Every) != 2*time.Minute {
		t.Errorf("%+v %v", c, err)
	}
	if _, err := tech.LoadNotifyConfig(write("tech:\n  notify: [pager]\n"), nc); err == nil || !strings.Contains(err.Error(), `unknown channel "pager"`) {
		t.Errorf("unknown channel: %v", err)
	}
	if _, err := tech.LoadNotifyConfig(write("tech:\n  notfy: [soc-slack]\n"), nc); err == nil || !strings.Contains(err.Error(), "notfy") {
		t.Errorf("misspelt key: %v", err)
	}
}

func writeFile(p, s string) error { return os.WriteFile(p, []byte(s), 0o600) }
