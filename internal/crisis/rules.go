package crisis

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

//go:embed regimes.yaml
var defaultRegimes []byte

// Trigger event types: what starts a regulatory clock. Notified records a
// submission rather than starting a clock by itself.
const (
	TriggerAware                 = "aware"
	TriggerClassifiedMajor       = "classified-major"
	TriggerMaterialityDetermined = "materiality-determined"
	TriggerRansomPaid            = "ransom-paid"
	TriggerReasonableBelief      = "reasonable-belief"
	TriggerNotified              = "notified"
)

// TriggerTypes lists the trigger events in the order they are usually
// recorded.
var TriggerTypes = []string{TriggerAware, TriggerReasonableBelief, TriggerClassifiedMajor, TriggerMaterialityDetermined, TriggerRansomPaid}

// Unit is what a Period counts.
type Unit string

// The units of a period.
const (
	Hours        Unit = "hours"
	Days         Unit = "days"
	Months       Unit = "months"
	BusinessDays Unit = "business days"
)

// Period is a time limit: a count of a unit.
type Period struct {
	N    int
	Unit Unit
}

var periodRE = regexp.MustCompile(`^\s*(\d+)\s*(h|hours?|d|days?|months?|business[ _-]?days?)\s*$`)

// ParsePeriod reads "72h", "24 hours", "60 days", "1 month" or
// "4 business days".
func ParsePeriod(s string) (Period, error) {
	m := periodRE.FindStringSubmatch(strings.ToLower(s))
	if m == nil {
		return Period{}, fmt.Errorf("time limit %q: want a count and a unit, e.g. 72h, 60 days, 1 month or 4 business days", s)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n <= 0 || n > 10000 {
		return Period{}, fmt.Errorf("time limit %q: the count must be 1 to 10000 (a deadline cannot come before its trigger)", s)
	}
	p := Period{N: n}
	switch u := m[2]; {
	case u == "h" || strings.HasPrefix(u, "hour"):
		p.Unit = Hours
	case u == "d" || strings.HasPrefix(u, "day"):
		p.Unit = Days
	case strings.HasPrefix(u, "month"):
		p.Unit = Months
	default:
		p.Unit = BusinessDays
	}
	return p, nil
}

// String writes the period as ParsePeriod reads it.
func (p Period) String() string {
	switch p.Unit {
	case Hours:
		return strconv.Itoa(p.N) + "h"
	case Months:
		if p.N == 1 {
			return "1 month"
		}
		return strconv.Itoa(p.N) + " months"
	}
	return strconv.Itoa(p.N) + " " + string(p.Unit)
}

// UnmarshalYAML reads a period from a string.
func (p *Period) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := ParsePeriod(s)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*p = v
	return nil
}

// MarshalYAML writes a period as a string.
func (p Period) MarshalYAML() (any, error) { return p.String(), nil }

// MarshalText writes a period as a string (for JSON).
func (p Period) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// Anchor is what starts a clock: a trigger event, or the submission of
// another report of the same regime (the first one, or with Latest the
// newest one).
type Anchor struct {
	Event     string `yaml:"event,omitempty" json:"event,omitempty"`
	Submitted string `yaml:"submitted,omitempty" json:"submitted,omitempty"`
	Latest    bool   `yaml:"latest,omitempty" json:"latest,omitempty"`
}

// String names the anchor: "aware" or "submission of initial".
func (a Anchor) String() string {
	if a.Event != "" {
		return a.Event
	}
	if a.Latest {
		return "latest submission of " + a.Submitted
	}
	return "submission of " + a.Submitted
}

// Cap bounds a deadline by a second anchor and limit.
type Cap struct {
	From   Anchor `yaml:"from" json:"from"`
	Within Period `yaml:"within" json:"within"`
}

// Report is one notification a regime requires, with its time limit.
type Report struct {
	ID     string `yaml:"id" json:"id"`
	Name   string `yaml:"name" json:"name"`
	From   Anchor `yaml:"from" json:"from"`
	Within Period `yaml:"within" json:"within"`
	Cap    *Cap   `yaml:"cap,omitempty" json:"cap,omitempty"`
	// Calendar names the business-day calendar ("us-federal"), needed by
	// and only allowed with business days; Cutoff is the time of day and
	// zone by which the last business day ends ("17:30 America/New_York").
	Calendar string `yaml:"calendar,omitempty" json:"calendar,omitempty"`
	Cutoff   string `yaml:"cutoff,omitempty" json:"cutoff,omitempty"`
	Citation string `yaml:"citation" json:"citation"`

	cutoffLoc        *time.Location
	cutoffH, cutoffM int
}

