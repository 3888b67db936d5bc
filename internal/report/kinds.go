package report

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/notify"
	"github.com/watchfloor/watchfloor/internal/store"
)

// The other kinds of report kept in the history and scheduled.
const (
	KindShift      = "shift"
	KindOperations = "operations"
)

// Kinds are the kinds of report, in the order the Reports page offers them.
var Kinds = []string{KindExecutive, KindShift, KindOperations}

// KindTitle names a kind of report for people.
func KindTitle(kind string) string {
	switch kind {
	case KindExecutive:
		return "Executive summary"
	case KindShift:
		return "Shift handover"
	case KindOperations:
		return "Weekly operations review"
	}
	return kind
}

// Report is a report of any kind: it renders itself in every format and
// says what it covers.
type Report interface {
	Render(w io.Writer, format string) error
	// Markdown writes the report as Markdown, every data string escaped.
	Markdown(w io.Writer) error
	// Covers is the report's kind, period and first and last days.
	Covers() Coverage
	// message is the report as a notification, stored as report id.
	message(id int64) notify.Message
}

// Coverage is what a report covers: its kind and title, its period (day,
// week, month, quarter) and its first and last days.
type Coverage struct {
	Kind, Title, Period, From, To string
	GeneratedAt                   time.Time
}

// Covers is the executive report's coverage.
func (e *Executive) Covers() Coverage {
	return Coverage{Kind: KindExecutive, Title: e.Title, Period: e.Period, From: e.From, To: e.To, GeneratedAt: e.GeneratedAt}
}

// Covers is the handover's coverage: one day.
func (h *ShiftHandover) Covers() Coverage {
	return Coverage{Kind: KindShift, Title: h.Title, Period: "day", From: h.Day, To: h.Day, GeneratedAt: h.GeneratedAt}
}

// Covers is the review's coverage.
func (o *Operations) Covers() Coverage {
	return Coverage{Kind: KindOperations, Title: o.Title, Period: "week", From: o.From, To: o.To, GeneratedAt: o.GeneratedAt}
}

// Markdown writes the handover as Markdown.
func (h *ShiftHandover) Markdown(w io.Writer) error { return h.Document().Markdown(w) }

// Markdown writes the review as Markdown.
func (o *Operations) Markdown(w io.Writer) error { return o.Document().Markdown(w) }

// Request asks for a report of a kind. Period, From and To are the
// executive report's (Query) and the review's (From and To); Day is the
// handover's.
type Request struct {
	Kind     string
	Period   string
	From, To string
	Day      string
}

// Build builds the report a request asks for.
func (s Sources) Build(ctx context.Context, r Request) (Report, error) {
	switch r.Kind {
	case KindExecutive, "":
		return s.Executive(ctx, Query{Period: r.Period, From: r.From, To: r.To})
	case KindShift:
		return s.ShiftHandover(ctx, ShiftQuery{Day: r.Day})
	case KindOperations:
		return s.Operations(ctx, OperationsQuery{From: r.From, To: r.To})
	}
	return nil, &metrics.ArgError{Field: "kind", Err: fmt.Errorf("%q is not one of %s", r.Kind, strings.Join(Kinds, ", "))}
}

// Save keeps a report in the history; by names who asked (an account, or
// "schedule NAME").
func (s Sources) Save(ctx context.Context, r Report, by, schedule string) (int64, error) {
	doc, err := json.Marshal(r)
	if err != nil {
		return 0, fmt.Errorf("encoding the report: %w", err)
	}
	c := r.Covers()
	return s.Store.SaveReport(ctx, store.StoredReport{Kind: c.Kind, Period: c.Period, From: c.From, To: c.To,
		GeneratedAt: c.GeneratedAt, GeneratedBy: by, Schedule: schedule, Doc: doc})
}

// GenerateKind builds the report a request asks for and keeps it in the
// history.
func (s Sources) GenerateKind(ctx context.Context, r Request, by, schedule string) (Report, int64, error) {
	rep, err := s.Build(ctx, r)
	if err != nil {
		return nil, 0, err
	}
	id, err := s.Save(ctx, rep, by, schedule)
	return rep, id, err
}

// Load reads a stored report of any kind back: every format renders from
// it as it was generated.
func Load(r store.StoredReport) (Report, error) {
	var rep Report
	switch r.Kind {
	case KindExecutive:
		rep = &Executive{}
	case KindShift:
		rep = &ShiftHandover{}
	case KindOperations:
		rep = &Operations{}
	default:
		return nil, fmt.Errorf("report %d: unknown kind %q", r.ID, r.Kind)
	}
	if err := json.Unmarshal(r.Doc, rep); err != nil {
		return nil, fmt.Errorf("report %d: %w", r.ID, err)
	}
	return rep, nil
}

// message is the handover as a notification: the whole handover as text,
// its counts as fields.
func (h *ShiftHandover) message(id int64) notify.Message {
	return notify.Message{Event: "report.shift", Subject: fmt.Sprintf("%s, %s", h.Title, h.Day), Text: h.Document().Plain() + whereLine(id),
		Ref: fmt.Sprintf("report:%d", id), Data: h, Fields: []notify.Field{
			{Name: "Open P1", Value: thousands(int64(h.OpenP1))}, {Name: "Open P2", Value: thousands(int64(h.OpenP2))},
			{Name: "SLA clocks breached", Value: thousands(int64(h.Breached))}, {Name: "SLA clocks at risk", Value: thousands(int64(h.AtRisk))},
			{Name: "Cases created", Value: thousands(h.Cases)}, {Name: "Alerts", Value: thousands(h.Alerts)}}}
}

// message is the review as a notification: the whole review as text, the
// week's headline figures as fields.
func (o *Operations) message(id int64) notify.Message {
	m := notify.Message{Event: "report.operations", Subject: fmt.Sprintf("%s, %s to %s", o.Title, o.From, o.To), Text: o.Document().Plain() + whereLine(id),
		Ref: fmt.Sprintf("report:%d", id), Data: o}
	if o.All.Cases > 0 {
		m.Fields = []notify.Field{{Name: "Cases opened", Value: thousands(o.All.Cases)}, {Name: "Cases done", Value: thousands(o.All.Done)},
			{Name: "MTTA (median)", Value: Value(UnitSeconds, o.All.MTTA)}, {Name: "MTTR (median)", Value: Value(UnitSeconds, o.All.MTTR)},
			{Name: "SLA adherence, resolve", Value: Value(UnitRatio, o.All.SLAResolve.Adherence)}}
	}
	return m
}
