package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// ListAlertsIn are list_alerts's arguments.
type ListAlertsIn struct {
	CaseID        string `json:"case_id,omitempty" jsonschema:"alerts of one case: Watchfloor case id or source/external_id"`
	Entity        string `json:"entity,omitempty" jsonschema:"an entity value the alert carries (exact, case-insensitive), of any type"`
	Host          string `json:"host,omitempty" jsonschema:"a host entity value (exact, case-insensitive)"`
	User          string `json:"user,omitempty" jsonschema:"a user entity value (exact, case-insensitive)"`
	Rule          string `json:"rule,omitempty" jsonschema:"rule id (exact) or part of the rule name (case-insensitive)"`
	Severity      string `json:"severity,omitempty" jsonschema:"minimum severity: informational, low, medium, high, critical"`
	Disposition   string `json:"disposition,omitempty" jsonschema:"verdict: true_positive, benign_true_positive, false_positive, duplicate, inconclusive, test"`
	Since         string `json:"since,omitempty" jsonschema:"created at or after: RFC 3339 time or YYYY-MM-DD (UTC)"`
	Until         string `json:"until,omitempty" jsonschema:"created before: RFC 3339 time or YYYY-MM-DD (UTC)"`
	PageSize      int    `json:"page_size,omitempty" jsonschema:"alerts per page, default 20, at most 100"`
	NextPageToken string `json:"next_page_token,omitempty" jsonschema:"token from the previous page; empty for the first page"`
}

// ListAlertsOut is list_alerts's answer.
type ListAlertsOut struct {
	Alerts        []AlertRow `json:"alerts"`
	NextPageToken string     `json:"next_page_token" jsonschema:"empty when this is the last page"`
	Truncated     bool       `json:"truncated" jsonschema:"true when the answer's size budget cut this page short; next_page_token continues after the last alert returned"`
	ScanCapped    bool       `json:"scan_capped" jsonschema:"true when the entity, host or user filter stopped after reading its scan limit; next_page_token continues the search"`
}

// GetAlertIn are get_alert's arguments.
type GetAlertIn struct {
	AlertID string `json:"alert_id" jsonschema:"Watchfloor alert id (from list_alerts), or source/external_id"`
}

// Attribute is one field of the alert's source record.
type Attribute struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// GetAlertOut is get_alert's answer: the alert, its description, the
// product that raised it and its source record's fields.
type GetAlertOut struct {
	Alert           AlertRow    `json:"alert"`
	Description     Text        `json:"description"`
	Product         string      `json:"product" jsonschema:"the product that raised the alert, as its source record names it; empty when it does not"`
	IngestedAt      string      `json:"ingested_at"`
	Attributes      []Attribute `json:"attributes" jsonschema:"the source record's fields, flattened (a.b), in record order"`
	AttributesTotal int         `json:"attributes_total" jsonschema:"fields in the source record; more than listed when the cap or the size budget cut them"`
}

const (
	defaultAlertPage = 20
	maxAlertPage     = 100
	attributeCap     = 100
	attributeText    = 500
)

func (s *server) addAlertListTools(srv *sdk.Server) {
	sdk.AddTool(srv, &sdk.Tool{Name: "list_alerts", Annotations: readOnly("List alerts"),
		Description: "Alerts newest first, filtered by case, entity value, host, user, rule, severity, verdict and creation time; " +
			"paged by alert id, so alerts ingested while paging do not shift the pages. get_alert gives one in full."},
		s.listAlerts)
	sdk.AddTool(srv, &sdk.Tool{Name: "get_alert", Annotations: readOnly("Alert details"),
		Description: "One alert in full: its row, description, product and the fields of its source record."},
		s.getAlert)
}

// alertFilter turns list_alerts's arguments into a store filter and the
// entity matches the store cannot do.
func (s *server) alertFilter(ctx context.Context, in ListAlertsIn) (store.AlertFilter, func(*model.Alert) bool, error) {
	var f store.AlertFilter
	if in.CaseID != "" {
		c, err := s.findCase(ctx, in.CaseID)
		if err != nil {
			return f, nil, err
		}
		f.CaseID = c.ID
	}
	if in.Severity != "" {
		v, err := model.ParseSeverity(in.Severity)
		if err != nil || v == model.SeverityUnknown {
			return f, nil, argError("severity %q: want one of informational, low, medium, high, critical", in.Severity)
		}
		f.MinSeverity = v
	}
	if in.Disposition != "" {
		d := model.Disposition(strings.ToLower(strings.TrimSpace(in.Disposition)))
		if !slices.Contains(model.Dispositions, d) {
			names := make([]string, len(model.Dispositions))
			for i, v := range model.Dispositions {
				names[i] = string(v)
			}
			return f, nil, argError("disposition %q: want one of %s", in.Disposition, strings.Join(names, ", "))
		}
		f.Disposition = d
	}
	var err error
	if f.Since, err = parseTime("since", in.Since); err != nil {
		return f, nil, err
	}
	if f.Until, err = parseTime("until", in.Until); err != nil {
		return f, nil, err
	}
	rule := strings.TrimSpace(in.Rule)
	ruleLow := strings.ToLower(rule)
	entity, host, user := strings.TrimSpace(in.Entity), strings.TrimSpace(in.Host), strings.TrimSpace(in.User)
	has := func(a *model.Alert, typ, v string) bool {
		if v == "" {
			return true
		}
		for _, e := range a.Entities {
			if (typ == "" || strings.EqualFold(e.Type, typ)) && strings.EqualFold(e.Value, v) {
				return true
			}
		}
		return false
	}
	keep := func(a *model.Alert) bool {
		if rule != "" && a.RuleID != rule && !strings.Contains(strings.ToLower(a.RuleName), ruleLow) {
			return false
		}
		return has(a, "", entity) && has(a, "host", host) && has(a, "user", user)
	}
	return f, keep, nil
}