// Regime is a body of rules with its reports.
type Regime struct {
	ID       string `yaml:"id" json:"id"`
	Name     string `yaml:"name" json:"name"`
	Law      string `yaml:"law,omitempty" json:"law,omitempty"`
	Proposed bool   `yaml:"proposed,omitempty" json:"proposed,omitempty"`
	// ClosedDates are extra days ("2025-01-09") the business-day calendar
	// treats as closed, such as a national day of mourning.
	ClosedDates []string `yaml:"closed_dates,omitempty" json:"closed_dates,omitempty"`
	Reports     []Report `yaml:"reports" json:"reports"`

	closed map[civilDate]bool
}

// Rules is a rule set: the regimes an incident may be subject to.
type Rules struct {
	Regimes []Regime `yaml:"regimes" json:"regimes"`
}

var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// DefaultRules returns the embedded default rule set (regimes.yaml).
func DefaultRules() Rules {
	r := parsedDefaults()
	return Rules{Regimes: slices.Clone(r.Regimes)}
}

var parsedDefaults = sync.OnceValue(func() Rules {
	r, err := ParseRules(defaultRegimes, "regimes.yaml")
	if err != nil {
		panic("crisis: the embedded rule set is invalid: " + err.Error())
	}
	return r
})

// ParseRules reads a rule set from YAML; unknown keys are errors.
func ParseRules(b []byte, name string) (Rules, error) {
	var r Rules
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&r); err != nil {
		return Rules{}, fmt.Errorf("%s: %w", name, err)
	}
	if err := r.prepare(); err != nil {
		return Rules{}, fmt.Errorf("%s: %w", name, err)
	}
	return r, nil
}

// Merge returns r with the regimes of o added; a regime of o with the id of
// one in r replaces it.
func (r Rules) Merge(o []Regime) (Rules, error) {
	out := Rules{Regimes: slices.Clone(r.Regimes)}
	for _, g := range o {
		i := slices.IndexFunc(out.Regimes, func(x Regime) bool { return x.ID == g.ID })
		if i >= 0 {
			out.Regimes[i] = g
		} else {
			out.Regimes = append(out.Regimes, g)
		}
	}
	return out, out.prepare()
}

// Regime returns the regime with the given id.
func (r Rules) Regime(id string) (Regime, bool) {
	for _, g := range r.Regimes {
		if g.ID == id {
			return g, true
		}
	}
	return Regime{}, false
}

// IDs lists the regime ids.
func (r Rules) IDs() []string {
	out := make([]string, len(r.Regimes))
	for i, g := range r.Regimes {
		out[i] = g.ID
	}
	return out
}

// CheckRegimes checks that every id names a regime of the rule set.
func (r Rules) CheckRegimes(ids []string) error {
	for _, id := range ids {
		if _, ok := r.Regime(id); !ok {
			return fmt.Errorf("unknown regime %q (known: %s)", id, strings.Join(r.IDs(), ", "))
		}
	}
	return nil
}

// prepare validates the rule set and parses cut-offs and closed dates.
func (r *Rules) prepare() error {
	seen := map[string]bool{}
	for i := range r.Regimes {
		g := &r.Regimes[i]
		if !idRE.MatchString(g.ID) {
			return fmt.Errorf("regimes[%d]: id %q: want lower-case letters, digits and dashes", i, g.ID)
		}
		if seen[g.ID] {
			return fmt.Errorf("regime %s is listed twice", g.ID)
		}
		seen[g.ID] = true
		if g.Name == "" || len(g.Reports) == 0 {
			return fmt.Errorf("regime %s: needs a name and at least one report", g.ID)
		}
		g.closed = map[civilDate]bool{}
		for _, d := range g.ClosedDates {
			t, err := time.Parse("2006-01-02", d)
			if err != nil {
				return fmt.Errorf("regime %s: closed date %q: want YYYY-MM-DD", g.ID, d)
			}
			g.closed[dateOf(t)] = true
		}
		reports := map[string]bool{}
		for _, rp := range g.Reports {
			reports[rp.ID] = true
		}
		for j := range g.Reports {
			if err := g.prepareReport(j, reports); err != nil {
				return fmt.Errorf("regime %s report %s: %w", g.ID, g.Reports[j].ID, err)
			}
		}
		if err := g.checkCycles(); err != nil {
			return fmt.Errorf("regime %s: %w", g.ID, err)
		}
	}
	return nil
}

