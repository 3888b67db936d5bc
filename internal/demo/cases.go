package demo

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/watchfloor/watchfloor/internal/model"
)

// Case timing by priority (index P1 … P5): medians in ms of the delay from
// creation to assignment, from acknowledgement to investigation, and of the
// investigation itself; chance of escalation to a higher tier.
var (
	ackMedian     = [...]float64{0, 4 * float64(minute), 12 * float64(minute), 45 * float64(minute), 3 * float64(hour), 8 * float64(hour)}
	triageMedian  = [...]float64{0, 5 * float64(minute), 15 * float64(minute), 40 * float64(minute), 90 * float64(minute), 3 * float64(hour)}
	resolveMedian = [...]float64{0, 6 * float64(hour), 14 * float64(hour), 30 * float64(hour), 50 * float64(hour), 72 * float64(hour)}
	escalateCase  = [...]float64{0, 0.9, 0.5, 0.2, 0.06, 0.02}
)

// Chances of the other things that happen to cases.
const (
	pauseRate      = 0.15
	priorityChange = 0.08
	reopenRate     = 0.04
	containRate    = 0.75
	runbookFails   = 0.06
)

// action is a planned case event. Old values, and the actor when it is
// empty (whoever holds the case at the time), are filled in when the plan is
// walked in time order.
type action struct {
	at    int64
	kind  model.EventKind
	val   string
	actor string
}

// planner collects a case's actions.
type planner struct {
	s    *sim
	acts []action
	team string
	who  int32
	irp  *irpRun // the incident response plan followed, if any
}

func (p *planner) add(at int64, kind model.EventKind, val, actor string) {
	p.acts = append(p.acts, action{at: at, kind: kind, val: val, actor: actor})
}

// assign hands the case to analyst a, moving it to a's team if needed.
func (p *planner) assign(at int64, a int32) {
	login := p.s.login(a)
	p.add(at, model.EventAssignee, login, login)
	if team := teamNames[p.s.ros.analysts[a].tier]; team != p.team {
		p.add(at, model.EventTeam, team, login)
		p.team = team
	}
	p.who = a
}

// runbook records a runbook run finishing at at; a failed run is retried.
func (p *planner) runbook(at int64, name, step string) {
	rng := p.s.rOps
	status := "completed"
	if rng.Float64() < runbookFails {
		status = "failed"
	}
	took := min(lognorm(rng, 40*float64(second), 0.7), at-p.s.startMs)
	rb := model.RunbookExecution{Runbook: name, Step: step, Status: status, StartedAt: ms(at - took), FinishedAt: ms(at)}
	if x := p.irp; x != nil && x.actions[name] != "" {
		// A step of the plan being followed.
		rb.Runbook, rb.Version, rb.Run, rb.Step = x.doc.ID, x.version, x.run, x.actions[name]
		x.steps[rb.Step] = true
	}
	p.add(at, model.EventRunbook, runbookValue(rb), "")
	if status == "failed" {
		p.runbook(at+lognorm(rng, 4*float64(minute), 0.5), name, step)
	}
}

// openCase opens a case for an alert triaged by who and finished at t,
// schedules the snapshot and the case's planned life, and returns it.
func (s *sim) openCase(a *model.Alert, r *rule, disp model.Disposition, inc *incident, who int32, t int64) *simCase {
	s.nCases++
	loc := idString("C-", s.nCases, 6)
	c := &simCase{loc: loc, id: loc[len("demo:"):], created: t}
	prio := a.Severity.Priority()
	final := disp
	title := r.m.Name + " on " + a.Entities[0].Value
	var tags []string
	major := inc != nil && inc.major
	switch {
	case major:
		title = inc.title
		prio = model.P2
		if a.Severity == model.SeverityCritical {
			prio = model.P1
		}
		tags = []string{"major-incident"}
	case disp == model.DispositionTest:
		prio = model.P3
		title = "Purple-team exercise on " + a.Entities[0].Value
		tags = []string{"drill"}
	case disp == model.DispositionBenignPositive:
		prio = min(model.P5, prio+1)
	case disp == model.DispositionFalsePositive:
		if s.rOps.Float64() < 0.3 {
			final = model.DispositionInconclusive
		}
	}
	if tags == nil {
		tags = []string{r.spec.tactic}
	}
	s.seq++
	s.pq.push(pending{at: t, seq: s.seq, c: c, snap: &model.Case{
		Source:           Source,
		ExternalID:       c.id,
		Title:            title,
		Description:      "Escalated at triage from alert " + a.ExternalID + " (" + r.m.ExternalID + " " + r.m.Name + ").",
		Priority:         prio,
		Severity:         a.Severity,
		Stage:            model.StageNew,
		Team:             teamNames[0],
		Tags:             tags,
		OccurredAt:       a.OccurredAt,
		CreatedAt:        ms(t),
		UpdatedAt:        ms(t),
		AlertExternalIDs: []string{a.ExternalID},
	}})
	p := &planner{s: s, team: teamNames[0]}
	if major {
		s.planMajor(p, c, inc, prio, who)
	} else {
		s.planCase(p, c, r, prio, final, who)
	}
	s.schedule(c, p.acts, prio)
	return c
}

