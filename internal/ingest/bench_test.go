package ingest_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/watchfloor/watchfloor/internal/ingest"
)

// BenchmarkIngestSample ingests the mixed sample (alerts, with a case and
// three events for every tenth alert) into a fresh SQLite store.
func BenchmarkIngestSample(b *testing.B) {
	var buf bytes.Buffer
	writeSample(b, &buf, 20000)
	b.SetBytes(int64(buf.Len()))
	for i := 0; b.Loop(); i++ {
		st := openStore(b, filepath.Join(b.TempDir(), "b.db"))
		if _, err := ingest.Run(context.Background(), st, bytes.NewReader(buf.Bytes()), "sample", ingest.Options{}); err != nil {
			b.Fatal(err)
		}
		st.Close()
	}
	b.ReportMetric(float64(20000*b.N)/b.Elapsed().Seconds(), "alerts/s")
}
