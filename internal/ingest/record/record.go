// Package record defines what a format parser hands to the ingest pipeline:
// one Record per source item, carrying either a parsed domain object or the
// reason the item was rejected, always with its location in the input.
package record

import (
	"context"
	"fmt"
	"io"

	"github.com/watchfloor/watchfloor/internal/model"
)

// Record is one parsed (or rejected) item of an input. Exactly one of the
// pointer fields is set, or Err is.
type Record struct {
	// Loc says where the item is: "file:line" for line-oriented input or
	// "file:$[3].cases[0]" (a JSON path) for documents.
	Loc string

	Alert   *model.Alert
	Case    *model.Case
	Event   *model.CaseEvent
	Analyst *model.Analyst
	Rule    *model.Rule
	Finding *model.Finding
	Team    *model.Team
	Shift   *model.Shift
	SLA     *model.SLAPolicy
	// Threat intelligence: an indicator, a threat object or a relationship.
	Indicator *model.Indicator
	Threat    *model.ThreatObject
	Relation  *model.IntelRelation

	// Err is why the item was rejected; Raw is its text, for --reject-file.
	Err error
	Raw []byte
}

// Rejected reports whether the record is a rejection.
func (r Record) Rejected() bool { return r.Err != nil }

// Reject builds a rejection for the item at loc.
func Reject(loc string, raw []byte, format string, args ...any) Record {
	return Record{Loc: loc, Raw: raw, Err: fmt.Errorf(format, args...)}
}

// Emit receives parsed records in input order. An error from Emit stops the
// parser, which returns it.
type Emit func(Record) error

// Parser reads one input format. Parse streams: it must not hold the whole
// input in memory. name is the input's name used in locations. A returned
// error means the input as a whole could not be read (not a bad record).
type Parser interface {
	Parse(ctx context.Context, r io.Reader, name string, emit Emit) error
}

// ParserFunc adapts a function to the Parser interface.
type ParserFunc func(ctx context.Context, r io.Reader, name string, emit Emit) error

// Parse calls f.
func (f ParserFunc) Parse(ctx context.Context, r io.Reader, name string, emit Emit) error {
	return f(ctx, r, name, emit)
}
