package crisis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/notify"
	"github.com/watchfloor/watchfloor/internal/store"
)

// NotifyInput sends the audience's template to its stakeholders, or with
// Register adds a stakeholder to the incident's register instead.
type NotifyInput struct {
	Audience string
	// Note is extra text for the message.
	Note string
	// DryRun renders the message without sending or recording anything.
	DryRun   bool
	Register *Stakeholder
}

// Draft is a rendered message and whom it goes to.
type Draft struct {
	Audience   string        `json:"audience"`
	External   bool          `json:"external"`
	Subject    string        `json:"subject"`
	Body       string        `json:"body"`
	Recipients []Stakeholder `json:"recipients"`
}

// NotifyResult is what a notify command did.
type NotifyResult struct {
	Draft    Draft     `json:"draft"`
	Messages []Message `json:"messages"`
	// Registered is the stakeholder added, for a registration.
	Registered *Stakeholder `json:"registered,omitempty"`
}

// IsExternal reports whether an audience is outside the organisation (its
// notifications need the manager role).
func (s *Service) IsExternal(audience string) (bool, error) {
	a, err := s.config().Audience(audience)
	if err != nil {
		return false, invalid("%v", err)
	}
	return a.External, nil
}

// Notify renders and sends an audience's message, recording every message
// on the timeline; or registers a stakeholder.
func (s *Service) Notify(ctx context.Context, actor Actor, ref string, in NotifyInput) (*NotifyResult, error) {
	cfg := s.config()
	aud, err := cfg.Audience(in.Audience)
	if err != nil {
		return nil, invalid("%v", err)
	}
	if in.Register != nil {
		st := *in.Register
		st.Audience = aud.ID
		st.Name, st.Address, st.Channel = strings.TrimSpace(st.Name), strings.TrimSpace(st.Address), strings.TrimSpace(st.Channel)
		if err := cfg.checkStakeholder(st); err != nil {
			return nil, invalid("%v", err)
		}
		if err := s.checkChannel(st); err != nil {
			return nil, err
		}
		if in.DryRun {
			return &NotifyResult{Registered: &st, Messages: []Message{}}, nil
		}
		_, err := s.change(ctx, ref, actor, func(inc *Incident, now time.Time) ([]Event, error) {
			for _, x := range inc.Stakeholders {
				if strings.EqualFold(x.Name, st.Name) && x.Audience == st.Audience {
					return nil, invalid("%s is already registered for %s", st.Name, st.Audience)
				}
			}
			return []Event{{Kind: KindStakeholder, Data: Data{Stakeholder: &st}}}, nil
		})
		if err != nil {
			return nil, err
		}
		return &NotifyResult{Registered: &st, Messages: []Message{}}, nil
	}
	note, err := checkText("--note", in.Note, false, 4000)
	if err != nil {
		return nil, err
	}
	inc, err := s.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	d, err := s.draft(ctx, inc, aud, note)
	if err != nil {
		return nil, err
	}
	res := &NotifyResult{Draft: d, Messages: []Message{}}
	if in.DryRun {
		return res, nil
	}
	if len(d.Recipients) == 0 {
		return nil, invalid("incident %s: no stakeholder is registered for %s; register one with --register NAME --channel C [--address A]", inc.Ref, aud.ID)
	}
	if s.Notifier == nil {
		return nil, invalid("no notification channels are configured: add a notify section to the configuration file")
	}
	msg := notify.Message{Event: "major_incident.notification", Subject: d.Subject, Text: d.Body, Ref: "incident:" + strconv.FormatInt(inc.ID, 10),
		Fields: []notify.Field{{Name: "Incident", Value: inc.Ref}, {Name: "Severity", Value: inc.Severity}, {Name: "Status", Value: string(inc.Status)},
			{Name: "Commander", Value: inc.Holder(RoleCommander)}},
		Data: map[string]any{"incident": map[string]any{"id": inc.ID, "ref": inc.Ref, "title": inc.Title, "severity": inc.Severity,
			"status": inc.Status, "declared_at": inc.DeclaredAt, "commander": inc.Holder(RoleCommander)}, "audience": aud.ID}}
	if aud.External {
		// external audiences never see internal names and case titles in the structured fields
		msg.Fields, msg.Data = []notify.Field{{Name: "Reference", Value: inc.Ref}}, map[string]any{"ref": inc.Ref, "audience": aud.ID}
	}
	for _, st := range d.Recipients {
		m := Message{Audience: aud.ID, Stakeholder: st.Name, Channel: st.Channel, Subject: d.Subject}
		var to []string
		if st.Address != "" {
			to = []string{st.Address}
		}
		dl, err := s.Notifier.Send(ctx, st.Channel, to, msg)
		switch {
		case err != nil && dl.ID == 0:
			m.Status, m.Error = notify.StatusFailed, err.Error()
		default:
			m.DeliveryID, m.Status, m.Attempts, m.Error = dl.ID, dl.Status, dl.Attempts, dl.LastError
			if err != nil && m.Error == "" {
				m.Error = err.Error()
			}
		}
		res.Messages = append(res.Messages, m)
	}
	_, err = s.change(context.WithoutCancel(ctx), ref, actor, func(inc *Incident, now time.Time) ([]Event, error) {
		evs := make([]Event, len(res.Messages))
		for i := range res.Messages {
			evs[i] = Event{Kind: KindMessage, Data: Data{Message: &res.Messages[i]}}
		}
		return evs, nil
	})
	return res, err
}

