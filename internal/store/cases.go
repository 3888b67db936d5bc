package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// Cases: a snapshot from a source becomes events in the case's log (the
// differences from the stored projection), and the alerts that name the
// case are linked to it.

type caseKey struct{ source, extID string }

// caseID resolves a case by source and external id, caching the answer.
func (a *applier) caseID(source, extID string) (int64, error) {
	k := caseKey{source, extID}
	if id, ok := a.caseIDs[k]; ok {
		return id, nil
	}
	var id int64
	err := a.queryRow(`SELECT id FROM cases WHERE source = ? AND external_id = ?`, source, extID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("looking up case %s/%s: %w", source, extID, err)
	}
	a.caseIDs[k] = id
	return id, nil
}

// storedCase is the projection and bookkeeping of a stored case.
type storedCase struct {
	id        int64
	c         model.Case
	version   int64
	updatedAt time.Time
}

const caseColumns = `id, source, external_id, title, description, priority, severity, status, stage, disposition,
	assignee, team, tags, occurred_at, created_at, updated_at, ingested_at, acknowledged_at, contained_at,
	resolved_at, closed_at, reopen_count, version, last_event_at, attributes, raw`

// caseColumnsNoRaw reads a case without its raw source record (scanCase
// leaves Raw nil).
var caseColumnsNoRaw = strings.Replace(caseColumns, "attributes, raw", "attributes, ''", 1)

func scanCase(sc interface{ Scan(...any) error }, c *model.Case) error {
	var occ, cre, upd, ing, ack, con, res, clo, last sql.NullInt64
	var prio, sev int
	var stage, disp, tags, attrs, raw string
	err := sc.Scan(&c.ID, &c.Source, &c.ExternalID, &c.Title, &c.Description, &prio, &sev, &c.Status, &stage, &disp,
		&c.Assignee, &c.Team, &tags, &occ, &cre, &upd, &ing, &ack, &con, &res, &clo, &c.ReopenCount, &c.Version, &last, &attrs, &raw)
	if err != nil {
		return err
	}
	c.Priority, c.Severity, c.Stage, c.Disposition = model.Priority(prio), model.Severity(sev), model.Stage(stage), model.Disposition(disp)
	c.OccurredAt, c.CreatedAt, c.UpdatedAt, c.IngestedAt = fromMicros(occ), fromMicros(cre), fromMicros(upd), fromMicros(ing)
	c.AcknowledgedAt, c.ContainedAt, c.ResolvedAt, c.ClosedAt = fromMicros(ack), fromMicros(con), fromMicros(res), fromMicros(clo)
	c.LastEventAt = fromMicros(last)
	if err := decodeJSONText(tags, &c.Tags); err != nil {
		return fmt.Errorf("case %s/%s: tags: %w", c.Source, c.ExternalID, err)
	}
	if err := decodeJSONText(attrs, &c.Attributes); err != nil {
		return fmt.Errorf("case %s/%s: attributes: %w", c.Source, c.ExternalID, err)
	}
	if raw != "" {
		c.Raw = json.RawMessage(raw)
	}
	return nil
}

// lockCase reads a stored case for update; ok is false when it is not there.
func (a *applier) lockCase(id int64) (storedCase, error) {
	q := `SELECT ` + caseColumns + ` FROM cases WHERE id = ?`
	if a.s.engine == Postgres {
		q += ` FOR UPDATE`
	}
	var sc storedCase
	if err := scanCase(a.queryRow(q, id), &sc.c); err != nil {
		return sc, fmt.Errorf("reading case %d: %w", id, err)
	}
	sc.id, sc.version, sc.updatedAt = id, sc.c.Version, sc.c.UpdatedAt
	return sc, nil
}

