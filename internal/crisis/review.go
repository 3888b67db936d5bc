package crisis

import (
	"context"
	"slices"
	"time"
)

// Phase is one duration of the post-incident review.
type Phase struct {
	Name       string     `json:"name"`
	Definition string     `json:"definition"`
	From       *time.Time `json:"from"`
	To         *time.Time `json:"to"`
	// Seconds is To − From; null while the phase has not ended or a
	// timestamp is missing (Note says which).
	Seconds *float64 `json:"seconds"`
	Note    string   `json:"note,omitempty"`
}

// CadenceReview is how the status updates kept their cadence.
type CadenceReview struct {
	Updates int `json:"updates"`
	// Late counts gaps (from the declaration or an update to the next
	// update, or to closing) longer than the interval of the severity in
	// force at the gap's start.
	Late              int     `json:"late_gaps"`
	LongestGapSeconds float64 `json:"longest_gap_seconds"`
	Definition        string  `json:"definition"`
}

// ReviewView is the post-incident review.
type ReviewView struct {
	Ref        string        `json:"ref"`
	Title      string        `json:"title"`
	Severity   string        `json:"severity"`
	Status     Status        `json:"status"`
	DeclaredAt time.Time     `json:"declared_at"`
	ClosedAt   *time.Time    `json:"closed_at"`
	Handover   string        `json:"handover,omitempty"`
	Phases     []Phase       `json:"durations"`
	Cadence    CadenceReview `json:"status_updates"`
	Clocks     []Clock       `json:"clocks"`
	Decisions  []Entry       `json:"decisions"`
	Pinned     []Entry       `json:"pinned"`
	Roles      []Spell       `json:"roles"`
	OpenTasks  []Task        `json:"open_tasks"`
	FollowUps  []Task        `json:"follow_up_actions"`
	Lessons    []Lesson      `json:"lessons"`
	// RoadmapInputs are the lessons marked for the SOC roadmap.
	RoadmapInputs  []Lesson     `json:"roadmap_inputs"`
	MessagesSent   int          `json:"messages_sent"`
	MessagesFailed int          `json:"messages_failed"`
	Cost           Cost         `json:"cost"`
	Cases          []CaseStatus `json:"cases"`
}

// The review's phase definitions.
const (
	DefDetect      = "earliest occurred_at of the linked cases → earliest created_at (when the SOC learned of it)"
	DefAcknowledge = "earliest case creation → earliest acknowledgement of a linked case"
	DefDeclare     = "earliest case creation (the declaration when no case is linked) → declaration as a major incident"
	DefContain     = "earliest case creation → the incident's first move to stable, else the moment every linked case had been contained"
	DefResolve     = "earliest case creation → incident closed"
	DefCadence     = "gaps between the declaration, each status update and closing (or now) compared with the update interval of the severity in force when the gap began"
)

// Review builds the post-incident review of an incident (open or closed).
func (s *Service) Review(ctx context.Context, ref string) (*ReviewView, error) {
	inc, err := s.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	cfg := s.config()
	now := s.now()
	cases, err := s.caseStatus(ctx, inc)
	if err != nil {
		return nil, err
	}
	r := &ReviewView{Ref: inc.Ref, Title: inc.Title, Severity: inc.Severity, Status: inc.Status, DeclaredAt: inc.DeclaredAt,
		ClosedAt: ptr(inc.ClosedAt), Handover: inc.Handover, Clocks: inc.Clocks(cfg.Rules(), now, s.timeZone(ctx)), Roles: inc.Roles,
		Lessons: inc.Lessons, Decisions: []Entry{}, Pinned: []Entry{}, OpenTasks: []Task{}, FollowUps: []Task{}, RoadmapInputs: []Lesson{},
		Cases: cases, Cost: s.Cost(ctx, inc, now)}
	r.Phases = phases(inc, cases)
	r.Cadence = cfg.cadenceReview(inc, now)
	for _, e := range inc.Timeline {
		if e.Type == EntryDecision {
			r.Decisions = append(r.Decisions, e)
		}
		if e.Pinned {
			r.Pinned = append(r.Pinned, e)
		}
	}
	for _, t := range inc.Tasks {
		switch {
		case t.FollowUp:
			r.FollowUps = append(r.FollowUps, t)
		case !t.Done():
			r.OpenTasks = append(r.OpenTasks, t)
		}
	}
	for _, l := range inc.Lessons {
		if l.Roadmap {
			r.RoadmapInputs = append(r.RoadmapInputs, l)
		}
	}
	for _, m := range inc.Messages {
		if m.Status == "sent" {
			r.MessagesSent++
		} else if m.Status == "failed" {
			r.MessagesFailed++
		}
	}
	return r, nil
}

