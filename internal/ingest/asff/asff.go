// Package asff reads AWS Security Hub findings in the AWS Security Finding
// Format (ASFF, SchemaVersion 2018-10-08) as posture findings.
//
// Input may be NDJSON, a top-level array, a GetFindings response or
// BatchImportFindings request ({"Findings": [...]}), or an EventBridge event
// ({"detail": {"findings": [...]}}); records are read one at a time.
//
// # Mapping
//
// ExternalID is Id; Source is "asff:" followed by a slug of ProductName
// (else of the product part of ProductArn). A finding with Vulnerabilities
// (or a "Software and Configuration Checks/Vulnerabilities" type) is a
// vulnerability, anything else a compliance finding; finding types that are
// threat detections ("TTPs", "Effects", "Unusual Behaviors", "Sensitive
// Data Identifications") are rejected because they are not posture. Status
// is "ARCHIVED" when RecordState is ARCHIVED, else Workflow.Status
// (NEW, NOTIFIED, RESOLVED, SUPPRESSED), else WorkflowState. Severity is
// Severity.Label, else Severity.Normalized (0 informational, 1–39 low,
// 40–69 medium, 70–89 high, 90–100 critical). CVSS is the highest
// Vulnerabilities[].Cvss[].BaseScore. The resource is Resources[0] (Id and
// Type). First seen is FirstObservedAt, else CreatedAt; last seen is
// LastObservedAt, else UpdatedAt; for a RESOLVED or ARCHIVED finding last
// seen is UpdatedAt, the time the finding was closed. Remediation is
// Remediation.Recommendation.Text and its Url.
//
// A record without Id, without Resources, with an unknown severity label,
// an unknown workflow status or an unreadable time is rejected with its
// location and the reason.
package asff

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode"

	"github.com/watchfloor/watchfloor/internal/ingest/jsonstream"
	"github.com/watchfloor/watchfloor/internal/ingest/ocsf"
	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/model"
)

var _ record.ParserFunc = Parse

// finding holds the ASFF attributes read here.
type finding struct {
	SchemaVersion   string
	ID              string `json:"Id"`
	ProductArn      string
	ProductName     string
	GeneratorID     string `json:"GeneratorId"`
	AwsAccountID    string `json:"AwsAccountId"`
	Types           []string
	CreatedAt       string
	UpdatedAt       string
	FirstObservedAt string
	LastObservedAt  string
	Title           string
	Description     string
	Severity        *struct {
		Label      string
		Normalized *float64
	}
	Remediation struct {
		Recommendation struct {
			Text string
			URL  string `json:"Url"`
		}
	}
	Resources []struct {
		Type string
		ID   string `json:"Id"`
	}
	Compliance *struct {
		Status            string
		SecurityControlID string `json:"SecurityControlId"`
	}
	Vulnerabilities []struct {
		ID   string `json:"Id"`
		Cvss []struct {
			BaseScore float64
		}
	}
	Workflow struct {
		Status string
	}
	WorkflowState string
	RecordState   string
}

// Detect reports whether head, the start of an input, looks like ASFF: it
// names both a ProductArn and either an AwsAccountId or a SchemaVersion.
func Detect(head []byte) bool {
	return bytes.Contains(head, []byte(`"ProductArn"`)) &&
		(bytes.Contains(head, []byte(`"AwsAccountId"`)) || bytes.Contains(head, []byte(`"SchemaVersion"`)))
}

// Parse reads ASFF findings from r and emits one record per finding. name
// is used in record locations. It returns an error only when the input as a
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

// unwrap emits the findings of one JSON value: a finding or an envelope.
func unwrap(loc string, value []byte, emit record.Emit) error {
	var env struct {
		Findings []json.RawMessage
		Detail   *struct {
			Findings []json.RawMessage `json:"findings"`
		} `json:"detail"`
	}
	list, path := []json.RawMessage(nil), ""
	if err := json.Unmarshal(value, &env); err == nil {
		switch {
		case env.Findings != nil:
			list, path = env.Findings, ".Findings"
		case env.Detail != nil && env.Detail.Findings != nil:
			list, path = env.Detail.Findings, ".detail.findings"
		}
	}
	if path == "" {
		return emit(parseRecord(loc, value))
	}
	if !strings.Contains(loc, ":$") {
		loc += ":$" // an NDJSON line: name the line, then the path
	}
	for i, v := range list {
		if err := emit(parseRecord(fmt.Sprintf("%s%s[%d]", loc, path, i), v)); err != nil {
			return err
		}
	}
	return nil
}

// parseRecord maps one finding onto a posture finding, or rejects it.
func parseRecord(loc string, value []byte) record.Record {
	raw := bytes.Clone(value)
	var f finding
	if err := json.Unmarshal(raw, &f); err != nil {
		return record.Reject(loc, raw, "not an ASFF finding: %v", err)
	}
	out, err := toFinding(&f, raw)
	if err != nil {
		if f.ID != "" {
			return record.Reject(loc, raw, "finding %q: %v", f.ID, err)
		}
		return record.Reject(loc, raw, "%v", err)
	}
	return record.Record{Loc: loc, Finding: out}
}

// threatTypes are ASFF type namespaces that describe detections, not posture.
var threatTypes = []string{"TTPs", "Effects", "Unusual Behaviors", "Sensitive Data Identifications"}

