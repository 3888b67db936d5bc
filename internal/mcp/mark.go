package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// Every answer passes through one function before it leaves the server:
// [marker.answer] walks the answer beside its output schema and returns
// every string as an untrusted [Text] object unless its property is one
// Watchfloor itself produces or validates (ids it assigns, enums, times,
// definitions: trustedKeys). The walk is by type, deny by default: a
// string field added to any tool, in this package or in the types it
// borrows (metrics, staffing, runbook …), is marked without anyone
// remembering to. Maps whose keys came from a source become lists of
// {"name": Text, "value": …}. The tools' output schemas, as tools/list
// shows them, are rewritten the same way, so answers stay valid.

// trustedKeys are the properties whose strings Watchfloor makes or checks:
// its own ids and paging tokens, validated enums, RFC 3339 times it
// formats, windows, and definitions it wrote. Everything else is marked.
var trustedKeys = map[string]bool{
	// ids Watchfloor assigns, paging
	"id": true, "case_id": true, "incident_id": true, "indicator_id": true, "event_id": true, "event_ids": true,
	"matched_alerts": true, "next_page_token": true, "alert_id": true, "alert_ids": true, "case_ids": true, "uri": true,
	"finding_id": true, "profile_id": true, "runbook_id": true, "new_entries": true,
	// validated enums
	"priority": true, "stage": true, "severity": true, "disposition": true, "clock": true, "sla_state": true,
	"update_state": true, "tier": true, "finding_class": true, "tlp": true, "found_by": true, "regime": true,
	"regime_name": true, "report": true, "report_name": true, "trigger": true, "citation": true, "capped_by": true,
	"audience": true, "channel": true, "cost_currency": true, "currency": true, "group_by": true, "kpi": true,
	"cohort": true, "mode": true, "method": true, "model": true, "verdict": true, "factor": true,
	"confidence_basis": true, "vacant_roles": true, "timeframe": true, "health_state": true, "feed_state": true,
	"evidence_unit": true,
	// times and windows Watchfloor formats
	"acknowledged_at": true, "as_of": true, "at": true, "closed_at": true, "contained_at": true, "created_at": true,
	"deadline": true, "declared_at": true, "due": true, "due_at": true, "expires_at": true, "finished_at": true,
	"first_found": true, "first_seen": true, "history_from": true, "history_since": true, "history_to": true,
	"history_until": true, "issued_at": true, "last_match": true, "last_message_at": true, "last_run": true,
	"last_seen": true, "last_at": true, "next_deadline": true, "next_update_due": true, "now": true, "occurred_at": true,
	"resolved_at": true, "review_due": true, "since": true, "started_at": true, "stopped_at": true,
	"submitted_at": true, "synced_at": true, "triggered_at": true, "updated_at": true, "valid_until": true, "ingested_at": true,
	"from": true, "to": true, "data_through": true, "partial_reasons": true, "future_dated_newest": true, "window": true,
	"previous_window": true, "period": true, "time_zone": true, "windows": true, "newest_record": true,
	// definitions Watchfloor wrote
	"definition": true, "analyst_hours_definition": true, "false_positive_definition": true, "cost_definition": true,
	"service_level_definition": true, "definitions_uri": true, "cut": true, "more": true, "follow_up": true,
}

// trustedMapKeys are the maps whose keys Watchfloor makes (priorities,
// age buckets, dispositions, tiers, KPI and input names, runbook ids).
var trustedMapKeys = map[string]bool{
	"definitions": true, "unassigned_by_priority": true, "dispositions": true, "outcomes": true, "fte_by_tier": true,
	"sources": true, "by_age": true, "queue_mix": true, "runbook_mix": true,
}

// sourceKeys are properties, named parent.key, that hold source text
// although the key alone reads as Watchfloor's: an analyst's id is their
// login in the source.
var sourceKeys = map[string]bool{"analysts.id": true}

// trusted reports whether the strings of property key, inside parent,
// are Watchfloor's own.
func trusted(parent, key string) bool { return trustedKeys[key] && !sourceKeys[parent+"."+key] }

// textDef is the output schema of a marked string, defined once per tool
// schema (under $defs) and referred to wherever one appears.
func textDef(nullable bool) map[string]any {
	s := map[string]any{"type": "object", "required": []any{"untrusted", "text"},
		"properties": map[string]any{"untrusted": map[string]any{"const": true}, "text": map[string]any{"type": "string"},
			"truncated": map[string]any{"type": "boolean"}}}
	if nullable {
		s["type"] = []any{"null", "object"}
	}
	return s
}

