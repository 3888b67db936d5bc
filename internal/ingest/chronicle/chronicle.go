// Package chronicle reads Google SecOps (Chronicle) SOAR cases, case alerts
// and case comments, as returned by the SOAR APIs behind Google's secops-soar
// MCP server (list_cases, get_case_full_details, list_alerts_by_case).
//
// Both key styles are understood: the legacy SOAR API (id, title,
// priority "PriorityHigh" or 80, status "Opened", assignedUser,
// creationTimeUnixTimeInMs, …) and the Chronicle 1P API (name
// "projects/…/cases/123", displayName, priority "PRIORITY_HIGH",
// status "OPENED", createTime, assignee, closureDetails, …). Items may come
// bare (one per NDJSON line, in a top-level array, or as a single document)
// or wrapped in the API's responses: {"cases": […]}, {"caseCards": […]},
// {"results": […]}, {"objectsList": […]}, {"caseAlerts": […]},
// {"caseComments": […]} and the full-details object {"case_details": …,
// "case_alerts": …, "case_comments": …}. Wrappers are walked item by item,
// and an item inside one is located by its JSON path, as in
// "cases.json:$.cases[3]".
//
// Cases become model.Case snapshots, alerts model.Alert and comments
// model.CaseEvent of kind comment, all with source "chronicle". Case and
// alert ids are the SOAR's own numbers and alert identifiers, the same in
// both key styles, so either API's output ingests into the same records.
// Deleted comments are skipped.
package chronicle

import (
	"bytes"
	"context"
	"io"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
)

// Source is the source name of everything this package emits.
const Source = "chronicle"

// Parse streams the cases, alerts and comments of r to emit. name is used in
// locations. Items that cannot be mapped are emitted as rejections; an error
// is returned only when r cannot be read or emit fails.
func Parse(ctx context.Context, r io.Reader, name string, emit record.Emit) error {
	return walkInput(ctx, r, name, emit)
}

// markers are strings found in SOAR output and in no other format Watchfloor
// reads.
var markers = [][]byte{
	[]byte(`"creationTimeUnixTimeInMs"`), []byte(`"modificationTimeUnixTimeInMs"`),
	[]byte(`"ruleGenerator"`), []byte(`"alertGroupIdentifier"`),
	[]byte(`"caseAlerts"`), []byte(`"caseComments"`), []byte(`"caseCards"`), []byte(`"case_cards"`),
	[]byte(`"case_details`), []byte(`"case_alerts"`), []byte(`"soarPlatformInfo"`),
	[]byte(`"PRIORITY_`), []byte(`"PriorityInfo"`), []byte(`"PriorityLow"`), []byte(`"PriorityMedium"`),
	[]byte(`"PriorityHigh"`), []byte(`"PriorityCritical"`), []byte(`"PriorityUnspecified"`),
}

// Detect reports whether head, the first bytes of an input, looks like
// Chronicle SOAR JSON.
func Detect(head []byte) bool {
	h := bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf")
	if len(h) == 0 || (h[0] != '{' && h[0] != '[') {
		return false
	}
	// TheHive's system fields; SOAR output never has them.
	if bytes.Contains(h, []byte(`"_createdAt"`)) || bytes.Contains(h, []byte(`"_type"`)) {
		return false
	}
	for _, m := range markers {
		if bytes.Contains(h, m) {
			return true
		}
	}
	return bytes.Contains(h, []byte("/instances/")) && bytes.Contains(h, []byte("/cases/"))
}
