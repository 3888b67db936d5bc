package cli

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/demo"
	"github.com/watchfloor/watchfloor/internal/store"
)

func benchDemo(b *testing.B, cfg demo.Config) {
	cfg.End = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	a := &app{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	var alerts int
	for b.Loop() {
		b.StopTimer()
		st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "demo.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		sum, err := a.runDemo(context.Background(), st, cfg)
		if err != nil {
			b.Fatal(err)
		}
		alerts = sum.Inserted[store.KindAlert]
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(alerts), "alerts")
	b.ReportMetric(float64(alerts*b.N)/b.Elapsed().Seconds(), "alerts/s")
}

// BenchmarkDemo90Days generates and stores the default demo SOC (90 days,
// about 4,000 alerts a day) in a fresh SQLite store.
func BenchmarkDemo90Days(b *testing.B) { benchDemo(b, demo.Config{}) }

// BenchmarkDemo1MAlerts stores a 9-day demo with about 1 million alerts.
func BenchmarkDemo1MAlerts(b *testing.B) {
	benchDemo(b, demo.Config{Days: 9, AlertsPerDay: 111112, Analysts: 400})
}

// BenchmarkDemo10MAlerts stores the scale fixture of later benchmarks:
// 90 days at about 111,000 alerts a day (10 million alerts).
func BenchmarkDemo10MAlerts(b *testing.B) {
	benchDemo(b, demo.Config{Days: 90, AlertsPerDay: 111112, Analysts: 400})
}
