package coverage

import (
	"slices"
	"strings"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// Detection is one detection rule as coverage counts it: a rule stored with
// alerts, an imported rule, or both when they match (same id or title),
// with what its alerts did in the window.
type Detection struct {
	// Key identifies the detection: "rules:<source>/<id>" for a rule stored
	// with alerts, "<format>:<id>" for an imported rule.
	Key   string `json:"key"`
	ID    string `json:"id"`
	Title string `json:"title"`
	// Source is the rule's source in the rules table ("" for an imported
	// rule no alert source lists); Format the content format it was
	// imported from ("" when not imported), Path its file.
	Source string `json:"source,omitempty"`
	Format string `json:"format,omitempty"`
	Path   string `json:"path,omitempty"`
	// Status is the lifecycle status ("" when not known); Active is false
	// for deprecated and unsupported rules and for rules disabled in the
	// rules table: they are listed but cover nothing.
	Status      string         `json:"status"`
	Active      bool           `json:"active"`
	Level       model.Severity `json:"level"`
	Techniques  []string       `json:"techniques"`
	Tactics     []string       `json:"tactics"`
	DataSources []string       `json:"data_sources"`
	// The window's alerts credited to the rule (see Link), their verdicts
	// and the analyst hours of the cases they started (from the KPI
	// engine's rule report: metrics.FPDefinition, metrics.HoursDefinition).
	Alerts         int64    `json:"alerts"`
	FalsePositives int64    `json:"false_positives"`
	TruePositives  int64    `json:"true_positives"`
	Judged         int64    `json:"judged"`
	FPRate         *float64 `json:"false_positive_rate"`
	AnalystHours   *float64 `json:"analyst_hours"`
	WorkedCases    int64    `json:"worked_cases"`
	// AlertRules are the alert rules credited to it, as "source/rule_id".
	AlertRules []string `json:"alert_rules,omitempty"`
}

// Fired reports whether alerts were credited to the rule in the window.
func (d *Detection) Fired() bool { return d.Alerts > 0 }

// Linked is the result of Link: the detections and the alert rules that
// match none of them.
type Linked struct {
	Detections []*Detection `json:"detections"`
	// Unlinked are the window's alert rules that match no stored or
	// imported rule: they fire, but coverage cannot tell what they cover.
	Unlinked []metrics.RuleResult `json:"unlinked"`
}

// fold is the key id and title matching compare.
func fold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// index finds detections by id, then by title.
type index struct {
	byID, byTitle map[string]*Detection
}

func (ix *index) add(d *Detection) {
	if k := fold(d.ID); k != "" && ix.byID[k] == nil {
		ix.byID[k] = d
	}
	if k := fold(d.Title); k != "" && ix.byTitle[k] == nil {
		ix.byTitle[k] = d
	}
}

// find returns the detection whose id equals id, else the one whose
// title equals title (or id: some sources put the rule's name in its id).
func (ix *index) find(id, title string) *Detection {
	if d := ix.byID[fold(id)]; d != nil && fold(id) != "" {
		return d
	}
	if d := ix.byTitle[fold(title)]; d != nil && fold(title) != "" {
		return d
	}
	if d := ix.byTitle[fold(id)]; d != nil && fold(id) != "" {
		return d
	}
	return nil
}

func active(status string, enabled bool) bool {
	return enabled && status != model.RuleDeprecated && status != model.RuleUnsupported
}

// Link joins the rules stored with alerts, the imported rules and the
// window's rule report into detections. An imported rule whose id or title
// equals a stored rule's (case ignored) is merged into it: the stored
// rule's techniques and data sources gain the imported ones, and its
// status, when not known, becomes the imported rule's. An alert rule of
// the report is credited to the detection whose id equals its rule id,
// else whose title equals its rule name; one detection may be credited
// several alert rules (the same rule from two sources).
func Link(catalog []model.Rule, imported []store.ImportedRule, report []metrics.RuleResult) *Linked {
	ix := &index{byID: map[string]*Detection{}, byTitle: map[string]*Detection{}}
	out := &Linked{Detections: []*Detection{}, Unlinked: []metrics.RuleResult{}}
	for _, r := range catalog {
		d := &Detection{Key: "rules:" + r.Source + "/" + r.ExternalID, ID: r.ExternalID, Title: r.Name, Source: r.Source,
			Status: r.Status, Active: active(r.Status, r.Enabled), Level: r.Severity, Techniques: clean(r.Techniques),
			Tactics: clean(r.Tactics), DataSources: clean(r.DataSources)}
		out.Detections = append(out.Detections, d)
		ix.add(d)
	}
	for _, r := range imported {
		if d := ix.find(r.ExternalID, r.Name); d != nil && d.Format == "" {
			d.Format, d.Path = r.Source, r.Path
			if d.Status == "" {
				d.Status = r.Status
				d.Active = d.Active && active(r.Status, true)
			}
			d.Techniques = sortedUnion(d.Techniques, r.Techniques)
			d.Tactics = sortedUnion(d.Tactics, r.Tactics)
			d.DataSources = sortedUnion(d.DataSources, r.DataSources)
			if d.Level == model.SeverityUnknown {
				d.Level = r.Severity
			}
			continue
		}
		d := &Detection{Key: r.Source + ":" + r.ExternalID, ID: r.ExternalID, Title: r.Name, Format: r.Source, Path: r.Path,
			Status: r.Status, Active: active(r.Status, r.Enabled), Level: r.Severity, Techniques: clean(r.Techniques),
			Tactics: clean(r.Tactics), DataSources: clean(r.DataSources)}
		out.Detections = append(out.Detections, d)
		ix.add(d)
	}
	for _, rr := range report {
		if rr.WithoutAlerts || rr.Alerts == 0 {
			continue
		}
		d := ix.find(rr.RuleID, rr.RuleName)
		if d == nil {
			out.Unlinked = append(out.Unlinked, rr)
			continue
		}
		d.AlertRules = append(d.AlertRules, rr.Source+"/"+rr.RuleID)
		d.Alerts += rr.Alerts
		d.FalsePositives += rr.FalsePositives
		d.TruePositives += rr.Dispositions[string(model.DispositionTruePositive)]
		d.Judged += rr.Judged
		d.FPRate = metrics.Ratio(d.FalsePositives, d.Judged)
		if rr.AnalystHours != nil {
			h := *rr.AnalystHours
			if d.AnalystHours != nil {
				h += *d.AnalystHours
			}
			d.AnalystHours = &h
			d.WorkedCases += rr.Worked
		}
	}
	return out
}

func sortedUnion(a, b []string) []string {
	out := append(append([]string(nil), a...), b...)
	slices.Sort(out)
	return slices.Compact(out)
}
