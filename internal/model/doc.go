// Package model holds Watchfloor's domain types: alerts, cases and their
// append-only event log, analysts, teams, shifts, skills, detection rules,
// SLA policies, posture findings, and the tables that map other systems'
// priorities, statuses and dispositions onto Watchfloor's fixed vocabularies.
//
// All timestamps are UTC. A zero time.Time means "not known".
package model
