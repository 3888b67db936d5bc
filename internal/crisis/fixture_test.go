package crisis

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// t0 is the fixture's reference time: Monday 2026-03-02 08:00 UTC.
var t0 = utc("2026-03-02T08:00:00Z")

// clock is a settable clock for the service.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time          { return c.now }
func (c *clock) set(d time.Duration)     { c.now = t0.Add(d) }
func (c *clock) advance(d time.Duration) { c.now = c.now.Add(d) }
func minutes(n int) time.Duration        { return time.Duration(n) * time.Minute }
func hours(n float64) time.Duration      { return time.Duration(n * float64(time.Hour)) }
func atT(d time.Duration) time.Time      { return t0.Add(d) }

// result carries a call's value and error to get, which fails the test
// on an error: must(s.Declare(…)).get(t).
type result[T any] struct {
	v   T
	err error
}

func must[T any](v T, err error) result[T] { return result[T]{v, err} }

func (r result[T]) get(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}

// fill stores the fixture: three analysts with tiers and hourly costs,
// and two cases of a business-email compromise:
//
//	fx/C-1 P1, activity 06:30, created 07:00, acknowledged 07:10, contained 11:00; alerts
//	fx/C-2 P2, created 07:40, acknowledged 08:30, still investigating; alert A-3
func fill(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	b := &store.Batch{
		Analysts: []model.Analyst{
			{ExternalID: "krossi", Name: "Kofi Rossi", Tier: model.TierL3, Active: true, HourlyCost: 100},
			{ExternalID: "zzimmer", Name: "Zoe Zimmer", Tier: model.TierL2, Active: true, HourlyCost: 70},
			{ExternalID: "ann", Name: "Ann Lee", Tier: model.TierL1, Active: true, HourlyCost: 50},
		},
		Cases: []model.Case{
			{Source: "fx", ExternalID: "C-1", Title: "Mailbox rule forwards <script>alert(1)</script> to external", Priority: model.P1,
				Stage: model.StageContained, OccurredAt: atT(-90 * time.Minute), CreatedAt: atT(-hours(1)), UpdatedAt: atT(-hours(1)),
				AcknowledgedAt: atT(-minutes(50)), ContainedAt: atT(hours(3))},
			{Source: "fx", ExternalID: "C-2", Title: "Fraudulent payment request", Priority: model.P2, Stage: model.StageInvestigating,
				CreatedAt: atT(-minutes(20)), UpdatedAt: atT(-minutes(20)), AcknowledgedAt: atT(minutes(30))},
		},
	}
	if _, err := st.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	alerts := []model.Alert{
		{Source: "fx", ExternalID: "A-1", Title: "a1", CaseExternalID: "C-1", CreatedAt: atT(-hours(1))},
		{Source: "fx", ExternalID: "A-2", Title: "a2", CaseExternalID: "C-1", CreatedAt: atT(-minutes(55))},
		{Source: "fx", ExternalID: "A-3", Title: "a3", CaseExternalID: "C-2", CreatedAt: atT(-minutes(20))},
	}
	if _, err := st.Apply(ctx, &store.Batch{Alerts: alerts}); err != nil {
		t.Fatal(err)
	}
}

// engines runs test on the fixture in each store engine.
func engines(t *testing.T, test func(t *testing.T, st *store.Store)) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		st := open()
		fill(t, st)
		test(t, st)
	})
}

// newService is a service over st with a settable clock at t0.
func newService(t *testing.T, st *store.Store) (*Service, *clock) {
	t.Helper()
	c := &clock{now: t0}
	cfg := &Config{}
	if err := cfg.Prepare(); err != nil {
		t.Fatal(err)
	}
	return &Service{Store: st, Config: cfg, Now: c.Now}, c
}

var ic = Actor{Name: "krossi", Source: "test"}

// wantInvalid checks that err is a refusal mentioning want.
func wantInvalid(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", want)
	}
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q, want a refusal mentioning %q", err, want)
	}
}
