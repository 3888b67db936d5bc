package crisis

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Status is where an incident stands: active, stable (contained, no longer
// getting worse) or closed.
type Status string

// The statuses.
const (
	StatusActive Status = "active"
	StatusStable Status = "stable"
	StatusClosed Status = "closed"
)

// ParseStatus checks a status a command may set (closing has its own
// command).
func ParseStatus(s string) (Status, error) {
	switch st := Status(strings.ToLower(strings.TrimSpace(s))); st {
	case StatusActive, StatusStable:
		return st, nil
	case StatusClosed:
		return "", fmt.Errorf("status %q: close an incident with the close command, which needs a hand-over", s)
	}
	return "", fmt.Errorf("unknown status %q (want active or stable)", s)
}

// Role is an incident role.
type Role string

// The roles.
const (
	RoleCommander   Role = "commander"
	RoleDeputy      Role = "deputy"
	RoleScribe      Role = "scribe"
	RoleComms       Role = "comms"
	RoleTechLead    Role = "tech-lead"
	RoleLiaison     Role = "liaison"
	RoleParticipant Role = "participant"
	RoleObserver    Role = "observer"
)

// RoleInfo describes a role.
type RoleInfo struct {
	Role  Role   `json:"role"`
	Title string `json:"title"`
	// Single roles have one holder at a time: a new holder takes over
	// by hand-over.
	Single bool `json:"single"`
}

// Roles lists the roles in the order of the command structure.
var Roles = []RoleInfo{
	{RoleCommander, "incident commander", true},
	{RoleDeputy, "deputy commander", true},
	{RoleScribe, "scribe", true},
	{RoleComms, "communications lead", true},
	{RoleTechLead, "technical lead", true},
	{RoleLiaison, "liaison", false},
	{RoleParticipant, "participant", false},
	{RoleObserver, "observer", false},
}

var roleAliases = map[string]Role{
	"ic": RoleCommander, "incident-commander": RoleCommander, "deputy-commander": RoleDeputy,
	"communications": RoleComms, "communications-lead": RoleComms, "comms-lead": RoleComms,
	"technical-lead": RoleTechLead, "tech": RoleTechLead, "techlead": RoleTechLead,
}

// ParseRole reads a role name or alias ("ic", "communications-lead" …).
func ParseRole(s string) (Role, error) {
	k := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", "-"))
	if r, ok := roleAliases[k]; ok {
		return r, nil
	}
	for _, ri := range Roles {
		if string(ri.Role) == k {
			return ri.Role, nil
		}
	}
	names := make([]string, len(Roles))
	for i, ri := range Roles {
		names[i] = string(ri.Role)
	}
	return "", fmt.Errorf("unknown role %q (want %s)", s, strings.Join(names, ", "))
}

// Info returns the role's description.
func (r Role) Info() RoleInfo {
	for _, ri := range Roles {
		if ri.Role == r {
			return ri
		}
	}
	return RoleInfo{Role: r, Title: string(r)}
}

// Entry types of the timeline. Decision, action, observation and
// communication are written by people; the others are recorded by the
// commands that change the incident.
const (
	EntryDecision      = "decision"
	EntryAction        = "action"
	EntryObservation   = "observation"
	EntryCommunication = "communication"
	EntryStatus        = "status"
	EntrySeverity      = "severity"
	EntryRole          = "role"
	EntryRegulatory    = "regulatory"
	EntryTask          = "task"
	EntryUpdate        = "update"
	EntryReminder      = "reminder"
	EntryReview        = "review"
	EntryDeclared      = "declared"
	EntryCase          = "case"
)

// EntryTypes are the entry types people write.
var EntryTypes = []string{EntryDecision, EntryAction, EntryObservation, EntryCommunication}

// Kind names what an event records.
type Kind string

// The event kinds.
const (
	KindDeclared    Kind = "declared"
	KindTitle       Kind = "title"
	KindSeverity    Kind = "severity"
	KindStatus      Kind = "status"
	KindCaseLinked  Kind = "case_linked"
	KindRegimes     Kind = "regimes"
	KindRoleAssumed Kind = "role_assumed"
	KindRoleRelease Kind = "role_released"
	KindEntry       Kind = "entry"
	KindPin         Kind = "pin"
	KindTrigger     Kind = "trigger"
	KindSubmitted   Kind = "submitted"
	KindTask        Kind = "task"
	KindUpdate      Kind = "update"
	KindStakeholder Kind = "stakeholder"
	KindMessage     Kind = "message"
	KindReminder    Kind = "reminder"
	KindLesson      Kind = "lesson"
	KindClosed      Kind = "closed"
)

// CaseRef names a linked case.
type CaseRef struct {
	ID         int64  `json:"id"`
	Source     string `json:"source"`
	ExternalID string `json:"external_id"`
	Title      string `json:"title,omitempty"`
}

// Data is an event's payload; each kind uses some of the fields.
type Data struct {
	Title    string    `json:"title,omitempty"`
	Severity string    `json:"severity,omitempty"`
	Status   Status    `json:"status,omitempty"`
	Regimes  []string  `json:"regimes,omitempty"`
	Cases    []CaseRef `json:"cases,omitempty"`
	// Role changes: the role, its holder, and for a hand-over the
	// previous holder.
	Role     Role   `json:"role,omitempty"`
	Person   string `json:"person,omitempty"`
	Previous string `json:"previous,omitempty"`
	// Timeline entries (EntryType) and free text of other kinds.
	EntryType string `json:"entry_type,omitempty"`
	Text      string `json:"text,omitempty"`
	// Pin: the entry's sequence number and whether it is pinned.
	Target int64 `json:"target,omitempty"`
	Pinned bool  `json:"pinned,omitempty"`
	// Regulatory events: the trigger type, regime, report, and the
	// authority's reference of a submission.
	Trigger   string `json:"trigger,omitempty"`
	Regime    string `json:"regime,omitempty"`
	Report    string `json:"report,omitempty"`
	Reference string `json:"reference,omitempty"`

	Task        *Task        `json:"task,omitempty"`
	Update      *Update      `json:"update,omitempty"`
	Stakeholder *Stakeholder `json:"stakeholder,omitempty"`
	Message     *Message     `json:"message,omitempty"`
	Reminder    *Reminder    `json:"reminder,omitempty"`
	Lesson      *Lesson      `json:"lesson,omitempty"`
	// Closing: who takes over the open tasks and the review.
	Handover string `json:"handover,omitempty"`
}

// Event is one entry of an incident's append-only log.
type Event struct {
	// Seq numbers the incident's events from 1, in the order written.
	Seq int64 `json:"seq"`
	// At is when it happened; RecordedAt when it was written (later for
	// back-dated entries).
	At         time.Time `json:"at"`
	RecordedAt time.Time `json:"recorded_at"`
	Actor      string    `json:"actor"`
	Source     string    `json:"source"`
	Kind       Kind      `json:"kind"`
	Data       Data      `json:"data"`
}

// Task statuses.
const (
	TaskOpen       = "open"
	TaskInProgress = "in_progress"
	TaskDone       = "done"
	TaskCancelled  = "cancelled"
)

// TaskStatuses lists the task statuses.
var TaskStatuses = []string{TaskOpen, TaskInProgress, TaskDone, TaskCancelled}

// Task is a piece of incident work with an owner and a due time. Follow-up
// tasks are the post-incident review's action items.
type Task struct {
	ID       int       `json:"id"`
	Title    string    `json:"title"`
	Owner    string    `json:"owner,omitempty"`
	Due      time.Time `json:"due,omitzero"`
	Status   string    `json:"status"`
	FollowUp bool      `json:"follow_up,omitempty"`
	Created  time.Time `json:"created_at,omitzero"`
	Closed   time.Time `json:"closed_at,omitzero"`
}

// Done reports whether the task needs no more work.
func (t Task) Done() bool { return t.Status == TaskDone || t.Status == TaskCancelled }

// Overdue reports whether the task is open past its due time.
func (t Task) Overdue(now time.Time) bool { return !t.Done() && !t.Due.IsZero() && now.After(t.Due) }

// Update forms.
const (
	FormTactical  = "tactical"
	FormExecutive = "executive"
)

// Update is a status update: tactical (conditions, actions, needs) or an
// executive summary.
type Update struct {
	Seq        int64     `json:"seq,omitempty"`
	At         time.Time `json:"at,omitzero"`
	Author     string    `json:"author,omitempty"`
	Form       string    `json:"form"`
	Conditions string    `json:"conditions,omitempty"`
	Actions    string    `json:"actions,omitempty"`
	Needs      string    `json:"needs,omitempty"`
	Summary    string    `json:"summary,omitempty"`
}

// Stakeholder is an entry of the incident's stakeholder register.
type Stakeholder struct {
	Name     string `json:"name"`
	Audience string `json:"audience"`
	// Channel names a notification channel; Address is the e-mail address
	// for e-mail channels.
	Channel string `json:"channel"`
	Address string `json:"address,omitempty"`
}

// Message records one message sent (or attempted) to a stakeholder.
type Message struct {
	Audience    string    `json:"audience"`
	Stakeholder string    `json:"stakeholder"`
	Channel     string    `json:"channel"`
	Subject     string    `json:"subject"`
	DeliveryID  int64     `json:"delivery_id,omitempty"`
	Status      string    `json:"status"` // sent, retrying, failed
	Attempts    int       `json:"attempts"`
	Error       string    `json:"error,omitempty"`
	At          time.Time `json:"at,omitzero"`
}

// Reminder records that a status update or a regulatory report was due.
type Reminder struct {
	What  string    `json:"what"` // "update" or "regime/report"
	State string    `json:"state"`
	Due   time.Time `json:"due"`
}

// Lesson is a lesson learned in the review; roadmap lessons are inputs to
// the SOC roadmap.
type Lesson struct {
	Text     string `json:"text"`
	Category string `json:"category,omitempty"` // detection, response, communication, tooling, process …
	Roadmap  bool   `json:"roadmap,omitempty"`
}

// Trigger is a regulatory trigger event recorded on the incident.
type Trigger struct {
	Seq    int64     `json:"seq"`
	Type   string    `json:"type"`
	Regime string    `json:"regime,omitempty"` // empty: for every regime
	At     time.Time `json:"at"`
}

// Submission is a regulatory report submitted.
type Submission struct {
	Seq       int64     `json:"seq"`
	Regime    string    `json:"regime"`
	Report    string    `json:"report"`
	At        time.Time `json:"at"`
	Reference string    `json:"reference,omitempty"`
}

// Spell is one person's time in a role.
type Spell struct {
	Role   Role      `json:"role"`
	Person string    `json:"person"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to,omitzero"` // zero while held
	// Handover names who handed the role over, if someone did.
	HandoverFrom string `json:"handover_from,omitempty"`
}

// Entry is a timeline entry: every event, described.
type Entry struct {
	Seq    int64     `json:"seq"`
	At     time.Time `json:"at"`
	Type   string    `json:"type"`
	Text   string    `json:"text"`
	Actor  string    `json:"actor"`
	Pinned bool      `json:"pinned,omitempty"`
}

// SeverityChange is a severity and when it took effect.
type SeverityChange struct {
	At       time.Time `json:"at"`
	Severity string    `json:"severity"`
}

// SeverityAt is the severity in force at t (the first one before the
// declaration).
func (inc *Incident) SeverityAt(t time.Time) string {
	out := inc.Severity
	for i, c := range inc.SeverityHistory {
		if i == 0 || !c.At.After(t) {
			out = c.Severity
		}
	}
	return out
}

// Incident is a major incident as its log describes it.
type Incident struct {
	ID           int64         `json:"id"`
	Ref          string        `json:"ref"`
	Title        string        `json:"title"`
	Severity     string        `json:"severity"`
	Status       Status        `json:"status"`
	DeclaredAt   time.Time     `json:"declared_at"`
	DeclaredBy   string        `json:"declared_by"`
	StableAt     time.Time     `json:"stable_at,omitzero"` // first move to stable
	ClosedAt     time.Time     `json:"closed_at,omitzero"`
	Handover     string        `json:"handover,omitempty"`
	Cases        []CaseRef     `json:"cases"`
	Regimes      []string      `json:"regimes"`
	Roles        []Spell       `json:"roles"`
	Timeline     []Entry       `json:"timeline"`
	Tasks        []Task        `json:"tasks"`
	Updates      []Update      `json:"updates"`
	Stakeholders []Stakeholder `json:"stakeholders"`
	Messages     []Message     `json:"messages"`
	Triggers     []Trigger     `json:"triggers"`
	Submissions  []Submission  `json:"submissions"`
	Reminders    []Reminder    `json:"reminders"`
	Lessons      []Lesson      `json:"lessons"`
	// SeverityHistory lists the severity from each change on.
	SeverityHistory []SeverityChange `json:"severity_history"`
	LastSeq         int64            `json:"last_seq"`
	LastEventAt     time.Time        `json:"last_event_at"`
}

// RefOf is an incident's reference as shown to people.
func RefOf(id int64) string { return "MI-" + strconv.FormatInt(id, 10) }

// ParseRef reads "MI-7" or "7".
func ParseRef(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if len(t) > 3 && strings.EqualFold(t[:3], "MI-") {
		t = t[3:]
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("incident %q: want an incident reference such as MI-7 or 7", s)
	}
	return n, nil
}

// Project replays a log into an incident. Events are applied in log order.
func Project(id int64, events []Event) *Incident {
	inc := &Incident{ID: id, Ref: RefOf(id), Cases: []CaseRef{}, Regimes: []string{}, Roles: []Spell{}, Timeline: []Entry{},
		Tasks: []Task{}, Updates: []Update{}, Stakeholders: []Stakeholder{}, Messages: []Message{}, Triggers: []Trigger{},
		Submissions: []Submission{}, Reminders: []Reminder{}, Lessons: []Lesson{}, SeverityHistory: []SeverityChange{}}
	for _, e := range events {
		inc.Apply(e)
	}
	slices.SortStableFunc(inc.SeverityHistory, func(a, b SeverityChange) int { return a.At.Compare(b.At) })
	slices.SortStableFunc(inc.Timeline, func(a, b Entry) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return int(a.Seq - b.Seq)
	})
	return inc
}

