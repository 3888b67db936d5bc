package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// ScanAlerts calls fn for the alerts created in [since, until), newest
// first, in one streaming read of at most limit alerts. Only the fields an
// overview needs are filled: ids, source, title, severity, disposition,
// rule, case link, times, entities and techniques (not Raw, Description or
// Attributes). It returns how many alerts fn saw and whether the limit cut
// the scan short; fn returns false to stop early.
func (s *Store) ScanAlerts(ctx context.Context, since, until time.Time, limit int, fn func(*model.Alert) bool) (int, bool, error) {
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT id, source, external_id, title, severity, status, disposition, rule_id,
			rule_name, case_ext_id, case_id, occurred_at, created_at, entities, techniques
		FROM alerts WHERE created_at >= ? AND created_at < ? ORDER BY created_at DESC LIMIT ?`),
		since.UnixMicro(), until.UnixMicro(), limit+1)
	if err != nil {
		return 0, false, fmt.Errorf("scanning alerts: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		if n == limit {
			return n, true, nil
		}
		var a model.Alert
		var sev int
		var disp, ents, techs string
		var caseID, occ, cre sql.NullInt64
		if err := rows.Scan(&a.ID, &a.Source, &a.ExternalID, &a.Title, &sev, &a.Status, &disp, &a.RuleID, &a.RuleName,
			&a.CaseExternalID, &caseID, &occ, &cre, &ents, &techs); err != nil {
			return n, false, fmt.Errorf("scanning alerts: %w", err)
		}
		a.Severity, a.Disposition, a.CaseID = model.Severity(sev), model.Disposition(disp), caseID.Int64
		a.OccurredAt, a.CreatedAt = fromMicros(occ), fromMicros(cre)
		if ents != "" {
			if err := json.Unmarshal([]byte(ents), &a.Entities); err != nil {
				return n, false, fmt.Errorf("alert %s/%s entities: %w", a.Source, a.ExternalID, err)
			}
		}
		if techs != "" {
			if err := json.Unmarshal([]byte(techs), &a.Techniques); err != nil {
				return n, false, fmt.Errorf("alert %s/%s techniques: %w", a.Source, a.ExternalID, err)
			}
		}
		n++
		if !fn(&a) {
			return n, false, nil
		}
	}
	return n, false, rows.Err()
}

// TechniqueSet is a list of ATT&CK technique ids as alerts carry it and
// how many alerts carry exactly that list.
type TechniqueSet struct {
	Techniques []string
	Alerts     int64
}

// TechniqueSets groups the alerts created in [since, until) by their
// technique lists (alerts without techniques are left out) and returns the
// number of alerts in the span. Alerts of one rule share a list, so the
// result stays small.
func (s *Store) TechniqueSets(ctx context.Context, since, until time.Time) ([]TechniqueSet, int64, error) {
	var total int64
	if err := s.r.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*) FROM alerts WHERE created_at >= ? AND created_at < ?`),
		since.UnixMicro(), until.UnixMicro()).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("counting alerts: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT techniques, COUNT(*) FROM alerts
		WHERE created_at >= ? AND created_at < ? AND techniques <> '' GROUP BY techniques ORDER BY techniques`),
		since.UnixMicro(), until.UnixMicro())
	if err != nil {
		return nil, 0, fmt.Errorf("grouping alert techniques: %w", err)
	}
	defer rows.Close()
	var out []TechniqueSet
	for rows.Next() {
		var techs string
		var ts TechniqueSet
		if err := rows.Scan(&techs, &ts.Alerts); err != nil {
			return nil, 0, fmt.Errorf("grouping alert techniques: %w", err)
		}
		if err := json.Unmarshal([]byte(techs), &ts.Techniques); err != nil {
			return nil, 0, fmt.Errorf("grouping alert techniques: %q: %w", techs, err)
		}
		out = append(out, ts)
	}
	return out, total, rows.Err()
}

// AlertEntities is the part of an alert that indicator aggregation reads.
type AlertEntities struct {
	ID          int64
	Source      string
	Disposition model.Disposition
	CreatedAt   time.Time
	Entities    []model.Entity
}

// ScanAlertEntities is ScanAlerts narrowed to ids, source, disposition,
// creation time and entities: it calls fn for the alerts created in
// [since, until), newest first, reading at most limit alerts, and returns
// how many fn saw and whether the limit cut the scan short. fn must not
// keep a; it is reused between calls (its Entities slice is not).
//
// When wanted is not nil, an alert's entities are decoded only if one of
// them may have a type wanted accepts; fn sees the others with no
// entities. (Decoding every alert's entities was a third of an indicator
// scan.)
func (s *Store) ScanAlertEntities(ctx context.Context, since, until time.Time, limit int, wanted func(entityType string) bool,
	fn func(a *AlertEntities) bool) (int, bool, error) {
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT id, source, disposition, created_at, entities
		FROM alerts WHERE created_at >= ? AND created_at < ? ORDER BY created_at DESC LIMIT ?`),
		since.UnixMicro(), until.UnixMicro(), limit+1)
	if err != nil {
		return 0, false, fmt.Errorf("scanning alert entities: %w", err)
	}
	defer rows.Close()
	n := 0
	var a AlertEntities
	var disp string
	var ents []byte
	var cre sql.NullInt64
	for rows.Next() {
		if n == limit {
			return n, true, nil
		}
		if err := rows.Scan(&a.ID, &a.Source, &disp, &cre, &ents); err != nil {
			return n, false, fmt.Errorf("scanning alert entities: %w", err)
		}
		// A fresh slice: decoding into reused elements would keep fields
		// (such as Role) that the next alert's JSON leaves out.
		a.Disposition, a.CreatedAt, a.Entities = model.Disposition(disp), fromMicros(cre), nil
		if len(ents) > 0 && (wanted == nil || mayHoldType(ents, wanted)) {
			if err := json.Unmarshal(ents, &a.Entities); err != nil {
				return n, false, fmt.Errorf("alert %d entities: %w", a.ID, err)
			}
		}
		n++
		if !fn(&a) {
			return n, false, nil
		}
	}
	return n, false, rows.Err()
}

