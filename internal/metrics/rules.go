package metrics

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/kpi/sketch"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// RuleAgg is what one rule's alerts add up to.
type RuleAgg struct {
	Source       string           `json:"source"`
	RuleID       string           `json:"rule_id"`
	RuleName     string           `json:"rule_name"`
	Alerts       int64            `json:"alerts"`
	Linked       int64            `json:"linked"` // alerts that belong to a case
	Severity     [6]int64         `json:"severity"`
	Dispositions map[string]int64 `json:"dispositions"`
	MTTD         *Agg             `json:"mttd"` // alert occurred_at → created_at
}

// AlertDay is one day's alert aggregates by "source\x00rule_id".
type AlertDay map[string]*RuleAgg

// AlertDayOf assembles a day's rule aggregates and technique counts from
// its alert rollups (store.AlertRollups). A rule's name is the greatest
// name its alerts carry (as in the staffing model's rule volumes); severities
// outside critical … informational and alerts without a disposition are
// counted as the report shows them. Mean MTTD comes from the exact sum in
// microseconds, so it does not depend on the order alerts arrived in.
func AlertDayOf(rs []store.AlertRollup) (AlertDay, *TechniqueDay) {
	ad, td := AlertDay{}, &TechniqueDay{Sets: map[string]int64{}}
	micros := map[string]int64{}
	for i := range rs {
		x := &rs[i]
		k := x.Source + "\x00" + x.RuleID
		r := ad[k]
		if r == nil {
			r = &RuleAgg{Source: x.Source, RuleID: x.RuleID, RuleName: x.RuleName, Dispositions: map[string]int64{}, MTTD: &Agg{}}
			ad[k] = r
		}
		if x.RuleName > r.RuleName {
			r.RuleName = x.RuleName
		}
		r.Alerts += x.Alerts
		r.Linked += x.Linked
		for sev, n := range x.Severity {
			if sev >= 0 && sev < int64(len(r.Severity)) {
				r.Severity[sev] += n
			}
		}
		for disp, n := range x.Dispositions {
			if disp == "" {
				disp = "none"
			}
			r.Dispositions[disp] += n
		}
		r.MTTD.N += x.MTTDN
		r.MTTD.Missing += x.MTTDMissing
		r.MTTD.Clamped += x.MTTDClamped
		micros[k] += x.MTTDMicros
		for b, n := range x.MTTDBins {
			r.MTTD.sketch().AddBin(int(b), n)
		}
		td.Alerts += x.Alerts
		for t, n := range x.Techniques {
			td.Sets[t] += n
		}
	}
	for k, r := range ad {
		r.MTTD.Sum = float64(micros[k]) / 1e6
		r.MTTD.freeze()
	}
	return ad, td
}

// merge adds o's rule aggregates to d; their MTTD sketches go to the
// dense sums in mttd, one per rule, which the caller turns into d's
// sketches once every day is in.
func (d AlertDay) merge(o AlertDay, mttd map[string]*sketch.Dense) {
	for k, r := range o {
		m := d[k]
		if m == nil {
			m = &RuleAgg{Source: r.Source, RuleID: r.RuleID, RuleName: r.RuleName, Dispositions: map[string]int64{}, MTTD: &Agg{}}
			d[k] = m
		}
		if r.RuleName > m.RuleName {
			m.RuleName = r.RuleName
		}
		m.Alerts += r.Alerts
		m.Linked += r.Linked
		for i, n := range r.Severity {
			m.Severity[i] += n
		}
		for k, n := range r.Dispositions {
			m.Dispositions[k] += n
		}
		m.MTTD.mergeCounts(r.MTTD)
		sum := mttd[k]
		if sum == nil {
			sum = &sketch.Dense{}
			mttd[k] = sum
		}
		r.MTTD.addTo(sum)
	}
}

// partRules is the stored part of a day of alerts with its rule
// aggregates.
const partRules = "rules"

// alertDays returns the window's alert aggregates: the whole aligned spans
// of days in it merged (see spans.go), the other days one by one, stale
// days rebuilt from the alert rollups kept at ingest.
func (e *Engine) alertDays(ctx context.Context, w Window) (AlertDay, error) {
	loc := w.From.Location()
	rows, err := e.Store.RollupVersions(ctx, store.RollupAlerts, day(w.From), day(w.To.AddDate(0, 0, -1)))
	if err != nil {
		return nil, err
	}
	total := AlertDay{}
	mttd := map[string]*sketch.Dense{}
	if len(rows) == 0 {
		return total, nil
	}
	days := make(map[int64]store.RollupDay, len(rows))
	for _, r := range rows {
		days[civilDay(r.Day)] = r
	}
	ps := pieces(civilDay(day(w.From)), civilDay(day(w.To.AddDate(0, 0, -1))))
	if e.noSpans {
		ps = ps[:0]
		for _, r := range rows {
			ps = append(ps, piece{civilDay(r.Day), 0})
		}
	}
	for _, p := range ps {
		if r, ok := days[p.first]; ok && p.level == 0 {
			ad, err := e.alertDay(ctx, r, loc)
			if err != nil {
				return nil, err
			}
			total.merge(ad, mttd)
			continue
		}
		sp, err := e.spanOf(ctx, p, days, loc, true)
		if err != nil {
			return nil, err
		}
		if sp != nil {
			total.mergeSpan(sp, mttd)
		}
	}
	for k, r := range total {
		r.MTTD.sk = mttd[k].Sketch()
	}
	return total, nil
}

