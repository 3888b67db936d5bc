package model

import (
	"fmt"
	"strings"
)

// Stage is one of the fixed lifecycle stages every source status maps onto.
type Stage string

// The stages, in lifecycle order.
const (
	StageNew           Stage = "new"
	StageTriage        Stage = "triage"
	StageInvestigating Stage = "investigating"
	StageContained     Stage = "contained"
	StageResolved      Stage = "resolved"
	StageClosed        Stage = "closed"
)

// Stages lists every stage in lifecycle order.
var Stages = []Stage{StageNew, StageTriage, StageInvestigating, StageContained, StageResolved, StageClosed}

// Rank is the stage's position in the lifecycle (new = 1 … closed = 6);
// 0 for an unknown stage.
func (s Stage) Rank() int {
	for i, v := range Stages {
		if v == s {
			return i + 1
		}
	}
	return 0
}

// Valid reports whether s is one of the fixed stages.
func (s Stage) Valid() bool { return s.Rank() > 0 }

// Done reports whether work in this stage is finished (resolved or closed).
func (s Stage) Done() bool { return s == StageResolved || s == StageClosed }

// ParseStage reads a stage name; "acknowledged" is accepted for triage.
func ParseStage(v string) (Stage, error) {
	t := Stage(strings.ToLower(strings.TrimSpace(v)))
	if t == "acknowledged" {
		return StageTriage, nil
	}
	if t.Valid() {
		return t, nil
	}
	return "", fmt.Errorf("unknown stage %q", v)
}

// StatusMap maps a source system's custom statuses onto stages. Keys are
// compared case-insensitively.
type StatusMap map[string]Stage

// DefaultStatusMap covers the statuses of the systems Watchfloor ingests
// (Google SecOps, TheHive, ServiceNow, OCSF) and the stage names themselves.
var DefaultStatusMap = StatusMap{
	"new": StageNew, "open": StageNew, "opened": StageNew, "unassigned": StageNew,
	"triage": StageTriage, "acknowledged": StageTriage, "assigned": StageTriage, "in_progress": StageInvestigating,
	"investigating": StageInvestigating, "in progress": StageInvestigating, "inprogress": StageInvestigating,
	"active": StageInvestigating, "awaiting user info": StageInvestigating, "awaiting problem": StageInvestigating,
	"awaiting vendor": StageInvestigating, "awaiting evidence": StageInvestigating, "on hold": StageInvestigating,
	"suppressed": StageResolved, "contained": StageContained, "mitigated": StageContained,
	"resolved": StageResolved, "truepositive": StageResolved, "falsepositive": StageResolved,
	"indeterminate": StageResolved, "other": StageResolved, "duplicated": StageResolved,
	"closed": StageClosed, "canceled": StageClosed, "cancelled": StageClosed, "archived": StageClosed,
	"status_opened": StageNew, "status_closed": StageClosed, "opened_status": StageNew,
	"in_progress_status": StageInvestigating,
}

// Stage returns the stage for a source status, and false when the status is
// not mapped. A status that is itself a stage name maps to that stage.
func (m StatusMap) Stage(status string) (Stage, bool) {
	t := strings.ToLower(strings.TrimSpace(status))
	if s, ok := m[t]; ok {
		return s, true
	}
	if s := Stage(t); s.Valid() {
		return s, true
	}
	return "", false
}