var labels = map[string]model.Severity{"INFORMATIONAL": model.SeverityInformational, "LOW": model.SeverityLow,
	"MEDIUM": model.SeverityMedium, "HIGH": model.SeverityHigh, "CRITICAL": model.SeverityCritical}

var workflowStatuses = map[string]bool{"NEW": true, "NOTIFIED": true, "RESOLVED": true, "SUPPRESSED": true}

func toFinding(f *finding, raw []byte) (*model.Finding, error) {
	if strings.TrimSpace(f.ID) == "" {
		return nil, errors.New("no Id")
	}
	if len(f.Resources) == 0 {
		return nil, errors.New("no Resources")
	}
	for _, t := range f.Types {
		for _, p := range threatTypes {
			if t == p || strings.HasPrefix(t, p+"/") {
				return nil, fmt.Errorf("type %q is a threat detection, not a posture finding", t)
			}
		}
	}
	out := &model.Finding{
		Source: source(f), ExternalID: f.ID, Title: f.Title, Description: f.Description,
		ResourceName: f.Resources[0].ID, ResourceType: f.Resources[0].Type, Raw: json.RawMessage(raw),
	}
	sev, err := severity(f)
	if err != nil {
		return nil, err
	}
	out.Severity = sev

	status := strings.ToUpper(strings.TrimSpace(f.Workflow.Status))
	if status != "" && !workflowStatuses[status] {
		return nil, fmt.Errorf("unknown Workflow.Status %q (want NEW, NOTIFIED, RESOLVED or SUPPRESSED)", f.Workflow.Status)
	}
	if status == "" {
		status = strings.ToUpper(strings.TrimSpace(f.WorkflowState))
	}
	closed := status == "RESOLVED"
	if strings.EqualFold(f.RecordState, "ARCHIVED") {
		status, closed = "ARCHIVED", true
	}
	out.Status = status

	vulnerable := len(f.Vulnerabilities) > 0
	for _, t := range f.Types {
		vulnerable = vulnerable || strings.HasPrefix(t, "Software and Configuration Checks/Vulnerabilities")
	}
	if vulnerable {
		out.Class = model.FindingVulnerability
		for _, v := range f.Vulnerabilities {
			if strings.HasPrefix(v.ID, "CVE-") && !contains(out.CVEs, v.ID) {
				out.CVEs = append(out.CVEs, v.ID)
			}
			for _, c := range v.Cvss {
				if c.BaseScore > out.CVSS && c.BaseScore <= 10 {
					out.CVSS = c.BaseScore
				}
			}
			if out.Category == "" {
				out.Category = v.ID
			}
		}
	} else {
		out.Class = model.FindingCompliance
		if f.Compliance != nil {
			out.Category = f.Compliance.SecurityControlID
		}
		if out.Category == "" {
			out.Category = strings.TrimPrefix(f.GeneratorID, "security-control/")
		}
	}
	rem := f.Remediation.Recommendation
	out.Remediation = strings.TrimSpace(strings.Join(nonEmpty(rem.Text, rem.URL), "\n"))

	created, err := at("CreatedAt", f.CreatedAt)
	if err != nil {
		return nil, err
	}
	updated, err := at("UpdatedAt", f.UpdatedAt)
	if err != nil {
		return nil, err
	}
	first, err := at("FirstObservedAt", f.FirstObservedAt)
	if err != nil {
		return nil, err
	}
	last, err := at("LastObservedAt", f.LastObservedAt)
	if err != nil {
		return nil, err
	}
	out.CreatedAt = created
	out.FirstSeenAt = firstTime(first, created)
	out.LastSeenAt = firstTime(last, updated)
	if closed && !updated.IsZero() {
		out.LastSeenAt = updated
	}
	return out, nil
}

func severity(f *finding) (model.Severity, error) {
	if f.Severity == nil {
		return model.SeverityUnknown, nil
	}
	if l := strings.ToUpper(strings.TrimSpace(f.Severity.Label)); l != "" {
		s, ok := labels[l]
		if !ok {
			return 0, fmt.Errorf("unknown Severity.Label %q", f.Severity.Label)
		}
		return s, nil
	}
	if n := f.Severity.Normalized; n != nil {
		switch v := *n; {
		case math.IsNaN(v) || v < 0 || v > 100:
			return 0, fmt.Errorf("Severity.Normalized %v is outside 0–100", v)
		case v >= 90:
			return model.SeverityCritical, nil
		case v >= 70:
			return model.SeverityHigh, nil
		case v >= 40:
			return model.SeverityMedium, nil
		case v >= 1:
			return model.SeverityLow, nil
		default:
			return model.SeverityInformational, nil
		}
	}
	return model.SeverityUnknown, nil
}

// at reads an ASFF timestamp (ISO 8601); empty is the zero time.
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

// source names the product that reported the finding.
func source(f *finding) string {
	p := slug(f.ProductName)
	if p == "" {
		// arn:aws:securityhub:us-east-1::product/aws/inspector
		if i := strings.LastIndex(f.ProductArn, "/"); i >= 0 {
			p = slug(f.ProductArn[i+1:])
		}
	}
	if p == "" {
		return "asff"
	}
	if len(p) > 60 {
		p = strings.TrimRight(p[:60], "-")
	}
	return "asff:" + p
}

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}

func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
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

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
