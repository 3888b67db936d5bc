package thehive

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest/jsonfield"
	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/model"
)

// hiveTime is how TheHive writes dates: epoch milliseconds, as a number or
// a string of digits, with RFC 3339 strings found in hand-made exports.
// Zero means not set; a negative epoch is an error.
var hiveTime = jsonfield.Millis{Want: "epoch milliseconds"}

// collector gathers field errors so that a rejection names every bad field.
type collector struct {
	f    jsonfield.Fields
	errs []error
}

func (c *collector) str(keys ...string) string {
	s, err := c.f.Str(keys...)
	c.add(err)
	return s
}

func (c *collector) time(keys ...string) time.Time {
	t, err := c.f.Time(hiveTime, keys...)
	c.add(err)
	return t
}

func (c *collector) add(err error) {
	if err != nil {
		c.errs = append(c.errs, err)
	}
}

// err reports every bad field on one line.
func (c *collector) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	msgs := make([]string, len(c.errs))
	for i, e := range c.errs {
		msgs[i] = e.Error()
	}
	return errors.New(strings.Join(msgs, "; "))
}

// id is TheHive's _id ("~41160"); TheHive 4 repeats it as id.
func (c *collector) id() string {
	id := c.str("_id", "id")
	if id == "" && len(c.errs) == 0 {
		c.add(errors.New("missing _id"))
	}
	return id
}

// severity reads TheHive's 1 (low) … 4 (critical), falling back to
// severityLabel. It returns the number too, for the case priority.
func (c *collector) severity() (model.Severity, int) {
	n, ok, err := c.f.Int("severity")
	if err != nil {
		c.add(err)
		return model.SeverityUnknown, 0
	}
	if ok {
		return severityFromTheHive(n), n
	}
	label := c.str("severityLabel")
	s, err := model.ParseSeverity(label)
	if err != nil {
		c.add(fmt.Errorf("severityLabel: %w", err))
	}
	return s, 0
}

// severityFromTheHive maps TheHive's severity scale onto Watchfloor's.
func severityFromTheHive(n int) model.Severity {
	switch n {
	case 1:
		return model.SeverityLow
	case 2:
		return model.SeverityMedium
	case 3:
		return model.SeverityHigh
	case 4:
		return model.SeverityCritical
	}
	return model.SeverityUnknown
}

// attrs sets attributes from fields, skipping empty values.
func (c *collector) attrs(m map[string]string, pairs ...string) {
	for i := 0; i+1 < len(pairs); i += 2 {
		if v := c.str(pairs[i+1]); v != "" {
			m[pairs[i]] = v
		}
	}
}

func alertRecord(loc string, raw []byte, f jsonfield.Fields) record.Record {
	c := &collector{f: f}
	a := &model.Alert{
		Source:      Source,
		ExternalID:  c.id(),
		Title:       c.str("title"),
		Description: c.str("description"),
		Status:      c.str("status"),
		// TheHive 5 alerts name their case in caseId, TheHive 4 in case.
		CaseExternalID: c.str("caseId", "case"),
		OccurredAt:     c.time("date"),
		CreatedAt:      c.time("_createdAt", "createdAt"),
		Attributes:     map[string]string{},
	}
	a.Severity, _ = c.severity()
	a.Disposition = disposition(a.Status)
	c.attrs(a.Attributes,
		"source_ref", "sourceRef", "source", "source", "type", "type", "stage", "stage",
		"tlp", "tlp", "pap", "pap", "external_link", "externalLink", "assignee", "assignee")
	tags, err := f.Strings("tags")
	c.add(err)
	a.Techniques = techniques(tags)
	ents, err := observables(f)
	c.add(err)
	a.Entities = ents
	if err := c.err(); err != nil {
		return record.Reject(loc, raw, "alert: %v", err)
	}
	if len(a.Attributes) == 0 {
		a.Attributes = nil
	}
	a.Raw = raw
	return record.Record{Loc: loc, Alert: a}
}

