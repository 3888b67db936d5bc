package misp

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
)

func checkRecord(t *testing.T, r record.Record) {
	t.Helper()
	if !strings.HasPrefix(r.Loc, "fuzz:") {
		t.Errorf("location %q does not name the input", r.Loc)
	}
	n := 0
	if r.Err != nil {
		n++
	}
	if r.Threat != nil {
		n++
		if r.Threat.Name == "" || r.Threat.ExternalID == "" || r.Threat.Source == "" {
			t.Errorf("%s: threat without a name, id or source: %+v", r.Loc, r.Threat)
		}
	}
	if r.Relation != nil {
		n++
	}
	if in := r.Indicator; in != nil {
		n++
		if len(in.Observables) == 0 || in.ExternalID == "" || in.Source == "" {
			t.Errorf("%s: indicator without values, id or source: %+v", r.Loc, in)
		}
	}
	if n != 1 {
		t.Errorf("%s: record holds %d items and errors, want 1", r.Loc, n)
	}
}

// FuzzParse checks MISP event parsing: no panic, no failure as a whole,
// every record one item or a located rejection.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"Event":{"uuid":"e","info":"i","Orgc":{"name":"o"},"Tag":[{"name":"tlp:white"}],"Attribute":[{"uuid":"a","type":"ip-dst|port","value":"1.2.3.4|80","to_ids":true}]}}`))
	f.Add([]byte(`{"response":[{"Event":{"uuid":"e","Attribute":[{"uuid":"b","type":"domain|ip","value":"a.example|1.2.3.4","to_ids":"1","timestamp":"1"}],"Object":[{"Attribute":[{"uuid":"c","type":"md5","value":"d41d8cd98f00b204e9800998ecf8427e"}]}]}}]}`))
	f.Add([]byte(`{"Event":{"uuid":"e","Galaxy":[{"type":"threat-actor","GalaxyCluster":[{"uuid":"g","value":"APT","meta":{"synonyms":["G0007"],"cfr-suspected-victims":"x"}}]}],"Attribute":[{"uuid":"a","type":"nope","value":"x"}]}}`))
	f.Add([]byte(`{"abc":{"info":"manifest","timestamp":"1"}}`))
	f.Add([]byte(`[{"Event":{}}, 3, "x"]`))
	f.Add([]byte(`{"Event":{"uuid":"e","Attribute":[{"uuid":"a","type":"url","value":"","to_ids":"maybe","first_seen":"x"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		Detect(data)
		if err := (Parser{}).Parse(context.Background(), bytes.NewReader(data), "fuzz", func(r record.Record) error {
			checkRecord(t, r)
			return nil
		}); err != nil {
			t.Errorf("Parse failed as a whole: %v", err)
		}
	})
}

// FuzzParseGalaxy checks galaxy cluster parsing the same way.
func FuzzParseGalaxy(f *testing.F) {
	f.Add([]byte(`{"authors":["a"],"category":"actor","type":"threat-actor","uuid":"u","values":[{"uuid":"c","value":"APT1","meta":{"synonyms":["G0006","Comment Crew"],"country":"CN","cfr-suspected-victims":["United States"],"cfr-target-category":["Government"],"name-attribution":["G0006:x"],"refs":["https://x"]},"related":[{"dest-uuid":"d","type":"similar"}]}]}`))
	f.Add([]byte(`{"type":"ransomware","values":[{"uuid":"r","value":"WannaCry","meta":{"synonyms":"WCry","extensions":[".wncry"]}},{"value":"no uuid"},{"uuid":"x"}]}`))
	f.Add([]byte(`{"type":"","values":[]}`))
	f.Add([]byte(`{"type":"x","values":[{"uuid":"c","value":"v","meta":{"country":3}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		DetectGalaxy(data)
		if err := ParseGalaxy(context.Background(), bytes.NewReader(data), "fuzz", func(r record.Record) error {
			checkRecord(t, r)
			return nil
		}); err != nil {
			t.Errorf("ParseGalaxy failed as a whole: %v", err)
		}
	})
}
