// Package staffing plans the watch floor: how many analysts each hour of
// the week needs to meet the SLAs, on which shifts, how today's roster
// compares, what a simulation of the proposed schedule achieves, and which
// skills each shift is short of.
//
// The workload model reads history from the store: arrivals per queue (a
// queue is a kind of work, alert triage or case work, at one priority) per
// local hour of the week, handle times from the case event log, the SLA
// policy's acknowledge targets, the roster and its shifts. Every
// input can be overridden in configuration, and an input neither measured
// nor configured falls back to a default that the plan lists as an
// assumption.
//
// A case's handle time is the time actively worked on it. The events
// people logged on the case (events with an actor) form work sessions:
// maximal runs of events at most Config.SessionGap apart (default
// DefaultSessionGap, 30 minutes). A session is worked from its first event
// to its last, extended back to the start of any runbook execution logged
// in it (the execution record's started_at). Nothing is invented: a
// session of a single event counts nothing unless a runbook gives it a
// duration, and the time between sessions counts nothing however long the
// case is held. The handle time is the part of the sessions between the
// first assignment or triage and the first resolution, outside SLA pause
// statuses. Because it is time worked, a case's analyst effort is its
// handle time (divided by a queue's Concurrency only when one is
// configured).
//
// Sizing treats the queues as one floor served in priority order: each
// hour gets the fewest analysts with which every queue meets its target
// (package erlang's priority formulas; a queue with a configured patience
// is sized by Erlang A on analysts of its own). It adds shrinkage and
// hands the hourly heads to package schedule; package sim validates the
// proposed schedule and today's roster.
package staffing
