package report

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/watchfloor/watchfloor/internal/intel"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// ShiftQuery asks for a shift handover: Day is the day handed over
// (YYYY-MM-DD, organisation time zone); empty is the last day of data.
type ShiftQuery struct {
	Day string
}

// OpenCase is an open case as a report lists it. Title is untrusted text.
type OpenCase struct {
	Case     string  `json:"case"`
	Title    string  `json:"title"`
	Priority string  `json:"priority"`
	Stage    string  `json:"stage"`
	Assignee string  `json:"assignee"`
	Age      float64 `json:"age_seconds"`
}

// SLAClock is an open case's SLA clock past or near its target now. Title
// is untrusted text.
type SLAClock struct {
	OpenCase
	Clock     string  `json:"clock"`
	Overdue   float64 `json:"overdue_seconds,omitempty"`
	Remaining float64 `json:"remaining_seconds,omitempty"`
}

// Note is a comment left on an open case during the shift: the hand-over
// notes. Author and body are untrusted text.
type Note struct {
	Case   string    `json:"case"`
	At     time.Time `json:"at"`
	Author string    `json:"author"`
	Body   string    `json:"body"`
}

// ShiftHandover is the daily shift-handover summary: what is open and
// urgent now, which clocks are breached or at risk, what the day brought,
// who carries what, and the notes left on open cases.
type ShiftHandover struct {
	Title       string        `json:"title"`
	Day         string        `json:"day"`
	TimeZone    string        `json:"time_zone"`
	GeneratedAt time.Time     `json:"generated_at"`
	Now         time.Time     `json:"now"`
	Basis       metrics.Basis `json:"basis"`
	// OpenP1, OpenP2 count the open P1 and P2 cases now (the dashboard's
	// queue cells of those priorities); Critical lists them, P1 first,
	// oldest first, 25 at most.
	OpenP1   int        `json:"open_p1"`
	OpenP2   int        `json:"open_p2"`
	Open     int        `json:"open"`
	Critical []OpenCase `json:"open_critical"`
	// Breached and AtRisk are the dashboard's SLA clocks now (all of
	// them counted, the 10 most urgent listed).
	Breached      int        `json:"sla_breached"`
	AtRisk        int        `json:"sla_at_risk"`
	BreachedItems []SLAClock `json:"sla_breached_items"`
	AtRiskItems   []SLAClock `json:"sla_at_risk_items"`
	// Cases, Alerts, CriticalAlerts and HighAlerts are the day's, as
	// "metrics soc --performance" and "metrics rules" give them.
	Cases          int64                 `json:"cases"`
	Alerts         int64                 `json:"alerts"`
	CriticalAlerts int64                 `json:"critical_alerts"`
	HighAlerts     int64                 `json:"high_alerts"`
	MTTA           *float64              `json:"mtta_median_seconds"`
	SLAAcknowledge metrics.SLAResult     `json:"sla_acknowledge"`
	FalsePositive  *float64              `json:"false_positive_rate"`
	Matched        int64                 `json:"matched_indicators"`
	Matches        []ThreatMatch         `json:"matches"`
	Analysts       []metrics.AnalystLoad `json:"analysts"`
	Inflow         metrics.Inflow        `json:"inflow"`
	Notes          []Note                `json:"notes"`
	Sources        []string              `json:"sources"`
}

// handoverNotes is how many notes the handover lists at most;
// handoverCritical how many open P1 and P2 cases (the oldest P1 first).
const (
	handoverNotes    = 15
	handoverCritical = 25
)

