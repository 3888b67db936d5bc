// Package thehive reads TheHive alerts and cases: the objects of TheHive 5's
// API v1 (as listed by its query API or thehive4py, one per NDJSON line, in a
// top-level array or as a single document), TheHive 5 webhook payloads
// ({"objectType": "Case", "object": {…}}), and the TheHive 3/4 shapes that
// name the same things differently (lower-case _type, createdAt,
// resolutionStatus, owner, artifacts).
//
// Alerts become model.Alert and cases model.Case snapshots, with source
// "thehive" and TheHive's _id as external id. An alert keeps its sourceRef,
// type and source as attributes, links to its case through caseId, and
// carries its observables as entities. A case's priority comes from its
// severity (model.PriorityFromTheHive), its stage from TheHive's stage or
// status, its disposition from the closing status (TruePositive,
// FalsePositive, Duplicated, Indeterminate, Other) or TheHive 4's
// resolutionStatus. Webhook payloads for deletions are skipped.
package thehive

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"regexp"
	"strings"

	"github.com/watchfloor/watchfloor/internal/ingest/jsonfield"
	"github.com/watchfloor/watchfloor/internal/ingest/jsonstream"
	"github.com/watchfloor/watchfloor/internal/ingest/record"
)

// Source is the source name of everything this package emits.
const Source = "thehive"

// Parse streams the alerts and cases of r to emit. name is used in
// locations. Objects that cannot be mapped are emitted as rejections; an
// error is returned only when r cannot be read or emit fails.
func Parse(ctx context.Context, r io.Reader, name string, emit record.Emit) error {
	return jsonstream.Each(r, name, func(loc string, value []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, ok := parseValue(loc, bytes.Clone(value))
		if !ok {
			return nil
		}
		return emit(rec)
	}, func(loc string, value []byte, err error) error {
		return emit(record.Reject(loc, bytes.Clone(value), "%v", err))
	})
}

// parseValue maps one JSON value. It returns false for a value that carries
// nothing to ingest (a deletion webhook).
func parseValue(loc string, value []byte) (record.Record, bool) {
	var f jsonfield.Fields
	if err := json.Unmarshal(value, &f); err != nil || f == nil {
		return record.Reject(loc, value, "not a JSON object: got %s", jsonfield.Kind(value)), true
	}
	if _, _, ok := f.Get("objectType"); ok {
		if _, _, ok := f.Get("object"); ok {
			return fromWebhook(loc, value, f)
		}
	}
	typ, err := f.Str("_type")
	if err != nil {
		return record.Reject(loc, value, "%v", err), true
	}
	return fromObject(loc, value, f, typ)
}

// fromObject maps an alert or case whose type is typ ("" when the object
// does not say).
func fromObject(loc string, raw []byte, f jsonfield.Fields, typ string) (record.Record, bool) {
	switch strings.ToLower(typ) {
	case "alert":
		return alertRecord(loc, raw, f), true
	case "case":
		return caseRecord(loc, raw, f), true
	case "":
		// Hand-made exports drop the system fields; sourceRef is an
		// alert's, and only cases are numbered.
		switch {
		case f.Has("sourceRef"):
			return alertRecord(loc, raw, f), true
		case f.Has("number", "caseId", "resolutionStatus", "impactStatus"):
			return caseRecord(loc, raw, f), true
		}
		return record.Reject(loc, raw, "missing _type: not recognisable as a TheHive Alert or Case"), true
	}
	return record.Reject(loc, raw, "_type %q: want Alert or Case", typ), true
}

// fromWebhook maps the object a TheHive webhook payload carries.
func fromWebhook(loc string, raw []byte, f jsonfield.Fields) (record.Record, bool) {
	objType, err := f.Str("objectType")
	if err != nil {
		return record.Reject(loc, raw, "%v", err), true
	}
	t := strings.ToLower(objType)
	if t != "alert" && t != "case" {
		return record.Reject(loc, raw, "webhook objectType %q: want Alert or Case", objType), true
	}
	if op, _ := f.Str("operation"); strings.EqualFold(op, "delete") || strings.EqualFold(op, "deletion") {
		return record.Record{}, false
	}
	_, v, _ := f.Get("object")
	var obj jsonfield.Fields
	if err := json.Unmarshal(v, &obj); err != nil || obj == nil {
		return record.Reject(loc, raw, "webhook object: want an object, got %s", jsonfield.Kind(v)), true
	}
	if _, _, ok := obj.Get("_id", "id"); !ok {
		if _, id, ok := f.Get("objectId"); ok {
			obj["_id"] = id
		}
	}
	return fromObject(loc, v, obj, objType)
}

var (
	typeRe       = regexp.MustCompile(`"_type"\s*:\s*"(?i:alert|case)"`)
	objectTypeRe = regexp.MustCompile(`"objectType"\s*:\s*"(?i:alert|case)"`)
)

// Detect reports whether head, the first bytes of an input, looks like
// TheHive alerts or cases.
func Detect(head []byte) bool {
	h := bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf")
	if len(h) == 0 || (h[0] != '{' && h[0] != '[') {
		return false
	}
	if typeRe.Match(h) || objectTypeRe.Match(h) {
		return true
	}
	return bytes.Contains(h, []byte(`"_createdAt"`)) && bytes.Contains(h, []byte(`"_id"`))
}
