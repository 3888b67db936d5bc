package asff

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/ingest/record/recordtest"
)

// FuzzParse checks that no input makes Parse or Detect panic or fail as a
// whole, and that every record is either one finding with a source, an id
// and JSON raw, or a rejection; the fixtures in testdata/ seed it.
func FuzzParse(f *testing.F) {
	recordtest.SeedFiles(f, "testdata/*.json")
	f.Add([]byte(`{"Id":"a","Resources":[{"Id":"x"}],"Severity":{"Normalized":"NaN"}}`))
	f.Add([]byte(`{"Findings":null}` + "\n" + `{"detail":{"findings":[1,{}]}}`))
	f.Add([]byte(`{"Id":"a","Resources":[{}],"Vulnerabilities":[{"Cvss":[{"BaseScore":1e308}]}],"LastObservedAt":"1e400"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		Detect(data)
		err := Parse(context.Background(), bytes.NewReader(data), "fuzz", func(r record.Record) error {
			if !strings.HasPrefix(r.Loc, "fuzz:") {
				t.Errorf("Loc %q does not name the input", r.Loc)
			}
			if (r.Finding == nil) == (r.Err == nil) {
				t.Errorf("%s: want one finding or one error: %+v", r.Loc, r)
			}
			if f := r.Finding; f != nil {
				if f.ExternalID == "" || !strings.HasPrefix(f.Source, "asff") || !json.Valid(f.Raw) {
					t.Errorf("%s: bad finding %+v", r.Loc, f)
				}
				if _, err := json.Marshal(f); err != nil {
					t.Errorf("%s: finding does not encode: %v", r.Loc, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Errorf("Parse: %v", err)
		}
	})
}