// Holder returns the current holder of a single role, "" when vacant.
func (inc *Incident) Holder(r Role) string {
	for i := len(inc.Roles) - 1; i >= 0; i-- {
		if s := inc.Roles[i]; s.Role == r && s.To.IsZero() {
			return s.Person
		}
	}
	return ""
}

// Holders returns the current holders of a role.
func (inc *Incident) Holders(r Role) []string {
	var out []string
	for _, s := range inc.Roles {
		if s.Role == r && s.To.IsZero() {
			out = append(out, s.Person)
		}
	}
	return out
}

// Task returns the task with the given id.
func (inc *Incident) Task(id int) (*Task, bool) {
	for i := range inc.Tasks {
		if inc.Tasks[i].ID == id {
			return &inc.Tasks[i], true
		}
	}
	return nil, false
}

// HasRegime reports whether the incident is subject to a regime.
func (inc *Incident) HasRegime(id string) bool { return slices.Contains(inc.Regimes, id) }

// Apply folds one event into the incident.
func (inc *Incident) Apply(e Event) {
	d := e.Data
	entry := Entry{Seq: e.Seq, At: e.At, Actor: e.Actor}
	inc.LastSeq = max(inc.LastSeq, e.Seq)
	switch e.Kind {
	case KindDeclared:
		inc.Title, inc.Severity, inc.Status = d.Title, d.Severity, StatusActive
		inc.DeclaredAt, inc.DeclaredBy = e.At, e.Actor
		inc.SeverityHistory = append(inc.SeverityHistory, SeverityChange{e.At, d.Severity})
		inc.Regimes = append(inc.Regimes, d.Regimes...)
		inc.Cases = append(inc.Cases, d.Cases...)
		entry.Type, entry.Text = EntryDeclared, fmt.Sprintf("Major incident declared at %s: %s", d.Severity, d.Title)
		if len(d.Regimes) > 0 {
			entry.Text += "; regimes " + strings.Join(d.Regimes, ", ")
		}
	case KindTitle:
		entry.Type, entry.Text = EntryStatus, fmt.Sprintf("Title changed from %q to %q", inc.Title, d.Title)
		inc.Title = d.Title
	case KindSeverity:
		entry.Type, entry.Text = EntrySeverity, fmt.Sprintf("Severity %s → %s", inc.Severity, d.Severity)
		inc.Severity = d.Severity
		inc.SeverityHistory = append(inc.SeverityHistory, SeverityChange{e.At, d.Severity})
		if d.Text != "" {
			entry.Text += ": " + d.Text
		}
	case KindStatus:
		entry.Type, entry.Text = EntryStatus, fmt.Sprintf("Status %s → %s", inc.Status, d.Status)
		inc.Status = d.Status
		if d.Status == StatusStable && inc.StableAt.IsZero() {
			inc.StableAt = e.At
		}
		if d.Text != "" {
			entry.Text += ": " + d.Text
		}
	case KindCaseLinked:
		inc.Cases = append(inc.Cases, d.Cases...)
		var names []string
		for _, c := range d.Cases {
			names = append(names, c.Source+"/"+c.ExternalID)
		}
		entry.Type, entry.Text = EntryCase, "Linked case "+strings.Join(names, ", ")
	case KindRegimes:
		for _, r := range d.Regimes {
			if !slices.Contains(inc.Regimes, r) {
				inc.Regimes = append(inc.Regimes, r)
			}
		}
		entry.Type, entry.Text = EntryRegulatory, "Subject to "+strings.Join(d.Regimes, ", ")
	case KindRoleAssumed:
		entry.Type = EntryRole
		title := d.Role.Info().Title
		if d.Previous != "" {
			inc.endSpell(d.Role, d.Previous, e.At)
			entry.Text = fmt.Sprintf("%s handed %s over to %s", d.Previous, title, d.Person)
		} else {
			entry.Text = fmt.Sprintf("%s assumed %s", d.Person, title)
		}
		inc.Roles = append(inc.Roles, Spell{Role: d.Role, Person: d.Person, From: e.At, HandoverFrom: d.Previous})
	case KindRoleRelease:
		inc.endSpell(d.Role, d.Person, e.At)
		entry.Type, entry.Text = EntryRole, fmt.Sprintf("%s released %s", d.Person, d.Role.Info().Title)
	case KindEntry:
		entry.Type, entry.Text = d.EntryType, d.Text
	case KindPin:
		for i := range inc.Timeline {
			if inc.Timeline[i].Seq == d.Target {
				inc.Timeline[i].Pinned = d.Pinned
			}
		}
		return // pinning is not itself a timeline entry
	case KindTrigger:
		inc.Triggers = append(inc.Triggers, Trigger{Seq: e.Seq, Type: d.Trigger, Regime: d.Regime, At: e.At})
		entry.Type, entry.Text = EntryRegulatory, "Trigger: "+d.Trigger
		if d.Regime != "" {
			entry.Text += " (" + d.Regime + ")"
		}
		if d.Text != "" {
			entry.Text += ": " + d.Text
		}
	case KindSubmitted:
		inc.Submissions = append(inc.Submissions, Submission{Seq: e.Seq, Regime: d.Regime, Report: d.Report, At: e.At, Reference: d.Reference})
		entry.Type, entry.Text = EntryRegulatory, fmt.Sprintf("Submitted %s %s", d.Regime, d.Report)
		if d.Reference != "" {
			entry.Text += " (reference " + d.Reference + ")"
		}
		if d.Text != "" {
			entry.Text += ": " + d.Text
		}
	case KindTask:
		entry.Type, entry.Text = EntryTask, inc.applyTask(*d.Task, e.At)
	case KindUpdate:
		u := *d.Update
		u.Seq, u.At, u.Author = e.Seq, e.At, e.Actor
		inc.Updates = append(inc.Updates, u)
		entry.Type = EntryUpdate
		if u.Form == FormExecutive {
			entry.Text = "Executive summary: " + u.Summary
		} else {
			entry.Text = fmt.Sprintf("Status update. Conditions: %s Actions: %s Needs: %s", u.Conditions, u.Actions, u.Needs)
		}
	case KindStakeholder:
		inc.Stakeholders = append(inc.Stakeholders, *d.Stakeholder)
		entry.Type, entry.Text = EntryCommunication, fmt.Sprintf("Stakeholder %s registered for %s via %s", d.Stakeholder.Name, d.Stakeholder.Audience, d.Stakeholder.Channel)
	case KindMessage:
		m := *d.Message
		m.At = e.At
		inc.Messages = append(inc.Messages, m)
		entry.Type = EntryCommunication
		switch m.Status {
		case "sent":
			entry.Text = fmt.Sprintf("Sent %q to %s (%s) via %s", m.Subject, m.Stakeholder, m.Audience, m.Channel)
		default:
			entry.Text = fmt.Sprintf("Message %q to %s (%s) via %s %s after %d attempt(s): %s", m.Subject, m.Stakeholder, m.Audience, m.Channel, m.Status, m.Attempts, m.Error)
		}
	case KindReminder:
		inc.Reminders = append(inc.Reminders, *d.Reminder)
		entry.Type, entry.Text = EntryReminder, d.Text
	case KindLesson:
		inc.Lessons = append(inc.Lessons, *d.Lesson)
		entry.Type, entry.Text = EntryReview, "Lesson learned: "+d.Lesson.Text
	case KindClosed:
		inc.Status, inc.ClosedAt, inc.Handover = StatusClosed, e.At, d.Handover
		for i := range inc.Roles {
			if inc.Roles[i].To.IsZero() {
				inc.Roles[i].To = e.At
			}
		}
		entry.Type, entry.Text = EntryStatus, "Incident closed; open work and the review handed over to "+d.Handover
		if d.Text != "" {
			entry.Text += ": " + d.Text
		}
	default:
		return
	}
	inc.Timeline = append(inc.Timeline, entry)
	if e.At.After(inc.LastEventAt) {
		inc.LastEventAt = e.At
	}
}