// alertDay returns one day's alert aggregates: from the engine's cache, the
// stored row, or rebuilt from the alerts table when stale.
func (e *Engine) alertDay(ctx context.Context, r store.RollupDay, loc *time.Location) (AlertDay, error) {
	if !r.Stale() {
		e.mu.Lock()
		c, ok := e.alerts[r.Day]
		e.mu.Unlock()
		if ok && c.version == r.Version {
			return c.day, nil
		}
		version, data, ok, err := e.Store.RollupPart(ctx, store.RollupAlerts, r.Day, partRules)
		if err != nil {
			return nil, err
		}
		if ok && version == r.Version {
			ad, err := decodeAlertDay(data)
			if err == nil {
				return e.cacheAlerts(r.Day, version, ad), nil
			}
			if !errors.Is(err, errPartFormat) {
				return nil, fmt.Errorf("reading alert rollup of %d: %w", r.Day, err)
			}
		}
	}
	ad, _, err := e.buildAlertDay(ctx, r, loc)
	return ad, err
}

// buildAlertDay assembles a day's rule aggregates and technique counts
// from the alert rollups the store keeps at ingest, stores both parts, and
// caches them.
func (e *Engine) buildAlertDay(ctx context.Context, r store.RollupDay, loc *time.Location) (AlertDay, *TechniqueDay, error) {
	rs, err := e.Store.AlertRollups(ctx, r.Day)
	if err != nil {
		return nil, nil, err
	}
	ad, td := AlertDayOf(rs)
	parts := map[string]string{partRules: encodeAlertDay(ad), partTechniques: encodeTechniqueDay(td)}
	if err := e.save(ctx, store.RollupAlerts, r.Day, r.Version, parts); err != nil {
		return nil, nil, err
	}
	e.cacheTechniques(r.Day, r.Version, td)
	return e.cacheAlerts(r.Day, r.Version, ad), td, nil
}

func (e *Engine) cacheAlerts(d, version int64, ad AlertDay) AlertDay {
	// Cached days are only ever merged into a report's own totals, which
	// reads their stored bins: no sketch is built, and none is written
	// lazily while reports share the day.
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.alerts == nil {
		e.alerts = map[int64]cachedAlertDay{}
	}
	e.alerts[d] = cachedAlertDay{version, ad}
	return ad
}

// RuleResult is one rule's quality over a window.
type RuleResult struct {
	Source   string `json:"source"`
	RuleID   string `json:"rule_id"`
	RuleName string `json:"rule_name"`
	// WithoutAlerts marks the row of the window's cases that have no
	// alert, so no rule: they are never credited to a rule.
	WithoutAlerts bool  `json:"without_alerts,omitempty"`
	Alerts        int64 `json:"alerts"`
	// FalsePositiveRate = false positives ÷ (true positives + benign true
	// positives + false positives); the other verdicts are counted beside.
	// Null when no alert was judged.
	FalsePositiveRate *float64         `json:"false_positive_rate"`
	FalsePositives    int64            `json:"false_positives"`
	Judged            int64            `json:"judged"` // TP + benign TP + FP
	Dispositions      map[string]int64 `json:"dispositions"`
	// ConversionRate is alerts in a case ÷ alerts; null without alerts.
	ConversionRate *float64 `json:"case_conversion_rate"`
	MTTD           Summary  `json:"mttd"`
	// Cases opened in the window whose earliest alert came from the rule
	// (tests and drills left out). AnalystHours is the time actively
	// worked on those of them resolved, in the people's work sessions
	// (Worked cases; see HoursDefinition); ElapsedHours their acknowledged
	// → resolved wall-clock time (Handled cases). Null without such cases.
	Cases        int64    `json:"cases"`
	Worked       int64    `json:"worked_cases"`
	AnalystHours *float64 `json:"analyst_hours"`
	Handled      int64    `json:"handled_cases"`
	ElapsedHours *float64 `json:"elapsed_hours"`
}

// RuleReport is alert volume and rule quality over a window.
type RuleReport struct {
	Window string `json:"window"`
	// Basis says how fresh and how sound the data is (filled by the
	// Service).
	Basis
	Alerts     int64            `json:"alerts"`
	BySource   map[string]int64 `json:"by_source"`
	BySeverity map[string]int64 `json:"by_severity"`
	// ConversionRate is the share of alerts that belong to a case (null
	// without alerts).
	ConversionRate *float64 `json:"case_conversion_rate"`
	// FalsePositiveRate is the window's false positives ÷ its judged
	// alerts (true positives + benign true positives + false positives),
	// every rule together; null when no alert was judged.
	FalsePositiveRate *float64 `json:"false_positive_rate"`
	FalsePositives    int64    `json:"false_positives"`
	Judged            int64    `json:"judged"`
	Definition        string   `json:"false_positive_definition"`
	HoursDef          string   `json:"analyst_hours_definition"`
	ElapsedDef        string   `json:"elapsed_hours_definition"`
	// Rules are ordered noisiest first: most false positives, then volume.
	Rules []RuleResult `json:"rules"`
}

