package tech

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/notify"
	"github.com/watchfloor/watchfloor/internal/staffing"
	"github.com/watchfloor/watchfloor/internal/store"
)

// NotifyConfig is the "tech" section of the configuration file: which
// notification channels (the notify section's) hear of sources that go
// silent or late, and how often health is judged.
type NotifyConfig struct {
	Notify []string          `yaml:"notify" json:"notify"`
	To     []string          `yaml:"to,omitempty" json:"to,omitempty"` // e-mail recipients (else the channel's)
	Every  staffing.Duration `yaml:"check_every,omitempty" json:"check_every,omitempty"`
}

// DefaultCheckEvery is how often the watcher judges health.
const DefaultCheckEvery = 5 * time.Minute

// LoadNotifyConfig reads the "tech" section of a configuration file and
// checks that its channels exist in nc.
func LoadNotifyConfig(path string, nc *notify.Config) (NotifyConfig, error) {
	var c NotifyConfig
	if err := staffing.LoadSection(path, "tech", &c); err != nil {
		return NotifyConfig{}, err
	}
	for _, ch := range c.Notify {
		if nc == nil {
			return NotifyConfig{}, fmt.Errorf("%s: tech.notify names channel %q but the file has no notify section", path, ch)
		}
		if _, err := nc.Channel(ch); err != nil {
			return NotifyConfig{}, fmt.Errorf("%s: tech.notify: %w", path, err)
		}
	}
	if c.Every < 0 {
		return NotifyConfig{}, fmt.Errorf("%s: tech.check_every: must be positive", path)
	}
	return c, nil
}

// Sender sends a message to a channel (notify.Notifier).
type Sender interface {
	Send(ctx context.Context, channel string, to []string, m notify.Message) (store.Delivery, error)
}

// SettingNotified is the store setting holding the source states last
// notified, so a restarted server does not notify them again.
const SettingNotified = "tech_notified"

// notifiable are the states that are notified when a source enters them;
// leaving them for any other state is notified as a recovery.
var notifiable = []State{Silent, Late}

// Watcher judges source health every interval and notifies each change of
// a source into or out of silent or late, once per change.
type Watcher struct {
	Service  *Service
	Sender   Sender
	Channels []string
	To       []string
	// Store keeps the states last notified (the store's settings).
	Store interface {
		Setting(ctx context.Context, name string) (string, error)
		SetSetting(ctx context.Context, name, value string) error
	}
	Log *slog.Logger
	Now func() time.Time
}

func (w *Watcher) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

// Run checks every interval until ctx ends.
func (w *Watcher) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = DefaultCheckEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := w.Check(ctx); err != nil && !errors.Is(err, context.Canceled) {
			w.Log.Error("notifying source health", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Change is a source's move into or out of a notified state.
type Change struct {
	Source   string    `json:"source"`
	From     State     `json:"from"`
	To       State     `json:"to"`
	Since    time.Time `json:"since,omitzero"`
	Expected float64   `json:"expected"`
	Seen     int64     `json:"seen"`
	Reason   string    `json:"reason"`
}

// Check judges health now, notifies the changes since the states last
// notified and records the new ones. A source first seen in a notified
// state is a change; one first seen healthy is not.
func (w *Watcher) Check(ctx context.Context) ([]Change, error) {
	h, err := w.Service.Health(ctx, HealthQuery{At: w.now()})
	if err != nil {
		return nil, err
	}
	prev := map[string]State{}
	if v, err := w.Store.Setting(ctx, SettingNotified); err != nil {
		return nil, err
	} else if v != "" {
		if err := json.Unmarshal([]byte(v), &prev); err != nil {
			return nil, fmt.Errorf("reading the source states last notified: %w", err)
		}
	}
	next := map[string]State{}
	var changes []Change
	for _, k := range h.Sources {
		st := k.State
		if !slices.Contains(notifiable, st) {
			st = Healthy // every other state is "not silent or late"
		}
		next[k.Source] = st
		was, ok := prev[k.Source]
		if !ok {
			was = Healthy
		}
		if was == st {
			continue
		}
		c := Change{Source: k.Source, From: was, To: k.State, Expected: k.Expected, Seen: k.Seen, Reason: k.Worst().Reason}
		if k.Since != nil {
			c.Since = *k.Since
		}
		changes = append(changes, c)
	}
	for _, c := range changes {
		m := message(c, h.JudgedAt)
		for _, ch := range w.Channels {
			if _, err := w.Sender.Send(ctx, ch, w.To, m); err != nil {
				// The delivery is recorded and retried by the notifier.
				w.Log.Warn("notifying a source health change", "source", c.Source, "channel", ch, "err", err)
			}
		}
	}
	if len(changes) == 0 && len(prev) == len(next) {
		return nil, nil
	}
	b, err := json.Marshal(next)
	if err != nil {
		return changes, err
	}
	return changes, w.Store.SetSetting(ctx, SettingNotified, string(b))
}

// message is a change as a notification: plain text (each channel escapes
// it), the source named as data.
func message(c Change, at time.Time) notify.Message {
	var subject, text string
	if slices.Contains(notifiable, c.To) {
		subject = fmt.Sprintf("Source %s is %s", c.Source, c.To)
		text = fmt.Sprintf("Watchfloor judged source %q %s at %s: %s", c.Source, c.To, at.UTC().Format(time.RFC3339), c.Reason)
	} else {
		subject = fmt.Sprintf("Source %s recovered (%s)", c.Source, c.To)
		text = fmt.Sprintf("Watchfloor judged source %q %s at %s; it was %s.", c.Source, c.To, at.UTC().Format(time.RFC3339), c.From)
	}
	fields := []notify.Field{{Name: "state", Value: string(c.To)}, {Name: "was", Value: string(c.From)}}
	if !c.Since.IsZero() {
		fields = append(fields, notify.Field{Name: "since", Value: c.Since.UTC().Format(time.RFC3339)})
	}
	if c.To == Silent {
		fields = append(fields, notify.Field{Name: "expected since", Value: fmt.Sprintf("%.0f alerts", c.Expected)},
			notify.Field{Name: "seen", Value: "0"})
	}
	return notify.Message{Event: "source_health.change", Subject: subject, Text: text, Fields: fields,
		Ref: "source:" + strings.TrimSpace(c.Source), Data: c}
}