func caseRecord(loc string, raw []byte, f jsonfield.Fields) record.Record {
	c := &collector{f: f}
	k := &model.Case{
		Source:         Source,
		ExternalID:     c.id(),
		Title:          c.str("title"),
		Description:    c.str("description"),
		Status:         c.str("status"),
		Assignee:       c.str("assignee", "owner"),
		OccurredAt:     c.time("startDate"),
		CreatedAt:      c.time("_createdAt", "createdAt"),
		UpdatedAt:      c.time("_updatedAt", "updatedAt"),
		AcknowledgedAt: c.time("inProgressDate"),
		Attributes:     map[string]string{},
	}
	var sev int
	k.Severity, sev = c.severity()
	k.Priority = model.PriorityFromTheHive(sev)
	if k.Priority == model.PriorityUnknown {
		k.Priority = k.Severity.Priority()
	}
	// TheHive leaves _updatedAt out until the first update, so an absent
	// one means the case is as it was created.
	if k.UpdatedAt.IsZero() {
		k.UpdatedAt = k.CreatedAt
	}
	stage := c.str("stage")
	resolution := c.str("resolutionStatus")
	k.Stage = caseStage(stage, k.Status)
	k.Disposition = disposition(resolution)
	if k.Disposition == model.DispositionNone {
		k.Disposition = disposition(k.Status)
	}
	if k.Stage == model.StageClosed {
		k.ClosedAt = c.time("endDate")
		if k.ClosedAt.IsZero() {
			k.ClosedAt = c.time("closedDate")
		}
	}
	tags, err := f.Strings("tags")
	c.add(err)
	k.Tags = tags
	c.attrs(k.Attributes,
		"stage", "stage", "tlp", "tlp", "pap", "pap", "impact_status", "impactStatus",
		"resolution_status", "resolutionStatus")
	if n := c.str("number"); n != "" {
		k.Attributes["number"] = n
	} else if n := c.str("caseId"); n != "" { // TheHive 4 numbers cases in caseId
		k.Attributes["number"] = n
	}
	if err := c.err(); err != nil {
		return record.Reject(loc, raw, "case: %v", err)
	}
	if len(k.Attributes) == 0 {
		k.Attributes = nil
	}
	k.Raw = raw
	return record.Record{Loc: loc, Case: k}
}

// caseStage maps TheHive 5's stage (New, InProgress, Closed), or failing
// that the status: TheHive 5's closing statuses and TheHive 4's Resolved
// close the case. Other statuses are left to the status map.
func caseStage(stage, status string) model.Stage {
	switch strings.ToLower(stage) {
	case "new":
		return model.StageNew
	case "inprogress":
		return model.StageInvestigating
	case "closed":
		return model.StageClosed
	}
	switch strings.ToLower(status) {
	case "new":
		return model.StageNew
	case "inprogress":
		return model.StageInvestigating
	case "truepositive", "falsepositive", "indeterminate", "other", "duplicated", "resolved":
		return model.StageClosed
	}
	return ""
}

// disposition reads a verdict status (TruePositive, FalsePositive,
// Duplicated, Indeterminate, Other); any other status has none.
func disposition(status string) model.Disposition {
	switch strings.ToLower(status) {
	case "truepositive", "falsepositive", "duplicated", "indeterminate", "other":
		d, _ := model.ParseDisposition(status)
		return d
	}
	return model.DispositionNone
}

// observables reads an alert's observables (TheHive 5) or artifacts
// (TheHive 3/4) as entities. A file observable is named by its attachment.
func observables(f jsonfield.Fields) ([]model.Entity, error) {
	k, items, err := f.List("observables", "artifacts")
	if err != nil {
		return nil, err
	}
	var out []model.Entity
	for i, it := range items {
		var o jsonfield.Fields
		if err := json.Unmarshal(it, &o); err != nil || o == nil {
			return nil, fmt.Errorf("%s[%d]: want an object, got %s", k, i, jsonfield.Kind(it))
		}
		typ, err := o.Str("dataType")
		if err != nil {
			return nil, fmt.Errorf("%s[%d].%w", k, i, err)
		}
		value, err := o.Str("data")
		if err != nil {
			return nil, fmt.Errorf("%s[%d].%w", k, i, err)
		}
		if value == "" {
			if _, v, ok := o.Get("attachment"); ok {
				var att jsonfield.Fields
				if json.Unmarshal(v, &att) == nil {
					value, _ = att.Str("name")
				}
			}
		}
		if value == "" {
			continue
		}
		out = append(out, model.Entity{Type: strings.ToLower(typ), Value: value})
	}
	return out, nil
}

// techniqueRe finds an ATT&CK technique id at the end of a tag, as in
// "attack.t1059.001", "mitre:T1566" or "T1078".
var techniqueRe = regexp.MustCompile(`(?i)(?:^|[.:=/_ -])(t\d{4}(?:\.\d{3})?)$`)

// techniques collects the ATT&CK technique ids named by tags.
func techniques(tags []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range tags {
		m := techniqueRe.FindStringSubmatch(t)
		if m == nil {
			continue
		}
		id := strings.ToUpper(m[1])
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
