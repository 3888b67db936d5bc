// Package stix reads STIX 2.0 and 2.1 content — bundles, TAXII 2.1
// envelopes, arrays or single objects — into threat-intelligence records:
// indicators (with the values their patterns compare, normalised), threat
// objects (intrusion sets, threat actors, campaigns, malware, tools, and
// the attack patterns, identities and locations they point to) and
// relationships. Objects of other types (reports, sightings, observed
// data, notes …) are read and skipped; indicators whose pattern type is
// not "stix" (YARA, Sigma, Snort …) too, since Watchfloor matches values,
// not rules. A malformed object is rejected with its JSON path and the
// reason, and the rest of the input is read.
package stix

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/model"
)

// DefaultSource is the source of records read from files.
const DefaultSource = "stix"

// Parser reads STIX content. Source names the feed the records come from
// (DefaultSource when empty), e.g. "taxii:example.org/api1/collections/…".
type Parser struct {
	Source string
}

var (
	detectBundle = regexp.MustCompile(`"type"\s*:\s*"bundle"`)
	detectID     = regexp.MustCompile(`"id"\s*:\s*"(indicator|intrusion-set|threat-actor|malware|campaign|relationship|attack-pattern|identity|marking-definition|report|tool|location|sighting|observed-data|note|opinion|course-of-action|vulnerability|infrastructure|grouping)--`)
	detectSpec   = regexp.MustCompile(`"(spec_version|objects|created|pattern)"\s*:`)
)

// Detect reports whether an input's head looks like STIX: a bundle, or
// objects with STIX ids and STIX properties.
func Detect(head []byte) bool {
	return detectBundle.Match(head) || (detectID.Match(head) && detectSpec.Match(head))
}

// Parse reads r.
func (p Parser) Parse(ctx context.Context, r io.Reader, name string, emit record.Emit) error {
	src := p.Source
	if src == "" {
		src = DefaultSource
	}
	c := &converter{source: src, tlp: map[string]string{}}
	return walk(ctx, r, name, func(loc string, raw json.RawMessage) error {
		rec, ok := c.convert(loc, raw)
		if !ok {
			return nil
		}
		return emit(rec)
	}, func(loc string, raw []byte, err error) error {
		return emit(record.Reject(loc, raw, "%v", err))
	})
}

// walk calls fn with every STIX object of r — the elements of a bundle's
// or envelope's "objects", of a top-level array, or a bare object — with
// its location; bad receives what cannot be read. A syntax error ends the
// walk after bad is told, since the rest cannot be re-synchronised.
func walk(ctx context.Context, r io.Reader, name string, fn func(loc string, raw json.RawMessage) error,
	report func(loc string, raw []byte, err error) error) error {
	err := walkDocs(ctx, r, name, fn, func(loc string, raw []byte, err error) error {
		if e := report(loc, raw, err); e != nil {
			return e
		}
		return errStop
	})
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// errStop ends a walk after a syntax error was reported.
var errStop = errors.New("stop")

func walkDocs(ctx context.Context, r io.Reader, name string, fn func(loc string, raw json.RawMessage) error,
	bad func(loc string, raw []byte, err error) error) error {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	dec.UseNumber()
	for doc := 0; ; doc++ {
		prefix := name + ":"
		if doc > 0 {
			prefix = name + ":#" + strconv.Itoa(doc+1)
		}
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return bad(prefix+"$", nil, fmt.Errorf("not JSON: %w", err))
		}
		switch tok {
		case json.Delim('['):
			if err := elements(ctx, dec, prefix+"$", fn, bad); err != nil {
				return err
			}
		case json.Delim('{'):
			fields := map[string]json.RawMessage{}
			objects := false
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return bad(prefix+"$", nil, fmt.Errorf("not JSON: %w", err))
				}
				key, _ := kt.(string)
				if key == "objects" && !objects {
					t, err := dec.Token()
					if err != nil {
						return bad(prefix+"$.objects", nil, fmt.Errorf("not JSON: %w", err))
					}
					if t != json.Delim('[') {
						return bad(prefix+"$.objects", nil, errors.New(`"objects" is not a list`))
					}
					objects = true
					if err := elements(ctx, dec, prefix+"$.objects", fn, bad); err != nil {
						return err
					}
					continue
				}
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return bad(prefix+"$."+key, nil, fmt.Errorf("not JSON: %w", err))
				}
				fields[key] = raw
			}
			if _, err := dec.Token(); err != nil {
				return bad(prefix+"$", nil, fmt.Errorf("not JSON: %w", err))
			}
			if objects || fields["type"] == nil && (fields["more"] != nil || fields["next"] != nil || len(fields) == 0) {
				continue // a bundle or an (empty) envelope
			}
			raw, err := json.Marshal(fields)
			if err != nil {
				return bad(prefix+"$", nil, err)
			}
			if err := fn(prefix+"$", raw); err != nil {
				return err
			}
		case nil:
			continue
		default:
			return bad(prefix+"$", nil, fmt.Errorf("a STIX input is an object or a list of objects, not %v", tok))
		}
	}
}

