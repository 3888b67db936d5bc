package chronicle

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest/jsonfield"
	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/model"
)

// embeddedAlerts are the keys under which a legacy full case (GetCaseFullDetails,
// the SOAR "Get Case Details" action) carries its alerts.
var embeddedAlerts = []string{"alertCards", "alerts"}

// item maps one object to a record and emits it. It returns the case id when
// the object was a case.
func (w *walker) item(path string, hint kind, o object, sc *scope) (string, error) {
	loc := w.loc(path)
	if len(o.keys) == 0 {
		return "", nil
	}
	if _, v, ok := o.Get("error"); ok && !o.Has("id", "name", "identifier") {
		msg, err := jsonfield.Text(v)
		if err != nil {
			msg = string(v)
		}
		return "", w.emit(record.Reject(loc, o.raw(), "the SOAR API returned an error: %s", msg))
	}
	switch classify(o, hint) {
	case kindCase:
		return w.emitCase(path, o)
	case kindAlert:
		a, err := mapAlert(o, sc.caseID)
		if err != nil {
			return "", w.emit(record.Reject(loc, o.raw(), "alert: %v", err))
		}
		return "", w.emit(record.Record{Loc: loc, Alert: a})
	case kindComment:
		ev, err := mapComment(o, sc.caseID)
		if err != nil {
			return "", w.emit(record.Reject(loc, o.raw(), "comment: %v", err))
		}
		if ev == nil { // deleted
			return "", nil
		}
		return "", w.emit(record.Record{Loc: loc, Event: ev})
	}
	return "", w.emit(record.Reject(loc, o.raw(),
		"not a Chronicle SOAR case, alert or comment: no case fields (id, title, displayName), "+
			"alert fields (identifier, ruleGenerator) or comment field (comment)"))
}

// emitCase emits a case and then the alerts embedded in it, which it links.
func (w *walker) emitCase(path string, o object) (string, error) {
	c, err := mapCase(o)
	if err != nil {
		if rerr := w.emit(record.Reject(w.loc(path), o.raw(), "case: %v", err)); rerr != nil {
			return "", rerr
		}
	}
	caseID := ""
	if c != nil {
		caseID = c.ExternalID
	}
	var alerts []record.Record
	for _, key := range embeddedAlerts {
		v, ok := o.Fields[key]
		if !ok || jsonfield.IsNull(v) {
			continue
		}
		var items []json.RawMessage
		if err := json.Unmarshal(v, &items); err != nil {
			alerts = append(alerts, record.Reject(w.loc(path+pathKey(key)), v, "%s: want an array, got %s", key, jsonfield.Kind(v)))
			continue
		}
		for i, it := range items {
			loc := w.loc(path + pathKey(key) + "[" + strconv.Itoa(i) + "]")
			ao, err := decodeObject(key, it)
			var a *model.Alert
			if err == nil {
				a, err = mapAlert(ao, caseID)
			}
			if err != nil {
				alerts = append(alerts, record.Reject(loc, it, "alert: %v", err))
				continue
			}
			if c != nil {
				// Nested in the case, the alert belongs to it whatever its
				// own caseId says.
				a.CaseExternalID = caseID
				c.AlertExternalIDs = append(c.AlertExternalIDs, a.ExternalID)
			}
			alerts = append(alerts, record.Record{Loc: loc, Alert: a})
		}
	}
	if c != nil {
		if err := w.emit(record.Record{Loc: w.loc(path), Case: c}); err != nil {
			return "", err
		}
	}
	for _, rec := range alerts {
		if err := w.emit(rec); err != nil {
			return "", err
		}
	}
	return caseID, nil
}

// classify tells cases, alerts and comments apart. A 1P resource name is
// conclusive; otherwise the wrapper's hint decides, and failing that the
// fields only one of the three carries.
func classify(o object, hint kind) kind {
	name, _ := o.Str("name")
	switch {
	case strings.Contains(name, "/caseComments/"):
		return kindComment
	case strings.Contains(name, "/caseAlerts/"):
		return kindAlert
	case strings.Contains(name, "/cases/"):
		return kindCase
	case hint != kindAny:
		return hint
	case o.Has("ruleGenerator", "alertGroupIdentifier", "deviceProduct", "identifier"):
		return kindAlert
	case o.Has("comment") && !o.Has("title", "displayName"):
		return kindComment
	case o.Has("caseId"):
		return kindAlert
	case o.Has("title", "displayName", "stage", "alertCount", "alertsCount", "assignedUser", "assignee",
		"soarPlatformInfo", "creationTimeUnixTimeInMs"):
		return kindCase
	}
	return kindAny
}

