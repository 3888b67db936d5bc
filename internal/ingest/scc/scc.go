// Package scc reads Google Security Command Center (v2 API) findings as
// posture findings.
//
// Input may be NDJSON, a top-level array, bare Finding resources, the
// results of findings.list ({"listFindingsResults": [{"finding": …,
// "resource": …}]}), single list results or Pub/Sub notifications
// ({"notificationConfigName": …, "finding": …, "resource": …}); records are
// read one at a time.
//
// # Mapping
//
// ExternalID is the finding's name (organizations/…/sources/…/locations/…
// /findings/…), Source is "google-scc". findingClass VULNERABILITY is a
// vulnerability, MISCONFIGURATION and POSTURE_VIOLATION are compliance
// findings; without a findingClass a finding with a vulnerability.cve is a
// vulnerability, else compliance. THREAT, OBSERVATION, SCC_ERROR and
// TOXIC_COMBINATION findings are rejected: they are not posture. Status is
// state (ACTIVE or INACTIVE), or MUTED when mute is MUTED. Severity is
// severity (LOW … CRITICAL). CVSS is vulnerability.cve.cvssv3.baseScore.
// The resource is the enclosing resource's name and type (else
// resourceName). First seen is createTime; last seen is eventTime (the time
// the finding was last observed or changed state). Remediation is
// nextSteps. Category is the first compliance id when there is one
// (e.g. "CIS GCP 1.0 4.1"), else category, and for a vulnerability the CVE.
//
// A record without name, with an unknown state, severity or findingClass,
// or with an unreadable time is rejected with its location and the reason.
package scc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest/jsonstream"
	"github.com/watchfloor/watchfloor/internal/ingest/ocsf"
	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/model"
)

var _ record.ParserFunc = Parse

// Source is the Source of every finding read here.
const Source = "google-scc"

type resource struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	Type        string `json:"type"`
}

// finding holds the Finding attributes read here.
type finding struct {
	Name          string `json:"name"`
	CanonicalName string `json:"canonicalName"`
	ResourceName  string `json:"resourceName"`
	State         string `json:"state"`
	Category      string `json:"category"`
	Description   string `json:"description"`
	NextSteps     string `json:"nextSteps"`
	ExternalURI   string `json:"externalUri"`
	EventTime     string `json:"eventTime"`
	CreateTime    string `json:"createTime"`
	Severity      string `json:"severity"`
	Mute          string `json:"mute"`
	FindingClass  string `json:"findingClass"`
	Vulnerability *struct {
		Cve *struct {
			ID     string `json:"id"`
			Cvssv3 *struct {
				BaseScore float64 `json:"baseScore"`
			} `json:"cvssv3"`
		} `json:"cve"`
	} `json:"vulnerability"`
	Compliances []struct {
		Standard string   `json:"standard"`
		Version  string   `json:"version"`
		IDs      []string `json:"ids"`
	} `json:"compliances"`
}

// wrapper is a list result or a notification: a finding with its resource.
type wrapper struct {
	Finding  *json.RawMessage `json:"finding"`
	Resource *resource        `json:"resource"`
}

// Detect reports whether head, the start of an input, looks like SCC
// findings: it names a listFindingsResults or a notificationConfigName, or
// a resourceName and either a findingClass or a canonicalName.
func Detect(head []byte) bool {
	if bytes.Contains(head, []byte(`"listFindingsResults"`)) || bytes.Contains(head, []byte(`"notificationConfigName"`)) {
		return true
	}
	if !bytes.Contains(head, []byte(`"resourceName"`)) {
		return false
	}
	for _, k := range []string{`"findingClass"`, `"canonicalName"`} {
		if bytes.Contains(head, []byte(k)) {
			return true
		}
	}
	return false
}

// Parse reads SCC findings from r and emits one record per finding. name is
// used in record locations. It returns an error only when the input as a
// whole cannot be read, when ctx is done, or when emit fails.
func Parse(ctx context.Context, r io.Reader, name string, emit record.Emit) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	each := func(loc string, value []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return unwrap(loc, value, emit)
	}
	bad := func(loc string, value []byte, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		return emit(record.Reject(loc, bytes.Clone(value), "%w", err))
	}
	return jsonstream.Each(r, name, each, bad)
}

// unwrap emits the findings of one JSON value.
func unwrap(loc string, value []byte, emit record.Emit) error {
	var list struct {
		Results []json.RawMessage `json:"listFindingsResults"`
	}
	if err := json.Unmarshal(value, &list); err == nil && list.Results != nil {
		if !strings.Contains(loc, ":$") {
			loc += ":$"
		}
		for i, v := range list.Results {
			if err := emit(parseRecord(fmt.Sprintf("%s.listFindingsResults[%d]", loc, i), v)); err != nil {
				return err
			}
		}
		return nil
	}
	return emit(parseRecord(loc, value))
}