// elements calls fn with each element of the list whose '[' was read.
func elements(ctx context.Context, dec *json.Decoder, path string, fn func(string, json.RawMessage) error,
	bad func(string, []byte, error) error) error {
	for i := 0; dec.More(); i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		var raw json.RawMessage
		loc := path + "[" + strconv.Itoa(i) + "]"
		if err := dec.Decode(&raw); err != nil {
			return bad(loc, nil, fmt.Errorf("not JSON: %w", err))
		}
		if err := fn(loc, raw); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return bad(path, nil, fmt.Errorf("not JSON: %w", err))
	}
	return nil
}

// object holds the STIX properties Watchfloor reads.
type object struct {
	Type               string          `json:"type"`
	ID                 string          `json:"id"`
	Modified           string          `json:"modified"`
	Created            string          `json:"created"`
	Revoked            bool            `json:"revoked"`
	Name               string          `json:"name"`
	Description        string          `json:"description"`
	Pattern            string          `json:"pattern"`
	PatternType        string          `json:"pattern_type"`
	ValidFrom          string          `json:"valid_from"`
	ValidUntil         string          `json:"valid_until"`
	IndicatorTypes     []string        `json:"indicator_types"`
	Labels             []string        `json:"labels"`
	Confidence         *int            `json:"confidence"`
	ObjectMarkingRefs  []string        `json:"object_marking_refs"`
	RelationshipType   string          `json:"relationship_type"`
	SourceRef          string          `json:"source_ref"`
	TargetRef          string          `json:"target_ref"`
	Aliases            []string        `json:"aliases"`
	XMitreAliases      []string        `json:"x_mitre_aliases"`
	FirstSeen          string          `json:"first_seen"`
	LastSeen           string          `json:"last_seen"`
	PrimaryMotivation  string          `json:"primary_motivation"`
	Sectors            []string        `json:"sectors"`
	Country            string          `json:"country"`
	Region             string          `json:"region"`
	DefinitionType     string          `json:"definition_type"`
	Definition         json.RawMessage `json:"definition"`
	ExternalReferences []struct {
		SourceName string `json:"source_name"`
		ExternalID string `json:"external_id"`
		URL        string `json:"url"`
	} `json:"external_references"`
}

// tlpMarkings are the STIX 2.1 specification's TLP marking definitions.
var tlpMarkings = map[string]string{
	"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "clear",
	"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "green",
	"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "amber",
	"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "red",
}

// threatKinds are the object types stored as threat objects.
var threatKinds = map[string]bool{
	model.ThreatIntrusionSet: true, model.ThreatActor: true, model.ThreatCampaign: true, model.ThreatMalware: true,
	model.ThreatTool: true, model.ThreatAttackPattern: true, model.ThreatIdentity: true, model.ThreatLocation: true,
}

type converter struct {
	source string
	// tlp maps the marking definitions read so far onto TLP levels.
	tlp map[string]string
}

