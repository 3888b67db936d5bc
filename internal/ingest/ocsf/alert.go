package ocsf

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// toAlert maps a Detection Finding (2004) or a legacy Security Finding
// (2001) onto an alert.
func toAlert(o object, class int64, raw []byte) (*model.Alert, error) {
	meta := o.obj("metadata")
	// 2001 records of OCSF 1.0 describe the finding in "finding"; later
	// classes in "finding_info".
	infoPath := "finding_info"
	info := o.obj(infoPath)
	if info == nil {
		infoPath = "finding"
		info = o.obj(infoPath)
	}
	id := firstNonEmpty(info.str("uid"), meta.str("uid"))
	if id == "" {
		return nil, errors.New("no id: finding_info.uid (finding.uid in 2001 records) and metadata.uid are missing")
	}
	a := &model.Alert{
		Source:      sourceName(meta),
		ExternalID:  id,
		Title:       firstNonEmpty(info.str("title"), firstLine(o.str("message")), first(info.strs("types"))),
		Description: firstNonEmpty(info.str("desc"), o.str("message")),
		Severity:    severityOf(o),
		Disposition: dispositionOf(o),
		Entities:    entitiesOf(o),
		Techniques:  techniques(o, info),
		Raw:         json.RawMessage(raw),
	}
	if class == classSecurityFinding {
		a.Status = firstNonEmpty(statusOf(o, "state", findingStatuses), statusOf(o, "status", findingStatuses))
	} else {
		a.Status = statusOf(o, "status", findingStatuses)
	}
	a.RuleID, a.RuleName = ruleOf(o, info, meta)

	var tr timeReader
	seen := earliest(
		tr.at(o, "", "start_time"),
		tr.at(o, "", "first_seen_time"),
		tr.at(info, infoPath, "first_seen_time"),
		evidenceTime(&tr, o),
	)
	at := tr.at(o, "", "time")
	a.OccurredAt = firstTime(seen, at)
	a.CreatedAt = firstTime(tr.at(info, infoPath, "created_time"), at)
	if tr.err != nil {
		return nil, tr.err
	}
	return a, nil
}

// evidenceTime returns the earliest time of the record's evidences.
func evidenceTime(tr *timeReader, o object) time.Time {
	var ts []time.Time
	for _, e := range o.objects("evidences") {
		ts = append(ts, tr.at(e, "evidences[]", "time"))
	}
	return earliest(ts...)
}

// ruleOf names the rule that raised the finding: its analytic (in
// finding_info, or top-level in 2001 records). An analytic without a uid
// that lists related analytics — QRadar's "CRE" engine naming the rule that
// fired — gives the first related analytic with a uid. Without an analytic,
// metadata.event_code (Prowler's check id) is the rule id.
func ruleOf(o, info, meta object) (id, name string) {
	for _, an := range []object{info.obj("analytic"), o.obj("analytic")} {
		if an == nil {
			continue
		}
		if uid := an.str("uid"); uid != "" {
			return uid, an.str("name")
		}
		for _, key := range []string{"related_analytics", "relatedAnalytics"} {
			for _, rel := range an.objects(key) {
				if uid := rel.str("uid"); uid != "" {
					return uid, rel.str("name")
				}
			}
		}
		if n := an.str("name"); n != "" {
			return "", n
		}
	}
	return meta.str("event_code"), ""
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

func first(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}