func (a *applier) cases(b *Batch) error {
	for i := range b.Cases {
		c := &b.Cases[i]
		if c.Source == "" || c.ExternalID == "" {
			a.reject(KindCase, i, "case needs a source and an external_id")
			continue
		}
		if c.Stage != "" && !c.Stage.Valid() {
			a.reject(KindCase, i, "case %s: unknown stage %q", c.ExternalID, c.Stage)
			continue
		}
		if !c.Disposition.Valid() {
			a.reject(KindCase, i, "case %s: unknown disposition %q", c.ExternalID, c.Disposition)
			continue
		}
		if err := a.upsertCase(c); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) upsertCase(c *model.Case) error {
	ingested := c.IngestedAt
	if ingested.IsZero() {
		ingested = a.now
	}
	var id int64
	err := a.queryRow(`INSERT INTO cases (source, external_id, title, description, tags, occurred_at, created_at, updated_at,
			ingested_at, version, attributes, raw)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (source, external_id) DO NOTHING RETURNING id`,
		c.Source, c.ExternalID, c.Title, c.Description, jsonText(c.Tags), micros(c.OccurredAt), micros(c.CreatedAt),
		micros(c.UpdatedAt), ingested.UnixMicro(), c.Version, jsonText(c.Attributes), string(c.Raw)).Scan(&id)
	isNew := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("storing case %s/%s: %w", c.Source, c.ExternalID, err)
	}
	if !isNew {
		if err := a.queryRow(`SELECT id FROM cases WHERE source = ? AND external_id = ?`, c.Source, c.ExternalID).Scan(&id); err != nil {
			return fmt.Errorf("reading case %s/%s: %w", c.Source, c.ExternalID, err)
		}
	}
	a.caseIDs[caseKey{c.Source, c.ExternalID}] = id
	at := c.UpdatedAt
	if at.IsZero() {
		at = c.CreatedAt
	}
	if at.IsZero() {
		at = a.now
	}
	if isNew {
		evs := model.SnapshotEvents(nil, c, a.s.Statuses, at)
		if _, err := a.insertEvents(id, evs); err != nil {
			return err
		}
		a.replay[id] = true
		a.res.Inserted[KindCase]++
		a.counts.addRows("cases", 1)
		return a.linkCaseAlerts(id, c)
	}

	sc, err := a.lockCase(id)
	if err != nil {
		return err
	}
	// A snapshot is news only when it is newer than what the store knows:
	// a higher version, or (without versions) a later update time than both
	// the last snapshot and the newest event already in the log.
	stale := (c.Version > 0 && c.Version <= sc.version) ||
		(c.Version == 0 && !c.UpdatedAt.IsZero() &&
			(!c.UpdatedAt.After(sc.updatedAt) && !sc.updatedAt.IsZero() || !c.UpdatedAt.After(sc.c.LastEventAt)))
	if stale {
		a.res.Unchanged[KindCase]++
		return nil
	}
	state := model.StateOf(&sc.c)
	evs := model.SnapshotEvents(&state, c, a.s.Statuses, at)
	written, err := a.insertEvents(id, evs)
	if err != nil {
		return err
	}
	if err := a.applyEvents(&sc, written); err != nil {
		return err
	}
	metaChanged := c.Description != sc.c.Description || jsonText(c.Tags) != jsonText(sc.c.Tags) ||
		jsonText(c.Attributes) != jsonText(sc.c.Attributes) || (len(c.Raw) > 0 && string(c.Raw) != string(sc.c.Raw)) ||
		c.Version != sc.version || (!c.UpdatedAt.IsZero() && !c.UpdatedAt.Equal(sc.updatedAt))
	if metaChanged {
		raw := string(c.Raw)
		if raw == "" {
			raw = string(sc.c.Raw)
		}
		upd := c.UpdatedAt
		if upd.IsZero() {
			upd = sc.updatedAt
		}
		if _, err := a.exec(`UPDATE cases SET description = ?, tags = ?, attributes = ?, raw = ?, version = ?, updated_at = ? WHERE id = ?`,
			c.Description, jsonText(c.Tags), jsonText(c.Attributes), raw, max(c.Version, sc.version), micros(upd), id); err != nil {
			return fmt.Errorf("updating case %s/%s: %w", c.Source, c.ExternalID, err)
		}
	}
	if len(written) > 0 || metaChanged {
		a.res.Updated[KindCase]++
	} else {
		a.res.Unchanged[KindCase]++
	}
	return a.linkCaseAlerts(id, c)
}

// linkCaseAlerts attaches to a case the stored alerts that name it, and those
// the case lists, logging an alert_linked event for each new link.
func (a *applier) linkCaseAlerts(id int64, c *model.Case) error {
	for _, ext := range c.AlertExternalIDs {
		if err := a.linkAlert(c, ext); err != nil {
			return fmt.Errorf("linking alert %s to case %s: %w", ext, c.ExternalID, err)
		}
	}
	rows, err := a.query(`UPDATE alerts SET case_id = ? WHERE source = ? AND case_ext_id = ? AND case_ext_id <> '' AND case_id IS NULL
		RETURNING external_id, created_at`, id, c.Source, c.ExternalID)
	if err != nil {
		return fmt.Errorf("linking alerts to case %s: %w", c.ExternalID, err)
	}
	var evs []model.CaseEvent
	for rows.Next() {
		var ext string
		var created sql.NullInt64
		if err := rows.Scan(&ext, &created); err != nil {
			rows.Close()
			return fmt.Errorf("linking alerts to case %s: %w", c.ExternalID, err)
		}
		evs = append(evs, linkEvent(c.Source, ext, fromMicros(created), a.now))
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("linking alerts to case %s: %w", c.ExternalID, err)
	}
	return a.appendAndProject(id, evs)
}

func linkEvent(source, alertExt string, created, now time.Time) model.CaseEvent {
	if created.IsZero() {
		created = now
	}
	return model.CaseEvent{ExternalID: "alert:" + alertExt, At: created, Source: source, Kind: model.EventAlertLinked, New: alertExt}
}

// linkAlert names case c in a stored alert that names no case yet, moving
// the alert to the linked count of its rollup.
func (a *applier) linkAlert(c *model.Case, ext string) error {
	var f alertFields
	err := a.queryRow(`UPDATE alerts SET case_ext_id = ? WHERE source = ? AND external_id = ? AND case_ext_id = ''
		RETURNING rule_id, rule_name, severity, disposition, occurred_at, created_at, techniques`, c.ExternalID, c.Source, ext).
		Scan(&f.ruleID, &f.ruleName, &f.severity, &f.disposition, &f.occurred, &f.created, &f.techniques)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	f.source = c.Source
	if f.created.Valid {
		a.noteAlert(time.UnixMicro(f.created.Int64))
	}
	if err := a.noteRollup(f, -1); err != nil {
		return err
	}
	f.linked = true
	return a.noteRollup(f, 1)
}
