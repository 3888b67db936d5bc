package metrics

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/sla"
)

// DashboardStore is what the live dashboard reads; *store.Store implements
// it. Every read is of open work or of the last day, so a refresh costs the
// same however long the history is.
type DashboardStore interface {
	TimeZone(ctx context.Context) (*time.Location, error)
	OpenCases(ctx context.Context) ([]model.Case, error)
	OpenCaseEvents(ctx context.Context) (map[int64][]model.CaseEvent, error)
	CountAlerts(ctx context.Context, from, to time.Time) (int64, error)
	Analysts(ctx context.Context) ([]model.Analyst, error)
	Shifts(ctx context.Context) ([]model.Shift, error)
	Policies(ctx context.Context) (*sla.Policies, error)
	// DataVersion changes whenever alerts or case events are added.
	DataVersion(ctx context.Context) (string, error)
}

// AgeBuckets are the upper bounds of the queue's age columns; the last
// column is everything older.
var AgeBuckets = []time.Duration{time.Hour, 4 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}

// AgeLabels name the age columns.
var AgeLabels = []string{"<1h", "1-4h", "4-24h", "1-7d", ">7d"}

// QueueCell is the open work of one priority in one stage.
type QueueCell struct {
	Priority string  `json:"priority"`
	Stage    string  `json:"stage"`
	Count    int     `json:"count"`
	ByAge    [5]int  `json:"by_age"` // see AgeLabels
	Oldest   float64 `json:"oldest_age_seconds"`
}

// Item is one open case as the dashboard lists it. Title is untrusted
// text from the source.
type Item struct {
	CaseID     int64   `json:"case_id"`
	Source     string  `json:"source"`
	ExternalID string  `json:"external_id"`
	Title      string  `json:"title"`
	Priority   string  `json:"priority"`
	Stage      string  `json:"stage"`
	Assignee   string  `json:"assignee"`
	Age        float64 `json:"age_seconds"`
}

// SLAItem is an open case whose SLA clock is at risk or overdue.
type SLAItem struct {
	Item
	Clock     string  `json:"clock"` // acknowledge or resolve
	Status    string  `json:"status"`
	Target    float64 `json:"target_seconds"`
	Elapsed   float64 `json:"elapsed_seconds"`
	Remaining float64 `json:"remaining_seconds,omitempty"`
	Overdue   float64 `json:"overdue_seconds,omitempty"`
	Policy    string  `json:"policy"`
}

// AnalystLoad is one analyst's open work.
type AnalystLoad struct {
	Analyst  string `json:"analyst"`
	Name     string `json:"name"`
	Tier     string `json:"tier"`
	OnShift  bool   `json:"on_shift"`
	Open     int    `json:"open"`
	Critical int    `json:"critical" jsonschema:"open P1 and P2 cases"`
}

// Inflow compares the last hour's alerts with the staff on shift.
type Inflow struct {
	LastHour        int64   `json:"alerts_last_hour"`
	HourlyAvg24h    float64 `json:"hourly_average_last_24h"`
	AnalystsOnShift int     `json:"analysts_on_shift"`
	// PerAnalyst is the last hour's alerts per analyst on shift (0 when
	// nobody is on shift).
	PerAnalyst float64 `json:"alerts_per_analyst_on_shift"`
}

// Dashboard is the live state of the queue.
type Dashboard struct {
	Now                time.Time     `json:"now"`
	TimeZone           string        `json:"time_zone"`
	Open               int           `json:"open"`
	Queue              []QueueCell   `json:"queue"`
	UnassignedCritical []Item        `json:"unassigned_critical"`
	AtRisk             []SLAItem     `json:"sla_at_risk"`
	Breached           []SLAItem     `json:"sla_breached"`
	Oldest             []Item        `json:"oldest"`
	Analysts           []AnalystLoad `json:"analysts"`
	Inflow             Inflow        `json:"inflow"`
	// Unassigned counts open cases without an assignee, by priority.
	Unassigned map[string]int `json:"unassigned_by_priority"`
	// Basis says how fresh the data is and which SLA policy versions
	// judge the clocks (filled by the Service).
	Basis
}