// textSchema refers to textDef.
func textSchema(nullable bool) map[string]any {
	if nullable {
		return map[string]any{"$ref": "#/$defs/untrusted_or_null"}
	}
	return map[string]any{"$ref": "#/$defs/untrusted"}
}

// withTextDefs adds the definitions textSchema refers to, those it does.
func withTextDefs(s map[string]any) map[string]any {
	b, _ := json.Marshal(s)
	defs, _ := s["$defs"].(map[string]any)
	if defs == nil {
		defs = map[string]any{}
	}
	if strings.Contains(string(b), `"#/$defs/untrusted"`) {
		defs["untrusted"] = textDef(false)
	}
	if strings.Contains(string(b), `"#/$defs/untrusted_or_null"`) {
		defs["untrusted_or_null"] = textDef(true)
	}
	if len(defs) > 0 {
		s["$defs"] = defs
	}
	return s
}

// isText reports whether a schema (or value) is already an untrusted Text.
func isText(props map[string]any) bool {
	_, u := props["untrusted"]
	_, t := props["text"]
	return u && t
}

func schemaTypes(s map[string]any) []string {
	switch t := s["type"].(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			if str, ok := e.(string); ok {
				out = append(out, str)
			}
		}
		return out
	}
	return nil
}

func hasType(s map[string]any, t string) bool {
	for _, x := range schemaTypes(s) {
		if x == t {
			return true
		}
	}
	return false
}

// markSchema rewrites an output schema (as JSON) the way markValue
// rewrites answers. key is the property the schema describes.
func markSchema(s map[string]any, parent, key string) map[string]any {
	if s == nil {
		return nil
	}
	out := make(map[string]any, len(s))
	for k, v := range s {
		out[k] = v
	}
	switch {
	case hasType(s, "string"):
		if trusted(parent, key) {
			return out
		}
		return textSchema(hasType(s, "null"))
	case hasType(s, "array"):
		if it, ok := s["items"].(map[string]any); ok {
			out["items"] = markSchema(it, parent, key)
		}
	case hasType(s, "object"):
		props, _ := s["properties"].(map[string]any)
		if isText(props) {
			return out
		}
		if props != nil {
			np := make(map[string]any, len(props))
			for k, v := range props {
				ps, _ := v.(map[string]any)
				np[k] = markSchema(ps, key, k)
			}
			out["properties"] = np
		}
		if ap, ok := s["additionalProperties"].(map[string]any); ok && len(props) == 0 {
			val := markSchema(ap, key, key+"{}")
			if trustedMapKeys[key] {
				out["additionalProperties"] = val
				return out
			}
			// Source-named keys: a list of name and value.
			list := map[string]any{"type": "array", "items": map[string]any{"type": "object", "required": []any{"name", "value"},
				"properties": map[string]any{"name": textSchema(false), "value": val}}}
			if hasType(s, "null") {
				list["type"] = []any{"null", "array"}
			}
			if d, ok := s["description"]; ok {
				list["description"] = d
			}
			return list
		}
	}
	return out
}

// markValue rewrites one answer (as decoded JSON) beside its marked-to-be
// schema s (the original, unmarked one).
func markValue(s map[string]any, v any, parent, key string) any {
	switch x := v.(type) {
	case string:
		if trusted(parent, key) {
			return x
		}
		return untrusted(x, longText)
	case []any:
		var items map[string]any
		if s != nil {
			items, _ = s["items"].(map[string]any)
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = markValue(items, e, parent, key)
		}
		return out
	case map[string]any:
		if x["untrusted"] == true {
			return x
		}
		var props, ap map[string]any
		if s != nil {
			props, _ = s["properties"].(map[string]any)
			ap, _ = s["additionalProperties"].(map[string]any)
		}
		if len(props) == 0 && ap != nil {
			if trustedMapKeys[key] {
				out := make(map[string]any, len(x))
				for k, e := range x {
					out[k] = markValue(ap, e, key, key+"{}")
				}
				return out
			}
			names := make([]string, 0, len(x))
			for k := range x {
				names = append(names, k)
			}
			slices.Sort(names)
			list := make([]any, 0, len(x))
			for _, k := range names {
				list = append(list, map[string]any{"name": untrusted(k, shortText), "value": markValue(ap, x[k], key, key+"{}")})
			}
			return list
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			var ps map[string]any
			if props != nil {
				ps, _ = props[k].(map[string]any)
			}
			out[k] = markValue(ps, e, key, k)
		}
		return out
	}
	return v
}