// fieldReaders returns readers of o's string and time fields that collect
// every error in errs, so that a reject names all of a record's bad fields.
func fieldReaders(o object, errs *[]error) (str func(keys ...string) string, tm func(keys ...string) time.Time) {
	str = func(keys ...string) string {
		s, err := o.Str(keys...)
		if err != nil {
			*errs = append(*errs, err)
		}
		return s
	}
	tm = func(keys ...string) time.Time {
		t, err := o.Time(soarTime, keys...)
		if err != nil {
			*errs = append(*errs, err)
		}
		return t
	}
	return str, tm
}

// mapCase maps a case in either API's keys.
func mapCase(o object) (*model.Case, error) {
	var errs []error
	str, tm := fieldReaders(o, &errs)
	id, err := caseID(o)
	if err != nil {
		return nil, err
	}
	c := &model.Case{
		Source:      Source,
		ExternalID:  id,
		Title:       title(o, str),
		Description: str("description"),
		CreatedAt:   tm("creationTimeUnixTimeInMs", "createTime", "creationTime"),
		UpdatedAt:   tm("modificationTimeUnixTimeInMs", "updateTime", "modificationTime", "lastModificationTime"),
		OccurredAt:  tm("startTimeUnixTimeInMs", "startTime"),
		Attributes:  map[string]string{},
	}
	if k, v, ok := o.Get("priority"); ok {
		p, err := priority(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", k, err))
		}
		c.Priority = p
	}
	closed := false
	if k, v, ok := o.Get("status"); ok {
		s, isClosed, err := caseStatus(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", k, err))
		}
		c.Status, closed = s, isClosed
	}
	soarStage := str("stage")
	c.Stage = stageFor(soarStage, closed)
	assignee := str("assignee", "assignedUser", "assignedUserName")
	if strings.HasPrefix(assignee, "@") {
		c.Team = assignee // a SOC role such as @Tier1, not a person
	} else {
		c.Assignee = assignee
	}
	if k, v, ok := o.Get("tags"); ok {
		tags, err := stringList(k, v, "displayName", "name", "tag")
		if err != nil {
			errs = append(errs, err)
		}
		c.Tags = tags
	}
	reason, rootCause, comment, err := closure(o)
	if err != nil {
		errs = append(errs, err)
	}
	c.Disposition = verdict(reason, rootCause)
	setAttr(c.Attributes, "stage", soarStage)
	setAttr(c.Attributes, "environment", str("environment"))
	setAttr(c.Attributes, "type", str("type"))
	setAttr(c.Attributes, "alert_count", str("alertCount", "alertsCount"))
	setAttr(c.Attributes, "close_reason", reasonName(reason))
	setAttr(c.Attributes, "root_cause", rootCause)
	setAttr(c.Attributes, "close_comment", comment)
	for _, f := range []struct {
		attr string
		keys []string
	}{{"important", []string{"isImportant", "important"}}, {"incident", []string{"isIncident", "incident"}}} {
		b, ok, err := o.Bool(f.keys...)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			setAttr(c.Attributes, f.attr, strconv.FormatBool(b))
		}
	}
	if len(errs) > 0 {
		return nil, joinErrs(errs...)
	}
	if len(c.Attributes) == 0 {
		c.Attributes = nil
	}
	c.Raw = o.raw()
	return c, nil
}

// caseID is the SOAR case number: "id" in the legacy API, the last segment
// of "name" in the 1P API. A LegacyCase (legacyBatchGetCases) carries the
// SOAR number in soarPlatformInfo.caseId, its own id being the SIEM's.
func caseID(o object) (string, error) {
	if _, v, ok := o.Get("soarPlatformInfo"); ok {
		info, err := decodeObject("soarPlatformInfo", v)
		if err != nil {
			return "", err
		}
		id, err := info.Str("caseId")
		if err != nil {
			return "", fmt.Errorf("soarPlatformInfo.%w", err)
		}
		if id != "" {
			return id, nil
		}
	}
	id, err := o.Str("id")
	if err != nil || id != "" {
		return id, err
	}
	name, err := o.Str("name")
	if err != nil {
		return "", err
	}
	if id := segmentAfter(name, "cases"); id != "" {
		return id, nil
	}
	return "", errors.New("missing case id (id, or name as projects/…/cases/{id})")
}

// title is displayName or title; the legacy API's "name" is the title too,
// while the 1P API's "name" is the resource name.
func title(o object, str func(...string) string) string {
	if t := str("displayName", "title"); t != "" {
		return t
	}
	if name := str("name"); !strings.HasPrefix(name, "projects/") {
		return name
	}
	return ""
}

