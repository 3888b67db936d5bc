package store

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

const alertInsertColumns = 17

// alertRowsPerStatement keeps a multi-row insert well under both engines'
// limits on bound parameters.
const alertRowsPerStatement = 256

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

// alertRun writes alerts with distinct keys: new ones in multi-row inserts
// (SQLite) or one COPY (PostgreSQL), then changes to stored ones as updates
// with alert events.
func (a *applier) alertRun(all []model.Alert, idx []int) error {
	var existing []int
	var stored map[int]*storedAlert
	sizes := chunkSizes(len(idx), alertRowsPerStatement)
	if a.s.engine == Postgres {
		sizes = []int{len(idx)}
	}
	for _, n := range sizes {
		chunk := idx[:n]
		idx = idx[n:]
		inserted, st, err := a.insertAlerts(all, chunk)
		if err != nil {
			return err
		}
		stored = st
		for _, i := range chunk {
			if !inserted[i] {
				existing = append(existing, i)
			}
		}
	}
	for _, i := range existing {
		if err := a.updateAlert(&all[i], stored[i]); err != nil {
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

// insertedAlert is an alert a multi-row insert wrote: its index in the
// batch and the case it was linked to on the way in.
type insertedAlert struct {
	i      int
	caseID sql.NullInt64
}

// insertAlerts inserts the alerts of chunk whose keys are not stored and
// counts them. It returns which it inserted and, on PostgreSQL, the stored
// versions of the others, read in the same round trip.
func (a *applier) insertAlerts(all []model.Alert, chunk []int) (map[int]bool, map[int]*storedAlert, error) {
	var got []insertedAlert
	var stored map[int]*storedAlert
	var err error
	if a.s.engine == Postgres {
		got, stored, err = a.copyAlerts(all, chunk)
	} else {
		got, err = a.insertAlertsSQLite(all, chunk)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("inserting alerts: %w", err)
	}
	inserted := make(map[int]bool, len(got))
	for _, g := range got {
		inserted[g.i] = true
		al := &all[g.i]
		a.noteAlert(al.CreatedAt)
		a.counts.addAlert(al.Source, al.CreatedAt, int64(al.Severity))
		a.countAlert(al.Source, al.RuleID, micros0(al.CreatedAt), a.ingestedAt(al.IngestedAt), al.Disposition, 1)
		if err := a.noteRollup(fieldsOfAlert(al), 1); err != nil {
			return nil, nil, err
		}
	}
	a.res.Inserted[KindAlert] += len(got)
	for _, g := range got {
		if !g.caseID.Valid {
			continue
		}
		al := &all[g.i]
		if err := a.appendAndProject(g.caseID.Int64, []model.CaseEvent{linkEvent(al.Source, al.ExternalID, al.CreatedAt, a.now)}); err != nil {
			return nil, nil, err
		}
	}
	return inserted, stored, nil
}

// insertAlertsSQLite inserts with one multi-row statement. When every row
// is new, which is the common case, nothing needs reading back: the linked
// case ids are the ones just bound. Otherwise the new rows are those with
// ids above the largest before the insert (SQLite's single writer assigns
// rowids in increasing order).
func (a *applier) insertAlertsSQLite(all []model.Alert, chunk []int) ([]insertedAlert, error) {
	got := make([]insertedAlert, 0, len(chunk))
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
		ia := insertedAlert{i: i}
		if id, ok := caseID.(int64); ok {
			ia.caseID = sql.NullInt64{Int64: id, Valid: true}
		}
		got = append(got, ia)
	}
	var maxBefore int64
	if err := a.queryRow(`SELECT COALESCE(MAX(id), 0) FROM alerts`).Scan(&maxBefore); err != nil {
		return nil, err
	}
	res, err := a.exec(alertInsertSQL(len(chunk)), args...)
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil || int(n) == len(chunk) {
		return got, err
	}
	byKey := make(map[caseKey]int, len(chunk))
	for _, i := range chunk {
		byKey[caseKey{all[i].Source, all[i].ExternalID}] = i
	}
	rows, err := a.query(`SELECT source, external_id, case_id FROM alerts WHERE id > ? ORDER BY id`, maxBefore)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	got = got[:0]
	for rows.Next() {
		var k caseKey
		var ia insertedAlert
		if err := rows.Scan(&k.source, &k.extID, &ia.caseID); err != nil {
			return nil, err
		}
		ia.i = byKey[k]
		got = append(got, ia)
	}
	return got, rows.Err()
}

// storedAlert is the part of a stored alert updateAlert compares.
type storedAlert struct {
	id                                                    int64
	title, status, disp, ruleID, ruleName, caseExt, techs string
	sev                                                   int
	caseID, occ, cre                                      sql.NullInt64
	ingested                                              int64
}

// storedAlertColumns are the columns of alerts a storedAlert reads, in
// scan order.
const storedAlertColumns = `id, title, severity, status, disposition, rule_id, rule_name, case_ext_id, case_id, occurred_at,
	created_at, ingested_at, techniques`

func (sa *storedAlert) scanArgs() []any {
	return []any{&sa.id, &sa.title, &sa.sev, &sa.status, &sa.disp, &sa.ruleID, &sa.ruleName, &sa.caseExt, &sa.caseID,
		&sa.occ, &sa.cre, &sa.ingested, &sa.techs}
}

// updateAlert compares an alert with its stored version (read here when
// sa is nil) and, when they differ, records each tracked change as an
// alert event before updating.
func (a *applier) updateAlert(al *model.Alert, sa *storedAlert) error {
	if sa == nil {
		sa = new(storedAlert)
		err := a.queryRow(`SELECT `+storedAlertColumns+` FROM alerts WHERE source = ? AND external_id = ?`,
			al.Source, al.ExternalID).Scan(sa.scanArgs()...)
		if err != nil {
			return fmt.Errorf("reading alert %s/%s: %w", al.Source, al.ExternalID, err)
		}
	}
	id, title, status, disp, ruleID, ruleName, caseExt, techs := sa.id, sa.title, sa.status, sa.disp, sa.ruleID,
		sa.ruleName, sa.caseExt, sa.techs
	sev, caseID, occ, cre, ingested := sa.sev, sa.caseID, sa.occ, sa.cre, sa.ingested
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
	// Corrected times change MTTD, so they are changes too.
	if old := fromMicros(occ); !old.Equal(al.OccurredAt) {
		changes = append(changes, change{model.EventOccurred, timeText(old), timeText(al.OccurredAt)})
	}
	if old := fromMicros(cre); !old.Equal(al.CreatedAt) {
		changes = append(changes, change{model.EventCreatedAt, timeText(old), timeText(al.CreatedAt)})
		a.noteAlert(old)
	}
	if len(changes) == 0 {
		a.res.Unchanged[KindAlert]++
		a.countResent(al.Source, cre.Int64)
		return nil
	}
	// The health rollups move the alert when its hour, rule or duplicate
	// verdict changed.
	if newCre := micros0(al.CreatedAt); newCre != cre.Int64 || al.RuleID != ruleID ||
		(disp == string(model.DispositionDuplicate)) != (al.Disposition == model.DispositionDuplicate) {
		a.countAlert(al.Source, ruleID, cre.Int64, ingested, model.Disposition(disp), -1)
		a.countAlert(al.Source, al.RuleID, newCre, ingested, al.Disposition, 1)
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
	a.noteAlert(al.CreatedAt)
	// The stored row changed whole: its old contribution out, the new in.
	old := alertFields{source: al.Source, ruleID: ruleID, ruleName: ruleName, severity: int64(sev), disposition: disp,
		linked: caseExt != "", occurred: occ, created: cre, techniques: techs}
	if err := a.noteRollup(old, -1); err != nil {
		return err
	}
	if err := a.noteRollup(fieldsOfAlert(al), 1); err != nil {
		return err
	}
	if cid, ok := newCaseID.(int64); ok && (!caseID.Valid || caseID.Int64 != cid) {
		return a.appendAndProject(cid, []model.CaseEvent{linkEvent(al.Source, al.ExternalID, al.CreatedAt, a.now)})
	}
	return nil
}

// alertInsertSQL is SQLite's multi-row insert of n alerts, skipping stored
// keys.
func alertInsertSQL(n int) string {
	return multiRowSQL(`INSERT INTO alerts (source, external_id, title, description, severity, status, disposition, rule_id,
		rule_name, case_ext_id, case_id, occurred_at, created_at, ingested_at, entities, techniques, raw) VALUES `,
		"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", n, ` ON CONFLICT (source, external_id) DO NOTHING`)
}

// micros0 is a time in Unix microseconds, 0 when unknown.
func micros0(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
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

func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
