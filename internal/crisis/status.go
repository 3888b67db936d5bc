package crisis

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// Update-cadence states.
const (
	CadenceOK      = "ok"
	CadenceDueSoon = "due_soon"
	CadenceOverdue = "overdue"
	CadenceClosed  = "closed"
)

// Cadence is when the next status update is due: the last update (or the
// declaration) plus the interval of the current severity.
type Cadence struct {
	Severity         string     `json:"severity"`
	EverySeconds     float64    `json:"every_seconds"`
	LastUpdateAt     *time.Time `json:"last_update_at"`
	DueAt            *time.Time `json:"due_at"`
	State            string     `json:"state"`
	RemainingSeconds float64    `json:"remaining_seconds,omitempty"`
	OverdueSeconds   float64    `json:"overdue_seconds,omitempty"`
}

// CadenceOf computes the next status update of an incident at now.
func (c *Config) CadenceOf(inc *Incident, now time.Time) Cadence {
	out := Cadence{Severity: inc.Severity, State: CadenceClosed}
	sev, err := c.Severity(inc.Severity)
	if err != nil {
		sev = c.Severities[len(c.Severities)-1]
	}
	every := time.Duration(sev.UpdateEvery)
	out.EverySeconds = every.Seconds()
	last := inc.DeclaredAt
	if n := len(inc.Updates); n > 0 {
		last = inc.Updates[n-1].At
		for _, u := range inc.Updates {
			last = maxTime(last, u.At)
		}
		out.LastUpdateAt = ptr(last)
	}
	if inc.Status == StatusClosed {
		return out
	}
	due := last.Add(every)
	out.DueAt = ptr(due)
	switch left := due.Sub(now); {
	case left < 0:
		out.State, out.OverdueSeconds = CadenceOverdue, -left.Seconds()
	case left < time.Duration(float64(every)*AtRiskShare):
		out.State, out.RemainingSeconds = CadenceDueSoon, left.Seconds()
	default:
		out.State, out.RemainingSeconds = CadenceOK, left.Seconds()
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// RoleHolding is a role and who holds it now.
type RoleHolding struct {
	Role   Role     `json:"role"`
	Title  string   `json:"title"`
	People []string `json:"people"`
}

// CaseStatus is a linked case as it stands.
type CaseStatus struct {
	ID         int64  `json:"id"`
	Source     string `json:"source"`
	ExternalID string `json:"external_id"`
	Title      string `json:"title"`
	Priority   string `json:"priority"`
	Stage      string `json:"stage"`
	Assignee   string `json:"assignee"`
	Alerts     int64  `json:"alerts"`
	// Missing is set when the case is no longer in the store.
	Missing bool `json:"missing,omitempty"`

	createdAt, occurredAt, ackAt, containedAt time.Time
}

// StakeholderStatus is a register entry with its last message.
type StakeholderStatus struct {
	Stakeholder
	LastMessageAt *time.Time `json:"last_message_at"`
	LastStatus    string     `json:"last_status,omitempty"`
}

// StatusView is everything the war room shows about an incident.
type StatusView struct {
	ID           int64               `json:"id"`
	Ref          string              `json:"ref"`
	Title        string              `json:"title"`
	Severity     string              `json:"severity"`
	SeverityName string              `json:"severity_name,omitempty"`
	Status       Status              `json:"status"`
	DeclaredAt   time.Time           `json:"declared_at"`
	DeclaredBy   string              `json:"declared_by"`
	ClosedAt     *time.Time          `json:"closed_at"`
	Handover     string              `json:"handover,omitempty"`
	Now          time.Time           `json:"now"`
	TimeZone     string              `json:"time_zone"`
	Commander    string              `json:"commander"`
	Roles        []RoleHolding       `json:"roles"`
	VacantRoles  []string            `json:"vacant_roles"`
	RoleHistory  []Spell             `json:"role_history"`
	Cases        []CaseStatus        `json:"cases"`
	Regimes      []string            `json:"regimes"`
	Clocks       []Clock             `json:"clocks"`
	NextUpdate   Cadence             `json:"next_update"`
	Tactical     *Update             `json:"latest_tactical_update"`
	Executive    *Update             `json:"latest_executive_summary"`
	Updates      int                 `json:"updates"`
	Tasks        []Task              `json:"tasks"`
	OverdueTasks []Task              `json:"overdue_tasks"`
	Pinned       []Entry             `json:"pinned"`
	Timeline     []Entry             `json:"timeline"`
	Stakeholders []StakeholderStatus `json:"stakeholders"`
	Messages     []Message           `json:"messages"`
	Lessons      []Lesson            `json:"lessons"`
	Cost         Cost                `json:"cost"`
}

// Status builds an incident's status view.
func (s *Service) Status(ctx context.Context, ref string) (*StatusView, error) {
	inc, err := s.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	return s.view(ctx, inc)
}

func (s *Service) view(ctx context.Context, inc *Incident) (*StatusView, error) {
	cfg := s.config()
	now := s.now()
	tz := s.timeZone(ctx)
	v := &StatusView{ID: inc.ID, Ref: inc.Ref, Title: inc.Title, Severity: inc.Severity, Status: inc.Status, DeclaredAt: inc.DeclaredAt,
		DeclaredBy: inc.DeclaredBy, ClosedAt: ptr(inc.ClosedAt), Handover: inc.Handover, Now: now, TimeZone: tz.String(),
		Commander: inc.Holder(RoleCommander), RoleHistory: inc.Roles, Regimes: inc.Regimes, Clocks: inc.Clocks(cfg.Rules(), now, tz),
		NextUpdate: cfg.CadenceOf(inc, now), Updates: len(inc.Updates), Timeline: inc.Timeline, Lessons: inc.Lessons,
		VacantRoles: []string{}, Roles: []RoleHolding{}, Pinned: []Entry{}, OverdueTasks: []Task{}, Messages: inc.Messages}
	if sev, err := cfg.Severity(inc.Severity); err == nil {
		v.SeverityName = sev.Name
	}
	for _, ri := range Roles {
		people := inc.Holders(ri.Role)
		if len(people) > 0 {
			v.Roles = append(v.Roles, RoleHolding{Role: ri.Role, Title: ri.Title, People: people})
		} else if ri.Single && inc.Status != StatusClosed {
			v.VacantRoles = append(v.VacantRoles, ri.Title)
		}
	}
	for i := len(inc.Updates) - 1; i >= 0; i-- {
		u := inc.Updates[i]
		if u.Form == FormExecutive && v.Executive == nil {
			v.Executive = &u
		}
		if u.Form == FormTactical && v.Tactical == nil {
			v.Tactical = &u
		}
	}
	v.Tasks = slices.Clone(inc.Tasks)
	sort.SliceStable(v.Tasks, func(i, j int) bool { return !v.Tasks[i].Done() && v.Tasks[j].Done() })
	for _, t := range inc.Tasks {
		if t.Overdue(now) {
			v.OverdueTasks = append(v.OverdueTasks, t)
		}
	}
	for _, e := range inc.Timeline {
		if e.Pinned {
			v.Pinned = append(v.Pinned, e)
		}
	}
	for _, st := range inc.Stakeholders {
		ss := StakeholderStatus{Stakeholder: st}
		for _, m := range inc.Messages {
			if m.Stakeholder == st.Name && m.Audience == st.Audience {
				ss.LastMessageAt, ss.LastStatus = ptr(m.At), m.Status
			}
		}
		v.Stakeholders = append(v.Stakeholders, ss)
	}
	if v.Stakeholders == nil {
		v.Stakeholders = []StakeholderStatus{}
	}
	var err error
	if v.Cases, err = s.caseStatus(ctx, inc); err != nil {
		return nil, err
	}
	v.Cost = s.Cost(ctx, inc, now)
	return v, nil
}

// caseStatus reads the linked cases as they stand.
func (s *Service) caseStatus(ctx context.Context, inc *Incident) ([]CaseStatus, error) {
	out := []CaseStatus{}
	var cases []model.Case
	for _, ref := range inc.Cases {
		c, err := s.Store.CaseByID(ctx, ref.ID)
		if err != nil {
			out = append(out, CaseStatus{ID: ref.ID, Source: ref.Source, ExternalID: ref.ExternalID, Title: ref.Title, Missing: true})
			continue
		}
		cases = append(cases, c)
		out = append(out, CaseStatus{ID: c.ID, Source: c.Source, ExternalID: c.ExternalID, Title: c.Title, Priority: c.Priority.String(),
			Stage: string(c.Stage), Assignee: c.Assignee, createdAt: c.CreatedAt, occurredAt: c.OccurredAt, ackAt: c.AcknowledgedAt,
			containedAt: c.ContainedAt})
	}
	if len(cases) == 0 {
		return out, nil
	}
	counts, err := s.Store.CaseAlertCounts(ctx, cases)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Alerts = counts[out[i].ID]
	}
	return out, nil
}

// ListItem is an incident in a list, with what needs attention.
type ListItem struct {
	ID            int64      `json:"id"`
	Ref           string     `json:"ref"`
	Title         string     `json:"title"`
	Severity      string     `json:"severity"`
	Status        Status     `json:"status"`
	Commander     string     `json:"commander"`
	DeclaredAt    time.Time  `json:"declared_at"`
	ClosedAt      *time.Time `json:"closed_at"`
	Cases         int        `json:"cases"`
	NextUpdate    Cadence    `json:"next_update"`
	ClocksOverdue int        `json:"clocks_overdue"`
	ClocksAtRisk  int        `json:"clocks_at_risk"`
	// NextDeadline is the earliest deadline of a running clock.
	NextDeadline       *time.Time `json:"next_deadline"`
	NextDeadlineReport string     `json:"next_deadline_report,omitempty"`
	OverdueTasks       int        `json:"overdue_tasks"`
}

// List returns incidents, newest first; open limits it to those not closed.
func (s *Service) List(ctx context.Context, open bool, limit int) ([]ListItem, error) {
	return s.ListAfter(ctx, open, limit, nil)
}

// ListAfter is List starting after an incident of an earlier page (nil:
// the first page).
func (s *Service) ListAfter(ctx context.Context, open bool, limit int, after *store.IncidentCursor) ([]ListItem, error) {
	rows, err := s.Store.Incidents(ctx, store.IncidentFilter{Open: open, Limit: limit, After: after})
	if err != nil {
		return nil, err
	}
	cfg := s.config()
	now := s.now()
	tz := s.timeZone(ctx)
	out := []ListItem{}
	for _, r := range rows {
		inc, err := s.load(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		it := ListItem{ID: inc.ID, Ref: inc.Ref, Title: inc.Title, Severity: inc.Severity, Status: inc.Status, Commander: inc.Holder(RoleCommander),
			DeclaredAt: inc.DeclaredAt, ClosedAt: ptr(inc.ClosedAt), Cases: len(inc.Cases), NextUpdate: cfg.CadenceOf(inc, now)}
		for _, c := range inc.Clocks(cfg.Rules(), now, tz) {
			switch c.State {
			case ClockOverdue:
				it.ClocksOverdue++
			case ClockAtRisk:
				it.ClocksAtRisk++
			}
			if (c.State == ClockRunning || c.State == ClockAtRisk) && (it.NextDeadline == nil || c.DueAt.Before(*it.NextDeadline)) {
				it.NextDeadline, it.NextDeadlineReport = c.DueAt, c.Regime+" "+c.Report
			}
		}
		for _, t := range inc.Tasks {
			if t.Overdue(now) {
				it.OverdueTasks++
			}
		}
		out = append(out, it)
	}
	return out, nil
}
