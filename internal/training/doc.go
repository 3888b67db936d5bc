// Package training is team development for the watch floor: what each
// runbook and queue requires, who holds it on each shift and at each hour
// of the week, which certifications lapse, and a training plan ordered by
// the gap each item closes and the SLA risk it removes.
//
// It reads the roster the staffing model reads (analysts with their skill
// levels and certifications, the shifts) and the staffing configuration's
// skill requirements (per shift, for queues) and runbook mapping, plus
// the runbook registry: a runbook's required_skills and
// required_certifications in its front matter are what it needs, and the
// configuration's mapping fills in for runbooks that state none.
// Certification dates come from the store's certification records; a
// certification an analyst lists without one has no expiry recorded.
//
// # Who can run what
//
// An analyst can run a runbook (or serve a queue requirement) when every
// skill it needs is held at the level asked or above and every
// certification it needs is held and not expired at the assessment time.
// Coverage is judged per shift (the holders among the analysts on it)
// and per hour of the week in the organisation's time zone, where an hour
// is covered when a shift on duty at its middle has a holder. A shift is
// on duty from its start on each of its days for its duration, so a night
// shift starting Friday 22:00 covers Saturday until 06:00, and not Monday
// early morning unless it also starts on Sunday. Days off and absences
// are not known here: coverage is what the shift pattern promises. At a
// shift boundary where the outgoing shift has a holder and the incoming one
// none, work in flight has nobody to be handed to.
//
// # SLA risk and the plan
//
// The exposure of a gap is the runs of the runbook (queue requirements:
// the cases) that started in the history window at hours nobody on duty
// could run it, per week, and how many of their cases breached the resolve
// SLA. The plan picks, again and again, the analyst whose training removes
// the most exposure (then closes the most uncovered hours, then needs the
// fewest level steps and certifications), until no gap is left; then it
// adds a second holder where a shift has only one, and, with certification
// tracking, renewals of certifications that lapse within the warning
// period and would open a gap.
//
// Program views come first. Individual speed (median time to resolve the
// cases an analyst resolved in the history window) is only shown beside its
// context: the analyst's tier, queue mix (their cases by priority) and
// runbook mix.
package training
