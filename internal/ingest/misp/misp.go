// Package misp reads MISP threat intelligence: feed event files
// ({"Event": …}, as a MISP feed serves them beside its manifest.json, or
// the API's {"response": […]}) into indicators, and MISP galaxy cluster
// files (threat actors, ransomware families, malware …) into threat
// objects.
//
// Every attribute of an event — those inside its objects too — becomes an
// indicator keyed by the attribute's uuid, with source "misp:" and the
// creating organisation's name: its value normalised by type (composite
// types such as filename|sha256, ip-dst|port and domain|ip give their
// matchable parts), to_ids as whether it may match (attributes without it
// are kept as context and never match), deleted as revoked, the TLP and
// confidence tags, the event's title as its name and the attribute's
// comment as its description. Galaxy clusters an event carries become
// threat objects, and each attribute of the event is related to them
// ("indicates"). An attribute of a type MISP does not define, or whose
// value is not valid for its type, is rejected with its JSON path.
package misp

import (
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

	"github.com/watchfloor/watchfloor/internal/ingest/jsonstream"
	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/intel/observable"
	"github.com/watchfloor/watchfloor/internal/model"
)

// Parser reads MISP event files. Source, when set, names the feed instead
// of "misp:" and the creating organisation.
type Parser struct {
	Source string
}

var (
	detectEvent    = regexp.MustCompile(`^\s*[\[{]\s*("response"\s*:\s*\[\s*\{\s*)?"Event"\s*:\s*\{`)
	detectManifest = regexp.MustCompile(`"threat_level_id"\s*:`)
)

// Detect reports whether an input's head is a MISP event or feed manifest.
func Detect(head []byte) bool {
	h := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	return detectEvent.Match(h) || (bytes.Contains(h, []byte(`"Orgc"`)) && detectManifest.Match(h))
}

// flexBool reads MISP's booleans: true/false, 1/0 or "1"/"0".
type flexBool bool

func (b *flexBool) UnmarshalJSON(v []byte) error {
	switch strings.Trim(string(v), `"`) {
	case "true", "1", "True":
		*b = true
	case "false", "0", "", "null", "False":
		*b = false
	default:
		return fmt.Errorf("%s is not a boolean", v)
	}
	return nil
}

// flexInt reads a number written as a number or a string.
type flexInt int64

func (n *flexInt) UnmarshalJSON(v []byte) error {
	s := strings.Trim(string(v), `"`)
	if s == "" || s == "null" {
		*n = 0
		return nil
	}
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%s is not a whole number", v)
	}
	*n = flexInt(i)
	return nil
}

type tag struct {
	Name string `json:"name"`
}

type cluster struct {
	UUID        string                     `json:"uuid"`
	Type        string                     `json:"type"`
	Value       string                     `json:"value"`
	Description string                     `json:"description"`
	Meta        map[string]json.RawMessage `json:"meta"`
	Related     []related                  `json:"related"`
}

type galaxy struct {
	Type     string    `json:"type"`
	Clusters []cluster `json:"GalaxyCluster"`
}

type event struct {
	UUID      string  `json:"uuid"`
	Info      string  `json:"info"`
	Timestamp flexInt `json:"timestamp"`
	Orgc      struct {
		Name string `json:"name"`
	} `json:"Orgc"`
	Tags       []tag             `json:"Tag"`
	Attributes []json.RawMessage `json:"Attribute"`
	Objects    []struct {
		Name       string            `json:"name"`
		Attributes []json.RawMessage `json:"Attribute"`
	} `json:"Object"`
	Galaxies []galaxy `json:"Galaxy"`
}

type attribute struct {
	UUID      string   `json:"uuid"`
	Type      string   `json:"type"`
	Category  string   `json:"category"`
	Value     string   `json:"value"`
	Comment   string   `json:"comment"`
	ToIDs     flexBool `json:"to_ids"`
	Deleted   flexBool `json:"deleted"`
	Timestamp flexInt  `json:"timestamp"`
	FirstSeen *string  `json:"first_seen"`
	LastSeen  *string  `json:"last_seen"`
	Tags      []tag    `json:"Tag"`
	Galaxies  []galaxy `json:"Galaxy"`
}

// Parse reads r.
func (p Parser) Parse(ctx context.Context, r io.Reader, name string, emit record.Emit) error {
	return jsonstream.Each(r, name, func(loc string, value []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return p.document(loc, value, emit)
	}, func(loc string, value []byte, err error) error {
		return emit(record.Reject(loc, value, "not JSON: %v", err))
	})
}