// ShiftHandover builds the handover of one day.
func (s Sources) ShiftHandover(ctx context.Context, q ShiftQuery) (*ShiftHandover, error) {
	wq := metrics.WindowQuery{Timeframe: string(metrics.Daily), From: q.Day, To: q.Day}
	perf, err := s.Metrics.Performance(ctx, metrics.PerformanceQuery{WindowQuery: wq})
	if err != nil {
		return nil, fmt.Errorf("shift handover: the day's cases: %w", err)
	}
	if perf.From != perf.To {
		return nil, fmt.Errorf("shift handover: the day resolved to %s – %s, want one day", perf.From, perf.To)
	}
	rules, err := s.Metrics.Rules(ctx, metrics.RulesQuery{WindowQuery: metrics.WindowQuery{From: perf.From, To: perf.To}})
	if err != nil {
		return nil, fmt.Errorf("shift handover: the day's alerts: %w", err)
	}
	dash, err := s.Metrics.Dashboard(ctx)
	if err != nil {
		return nil, fmt.Errorf("shift handover: the live queue: %w", err)
	}
	all := group(perf)
	h := &ShiftHandover{Title: "Shift handover", Day: perf.From, TimeZone: perf.TimeZone, GeneratedAt: s.Metrics.Now(), Now: dash.Now, Basis: perf.Basis,
		Open: dash.Open, Critical: []OpenCase{}, Breached: len(dash.Breached), AtRisk: len(dash.AtRisk),
		BreachedItems: slaClocks(dash.Breached, func(a, b metrics.SLAItem) bool { return a.Overdue > b.Overdue }),
		AtRiskItems:   slaClocks(dash.AtRisk, func(a, b metrics.SLAItem) bool { return a.Remaining < b.Remaining }),
		Cases:         all.Cases, Alerts: rules.Alerts, CriticalAlerts: rules.BySeverity["critical"], HighAlerts: rules.BySeverity["high"],
		SLAAcknowledge: all.SLAAcknowledge, FalsePositive: rules.FalsePositiveRate, Matches: []ThreatMatch{},
		Analysts: append([]metrics.AnalystLoad{}, dash.Analysts...), Inflow: dash.Inflow, Notes: []Note{},
		Sources: []string{"watchfloor monitor operations --soc-dashboard -o json: open, queue, sla_breached, sla_at_risk, analysts, inflow",
			"watchfloor metrics soc --performance --from DAY --to DAY -o json: groups[all].cases, kpis[mtta].median_seconds, sla_acknowledge",
			"watchfloor metrics rules --noisy --from DAY --to DAY -o json: alerts, by_severity, false_positive_rate",
			"watchfloor intel matches --since DAY: matched indicators"}}
	if k := kpiOf(all, metrics.MTTA); k != nil {
		h.MTTA = k.Median
	}
	for _, c := range dash.Queue {
		switch c.Priority {
		case "P1":
			h.OpenP1 += c.Count
		case "P2":
			h.OpenP2 += c.Count
		}
	}
	from, to, err := windowBounds(perf)
	if err != nil {
		return nil, err
	}
	open, err := s.Store.OpenCases(ctx)
	if err != nil {
		return nil, fmt.Errorf("shift handover: open cases: %w", err)
	}
	sort.SliceStable(open, func(i, j int) bool {
		if open[i].Priority != open[j].Priority {
			return open[i].Priority < open[j].Priority
		}
		return open[i].CreatedAt.Before(open[j].CreatedAt)
	})
	for _, c := range open {
		if (c.Priority == model.P1 || c.Priority == model.P2) && len(h.Critical) < handoverCritical {
			h.Critical = append(h.Critical, OpenCase{Case: c.Source + "/" + c.ExternalID, Title: c.Title, Priority: c.Priority.String(),
				Stage: string(c.Stage), Assignee: c.Assignee, Age: dash.Now.Sub(c.CreatedAt).Seconds()})
		}
		evs, err := s.Store.CaseEvents(ctx, c.ID)
		if err != nil {
			return nil, fmt.Errorf("shift handover: notes of case %s/%s: %w", c.Source, c.ExternalID, err)
		}
		for _, e := range evs {
			if e.Kind == model.EventComment && !e.At.Before(from) && e.At.Before(to) {
				h.Notes = append(h.Notes, Note{Case: c.Source + "/" + c.ExternalID, At: e.At, Author: e.Actor, Body: e.New})
			}
		}
	}
	sort.SliceStable(h.Notes, func(i, j int) bool { return h.Notes[i].At.After(h.Notes[j].At) })
	h.Notes = h.Notes[:min(handoverNotes, len(h.Notes))]
	isvc := &intel.Service{Store: s.Store, Engine: s.Metrics.Engine(), Now: func() time.Time { return to.Add(-time.Second) }}
	page, err := isvc.Matches(ctx, store.MatchQuery{Since: from, Until: to, Limit: 10, Detail: 1})
	if err != nil {
		return nil, fmt.Errorf("shift handover: intelligence matches: %w", err)
	}
	h.Matched = page.Total
	for _, m := range page.Rows {
		h.Matches = append(h.Matches, ThreatMatch{Type: m.Indicator.Type, Value: m.Indicator.Value, Source: m.Indicator.Source,
			Confidence: m.Indicator.Confidence, Alerts: m.Alerts, LastSeen: m.LastSeen})
	}
	return h, nil
}