// BuildDashboard reads the live queue state as of now.
func BuildDashboard(ctx context.Context, st DashboardStore, now time.Time) (*Dashboard, error) {
	return new(OpenWork).Dashboard(ctx, st, now)
}

// OpenWork keeps the open cases and the events that decide their SLA
// clocks between dashboards, and reads them again when the store's data
// version moves (every change to a case appends an event). A server builds
// dashboards far more often than its open work changes; the clocks are
// still judged at each build's now, and everything else is read afresh.
// The zero value is ready to use; it is safe for concurrent use.
type OpenWork struct {
	mu      sync.Mutex
	loaded  bool
	version string
	cases   []model.Case // shared with every dashboard built from them: read only
	logs    map[int64][]model.CaseEvent
}

// load returns the open cases and their clock-deciding logs as of the
// store's current data version. The version is read first, so data read
// after a write that lands meanwhile is labelled older and read again
// next time.
func (w *OpenWork) load(ctx context.Context, st DashboardStore) ([]model.Case, map[int64][]model.CaseEvent, error) {
	v, err := st.DataVersion(ctx)
	if err != nil {
		return nil, nil, err
	}
	w.mu.Lock()
	if w.loaded && w.version == v {
		cases, logs := w.cases, w.logs
		w.mu.Unlock()
		return cases, logs, nil
	}
	w.mu.Unlock()
	cases, err := st.OpenCases(ctx)
	if err != nil {
		return nil, nil, err
	}
	logs, err := st.OpenCaseEvents(ctx)
	if err != nil {
		return nil, nil, err
	}
	w.mu.Lock()
	w.loaded, w.version, w.cases, w.logs = true, v, cases, logs
	w.mu.Unlock()
	return cases, logs, nil
}

// Dashboard builds the live picture as of now, with the open work kept in
// w.
func (w *OpenWork) Dashboard(ctx context.Context, st DashboardStore, now time.Time) (*Dashboard, error) {
	loc, err := st.TimeZone(ctx)
	if err != nil {
		return nil, err
	}
	cases, logs, err := w.load(ctx, st)
	if err != nil {
		return nil, err
	}
	d := &Dashboard{Now: now.UTC(), TimeZone: loc.String(), Open: len(cases), Unassigned: map[string]int{}}
	cells := map[[2]string]*QueueCell{}
	load := map[string]*AnalystLoad{}
	for i := range cases {
		c := &cases[i]
		it := item(c, now)
		k := [2]string{it.Priority, it.Stage}
		cell := cells[k]
		if cell == nil {
			cell = &QueueCell{Priority: it.Priority, Stage: it.Stage}
			cells[k] = cell
		}
		cell.Count++
		cell.ByAge[ageBucket(time.Duration(it.Age*float64(time.Second)))]++
		cell.Oldest = max(cell.Oldest, it.Age)
		critical := c.Priority == model.P1 || c.Priority == model.P2
		if c.Assignee == "" {
			d.Unassigned[it.Priority]++
			if critical {
				d.UnassignedCritical = append(d.UnassignedCritical, it)
			}
		} else {
			l := load[c.Assignee]
			if l == nil {
				l = &AnalystLoad{Analyst: c.Assignee}
				load[c.Assignee] = l
			}
			l.Open++
			if critical {
				l.Critical++
			}
		}
	}
	for _, c := range cells {
		d.Queue = append(d.Queue, *c)
	}
	sort.Slice(d.Queue, func(i, j int) bool {
		a, b := d.Queue[i], d.Queue[j]
		if a.Priority != b.Priority {
			return priorityOrder(a.Priority) < priorityOrder(b.Priority)
		}
		return model.Stage(a.Stage).Rank() < model.Stage(b.Stage).Rank()
	})
	for i := 0; i < len(cases) && i < 10; i++ { // OpenCases is oldest first
		d.Oldest = append(d.Oldest, item(&cases[i], now))
	}
	if err := d.slaLists(ctx, st, cases, logs, now); err != nil {
		return nil, err
	}
	if err := d.staff(ctx, st, load, loc, now); err != nil {
		return nil, err
	}
	if d.Inflow.LastHour, err = st.CountAlerts(ctx, now.Add(-time.Hour), now); err != nil {
		return nil, err
	}
	day, err := st.CountAlerts(ctx, now.Add(-24*time.Hour), now)
	if err != nil {
		return nil, err
	}
	d.Inflow.HourlyAvg24h = float64(day) / 24
	if d.Inflow.AnalystsOnShift > 0 {
		d.Inflow.PerAnalyst = float64(d.Inflow.LastHour) / float64(d.Inflow.AnalystsOnShift)
	}
	return d, nil
}