// document reads one top-level value: an event, {"response": [events]} or
// a list of events.
func (p Parser) document(loc string, value []byte, emit record.Emit) error {
	path := func(s string) string {
		if strings.HasSuffix(loc, "$") || strings.Contains(loc, "$[") {
			return loc + s
		}
		return loc + ":$" + s // NDJSON lines are "name:12"
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(value, &top); err != nil {
		var list []json.RawMessage
		if json.Unmarshal(value, &list) != nil {
			return emit(record.Reject(loc, value, "a MISP event file holds {\"Event\": …}, not %s", kind(value)))
		}
		for i, v := range list {
			if err := p.document(path("["+strconv.Itoa(i)+"]"), v, emit); err != nil {
				return err
			}
		}
		return nil
	}
	if ev, ok := top["Event"]; ok {
		return p.event(path(".Event"), ev, emit)
	}
	if resp, ok := top["response"]; ok {
		var list []json.RawMessage
		if err := json.Unmarshal(resp, &list); err != nil {
			return emit(record.Reject(path(".response"), resp, "response is not a list of events"))
		}
		for i, v := range list {
			if err := p.document(path(".response["+strconv.Itoa(i)+"]"), v, emit); err != nil {
				return err
			}
		}
		return nil
	}
	if isManifest(top) {
		return emit(record.Reject(loc, nil, "this is a MISP feed manifest (manifest.json): pull the feed with `watchfloor intel pull --misp-feed DIR-OR-URL`, which reads the events it lists"))
	}
	return emit(record.Reject(loc, value, "not a MISP event: no \"Event\" key"))
}

// isManifest reports whether a document maps event uuids to event
// summaries, as a feed's manifest.json does.
func isManifest(top map[string]json.RawMessage) bool {
	for _, v := range top {
		var e struct {
			Info string `json:"info"`
		}
		return json.Unmarshal(v, &e) == nil && e.Info != ""
	}
	return false
}

func kind(v []byte) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '"':
		return "a string"
	case '[':
		return "a list"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// event converts one event's attributes, objects and galaxies.
func (p Parser) event(loc string, raw json.RawMessage, emit record.Emit) error {
	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return emit(record.Reject(loc, raw, "event: %v", err))
	}
	if ev.UUID == "" {
		return emit(record.Reject(loc, raw, "event has no uuid"))
	}
	src := p.Source
	if src == "" {
		src = "misp"
		if ev.Orgc.Name != "" {
			src += ":" + ev.Orgc.Name
		}
	}
	c := eventContext{source: src, ev: &ev}
	for _, t := range ev.Tags {
		c.tags = append(c.tags, t.Name)
	}
	// Clusters the event names, as threat objects and as relation targets.
	for gi, g := range ev.Galaxies {
		for ci, cl := range g.Clusters {
			if cl.Type == "" {
				cl.Type = g.Type
			}
			cloc := loc + ".Galaxy[" + strconv.Itoa(gi) + "].GalaxyCluster[" + strconv.Itoa(ci) + "]"
			t, err := clusterObject(cl)
			if err != nil {
				if err := emit(record.Reject(cloc, nil, "%v", err)); err != nil {
					return err
				}
				continue
			}
			c.threats = append(c.threats, "name:"+cl.Value)
			if err := emit(record.Record{Loc: cloc, Threat: t}); err != nil {
				return err
			}
		}
	}
	c.threats = append(c.threats, galaxyTagTargets(c.tags)...)
	for i, a := range ev.Attributes {
		if err := c.attribute(loc+".Attribute["+strconv.Itoa(i)+"]", a, emit); err != nil {
			return err
		}
	}
	for oi, o := range ev.Objects {
		for i, a := range o.Attributes {
			if err := c.attribute(loc+".Object["+strconv.Itoa(oi)+"].Attribute["+strconv.Itoa(i)+"]", a, emit); err != nil {
				return err
			}
		}
	}
	return nil
}

// galaxyTagTargets turns tags such as misp-galaxy:threat-actor="APT 28"
// into relation targets.
func galaxyTagTargets(tags []string) []string {
	var out []string
	for _, t := range tags {
		rest, ok := strings.CutPrefix(t, "misp-galaxy:")
		if !ok {
			continue
		}
		if _, v, ok := strings.Cut(rest, "="); ok {
			if v = strings.Trim(v, `"`); v != "" {
				out = append(out, "name:"+v)
			}
		}
	}
	return out
}

type eventContext struct {
	source  string
	ev      *event
	tags    []string
	threats []string
}

