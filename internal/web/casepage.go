package web

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/sla"
	"github.com/watchfloor/watchfloor/internal/store"
)

// CaseDetail is a case with its event log (timeline), its SLA clocks and
// linked alerts.
type CaseDetail struct {
	Case   model.Case        `json:"case"`
	Events []model.CaseEvent `json:"events"`
	// SLA is the case's clocks judged now under its policy: acknowledge
	// and resolve (first close).
	SLA    []ClockState  `json:"sla"`
	Alerts []model.Alert `json:"alerts"`
	// AlertsTotal counts every alert linked to the case; Alerts holds the
	// newest of them (up to 200 in the API, a page on the web).
	AlertsTotal int64 `json:"alerts_total"`
	// LogPruned says how retention removed the case's log (nil when it
	// did not), LogNote the same in a sentence.
	LogPruned *store.CaseLogPruning `json:"log_pruned,omitempty"`
	LogNote   string                `json:"log_note,omitempty"`
}

// ClockState is one SLA clock of a case as of now.
type ClockState struct {
	Clock string `json:"clock"` // acknowledge or resolve
	// Status is met, breached (stopped past target), on_track, at_risk
	// (past 80 % of target), overdue (running past target), no_target or
	// missing.
	Status   string  `json:"status"`
	Policy   string  `json:"policy,omitempty"`
	Priority string  `json:"priority,omitempty"`
	Target   float64 `json:"target_seconds,omitempty"`
	Elapsed  float64 `json:"elapsed_seconds"`
	// Remaining is target − elapsed while within target; Overdue elapsed
	// − target once past it.
	Remaining float64   `json:"remaining_seconds,omitempty"`
	Overdue   float64   `json:"overdue_seconds,omitempty"`
	Paused    float64   `json:"paused_seconds,omitempty"`
	PausedNow bool      `json:"paused_now,omitempty"`
	Deadline  time.Time `json:"deadline,omitzero"`
	StoppedAt time.Time `json:"stopped_at,omitzero"`
}

func clockState(name string, c sla.Clock) ClockState {
	cs := ClockState{Clock: name, Status: string(c.Status), Priority: c.Priority.String(), Target: c.Target.Seconds(),
		Elapsed: c.Elapsed.Seconds(), Remaining: c.Remaining.Seconds(), Overdue: c.Overdue.Seconds(), Paused: c.Paused.Seconds(),
		PausedNow: c.PausedNow, Deadline: c.Deadline, StoppedAt: c.Stop}
	if c.Policy != "" {
		cs.Policy = fmt.Sprintf("%s v%d", c.Policy, c.Version)
	}
	return cs
}

// caseDetail reads a case, its log and clocks, and a page of its alerts
// (newest first, after the alert id given; limit alerts).
func (s *Server) caseDetail(ctx context.Context, source, id string, alertsAfter int64, limit int) (CaseDetail, error) {
	c, err := s.st.CaseByExternalID(ctx, source, id)
	if err != nil {
		return CaseDetail{}, err
	}
	d := CaseDetail{Case: c}
	if d.Events, err = s.st.CaseEvents(ctx, c.ID); err != nil {
		return d, err
	}
	pols, err := s.st.Policies(ctx)
	if err != nil {
		return d, err
	}
	res, pruned, err := s.st.CaseClocks(ctx, &c, d.Events, sla.Evaluator{Policies: pols}, s.now())
	if err != nil {
		return d, err
	}
	if pruned != nil {
		d.LogPruned, d.LogNote = pruned, pruned.Note()
	}
	d.SLA = []ClockState{clockState("acknowledge", res.Acknowledge), clockState("resolve", res.Resolve)}
	if d.Alerts, err = s.st.Alerts(ctx, store.AlertFilter{CaseID: c.ID, AfterID: alertsAfter, Limit: limit}); err != nil {
		return d, err
	}
	counts, err := s.st.CaseAlertCounts(ctx, []model.Case{c})
	if err != nil {
		return d, err
	}
	d.AlertsTotal = counts[c.ID]
	for i := range d.Alerts {
		d.Alerts[i].Raw = nil
	}
	if d.Events == nil {
		d.Events = []model.CaseEvent{}
	}
	if d.Alerts == nil {
		d.Alerts = []model.Alert{}
	}
	return d, nil
}

func (s *Server) apiCase(w http.ResponseWriter, r *http.Request) {
	d, err := s.caseDetail(r.Context(), r.PathValue("source"), r.PathValue("id"), 0, 200)
	s.answer(w, "reading the case", d, err)
}

