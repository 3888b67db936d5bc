// Package recordtest helps test format parsers: it runs a parser over an
// input and collects its records, and checks what every record must hold
// (a location in the named input, exactly one payload, the source record
// kept as JSON). The parser packages' tests and fuzz targets share it.
package recordtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
)

// Collect runs parse over r, named name in locations, and returns every
// record it emitted; an error from the parser fails the test.
func Collect(t testing.TB, parse record.ParserFunc, name string, r io.Reader) []record.Record {
	t.Helper()
	var recs []record.Record
	err := parse(context.Background(), r, name, func(rec record.Record) error {
		recs = append(recs, rec)
		return nil
	})
	if err != nil {
		t.Fatalf("parsing %s: %v", name, err)
	}
	return recs
}

// CollectBytes is Collect over an input in memory.
func CollectBytes(t testing.TB, parse record.ParserFunc, name string, data []byte) []record.Record {
	t.Helper()
	return Collect(t, parse, name, bytes.NewReader(data))
}

// CollectFile is Collect over a file, whose base name names the input.
func CollectFile(t testing.TB, parse record.ParserFunc, path string) []record.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return Collect(t, parse, filepath.Base(path), f)
}

// CheckRaw verifies that every parsed case and alert carries its source
// record as valid JSON, then clears it so the rest can be compared field
// by field.
func CheckRaw(t testing.TB, recs []record.Record) {
	t.Helper()
	for _, r := range recs {
		var raw *json.RawMessage
		switch {
		case r.Case != nil:
			raw = &r.Case.Raw
		case r.Alert != nil:
			raw = &r.Alert.Raw
		default:
			continue
		}
		if !json.Valid(*raw) {
			t.Errorf("%s: Raw is not valid JSON: %s", r.Loc, *raw)
		}
		*raw = nil
	}
}

// Shape says what is wrong with a record's form, or nil: its location
// must name the input ("name:…") and it must hold exactly one payload or
// a rejection.
func Shape(r record.Record, name string) error {
	if !strings.HasPrefix(r.Loc, name+":") {
		return fmt.Errorf("location %q does not name the input %s", r.Loc, name)
	}
	n := 0
	for _, set := range []bool{r.Alert != nil, r.Case != nil, r.Event != nil, r.Analyst != nil, r.Rule != nil,
		r.Finding != nil, r.Team != nil, r.Shift != nil, r.SLA != nil, r.Err != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("%s: record holds %d payloads and rejections, want 1", r.Loc, n)
	}
	return nil
}

// Dump renders records one per line, location first and the payload (or
// the rejection) as JSON, for failure messages.
func Dump(recs []record.Record) string {
	var b strings.Builder
	for _, r := range recs {
		b.WriteString("\n  " + r.Loc + " ")
		var v any
		switch {
		case r.Err != nil:
			v = r.Err.Error()
		case r.Alert != nil:
			v = r.Alert
		case r.Case != nil:
			v = r.Case
		case r.Event != nil:
			v = r.Event
		case r.Finding != nil:
			v = r.Finding
		}
		j, _ := json.Marshal(v)
		b.Write(j)
	}
	return b.String()
}

// Time reads an RFC 3339 time (fractions allowed) in UTC, for test tables;
// it panics on a malformed one.
func Time(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// SeedFiles adds every file matching pattern (for example "testdata/*.json")
// to f's seed corpus.
func SeedFiles(f *testing.F, pattern string) {
	f.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed files match %s (%v)", pattern, err)
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}
