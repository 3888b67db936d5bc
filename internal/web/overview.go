package web

import (
	"net/http"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/tech"
)

// shown is the head of a list a panel has room for, and how many more
// there are ("+N more").
type shown[T any] struct {
	Items []T
	More  int
	Total int
}

// head keeps the first n items.
func head[T any](xs []T, n int) shown[T] {
	s := shown[T]{Items: xs, Total: len(xs)}
	if len(xs) > n {
		s.Items, s.More = xs[:n], len(xs)-n
	}
	return s
}

// queueRow is one priority's open work by stage and by age.
type queueRow struct {
	Priority string
	ByStage  []int
	ByAge    []int
	Total    int
	Oldest   float64
}

// queueStages are the open stages, the queue matrix's columns.
var queueStages = []string{"new", "triage", "investigating", "contained"}

// queueMatrix turns the dashboard's cells into a row per priority (P1–P5,
// then cases without one) and a totals row.
func queueMatrix(d *metrics.Dashboard) (rows []queueRow, total queueRow) {
	newRow := func(p string) queueRow {
		return queueRow{Priority: p, ByStage: make([]int, len(queueStages)), ByAge: make([]int, len(metrics.AgeLabels))}
	}
	total = newRow("All")
	byPrio := map[string]*queueRow{}
	var order []string
	for _, p := range model.Priorities {
		r := newRow(p.String())
		byPrio[r.Priority] = &r
		order = append(order, r.Priority)
	}
	for _, c := range d.Queue {
		r := byPrio[c.Priority]
		if r == nil {
			nr := newRow(c.Priority)
			r = &nr
			byPrio[c.Priority] = r
			order = append(order, c.Priority)
		}
		for i, st := range queueStages {
			if c.Stage == st {
				r.ByStage[i] += c.Count
				total.ByStage[i] += c.Count
			}
		}
		for i, n := range c.ByAge {
			if i < len(r.ByAge) {
				r.ByAge[i] += n
				total.ByAge[i] += n
			}
		}
		r.Total += c.Count
		total.Total += c.Count
		r.Oldest = max(r.Oldest, c.Oldest)
		total.Oldest = max(total.Oldest, c.Oldest)
	}
	for _, p := range order {
		rows = append(rows, *byPrio[p])
	}
	return rows, total
}

// overviewData is the monitor view.
type overviewData struct {
	D          *metrics.Dashboard
	Summary    LiveSummary
	Stages     []string
	AgeLabels  []string
	Matrix     []queueRow
	Total      queueRow
	Breached   shown[metrics.SLAItem]
	AtRisk     shown[metrics.SLAItem]
	Unassigned shown[metrics.Item]
	Oldest     shown[metrics.Item]
	Analysts   shown[metrics.AnalystLoad]
	OnShift    int
	// SourceAlarms are the sources silent or late now (source health).
	SourceAlarms shown[tech.KeyHealth]
}

// Rows each overview list shows; the wall screen has less room per panel
// (its script trims further if a panel still overflows).
const (
	listRows      = 10
	kioskListRows = 6
)

func (s *Server) overviewPage(w http.ResponseWriter, r *http.Request) {
	sum, err := s.summary(r.Context())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d, err := s.dashboard(r.Context())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(w, r, "overview", "SOC overview")
	n := listRows
	if v.Kiosk {
		n = kioskListRows
	}
	od := overviewData{D: d, Summary: sum, Stages: queueStages, AgeLabels: metrics.AgeLabels,
		Breached: head(d.Breached, n), AtRisk: head(d.AtRisk, n), Unassigned: head(d.UnassignedCritical, n), Oldest: head(d.Oldest, n)}
	od.Matrix, od.Total = queueMatrix(d)
	// Who is on shift first, then by open work.
	analysts := make([]metrics.AnalystLoad, 0, len(d.Analysts))
	for _, on := range []bool{true, false} {
		for _, a := range d.Analysts {
			if a.OnShift == on && (on || a.Open > 0 || !v.Kiosk) {
				analysts = append(analysts, a)
			}
		}
	}
	for _, a := range d.Analysts {
		if a.OnShift {
			od.OnShift++
		}
	}
	od.Analysts = head(analysts, n+4)
	od.SourceAlarms = head(s.sourceAlarms(r.Context()), 3)
	v.Data = od
	s.render(w, http.StatusOK, "overview", v)
}