func (s *server) listAlerts(ctx context.Context, _ *sdk.CallToolRequest, in ListAlertsIn) (*sdk.CallToolResult, ListAlertsOut, error) {
	out := ListAlertsOut{Alerts: []AlertRow{}}
	f, keep, err := s.alertFilter(ctx, in)
	if err != nil {
		return nil, out, err
	}
	query := in
	query.NextPageToken, query.PageSize = "", 0
	if _, err := parseKeysetToken("list_alerts", query, in.NextPageToken, &f.AfterID); err != nil {
		return nil, out, err
	}
	size := pageSize(in.PageSize, defaultAlertPage, maxAlertPage)
	var ids []int64
	var scanned int64
	more := false
	_, capped, err := s.scanAlerts(ctx, f, size+1, scanCap, func(a *model.Alert) bool {
		scanned = a.ID
		if !keep(a) {
			return true
		}
		if len(out.Alerts) == size {
			more = true
			return false
		}
		out.Alerts = append(out.Alerts, alertRow(a))
		ids = append(ids, a.ID)
		return true
	})
	if err != nil {
		return nil, out, err
	}
	rows := out.Alerts
	out.Alerts = nil
	if n := fitBudget(s.answerTokens(), approxTokens(out), rows); n < len(rows) {
		rows, ids, out.Truncated = rows[:n], ids[:n], true
	}
	out.Alerts = rows
	switch {
	case (more || out.Truncated) && len(ids) > 0:
		out.NextPageToken = keysetToken("list_alerts", query, ids[len(ids)-1])
	case capped && !out.Truncated:
		out.ScanCapped = true
		out.NextPageToken = keysetToken("list_alerts", query, scanned)
	}
	return nil, out, nil
}

func (s *server) getAlert(ctx context.Context, _ *sdk.CallToolRequest, in GetAlertIn) (*sdk.CallToolResult, GetAlertOut, error) {
	var out GetAlertOut
	id := strings.TrimSpace(in.AlertID)
	var a model.Alert
	var err error
	if n, perr := strconv.ParseInt(id, 10, 64); perr == nil {
		a, err = s.st.AlertByID(ctx, n)
	} else if src, ext, ok := strings.Cut(id, "/"); ok {
		a, err = s.st.AlertByExternalID(ctx, src, ext)
	} else {
		return nil, out, argError("alert_id %q: want a Watchfloor alert id or source/external_id", in.AlertID)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, out, fmt.Errorf("alert %q not found", in.AlertID)
	}
	if err != nil {
		return nil, out, err
	}
	out.Alert = alertRow(&a)
	out.Description = untrusted(a.Description, longText)
	out.IngestedAt = ts(a.IngestedAt)
	attrs := flatten(a.Raw)
	out.Product = product(attrs)
	out.AttributesTotal = len(attrs)
	attrs = attrs[:min(len(attrs), attributeCap)]
	for i := range attrs {
		attrs[i].Value = clip(attrs[i].Value, attributeText)
	}
	n := fitBudget(s.answerTokens(), approxTokens(out), attrs)
	out.Attributes = nonNil(attrs[:n])
	return nil, out, nil
}

// clip cuts s to at most n bytes on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// flatten lists a source record's scalar fields in record order, nested
// objects as a.b and arrays as a[0]; a record that is not an object has
// no fields.
func flatten(raw json.RawMessage) []Attribute {
	if len(raw) == 0 {
		return nil
	}
	var out []Attribute
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var walk func(prefix string) error
	walk = func(prefix string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch d := tok.(type) {
		case json.Delim:
			switch d {
			case '{':
				for dec.More() {
					k, err := dec.Token()
					if err != nil {
						return err
					}
					name, _ := k.(string)
					if prefix != "" {
						name = prefix + "." + name
					}
					if err := walk(name); err != nil {
						return err
					}
				}
			case '[':
				for i := 0; dec.More(); i++ {
					if err := walk(prefix + "[" + strconv.Itoa(i) + "]"); err != nil {
						return err
					}
				}
			}
			_, err := dec.Token() // the closing delimiter
			return err
		case nil:
			return nil
		case string:
			out = append(out, Attribute{Name: prefix, Value: d})
		default:
			out = append(out, Attribute{Name: prefix, Value: fmt.Sprint(d)})
		}
		return nil
	}
	if err := walk(""); err != nil {
		return out
	}
	// A bare scalar record has no field name.
	if len(out) == 1 && out[0].Name == "" {
		return nil
	}
	return out
}

// productKeys are the source fields that name the product that raised an
// alert, by source: OCSF, Microsoft Defender and Sentinel, Wazuh/Elastic,
// TheHive (its alert's source), generic exports.
var productKeys = []string{"metadata.product.name", "ProductName", "productName", "product_name", "product",
	"observer.product", "source"}

// product names the product that raised an alert from its source fields.
func product(attrs []Attribute) string {
	for _, k := range productKeys {
		for _, a := range attrs {
			if a.Name == k && a.Value != "" {
				return a.Value
			}
		}
	}
	return ""
}