// slaClocks are the 10 most urgent of a dashboard's SLA clocks.
func slaClocks(items []metrics.SLAItem, before func(a, b metrics.SLAItem) bool) []SLAClock {
	s := append([]metrics.SLAItem(nil), items...)
	sort.SliceStable(s, func(i, j int) bool { return before(s[i], s[j]) })
	out := []SLAClock{}
	for _, it := range s[:min(10, len(s))] {
		out = append(out, SLAClock{OpenCase: OpenCase{Case: it.Source + "/" + it.ExternalID, Title: it.Title, Priority: it.Priority,
			Stage: it.Stage, Assignee: it.Assignee, Age: it.Age}, Clock: it.Clock, Overdue: it.Overdue, Remaining: it.Remaining})
	}
	return out
}

// Render writes the handover in a format (md, html, pdf, or json: the data).
func (h *ShiftHandover) Render(w io.Writer, format string) error {
	return renderDocument(w, format, h.Document(), h)
}

var (
	openColumns  = []string{"Case", "Title", "Priority", "Stage", "Assignee", "Age"}
	clockColumns = []string{"Case", "Title", "Priority", "Stage", "Assignee", "Clock", "Overdue / left"}
)

func openRow(c OpenCase) []string {
	return []string{c.Case, c.Title, orDash(c.Priority), orDash(c.Stage), orDash(c.Assignee), Dur(c.Age)}
}

func clockRows(cs []SLAClock) [][]string {
	var rows [][]string
	for _, c := range cs {
		t := Dur(c.Overdue) + " overdue"
		if c.Overdue == 0 {
			t = Dur(c.Remaining) + " left"
		}
		rows = append(rows, []string{c.Case, c.Title, orDash(c.Priority), orDash(c.Stage), orDash(c.Assignee), c.Clock, t})
	}
	return rows
}

