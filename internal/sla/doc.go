// Package sla is Watchfloor's SLA clock: business-hours calendars, versioned
// SLA policies and the acknowledge and resolve clocks of one case, computed
// from the case's event log.
//
// Everything here is pure and deterministic: no database, no wall clock. The
// caller passes "now". Durations are business time under the calendar of the
// policy version that judges the clock, with paused intervals left out.
//
// # Clocks
//
// Every clock starts at the case's CreatedAt (or, when that is unknown, at
// its created event; with neither, the clocks are reported as missing).
//
//   - Acknowledge stops at the first move to stage triage or any later stage,
//     or at the first assignment to a non-blank assignee, whichever comes
//     first. A stop caused by a move straight past triage (for example new →
//     resolved) is reported as Imputed: the case skipped the stage, so the
//     acknowledgement time is inferred from the later stage.
//   - Resolve (first close) runs while the case is not resolved or closed and
//     stops at the first move to resolved or closed.
//   - ResolveLast (last close) runs in every interval in which the case is
//     not resolved or closed, so a reopen restarts it where it left off. It
//     is stopped while the case is resolved or closed (Stop is the move that
//     ended the latest open period; resolved → closed does not move it) and
//     runs again after a reopen. For a case never reopened it equals Resolve.
//
// A clock does not run while the case's source status (the New value of the
// latest status event) is one of the policy's PauseStatuses, compared
// case-insensitively after trimming spaces. That time is reported as Paused
// (in business time). Pauses apply to both clocks alike. A running clock that
// is paused has no Deadline until it runs again (unless it is already
// overdue, when Deadline is the past instant the target ran out).
//
// A running clock is at risk from elapsed ≥ AtRisk × target (default 80 %)
// up to the target, and overdue past it; the two are disjoint, so the
// dashboard's at-risk and breached lists never share a case.
//
// # Which target
//
// The target is the one for the priority in force when the clock stops,
// under the policy version in force when the clock stops; for a clock still
// running both are taken at "now". "In force at t" includes every event
// dated t. The same version's calendar and pause statuses measure the whole
// clock, so a clock is never measured by two versions at once.
//
// # Business calendars
//
// A Calendar counts the overlap of an interval with daily working windows
// (local start to local end on working weekdays, minus holidays) in real
// elapsed time, so a window containing a daylight-saving change is an hour
// shorter or longer. A policy without a calendar runs 24×7.
//
// # Robustness
//
// Events may arrive out of order (they are sorted by time, then id) and more
// than once: an event identical to an earlier one of the same instant (same
// time, kind, old and new value) is ignored and counted. Events dated before
// CreatedAt or after "now" take effect at that bound and are counted as
// clamped, so clock skew never yields a negative duration.
package sla