// parseRecord maps one finding (bare or wrapped) onto a posture finding,
// or rejects it.
func parseRecord(loc string, value []byte) record.Record {
	raw := bytes.Clone(value)
	var w wrapper
	if err := json.Unmarshal(raw, &w); err != nil {
		return record.Reject(loc, raw, "not an SCC finding: %v", err)
	}
	body := raw
	if w.Finding != nil {
		body = *w.Finding
	}
	var f finding
	if err := json.Unmarshal(body, &f); err != nil {
		return record.Reject(loc, raw, "not an SCC finding: %v", err)
	}
	out, err := toFinding(&f, w.Resource, raw)
	if err != nil {
		if f.Name != "" {
			return record.Reject(loc, raw, "finding %q: %v", f.Name, err)
		}
		return record.Reject(loc, raw, "%v", err)
	}
	return record.Record{Loc: loc, Finding: out}
}

var severities = map[string]model.Severity{"": model.SeverityUnknown, "SEVERITY_UNSPECIFIED": model.SeverityUnknown,
	"LOW": model.SeverityLow, "MEDIUM": model.SeverityMedium, "HIGH": model.SeverityHigh, "CRITICAL": model.SeverityCritical}

var states = map[string]bool{"": true, "STATE_UNSPECIFIED": true, "ACTIVE": true, "INACTIVE": true}

func toFinding(f *finding, res *resource, raw []byte) (*model.Finding, error) {
	if strings.TrimSpace(f.Name) == "" {
		return nil, errors.New("no name")
	}
	class := strings.ToUpper(f.FindingClass)
	out := &model.Finding{Source: Source, ExternalID: f.Name, Description: f.Description,
		Remediation: strings.TrimSpace(f.NextSteps), Raw: json.RawMessage(raw)}
	switch class {
	case "VULNERABILITY":
		out.Class = model.FindingVulnerability
	case "MISCONFIGURATION", "POSTURE_VIOLATION":
		out.Class = model.FindingCompliance
	case "", "FINDING_CLASS_UNSPECIFIED":
		out.Class = model.FindingCompliance
		if f.Vulnerability != nil && f.Vulnerability.Cve != nil {
			out.Class = model.FindingVulnerability
		}
	case "THREAT", "OBSERVATION", "SCC_ERROR", "TOXIC_COMBINATION":
		return nil, fmt.Errorf("findingClass %s is not a posture finding", class)
	default:
		return nil, fmt.Errorf("unknown findingClass %q", f.FindingClass)
	}
	sev, ok := severities[strings.ToUpper(f.Severity)]
	if !ok {
		return nil, fmt.Errorf("unknown severity %q (want LOW, MEDIUM, HIGH or CRITICAL)", f.Severity)
	}
	out.Severity = sev
	state := strings.ToUpper(f.State)
	if !states[state] {
		return nil, fmt.Errorf("unknown state %q (want ACTIVE or INACTIVE)", f.State)
	}
	out.Status = state
	if strings.EqualFold(f.Mute, "MUTED") {
		out.Status = "MUTED"
	}
	out.ResourceName = f.ResourceName
	if res != nil {
		out.ResourceName = firstNonEmpty(res.Name, res.DisplayName, f.ResourceName)
		out.ResourceType = res.Type
	}
	if out.ResourceName == "" {
		return nil, errors.New("no resourceName")
	}
	out.Category = f.Category
	for _, c := range f.Compliances {
		if len(c.IDs) > 0 {
			out.Category = strings.TrimSpace(strings.Join(nonEmpty(c.Standard, c.Version, c.IDs[0]), " "))
			break
		}
	}
	if v := f.Vulnerability; v != nil && v.Cve != nil {
		if v.Cve.ID != "" {
			out.CVEs = []string{v.Cve.ID}
			out.Category = v.Cve.ID
		}
		if c := v.Cve.Cvssv3; c != nil && c.BaseScore > 0 && c.BaseScore <= 10 {
			out.CVSS = c.BaseScore
		}
	}
	out.Title = humanize(f.Category)
	if len(out.CVEs) > 0 {
		out.Title = out.CVEs[0] + " " + out.Title
	}
	if f.ExternalURI != "" {
		out.Remediation = strings.Join(nonEmpty(out.Remediation, f.ExternalURI), "\n")
	}
	created, err := at("createTime", f.CreateTime)
	if err != nil {
		return nil, err
	}
	event, err := at("eventTime", f.EventTime)
	if err != nil {
		return nil, err
	}
	out.CreatedAt, out.FirstSeenAt, out.LastSeenAt = created, created, event
	if out.FirstSeenAt.IsZero() {
		out.FirstSeenAt = event
	}
	return out, nil
}

// humanize turns a category such as PUBLIC_BUCKET_ACL into
// "Public bucket acl".
func humanize(s string) string {
	s = strings.ToLower(strings.ReplaceAll(s, "_", " "))
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func at(field, s string) (time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, nil
	}
	t, err := ocsf.ParseTime(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", field, err)
	}
	return t, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
