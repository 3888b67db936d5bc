package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/posture"
)

// TestPostureCommand ingests the ASFF and SCC fixtures and checks the
// posture figures against values worked out by hand from them (at
// 2026-12-01, 28 days back, weekly points).
func TestPostureCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "wf.db")
	for _, p := range []string{"../ingest/asff/testdata/get-findings.json", "../ingest/scc/testdata/list-findings.json", "../ingest/scc/testdata/notifications.ndjson"} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if code, _, errOut := run(t, db, string(data), "ingest", "-"); code != ExitRejects {
			t.Fatalf("ingest %s: exit %d: %s", p, code, errOut)
		}
	}
	code, out, errOut := run(t, db, "", "posture", "--at", "2026-12-01T00:00:00Z", "--days", "28", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r posture.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var crit, high []int
	for _, p := range r.Trend {
		crit, high = append(crit, p.Critical), append(high, p.High)
	}
	mttr := map[string]float64{}
	for _, m := range r.MTTR {
		mttr[m.Severity] = m.MeanDays
	}
	var over []float64
	for _, o := range r.Overdue {
		over = append(over, o.OverDays)
	}
	// Critical: Inspector and xz open throughout, IAM.6 open until 11-04 12:00.
	// High: S3.8 and the bucket throughout, the firewall 11-02 15:45 – 11-12 15:45.
	// MTTR: IAM.6 15.25 days, firewall 10, muted cluster 0.
	// Overdue: bucket 88.6−30, S3.8 77.58−30, Inspector 59.66−15, xz 50.83−15.
	if r.Findings != 7 || r.Open != 4 || !equal(crit, []int{3, 2, 2, 2, 2}) || !equal(high, []int{3, 3, 2, 2, 2}) ||
		len(mttr) != 3 || mttr["critical"] != 15.25 || mttr["high"] != 10 || mttr["medium"] != 0 ||
		r.PastSLA["critical"] != 2 || r.PastSLA["high"] != 2 || !equal(over, []float64{58.6, 47.58, 44.66, 35.83}) {
		t.Fatalf("posture:\n%s", out)
	}
	code, out, errOut = run(t, db, "", "posture", "--at", "2026-12-01T00:00:00Z", "--days", "28")
	if code != 0 || !strings.Contains(out, "Past their remediation SLA: 2 critical, 2 high, 0 medium, 0 low") || !strings.Contains(out, "hr-exports-eu") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