// Document lays the handover out for the renderers.
func (h *ShiftHandover) Document() *Document {
	d := &Document{Title: h.Title, Window: h.Day + " (" + h.TimeZone + ")", GeneratedAt: h.GeneratedAt,
		Meta: []string{fmt.Sprintf("Generated %s; open work and SLA clocks as of %s; data through %s.", stamp(h.GeneratedAt), stamp(h.Now), stamp(h.Basis.DataThrough))}}
	for _, w := range h.Basis.Warnings {
		d.Meta = append(d.Meta, "Warning: "+w)
	}
	crit := Part{Heading: "Open P1 and P2 cases"}
	if len(h.Critical) == 0 {
		crit.Absent = fmt.Sprintf("No P1 or P2 case is open (%s open in all).", count(int64(h.Open), "case"))
	} else {
		crit.Lines = []string{fmt.Sprintf("%s P1 and %s P2 open now, of %s open.", thousands(int64(h.OpenP1)), thousands(int64(h.OpenP2)), count(int64(h.Open), "case"))}
		if n := h.OpenP1 + h.OpenP2; n > len(h.Critical) {
			crit.Lines = append(crit.Lines, fmt.Sprintf("The %d oldest are listed (P1 first); all %s are in watchfloor cases list --open --priority P1 (and P2).", len(h.Critical), thousands(int64(n))))
		}
		t := Table{Columns: openColumns}
		for _, c := range h.Critical {
			t.Rows = append(t.Rows, openRow(c))
		}
		crit.Tables = []Table{t}
	}
	sla := Part{Heading: "SLA breaches and clocks at risk"}
	if len(h.Basis.SLAPolicies) == 0 && h.Breached == 0 && h.AtRisk == 0 {
		sla.Absent = "No SLA policy is stored: no clock to judge."
	} else if h.Breached == 0 && h.AtRisk == 0 {
		sla.Absent = "No open SLA clock is past its target or at risk now."
	} else {
		sla.Lines = []string{fmt.Sprintf("%s past the target, %s at risk (past 80 %% of it) now.", count(int64(h.Breached), "clock"), thousands(int64(h.AtRisk)))}
		if len(h.BreachedItems) > 0 {
			sla.Tables = append(sla.Tables, Table{Caption: "Most overdue:", Columns: clockColumns, Rows: clockRows(h.BreachedItems)})
		}
		if len(h.AtRiskItems) > 0 {
			sla.Tables = append(sla.Tables, Table{Caption: "Closest to breach:", Columns: clockColumns, Rows: clockRows(h.AtRiskItems)})
		}
	}
	day := Part{Heading: "The shift's work"}
	if h.Cases == 0 && h.Alerts == 0 {
		day.Absent = "No case and no alert was created on " + h.Day + "."
	} else {
		day.Lines = []string{
			fmt.Sprintf("%s and %s created.", count(h.Cases, "case"), count(h.Alerts, "alert")),
			fmt.Sprintf("MTTA (median): %s; acknowledge SLA adherence: %s (%s met, %s breached).", Value(UnitSeconds, h.MTTA), Value(UnitRatio, h.SLAAcknowledge.Adherence),
				thousands(h.SLAAcknowledge.Met), thousands(h.SLAAcknowledge.Breached)),
			fmt.Sprintf("False-positive rate: %s.", Value(UnitRatio, h.FalsePositive)),
		}
	}
	notable := Part{Heading: "Notable alerts"}
	if h.CriticalAlerts == 0 && h.HighAlerts == 0 && h.Matched == 0 {
		notable.Absent = "No critical or high alert and no intelligence match on " + h.Day + "."
	} else {
		notable.Lines = []string{fmt.Sprintf("%s critical and %s high-severity alerts; %s matched the day's alerts.", thousands(h.CriticalAlerts), thousands(h.HighAlerts), count(h.Matched, "intelligence indicator"))}
		if len(h.Matches) > 0 {
			t := Table{Caption: "Intelligence matches:", Columns: []string{"Indicator", "Type", "Source", "Confidence", "Alerts", "Last seen"}}
			for _, m := range h.Matches {
				t.Rows = append(t.Rows, []string{m.Value, m.Type, m.Source, fmt.Sprint(m.Confidence), thousands(m.Alerts), stamp(m.LastSeen)})
			}
			notable.Tables = []Table{t}
		}
	}
	load := Part{Heading: "On-shift load"}
	if len(h.Analysts) == 0 {
		load.Absent = "No analyst is on the roster and no open case is assigned."
	} else {
		load.Lines = []string{fmt.Sprintf("%s on shift; %s in the last hour (%s per analyst on shift).", count(int64(h.Inflow.AnalystsOnShift), "analyst"),
			count(h.Inflow.LastHour, "alert"), fmt.Sprintf("%.1f", h.Inflow.PerAnalyst))}
		if h.Inflow.AnalystsOnShift == 0 {
			load.Lines = []string{fmt.Sprintf("No analyst is on shift by the roster now; %s in the last hour.", count(h.Inflow.LastHour, "alert"))}
		}
		t := Table{Columns: []string{"Analyst", "Name", "Tier", "On shift", "Open cases", "Open P1/P2"}}
		for _, a := range h.Analysts {
			on := "no"
			if a.OnShift {
				on = "yes"
			}
			t.Rows = append(t.Rows, []string{a.Analyst, orDash(a.Name), orDash(a.Tier), on, thousands(int64(a.Open)), thousands(int64(a.Critical))})
		}
		load.Tables = []Table{t}
	}
	notes := Part{Heading: "Hand-over notes"}
	if len(h.Notes) == 0 {
		notes.Absent = "No note was left on an open case on " + h.Day + "."
	} else {
		t := Table{Caption: "The latest comments on open cases during the day:", Columns: []string{"When", "Case", "By", "Note"}}
		for _, n := range h.Notes {
			t.Rows = append(t.Rows, []string{stamp(n.At), n.Case, orDash(n.Author), n.Body})
		}
		notes.Tables = []Table{t}
	}
	d.Parts = []Part{crit, sla, day, notable, load, notes, {Heading: "Sources", Lines: h.Sources, Code: true}}
	return d
}