// marker keeps each tool's output schema, as registered and as marked.
type marker struct {
	mu     sync.Mutex
	loaded bool
	orig   map[string]map[string]any // tool name → registered output schema (JSON)
	marked map[string]any            // tool name → marked output schema
	limits map[string]map[string]int // tool name → integer argument → its "at most" (-1: none)
}

// learn records the registered output schemas of a page of tools.
func (m *marker) learn(tools []*sdk.Tool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.orig == nil {
		m.orig, m.marked = map[string]map[string]any{}, map[string]any{}
	}
	if m.limits == nil {
		m.limits = map[string]map[string]int{}
	}
	for _, t := range tools {
		if _, ok := m.limits[t.Name]; !ok {
			m.limits[t.Name] = intLimits(t.InputSchema)
		}
		if _, ok := m.orig[t.Name]; ok || t.OutputSchema == nil {
			continue
		}
		js, err := asJSON(t.OutputSchema)
		if err != nil {
			continue
		}
		m.orig[t.Name] = js
		m.marked[t.Name] = withTextDefs(windowSchema(trimSchema(budgetSchema(givenOnceSchema(markSchema(js, "", ""))), 0)))
	}
}

// load learns every tool's schema through the server's own tools/list,
// once, for a call that comes before any listing.
func (m *marker) load(ctx context.Context, next sdk.MethodHandler, session *sdk.ServerSession) error {
	m.mu.Lock()
	done := m.loaded
	m.loaded = true
	m.mu.Unlock()
	if done {
		return nil
	}
	cursor := ""
	for {
		res, err := next(ctx, "tools/list", &sdk.ListToolsRequest{Session: session, Params: &sdk.ListToolsParams{Cursor: cursor}})
		if err != nil {
			m.mu.Lock()
			m.loaded = false
			m.mu.Unlock()
			return fmt.Errorf("listing the tools' output schemas: %w", err)
		}
		lr, _ := res.(*sdk.ListToolsResult)
		if lr == nil {
			return nil
		}
		m.learn(lr.Tools)
		if cursor = lr.NextCursor; cursor == "" {
			return nil
		}
	}
}

// toolSchema returns a tool's output schema as tools/list shows it.
func (m *marker) toolSchema(t *sdk.Tool) any {
	m.learn([]*sdk.Tool{t})
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.marked[t.Name]; ok {
		return s
	}
	return t.OutputSchema
}

// answer marks a tool's structured answer (JSON); it returns the marked
// value and its JSON text.
func (m *marker) answer(tool string, structured any) (any, []byte, error) {
	m.mu.Lock()
	schema := m.orig[tool]
	m.mu.Unlock()
	b, err := json.Marshal(structured)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding the answer: %w", err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, nil, fmt.Errorf("decoding the answer: %w", err)
	}
	v = markValue(schema, v, "", "")
	b, err = json.Marshal(v)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding the marked answer: %w", err)
	}
	return v, b, nil
}

func asJSON(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding a schema: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decoding a schema: %w", err)
	}
	return m, nil
}

// DecodeAnswer decodes a tool's structured answer into the tool's Go
// answer type (ListCasesOut …), undoing the marking where out holds a
// plain string: an untrusted object becomes its text, a list of
// {"name", "value"} becomes a map again. It is for Go code that reads
// answers as values (tests, other Watchfloor surfaces); the text keeps its
// escaping and is still untrusted.
func DecodeAnswer(structured any, out any) error {
	b, err := json.Marshal(structured)
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	t := reflect.TypeOf(out)
	if t == nil || t.Kind() != reflect.Pointer {
		return fmt.Errorf("DecodeAnswer needs a pointer, not %v", t)
	}
	b, err = json.Marshal(unmark(t.Elem(), v))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

var textType = reflect.TypeFor[Text]()

func unmark(t reflect.Type, v any) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		if m, ok := v.(map[string]any); ok && m["untrusted"] == true {
			return m["text"]
		}
	case reflect.Slice, reflect.Array:
		if l, ok := v.([]any); ok {
			out := make([]any, len(l))
			for i, e := range l {
				out[i] = unmark(t.Elem(), e)
			}
			return out
		}
	case reflect.Map:
		switch x := v.(type) {
		case []any:
			out := map[string]any{}
			for _, e := range x {
				p, _ := e.(map[string]any)
				name, _ := unmark(reflect.TypeFor[string](), p["name"]).(string)
				out[name] = unmark(t.Elem(), p["value"])
			}
			return out
		case map[string]any:
			out := make(map[string]any, len(x))
			for k, e := range x {
				out[k] = unmark(t.Elem(), e)
			}
			return out
		}
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok || t == textType {
			return v
		}
		out := make(map[string]any, len(m))
		for k, e := range m {
			out[k] = e
		}
		unmarkFields(t, m, out)
		return out
	}
	return v
}