// checkChannel checks that a stakeholder's channel is configured and fits
// the address.
func (s *Service) checkChannel(st Stakeholder) error {
	if s.Notifier == nil {
		return nil // registering ahead of configuring channels is allowed
	}
	ch, err := s.Notifier.Config.Channel(st.Channel)
	if err != nil {
		return invalid("%v", err)
	}
	if ch.Kind == notify.Email && st.Address == "" && len(ch.To) == 0 {
		return invalid("channel %s is e-mail: give the stakeholder's --address", ch.Name)
	}
	return nil
}

// draft renders an audience's message for the incident.
func (s *Service) draft(ctx context.Context, inc *Incident, aud Audience, note string) (Draft, error) {
	v, err := s.view(ctx, inc)
	if err != nil {
		return Draft{}, err
	}
	td := TemplateData{Ref: inc.Ref, Title: inc.Title, Severity: inc.Severity, SeverityName: v.SeverityName, Status: inc.Status,
		DeclaredAt: inc.DeclaredAt, DetectedAt: inc.DeclaredAt, Commander: v.Commander, Tactical: v.Tactical, Executive: v.Executive,
		Clocks: v.Clocks, Now: v.Now, Note: note}
	if v.NextUpdate.DueAt != nil {
		td.NextUpdateDue = *v.NextUpdate.DueAt
	}
	for _, c := range v.Cases {
		if !c.createdAt.IsZero() && c.createdAt.Before(td.DetectedAt) {
			td.DetectedAt = c.createdAt
		}
	}
	for _, t := range v.Tasks {
		if !t.Done() && !t.FollowUp {
			td.OpenTasks = append(td.OpenTasks, t)
		}
	}
	subject, body, err := renderAudience(aud, td)
	if err != nil {
		return Draft{}, err
	}
	d := Draft{Audience: aud.ID, External: aud.External, Subject: subject, Body: body, Recipients: []Stakeholder{}}
	for _, st := range inc.Stakeholders {
		if st.Audience == aud.ID {
			d.Recipients = append(d.Recipients, st)
		}
	}
	return d, nil
}