func (inc *Incident) endSpell(r Role, person string, at time.Time) {
	for i := len(inc.Roles) - 1; i >= 0; i-- {
		if s := &inc.Roles[i]; s.Role == r && s.Person == person && s.To.IsZero() {
			s.To = at
			return
		}
	}
}

// applyTask adds or changes a task and describes the change.
func (inc *Incident) applyTask(t Task, at time.Time) string {
	cur, ok := inc.Task(t.ID)
	if !ok {
		t.Created = at
		if t.Status == "" {
			t.Status = TaskOpen
		}
		inc.Tasks = append(inc.Tasks, t)
		kind := "Task"
		if t.FollowUp {
			kind = "Follow-up action"
		}
		s := fmt.Sprintf("%s T%d added: %s", kind, t.ID, t.Title)
		if t.Owner != "" {
			s += ", owner " + t.Owner
		}
		if !t.Due.IsZero() {
			s += ", due " + t.Due.UTC().Format("2006-01-02 15:04Z")
		}
		return s
	}
	var parts []string
	if t.Owner != "" && t.Owner != cur.Owner {
		parts = append(parts, "owner "+cur.Owner+" → "+t.Owner)
		cur.Owner = t.Owner
	}
	if !t.Due.IsZero() && !t.Due.Equal(cur.Due) {
		parts = append(parts, "due "+t.Due.UTC().Format("2006-01-02 15:04Z"))
		cur.Due = t.Due
	}
	if t.Status != "" && t.Status != cur.Status {
		parts = append(parts, "status "+cur.Status+" → "+t.Status)
		cur.Status = t.Status
		if cur.Done() {
			cur.Closed = at
		} else {
			cur.Closed = time.Time{}
		}
	}
	return fmt.Sprintf("Task T%d (%s): %s", cur.ID, cur.Title, strings.Join(parts, ", "))
}

// marshalData encodes an event payload for the store.
func marshalData(d Data) string {
	b, _ := json.Marshal(d)
	return string(b)
}
