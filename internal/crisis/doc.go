// Package crisis is Watchfloor's major-incident command: the incidents a
// SOC manager declares when cases turn into a crisis, kept as an
// append-only event log (like cases) whose replay gives the incident's
// state: severity and status (active → stable → closed), the people in
// each incident role with their assume and hand-over history, a typed
// timeline with pinned entries, tasks, status updates on a cadence set by
// severity, the stakeholder register and every message sent to it, the
// regulatory notification clocks with their submissions, the cost of the
// people's time, and the post-incident review.
//
// Regulatory clocks come from a YAML rule set (regimes.yaml, embedded; an
// organisation may override or extend it in the "crisis" section of its
// configuration). Each report's clock starts from its own trigger event
// recorded on the incident (awareness, classification as major,
// materiality determination, ransom payment, the submission of an earlier
// report) and is computed by rule: hours, calendar days, calendar months in
// the organisation's time zone, or US business days with federal holidays
// derived from their statutory rules.
//
// Every command validates against the current state and writes its events
// in one transaction, so a refused command writes nothing.
package crisis