func (g *Regime) prepareReport(j int, reports map[string]bool) error {
	rp := &g.Reports[j]
	if !idRE.MatchString(rp.ID) {
		return fmt.Errorf("id %q: want lower-case letters, digits and dashes", rp.ID)
	}
	if slices.IndexFunc(g.Reports[:j], func(x Report) bool { return x.ID == rp.ID }) >= 0 {
		return errors.New("listed twice")
	}
	if rp.Name == "" || rp.Citation == "" {
		return errors.New("needs a name and a citation")
	}
	if rp.Within.N <= 0 {
		return errors.New("within: a positive time limit is required (a deadline cannot come before its trigger)")
	}
	check := func(a Anchor) error {
		switch {
		case (a.Event == "") == (a.Submitted == ""):
			return errors.New("from: name either an event or a submitted report")
		case a.Event != "" && !slices.Contains(TriggerTypes, a.Event):
			return fmt.Errorf("from: unknown event %q (known: %s)", a.Event, strings.Join(TriggerTypes, ", "))
		case a.Submitted != "" && !reports[a.Submitted]:
			return fmt.Errorf("from: no report %q in this regime", a.Submitted)
		case a.Submitted == rp.ID:
			return errors.New("from: a report cannot start its own clock")
		case a.Event != "" && a.Latest:
			return errors.New("from: latest applies to submitted reports only")
		}
		return nil
	}
	if err := check(rp.From); err != nil {
		return err
	}
	if rp.Cap != nil {
		if err := check(rp.Cap.From); err != nil {
			return fmt.Errorf("cap %w", err)
		}
		if rp.Cap.Within.N <= 0 || rp.Cap.Within.Unit == BusinessDays {
			return errors.New("cap: within must be a positive count of hours, days or months")
		}
	}
	if (rp.Within.Unit == BusinessDays) != (rp.Calendar != "") {
		return errors.New("business days need a calendar, and a calendar needs business days")
	}
	if rp.Calendar != "" {
		if rp.Calendar != CalendarUSFederal {
			return fmt.Errorf("calendar %q: the only calendar is %s", rp.Calendar, CalendarUSFederal)
		}
		hm, zone, ok := strings.Cut(strings.TrimSpace(rp.Cutoff), " ")
		t, err := time.Parse("15:04", hm)
		if !ok || err != nil {
			return fmt.Errorf("cutoff %q: want \"HH:MM Zone\", e.g. \"17:30 America/New_York\"", rp.Cutoff)
		}
		loc, err := time.LoadLocation(zone)
		if err != nil {
			return fmt.Errorf("cutoff %q: %w", rp.Cutoff, err)
		}
		rp.cutoffLoc, rp.cutoffH, rp.cutoffM = loc, t.Hour(), t.Minute()
	} else if rp.Cutoff != "" {
		return errors.New("cutoff applies to business days only")
	}
	return nil
}

// checkCycles refuses reports whose clocks wait on each other.
func (g *Regime) checkCycles() error {
	dep := map[string]string{}
	for _, rp := range g.Reports {
		dep[rp.ID] = rp.From.Submitted
	}
	for _, rp := range g.Reports {
		seen := map[string]bool{}
		for id := rp.ID; id != ""; id = dep[id] {
			if seen[id] {
				return fmt.Errorf("report %s: its clock waits on itself through submitted anchors", rp.ID)
			}
			seen[id] = true
		}
	}
	return nil
}

// Report returns the report with the given id.
func (g Regime) Report(id string) (Report, bool) {
	for _, rp := range g.Reports {
		if rp.ID == id {
			return rp, true
		}
	}
	return Report{}, false
}

// Deadline adds the report's time limit to an anchor time. Calendar days
// and months are counted in tz; business days in the report's calendar,
// ending at its cut-off.
func (g Regime) Deadline(rp Report, from time.Time, tz *time.Location) time.Time {
	return g.add(rp.Within, rp, from, tz)
}

func (g Regime) add(p Period, rp Report, from time.Time, tz *time.Location) time.Time {
	switch p.Unit {
	case Hours:
		return from.Add(time.Duration(p.N) * time.Hour)
	case Days:
		l := from.In(tz)
		return time.Date(l.Year(), l.Month(), l.Day()+p.N, l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), tz).UTC()
	case Months:
		return AddMonths(from, p.N, tz)
	}
	return addBusinessDays(from, p.N, rp.cutoffLoc, rp.cutoffH, rp.cutoffM, g.closed)
}

// AddMonths adds n calendar months in tz, keeping the local time of day:
// from the 31 January it reaches the last day of February.
func AddMonths(t time.Time, n int, tz *time.Location) time.Time {
	l := t.In(tz)
	y, m := l.Year(), l.Month()+time.Month(n)
	last := time.Date(y, m+1, 0, 0, 0, 0, 0, tz).Day() // days in the target month
	d := min(l.Day(), last)
	return time.Date(y, m, d, l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), tz).UTC()
}