// segmentAfter returns the path segment that follows collection in a
// resource name such as projects/p/locations/l/instances/i/cases/42.
func segmentAfter(name, collection string) string {
	parts := strings.Split(name, "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == collection {
			return parts[i+1]
		}
	}
	return ""
}

// legacyPriorities are the SOAR's numeric priorities (Informative = -1,
// Low = 40, Medium = 60, High = 80, Critical = 100).
var legacyPriorities = map[int]model.Priority{-1: model.P5, 40: model.P4, 60: model.P3, 80: model.P2, 100: model.P1}

// priority reads "PriorityHigh", "PRIORITY_HIGH", "High" or a legacy number.
// An unspecified priority ("PRIORITY_UNSPECIFIED", "", 0) is unknown; one
// the SOAR does not have ("urgent", 50) is an error, so the record is
// rejected with the field named rather than stored without a priority.
func priority(v json.RawMessage) (model.Priority, error) {
	s, err := jsonfield.Text(v)
	if err != nil {
		return model.PriorityUnknown, err
	}
	if n, err := strconv.Atoi(s); err == nil {
		if p, ok := legacyPriorities[n]; ok || n == 0 {
			return p, nil
		}
		return model.PriorityUnknown, fmt.Errorf("unknown priority %d (want -1, 40, 60, 80 or 100)", n)
	}
	if p := model.PriorityFromChronicle(s); p != model.PriorityUnknown {
		return p, nil
	}
	switch t := strings.ToLower(strings.TrimSpace(s)); strings.TrimPrefix(strings.TrimPrefix(t, "priority_"), "priority") {
	case "", "unspecified", "unknown":
		return model.PriorityUnknown, nil
	}
	return model.PriorityUnknown, fmt.Errorf("unknown priority %q", s)
}

// severityOf gives an alert the severity matching its SOAR priority.
func severityOf(p model.Priority) model.Severity {
	if !p.Valid() {
		return model.SeverityUnknown
	}
	return model.Severity(6 - int(p))
}

// caseStatus reads the status and whether it means closed. The legacy case
// queue numbers statuses (1 open, 2 closed); they are spelled out here.
func caseStatus(v json.RawMessage) (string, bool, error) {
	s, err := jsonfield.Text(v)
	if err != nil {
		return "", false, err
	}
	switch s {
	case "1":
		s = "Opened"
	case "2":
		s = "Closed"
	}
	switch strings.ToLower(s) {
	case "closed", "close", "status_closed", "closed_status":
		return s, true, nil
	}
	return s, false, nil
}

// soarStages maps the SOAR's predefined case stages onto Watchfloor stages.
// Triage is where the SOAR puts every new case, so it means new, not
// acknowledged: mapping it to triage would date every acknowledgement at the
// case's creation. Custom stages are left for the status map to decide.
var soarStages = map[string]model.Stage{
	"triage":        model.StageNew,
	"assessment":    model.StageTriage,
	"investigation": model.StageInvestigating,
	"research":      model.StageInvestigating,
	"incident":      model.StageInvestigating,
	"containment":   model.StageContained,
	"eradication":   model.StageContained,
	"remediation":   model.StageContained,
	"recovery":      model.StageContained,
	"improvement":   model.StageResolved,
	"closed":        model.StageClosed,
}

func stageFor(soarStage string, closed bool) model.Stage {
	if closed {
		return model.StageClosed
	}
	return soarStages[strings.ToLower(strings.TrimSpace(soarStage))]
}

// closure finds the close reason, root cause and closing comment, in the 1P
// closureDetails object, the legacy case_closure_details object, or as
// top-level legacy fields.
func closure(o object) (reason, rootCause, comment string, err error) {
	var errs []error
	read := func(ob object, keys ...string) string {
		s, err := ob.Str(keys...)
		if err != nil {
			errs = append(errs, err)
		}
		return s
	}
	if k, v, ok := o.Get("closureDetails", "case_closure_details", "closeDetails"); ok {
		d, err := decodeObject(k, v)
		if err != nil {
			return "", "", "", err
		}
		reason = read(d, "reason", "closeReason", "closureReason")
		rootCause = read(d, "rootCause", "root_cause")
		comment = read(d, "comment", "closeComment", "closure_comment")
		if len(errs) > 0 {
			return "", "", "", fmt.Errorf("%s.%w", k, joinErrs(errs...))
		}
	}
	if reason == "" {
		reason = read(o, "caseCloseReason", "closeReason", "closureReason")
	}
	if rootCause == "" {
		rootCause = read(o, "rootCause", "caseCloseRootCause", "closureRootCause")
	}
	if comment == "" {
		comment = read(o, "closeComment", "closureComment")
	}
	return reason, rootCause, comment, joinErrs(errs...)
}