// Remind records a reminder on each open incident whose status update or
// regulatory report is due soon (at risk) or overdue, once per deadline
// and state, and sends it to the reminder channel when one is configured.
// It returns how many reminders it recorded. Incidents with nothing to
// remind of are only read.
func (s *Service) Remind(ctx context.Context) (int, error) {
	cfg := s.config()
	rows, err := s.Store.Incidents(ctx, store.IncidentFilter{Open: true, Limit: 1000})
	if err != nil {
		return 0, err
	}
	tz := s.timeZone(ctx)
	actor := Actor{Name: "watchfloor", Source: "watchfloor"}
	n := 0
	for _, row := range rows {
		inc, err := s.load(ctx, row.ID)
		if err != nil {
			return n, err
		}
		if len(cfg.reminders(inc, s.now(), tz)) == 0 {
			continue
		}
		var texts []string
		_, err = s.change(ctx, inc.Ref, actor, func(inc *Incident, now time.Time) ([]Event, error) {
			evs := cfg.reminders(inc, now, tz)
			texts = texts[:0]
			for _, e := range evs {
				texts = append(texts, e.Data.Text)
			}
			return evs, nil
		})
		if err != nil {
			return n, err
		}
		n += len(texts)
		if s.Notifier != nil && cfg.ReminderChannel != "" && len(texts) > 0 {
			msg := notify.Message{Event: "major_incident.reminder", Subject: fmt.Sprintf("[%s] %s reminder: %s", inc.Severity, inc.Ref, texts[0]),
				Text: inc.Ref + " " + inc.Title + "\n" + strings.Join(texts, "\n") + "\n", Ref: "incident:" + strconv.FormatInt(inc.ID, 10)}
			s.Notifier.Send(ctx, cfg.ReminderChannel, nil, msg)
		}
	}
	return n, nil
}

// reminders are the reminder events an incident needs at now: its status
// update and regulatory clocks due soon or overdue, each deadline and state
// once.
func (c *Config) reminders(inc *Incident, now time.Time, tz *time.Location) []Event {
	var evs []Event
	seen := func(r Reminder) bool {
		for _, x := range inc.Reminders {
			if x.What == r.What && x.State == r.State && x.Due.Equal(r.Due) {
				return true
			}
		}
		return false
	}
	add := func(r Reminder, text string) {
		if !seen(r) {
			evs = append(evs, Event{Kind: KindReminder, Data: Data{Reminder: &r, Text: text}})
		}
	}
	if cd := c.CadenceOf(inc, now); cd.State == CadenceDueSoon || cd.State == CadenceOverdue {
		word := "due"
		if cd.State == CadenceOverdue {
			word = "overdue"
		}
		add(Reminder{What: "update", State: cd.State, Due: *cd.DueAt},
			fmt.Sprintf("Status update %s: due %s (every %s at %s)", word, cd.DueAt.Format("2006-01-02 15:04Z"),
				time.Duration(cd.EverySeconds*float64(time.Second)), inc.Severity))
	}
	for _, k := range inc.Clocks(c.Rules(), now, tz) {
		if k.State == ClockAtRisk || k.State == ClockOverdue {
			word := "due soon"
			if k.State == ClockOverdue {
				word = "OVERDUE"
			}
			add(Reminder{What: k.Regime + "/" + k.Report, State: string(k.State), Due: *k.DueAt},
				fmt.Sprintf("%s %s %s: deadline %s", k.RegimeName, k.ReportName, word, k.DueAt.Format("2006-01-02 15:04Z")))
		}
	}
	return evs
}

// RetryDeliveries retries the deliveries that are due and records the new
// outcome of incident messages on their timelines.
func (s *Service) RetryDeliveries(ctx context.Context) (int, error) {
	if s.Notifier == nil {
		return 0, nil
	}
	done, err := s.Notifier.RetryDue(ctx)
	for _, d := range done {
		id, ok := strings.CutPrefix(d.Ref, "incident:")
		if !ok {
			continue
		}
		_, cerr := s.change(ctx, id, Actor{Name: "watchfloor", Source: "watchfloor"}, func(inc *Incident, now time.Time) ([]Event, error) {
			for _, m := range inc.Messages {
				if m.DeliveryID == d.ID {
					m.Status, m.Attempts, m.Error = d.Status, d.Attempts, d.LastError
					return []Event{{Kind: KindMessage, Data: Data{Message: &m}}}, nil
				}
			}
			return nil, nil
		})
		err = errors.Join(err, cerr)
	}
	return len(done), err
}

// Watch runs reminders and delivery retries every interval until ctx
// ends (the server runs it).
func (s *Service) Watch(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := s.Remind(ctx); err != nil {
			log.Warn("incident reminders", "err", err)
		} else if n > 0 {
			log.Info("incident reminders recorded", "count", n)
		}
		if n, err := s.RetryDeliveries(ctx); err != nil {
			log.Warn("retrying deliveries", "err", err)
		} else if n > 0 {
			log.Info("deliveries retried", "count", n)
		}
	}
}