// typeKey opens an entity as the store writes it (json.Marshal of
// model.Entity: no spaces, the type first).
var typeKey = []byte(`{"type":"`)

// mayHoldType reports whether the stored entities JSON may hold an entity
// whose type wanted accepts. It answers false only when sure: the text has
// no \u escape (a key could hide behind one), every object opens with
// typeKey, no other key reads as "type" in any letter case (encoding/json
// matches keys that way), and no type is escaped or accepted. Text of any
// other shape (spaces, another key order, a brace inside a value) answers
// true, and the caller decodes it.
func mayHoldType(ents []byte, wanted func(string) bool) bool {
	objects := bytes.Count(ents, []byte("{"))
	if bytes.Contains(ents, []byte(`\u`)) || bytes.Count(ents, typeKey) != objects || typeLikeKeys(ents) != objects {
		return true
	}
	for rest := ents; ; {
		i := bytes.Index(rest, typeKey)
		if i < 0 {
			return false
		}
		rest = rest[i+len(typeKey):]
		j := bytes.IndexByte(rest, '"')
		if j < 0 {
			return true
		}
		if t := rest[:j]; bytes.IndexByte(t, '\\') >= 0 || wanted(string(t)) {
			return true
		}
		rest = rest[j:]
	}
}

// typeLikeKeys counts the quoted strings "type" in any letter case.
func typeLikeKeys(b []byte) int {
	n := 0
	for i := 0; i+6 <= len(b); i++ {
		if b[i] == '"' && b[i+5] == '"' && bytes.EqualFold(b[i+1:i+5], []byte("type")) {
			n++
		}
	}
	return n
}