// planCase plans the life of an ordinary case.
func (s *sim) planCase(p *planner, c *simCase, r *rule, prio model.Priority, final model.Disposition, triager int32) {
	rng, ros := s.rOps, s.ros
	drill := final == model.DispositionTest
	t0 := c.created

	// Acknowledgement: the triaging analyst keeps the case, or it waits in
	// the queue for whoever is on duty.
	var who int32
	var ta int64
	if tier := ros.analysts[triager].tier; tier == 0 && rng.Float64() < 0.5 || tier > 0 && rng.Float64() < 0.8 {
		who, ta = triager, t0+lognorm(rng, 90*float64(second), 0.6)
	} else {
		tier := 0
		if prio == model.P1 {
			tier = 1
		}
		at := t0 + lognorm(rng, ackMedian[prio], 0.7)
		var ok bool
		who, ta, ok = ros.pick(rng, tier, at, day, s.endMs)
		if !ok && tier == 1 {
			who, ta, ok = ros.pick(rng, 0, at, day, s.endMs)
		}
		if !ok {
			return // nobody picks it up before the end: it stays new
		}
	}
	p.assign(ta, who)
	tt := ta + lognorm(rng, 40*float64(second), 0.8)
	p.add(tt, model.EventStage, string(model.StageTriage), "")
	ti := tt + lognorm(rng, triageMedian[prio], 0.7)
	p.add(ti, model.EventStage, string(model.StageInvestigating), "")
	s.planTriage(p, c, tt, ti)
	s.startIRP(p, c, s.irpForRule(r), ti, false)
	p.runbook(ti+lognorm(rng, 2*float64(minute), 0.5), "Enrich indicators", "threat-intelligence and asset lookup")

	dur := float64(lognorm(rng, resolveMedian[prio], 0.8))
	if drill {
		dur = float64(lognorm(rng, 90*float64(minute), 0.4))
	}
	// An SLA pause happens early in the investigation, before any
	// containment (the pause statuses map to investigating).
	paused := !drill && rng.Float64() < pauseRate
	var tpz, pd int64
	if paused {
		tpz = ti + int64((0.05+0.3*rng.Float64())*dur)
		pd = lognorm(rng, 5*float64(hour), 0.9)
	}
	tr := ti + int64(dur) + pd
	contain := final == model.DispositionTruePositive && rng.Float64() < containRate
	tc := ti + int64((0.45+0.3*rng.Float64())*dur) + pd

	changed := false
	if tier := ros.analysts[who].tier; !drill && tier < 2 && rng.Float64() < escalateCase[prio] {
		target := 1
		if prio == model.P1 || tier == 1 {
			target = 2
		}
		te := ti + int64((0.05+0.25*rng.Float64())*dur)
		limit := tr
		if contain {
			limit = tc
		}
		nb, tb, ok := ros.pick(rng, target, te, 8*hour, min(limit, s.endMs))
		if !ok && target == 2 && tier == 0 {
			nb, tb, ok = ros.pick(rng, 1, te, 8*hour, min(limit, s.endMs))
		}
		if ok {
			p.add(tb, model.EventComment, escalationNotes[rng.IntN(len(escalationNotes))], "")
			p.assign(tb, nb)
			if prio > model.P1 && rng.Float64() < 0.3 {
				p.add(tb, model.EventPriority, (prio - 1).String(), "")
				changed = true
			}
		}
	}
	if !changed && !drill && rng.Float64() < priorityChange {
		np := prio + 1
		if prio == model.P5 || prio > model.P1 && rng.Float64() < 0.5 {
			np = prio - 1
		}
		p.add(ti+int64((0.1+0.5*rng.Float64())*dur), model.EventPriority, np.String(), "")
	}
	if paused {
		st := statusAwaitingUser
		if rng.Float64() < 0.3 {
			st = statusAwaitingVendor
		}
		p.add(tpz, model.EventStatus, st, "")
		p.add(tpz, model.EventComment, pauseNotes[st], "")
		p.add(tpz+pd, model.EventStatus, statusInProgress, "")
	}
	for n := rng.IntN(3); n > 0; n-- {
		at := ti + int64(rng.Float64()*float64(tr-ti))
		p.add(at, model.EventComment, notesInvestigating[rng.IntN(len(notesInvestigating))], "")
	}
	if contain {
		at := max(ti+second, tc-lognorm(rng, 20*float64(minute), 0.5))
		switch r.spec.kind {
		case kindIdentity, kindCloud:
			p.runbook(at, "Disable user account", "suspend in identity provider and revoke sessions")
		case kindEmail:
			p.runbook(at, "Purge email", "remove message from all mailboxes")
		default:
			p.runbook(at, "Isolate host", "EDR network containment")
		}
		if rng.Float64() < 0.5 {
			p.runbook(at+lognorm(rng, 3*float64(minute), 0.5), "Block indicator", "firewall, proxy and EDR block lists")
		}
		p.add(tc, model.EventStage, string(model.StageContained), "")
	}
	var tcIRP int64
	if contain {
		tcIRP = tc
	}
	s.finishIRP(p, prio, final == model.DispositionTruePositive, ti, tcIRP, tr, tr)
	notes := notesClosing[final]
	p.add(tr, model.EventComment, notes[rng.IntN(len(notes))], "")
	p.add(tr, model.EventDisposition, string(final), "")
	p.add(tr+second, model.EventStage, string(model.StageResolved), "")

	reviewer := s.login(ros.leads[ros.analysts[p.who].tier])
	closeAt := tr + lognorm(rng, 4*float64(hour), 0.8)
	if drill || rng.Float64() >= reopenRate {
		p.add(closeAt, model.EventStage, string(model.StageClosed), reviewer)
		return
	}
	reopenAt := tr + lognorm(rng, 20*float64(hour), 0.7)
	if reopenAt >= closeAt {
		p.add(closeAt, model.EventStage, string(model.StageClosed), reviewer)
	}
	p.add(reopenAt, model.EventComment, reopenNotes[rng.IntN(len(reopenNotes))], "")
	p.add(reopenAt+second, model.EventStage, string(model.StageInvestigating), "")
	tr2 := reopenAt + lognorm(rng, 6*float64(hour), 0.8)
	p.add(tr2, model.EventStage, string(model.StageResolved), "")
	p.add(tr2+lognorm(rng, 3*float64(hour), 0.8), model.EventStage, string(model.StageClosed), reviewer)
}

