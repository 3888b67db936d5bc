package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// BenchmarkApplyIntel stores batches of 10,000 new indicators (a domain
// each) into SQLite.
func BenchmarkApplyIntel(b *testing.B) {
	st := storetest.Open(b, storetest.SQLitePath(b))
	ctx := context.Background()
	n := 0
	for b.Loop() {
		var ib store.IntelBatch
		for range 10_000 {
			n++
			v := fmt.Sprintf("d%d.example", n)
			ib.Indicators = append(ib.Indicators, model.Indicator{Source: "bench", ExternalID: fmt.Sprint("indicator--", n), Type: "domain",
				Value: v, Detect: true, Observables: []model.IndicatorObservable{{Kind: "domain", Value: v}}})
		}
		if _, err := st.ApplyIntel(ctx, &ib); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*10_000)/b.Elapsed().Seconds(), "indicators/s")
}
