package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest"
	"github.com/watchfloor/watchfloor/internal/ingest/record"
)

// Format is the simulation as an ingest format, so the demo SOC is stored
// by the same batched, idempotent path as any real input.
func Format(cfg Config) ingest.Format {
	return ingest.Format{
		Name:        "demo",
		Description: "the simulated demo SOC",
		Parser: record.ParserFunc(func(ctx context.Context, _ io.Reader, _ string, emit record.Emit) error {
			// The synthetic intelligence feed first, so alerts are matched
			// against it as they land.
			if err := GenerateIntel(ctx, cfg, emit); err != nil {
				return err
			}
			if err := GeneratePosture(ctx, cfg, emit); err != nil {
				return err
			}
			return Generate(ctx, cfg, emit)
		}),
	}
}

// SettingLive names the store setting that records a live demo: its
// configuration, when it started, and how far it has been stored.
const SettingLive = "demo_live"

// DefaultHorizon is how far past its start a live demo is modelled.
const DefaultHorizon = 365 * 24 * time.Hour

// LiveStore is what a live demo writes to.
type LiveStore interface {
	ingest.Writer
	Setting(ctx context.Context, name string) (string, error)
	SetSetting(ctx context.Context, name, value string) error
	Counts(ctx context.Context) (map[string]int64, error)
}

// ErrNotLive is returned when the store holds data that no live demo
// wrote (real data, or a demo stored by `watchfloor demo`): a live demo
// continues only its own simulation.
var ErrNotLive = errors.New("the store holds data that the live demo did not write; the demo keeps running only in a store it filled itself " +
	"(an empty store with --demo)")

// liveState is the stored record of a live demo: the simulation's
// configuration and the last simulated instant stored.
type liveState struct {
	Seed         int64     `json:"seed"`
	HistoryDays  int       `json:"history_days"`
	AlertsPerDay int       `json:"alerts_per_day"`
	Analysts     int       `json:"analysts"`
	TimeZone     string    `json:"time_zone"`
	Start        time.Time `json:"start"`   // when the live run began: the history ends here
	Horizon      time.Time `json:"horizon"` // the simulation's end
	Through      time.Time `json:"through"` // records before this are stored
}

// Live keeps the demo SOC running in real time: one simulation (the same
// seed and model as `watchfloor demo`) covers the history before the
// start and a horizon after it, and its records are stored as the clock
// passes their time, so alerts keep arriving and cases keep moving. The
// run is recorded in the store (SettingLive), so a restarted server
// continues the same simulation where it stopped, storing what it missed.
type Live struct {
	// Config is the simulation (seed, history days, volume, analysts,
	// time zone, techniques); End is ignored: it comes from the start.
	Config Config
	Store  LiveStore
	// Horizon is how long after the start the simulation runs
	// (DefaultHorizon when zero); the live demo stops there.
	Horizon time.Duration
	// Interval is the longest a due record waits to be stored (5 s when
	// zero): the live run writes in small batches, not record by record.
	Interval time.Duration
	// OnWrite, when set, is called after each batch is stored.
	OnWrite func()
	// Matcher, when set, matches the stored alerts against the
	// threat-intelligence indicators (the demo's synthetic feed, stored
	// when the run starts).
	Matcher ingest.AlertMatcher
	Log     *slog.Logger
	// Now and Sleep are the clock (time.Now and a timer when nil).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Until, when set, ends the run once the clock passes it (for tests
	// and bounded runs).
	Until time.Time
}

func (l *Live) now() time.Time {
	if l.Now != nil {
		return l.Now().UTC()
	}
	return time.Now().UTC()
}