// convert turns one STIX object into a record; ok is false for objects
// Watchfloor does not keep.
func (c *converter) convert(loc string, raw json.RawMessage) (record.Record, bool) {
	var o object
	if err := json.Unmarshal(raw, &o); err != nil {
		return record.Reject(loc, raw, "%s", describeJSONError(raw, err)), true
	}
	if o.Type == "" {
		return record.Reject(loc, raw, "object has no type"), true
	}
	if o.ID == "" || !strings.HasPrefix(o.ID, o.Type+"--") {
		return record.Reject(loc, raw, "%s has no id of the form %s--<uuid> (id %q)", o.Type, o.Type, o.ID), true
	}
	mod, err := stamp(o.Modified, o.Created)
	if err != nil {
		return record.Reject(loc, raw, "%s: modified: %v", o.ID, err), true
	}
	switch {
	case o.Type == "marking-definition":
		c.marking(&o)
		return record.Record{}, false
	case o.Type == "indicator":
		in, skip, err := c.indicator(&o, mod)
		if err != nil {
			return record.Reject(loc, raw, "%s: %v", o.ID, err), true
		}
		if skip {
			return record.Record{}, false
		}
		in.Raw = raw
		return record.Record{Loc: loc, Raw: raw, Indicator: in}, true
	case o.Type == "relationship":
		if o.RelationshipType == "" || o.SourceRef == "" || o.TargetRef == "" {
			return record.Reject(loc, raw, "%s needs relationship_type, source_ref and target_ref", o.ID), true
		}
		return record.Record{Loc: loc, Raw: raw, Relation: &model.IntelRelation{Source: c.source, ExternalID: o.ID,
			Type: o.RelationshipType, From: o.SourceRef, To: o.TargetRef, Modified: mod, Revoked: o.Revoked}}, true
	case threatKinds[o.Type]:
		t, err := c.threat(&o, mod)
		if err != nil {
			return record.Reject(loc, raw, "%s: %v", o.ID, err), true
		}
		return record.Record{Loc: loc, Raw: raw, Threat: t}, true
	}
	return record.Record{}, false
}

func (c *converter) marking(o *object) {
	level := ""
	if strings.HasPrefix(strings.ToUpper(o.Name), "TLP:") {
		level = strings.ToLower(strings.TrimPrefix(strings.ToUpper(o.Name), "TLP:"))
	}
	if o.DefinitionType == "tlp" {
		var d struct {
			TLP string `json:"tlp"`
		}
		if json.Unmarshal(o.Definition, &d) == nil && d.TLP != "" {
			level = strings.ToLower(d.TLP)
		}
	}
	if level == "white" {
		level = "clear"
	}
	if level != "" {
		c.tlp[o.ID] = level
	}
}

// indicator converts an indicator; skip is true for patterns that are
// not STIX patterns.
func (c *converter) indicator(o *object, mod time.Time) (*model.Indicator, bool, error) {
	if pt := strings.ToLower(o.PatternType); pt != "" && pt != "stix" {
		return nil, true, nil
	}
	if o.Pattern == "" {
		return nil, false, errors.New("indicator has no pattern")
	}
	comps, err := ParsePattern(o.Pattern)
	if err != nil {
		return nil, false, fmt.Errorf("pattern %q: %w", clip(o.Pattern), err)
	}
	if len(comps) == 0 {
		return nil, false, fmt.Errorf("pattern %q compares no value for equality; Watchfloor matches values", clip(o.Pattern))
	}
	in := &model.Indicator{Source: c.source, ExternalID: o.ID, Pattern: o.Pattern, Name: o.Name, Description: o.Description,
		Confidence: model.ConfidenceUnknown, Revoked: o.Revoked, Detect: true, Modified: mod, Value: comps[0].Value}
	seen := map[model.IndicatorObservable]bool{}
	for _, cmp := range comps {
		ob, err := cmp.Observable()
		if err != nil {
			return nil, false, err
		}
		if !seen[ob] {
			seen[ob] = true
			in.Observables = append(in.Observables, ob)
		}
	}
	in.Type = in.Observables[0].Kind
	if o.Confidence != nil {
		if *o.Confidence < 0 || *o.Confidence > 100 {
			return nil, false, fmt.Errorf("confidence %d is not 0–100", *o.Confidence)
		}
		in.Confidence = *o.Confidence
	}
	in.Labels = append(slices.Clone(o.IndicatorTypes), o.Labels...)
	for _, ref := range o.ObjectMarkingRefs {
		if l, ok := tlpMarkings[ref]; ok {
			in.TLP = l
		} else if l, ok := c.tlp[ref]; ok {
			in.TLP = l
		}
	}
	if in.ValidFrom, err = stamp(o.ValidFrom); err != nil {
		return nil, false, fmt.Errorf("valid_from: %w", err)
	}
	if in.ValidUntil, err = stamp(o.ValidUntil); err != nil {
		return nil, false, fmt.Errorf("valid_until: %w", err)
	}
	if !in.ValidFrom.IsZero() && !in.ValidUntil.IsZero() && !in.ValidUntil.After(in.ValidFrom) {
		return nil, false, fmt.Errorf("valid_until %s is not after valid_from %s", o.ValidUntil, o.ValidFrom)
	}
	return in, false, nil
}

