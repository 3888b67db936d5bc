// Package native parses Watchfloor's own JSON / NDJSON format: one object per
// record, its type named by a top-level "record" key ("alert", "case",
// "case_event", "analyst", "rule", "finding", "team", "shift", "sla_policy"),
// its fields spelled as the JSON tags of the model types.
package native

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"

	"github.com/watchfloor/watchfloor/internal/ingest/jsonstream"
	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/intel/observable"
	"github.com/watchfloor/watchfloor/internal/model"
)

// Record types of the native format.
const (
	TypeAlert     = "alert"
	TypeCase      = "case"
	TypeCaseEvent = "case_event"
	TypeAnalyst   = "analyst"
	TypeRule      = "rule"
	TypeFinding   = "finding"
	TypeTeam      = "team"
	TypeShift     = "shift"
	TypeSLA       = "sla_policy"
	// Threat intelligence.
	TypeIndicator = "indicator"
	TypeThreat    = "threat"
	TypeRelation  = "relation"
)

// Types lists the record types of the native format.
var Types = []string{TypeAlert, TypeCase, TypeCaseEvent, TypeAnalyst, TypeRule, TypeFinding, TypeTeam, TypeShift, TypeSLA,
	TypeIndicator, TypeThreat, TypeRelation}

// Parser parses native records. Default is the record type assumed for
// objects without a "record" key; empty means such objects are rejected.
type Parser struct {
	Default string
}

// Detect reports whether head starts like native JSON: an object with a
// "record" key naming a known type.
func Detect(head []byte) bool {
	t, ok := peekType(head)
	if !ok {
		return false
	}
	for _, v := range Types {
		if v == t {
			return true
		}
	}
	return false
}

var recordKey = []byte(`"record"`)

// peekType finds the first "record" key's string value without decoding the
// whole object. Inside JSON strings a quote is always escaped, so the byte
// sequence `"record"` followed by a colon can only be a key.
func peekType(b []byte) (string, bool) {
	for off := 0; ; {
		i := bytes.Index(b[off:], recordKey)
		if i < 0 {
			return "", false
		}
		rest := bytes.TrimLeft(b[off+i+len(recordKey):], " \t\r\n")
		if len(rest) == 0 || rest[0] != ':' {
			off += i + len(recordKey)
			continue
		}
		rest = bytes.TrimLeft(rest[1:], " \t\r\n")
		if len(rest) == 0 || rest[0] != '"' {
			return "", false
		}
		end := bytes.IndexByte(rest[1:], '"')
		if end < 0 {
			return "", false
		}
		return string(rest[1 : 1+end]), true
	}
}

// Parse streams the records of r to emit.
func (p Parser) Parse(ctx context.Context, r io.Reader, name string, emit record.Emit) error {
	return p.parse(ctx, r, name, emit, &alertDecoder{})
}

// parse is Parse with the alert decoder d (nil: encoding/json for every
// record, which the tests compare it with).
func (p Parser) parse(ctx context.Context, r io.Reader, name string, emit record.Emit, d *alertDecoder) error {
	n := 0
	// Unmarshal validates each line, so the walker need not.
	return jsonstream.EachUnchecked(r, name, func(loc string, v []byte) error {
		if n++; n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return emit(p.decode(d, loc, v))
	}, func(loc string, v []byte, err error) error {
		return emit(record.Record{Loc: loc, Raw: bytes.Clone(v), Err: err})
	})
}

