package store

import (
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

const alertInsertColumns = 17

// alertRowsPerStatement keeps a multi-row insert well under both engines'
// limits on bound parameters.
const alertRowsPerStatement = 250

func (a *applier) alerts(b *Batch) error {
	// Split into runs whose keys are unique, so a key repeated within a batch
	// is applied as an update after its first version.
	seen := make(map[caseKey]bool, len(b.Alerts))
	var valid []int
	flush := func() error {
		err := a.alertRun(b.Alerts, valid)
		clear(seen)
		valid = valid[:0]
		return err
	}
	for i := range b.Alerts {
		al := &b.Alerts[i]
		if al.Source == "" || al.ExternalID == "" {
			a.reject(KindAlert, i, "alert needs a source and an external_id")
			continue
		}
		if !al.Disposition.Valid() {
			a.reject(KindAlert, i, "alert %s: unknown disposition %q", al.ExternalID, al.Disposition)
			continue
		}
		k := caseKey{al.Source, al.ExternalID}
		if seen[k] {
			if err := flush(); err != nil {
				return err
			}
		}
		seen[k] = true
		valid = append(valid, i)
	}
	return flush()
}

// alertRun writes alerts with distinct keys: new ones in multi-row inserts,
// then changes to stored ones as updates with alert events.
func (a *applier) alertRun(all []model.Alert, idx []int) error {
	var existing []int
	per := alertRowsPerStatement
	if a.s.engine == Postgres {
		per = len(idx) // one statement with an array per column
	}
	for s := 0; s < len(idx); s += per {
		chunk := idx[s:min(s+per, len(idx))]
		inserted, err := a.insertAlerts(all, chunk)
		if err != nil {
			return err
		}
		for _, i := range chunk {
			if !inserted[i] {
				existing = append(existing, i)
			}
		}
	}
	for _, i := range existing {
		if err := a.updateAlert(&all[i]); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) alertCaseID(al *model.Alert) (any, error) {
	if al.CaseExternalID == "" {
		return nil, nil
	}
	id, err := a.caseID(al.Source, al.CaseExternalID)
	if err != nil || id == 0 {
		return nil, err
	}
	return id, nil
}

func (a *applier) insertAlerts(all []model.Alert, chunk []int) (map[int]bool, error) {
	byKey := make(map[caseKey]int, len(chunk))
	var rows *sql.Rows
	var err error
	if a.s.engine == Postgres {
		rows, err = a.insertAlertsArrays(all, chunk, byKey)
	} else {
		args := make([]any, 0, len(chunk)*alertInsertColumns)
		for _, i := range chunk {
			al := &all[i]
			caseID, err := a.alertCaseID(al)
			if err != nil {
				return nil, err
			}
			args = append(args, al.Source, al.ExternalID, al.Title, al.Description, int(al.Severity), al.Status,
				string(al.Disposition), al.RuleID, al.RuleName, al.CaseExternalID, caseID, micros(al.OccurredAt),
				micros(al.CreatedAt), a.ingestedAt(al.IngestedAt), jsonText(al.Entities), jsonText(al.Techniques), string(al.Raw))
			byKey[caseKey{al.Source, al.ExternalID}] = i
		}
		rows, err = a.query(alertInsertSQL(len(chunk)), args...)
	}
	if err != nil {
		return nil, fmt.Errorf("inserting alerts: %w", err)
	}
	inserted := make(map[int]bool, len(chunk))
	var links []struct {
		caseID int64
		i      int
	}
	for rows.Next() {
		var id int64
		var k caseKey
		var caseID sql.NullInt64
		if err := rows.Scan(&id, &k.source, &k.extID, &caseID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("inserting alerts: %w", err)
		}
		i := byKey[k]
		inserted[i] = true
		if caseID.Valid {
			links = append(links, struct {
				caseID int64
				i      int
			}{caseID.Int64, i})
		}
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("inserting alerts: %w", err)
	}
	a.res.Inserted[KindAlert] += len(inserted)
	for _, l := range links {
		al := &all[l.i]
		if err := a.appendAndProject(l.caseID, []model.CaseEvent{linkEvent(al.Source, al.ExternalID, al.CreatedAt, a.now)}); err != nil {
			return nil, err
		}
	}
	return inserted, nil
}

// updateAlert compares an alert with its stored version and, when they
// differ, records each tracked change as an alert event before updating.
func (a *applier) updateAlert(al *model.Alert) error {
	var id int64
	var title, status, disp, ruleID, caseExt string
	var sev int
	var caseID sql.NullInt64
	err := a.queryRow(`SELECT id, title, severity, status, disposition, rule_id, case_ext_id, case_id
		FROM alerts WHERE source = ? AND external_id = ?`, al.Source, al.ExternalID).
		Scan(&id, &title, &sev, &status, &disp, &ruleID, &caseExt, &caseID)
	if err != nil {
		return fmt.Errorf("reading alert %s/%s: %w", al.Source, al.ExternalID, err)
	}
	type change struct {
		kind     model.EventKind
		old, new string
	}
	var changes []change
	if al.Title != title {
		changes = append(changes, change{model.EventTitle, title, al.Title})
	}
	if int(al.Severity) != sev {
		changes = append(changes, change{model.EventSeverity, model.Severity(sev).String(), al.Severity.String()})
	}
	if al.Status != status {
		changes = append(changes, change{model.EventStatus, status, al.Status})
	}
	if string(al.Disposition) != disp {
		changes = append(changes, change{model.EventDisposition, disp, string(al.Disposition)})
	}
	if al.CaseExternalID != caseExt {
		changes = append(changes, change{model.EventAlertLinked, caseExt, al.CaseExternalID})
	}
	if al.RuleID != ruleID {
		changes = append(changes, change{model.EventRule, ruleID, al.RuleID})
	}
	if len(changes) == 0 {
		a.res.Unchanged[KindAlert]++
		return nil
	}
	at := a.now
	for _, c := range changes {
		if _, err := a.exec(`INSERT INTO alert_events (alert_id, at, kind, old, new, source) VALUES (?, ?, ?, ?, ?, ?)`,
			id, at.UnixMicro(), string(c.kind), c.old, c.new, al.Source); err != nil {
			return fmt.Errorf("recording change to alert %s/%s: %w", al.Source, al.ExternalID, err)
		}
	}
	newCaseID, err := a.alertCaseID(al)
	if err != nil {
		return err
	}
	if _, err := a.exec(`UPDATE alerts SET title = ?, description = ?, severity = ?, status = ?, disposition = ?, rule_id = ?,
			rule_name = ?, case_ext_id = ?, case_id = ?, occurred_at = ?, created_at = ?, entities = ?, techniques = ?, raw = ?
		WHERE id = ?`,
		al.Title, al.Description, int(al.Severity), al.Status, string(al.Disposition), al.RuleID, al.RuleName,
		al.CaseExternalID, newCaseID, micros(al.OccurredAt), micros(al.CreatedAt), jsonText(al.Entities),
		jsonText(al.Techniques), string(al.Raw), id); err != nil {
		return fmt.Errorf("updating alert %s/%s: %w", al.Source, al.ExternalID, err)
	}
	a.res.Updated[KindAlert]++
	if cid, ok := newCaseID.(int64); ok && (!caseID.Valid || caseID.Int64 != cid) {
		return a.appendAndProject(cid, []model.CaseEvent{linkEvent(al.Source, al.ExternalID, al.CreatedAt, a.now)})
	}
	return nil
}

// alertInsertSQL is the multi-row insert of n alerts, skipping stored keys
// and returning the rows it wrote.
func alertInsertSQL(n int) string {
	var q strings.Builder
	q.Grow(256 + n*60)
	q.WriteString(`INSERT INTO alerts (source, external_id, title, description, severity, status, disposition, rule_id,
		rule_name, case_ext_id, case_id, occurred_at, created_at, ingested_at, entities, techniques, raw) VALUES `)
	for i := range n {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	}
	q.WriteString(` ON CONFLICT (source, external_id) DO NOTHING RETURNING id, source, external_id, case_id`)
	return q.String()
}

// insertAlertsArrays is PostgreSQL's bulk insert: one array parameter per
// column, unnested into rows, so a batch of thousands is one statement with
// seventeen parameters.
func (a *applier) insertAlertsArrays(all []model.Alert, chunk []int, byKey map[caseKey]int) (*sql.Rows, error) {
	n := len(chunk)
	var (
		source, ext, title, desc, status, disp, ruleID, ruleName, caseExt = make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n)
		ents, techs, raw = make([]string, n), make([]string, n), make([]string, n)
		sev              = make([]int64, n)
		caseID, occ, cre = make([]*int64, n), make([]*int64, n), make([]*int64, n)
		ing              = make([]int64, n)
	)
	for k, i := range chunk {
		al := &all[i]
		id, err := a.alertCaseID(al)
		if err != nil {
			return nil, err
		}
		if v, ok := id.(int64); ok {
			caseID[k] = &v
		}
		source[k], ext[k], title[k], desc[k], status[k] = al.Source, al.ExternalID, al.Title, al.Description, al.Status
		disp[k], ruleID[k], ruleName[k], caseExt[k] = string(al.Disposition), al.RuleID, al.RuleName, al.CaseExternalID
		ents[k], techs[k], raw[k] = jsonText(al.Entities), jsonText(al.Techniques), string(al.Raw)
		sev[k], ing[k] = int64(al.Severity), a.ingestedAt(al.IngestedAt)
		occ[k], cre[k] = microsPtr(al.OccurredAt), microsPtr(al.CreatedAt)
		byKey[caseKey{al.Source, al.ExternalID}] = i
	}
	return a.tx.QueryContext(a.ctx, `INSERT INTO alerts (source, external_id, title, description, severity, status,
			disposition, rule_id, rule_name, case_ext_id, case_id, occurred_at, created_at, ingested_at, entities, techniques, raw)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[],
			$8::text[], $9::text[], $10::text[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[], $15::text[],
			$16::text[], $17::text[])
		ON CONFLICT (source, external_id) DO NOTHING RETURNING id, source, external_id, case_id`,
		source, ext, title, desc, sev, status, disp, ruleID, ruleName, caseExt, caseID, occ, cre, ing, ents, techs, raw)
}

func microsPtr(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	v := t.UnixMicro()
	return &v
}

func (a *applier) ingestedAt(t time.Time) int64 {
	if t.IsZero() {
		return a.now.UnixMicro()
	}
	return t.UnixMicro()
}