func (l *Live) sleep(ctx context.Context, d time.Duration) error {
	if l.Sleep != nil {
		return l.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (l *Live) log() *slog.Logger {
	if l.Log != nil {
		return l.Log
	}
	return slog.New(slog.DiscardHandler)
}

// state reads the stored live run, or starts one in an empty store.
func (l *Live) state(ctx context.Context) (liveState, error) {
	v, err := l.Store.Setting(ctx, SettingLive)
	if err != nil {
		return liveState{}, err
	}
	if v != "" {
		var st liveState
		if err := json.Unmarshal([]byte(v), &st); err != nil {
			return st, fmt.Errorf("reading the live demo's state (setting %s): %w", SettingLive, err)
		}
		return st, nil
	}
	counts, err := l.Store.Counts(ctx)
	if err != nil {
		return liveState{}, err
	}
	if counts["alerts"] > 0 || counts["cases"] > 0 {
		return liveState{}, ErrNotLive
	}
	cfg := l.Config.WithDefaults()
	horizon := l.Horizon
	if horizon <= 0 {
		horizon = DefaultHorizon
	}
	start := l.now().Truncate(time.Hour)
	st := liveState{Seed: cfg.Seed, HistoryDays: cfg.Days, AlertsPerDay: cfg.AlertsPerDay, Analysts: cfg.Analysts,
		TimeZone: cfg.TimeZone.String(), Start: start, Horizon: start.Add(horizon.Truncate(24 * time.Hour))}
	return st, l.save(ctx, st)
}

func (l *Live) save(ctx context.Context, st liveState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return l.Store.SetSetting(ctx, SettingLive, string(b))
}

// simConfig is the simulation of a live run: the history before its
// start and the horizon after it, with alerts emitted as they change.
func (l *Live) simConfig(st liveState) (Config, error) {
	loc, err := time.LoadLocation(st.TimeZone)
	if err != nil {
		return Config{}, fmt.Errorf("live demo time zone %q: %w", st.TimeZone, err)
	}
	cfg := l.Config
	cfg.Seed, cfg.AlertsPerDay, cfg.Analysts, cfg.TimeZone = st.Seed, st.AlertsPerDay, st.Analysts, loc
	cfg.End = st.Horizon
	cfg.Days = st.HistoryDays + int(st.Horizon.Sub(st.Start)/(24*time.Hour))
	cfg.Live = true
	// The runbooks are revised in the middle of the history, not of the
	// whole simulation, whose end is a horizon in the future.
	cfg.RunbookRevision = st.Start.AddDate(0, 0, -st.HistoryDays/2)
	return cfg.WithDefaults(), nil
}

// SimConfig is the simulation the live run in the store follows (its
// history, horizon and runbook revision), for what is stored beside the
// records, such as the demo's runbooks. It starts no run.
func (l *Live) SimConfig(ctx context.Context) (Config, error) {
	v, err := l.Store.Setting(ctx, SettingLive)
	if err != nil {
		return Config{}, err
	}
	if v == "" {
		return Config{}, ErrNotLive
	}
	var st liveState
	if err := json.Unmarshal([]byte(v), &st); err != nil {
		return Config{}, fmt.Errorf("reading the live demo's state (setting %s): %w", SettingLive, err)
	}
	return l.simConfig(st)
}

// timed is a record and its simulated time.
type timed struct {
	at  time.Time
	rec record.Record
}

// liveBatch is the records due and not yet stored. An alert appears once,
// in its latest version (each version is the whole alert).
type liveBatch struct {
	recs   []record.Record
	alerts map[string]int // alert id → index in recs
	last   time.Time
}

func (b *liveBatch) add(t timed) {
	if a := t.rec.Alert; a != nil {
		if b.alerts == nil {
			b.alerts = map[string]int{}
		}
		if i, ok := b.alerts[a.ExternalID]; ok {
			b.recs[i] = t.rec
			b.last = t.at
			return
		}
		b.alerts[a.ExternalID] = len(b.recs)
	}
	b.recs = append(b.recs, t.rec)
	b.last = t.at
}

// liveBatchSize is how many records a catch-up writes in one transaction.
const liveBatchSize = 10000

// Run stores the simulation up to now (the history on first start, what
// was missed after a restart), calls ready, then keeps storing records as
// their time comes until ctx ends, the clock passes Until, or the
// simulation reaches its horizon. A store holding data the live demo did
// not write returns ErrNotLive before anything is stored.
func (l *Live) Run(ctx context.Context, ready func()) error {
	st, err := l.state(ctx)
	if err != nil {
		return err
	}
	cfg, err := l.simConfig(st)
	if err != nil {
		return err
	}
	// The synthetic intelligence feed, dated from the history's end; on a
	// restart it is stored again, unchanged.
	icfg := cfg
	icfg.End, icfg.Days = st.Start, st.HistoryDays
	if _, err := ingest.RunFormat(ctx, l.Store, ingest.Format{Name: "demo-intel", Parser: record.ParserFunc(
		func(ctx context.Context, _ io.Reader, _ string, emit record.Emit) error {
			return GenerateIntel(ctx, icfg, emit)
		})},
		nil, "demo-intel", ingest.Options{}); err != nil {
		return fmt.Errorf("storing the demo's intelligence feed: %w", err)
	}
	// The posture history up to the history's end; a restart stores it
	// again, unchanged.
	if _, err := ingest.RunFormat(ctx, l.Store, ingest.Format{Name: "demo-posture", Parser: record.ParserFunc(
		func(ctx context.Context, _ io.Reader, _ string, emit record.Emit) error {
			return GeneratePosture(ctx, icfg, emit)
		})},
		nil, "demo-posture", ingest.Options{}); err != nil {
		return fmt.Errorf("storing the demo's posture findings: %w", err)
	}
	interval := l.Interval
	if interval <= 0 {
		interval = 5 * time.Second
	}
	l.log().Info("live demo", "seed", cfg.Seed, "start", st.Start.Format(time.RFC3339), "horizon", st.Horizon.Format(time.RFC3339),
		"stored_through", st.Through.Format(time.RFC3339))

	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	recs := make(chan timed, 4096)
	genErr := make(chan error, 1)
	go func() {
		defer close(recs)
		genErr <- generateTimed(gctx, cfg, func(at int64, r record.Record) error {
			if a := r.Alert; a != nil && a.CreatedAt.Before(st.Start) {
				// The history is stored as if Watchfloor had been running
				// then: ingested a pipeline's lag after creation.
				a.IngestedAt = a.CreatedAt.Add(PipelineLag(a.ExternalID))
			}
			select {
			case recs <- timed{at: ms(at), rec: r}:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		})
	}()

	var b liveBatch
	caughtUp := false
	lastWrite := l.now()
	flush := func() error {
		if len(b.recs) == 0 {
			return nil
		}
		batch := b.recs
		sum, err := ingest.RunFormat(ctx, l.Store, ingest.Format{Name: "demo", Parser: record.ParserFunc(
			func(_ context.Context, _ io.Reader, _ string, emit record.Emit) error {
				for _, r := range batch {
					if err := emit(r); err != nil {
						return err
					}
				}
				return nil
			})}, nil, "demo-live", ingest.Options{BatchSize: liveBatchSize, Matcher: l.Matcher})
		if err != nil {
			return fmt.Errorf("storing the live demo: %w", err)
		}
		st.Through = b.last
		if err := l.save(ctx, st); err != nil {
			return err
		}
		if caughtUp {
			l.log().Debug("live demo stored", "records", sum.Records, "through", st.Through.Format(time.RFC3339))
		}
		b = liveBatch{}
		lastWrite = l.now()
		if l.OnWrite != nil {
			l.OnWrite()
		}
		return nil
	}
	markReady := func() error {
		if caughtUp {
			return nil
		}
		if err := flush(); err != nil {
			return err
		}
		caughtUp = true
		l.log().Info("live demo caught up", "through", st.Through.Format(time.RFC3339))
		if ready != nil {
			ready()
		}
		return nil
	}
	for t := range recs {
		if t.at.Before(st.Through) {
			continue // stored before a restart
		}
		now := l.now()
		if !l.Until.IsZero() && t.at.After(l.Until) {
			break
		}
		if t.at.After(now) {
			if err := markReady(); err != nil {
				return err
			}
			// Store what is due, then wait for this record's time (at
			// least the interval since the last write, so records are
			// written in small batches).
			if err := flush(); err != nil {
				return err
			}
			wake := t.at
			if next := lastWrite.Add(interval); next.After(wake) {
				wake = next
			}
			if !l.Until.IsZero() && wake.After(l.Until) {
				wake = l.Until
			}
			if err := l.sleep(ctx, wake.Sub(now)); err != nil {
				return nil // ctx ended: a normal stop
			}
			if !l.Until.IsZero() && t.at.After(l.Until) {
				break
			}
		}
		b.add(t)
		if len(b.recs) >= liveBatchSize {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	cancel()
	if err := flush(); err != nil {
		return err
	}
	if err := markReady(); err != nil {
		return err
	}
	if err := <-genErr; err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("running the live demo: %w", err)
	}
	if ctx.Err() == nil && (l.Until.IsZero() || l.Until.After(st.Horizon)) {
		l.log().Warn("the live demo reached the end of its simulation", "horizon", st.Horizon.Format(time.RFC3339))
	}
	return nil
}
