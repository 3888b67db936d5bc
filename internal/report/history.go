package report

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/notify"
	"github.com/watchfloor/watchfloor/internal/store"
)

// KindExecutive is the kind of the executive summary in the report
// history.
const KindExecutive = "executive"

// Generate builds the executive report and stores it in the history; by
// names who asked (an account, or "schedule NAME").
func (s Sources) Generate(ctx context.Context, q Query, by, schedule string) (*Executive, int64, error) {
	e, err := s.Executive(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	id, err := s.Save(ctx, e, by, schedule)
	return e, id, err
}

// ScheduleInput asks for a new report schedule.
type ScheduleInput struct {
	Name string
	// Kind is the report's (Kinds; executive when empty).
	Kind       string
	Period     string
	Spec       string
	Channels   []string
	Recipients []string
	By         string
}

var scheduleName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$`)

// ErrInvalid matches (with errors.Is) every refusal caused by the input.
var ErrInvalid = errors.New("invalid")

type refusal struct{ msg string }

func (r refusal) Error() string        { return r.msg }
func (r refusal) Is(target error) bool { return target == ErrInvalid }

func invalid(format string, args ...any) error { return refusal{fmt.Sprintf(format, args...)} }

// Schedules creates and runs report schedules.
type Schedules struct {
	Sources Sources
	// Notifier sends the reports (nil: no channels configured, and a
	// schedule naming one is refused).
	Notifier *notify.Notifier
	Log      *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (sc *Schedules) now() time.Time {
	if sc.Now != nil {
		return sc.Now().UTC()
	}
	return time.Now().UTC()
}

func (sc *Schedules) location(ctx context.Context) *time.Location {
	if loc, err := sc.Sources.Store.TimeZone(ctx); err == nil && loc != nil {
		return loc
	}
	return time.UTC
}

// Create checks and stores a schedule; its first run is the spec's next
// instant after now, in the organisation's time zone.
func (sc *Schedules) Create(ctx context.Context, in ScheduleInput) (store.ReportSchedule, error) {
	name := strings.TrimSpace(in.Name)
	if !scheduleName.MatchString(name) {
		return store.ReportSchedule{}, invalid("schedule name %q: use 1–64 letters, digits, spaces, dots, dashes or underscores", in.Name)
	}
	kind, period, err := schedulePeriod(in.Kind, in.Period)
	if err != nil {
		return store.ReportSchedule{}, err
	}
	spec, err := ParseSpec(in.Spec)
	if err != nil {
		return store.ReportSchedule{}, invalid("%v", err)
	}
	for _, ch := range in.Channels {
		if sc.Notifier == nil {
			return store.ReportSchedule{}, invalid("channel %q: no notification channels are configured (the notify section of --plan-config)", ch)
		}
		if _, err := sc.Notifier.Config.Channel(ch); err != nil {
			return store.ReportSchedule{}, invalid("%v", err)
		}
	}
	for _, r := range in.Recipients {
		if !strings.Contains(r, "@") || strings.ContainsAny(r, ", \r\n") {
			return store.ReportSchedule{}, invalid("recipient %q is not an e-mail address", r)
		}
	}
	now := sc.now()
	next := spec.Next(now, sc.location(ctx))
	if next.IsZero() {
		return store.ReportSchedule{}, invalid("schedule %q never runs in the next five years", in.Spec)
	}
	rs := store.ReportSchedule{Name: name, Kind: kind, Period: period,
		Spec: spec.String(), Channels: nonNil(in.Channels), Recipients: nonNil(in.Recipients), NextRun: next, CreatedBy: in.By, CreatedAt: now}
	if rs.ID, err = sc.Sources.Store.CreateReportSchedule(ctx, rs); err != nil {
		if errors.Is(err, store.ErrExists) {
			return rs, invalid("%v", err)
		}
		return rs, err
	}
	return rs, nil
}

// periodOf names a timeframe's report period.
var periodOf = map[string]string{"weekly": "week", "monthly": "month", "quarterly": "quarter"}

// schedulePeriod checks a schedule's kind and period: the executive report
// covers a week, month or quarter; the handover the day it runs (or the
// day of the newest data); the review the last 7 days.
func schedulePeriod(kind, period string) (string, string, error) {
	p := strings.ToLower(strings.TrimSpace(period))
	switch kind {
	case KindExecutive, "":
		tf, err := timeframe(period)
		if err != nil {
			return "", "", invalid("%v", err)
		}
		return KindExecutive, periodOf[tf], nil
	case KindShift:
		if p != "" && p != "day" && p != "daily" {
			return "", "", invalid("period %q: the shift handover covers one day (period day)", period)
		}
		return KindShift, "day", nil
	case KindOperations:
		if p != "" && p != "week" && p != "weekly" {
			return "", "", invalid("period %q: the operations review covers one week (period week)", period)
		}
		return KindOperations, "week", nil
	}
	return "", "", invalid("kind %q: want one of %s", kind, strings.Join(Kinds, ", "))
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// RunDue runs every schedule whose next run has come: it claims the run
// (so one replica runs it), generates and stores the report, and sends it
// to the schedule's channels. It returns how many ran.
func (sc *Schedules) RunDue(ctx context.Context) (int, error) {
	all, err := sc.Sources.Store.ReportSchedules(ctx)
	if err != nil {
		return 0, err
	}
	now := sc.now()
	loc := sc.location(ctx)
	ran := 0
	for _, rs := range all {
		if rs.NextRun.After(now) {
			continue
		}
		spec, err := ParseSpec(rs.Spec)
		if err != nil {
			sc.Sources.Store.FinishReportRun(ctx, rs.ID, now, 0, err.Error())
			continue
		}
		next := spec.Next(now, loc)
		if next.IsZero() {
			next = now.AddDate(100, 0, 0)
		}
		ok, err := sc.Sources.Store.ClaimReportRun(ctx, rs.ID, rs.NextRun, next)
		if err != nil {
			return ran, err
		}
		if !ok {
			continue // another replica runs it
		}
		ran++
		id, err := sc.run(ctx, rs)
		msg := ""
		if err != nil {
			msg = err.Error()
			sc.log().Warn("scheduled report failed", "schedule", rs.Name, "err", err)
		}
		if err := sc.Sources.Store.FinishReportRun(ctx, rs.ID, now, id, msg); err != nil {
			return ran, err
		}
	}
	return ran, nil
}

func (sc *Schedules) log() *slog.Logger {
	if sc.Log != nil {
		return sc.Log
	}
	return slog.Default()
}

// run generates one schedule's report and sends it; the report is stored
// even when a channel fails (each delivery is recorded and retried by the
// notifier).
func (sc *Schedules) run(ctx context.Context, rs store.ReportSchedule) (int64, error) {
	req := Request{Kind: rs.Kind}
	if rs.Kind == KindExecutive {
		req.Period = rs.Period
	}
	rep, id, err := sc.Sources.GenerateKind(ctx, req, "schedule "+rs.Name, rs.Name)
	if err != nil {
		return 0, err
	}
	var failed []string
	for _, ch := range rs.Channels {
		if sc.Notifier == nil {
			failed = append(failed, ch+": no notification channels are configured")
			continue
		}
		d, err := sc.Notifier.Send(ctx, ch, rs.Recipients, rep.message(id))
		if err != nil {
			failed = append(failed, ch+": "+err.Error())
		} else if d.Status == notify.StatusFailed {
			failed = append(failed, ch+": "+d.LastError)
		}
	}
	if len(failed) > 0 {
		return id, fmt.Errorf("report %d stored; delivery failed: %s", id, strings.Join(failed, "; "))
	}
	return id, nil
}

// message is the executive report as a notification.
func (e *Executive) message(id int64) notify.Message {
	m := notify.Message{Event: "report.executive", Subject: fmt.Sprintf("%s, %s to %s", e.Title, e.From, e.To), Text: e.PlainSummary(id),
		Ref: fmt.Sprintf("report:%d", id), Data: e}
	for _, f := range e.Headline {
		m.Fields = append(m.Fields, notify.Field{Name: f.Name, Value: Value(f.Unit, f.Value)})
	}
	return m
}

// Run runs the due schedules every tick until ctx ends.
func (sc *Schedules) Run(ctx context.Context, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		if _, err := sc.RunDue(ctx); err != nil && ctx.Err() == nil {
			sc.log().Warn("report schedules", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// PlainSummary is the report as plain text for a message: the headline
// figures and the recommendations, and where the full report is.
func (e *Executive) PlainSummary(id int64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\nPeriod: %s\n\nHeadline figures:\n", e.Title, e.WindowLine())
	for _, f := range e.Headline {
		line := fmt.Sprintf("- %s: %s", f.Name, Value(f.Unit, f.Value))
		if ch := f.Change(); ch != "" && e.PreviousPartial == "" {
			line += " (" + ch + " on the previous period)"
		}
		if st := f.Status(); st != "" {
			line += "; " + st
		}
		b.WriteString(line + "\n")
	}
	b.WriteString("\nRecommendations:\n")
	if len(e.Recommendations) == 0 {
		b.WriteString(NoRecommendation + "\n")
	}
	for i, r := range e.Recommendations {
		fmt.Fprintf(&b, "%d. %s. %s\n   Evidence: %s.\n", i+1, r.Title, r.Text, strings.Join(r.Evidence, "; "))
	}
	b.WriteString(whereLine(id))
	return b.String()
}

// whereLine says where the full report is.
func whereLine(id int64) string {
	return fmt.Sprintf("\nThe full report is number %d in Watchfloor's report history (watchfloor report show %d --format pdf, or the Reports page).\n", id, id)
}
