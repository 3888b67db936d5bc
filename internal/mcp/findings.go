package mcp

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// TopFindingsIn are top_vulnerability_findings's arguments (scc-mcp names).
type TopFindingsIn struct {
	MaxFindings   int    `json:"max_findings,omitempty" jsonschema:"findings per page, default 20, at most 100"`
	Severity      string `json:"severity,omitempty" jsonschema:"minimum severity: informational, low, medium, high (default) or critical"`
	State         string `json:"state,omitempty" jsonschema:"active (default: not resolved, suppressed, archived, deleted, closed or fixed), inactive, all, or a source status such as New"`
	NextPageToken string `json:"next_page_token,omitempty"`
	ProjectID     string `json:"project_id,omitempty" jsonschema:"accepted for compatibility with Google's scc-mcp; Watchfloor answers from its own store"`
}

// SearchFindingsIn are search_findings's arguments.
type SearchFindingsIn struct {
	Query         string `json:"query,omitempty" jsonschema:"substring of the title, category, resource name or a CVE id"`
	Class         string `json:"finding_class,omitempty" jsonschema:"vulnerability or compliance"`
	Severity      string `json:"severity,omitempty" jsonschema:"minimum severity: informational, low, medium, high, critical"`
	State         string `json:"state,omitempty" jsonschema:"active (default: not resolved, suppressed, archived, deleted, closed or fixed), inactive, all, or a source status such as New or Resolved"`
	Category      string `json:"category,omitempty" jsonschema:"control id or CVE, exact"`
	ResourceName  string `json:"resource_name,omitempty" jsonschema:"exact resource name"`
	ResourceType  string `json:"resource_type,omitempty"`
	PageSize      int    `json:"page_size,omitempty" jsonschema:"findings per page, default 20, at most 100"`
	NextPageToken string `json:"next_page_token,omitempty"`
	ProjectID     string `json:"project_id,omitempty" jsonschema:"accepted for compatibility with Google's scc-mcp; Watchfloor answers from its own store"`
}

// RemediationIn are get_finding_remediation's arguments: a finding id, or a
// resource name with a category.
type RemediationIn struct {
	FindingID    string `json:"finding_id,omitempty" jsonschema:"Watchfloor finding id"`
	ResourceName string `json:"resource_name,omitempty"`
	Category     string `json:"category,omitempty"`
	ProjectID    string `json:"project_id,omitempty" jsonschema:"accepted for compatibility with Google's scc-mcp; Watchfloor answers from its own store"`
}

// FindingRow is one posture finding.
type FindingRow struct {
	ID           string   `json:"id"`
	Source       string   `json:"source"`
	ExternalID   string   `json:"external_id"`
	Class        string   `json:"finding_class"`
	Title        Text     `json:"title"`
	Severity     string   `json:"severity"`
	CVSS         float64  `json:"cvss"`
	CVEs         []string `json:"cves"`
	Category     string   `json:"category"`
	State        string   `json:"state"`
	ResourceName Text     `json:"resource_name"`
	ResourceType string   `json:"resource_type"`
	FirstSeen    string   `json:"first_seen"`
	LastSeen     string   `json:"last_seen"`
}

// FindingsOut is a page of findings.
type FindingsOut struct {
	Findings      []FindingRow `json:"findings"`
	Total         int64        `json:"total"`
	NextPageToken string       `json:"next_page_token"`
	Truncated     bool         `json:"truncated" jsonschema:"true when the answer's size budget cut this page short; next_page_token continues after the last row returned"`
}

// RemediationItem is a finding with its remediation advice.
type RemediationItem struct {
	Finding     FindingRow `json:"finding"`
	Description Text       `json:"description"`
	Remediation Text       `json:"remediation" jsonschema:"the source's advice; empty text when the source gave none"`
}

// RemediationOut is get_finding_remediation's answer.
type RemediationOut struct {
	Findings []RemediationItem `json:"findings"`
	Total    int64             `json:"total" jsonschema:"findings on the resource in the category (at most 5 are listed)"`
}

func (s *server) addFindingTools(srv *sdk.Server) {
	sdk.AddTool(srv, &sdk.Tool{Name: "top_vulnerability_findings", Annotations: readOnly("Top vulnerabilities"),
		Description: "Active high and critical vulnerability findings (state and severity adjustable), most severe first (severity, then CVSS, then the oldest), with resource, CVEs and state; paged."},
		s.topFindings)
	sdk.AddTool(srv, &sdk.Tool{Name: "search_findings", Annotations: readOnly("Search findings"),
		Description: "Searches posture findings (vulnerabilities and compliance) by text, class, severity, state, category and resource; paged."},
		s.searchFindings)
	sdk.AddTool(srv, &sdk.Tool{Name: "get_finding_remediation", Annotations: readOnly("Finding remediation"),
		Description: "Remediation advice for a finding, by finding_id or by resource_name and category."},
		s.remediation)
}

func findingRow(f *model.Finding) FindingRow {
	return FindingRow{ID: strconv.FormatInt(f.ID, 10), Source: f.Source, ExternalID: f.ExternalID, Class: string(f.Class),
		Title: untrusted(f.Title, shortText), Severity: f.Severity.String(), CVSS: f.CVSS, CVEs: nonNil(f.CVEs),
		Category: f.Category, State: f.Status, ResourceName: untrusted(f.ResourceName, shortText), ResourceType: f.ResourceType,
		FirstSeen: ts(f.FirstSeenAt), LastSeen: ts(f.LastSeenAt)}
}

