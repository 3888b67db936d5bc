package ingest_test

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"

	"github.com/watchfloor/watchfloor/internal/ingest"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/shareddata"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// TestRealSamplesEndToEnd ingests every shared OCSF sample and the
// ServiceNow export with detected formats, on both engines, twice.
func TestRealSamplesEndToEnd(t *testing.T) {
	snPath := shareddata.Path(t, "servicenow-incidents", "incident_event_log.csv")
	ocsfDir := shareddata.Path(t, "ocsf")
	inputs, err := filepath.Glob(filepath.Join(ocsfDir, "*.json"))
	if err != nil || len(inputs) != 6 {
		t.Fatalf("want the 6 OCSF samples, found %d (%v)", len(inputs), err)
	}
	inputs = append(inputs, snPath)
	wantFinal := finalStages(t, snPath)

	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		st := open()
		ctx := context.Background()
		run := func() {
			for _, in := range inputs {
				f, err := os.Open(in)
				if err != nil {
					t.Fatal(err)
				}
				sum, err := ingest.Run(ctx, st, f, filepath.Base(in), ingest.Options{})
				f.Close()
				if err != nil {
					t.Fatalf("%s: %v", in, err)
				}
				want := "ocsf"
				if in == snPath {
					want = "servicenow"
				}
				if sum.Format != want {
					t.Fatalf("%s detected as %q, want %q", in, sum.Format, want)
				}
			}
		}
		run()
		fp1, err := st.Fingerprint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := st.Counts(ctx)
		// 3 Detection Findings and 1 Security Finding are alerts; the
		// Vulnerability and Compliance Findings are posture findings.
		if c["alerts"] != 4 || c["findings"] != 2 || c["cases"] != 890 || c["alert_events"] != 0 {
			t.Fatalf("counts %v", c)
		}
		run()
		fp2, _ := st.Fingerprint(ctx)
		c2, _ := st.Counts(ctx)
		if fp1 != fp2 || c2["case_events"] != c["case_events"] {
			t.Fatalf("second ingest changed the store: %v → %v", c, c2)
		}
		if err := st.Check(ctx); err != nil {
			t.Fatal(err)
		}
		// Every incident ends in the stage of its last audit row.
		cases, err := st.Cases(ctx, store.CaseFilter{Source: "servicenow", Limit: 2000})
		if err != nil || len(cases) != 890 {
			t.Fatalf("%d cases, err %v", len(cases), err)
		}
		for _, cs := range cases {
			if want := wantFinal[cs.ExternalID]; cs.Stage != want {
				t.Errorf("%s: stage %q, want %q", cs.ExternalID, cs.Stage, want)
			}
		}
	})
}

// finalStages reads the CSV directly: the stage of each incident's row with
// the highest sys_mod_count.
func finalStages(t *testing.T, path string) map[string]model.Stage {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	out := map[string]model.Stage{}
	for _, r := range rows[1:] {
		st, ok := model.DefaultStatusMap.Stage(r[col["incident_state"]])
		if !ok {
			t.Fatalf("unmapped state %q", r[col["incident_state"]])
		}
		out[r[col["number"]]] = st // rows of an incident are in update order
	}
	return out
}