// legacyReasons are the legacy API's numeric close reasons, by the names the
// legacy API gives them.
var legacyReasons = map[string]string{"0": "Malicious", "1": "NotMalicious", "2": "Maintenance", "3": "Inconclusive"}

// reasonName spells out a numeric close reason.
func reasonName(reason string) string {
	if n, ok := legacyReasons[reason]; ok {
		return n
	}
	return reason
}

// verdict maps a close reason (MALICIOUS, NOT_MALICIOUS, MAINTENANCE,
// INCONCLUSIVE, in any of the APIs' spellings) and root cause onto a
// disposition. Root causes are free text configured per tenant; one that
// names a verdict the reasons cannot express (false positive, duplicate,
// test) refines the reason, and one that names any verdict stands in for a
// missing reason.
func verdict(reason, rootCause string) model.Disposition {
	r := strings.ToLower(strings.TrimSpace(reasonName(reason)))
	r = strings.TrimPrefix(r, "reason_")
	r = strings.TrimPrefix(r, "close_reason_")
	if r == "notmalicious" || r == "not malicious" {
		r = "not_malicious"
	}
	fromReason, _ := model.ParseDisposition(r)
	if r == "unspecified" || r == "unknown" {
		fromReason = model.DispositionNone
	}
	fromCause, err := model.ParseDisposition(rootCause)
	if err != nil {
		fromCause = model.DispositionNone
	}
	switch {
	case fromCause == model.DispositionFalsePositive || fromCause == model.DispositionDuplicate || fromCause == model.DispositionTest:
		return fromCause
	case fromReason != model.DispositionNone:
		return fromReason
	}
	return fromCause
}

// mapAlert maps a case alert: the 1P CaseAlert, or the legacy alert card.
// caseID is the enclosing case, used when the alert does not name its own.
func mapAlert(o object, caseID string) (*model.Alert, error) {
	var errs []error
	str, tm := fieldReaders(o, &errs)
	name := str("name")
	id := str("identifier")
	if id == "" {
		id = segmentAfter(name, "caseAlerts")
	}
	if id == "" {
		id = str("id")
	}
	if id == "" && len(errs) == 0 {
		return nil, errors.New("missing alert id (identifier, name as …/caseAlerts/{id}, or id)")
	}
	a := &model.Alert{
		Source:      Source,
		ExternalID:  id,
		Title:       str("displayName", "title"),
		Description: str("description"),
		RuleName:    str("ruleGenerator", "rule", "ruleName"),
		RuleID:      str("sourceRuleIdentifier", "ruleId"),
		CreatedAt:   tm("createTime", "creationTimeUnixTimeInMs", "detectionTime"),
		Attributes:  map[string]string{},
	}
	if a.Title == "" && !strings.HasPrefix(name, "projects/") {
		a.Title = name
	}
	if a.Title == "" {
		a.Title = a.RuleName
	}
	a.CaseExternalID = str("caseId")
	if a.CaseExternalID == "" {
		a.CaseExternalID = segmentAfter(name, "cases")
	}
	if a.CaseExternalID == "" {
		a.CaseExternalID = caseID
	}
	start := tm("startTime", "startTimeUnixTimeInMs")
	end := tm("endTime", "endTimeUnixTimeInMs")
	a.OccurredAt = start
	if a.OccurredAt.IsZero() {
		a.OccurredAt = end
	}
	if !end.IsZero() {
		a.Attributes["end_time"] = end.Format(time.RFC3339Nano)
	}
	if k, v, ok := o.Get("priority"); ok {
		p, err := priority(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", k, err))
		}
		a.Severity = severityOf(p)
	}
	a.Status = str("status")
	reason, rootCause, comment, err := closure(o)
	if err != nil {
		errs = append(errs, err)
	}
	a.Disposition = verdict(reason, rootCause)
	if k, v, ok := o.Get("entities", "involvedEntities", "securityEntities"); ok {
		ents, err := entities(k, v)
		if err != nil {
			errs = append(errs, err)
		}
		a.Entities = ents
	}
	setAttr(a.Attributes, "product", str("product", "deviceProduct"))
	setAttr(a.Attributes, "vendor", str("vendor", "deviceVendor"))
	setAttr(a.Attributes, "source_system", str("sourceSystemName"))
	setAttr(a.Attributes, "environment", str("environment"))
	setAttr(a.Attributes, "ticket_id", str("ticketId"))
	setAttr(a.Attributes, "alert_group", str("alertGroupIdentifier"))
	setAttr(a.Attributes, "siem_alert_id", str("siemAlertId"))
	setAttr(a.Attributes, "close_reason", reasonName(reason))
	setAttr(a.Attributes, "root_cause", rootCause)
	setAttr(a.Attributes, "close_comment", comment)
	if len(errs) > 0 {
		return nil, joinErrs(errs...)
	}
	if len(a.Attributes) == 0 {
		a.Attributes = nil
	}
	a.Raw = o.raw()
	return a, nil
}