// findingState applies a state argument to a filter.
func (s *server) findingState(ctx context.Context, f *store.FindingFilter, state string) error {
	switch st := strings.ToLower(strings.TrimSpace(state)); st {
	case "", store.FindingsActive:
		f.State = store.FindingsActive
	case store.FindingsInactive:
		f.State = store.FindingsInactive
	case "all":
	default:
		if err := sourceValue(ctx, "state", state, []string{"active", "inactive", "all"}, s.st.FindingStatuses); err != nil {
			return err
		}
		f.Status = state
	}
	return nil
}

// findings runs a paged finding query, most severe first, then highest
// CVSS, then oldest; the token is the last row's place in that order.
func (s *server) findings(ctx context.Context, kind string, query any, f store.FindingFilter, tok string, size int) (FindingsOut, error) {
	out := FindingsOut{Findings: []FindingRow{}}
	var after store.FindingCursor
	ok, err := parseKeysetToken(kind, query, tok, &after.Severity, &after.CVSS, &after.FirstSeen, &after.ID)
	if err != nil {
		return out, err
	}
	if ok {
		f.After = &after
	}
	total, err := s.st.CountFindings(ctx, f)
	if err != nil {
		return out, err
	}
	f.Limit = size + 1 // one more, to know whether a next page exists
	list, err := s.st.Findings(ctx, f)
	if err != nil {
		return out, err
	}
	more := len(list) > size
	list = list[:min(len(list), size)]
	rows := make([]FindingRow, 0, len(list))
	for i := range list {
		rows = append(rows, findingRow(&list[i]))
	}
	out.Total = total
	if keep := fitBudget(s.answerTokens(), approxTokens(out), rows); keep < len(rows) {
		rows, out.Truncated = rows[:keep], true
	}
	out.Findings = rows
	if len(rows) > 0 && (out.Truncated || more) {
		c := store.FindingCursorOf(list[len(rows)-1])
		out.NextPageToken = keysetToken(kind, query, c.Severity, c.CVSS, c.FirstSeen, c.ID)
	}
	return out, nil
}

func (s *server) topFindings(ctx context.Context, _ *sdk.CallToolRequest, in TopFindingsIn) (*sdk.CallToolResult, FindingsOut, error) {
	f := store.FindingFilter{Class: model.FindingVulnerability, MinSeverity: model.SeverityHigh}
	if in.Severity != "" {
		v, err := model.ParseSeverity(in.Severity)
		if err != nil {
			return nil, FindingsOut{}, argError("severity: %v", err)
		}
		f.MinSeverity = v
	}
	if err := s.findingState(ctx, &f, in.State); err != nil {
		return nil, FindingsOut{}, err
	}
	if in.MaxFindings < 0 {
		return nil, FindingsOut{}, argError("max_findings %d: want 1 to 100", in.MaxFindings)
	}
	query := in
	query.NextPageToken, query.MaxFindings, query.ProjectID = "", 0, ""
	out, err := s.findings(ctx, "top_findings", query, f, in.NextPageToken, pageSize(in.MaxFindings, 20, 100))
	return nil, out, err
}

func (s *server) searchFindings(ctx context.Context, _ *sdk.CallToolRequest, in SearchFindingsIn) (*sdk.CallToolResult, FindingsOut, error) {
	f := store.FindingFilter{Category: in.Category, ResourceName: in.ResourceName, ResourceType: in.ResourceType, Query: in.Query}
	switch c := model.FindingClass(strings.ToLower(in.Class)); c {
	case "", model.FindingVulnerability, model.FindingCompliance:
		f.Class = c
	default:
		return nil, FindingsOut{}, argError("finding_class %q: want vulnerability or compliance", in.Class)
	}
	if in.Severity != "" {
		v, err := model.ParseSeverity(in.Severity)
		if err != nil {
			return nil, FindingsOut{}, argError("severity: %v", err)
		}
		f.MinSeverity = v
	}
	if err := s.findingState(ctx, &f, in.State); err != nil {
		return nil, FindingsOut{}, err
	}
	if in.PageSize < 0 {
		return nil, FindingsOut{}, argError("page_size %d: want 1 to 100", in.PageSize)
	}
	query := in
	query.NextPageToken, query.PageSize, query.ProjectID = "", 0, ""
	out, err := s.findings(ctx, "findings", query, f, in.NextPageToken, pageSize(in.PageSize, 20, 100))
	return nil, out, err
}

func (s *server) remediation(ctx context.Context, _ *sdk.CallToolRequest, in RemediationIn) (*sdk.CallToolResult, RemediationOut, error) {
	out := RemediationOut{Findings: []RemediationItem{}}
	var list []model.Finding
	switch {
	case in.FindingID != "":
		id, err := strconv.ParseInt(strings.TrimSpace(in.FindingID), 10, 64)
		if err != nil {
			return nil, out, argError("finding_id %q: want a Watchfloor finding id", in.FindingID)
		}
		f, err := s.st.FindingByID(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, out, fmt.Errorf("finding %d not found", id)
		}
		if err != nil {
			return nil, out, err
		}
		list, out.Total = []model.Finding{f}, 1
	case in.ResourceName != "" && in.Category != "":
		f := store.FindingFilter{ResourceName: in.ResourceName, Category: in.Category, Limit: 5}
		var err error
		if out.Total, err = s.st.CountFindings(ctx, f); err != nil {
			return nil, out, err
		}
		if list, err = s.st.Findings(ctx, f); err != nil {
			return nil, out, err
		}
		if len(list) == 0 {
			return nil, out, fmt.Errorf("no finding in category %q on resource %q", in.Category, in.ResourceName)
		}
	default:
		return nil, out, argError("give finding_id, or resource_name and category")
	}
	for i := range list {
		f := &list[i]
		out.Findings = append(out.Findings, RemediationItem{Finding: findingRow(f), Description: untrusted(f.Description, longText),
			Remediation: untrusted(f.Remediation, longText)})
	}
	return nil, out, nil
}
