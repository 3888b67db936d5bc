package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/runbook"
)

// storedRunbook is a registry row as read before a sync.
type storedRunbook struct {
	source, path, hash string
	version            int
	removed            bool
}

// SaveRunbooks stores a synced folder in one transaction: a new version of
// each runbook whose file or path changed (none for an unchanged one), the
// removal of the runbooks of the same source the folder no longer holds,
// and a record of the sync with its problems and broken links.
func (s *Store) SaveRunbooks(ctx context.Context, source string, at time.Time, f *runbook.Folder) (runbook.SyncResult, error) {
	res := runbook.SyncResult{Source: source, At: at.UTC(), Files: f.Files, Changes: []runbook.Change{},
		Problems: f.Problems, Broken: f.Broken}
	if res.Problems == nil {
		res.Problems = []*runbook.ParseError{}
	}
	if res.Broken == nil {
		res.Broken = []runbook.BrokenLink{}
	}
	err := s.recordWrite(ctx, func(c dbConn) error {
		res.Changes = res.Changes[:0]
		stored := map[string]storedRunbook{}
		rows, err := c.QueryContext(ctx, `SELECT id, source, path, hash, version, removed_at FROM runbooks`)
		if err != nil {
			return fmt.Errorf("reading the runbook registry: %w", err)
		}
		for rows.Next() {
			var id string
			var r storedRunbook
			var removed sql.NullInt64
			if err := rows.Scan(&id, &r.source, &r.path, &r.hash, &r.version, &removed); err != nil {
				rows.Close()
				return fmt.Errorf("reading the runbook registry: %w", err)
			}
			r.removed = removed.Valid
			stored[id] = r
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("reading the runbook registry: %w", err)
		}
		problems, _ := json.Marshal(res.Problems)
		broken, _ := json.Marshal(res.Broken)
		if err := c.QueryRowContext(ctx, s.rebind(`INSERT INTO runbook_syncs (at, source, files, changes, problems, broken)
			VALUES (?, ?, ?, '', ?, ?) RETURNING id`), at.UnixMicro(), source, f.Files, string(problems), string(broken)).Scan(&res.ID); err != nil {
			return fmt.Errorf("recording the runbook sync: %w", err)
		}
		seen := map[string]bool{}
		for _, d := range f.Docs {
			seen[d.ID] = true
			old, exists := stored[d.ID]
			ch := runbook.Change{ID: d.ID, Path: d.Path, Version: old.version}
			switch {
			case exists && old.hash == d.Hash && old.path == d.Path:
				ch.Action = runbook.Unchanged
				if old.removed {
					ch.Action = runbook.Restored
				}
				if old.removed || old.source != source {
					if _, err := c.ExecContext(ctx, s.rebind(`UPDATE runbooks SET removed_at = NULL, source = ? WHERE id = ?`), source, d.ID); err != nil {
						return fmt.Errorf("restoring runbook %s: %w", d.ID, err)
					}
				}
				res.Changes = append(res.Changes, ch)
				continue
			case exists:
				ch.Action, ch.Version = runbook.Updated, old.version+1
				if _, err := c.ExecContext(ctx, s.rebind(`UPDATE runbooks SET source = ?, path = ?, version = ?, hash = ?, updated_at = ?,
					removed_at = NULL WHERE id = ?`), source, d.Path, ch.Version, d.Hash, at.UnixMicro(), d.ID); err != nil {
					return fmt.Errorf("updating runbook %s: %w", d.ID, err)
				}
			default:
				ch.Action, ch.Version = runbook.Added, 1
				if _, err := c.ExecContext(ctx, s.rebind(`INSERT INTO runbooks (id, source, path, version, hash, created_at, updated_at)
					VALUES (?, ?, ?, 1, ?, ?, ?)`), d.ID, source, d.Path, d.Hash, at.UnixMicro(), at.UnixMicro()); err != nil {
					return fmt.Errorf("adding runbook %s: %w", d.ID, err)
				}
			}
			doc, err := json.Marshal(d)
			if err != nil {
				return fmt.Errorf("encoding runbook %s: %w", d.ID, err)
			}
			if _, err := c.ExecContext(ctx, s.rebind(`INSERT INTO runbook_versions (runbook_id, version, hash, path, synced_at, sync_id, doc)
				VALUES (?, ?, ?, ?, ?, ?, ?)`), d.ID, ch.Version, d.Hash, d.Path, at.UnixMicro(), res.ID, string(doc)); err != nil {
				return fmt.Errorf("storing version %d of runbook %s: %w", ch.Version, d.ID, err)
			}
			res.Changes = append(res.Changes, ch)
		}
		ids := make([]string, 0, len(stored))
		for id := range stored {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			old := stored[id]
			if seen[id] || old.removed || old.source != source {
				continue
			}
			if _, err := c.ExecContext(ctx, s.rebind(`UPDATE runbooks SET removed_at = ? WHERE id = ?`), at.UnixMicro(), id); err != nil {
				return fmt.Errorf("removing runbook %s: %w", id, err)
			}
			res.Changes = append(res.Changes, runbook.Change{ID: id, Path: old.path, Version: old.version, Action: runbook.Removed})
		}
		changes, _ := json.Marshal(res.Changes)
		if _, err := c.ExecContext(ctx, s.rebind(`UPDATE runbook_syncs SET changes = ? WHERE id = ?`), string(changes), res.ID); err != nil {
			return fmt.Errorf("recording the runbook sync: %w", err)
		}
		return nil
	})
	if err != nil {
		return runbook.SyncResult{}, fmt.Errorf("syncing runbooks from %s: %w", source, err)
	}
	return res, nil
}

