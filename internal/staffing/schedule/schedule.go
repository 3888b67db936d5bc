// Package schedule turns heads required per interval of the week into a
// roster of shifts: which shift templates (8, 10 or 12 hours, allowed start
// times and days, tours of consecutive days) to staff with how many people,
// at least cost, so that every interval is covered.
//
// It solves the set-covering problem
//
//	minimise Σ cost_j·x_j  subject to  Σ_j covers(j, i)·x_j ≥ required_i for every interval i,  x_j ∈ ℕ
//
// where x_j is the number of people on candidate shift j. The week wraps
// around: a night shift starting Sunday 22:00 covers Monday 00:00–06:00,
// and a five-day tour starting Friday covers Friday to Tuesday. The linear
// relaxation is solved by the dual simplex (cross-checked against gonum's
// simplex in the tests); integer solutions come from rounding up the LP
// solution and greedily dropping shifts that are not needed, then from
// branch and bound on the LP bound, which proves the optimum when it
// finishes within its node budget.
package schedule

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Template is a kind of shift that may be staffed.
type Template struct {
	// Name identifies the template in the roster ("8h", "Day", …).
	Name string `json:"name" yaml:"name"`
	// Length is how long one shift lasts; a multiple of the interval, at
	// most 24 hours.
	Length time.Duration `json:"length" yaml:"length"`
	// Starts are the local "HH:MM" times a shift may start. Empty means
	// any interval boundary.
	Starts []string `json:"starts,omitempty" yaml:"starts,omitempty"`
	// Days are the weekdays a tour may start on. Empty means every day.
	Days []time.Weekday `json:"days,omitempty" yaml:"days,omitempty"`
	// WorkDays is the number of consecutive days of a tour: one person
	// works the same shift on WorkDays days in a row (5 for a Monday–Friday
	// pattern, 4 for four tens, 3 or 4 for twelves). Zero means 1: every
	// day's shift is staffed on its own.
	WorkDays int `json:"work_days,omitempty" yaml:"work_days,omitempty"`
	// Cost is the cost of one shift (one person, one day). Zero means the
	// shift's length in hours, so the schedule minimises paid hours.
	Cost float64 `json:"cost_per_shift,omitempty" yaml:"cost_per_shift,omitempty"`
}

// Problem is a week to cover.
type Problem struct {
	// Interval is the length of one interval; it divides 24 hours. Zero
	// means one hour.
	Interval time.Duration
	// Days is the length of the cycle in days; zero means 7 (a week that
	// starts Monday 00:00 and wraps around).
	Days int
	// Required holds the heads needed on duty in each interval, from the
	// start of the cycle: Days × 24h / Interval values.
	Required []int
	// MinHeads is a floor on heads in every interval (for example two, so
	// nobody is alone on the floor).
	MinHeads int
	// Templates are the shifts that may be used.
	Templates []Template
	// MaxNodes bounds branch and bound; zero means DefaultMaxNodes.
	MaxNodes int
}

// DefaultMaxNodes is the default branch-and-bound budget.
const DefaultMaxNodes = 2000

// Shift is one candidate shift: a template started at a given interval of
// the cycle, worked on WorkDays consecutive days.
type Shift struct {
	Template string `json:"template"`
	// StartDay is the weekday of the first shift of the tour (for a cycle
	// of seven days starting Monday).
	StartDay time.Weekday `json:"start_day"`
	// Start and End are the local times the shift starts and ends.
	Start string `json:"start"`
	End   string `json:"end"`
	// Days are the weekdays worked, starting with StartDay.
	Days     []time.Weekday `json:"days"`
	Length   time.Duration  `json:"length"`
	WorkDays int            `json:"work_days"`
	// Cost is the cost of one person on this tour, per cycle.
	Cost float64 `json:"cost"`
	// StartInterval is the first interval covered, from the cycle start.
	StartInterval int `json:"start_interval"`
	covers        []int
}

// Label names the shift for people: "Mon–Fri 06:00–14:00 (8h)".
func (s Shift) Label() string {
	days := dayName(s.Days[0])
	if len(s.Days) > 1 {
		days += "–" + dayName(s.Days[len(s.Days)-1])
	}
	return days + " " + s.Start + "–" + s.End + " (" + s.Template + ")"
}

// Covers lists the intervals the shift covers.
func (s Shift) Covers() []int { return s.covers }

func dayName(d time.Weekday) string { return d.String()[:3] }

// Assignment is a shift with the people on it.
type Assignment struct {
	Shift Shift   `json:"shift"`
	Label string  `json:"label"`
	Heads int     `json:"heads"`
	Cost  float64 `json:"cost"`
}

