package ingest_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/watchfloor/watchfloor/internal/ingest"
	"github.com/watchfloor/watchfloor/internal/store"
)

// TestPostureFormatsEndToEnd ingests the ASFF and SCC fixtures without
// naming their format: they are detected, the good findings are stored and
// read back, and the bad ones are rejected with their location.
func TestPostureFormatsEndToEnd(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "wf.db"))
	ctx := context.Background()
	for _, tc := range []struct {
		path, format     string
		stored, rejected int
		firstReject      string
	}{
		{"asff/testdata/get-findings.json", "asff", 3, 2, "get-findings.json:$.Findings[3]"},
		{"scc/testdata/list-findings.json", "scc", 3, 2, "list-findings.json:$.listFindingsResults[3]"},
		{"scc/testdata/notifications.ndjson", "scc", 1, 1, "notifications.ndjson:2"},
	} {
		f, err := os.Open(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		var rejects []string
		sum, err := ingest.Run(ctx, st, f, filepath.Base(tc.path), ingest.Options{OnReject: func(loc string, err error) { rejects = append(rejects, loc) }})
		f.Close()
		if !errors.Is(err, ingest.ErrRejects) {
			t.Fatalf("%s: err = %v, want ErrRejects", tc.path, err)
		}
		if sum.Format != tc.format || sum.Inserted[store.KindFinding] != tc.stored || sum.Rejected != tc.rejected || rejects[0] != tc.firstReject {
			t.Errorf("%s: format %q, %d stored, %d rejected (%v); want %q, %d, %d, %s", tc.path, sum.Format, sum.Inserted[store.KindFinding],
				sum.Rejected, rejects, tc.format, tc.stored, tc.rejected, tc.firstReject)
		}
	}
	active, err := st.CountFindings(ctx, store.FindingFilter{State: store.FindingsActive})
	if err != nil {
		t.Fatal(err)
	}
	all, err := st.CountFindings(ctx, store.FindingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	// Active: Inspector NEW, S3.8 NOTIFIED, SCC xz ACTIVE, SCC bucket ACTIVE;
	// inactive: IAM.6 RESOLVED, SCC firewall INACTIVE, SCC cluster MUTED.
	if all != 7 || active != 4 {
		t.Errorf("%d findings, %d active; want 7 and 4", all, active)
	}
}