// decode reads one record; d decodes alerts it can without reflection
// (nil: always encoding/json).
func (p Parser) decode(d *alertDecoder, loc string, v []byte) record.Record {
	typ, ok := peekType(v)
	if !ok {
		typ = p.Default
	}
	if typ == "" {
		return record.Reject(loc, bytes.Clone(v), `no "record" key saying what the object is (one of %s)`, strings.Join(Types, ", "))
	}
	rec := record.Record{Loc: loc}
	var err error
	var got string
	switch typ {
	case TypeAlert:
		if d != nil {
			al := &model.Alert{}
			if got, ok = d.alert(v, al); ok {
				err = checkAlert(al)
				rec.Alert = al
				break
			}
		}
		x := struct {
			Record string `json:"record"`
			*model.Alert
		}{Alert: &model.Alert{}}
		err, got = decodeStrict(v, &x), x.Record
		if err == nil {
			err = checkAlert(x.Alert)
			rec.Alert = x.Alert
		}
	case TypeCase:
		x := struct {
			Record string `json:"record"`
			*model.Case
		}{Case: &model.Case{}}
		err, got = decodeStrict(v, &x), x.Record
		if err == nil {
			err = checkCase(x.Case)
			rec.Case = x.Case
		}
	case TypeCaseEvent:
		x := struct {
			Record string `json:"record"`
			*model.CaseEvent
		}{CaseEvent: &model.CaseEvent{}}
		err, got = decodeStrict(v, &x), x.Record
		if err == nil {
			err = checkEvent(x.CaseEvent)
			rec.Event = x.CaseEvent
		}
	case TypeAnalyst:
		x := struct {
			Record string `json:"record"`
			*model.Analyst
		}{Analyst: &model.Analyst{Active: true}}
		err, got = decodeStrict(v, &x), x.Record
		switch {
		case err != nil:
		case x.ExternalID == "":
			err = fmt.Errorf("analyst has no external_id")
		case x.Tier != "" && x.Tier != model.TierL1 && x.Tier != model.TierL2 && x.Tier != model.TierL3:
			err = fmt.Errorf("field \"tier\": unknown tier %q (want L1, L2 or L3)", x.Tier)
		}
		rec.Analyst = x.Analyst
	case TypeRule:
		x := struct {
			Record string `json:"record"`
			*model.Rule
		}{Rule: &model.Rule{Enabled: true}}
		err, got = decodeStrict(v, &x), x.Record
		if err == nil {
			err = checkKey("rule", x.Source, x.ExternalID)
		}
		if err == nil {
			var perr error
			if x.Status, perr = model.ParseRuleStatus(x.Status); perr != nil {
				err = fmt.Errorf("field \"status\": %w", perr)
			}
		}
		rec.Rule = x.Rule
	case TypeFinding:
		x := struct {
			Record string `json:"record"`
			*model.Finding
		}{Finding: &model.Finding{}}
		err, got = decodeStrict(v, &x), x.Record
		if err == nil {
			err = checkKey("finding", x.Source, x.ExternalID)
		}
		rec.Finding = x.Finding
	case TypeTeam:
		x := struct {
			Record string `json:"record"`
			*model.Team
		}{Team: &model.Team{}}
		err, got = decodeStrict(v, &x), x.Record
		rec.Team = x.Team
	case TypeShift:
		x := struct {
			Record string `json:"record"`
			*model.Shift
		}{Shift: &model.Shift{}}
		err, got = decodeStrict(v, &x), x.Record
		rec.Shift = x.Shift
	case TypeSLA:
		x := struct {
			Record string `json:"record"`
			*model.SLAPolicy
		}{SLAPolicy: &model.SLAPolicy{}}
		err, got = decodeStrict(v, &x), x.Record
		rec.SLA = x.SLAPolicy
	case TypeIndicator:
		x := struct {
			Record string `json:"record"`
			*model.Indicator
		}{Indicator: &model.Indicator{Detect: true, Confidence: model.ConfidenceUnknown}}
		err, got = decodeStrict(v, &x), x.Record
		if err == nil {
			err = checkIndicator(x.Indicator)
		}
		rec.Indicator = x.Indicator
	case TypeThreat:
		x := struct {
			Record string `json:"record"`
			*model.ThreatObject
		}{ThreatObject: &model.ThreatObject{}}
		err, got = decodeStrict(v, &x), x.Record
		if err == nil {
			err = checkKey("threat", x.Source, x.ExternalID)
		}
		rec.Threat = x.ThreatObject
	case TypeRelation:
		x := struct {
			Record string `json:"record"`
			*model.IntelRelation
		}{IntelRelation: &model.IntelRelation{}}
		err, got = decodeStrict(v, &x), x.Record
		if err == nil {
			err = checkKey("relation", x.Source, x.ExternalID)
		}
		rec.Relation = x.IntelRelation
	default:
		return record.Reject(loc, bytes.Clone(v), "unknown record type %q (want one of %s)", typ, strings.Join(Types, ", "))
	}
	if err == nil && got != "" && got != typ {
		err = fmt.Errorf("record type %q is not the first \"record\" key's %q", got, typ)
	}
	if err != nil {
		return record.Record{Loc: loc, Raw: bytes.Clone(v), Err: err}
	}
	return rec
}

