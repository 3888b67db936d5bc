// Package incident declares the demo SOC's major incident: it replays the
// newest business-email-compromise case of the simulation (package demo)
// through the major-incident commands (package crisis), so the demo shows
// a war room with roles, a timeline, tasks, updates and regulatory clocks.
package incident

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/crisis"
	"github.com/watchfloor/watchfloor/internal/demo"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// Key is the key under which the demo declares a case's major incident,
// so declaring it again changes nothing.
func Key(c model.Case) string { return demo.Source + ":" + c.ExternalID }

// Declare runs the demo's newest business-email-compromise
// major incident (the newest major incident of any kind when there is
// none) as a declared major incident, replaying through the crisis
// commands what its case log shows: declaration by the analyst who opened
// the bridge, the command structure, decisions, tasks from the runbooks,
// status updates on the severity's cadence, the escalation to SEV1,
// containment, shift hand-overs, the stakeholder register and the GDPR,
// NIS2 and SEC clocks with the submissions made in time. Nothing is dated
// at or after end. It returns nil when the store holds no demo major
// incident, and the existing incident when it was declared before.
func Declare(ctx context.Context, st *store.Store, end time.Time) (*crisis.Incident, error) {
	c, err := newestMajor(ctx, st)
	if err != nil || c == nil {
		return nil, err
	}
	svc := &crisis.Service{Store: st, Config: &crisis.Config{}}
	if err := svc.Config.Prepare(); err != nil {
		return nil, err
	}
	if row, err := st.IncidentByKey(ctx, Key(*c)); err == nil {
		return svc.Get(ctx, crisis.RefOf(row.ID))
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	evs, err := st.CaseEvents(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	ro, err := st.WorkloadRoster(ctx)
	if err != nil {
		return nil, err
	}
	p := readMajorLog(*c, evs)
	if p.declared.IsZero() || !p.declared.Before(end) {
		return nil, nil
	}
	r := &incidentRun{svc: svc, end: end, ref: ""}
	svc.Now = func() time.Time { return r.now }
	return r.play(ctx, *c, p, ro)
}

// newestMajor finds the newest demo case tagged major-incident, preferring
// a business email compromise.
func newestMajor(ctx context.Context, st *store.Store) (*model.Case, error) {
	var any *model.Case
	var after int64
	for {
		cases, err := st.Cases(ctx, store.CaseFilter{Source: demo.Source, AfterID: after, Limit: 500})
		if err != nil {
			return nil, err
		}
		for i := range cases {
			c := &cases[i]
			if !slices.Contains(c.Tags, "major-incident") {
				continue
			}
			if strings.Contains(c.Title, "business email compromise") {
				return c, nil
			}
			if any == nil {
				any = c
			}
		}
		if len(cases) < 500 {
			return any, nil
		}
		after = cases[len(cases)-1].ID
	}
}

// runbookRun is a runbook execution read from a case log.
type runbookRun struct {
	start, finish time.Time
	name, step    string
	actor         string
}

// majorLog is what the demo incident is replayed from.
type majorLog struct {
	triager, declarer, commander string
	declared, p1, contained      time.Time
	resolved, closed             time.Time
	runbooks                     []runbookRun
	// nextShift is the first analyst outside the bridge to work the case
	// four hours or more after the declaration, and when.
	nextShift   string
	nextShiftAt time.Time
}

func readMajorLog(c model.Case, evs []model.CaseEvent) majorLog {
	var p majorLog
	for i, e := range evs {
		switch {
		case e.Kind == model.EventAssignee && p.triager == "" && e.New != "":
			p.triager = e.New
		case e.Kind == model.EventComment && strings.HasPrefix(e.New, "Major incident declared") && p.declared.IsZero():
			p.declared, p.declarer = e.At, e.Actor
			for _, f := range evs[i+1:] {
				if f.Kind == model.EventAssignee && !f.At.After(e.At.Add(time.Minute)) {
					p.commander = f.New
					break
				}
			}
		case e.Kind == model.EventPriority && e.New == model.P1.String() && p.p1.IsZero():
			p.p1 = e.At
		case e.Kind == model.EventStage && e.New == string(model.StageContained) && p.contained.IsZero():
			p.contained = e.At
		case e.Kind == model.EventStage && e.New == string(model.StageResolved) && p.resolved.IsZero():
			p.resolved = e.At
		case e.Kind == model.EventStage && e.New == string(model.StageClosed):
			p.closed = e.At
		case e.Kind == model.EventRunbook:
			var rb model.RunbookExecution
			if json.Unmarshal([]byte(e.Old+e.New), &rb) == nil && rb.Status == "completed" {
				p.runbooks = append(p.runbooks, runbookRun{rb.StartedAt, rb.FinishedAt, rb.Runbook, rb.Step, e.Actor})
			}
		}
	}
	if p.declared.IsZero() { // the triager commanded from the start
		for _, e := range evs {
			if e.Kind == model.EventStage && e.New == string(model.StageInvestigating) {
				p.declared, p.declarer, p.commander = e.At.Add(40*time.Minute), p.triager, p.triager
				break
			}
		}
	}
	if p.commander == "" {
		p.commander = p.triager
	}
	for _, e := range evs {
		if e.At.Sub(p.declared) >= 4*time.Hour && e.Actor != "" && e.Actor != p.triager && e.Actor != p.commander && e.Actor != p.declarer {
			p.nextShift, p.nextShiftAt = e.Actor, e.At
			break
		}
	}
	return p
}

// incidentRun replays the plan through the crisis commands on a simulated
// clock.
type incidentRun struct {
	svc *crisis.Service
	end time.Time
	now time.Time
	ref string
	err error
}

// at runs fn at time t unless t is at or after the end or an earlier step
// failed.
func (r *incidentRun) at(ctx context.Context, t time.Time, fn func(ctx context.Context) error) bool {
	if r.err != nil || !t.Before(r.end) {
		return false
	}
	r.now = t
	r.err = fn(ctx)
	return r.err == nil
}

// step is one timed action of the replay.
type step struct {
	t  time.Time
	fn func(ctx context.Context) error
}

func (r *incidentRun) play(ctx context.Context, c model.Case, p majorLog, ro store.Roster) (*crisis.Incident, error) {
	ic := crisis.Actor{Name: p.commander, Source: demo.Source}
	// pick takes the first active analyst (by login) of the most senior
	// tier available from tier down, who holds no role yet.
	pick := func(tier model.Tier, not ...string) string {
		tiers := []model.Tier{model.TierL3, model.TierL2, model.TierL1}
		for _, t := range tiers[slices.Index(tiers, tier):] {
			for _, a := range ro.Analysts {
				if a.Active && a.Tier == t && !slices.Contains(not, a.ExternalID) {
					return a.ExternalID
				}
			}
		}
		return ""
	}
	// The next shift's analyst takes over as technical lead: keep them out
	// of the other roles.
	deputy := pick(model.TierL3, p.commander, p.triager, p.nextShift)
	comms := pick(model.TierL2, p.commander, p.triager, p.nextShift, deputy)
	scribe := pick(model.TierL1, p.commander, p.triager, p.nextShift, deputy, comms)
	const counsel = "Legal counsel (DPO office)"
	sev := "SEV2"
	if !p.p1.IsZero() && !p.p1.After(p.declared) {
		sev = "SEV1"
	}
	d := p.declared
	r.at(ctx, d, func(ctx context.Context) error {
		inc, err := r.svc.Declare(ctx, crisis.Actor{Name: p.declarer, Source: demo.Source}, crisis.DeclareInput{
			Title: c.Title, Severity: sev, Cases: []string{fmt.Sprint(c.ID)}, AwareAt: d, Regimes: []string{"gdpr", "nis2", "sec"},
			Commander: p.commander, Key: Key(c)})
		if err == nil {
			r.ref = inc.Ref
		}
		return err
	})
	role := func(name, person string) func(context.Context) error {
		return func(ctx context.Context) error {
			if person == "" {
				return nil
			}
			_, err := r.svc.AssignRole(ctx, ic, r.ref, crisis.RoleInput{Role: name, Person: person})
			return err
		}
	}
	entry := func(typ, text string, pin bool) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := r.svc.RecordEvent(ctx, ic, r.ref, crisis.EventInput{Type: typ, Text: text, Pin: pin})
			return err
		}
	}
	task := func(in crisis.TaskInput) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := r.svc.Task(ctx, ic, r.ref, in)
			return err
		}
	}
	register := func(aud, name, channel, addr string) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := r.svc.Notify(ctx, ic, r.ref, crisis.NotifyInput{Audience: aud,
				Register: &crisis.Stakeholder{Name: name, Channel: channel, Address: addr}})
			return err
		}
	}
	update := func(in crisis.UpdateInput) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := r.svc.PostUpdate(ctx, ic, r.ref, in)
			return err
		}
	}
	submit := func(regime, report, ref string) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := r.svc.RecordEvent(ctx, ic, r.ref, crisis.EventInput{Type: crisis.TriggerNotified, Regime: regime, Report: report, Reference: ref})
			return err
		}
	}
	m := time.Minute
	steps := []step{
		{d.Add(m), role("tech-lead", p.triager)},
		{d.Add(m), role("deputy", deputy)},
		{d.Add(m), role("scribe", scribe)},
		{d.Add(m), role("comms", comms)},
		{d.Add(2 * m), role("liaison", counsel)},
		{d.Add(2 * m), entry(crisis.EntryDecision, "Isolate the hosts in scope, disable the affected accounts and revoke their sessions; block the sender infrastructure.", true)},
		{d.Add(3 * m), register("executives", "CISO and CFO bridge", "exec-bridge", "")},
		{d.Add(3 * m), register("legal", "Data protection officer", "legal-mail", "dpo@example.org")},
		{d.Add(3 * m), register("regulator", "National CSIRT", "csirt-portal", "")},
		{d.Add(4 * m), task(crisis.TaskInput{Title: "Search the mail logs for forwarding rules to external domains", Owner: p.triager, Due: d.Add(3 * time.Hour)})},
		{d.Add(4 * m), task(crisis.TaskInput{Title: "Ask the bank to hold the fraudulent payment instruction", Owner: deputy, Due: d.Add(2 * time.Hour)})},
		{d.Add(4 * m), task(crisis.TaskInput{Title: "Assess whether personal data left in the forwarded mail (GDPR Art. 33)", Owner: counsel, Due: d.Add(48 * time.Hour)})},
		{d.Add(4 * m), task(crisis.TaskInput{Title: "Draft the NIS2 incident notification", Owner: comms, Due: d.Add(60 * time.Hour)})},
		{d.Add(95 * m), task(crisis.TaskInput{ID: 2, Status: crisis.TaskDone})},
		{d.Add(3 * time.Hour), entry(crisis.EntryDecision, "Send the national CSIRT an early warning under NIS2 Art. 23 within 24 h; the GDPR notification waits for the DPO's assessment.", true)},
		{d.Add(9 * time.Hour), submit("nis2", "early-warning", fmt.Sprintf("CSIRT-EW-%d", c.ID))},
		{d.Add(30 * time.Hour), entry(crisis.EntryObservation, "The DPO confirms personal data of customers and staff in the forwarded mail: the breach is notifiable under GDPR.", true)},
		{d.Add(30 * time.Hour), task(crisis.TaskInput{ID: 3, Status: crisis.TaskDone})},
		{d.Add(62 * time.Hour), submit("gdpr", "notification", fmt.Sprintf("DPA-%d", c.ID))},
		{d.Add(64 * time.Hour), submit("nis2", "notification", fmt.Sprintf("CSIRT-IN-%d", c.ID))},
		{d.Add(64 * time.Hour), task(crisis.TaskInput{ID: 4, Status: crisis.TaskDone})},
	}
	// A task per runbook run after the declaration, opened ten minutes
	// before it started and done when it finished; numbered in the order
	// they are opened.
	type rbTask struct {
		created time.Time
		rb      runbookRun
	}
	var rbs []rbTask
	for _, rb := range p.runbooks {
		created := rb.start.Add(-10 * m)
		if created.Before(d.Add(5 * m)) {
			created = d.Add(5 * m)
		}
		if rb.finish.After(created) {
			rbs = append(rbs, rbTask{created, rb})
		}
	}
	slices.SortStableFunc(rbs, func(a, b rbTask) int { return a.created.Compare(b.created) })
	for i, x := range rbs {
		steps = append(steps,
			step{x.created, task(crisis.TaskInput{Title: x.rb.name + ": " + x.rb.step, Owner: x.rb.actor, Due: x.created.Add(time.Hour)})},
			step{x.rb.finish, task(crisis.TaskInput{ID: 5 + i, Status: crisis.TaskDone})})
	}
	if !p.p1.IsZero() && p.p1.After(d) {
		steps = append(steps, step{p.p1, update(crisis.UpdateInput{Severity: "SEV1", Conditions: "Fraudulent payment instruction confirmed; the attacker still holds mailbox access.",
			Actions: "Escalated to SEV1; containment under way.", Needs: "Finance to freeze outgoing payments to new beneficiaries."})})
	}
	stable := p.contained
	if !stable.IsZero() {
		steps = append(steps,
			step{stable, update(crisis.UpdateInput{Status: "stable", Conditions: "Contained: hosts isolated, accounts disabled, indicators blocked.",
				Actions: "Eradication and forensic analysis.", Needs: "none"})},
			step{stable, entry(crisis.EntryObservation, "Containment confirmed: affected hosts isolated, accounts disabled, indicators blocked.", true)},
			step{stable.Add(-10 * m), task(crisis.TaskInput{ID: 1, Status: crisis.TaskDone})},
			step{stable.Add(6 * time.Hour), update(crisis.UpdateInput{Severity: "SEV3", Summary: "Contained. Forensic analysis and eradication continue; no further fraudulent payments; regulatory notifications on track."})})
	}
	if p.nextShift != "" {
		steps = append(steps, step{p.nextShiftAt, func(ctx context.Context) error {
			_, err := r.svc.AssignRole(ctx, ic, r.ref, crisis.RoleInput{Role: "tech-lead", Person: p.nextShift, Handover: true})
			return err
		}})
	}
	// Status updates on the cadence: hourly while SEV1 and active, then
	// every 7 h 30 m; an executive summary every four hours until stable.
	done := func(t time.Time) int {
		n := 0
		for _, rb := range p.runbooks {
			if !rb.finish.After(t) {
				n++
			}
		}
		return n
	}
	limit := r.end
	if !p.closed.IsZero() && p.closed.Before(limit) {
		limit = p.closed
	}
	for t, i := d.Add(50*m), 0; t.Before(limit); i++ {
		if stable.IsZero() || t.Before(stable) {
			tt := t
			steps = append(steps, step{tt, update(crisis.UpdateInput{
				Conditions: fmt.Sprintf("%d of the response runbooks completed; mailbox access of the attacker being cut.", done(tt)),
				Actions:    "Isolating hosts, disabling accounts, blocking indicators; searching mail logs for other forwarding rules.",
				Needs:      "none"})})
			if i%4 == 3 {
				steps = append(steps, step{tt.Add(m), update(crisis.UpdateInput{Summary: "Business email compromise under containment; the fraudulent payment was stopped; customer data exposure is being assessed."})})
			}
			t = t.Add(55 * m)
			continue
		}
		if t.Before(stable.Add(6 * time.Hour)) {
			t = stable.Add(6*time.Hour + 30*m)
		}
		tt := t
		steps = append(steps, step{tt, update(crisis.UpdateInput{Conditions: "Contained; no new malicious activity seen.",
			Actions: "Forensic analysis of the mailboxes and the forwarded mail; credential resets verified.", Needs: "none"})})
		t = t.Add(7*time.Hour + 30*m)
	}
	if !p.closed.IsZero() {
		steps = append(steps, step{p.closed, func(ctx context.Context) error {
			if _, err := r.svc.Close(ctx, ic, r.ref, crisis.CloseInput{Handover: deputy, Summary: "Eradicated and recovered; review held."}); err != nil {
				return err
			}
			_, err := r.svc.RecordReview(ctx, ic, r.ref, crisis.ReviewInput{
				Lessons: []crisis.Lesson{
					{Text: "Alert within minutes on new inbox rules that forward mail to external domains: the compromise was found by the payment request, not by a detection.", Category: "detection", Roadmap: true},
					{Text: "Finance needs a call-back procedure for payment changes requested by e-mail.", Category: "process"}},
				Actions: []crisis.TaskInput{{Title: "Detection for external forwarding rules in the mail platform", Owner: p.triager, Due: p.closed.Add(14 * 24 * time.Hour)}}})
			return err
		}})
	}
	slices.SortStableFunc(steps, func(a, b step) int { return a.t.Compare(b.t) })
	for _, s := range steps {
		if !p.closed.IsZero() && s.t.After(p.closed) {
			break // the incident's log ends with its closing and review
		}
		if !r.at(ctx, s.t, s.fn) && r.err != nil {
			return nil, fmt.Errorf("replaying the demo's major incident at %s: %w", s.t.Format(time.RFC3339), r.err)
		}
	}
	if r.ref == "" {
		return nil, r.err
	}
	return r.svc.Get(ctx, r.ref)
}
