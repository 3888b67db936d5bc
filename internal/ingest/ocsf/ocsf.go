// Package ocsf reads OCSF 1.x findings: Detection Finding (2004) and the
// legacy Security Finding (2001) become alerts, Incident Finding (2005)
// becomes a case snapshot, and Vulnerability (2002) and Compliance (2003)
// Findings become posture findings.
//
// Input may be NDJSON, a top-level array, or one or more pretty-printed
// documents; records are read one at a time. Records that are not findings,
// that carry an unsupported class_uid, that lack an id or that hold a time
// which cannot be read are rejected with the reason and their location.
//
// # Source names
//
// Every item's Source is "ocsf:" followed by a slug of
// metadata.product.vendor_name and metadata.product.name: lower-cased, runs
// of anything but letters and digits turned into one "-". When the product
// slug already starts with the vendor slug the vendor is not repeated, so
// AWS "Security Hub" is "ocsf:aws-security-hub", Amazon "GuardDuty" is
// "ocsf:amazon-guardduty", Okta "Okta System Log" is "ocsf:okta-system-log"
// and Prowler "Prowler" is "ocsf:prowler". Without a product the slug of
// metadata.log_provider is used, and without either the source is "ocsf".
//
// # Identifiers
//
// Alerts take finding_info.uid (finding.uid in 2001 records), else
// metadata.uid. Posture findings take finding_info.uid, else metadata.uid.
// An Incident Finding has no incident id of its own in the schema, so a case
// takes metadata.original_event_uid (the incident's id in the producing
// system, the same on its Create, Update and Close events), else
// metadata.uid.
//
// # Times
//
// All times go through ParseTime. A numeric field (time, created_time …)
// wins over its "_dt" sibling, because some producers (Prowler) write the
// "_dt" string in local time without a zone.
package ocsf

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/watchfloor/watchfloor/internal/ingest/jsonstream"
	"github.com/watchfloor/watchfloor/internal/ingest/record"
)

var _ record.ParserFunc = Parse

// The finding classes this package reads.
const (
	classSecurityFinding      = 2001
	classVulnerabilityFinding = 2002
	classComplianceFinding    = 2003
	classDetectionFinding     = 2004
	classIncidentFinding      = 2005
)

// Parse reads OCSF findings from r and emits one record per JSON value.
// name is used in record locations. It returns an error only when the input
// as a whole cannot be read, when ctx is done, or when emit fails.
func Parse(ctx context.Context, r io.Reader, name string, emit record.Emit) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	each := func(loc string, value []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return emit(parseRecord(loc, value))
	}
	bad := func(loc string, value []byte, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		return emit(record.Reject(loc, bytes.Clone(value), "%w", err))
	}
	return jsonstream.Each(r, name, each, bad)
}

// parseRecord maps one JSON value onto a domain object, or rejects it.
func parseRecord(loc string, value []byte) record.Record {
	raw := bytes.Clone(value)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return record.Reject(loc, raw, "invalid JSON: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return record.Reject(loc, raw, "not an OCSF finding: the value is a JSON %s, want an object", kindOf(v))
	}
	o := object(m)
	class, err := classOf(o)
	if err != nil {
		return record.Reject(loc, raw, "%v", err)
	}
	rec := record.Record{Loc: loc}
	if err := vocabulary(o, class); err != nil {
		return record.Reject(loc, raw, "class_uid %d: %v", class, err)
	}
	switch class {
	case classSecurityFinding, classDetectionFinding:
		rec.Alert, err = toAlert(o, class, raw)
	case classVulnerabilityFinding, classComplianceFinding:
		rec.Finding, err = toFinding(o, class, raw)
	case classIncidentFinding:
		rec.Case, err = toCase(o, raw)
	}
	if err != nil {
		return record.Reject(loc, raw, "class_uid %d: %v", class, err)
	}
	return rec
}

// classOf returns the record's class_uid, derived from type_uid when
// class_uid is absent, and checks that it is a finding class read here.
func classOf(o object) (int64, error) {
	var class int64
	switch {
	case o.has("class_uid"):
		n, ok := o.int("class_uid")
		if !ok {
			return 0, fmt.Errorf("not an OCSF finding: class_uid %s is not an integer", o.text("class_uid"))
		}
		class = n
	case o.has("type_uid"):
		n, ok := o.int("type_uid")
		if !ok {
			return 0, fmt.Errorf("not an OCSF finding: no class_uid, and type_uid %s is not an integer", o.text("type_uid"))
		}
		class = n / 100
	default:
		return 0, fmt.Errorf("not an OCSF finding: no class_uid")
	}
	if class < classSecurityFinding || class > classIncidentFinding {
		name := o.str("class_name")
		if name == "" {
			name = "unknown class"
		}
		return 0, fmt.Errorf("unsupported class_uid %d (%s): want 2001 Security, 2002 Vulnerability, 2003 Compliance, 2004 Detection or 2005 Incident Finding", class, name)
	}
	return class, nil
}