func (c *converter) threat(o *object, mod time.Time) (*model.ThreatObject, error) {
	name := o.Name
	if o.Type == model.ThreatLocation && name == "" {
		name = firstOf(o.Country, o.Region)
	}
	if name == "" {
		return nil, fmt.Errorf("%s has no name", o.Type)
	}
	t := &model.ThreatObject{Source: c.source, ExternalID: o.ID, Kind: o.Type, Name: name, Description: o.Description,
		Motivation: o.PrimaryMotivation, Sectors: o.Sectors, Modified: mod, Revoked: o.Revoked}
	for _, a := range append(slices.Clone(o.Aliases), o.XMitreAliases...) {
		if a != "" && a != name && !slices.Contains(t.Aliases, a) {
			t.Aliases = append(t.Aliases, a)
		}
	}
	if o.Type == model.ThreatLocation {
		for _, v := range []string{o.Country, o.Region, o.Name} {
			if v != "" && !slices.Contains(t.Victims, v) {
				t.Victims = append(t.Victims, v)
			}
		}
	}
	for _, r := range o.ExternalReferences {
		if r.ExternalID != "" && strings.HasPrefix(r.SourceName, "mitre-") {
			t.AttackIDs = append(t.AttackIDs, strings.ToUpper(r.ExternalID))
		}
		if r.URL != "" && len(t.Refs) < 10 {
			t.Refs = append(t.Refs, r.URL)
		}
	}
	var err error
	if t.FirstSeen, err = stamp(o.FirstSeen); err != nil {
		return nil, fmt.Errorf("first_seen: %w", err)
	}
	if t.LastSeen, err = stamp(o.LastSeen); err != nil {
		return nil, fmt.Errorf("last_seen: %w", err)
	}
	return t, nil
}

// stamp reads the first non-empty STIX timestamp of vs; zero when none.
func stamp(vs ...string) (time.Time, error) {
	for _, v := range vs {
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not an RFC 3339 timestamp", v)
		}
		return t.UTC(), nil
	}
	return time.Time{}, nil
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// clip shortens a value quoted in an error.
func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// describeJSONError names the property whose type is wrong, or the object's
// id, in a decoding error.
func describeJSONError(raw []byte, err error) string {
	var te *json.UnmarshalTypeError
	id := ""
	var head struct {
		ID any `json:"id"`
	}
	if json.Unmarshal(raw, &head) == nil {
		if s, ok := head.ID.(string); ok {
			id = s + ": "
		}
	}
	if !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		return "a STIX object is a JSON object, not " + string(clipBytes(raw))
	}
	if errors.As(err, &te) {
		return fmt.Sprintf("%sproperty %q is a JSON %s, not %s", id, te.Field, te.Value, jsonType(te.Type.String()))
	}
	return id + err.Error()
}

func jsonType(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.Contains(goType, "int"):
		return "an integer"
	}
	return goType
}

func clipBytes(b []byte) []byte {
	if len(b) > 40 {
		return append(slices.Clone(b[:40]), "…"...)
	}
	return b
}