// CoverageRow compares heads scheduled with heads required in one interval.
type CoverageRow struct {
	Interval  int          `json:"interval"`
	Day       time.Weekday `json:"day"`
	Time      string       `json:"time"`
	Required  int          `json:"required"`
	Scheduled int          `json:"scheduled"`
}

// Solution is a roster that covers every interval.
type Solution struct {
	Roster   []Assignment  `json:"roster"`
	Coverage []CoverageRow `json:"coverage"`
	// Cost is the roster's cost per cycle.
	Cost float64 `json:"cost"`
	// LowerBound is the LP relaxation's optimum, rounded up to the next
	// possible roster cost when every cost is a whole multiple of a unit:
	// no roster costs less.
	LowerBound float64 `json:"lower_bound"`
	// Optimal is true when branch and bound proved Cost the least possible.
	Optimal bool `json:"optimal"`
	// Nodes is the number of branch-and-bound nodes explored.
	Nodes int `json:"nodes"`
	// Shifts is the number of person-shifts per cycle (a tour of five days
	// counts five); ExcessHours the scheduled hours beyond the requirement.
	Shifts      int     `json:"shifts"`
	PaidHours   float64 `json:"paid_hours"`
	ExcessHours float64 `json:"excess_hours"`
}

// grid describes the cycle.
type grid struct {
	interval time.Duration
	perDay   int
	days     int
}

func (g grid) n() int { return g.perDay * g.days }

func (p Problem) grid() (grid, error) {
	g := grid{interval: p.Interval, days: p.Days}
	if g.interval == 0 {
		g.interval = time.Hour
	}
	if g.days == 0 {
		g.days = 7
	}
	if g.interval < time.Minute || 24*time.Hour%g.interval != 0 {
		return g, fmt.Errorf("interval %v does not divide a day into whole minutes", g.interval)
	}
	if g.days < 1 || g.days > 28 {
		return g, fmt.Errorf("cycle of %d days: want 1 to 28", g.days)
	}
	g.perDay = int(24 * time.Hour / g.interval)
	return g, nil
}

// weekday of day d of the cycle, which starts on a Monday.
func weekday(d int) time.Weekday { return time.Weekday((d + 1) % 7) }

// clock formats an offset into the day as "HH:MM".
func clock(d time.Duration) string {
	m := int(d.Minutes()) % (24 * 60)
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}

