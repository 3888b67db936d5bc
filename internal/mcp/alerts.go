package mcp

import (
	"context"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// GetAlertsIn are get_security_alerts's arguments (secops-mcp names).
type GetAlertsIn struct {
	HoursBack     int    `json:"hours_back,omitempty" jsonschema:"alerts created in the last N hours, default 24, at most 8784"`
	MaxAlerts     int    `json:"max_alerts,omitempty" jsonschema:"alerts per page, default 10, at most 100"`
	StatusFilter  string `json:"status_filter,omitempty" jsonschema:"'open' = no verdict yet, 'closed' = has a verdict (also as feedback_summary.status != \"CLOSED\" / = \"CLOSED\"), or a source alert status (case-insensitive)"`
	Severity      string `json:"severity,omitempty" jsonschema:"minimum severity: informational, low, medium, high, critical"`
	Rule          string `json:"rule,omitempty" jsonschema:"rule id (exact) or part of the rule name"`
	NextPageToken string `json:"next_page_token,omitempty"`
	ProjectID     string `json:"project_id,omitempty" jsonschema:"accepted for compatibility with Google's secops-mcp; Watchfloor answers from its own store"`
	CustomerID    string `json:"customer_id,omitempty" jsonschema:"accepted for compatibility; ignored"`
	Region        string `json:"region,omitempty" jsonschema:"accepted for compatibility; ignored"`
}

// GetAlertsOut is get_security_alerts's answer.
type GetAlertsOut struct {
	Alerts        []AlertRow `json:"alerts"`
	Since         string     `json:"since"`
	AlertsInRange int64      `json:"alerts_in_range" jsonschema:"all alerts created since 'since', before the status, severity and rule filters"`
	NextPageToken string     `json:"next_page_token"`
	Truncated     bool       `json:"truncated" jsonschema:"true when the answer's size budget cut this page short; next_page_token continues after the last alert returned"`
}

const (
	scanBatch = 500
	// scanCap bounds the alerts get_security_alerts reads while filtering,
	// and prevalenceScanCap those get_observable_prevalence counts, so an
	// answer's cost does not grow with the store; answers say when the cap
	// cut them.
	scanCap           = 20_000
	prevalenceScanCap = 20_000
)

func (s *server) addAlertTools(srv *sdk.Server) {
	sdk.AddTool(srv, &sdk.Tool{Name: "get_security_alerts", Annotations: readOnly("Security alerts"),
		Description: "Recent alerts, newest first, with id, verdict (disposition), rule, severity, times, case link, techniques and entities; paged."},
		s.getAlerts)
}

// scanAlerts calls fn for the alerts f selects, newest id first, reading
// at most limit alerts in pages (the first of first alerts); it reports how
// many it read and whether the limit stopped it. fn returns false to stop.
func (s *server) scanAlerts(ctx context.Context, f store.AlertFilter, first, limit int, fn func(*model.Alert) bool) (int, bool, error) {
	n := 0
	batch := first
	for {
		f.Limit = min(batch, limit-n)
		batch = scanBatch
		if f.Limit <= 0 {
			return n, true, nil
		}
		page, err := s.st.Alerts(ctx, f)
		if err != nil {
			return n, false, err
		}
		for i := range page {
			n++
			if !fn(&page[i]) {
				return n, false, nil
			}
		}
		if len(page) < f.Limit {
			return n, false, nil
		}
		f.AfterID = page[len(page)-1].ID
	}
}

func (s *server) getAlerts(ctx context.Context, _ *sdk.CallToolRequest, in GetAlertsIn) (*sdk.CallToolResult, GetAlertsOut, error) {
	var out GetAlertsOut
	hours := pageSize(in.HoursBack, 24, 24*366)
	size := pageSize(in.MaxAlerts, 10, 100)
	var minSev model.Severity
	if in.Severity != "" {
		v, err := model.ParseSeverity(in.Severity)
		if err != nil {
			return nil, out, argError("severity: %v", err)
		}
		minSev = v
	}
	var after int64
	if in.NextPageToken != "" {
		n, err := parsePageToken("alerts", in.NextPageToken)
		if err != nil {
			return nil, out, err
		}
		after = int64(n)
	}
	now := s.opts.Now()
	since := now.Add(-time.Duration(hours) * time.Hour)
	total, err := s.st.CountAlerts(ctx, since, now.Add(time.Second))
	if err != nil {
		return nil, out, err
	}
	status := statusFilter(in.StatusFilter)
	if status != "" && status != "open" && status != "closed" {
		if err := sourceValue(ctx, "status_filter", status, []string{"open", "closed"}, s.st.AlertStatuses); err != nil {
			return nil, out, err
		}
	}
	rule := strings.ToLower(strings.TrimSpace(in.Rule))
	keep := func(a *model.Alert) bool {
		switch status {
		case "":
		case "open":
			if a.Disposition != "" {
				return false
			}
		case "closed":
			if a.Disposition == "" {
				return false
			}
		default:
			if strings.ToLower(a.Status) != status {
				return false
			}
		}
		return rule == "" || strings.ToLower(a.RuleID) == rule || strings.Contains(strings.ToLower(a.RuleName), rule)
	}
	out.Alerts = []AlertRow{}
	var ids []int64 // of out.Alerts, for a token after a budget cut
	var last, scanned int64
	more := false
	f := store.AlertFilter{Since: since, MinSeverity: minSev, AfterID: after}
	// Without filters applied here, one page of size+1 alerts answers.
	_, truncated, err := s.scanAlerts(ctx, f, size+1, scanCap, func(a *model.Alert) bool {
		if !keep(a) {
			scanned = a.ID
			return true
		}
		if len(out.Alerts) == size {
			more = true
			return false
		}
		out.Alerts = append(out.Alerts, alertRow(a))
		ids = append(ids, a.ID)
		last, scanned = a.ID, a.ID
		return true
	})
	if err != nil {
		return nil, out, err
	}
	switch {
	case more:
		out.NextPageToken = pageToken("alerts", int(last))
	case truncated:
		// The scan cap stopped the search: continue after the last alert looked at.
		out.NextPageToken = pageToken("alerts", int(scanned))
	}
	out.Since, out.AlertsInRange = ts(since), total
	rows := out.Alerts
	out.Alerts = nil
	if keep := fitBudget(s.answerTokens(), approxTokens(out), rows); keep < len(rows) {
		rows, out.Truncated = rows[:keep], true
		out.NextPageToken = pageToken("alerts", int(ids[keep-1]))
	}
	out.Alerts = rows
	return nil, out, nil
}

// statusFilter normalises status_filter. Besides "open", "closed" and a
// source status, it understands secops-mcp's default UDM-style expression
// 'feedback_summary.status != "CLOSED"' (and its = form).
func statusFilter(v string) string {
	t := strings.ToLower(strings.TrimSpace(v))
	if strings.Contains(t, "status") && strings.Contains(t, "closed") {
		if strings.Contains(t, "!=") {
			return "open"
		}
		if strings.Contains(t, "=") {
			return "closed"
		}
	}
	return t
}