// entityTypes maps SOAR entity types onto the observable type names TheHive
// uses, so that entities read the same whichever system they came from.
var entityTypes = map[string]string{
	"ADDRESS": "ip", "IPSET": "ip", "HOSTNAME": "hostname", "USERUNIQNAME": "user",
	"FILEHASH": "hash", "FILENAME": "filename", "DESTINATIONURL": "url", "DOMAIN": "domain",
	"EMAILSUBJECT": "mail_subject", "PROCESS": "process", "MACADDRESS": "mac",
	"PHONENUMBER": "phone", "CVE": "cve", "THREATACTOR": "threat_actor",
}

// entities reads the entities of an alert: objects naming an identifier and
// an entity type. Items with no identifier carry nothing and are skipped.
func entities(field string, v json.RawMessage) ([]model.Entity, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(v, &items); err != nil {
		return nil, fmt.Errorf("%s: want an array, got %s", field, jsonfield.Kind(v))
	}
	var out []model.Entity
	for i, it := range items {
		o, err := decodeObject(fmt.Sprintf("%s[%d]", field, i), it)
		if err != nil {
			return nil, err
		}
		value, err := o.Str("identifier", "Identifier", "entityIdentifier")
		if err != nil {
			return nil, fmt.Errorf("%s[%d].%w", field, i, err)
		}
		typ, err := o.Str("entityType", "EntityType", "type")
		if err != nil {
			return nil, fmt.Errorf("%s[%d].%w", field, i, err)
		}
		if value == "" {
			continue
		}
		if t, ok := entityTypes[strings.ToUpper(typ)]; ok {
			typ = t
		} else {
			typ = strings.ToLower(typ)
		}
		out = append(out, model.Entity{Type: typ, Value: value})
	}
	return out, nil
}

// mapComment maps a case comment (the 1P CaseComment or the legacy case
// wall comment) to a comment event. It returns nil for a deleted comment.
func mapComment(o object, caseID string) (*model.CaseEvent, error) {
	var errs []error
	str := func(keys ...string) string {
		s, err := o.Str(keys...)
		if err != nil {
			errs = append(errs, err)
		}
		return s
	}
	deleted, _, err := o.Bool("isDeleted")
	if err != nil {
		return nil, err
	}
	if deleted {
		return nil, nil
	}
	name := str("name")
	ev := &model.CaseEvent{
		CaseSource: Source,
		Source:     Source,
		Kind:       model.EventComment,
		ExternalID: segmentAfter(name, "caseComments"),
		Actor:      str("userOwnerFullName", "creatorFullName", "user", "creatorUserId", "author"),
		New:        str("comment", "content"),
	}
	if ev.ExternalID == "" {
		ev.ExternalID = str("id")
	}
	ev.CaseExternalID = segmentAfter(name, "cases")
	if ev.CaseExternalID == "" {
		c := str("case", "caseId")
		if id := segmentAfter(c, "cases"); id != "" {
			c = id
		}
		ev.CaseExternalID = c
	}
	if ev.CaseExternalID == "" {
		ev.CaseExternalID = caseID
	}
	at, err := o.Time(soarTime, "createTime", "creationTimeUnixTimeInMs")
	if err != nil {
		errs = append(errs, err)
	}
	ev.At = at
	if len(errs) > 0 {
		return nil, joinErrs(errs...)
	}
	if ev.CaseExternalID == "" {
		return nil, errors.New("no case: name, case and caseId are missing and no enclosing case")
	}
	if ev.At.IsZero() {
		return nil, errors.New("missing createTime (or creationTimeUnixTimeInMs)")
	}
	return ev, nil
}

func setAttr(m map[string]string, k, v string) {
	if v != "" {
		m[k] = v
	}
}

// joinErrs reports every bad field on one line.
func joinErrs(errs ...error) error {
	var msgs []string
	for _, e := range errs {
		if e != nil {
			msgs = append(msgs, e.Error())
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return errors.New(strings.Join(msgs, "; "))
}
