package metrics

import (
	"context"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// TestResolveExplicitWindow checks how an explicit --from/--to is read:
// the window it gives, and an error naming the field and the reason for
// each kind of bad input, a mistyped day before a missing partner.
func TestResolveExplicitWindow(t *testing.T) {
	st := storetest.Open(t, storetest.SQLitePath(t))
	now := func() time.Time { return time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC) }
	svc := NewService(st, now)
	cases := []struct {
		from, to string
		want     Window // when err is ""
		err      string
	}{
		{"2026-11-01", "2026-11-30", Window{From: utcDay(2026, 11, 1), To: utcDay(2026, 12, 1)}, ""},
		{"2026-11-30", "2026-11-30", Window{From: utcDay(2026, 11, 30), To: utcDay(2026, 12, 1)}, ""},
		{"2026-11-31", "2026-12-01", Window{}, `from: "2026-11-31" is not a day (day out of range)`},
		{"2026-11-31", "", Window{}, `from: "2026-11-31" is not a day (day out of range)`},
		{"", "2026-13-01", Window{}, `to: "2026-13-01" is not a day (month out of range)`},
		{"26-11-01", "2026-12-01", Window{}, `from: "26-11-01" is not a YYYY-MM-DD day`},
		{"2026-11-01", "", Window{}, "from: from and to go together: give both days, or neither for the timeframe's window"},
		{"", "2026-11-01", Window{}, "from: from and to go together: give both days, or neither for the timeframe's window"},
		{"2026-11-02", "2026-11-01", Window{}, "to: 2026-11-01 is before from 2026-11-02"},
	}
	for _, c := range cases {
		r, err := svc.Resolve(context.Background(), WindowQuery{From: c.from, To: c.to})
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("from %q to %q: error %v, want %q", c.from, c.to, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("from %q to %q: %v", c.from, c.to, err)
			continue
		}
		if !r.Window.From.Equal(c.want.From) || !r.Window.To.Equal(c.want.To) {
			t.Errorf("from %q to %q: window %v–%v, want %v–%v", c.from, c.to, r.Window.From, r.Window.To, c.want.From, c.want.To)
		}
	}
}

func utcDay(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