// ParseClock reads "HH:MM" as an offset into the day.
func ParseClock(s string) (time.Duration, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("time %q is not HH:MM", s)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

// Candidates lists every shift the templates allow, in template order.
func (p Problem) Candidates() ([]Shift, error) {
	g, err := p.grid()
	if err != nil {
		return nil, err
	}
	return candidates(g, p.Templates)
}

func candidates(g grid, templates []Template) ([]Shift, error) {
	if len(templates) == 0 {
		return nil, errors.New("no shift templates")
	}
	var out []Shift
	seen := map[string]bool{}
	for _, t := range templates {
		if t.Name == "" {
			return nil, errors.New("shift template without a name")
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("shift template %q is defined twice", t.Name)
		}
		seen[t.Name] = true
		if t.Length <= 0 || t.Length > 24*time.Hour || t.Length%g.interval != 0 {
			return nil, fmt.Errorf("template %q: length %v must be a positive multiple of the %v interval, at most 24h", t.Name, t.Length, g.interval)
		}
		wd := max(1, t.WorkDays)
		if wd > g.days {
			return nil, fmt.Errorf("template %q: %d work days do not fit a %d-day cycle", t.Name, wd, g.days)
		}
		if t.Cost < 0 || math.IsNaN(t.Cost) {
			return nil, fmt.Errorf("template %q: negative cost", t.Name)
		}
		cost := t.Cost
		if cost == 0 {
			cost = t.Length.Hours()
		}
		starts := make([]int, 0, g.perDay)
		if len(t.Starts) == 0 {
			for k := 0; k < g.perDay; k++ {
				starts = append(starts, k)
			}
		}
		for _, s := range t.Starts {
			off, err := ParseClock(s)
			if err != nil {
				return nil, fmt.Errorf("template %q: %w", t.Name, err)
			}
			if off%g.interval != 0 {
				return nil, fmt.Errorf("template %q: start %s is not on a %v interval boundary", t.Name, s, g.interval)
			}
			starts = append(starts, int(off/g.interval))
		}
		days := map[time.Weekday]bool{}
		for _, d := range t.Days {
			days[d] = true
		}
		length := int(t.Length / g.interval)
		for d := 0; d < g.days; d++ {
			if len(days) > 0 && !days[weekday(d)] {
				continue
			}
			for _, k := range starts {
				s := Shift{
					Template: t.Name, StartDay: weekday(d), Length: t.Length, WorkDays: wd,
					Start: clock(time.Duration(k) * g.interval), End: clock(time.Duration(k)*g.interval + t.Length),
					Cost: cost * float64(wd), StartInterval: d*g.perDay + k,
				}
				for w := 0; w < wd; w++ {
					s.Days = append(s.Days, weekday(d+w))
					for i := 0; i < length; i++ {
						s.covers = append(s.covers, ((d+w)*g.perDay+k+i)%g.n())
					}
				}
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// Coverage returns the heads on duty in each interval of the cycle for
// shifts staffed with the given heads (fractional heads allowed, for
// expected presence).
func Coverage(intervals int, shifts []Shift, heads []float64) []float64 {
	cov := make([]float64, intervals)
	for j, s := range shifts {
		if heads[j] == 0 {
			continue
		}
		for _, i := range s.covers {
			cov[i] += heads[j]
		}
	}
	return cov
}

// Solve finds a least-cost roster covering p.Required (raised to
// p.MinHeads).
func Solve(p Problem) (Solution, error) {
	g, err := p.grid()
	if err != nil {
		return Solution{}, err
	}
	if len(p.Required) != g.n() {
		return Solution{}, fmt.Errorf("%d requirements for a cycle of %d intervals", len(p.Required), g.n())
	}
	shifts, err := candidates(g, p.Templates)
	if err != nil {
		return Solution{}, err
	}
	need := make([]int, g.n())
	for i, r := range p.Required {
		if r < 0 {
			return Solution{}, fmt.Errorf("interval %d: negative requirement %d", i, r)
		}
		need[i] = max(r, p.MinHeads)
	}
	covered := make([]bool, g.n())
	for _, s := range shifts {
		for _, i := range s.covers {
			covered[i] = true
		}
	}
	for i, ok := range covered {
		if !ok && need[i] > 0 {
			return Solution{}, fmt.Errorf("no shift template covers %s %s", dayName(weekday(i/g.perDay)), clock(time.Duration(i%g.perDay)*g.interval))
		}
	}
	maxNodes := p.MaxNodes
	if maxNodes == 0 {
		maxNodes = DefaultMaxNodes
	}
	x, bound, optimal, nodes, err := solveCover(g.n(), shifts, need, maxNodes)
	if err != nil {
		return Solution{}, err
	}
	sol := Solution{LowerBound: bound, Optimal: optimal, Nodes: nodes}
	heads := make([]float64, len(shifts))
	for j, v := range x {
		heads[j] = float64(v)
		if v == 0 {
			continue
		}
		s := shifts[j]
		sol.Roster = append(sol.Roster, Assignment{Shift: s, Label: s.Label(), Heads: v, Cost: float64(v) * s.Cost})
		sol.Cost += float64(v) * s.Cost
		sol.Shifts += v * s.WorkDays
		sol.PaidHours += float64(v*s.WorkDays) * s.Length.Hours()
	}
	sort.SliceStable(sol.Roster, func(a, b int) bool {
		return sol.Roster[a].Shift.StartInterval < sol.Roster[b].Shift.StartInterval
	})
	cov := Coverage(g.n(), shifts, heads)
	for i := range cov {
		sol.Coverage = append(sol.Coverage, CoverageRow{Interval: i, Day: weekday(i / g.perDay),
			Time: clock(time.Duration(i%g.perDay) * g.interval), Required: need[i], Scheduled: int(math.Round(cov[i]))})
		sol.ExcessHours += (cov[i] - float64(need[i])) * g.interval.Hours()
	}
	return sol, nil
}

// DefaultTemplates are the shift patterns used when none are configured:
// single 8-, 10- and 12-hour shifts starting at any hour of any day, each
// costed at its paid hours so the schedule minimises paid hours. Which
// person works which days is left to rostering; give templates with
// WorkDays to schedule whole tours instead.
func DefaultTemplates() []Template {
	return []Template{
		{Name: "8h", Length: 8 * time.Hour},
		{Name: "10h", Length: 10 * time.Hour},
		{Name: "12h", Length: 12 * time.Hour},
	}
}

// TourTemplates are weekly tours: five 8-hour, four 10-hour or three
// 12-hour shifts on consecutive days at the same time, starting at any
// hour of any day, costed at paid hours.
func TourTemplates() []Template {
	return []Template{
		{Name: "5x8h", Length: 8 * time.Hour, WorkDays: 5},
		{Name: "4x10h", Length: 10 * time.Hour, WorkDays: 4},
		{Name: "3x12h", Length: 12 * time.Hour, WorkDays: 3},
	}
}
