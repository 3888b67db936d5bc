package servicenow

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
)

// FuzzParse checks that no input makes Parse or Detect panic, and that what
// Parse emits keeps the contract: every record has a location in the input
// and exactly one payload, an incident's events come right after its first
// snapshot, and event ids are unique within an incident's batch of rows.
func FuzzParse(f *testing.F) {
	f.Add([]byte(sampleHeader + inc45))
	f.Add([]byte("\xEF\xBB\xBF" + sampleHeader + strings.ReplaceAll(inc45, "\n", "\r\n")))
	f.Add([]byte("number,incident_state,sys_updated_at,sys_mod_count\nINC1,New,29-02-2016 01:23,0\nINC1,Resolved,29-02-2016 01:23,1\nINC1,New,29-02-2016 01:22,1\n"))
	f.Add([]byte("sys_updated_at,number,incident_state\n\"29-02-2016 01:23\",\"IN\"\"C1\",Active\n?,INC1,New\n"))
	f.Add([]byte("number,incident_state,sys_updated_at\n\"unterminated,New,29-02-2016 01:23\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		Detect(data)
		batch := "" // the incident whose records are being emitted
		ids := map[string]bool{}
		err := Parse(context.Background(), bytes.NewReader(data), "f.csv", func(r record.Record) error {
			if !strings.HasPrefix(r.Loc, "f.csv:") {
				t.Fatalf("location %q", r.Loc)
			}
			n := 0
			if r.Case != nil {
				n++
				if r.Case.ExternalID == "" {
					t.Fatalf("%s: case without number", r.Loc)
				}
				if r.Case.ExternalID != batch {
					batch = r.Case.ExternalID
					clear(ids)
				}
			}
			if r.Event != nil {
				n++
				if r.Event.CaseExternalID != batch {
					t.Fatalf("%s: event for %q before its snapshot", r.Loc, r.Event.CaseExternalID)
				}
				if ids[r.Event.ExternalID] {
					t.Fatalf("%s: event id %q repeated", r.Loc, r.Event.ExternalID)
				}
				ids[r.Event.ExternalID] = true
				if r.Event.At.IsZero() {
					t.Fatalf("%s: undated event", r.Loc)
				}
			}
			if r.Err != nil {
				n++
			}
			if n != 1 {
				t.Fatalf("%s: record with %d payloads", r.Loc, n)
			}
			return nil
		})
		if err != nil && len(data) > 0 && Detect(data) && !strings.Contains(err.Error(), "header") {
			t.Fatalf("Parse failed on an input Detect accepts: %v", err)
		}
	})
}