func item(c *model.Case, now time.Time) Item {
	it := Item{CaseID: c.ID, Source: c.Source, ExternalID: c.ExternalID, Title: c.Title, Priority: c.Priority.String(),
		Stage: string(c.Stage), Assignee: c.Assignee}
	if it.Priority == "" {
		it.Priority = "unset"
	}
	if !c.CreatedAt.IsZero() {
		it.Age = max(0, now.Sub(c.CreatedAt).Seconds())
	}
	return it
}

func ageBucket(age time.Duration) int {
	for i, b := range AgeBuckets {
		if age < b {
			return i
		}
	}
	return len(AgeBuckets)
}

// slaLists judges the open cases' clocks live, as of now.
func (d *Dashboard) slaLists(ctx context.Context, st DashboardStore, cases []model.Case, logs map[int64][]model.CaseEvent, now time.Time) error {
	pols, err := st.Policies(ctx)
	if err != nil || pols.Len() == 0 {
		return err
	}
	ev := sla.Evaluator{Policies: pols}
	for i := range cases {
		c := &cases[i]
		r := ev.Evaluate(c.CreatedAt, logs[c.ID], now)
		for _, x := range []struct {
			name string
			clk  sla.Clock
		}{{"acknowledge", r.Acknowledge}, {"resolve", r.Resolve}} {
			if !x.clk.Open() || (x.clk.Status != sla.StatusAtRisk && x.clk.Status != sla.StatusOverdue) {
				continue
			}
			si := SLAItem{Item: item(c, now), Clock: x.name, Status: string(x.clk.Status), Target: x.clk.Target.Seconds(),
				Elapsed: x.clk.Elapsed.Seconds(), Remaining: x.clk.Remaining.Seconds(), Overdue: x.clk.Overdue.Seconds(),
				Policy: fmt.Sprintf("%s v%d", x.clk.Policy, x.clk.Version)}
			if x.clk.Status == sla.StatusOverdue {
				d.Breached = append(d.Breached, si)
			} else {
				d.AtRisk = append(d.AtRisk, si)
			}
		}
	}
	sort.Slice(d.Breached, func(i, j int) bool { return d.Breached[i].Overdue > d.Breached[j].Overdue })
	sort.Slice(d.AtRisk, func(i, j int) bool { return d.AtRisk[i].Remaining < d.AtRisk[j].Remaining })
	return nil
}

// staff fills the analyst load with the roster and who is on shift now.
func (d *Dashboard) staff(ctx context.Context, st DashboardStore, load map[string]*AnalystLoad, loc *time.Location, now time.Time) error {
	analysts, err := st.Analysts(ctx)
	if err != nil {
		return err
	}
	shifts, err := st.Shifts(ctx)
	if err != nil {
		return err
	}
	byName := map[string]model.Shift{}
	for _, s := range shifts {
		byName[s.Name] = s
	}
	for _, an := range analysts {
		if !an.Active {
			continue
		}
		l := load[an.ExternalID]
		if l == nil {
			l = &AnalystLoad{Analyst: an.ExternalID}
			load[an.ExternalID] = l
		}
		l.Name, l.Tier = an.Name, string(an.Tier)
		if sh, ok := byName[an.Shift]; ok {
			on, err := sh.OnDuty(now, loc)
			if err != nil {
				return err
			}
			if on {
				l.OnShift = true
				d.Inflow.AnalystsOnShift++
			}
		}
	}
	for _, l := range load {
		d.Analysts = append(d.Analysts, *l)
	}
	sort.Slice(d.Analysts, func(i, j int) bool {
		a, b := d.Analysts[i], d.Analysts[j]
		if a.Open != b.Open {
			return a.Open > b.Open
		}
		return strings.Compare(a.Analyst, b.Analyst) < 0
	})
	return nil
}