// casesPage lists cases with the filters of the query; "Next page" keeps
// them.
func (s *Server) casesPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !q.Has("open") {
		q.Set("open", "true")
	}
	p, err := s.listCases(r.Context(), q)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	counts, err := s.st.CaseAlertCounts(r.Context(), p.Items)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(w, r, "cases", "Cases")
	v.q.Set("open", q.Get("open"))
	d := struct {
		Page     Page[model.Case]
		Filter   map[string]string
		Alerts   map[int64]int64
		NextURL  string
		FirstURL string
	}{Page: p, Alerts: counts, Filter: map[string]string{}}
	for _, k := range []string{"source", "priority", "stage", "open", "assignee"} {
		d.Filter[k] = q.Get(k)
	}
	if p.Next > 0 {
		d.NextURL = v.PageURL("after", strconv.FormatInt(p.Next, 10))
	}
	if q.Get("after") != "" {
		d.FirstURL = v.URL()
	}
	v.Data = d
	s.render(w, http.StatusOK, "cases", v)
}

// caseAlertsPage is how many linked alerts the case page shows at once.
const caseAlertsPage = 25

// timelineEntry is one line of the case page's timeline.
type timelineEntry struct {
	At      time.Time
	Kind    string
	Text    string // what happened, in words
	Comment string // a comment's text
	Actor   string
	Source  string
	alerts  []string // the alerts a run of link events linked
}

// runbookStep is one runbook run as a checklist line.
type runbookStep struct {
	Runbook, Step, Status string
	Done, Failed          bool
	Took                  string
	At                    time.Time
	Actor                 string
}

// casePageData is the case view.
type casePageData struct {
	CaseDetail
	StageText   string
	Clocks      []clockView
	Runbooks    []runbookStep
	Timeline    []timelineEntry
	NextAlerts  string
	FirstAlerts string
}

// clockView is an SLA clock as the case page shows it.
type clockView struct {
	ClockState
	Name, State, Class string
	Target, Elapsed    string
	Left               string // "4h 10m left" or "36h 49m overdue"
	LeftLabel          string
	Deadline           string
	Percent            int // elapsed ÷ target, capped at 100
	Note               string
}

var clockStates = map[string]string{
	string(sla.StatusMet): "met", string(sla.StatusBreached): "breached", string(sla.StatusOnTrack): "on track",
	string(sla.StatusAtRisk): "at risk", string(sla.StatusOverdue): "overdue", string(sla.StatusNoTarget): "no target",
	string(sla.StatusMissing): "not measurable",
}