// HoursDefinition is how analyst hours per rule are computed.
const HoursDefinition = "analyst hours per rule: time actively worked on the window's cases whose earliest alert the rule raised, resolved after they were acknowledged: the work sessions (events logged by people at most 30 minutes apart, runbook runs from their start) between acknowledgement and resolution, outside pause statuses — the handle-time model of the staffing plan"

// ElapsedDefinition is how elapsed hours per rule are computed.
const ElapsedDefinition = "elapsed hours per rule: acknowledged → resolved wall-clock time of the same cases (an upper bound of the time worked on them)"

// FPDefinition is how rule false-positive rates are computed.
const FPDefinition = "false positives ÷ (true positives + benign true positives + false positives) over the window's alerts with a verdict; duplicates, inconclusive, tests and alerts without a verdict are counted beside"

// NoRuleName names the row of cases without alerts in rule reports.
const NoRuleName = "(cases without alerts)"

// hours is seconds in hours, null when no case was measured.
func hours(sec float64, n int64) *float64 {
	if n == 0 {
		return nil
	}
	h := sec / 3600
	return &h
}

// Rules computes alert volume and per-rule quality for a window.
func (e *Engine) Rules(ctx context.Context, w Window) (*RuleReport, error) {
	ad, err := e.alertDays(ctx, w)
	if err != nil {
		return nil, err
	}
	byRule, err := e.ruleLoad(ctx, w)
	if err != nil {
		return nil, err
	}
	rep := &RuleReport{Window: w.String(), BySource: map[string]int64{}, BySeverity: map[string]int64{}, Definition: FPDefinition,
		HoursDef: HoursDefinition, ElapsedDef: ElapsedDefinition, Rules: []RuleResult{}}
	var linked int64
	credited := map[string]bool{}
	for _, r := range ad {
		rep.Alerts += r.Alerts
		linked += r.Linked
		rep.BySource[r.Source] += r.Alerts
		for sev, n := range r.Severity {
			if n > 0 {
				name := model.Severity(sev).String()
				if name == "" {
					name = "unknown"
				}
				rep.BySeverity[name] += n
			}
		}
		fp := r.Dispositions[string(model.DispositionFalsePositive)]
		judged := fp + r.Dispositions[string(model.DispositionTruePositive)] + r.Dispositions[string(model.DispositionBenignPositive)]
		rr := RuleResult{Source: r.Source, RuleID: r.RuleID, RuleName: r.RuleName, Alerts: r.Alerts, FalsePositives: fp,
			Judged: judged, Dispositions: r.Dispositions, MTTD: r.MTTD.summary(MTTD, 0),
			FalsePositiveRate: Ratio(fp, judged), ConversionRate: Ratio(r.Linked, r.Alerts)}
		rr.MTTD.Definition = "alert occurred_at → alert created_at"
		k := ruleKey(r.Source, r.RuleID)
		rep.FalsePositives += fp
		rep.Judged += judged
		rr.setLoad(byRule[k])
		credited[k] = true
		rep.Rules = append(rep.Rules, rr)
	}
	// Cases whose rule raised no alert in the window (their alert came the
	// day before, say), and those without alerts, get rows of their own.
	for _, k := range sortedKeys(byRule) {
		if credited[k] || byRule[k].Cases == 0 {
			continue
		}
		rr := RuleResult{Dispositions: map[string]int64{}, MTTD: (&Agg{}).summary(MTTD, 0)}
		rr.MTTD.Definition = "alert occurred_at → alert created_at"
		if k == NoRule {
			rr.RuleName, rr.WithoutAlerts = NoRuleName, true
		} else {
			rr.Source, rr.RuleID, _ = strings.Cut(k, "/")
		}
		rr.setLoad(byRule[k])
		rep.Rules = append(rep.Rules, rr)
	}
	rep.ConversionRate = Ratio(linked, rep.Alerts)
	rep.FalsePositiveRate = Ratio(rep.FalsePositives, rep.Judged)
	sort.Slice(rep.Rules, func(i, j int) bool {
		a, b := rep.Rules[i], rep.Rules[j]
		if a.FalsePositives != b.FalsePositives {
			return a.FalsePositives > b.FalsePositives
		}
		if a.Alerts != b.Alerts {
			return a.Alerts > b.Alerts
		}
		if a.Cases != b.Cases {
			return a.Cases > b.Cases
		}
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		return a.RuleID < b.RuleID
	})
	return rep, nil
}

// setLoad fills in the case work of the rule's cases.
func (rr *RuleResult) setLoad(l *RuleLoad) {
	if l == nil {
		return
	}
	rr.Cases, rr.Worked, rr.Handled = l.Cases, l.Worked, l.Handled
	rr.AnalystHours, rr.ElapsedHours = hours(l.WorkedSeconds, l.Worked), hours(l.HandledSeconds, l.Handled)
}