func decodeStrict(v []byte, dst any) error {
	if err := json.Unmarshal(v, dst); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("invalid JSON: %w", err)
		}
		if err := describe(err); err != nil {
			var te *json.UnmarshalTypeError
			if !errors.As(err, &te) {
				// A value its field's vocabulary does not know
				// ("priority": "banana"): name the field.
				if f := failingField(v, dst); f != "" {
					return fmt.Errorf("field %q: %w", f, err)
				}
			}
			return err
		}
	}
	return nil
}

// failingField finds the top-level field of object v that dst's type
// cannot decode, by decoding the fields one at a time ("" when none alone
// fails).
func failingField(v []byte, dst any) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(v, &fields) != nil {
		return ""
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	t := reflect.TypeOf(dst).Elem()
	for _, k := range keys {
		one, err := json.Marshal(map[string]json.RawMessage{k: fields[k]})
		if err != nil {
			continue
		}
		if json.Unmarshal(one, reflect.New(t).Interface()) != nil {
			return k
		}
	}
	return ""
}

// describe turns decoding errors into a message naming the field by its
// JSON path in the record ("entities.type"), without the name of the
// model type the record's wrapper embeds (encoding/json says
// "Alert.entities.type").
func describe(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		field := te.Field
		if head, rest, ok := strings.Cut(field, "."); ok && head != "" && head[0] >= 'A' && head[0] <= 'Z' {
			field = rest
		}
		return &fieldTypeError{field: field, err: te}
	}
	return err
}

// fieldTypeError is a JSON value of the wrong type for its field.
type fieldTypeError struct {
	field string
	err   *json.UnmarshalTypeError
}

func (e *fieldTypeError) Error() string {
	return fmt.Sprintf("field %q: cannot use JSON %s as %s", e.field, e.err.Value, e.err.Type)
}

func (e *fieldTypeError) Unwrap() error { return e.err }

func checkKey(what, source, ext string) error {
	switch {
	case source == "":
		return fmt.Errorf("%s has no source", what)
	case ext == "":
		return fmt.Errorf("%s has no external_id", what)
	}
	return nil
}

// checkIndicator normalises an indicator's observables (read from type and
// value when it lists none), as matching needs them.
func checkIndicator(in *model.Indicator) error {
	if err := checkKey("indicator", in.Source, in.ExternalID); err != nil {
		return err
	}
	if len(in.Observables) == 0 && in.Value != "" {
		in.Observables = []model.IndicatorObservable{{Kind: in.Type, Value: in.Value}}
	}
	if len(in.Observables) == 0 {
		return fmt.Errorf("indicator %s has neither observables nor a type and value", in.ExternalID)
	}
	for i, o := range in.Observables {
		k, _ := observable.KindOf(o.Kind)
		n, err := observable.Normalize(k, o.Value)
		if err != nil {
			return fmt.Errorf("indicator %s: observable %d: %w", in.ExternalID, i, err)
		}
		in.Observables[i] = model.IndicatorObservable{Kind: string(n.Kind), Value: n.Value}
	}
	if in.Type == "" {
		in.Type = in.Observables[0].Kind
	}
	return nil
}