func clockViewOf(c ClockState) clockView {
	v := clockView{ClockState: c, Name: map[string]string{"acknowledge": "Acknowledge", "resolve": "Resolve (first close)"}[c.Clock],
		State: clockStates[c.Status], Class: c.Status, Target: noData, Elapsed: humanDuration(c.Elapsed), Deadline: noData}
	if v.State == "" {
		v.State = c.Status
	}
	if c.Target > 0 {
		v.Target = humanDuration(c.Target)
		v.Percent = int(math.Min(100, math.Round(100*c.Elapsed/c.Target)))
	}
	switch {
	case c.Overdue > 0 && c.StoppedAt.IsZero():
		v.LeftLabel, v.Left = "Overdue", humanDuration(c.Overdue)
	case c.Overdue > 0:
		v.LeftLabel, v.Left = "Over target", humanDuration(c.Overdue)
	case c.Remaining > 0 && c.StoppedAt.IsZero():
		v.LeftLabel, v.Left = "Left", humanDuration(c.Remaining)
	case c.Remaining > 0:
		v.LeftLabel, v.Left = "Spare", humanDuration(c.Remaining)
	}
	if !c.Deadline.IsZero() {
		v.Deadline = c.Deadline.UTC().Format("2006-01-02 15:04 UTC")
	}
	switch {
	case c.PausedNow:
		v.Note = "paused now (a pause status stops the clock)"
	case !c.StoppedAt.IsZero():
		v.Note = "stopped " + c.StoppedAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	if c.Paused > 0 {
		v.Note = strings.TrimPrefix(v.Note+"; paused "+humanDuration(c.Paused)+" in all", "; ")
	}
	return v
}

// stageText says the stage, and the source's status when it adds
// something ("investigating (Awaiting User Info)").
func stageText(c model.Case) string {
	st := string(c.Stage)
	if st == "" {
		st = noData
	}
	if c.Status != "" && !strings.EqualFold(c.Status, string(c.Stage)) {
		st += " (" + c.Status + ")"
	}
	return st
}

// eventText says an event in words; the second result is a comment's
// text.
func eventText(e model.CaseEvent) (string, string) {
	from := func() string {
		if e.Old == "" {
			return ""
		}
		return " (was " + e.Old + ")"
	}
	switch e.Kind {
	case model.EventComment:
		return "comment", e.New
	case model.EventAlertLinked:
		return "alert " + e.New + " linked", ""
	case model.EventAssignee:
		if e.New == "" {
			return "unassigned" + from(), ""
		}
		if e.Old != "" {
			return "reassigned from " + e.Old + " to " + e.New, ""
		}
		return "assigned to " + e.New, ""
	case model.EventCreated:
		return "case created", ""
	case model.EventRunbook:
		if rb, ok := parseRunbook(e.New); ok {
			t := "runbook " + rb.Runbook
			if rb.Step != "" {
				t += " (" + rb.Step + ")"
			}
			return t + ": " + rb.Status, ""
		}
		return "runbook run", ""
	}
	kind := strings.ReplaceAll(string(e.Kind), "_", " ")
	switch {
	case e.New == "":
		return kind + ": " + e.Old + " cleared", ""
	case e.Old == "":
		return kind + ": " + e.New, ""
	}
	return kind + ": " + e.Old + " → " + e.New, ""
}

func parseRunbook(s string) (model.RunbookExecution, bool) {
	var rb model.RunbookExecution
	if err := json.Unmarshal([]byte(s), &rb); err != nil || rb.Runbook == "" {
		return rb, false
	}
	return rb, true
}

// timeline turns the log into readable entries, showing each linked alert
// once (a source's link event and the store's own say the same).
func timeline(evs []model.CaseEvent) ([]timelineEntry, []runbookStep) {
	var out []timelineEntry
	var steps []runbookStep
	linked := map[string]bool{}
	for _, e := range evs {
		if e.Kind == model.EventAlertLinked {
			if linked[e.New] {
				continue
			}
			linked[e.New] = true
		}
		if e.Kind == model.EventRunbook {
			if rb, ok := parseRunbook(e.New); ok {
				st := runbookStep{Runbook: rb.Runbook, Step: rb.Step, Status: rb.Status, At: e.At, Actor: e.Actor,
					Done:   strings.EqualFold(rb.Status, "completed") || strings.EqualFold(rb.Status, "succeeded") || strings.EqualFold(rb.Status, "success"),
					Failed: strings.EqualFold(rb.Status, "failed") || strings.EqualFold(rb.Status, "error")}
				if !rb.StartedAt.IsZero() && !rb.FinishedAt.IsZero() && !rb.FinishedAt.Before(rb.StartedAt) {
					st.Took = humanDuration(rb.FinishedAt.Sub(rb.StartedAt).Seconds())
				}
				if !rb.FinishedAt.IsZero() {
					st.At = rb.FinishedAt
				}
				steps = append(steps, st)
			}
		}
		if n := len(out); e.Kind == model.EventAlertLinked && n > 0 && out[n-1].Kind == string(model.EventAlertLinked) {
			// Consecutive links read as one line.
			prev := &out[n-1]
			prev.alerts = append(prev.alerts, e.New)
			prev.Text = fmt.Sprintf("%d alerts linked: %s", len(prev.alerts), strings.Join(prev.alerts, ", "))
			continue
		}
		text, comment := eventText(e)
		te := timelineEntry{At: e.At, Kind: string(e.Kind), Text: text, Comment: comment, Actor: e.Actor, Source: e.Source}
		if e.Kind == model.EventAlertLinked {
			te.alerts = []string{e.New}
		}
		out = append(out, te)
	}
	return out, steps
}

func (s *Server) casePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	after, err := intParam(q, "alerts_after", 0, 1<<62)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d, err := s.caseDetail(r.Context(), r.PathValue("source"), r.PathValue("id"), int64(after), caseAlertsPage)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(w, r, "cases", "Case "+d.Case.ExternalID)
	pd := casePageData{CaseDetail: d, StageText: stageText(d.Case)}
	for _, c := range d.SLA {
		pd.Clocks = append(pd.Clocks, clockViewOf(c))
	}
	pd.Timeline, pd.Runbooks = timeline(d.Events)
	if len(d.Alerts) == caseAlertsPage {
		pd.NextAlerts = v.PageURL("alerts_after", strconv.FormatInt(d.Alerts[len(d.Alerts)-1].ID, 10))
	}
	if after > 0 {
		pd.FirstAlerts = v.URL("alerts_after", "")
	}
	v.Data = pd
	s.render(w, http.StatusOK, "case", v)
}
