package ocsf

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// Incident activity_id values.
const (
	activityCreate = 1
	activityClose  = 3
)

// incidentStages maps incident status_id values onto stages; On Hold is
// still being worked.
var incidentStages = map[int64]model.Stage{
	1: model.StageNew,
	2: model.StageInvestigating,
	3: model.StageInvestigating,
	4: model.StageResolved,
	5: model.StageClosed,
}

// priorities maps OCSF priority_id (1 Low … 4 Critical) onto priorities.
var priorities = map[int64]model.Priority{1: model.P4, 2: model.P3, 3: model.P2, 4: model.P1}

// impacts are the captions of impact_id.
var impacts = map[int64]string{1: "Low", 2: "Medium", 3: "High", 4: "Critical"}

// toCase maps an Incident Finding (2005) onto a case snapshot.
//
// The title is the event message, else desc (the incident's short
// description), else the first member finding's title. The findings in
// finding_info_list are the case's alerts. The event time is the snapshot's
// UpdatedAt; it is also CreatedAt on a Create activity, and ResolvedAt or
// ClosedAt (by status) on a Close activity. Other activities leave
// CreatedAt unknown: the schema has no incident creation time.
func toCase(o object, raw []byte) (*model.Case, error) {
	meta := o.obj("metadata")
	id := firstNonEmpty(meta.str("original_event_uid"), meta.str("uid"))
	if id == "" {
		return nil, errors.New("no id: metadata.original_event_uid and metadata.uid are missing")
	}
	members := o.objects("finding_info_list")
	if info := o.obj("finding_info"); info != nil {
		members = append(members, info)
	}
	c := &model.Case{
		Source:      sourceName(meta),
		ExternalID:  id,
		Title:       firstNonEmpty(firstLine(o.str("message")), o.str("desc")),
		Severity:    severityOf(o),
		Status:      statusOf(o, "status", incidentStatuses),
		Disposition: dispositionOf(o),
		Raw:         json.RawMessage(raw),
	}
	for _, m := range members {
		c.AlertExternalIDs = appendNew(c.AlertExternalIDs, m.str("uid"))
		if c.Title == "" {
			c.Title = m.str("title")
		}
	}
	if d := o.str("desc"); d != c.Title {
		c.Description = d
	}
	statusID, _ := o.int("status_id")
	c.Stage = incidentStages[statusID]
	c.Priority = priorityOf(o, c.Severity)

	assignee := o.obj("assignee")
	c.Assignee = firstNonEmpty(assignee.str("name"), assignee.str("email_addr"), assignee.str("uid"), assignee.str("full_name"))
	group := o.obj("assignee_group")
	c.Team = firstNonEmpty(group.str("name"), group.str("uid"))
	c.Attributes = incidentAttributes(o)

	var tr timeReader
	var firstSeen []time.Time
	for i, m := range members {
		firstSeen = append(firstSeen, tr.at(m, "finding_info_list["+strconv.Itoa(i)+"]", "first_seen_time"))
	}
	c.OccurredAt = firstTime(tr.at(o, "", "start_time"), earliest(firstSeen...))
	at := tr.at(o, "", "time")
	if tr.err != nil {
		return nil, tr.err
	}
	c.UpdatedAt = at
	activity, _ := o.int("activity_id")
	switch activity {
	case activityCreate:
		c.CreatedAt = at
	case activityClose:
		if statusID == 4 {
			c.ResolvedAt = at
		} else {
			c.ClosedAt = at
		}
	}
	return c, nil
}

// priorityOf reads priority_id, else the priority caption, else takes the
// default priority for the severity.
func priorityOf(o object, sev model.Severity) model.Priority {
	if id, ok := o.int("priority_id"); ok {
		if p, ok := priorities[id]; ok {
			return p
		}
	}
	if p, err := model.ParsePriority(o.str("priority")); err == nil && p.Valid() {
		return p
	}
	return sev.Priority()
}

// incidentAttributes keeps the incident fields the case model has no place
// for.
func incidentAttributes(o object) map[string]string {
	attrs := map[string]string{}
	set := func(k, v string) {
		if v != "" {
			attrs[k] = v
		}
	}
	set("impact", statusOf(o, "impact", impacts))
	set("impact_score", o.str("impact_score"))
	set("confidence", o.str("confidence"))
	set("src_url", o.str("src_url"))
	set("verdict", o.str("verdict"))
	if b, ok := o["is_suspected_breach"].(bool); ok {
		set("is_suspected_breach", strconv.FormatBool(b))
	}
	var tickets []string
	for _, t := range append(o.objects("tickets"), o.objects("ticket")...) {
		tickets = appendNew(tickets, firstNonEmpty(t.str("uid"), t.str("src_url")))
	}
	set("tickets", strings.Join(tickets, ", "))
	if len(attrs) == 0 {
		return nil
	}
	return attrs
}