// RunbookEntries returns every runbook in the registry with all its
// versions, oldest first.
func (s *Store) RunbookEntries(ctx context.Context) ([]*runbook.Entry, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT r.id, r.source, r.created_at, r.removed_at, v.version, v.synced_at, v.doc
		FROM runbooks r JOIN runbook_versions v ON v.runbook_id = r.id ORDER BY r.id, v.version`)
	if err != nil {
		return nil, fmt.Errorf("reading the runbook registry: %w", err)
	}
	defer rows.Close()
	var out []*runbook.Entry
	for rows.Next() {
		var id, source, doc string
		var created, synced int64
		var removed sql.NullInt64
		var v runbook.Version
		if err := rows.Scan(&id, &source, &created, &removed, &v.Version, &synced, &doc); err != nil {
			return nil, fmt.Errorf("reading the runbook registry: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].ID != id {
			out = append(out, &runbook.Entry{ID: id, Source: source, CreatedAt: time.UnixMicro(created).UTC(), RemovedAt: fromMicros(removed)})
		}
		v.SyncedAt = time.UnixMicro(synced).UTC()
		v.Doc = &runbook.Document{}
		if err := json.Unmarshal([]byte(doc), v.Doc); err != nil {
			return nil, fmt.Errorf("runbook %s version %d: %w", id, v.Version, err)
		}
		e := out[len(out)-1]
		e.Versions = append(e.Versions, v)
	}
	return out, rows.Err()
}

// RunbookSyncs returns the newest syncs first, at most limit.
func (s *Store) RunbookSyncs(ctx context.Context, limit int) ([]runbook.SyncResult, error) {
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT id, at, source, files, changes, problems, broken FROM runbook_syncs
		ORDER BY id DESC LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("reading runbook syncs: %w", err)
	}
	defer rows.Close()
	var out []runbook.SyncResult
	for rows.Next() {
		var r runbook.SyncResult
		var at int64
		var changes, problems, broken string
		if err := rows.Scan(&r.ID, &at, &r.Source, &r.Files, &changes, &problems, &broken); err != nil {
			return nil, fmt.Errorf("reading runbook syncs: %w", err)
		}
		r.At = time.UnixMicro(at).UTC()
		if err := decodeJSONText(changes, &r.Changes); err != nil {
			return nil, fmt.Errorf("runbook sync %d: %w", r.ID, err)
		}
		if err := decodeJSONText(problems, &r.Problems); err != nil {
			return nil, fmt.Errorf("runbook sync %d: %w", r.ID, err)
		}
		if err := decodeJSONText(broken, &r.Broken); err != nil {
			return nil, fmt.Errorf("runbook sync %d: %w", r.ID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RunbookEvents returns the runbook events of the cases created in [from,
// to) or with a runbook event in it, ordered by case, time and id, with
// whether each case is resolved or closed.
func (s *Store) RunbookEvents(ctx context.Context, from, to time.Time) ([]runbook.Event, error) {
	f, t := from.UnixMicro(), to.UnixMicro()
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT e.id, e.case_id, c.source, c.external_id, c.stage, e.at, e.actor, e.source, e.new
		FROM case_events e JOIN cases c ON c.id = e.case_id
		WHERE e.kind = 'runbook' AND e.case_id IN (
			SELECT case_id FROM case_events WHERE kind = 'runbook' AND at >= ? AND at < ?
			UNION SELECT id FROM cases WHERE created_at >= ? AND created_at < ?)
		ORDER BY e.case_id, e.at, e.id`), f, t, f, t)
	if err != nil {
		return nil, fmt.Errorf("reading runbook events: %w", err)
	}
	defer rows.Close()
	var out []runbook.Event
	for rows.Next() {
		var e runbook.Event
		var src, ext, stage string
		var at int64
		if err := rows.Scan(&e.ID, &e.CaseID, &src, &ext, &stage, &at, &e.Actor, &e.Source, &e.New); err != nil {
			return nil, fmt.Errorf("reading runbook events: %w", err)
		}
		e.Case, e.CaseDone, e.At = src+"/"+ext, model.Stage(stage).Done(), time.UnixMicro(at).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// RunbookLastRuns returns the newest runbook event of each runbook name
// recorded in case logs.
func (s *Store) RunbookLastRuns(ctx context.Context) (map[string]time.Time, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT at, new FROM case_events WHERE kind = 'runbook'`)
	if err != nil {
		return nil, fmt.Errorf("reading runbook runs: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	var raw string
	var at int64
	for rows.Next() {
		if err := rows.Scan(&at, &raw); err != nil {
			return nil, fmt.Errorf("reading runbook runs: %w", err)
		}
		rb, err := model.ParseRunbookExecution(raw)
		if err != nil || strings.TrimSpace(rb.Runbook) == "" {
			continue
		}
		t := time.UnixMicro(at).UTC()
		if name := strings.TrimSpace(rb.Runbook); t.After(out[name]) {
			out[name] = t
		}
	}
	return out, rows.Err()
}

// RuleInfos returns the stored rules (one per external id) with their
// names, techniques and tactics.
func (s *Store) RuleInfos(ctx context.Context) ([]runbook.RuleInfo, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT external_id, name, techniques, tactics FROM rules ORDER BY external_id, source`)
	if err != nil {
		return nil, fmt.Errorf("reading rules: %w", err)
	}
	defer rows.Close()
	var out []runbook.RuleInfo
	for rows.Next() {
		var r runbook.RuleInfo
		var techs, tactics string
		if err := rows.Scan(&r.ID, &r.Name, &techs, &tactics); err != nil {
			return nil, fmt.Errorf("reading rules: %w", err)
		}
		if len(out) > 0 && out[len(out)-1].ID == r.ID {
			continue
		}
		if err := decodeJSONText(techs, &r.Techniques); err != nil {
			return nil, fmt.Errorf("rule %s techniques: %w", r.ID, err)
		}
		if err := decodeJSONText(tactics, &r.Tactics); err != nil {
			return nil, fmt.Errorf("rule %s tactics: %w", r.ID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Certification is a certification an analyst holds, with its dates.
type Certification struct {
	Analyst string    `json:"analyst"` // external id
	Name    string    `json:"name"`
	Issued  time.Time `json:"issued_at,omitzero"`
	Expires time.Time `json:"expires_at,omitzero"` // zero: does not expire, or not known
	Source  string    `json:"source,omitempty"`
}

// SaveCertifications stores certifications, replacing the dates of those
// already stored for the same analyst and name; it returns how many rows
// were new.
func (s *Store) SaveCertifications(ctx context.Context, certs []Certification) (int, error) {
	added := 0
	err := s.recordWrite(ctx, func(c dbConn) error {
		added = 0
		for _, ce := range certs {
			var n int
			if err := c.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*) FROM analyst_certifications WHERE analyst = ? AND name = ?`),
				ce.Analyst, ce.Name).Scan(&n); err != nil {
				return fmt.Errorf("storing certification %s of %s: %w", ce.Name, ce.Analyst, err)
			}
			if _, err := c.ExecContext(ctx, s.rebind(`INSERT INTO analyst_certifications (analyst, name, issued_at, expires_at, source)
				VALUES (?, ?, ?, ?, ?) ON CONFLICT (analyst, name) DO UPDATE SET issued_at = excluded.issued_at,
				expires_at = excluded.expires_at, source = excluded.source`),
				ce.Analyst, ce.Name, micros(ce.Issued), micros(ce.Expires), ce.Source); err != nil {
				return fmt.Errorf("storing certification %s of %s: %w", ce.Name, ce.Analyst, err)
			}
			if n == 0 {
				added++
			}
		}
		return nil
	})
	return added, err
}

// Certifications returns the stored certifications by analyst and name.
func (s *Store) Certifications(ctx context.Context) ([]Certification, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT analyst, name, issued_at, expires_at, source FROM analyst_certifications ORDER BY analyst, name`)
	if err != nil {
		return nil, fmt.Errorf("reading certifications: %w", err)
	}
	defer rows.Close()
	var out []Certification
	for rows.Next() {
		var c Certification
		var issued, expires sql.NullInt64
		if err := rows.Scan(&c.Analyst, &c.Name, &issued, &expires, &c.Source); err != nil {
			return nil, fmt.Errorf("reading certifications: %w", err)
		}
		c.Issued, c.Expires = fromMicros(issued), fromMicros(expires)
		out = append(out, c)
	}
	return out, rows.Err()
}

// AppendCaseEvents appends events to one case's log (through the same
// path as ingest, so projection and KPI facts follow) and returns the ids
// of the events written; events already in the log are not written again.
func (s *Store) AppendCaseEvents(ctx context.Context, caseID int64, evs []model.CaseEvent) ([]int64, error) {
	before, err := s.CaseEvents(ctx, caseID)
	if err != nil {
		return nil, err
	}
	res, err := s.Apply(ctx, &Batch{Events: evs})
	if err != nil {
		return nil, fmt.Errorf("writing case events: %w", err)
	}
	if len(res.Rejects) > 0 {
		return nil, fmt.Errorf("case events rejected: %w", res.Rejects[0].Err)
	}
	after, err := s.CaseEvents(ctx, caseID)
	if err != nil {
		return nil, err
	}
	known := make(map[int64]bool, len(before))
	for _, e := range before {
		known[e.ID] = true
	}
	var ids []int64
	for _, e := range after {
		if !known[e.ID] {
			ids = append(ids, e.ID)
		}
	}
	return ids, nil
}

// CaseByRef finds a case by its Watchfloor id ("42") or as
// SOURCE/EXTERNAL_ID ("demo/C-000042").
func (s *Store) CaseByRef(ctx context.Context, ref string) (model.Case, error) {
	ref = strings.TrimSpace(ref)
	if n, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return s.CaseByID(ctx, n)
	}
	src, ext, ok := strings.Cut(ref, "/")
	if !ok || src == "" || ext == "" {
		return model.Case{}, fmt.Errorf("case %q: want a Watchfloor case id or SOURCE/EXTERNAL_ID", ref)
	}
	return s.CaseByExternalID(ctx, src, ext)
}