func phase(name, def string, from, to time.Time, note string) Phase {
	p := Phase{Name: name, Definition: def, From: ptr(from), To: ptr(to), Note: note}
	if !from.IsZero() && !to.IsZero() {
		sec := to.Sub(from).Seconds()
		if sec < 0 {
			sec = 0
			p.Note = "clamped: the end precedes the start"
		}
		p.Seconds = &sec
	}
	return p
}

// phases derives the review's durations from the incident and its cases.
func phases(inc *Incident, cases []CaseStatus) []Phase {
	var occurred, created, acked, contained time.Time
	allContained := len(cases) > 0
	earliest := func(cur, t time.Time) time.Time {
		if t.IsZero() || !cur.IsZero() && !t.Before(cur) {
			return cur
		}
		return t
	}
	for _, c := range cases {
		occurred, created, acked = earliest(occurred, c.occurredAt), earliest(created, c.createdAt), earliest(acked, c.ackAt)
		if c.containedAt.IsZero() {
			allContained = false
		} else {
			contained = maxTime(contained, c.containedAt)
		}
	}
	start := created
	startNote := ""
	if start.IsZero() {
		start, startNote = inc.DeclaredAt, "no linked case: measured from the declaration"
	}
	detectNote := ""
	if occurred.IsZero() {
		detectNote = "no linked case records when the activity occurred"
	}
	containAt, containNote := inc.StableAt, ""
	if containAt.IsZero() && allContained {
		containAt, containNote = contained, "from the linked cases' containment"
	} else if containAt.IsZero() {
		containNote = "not contained yet"
	}
	resolveNote := ""
	if inc.ClosedAt.IsZero() {
		resolveNote = "open"
	}
	ackNote := startNote
	if acked.IsZero() {
		ackNote = "no linked case acknowledged"
	}
	return []Phase{
		phase("detect", DefDetect, occurred, created, detectNote),
		phase("acknowledge", DefAcknowledge, start, acked, ackNote),
		phase("declare", DefDeclare, start, inc.DeclaredAt, startNote),
		phase("contain", DefContain, start, containAt, containNote),
		phase("resolve", DefResolve, start, inc.ClosedAt, resolveNote),
	}
}

// cadenceReview counts update gaps longer than the cadence in force.
func (c *Config) cadenceReview(inc *Incident, now time.Time) CadenceReview {
	out := CadenceReview{Updates: len(inc.Updates), Definition: DefCadence}
	points := []time.Time{inc.DeclaredAt}
	for _, u := range inc.Updates {
		points = append(points, u.At)
	}
	end := now
	if !inc.ClosedAt.IsZero() {
		end = inc.ClosedAt
	}
	points = append(points, end)
	slices.SortFunc(points, time.Time.Compare)
	for i := 0; i+1 < len(points); i++ {
		gap := points[i+1].Sub(points[i])
		out.LongestGapSeconds = max(out.LongestGapSeconds, gap.Seconds())
		if sev, err := c.Severity(inc.SeverityAt(points[i])); err == nil && gap > time.Duration(sev.UpdateEvery) {
			out.Late++
		}
	}
	return out
}
