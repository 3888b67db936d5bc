package iocsv

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
)

// FuzzParse checks IoC lists: no panic, no failure as a whole, every
// record an indicator with a normalised value or a rejection with its line.
func FuzzParse(f *testing.F) {
	f.Add([]byte("value,type,first_seen,confidence,source,tlp,tags\n1.2.3.4,ip,2024-01-01,80,acme,amber,c2;x\nevil[.]example,,,high,,,\n"))
	f.Add([]byte("# \"first_seen_utc\",\"ioc_value\",\"ioc_type\"\n\"2024-05-01 10:00:00\",\"198.51.100.4:443\",\"ip:port\"\n"))
	f.Add([]byte("ioc\nhxxp://a[.]b/c\n\"unterminated\n"))
	f.Add([]byte("value,type\nx,sha256\n,\n"))
	f.Add([]byte("no header here\n1.2.3.4\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		Detect(data)
		err := Parser{}.Parse(context.Background(), bytes.NewReader(data), "fuzz", func(r record.Record) error {
			if !strings.HasPrefix(r.Loc, "fuzz:") {
				t.Errorf("location %q does not name the input", r.Loc)
			}
			if (r.Err == nil) == (r.Indicator == nil) {
				t.Errorf("%s: want one of an indicator and an error: %+v", r.Loc, r)
			}
			if in := r.Indicator; in != nil && (len(in.Observables) != 1 || in.Observables[0].Value == "" || in.ExternalID != in.Observables[0].Key()) {
				t.Errorf("%s: indicator %+v", r.Loc, in)
			}
			return nil
		})
		if err != nil {
			t.Errorf("Parse failed as a whole: %v", err)
		}
	})
}