func (c *eventContext) attribute(loc string, raw json.RawMessage, emit record.Emit) error {
	var a attribute
	if err := json.Unmarshal(raw, &a); err != nil {
		return emit(record.Reject(loc, raw, "attribute: %v", err))
	}
	in, err := c.indicator(&a)
	if err != nil {
		id := a.UUID
		if id == "" {
			id = "without uuid"
		}
		return emit(record.Reject(loc, raw, "attribute %s: %v", id, err))
	}
	in.Raw = raw
	if err := emit(record.Record{Loc: loc, Raw: raw, Indicator: in}); err != nil {
		return err
	}
	targets := slices.Clone(c.threats)
	for _, g := range a.Galaxies {
		for _, cl := range g.Clusters {
			if cl.Value != "" {
				targets = append(targets, "name:"+cl.Value)
			}
		}
	}
	var atags []string
	for _, t := range a.Tags {
		atags = append(atags, t.Name)
	}
	targets = append(targets, galaxyTagTargets(atags)...)
	slices.Sort(targets)
	for _, to := range slices.Compact(targets) {
		rel := &model.IntelRelation{Source: c.source, ExternalID: a.UUID + "->" + to, Type: "indicates", From: a.UUID, To: to,
			Modified: in.Modified}
		if err := emit(record.Record{Loc: loc, Raw: raw, Relation: rel}); err != nil {
			return err
		}
	}
	return nil
}

func (c *eventContext) indicator(a *attribute) (*model.Indicator, error) {
	if a.UUID == "" {
		return nil, errors.New("no uuid")
	}
	kind, ok := attributeTypes[a.Type]
	if !ok {
		return nil, fmt.Errorf("unknown MISP attribute type %q", a.Type)
	}
	in := &model.Indicator{Source: c.source, ExternalID: a.UUID, Type: string(kind), Value: a.Value, Name: c.ev.Info,
		Description: a.Comment, Confidence: model.ConfidenceUnknown, Detect: bool(a.ToIDs), Revoked: bool(a.Deleted)}
	obs, err := attributeObservables(a.Type, kind, a.Value)
	if err != nil {
		return nil, err
	}
	in.Observables = obs
	in.Type = obs[0].Kind
	if a.Category != "" {
		in.Labels = append(in.Labels, a.Category)
	}
	tags := slices.Clone(c.tags)
	for _, t := range a.Tags {
		tags = append(tags, t.Name)
	}
	for _, t := range tags { // attribute tags come last and win
		switch lt := strings.ToLower(t); {
		case strings.HasPrefix(lt, "tlp:"):
			in.TLP = strings.TrimPrefix(lt, "tlp:")
			if in.TLP == "white" {
				in.TLP = "clear"
			}
		case isConfidence(lt):
			in.Confidence = confidenceTags[lt]
		default:
			if !slices.Contains(in.Labels, t) {
				in.Labels = append(in.Labels, t)
			}
		}
	}
	if in.FirstSeen, err = seen(a.FirstSeen); err != nil {
		return nil, fmt.Errorf("first_seen: %w", err)
	}
	if in.LastSeen, err = seen(a.LastSeen); err != nil {
		return nil, fmt.Errorf("last_seen: %w", err)
	}
	ts := int64(a.Timestamp)
	if ts == 0 {
		ts = int64(c.ev.Timestamp)
	}
	if ts > 0 {
		in.Modified = time.Unix(ts, 0).UTC()
	}
	return in, nil
}

func isConfidence(tag string) bool {
	_, ok := confidenceTags[tag]
	return ok
}

// attributeObservables normalises an attribute's value; composite types
// give their matchable parts.
func attributeObservables(typ string, kind observable.Kind, value string) ([]model.IndicatorObservable, error) {
	parts := []string{value}
	switch {
	case strings.HasPrefix(typ, "filename|"):
		_, h, ok := strings.Cut(value, "|")
		if !ok {
			return nil, fmt.Errorf("%s value %q has no '|'", typ, value)
		}
		parts = []string{h}
	case strings.HasSuffix(typ, "|port"):
		v, _, _ := strings.Cut(value, "|")
		parts = []string{v}
	case typ == "domain|ip":
		d, ip, ok := strings.Cut(value, "|")
		if !ok {
			return nil, fmt.Errorf("domain|ip value %q has no '|'", value)
		}
		parts = []string{d, ip}
	case typ == "regkey|value":
		parts = []string{value}
	}
	var out []model.IndicatorObservable
	for i, v := range parts {
		k := kind
		if typ == "domain|ip" && i == 1 {
			k = observable.IP
		}
		o, err := observable.Normalize(k, v)
		if err != nil {
			return nil, fmt.Errorf("%s value: %w", typ, err)
		}
		out = append(out, model.IndicatorObservable{Kind: string(o.Kind), Value: o.Value})
	}
	return out, nil
}

// seen reads MISP's first_seen and last_seen (RFC 3339, microseconds).
func seen(v *string) (time.Time, error) {
	if v == nil || *v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, *v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", *v)
	}
	return t.UTC(), nil
}