// planMajor plans a major incident: fast senior pickup, an L3 incident
// commander, runbooks across the estate, regular status updates,
// containment within hours and a long investigation.
func (s *sim) planMajor(p *planner, c *simCase, inc *incident, prio model.Priority, triager int32) {
	rng, ros, inv := s.rOps, s.ros, s.inv
	t0 := c.created
	who, ta := triager, t0+lognorm(rng, 60*float64(second), 0.5)
	if ros.analysts[triager].tier == 0 {
		if a, at, ok := ros.pick(rng, 1, t0+lognorm(rng, 3*float64(minute), 0.5), hour, s.endMs); ok {
			who, ta = a, at
		}
	}
	p.assign(ta, who)
	tt := ta + lognorm(rng, 30*float64(second), 0.5)
	p.add(tt, model.EventStage, string(model.StageTriage), "")
	ti := tt + lognorm(rng, 6*float64(minute), 0.5)
	p.add(ti, model.EventStage, string(model.StageInvestigating), "")
	if prio != model.P1 {
		p.add(ti+lognorm(rng, 30*float64(minute), 0.5), model.EventPriority, model.P1.String(), "")
	}
	// The incident commander is an L3 on duty, or the L3 lead on call.
	tic := ti + lognorm(rng, 40*float64(minute), 0.5)
	ic, tb, ok := ros.pick(rng, 2, tic, 2*hour, s.endMs)
	if !ok {
		ic, tb = ros.leads[2], tic
	}
	if ic != who {
		p.add(tb, model.EventComment, "Major incident declared; "+ros.analysts[ic].m.Name+
			" is incident commander. Bridge opened and stakeholders notified.", "")
		p.assign(tb+second, ic)
	}

	tc := ti + lognorm(rng, 7*float64(hour), 0.5)
	s.startIRP(p, c, irpFor[inc.scenario], ti, true)
	window := func() int64 { return ti + int64(rng.Float64()*float64(tc-ti)) }
	for i, h := range inc.hosts {
		p.runbook(window(), "Isolate host", "EDR network containment of "+inv.hosts[h])
		if i < 2 {
			p.runbook(window(), "Collect forensic package", "memory and triage image of "+inv.hosts[h])
		}
	}
	for _, u := range inc.users {
		p.runbook(window(), "Disable user account", "suspend "+inv.users[u]+" and revoke sessions")
	}
	for _, e := range inc.exts {
		p.runbook(window(), "Block indicator", "block "+inv.extIPs[e]+" at firewall and proxy")
	}
	p.runbook(tc-lognorm(rng, 30*float64(minute), 0.4), "Reset credentials", "force password reset for affected and privileged accounts")
	n := 0
	for at := tb + 2*hour; at < tc; at += 2 * hour {
		n++
		p.add(at, model.EventComment, "Status update "+strconv.Itoa(n)+": containment in progress, "+
			strconv.Itoa(len(inc.hosts))+" hosts in scope; next update in two hours.", "")
	}
	p.add(tc, model.EventStage, string(model.StageContained), "")
	p.add(tc, model.EventComment, "Containment confirmed: affected hosts isolated, accounts disabled, indicators blocked.", "")
	tr := tc + lognorm(rng, 3.5*float64(day), 0.35)
	for at := tc + 12*hour; at < tr; at += 12 * hour {
		n++
		p.add(at, model.EventComment, "Status update "+strconv.Itoa(n)+": forensic analysis and eradication continuing.", "")
	}
	p.add(tr, model.EventComment, notesClosing[model.DispositionTruePositive][1], "")
	p.add(tr, model.EventDisposition, string(model.DispositionTruePositive), "")
	p.add(tr+second, model.EventStage, string(model.StageResolved), "")
	tcl := tr + lognorm(rng, 2*float64(day), 0.4)
	s.finishIRP(p, model.P1, true, ti, tc, tr, tcl)
	p.add(tcl, model.EventComment, "Post-incident review held; lessons learned and follow-up actions recorded.", "")
	p.add(tcl+second, model.EventStage, string(model.StageClosed), "")
}

// schedule walks a case's plan in time order, filling in old values, and
// queues the events that happen before the end of the simulation.
func (s *sim) schedule(c *simCase, acts []action, prio model.Priority) {
	slices.SortStableFunc(acts, func(a, b action) int { return cmp.Compare(a.at, b.at) })
	stage, status, assignee, team, disp := string(model.StageNew), "", "", teamNames[0], ""
	pr := prio.String()
	for _, x := range acts {
		if x.at >= s.endMs {
			break
		}
		var old string
		switch x.kind {
		case model.EventStage:
			old, stage = stage, x.val
			if model.Stage(stage).Done() && c.resolved == 0 {
				c.resolved = x.at
			}
		case model.EventStatus:
			old, status = status, x.val
		case model.EventAssignee:
			old, assignee = assignee, x.val
		case model.EventTeam:
			old, team = team, x.val
		case model.EventPriority:
			old, pr = pr, x.val
		case model.EventDisposition:
			old, disp = disp, x.val
		}
		actor := x.actor
		if actor == "" {
			actor = assignee
		}
		s.pushEvent(c, x.at, x.kind, old, x.val, actor)
	}
	c.done = model.Stage(stage).Done()
}