// unmarkFields undoes the marking of t's fields (and its embedded
// structs' fields) in m, into out.
func unmarkFields(t reflect.Type, m, out map[string]any) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			unmarkFields(ft, m, out)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if e, ok := m[name]; ok {
			out[name] = unmark(f.Type, e)
		}
	}
}

// windowSchema shows a KPI answer's kpi_window by type: the server's
// instructions describe it once for every tool.
func windowSchema(s map[string]any) map[string]any {
	props, _ := s["properties"].(map[string]any)
	if w, ok := props["kpi_window"].(map[string]any); ok {
		short := map[string]any{"type": w["type"]}
		if d, ok := w["description"]; ok {
			short["description"] = d
		}
		props["kpi_window"] = short
	}
	return s
}

// schemaDepth is how deep output schemas are shown: properties below it
// are given by type only (the answers themselves are complete).
var schemaDepth = 2

// trimSchema drops the descriptions below an output schema's top-level
// properties, so tools/list stays small; the tool's description and the
// top-level properties keep theirs.
func trimSchema(s map[string]any, depth int) map[string]any {
	if s == nil {
		return nil
	}
	if depth > schemaDepth {
		out := map[string]any{}
		for _, k := range []string{"type", "$ref"} {
			if v, ok := s[k]; ok {
				out[k] = v
			}
		}
		return out
	}
	if depth > 1 {
		delete(s, "description")
	}
	if depth > 0 {
		delete(s, "required")
		if s["additionalProperties"] == false {
			delete(s, "additionalProperties")
		}
	}
	if it, ok := s["items"].(map[string]any); ok {
		s["items"] = trimSchema(it, depth+1)
	}
	if ap, ok := s["additionalProperties"].(map[string]any); ok {
		s["additionalProperties"] = trimSchema(ap, depth+1)
	}
	if props, ok := s["properties"].(map[string]any); ok {
		for k, p := range props {
			if pm, ok := p.(map[string]any); ok {
				props[k] = trimSchema(pm, depth+1)
			}
		}
	}
	return s
}

var atMost = regexp.MustCompile(`at most (\d+)`)

// intLimits reads a tool's integer arguments and the "at most N" their
// descriptions state (-1 when none).
func intLimits(schema any) map[string]int {
	out := map[string]int{}
	js, err := asJSON(schema)
	if err != nil {
		return out
	}
	props, _ := js["properties"].(map[string]any)
	for name, p := range props {
		ps, _ := p.(map[string]any)
		if !hasType(ps, "integer") {
			continue
		}
		out[name] = -1
		desc, _ := ps["description"].(string)
		if sm := atMost.FindStringSubmatch(desc); sm != nil {
			out[name], _ = strconv.Atoi(sm[1])
		}
	}
	return out
}

// checkInts refuses negative integer arguments and ones above the most
// their description allows; "" when the call's arguments are in range.
func (m *marker) checkInts(tool string, raw json.RawMessage) string {
	m.mu.Lock()
	limits := m.limits[tool]
	m.mu.Unlock()
	if len(limits) == 0 || len(raw) == 0 {
		return ""
	}
	var args map[string]json.RawMessage
	if json.Unmarshal(raw, &args) != nil {
		return ""
	}
	names := make([]string, 0, len(args))
	for k := range args {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		most, ok := limits[name]
		if !ok {
			continue
		}
		var n float64
		if json.Unmarshal(args[name], &n) != nil {
			continue // the SDK's schema check names the type error
		}
		switch {
		case n < 0:
			return fmt.Sprintf("invalid argument: %s %v: want 0 (the default) or more", name, n)
		case most >= 0 && n > float64(most):
			return fmt.Sprintf("invalid argument: %s %v: at most %d", name, n, most)
		}
	}
	return ""
}