func checkCase(c *model.Case) error {
	if err := checkKey("case", c.Source, c.ExternalID); err != nil {
		return err
	}
	if c.Stage != "" {
		st, err := model.ParseStage(string(c.Stage))
		if err != nil {
			return fmt.Errorf("field \"stage\": %w", err)
		}
		c.Stage = st
	}
	if !c.Disposition.Valid() {
		return fmt.Errorf("field \"disposition\": unknown value %q", c.Disposition)
	}
	return nil
}

func checkAlert(a *model.Alert) error {
	if err := checkKey("alert", a.Source, a.ExternalID); err != nil {
		return err
	}
	if !a.Disposition.Valid() {
		return fmt.Errorf("field \"disposition\": unknown value %q", a.Disposition)
	}
	return nil
}

func checkEvent(e *model.CaseEvent) error {
	switch {
	case e.CaseID == 0 && e.CaseExternalID == "":
		return fmt.Errorf("case event names no case (case_external_id)")
	case !e.Kind.Valid():
		return fmt.Errorf("field \"kind\": unknown event kind %q", e.Kind)
	case e.At.IsZero():
		return fmt.Errorf("field \"at\": the event has no time")
	case e.Source == "":
		return fmt.Errorf("case event has no source")
	}
	// The new value of a stage, priority or disposition event is of that
	// vocabulary.
	var err error
	switch e.Kind {
	case model.EventStage:
		_, err = model.ParseStage(e.New)
	case model.EventPriority:
		var p model.Priority
		if p, err = model.ParsePriority(e.New); err == nil && !p.Valid() {
			err = fmt.Errorf("empty priority")
		}
	case model.EventDisposition:
		_, err = model.ParseDisposition(e.New)
	}
	if err != nil {
		return fmt.Errorf("field \"new\": %w", err)
	}
	return nil
}

// Writer writes records in the native format, one JSON object per line, so
// that Parser reads back exactly what was written.
type Writer struct {
	w   io.Writer
	buf []byte
}

// NewWriter returns a Writer on w. Callers buffer w themselves.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write encodes one record; rejected records are an error.
func (nw *Writer) Write(rec record.Record) error {
	var typ string
	var v any
	switch {
	case rec.Err != nil:
		return fmt.Errorf("writing %s: record is a reject: %w", rec.Loc, rec.Err)
	case rec.Alert != nil:
		typ, v = TypeAlert, rec.Alert
	case rec.Case != nil:
		typ, v = TypeCase, rec.Case
	case rec.Event != nil:
		typ, v = TypeCaseEvent, rec.Event
	case rec.Analyst != nil:
		typ, v = TypeAnalyst, rec.Analyst
	case rec.Rule != nil:
		typ, v = TypeRule, rec.Rule
	case rec.Finding != nil:
		typ, v = TypeFinding, rec.Finding
	case rec.Team != nil:
		typ, v = TypeTeam, rec.Team
	case rec.Shift != nil:
		typ, v = TypeShift, rec.Shift
	case rec.SLA != nil:
		typ, v = TypeSLA, rec.SLA
	case rec.Indicator != nil:
		typ, v = TypeIndicator, rec.Indicator
	case rec.Threat != nil:
		typ, v = TypeThreat, rec.Threat
	case rec.Relation != nil:
		typ, v = TypeRelation, rec.Relation
	default:
		return fmt.Errorf("writing %s: empty record", rec.Loc)
	}
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding %s %s: %w", typ, rec.Loc, err)
	}
	nw.buf = append(nw.buf[:0], `{"record":"`...)
	nw.buf = append(nw.buf, typ...)
	nw.buf = append(nw.buf, '"')
	if len(body) > 2 {
		nw.buf = append(nw.buf, ',')
		nw.buf = append(nw.buf, body[1:]...)
	} else {
		nw.buf = append(nw.buf, '}')
	}
	nw.buf = append(nw.buf, '\n')
	_, err = nw.w.Write(nw.buf)
	return err
}
