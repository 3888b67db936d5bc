package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// ImportedRule is one detection rule imported from a content folder
// (package coverage): a Sigma rule, a Splunk ESCU detection or a native
// rule record. Rule.Source is the content format ("sigma", "splunk",
// "native") and Rule.Severity the rule's level.
type ImportedRule struct {
	model.Rule
	// Path is the file the rule came from, relative to the imported folder.
	Path string `json:"path"`
	// Hash is the SHA-256 of what was read for the rule; an import that
	// reads the same hash leaves the row untouched.
	Hash       string    `json:"hash"`
	ImportedAt time.Time `json:"imported_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// ImportCounts is what an import of detection content changed.
type ImportCounts struct {
	Added     int `json:"added"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// SaveImportedRules stores imported rules in one transaction, keyed on
// format and id: a new rule is added, a stored one whose hash differs is
// replaced (keeping when it was first imported), an identical one is left
// alone.
func (s *Store) SaveImportedRules(ctx context.Context, rules []ImportedRule, now time.Time) (ImportCounts, error) {
	var counts ImportCounts
	err := s.recordWrite(ctx, func(c dbConn) error {
		counts = ImportCounts{}
		stored := map[[2]string]string{}
		rows, err := c.QueryContext(ctx, `SELECT format, external_id, hash FROM detection_rules`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var f, id, h string
			if err := rows.Scan(&f, &id, &h); err != nil {
				rows.Close()
				return err
			}
			stored[[2]string{f, id}] = h
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range rules {
			key := [2]string{r.Source, r.ExternalID}
			h, ok := stored[key]
			switch {
			case ok && h == r.Hash:
				counts.Unchanged++
				continue
			case ok:
				counts.Updated++
			default:
				counts.Added++
			}
			stored[key] = r.Hash
			if _, err := c.ExecContext(ctx, s.rebind(`INSERT INTO detection_rules (format, external_id, title, description, status, level,
					techniques, tactics, data_sources, platforms, author, path, hash, imported_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (format, external_id) DO UPDATE SET title = excluded.title, description = excluded.description,
					status = excluded.status, level = excluded.level, techniques = excluded.techniques, tactics = excluded.tactics,
					data_sources = excluded.data_sources, platforms = excluded.platforms, author = excluded.author,
					path = excluded.path, hash = excluded.hash, updated_at = excluded.updated_at`),
				r.Source, r.ExternalID, r.Name, r.Description, r.Status, int(r.Severity), jsonText(r.Techniques),
				jsonText(r.Tactics), jsonText(r.DataSources), jsonText(r.Platforms), r.Author, r.Path, r.Hash,
				now.UnixMicro(), now.UnixMicro()); err != nil {
				return fmt.Errorf("storing %s rule %q from %s: %w", r.Source, r.ExternalID, r.Path, err)
			}
		}
		return nil
	})
	if err != nil {
		return ImportCounts{}, fmt.Errorf("storing imported detection rules: %w", err)
	}
	return counts, nil
}

// ImportedRules returns the imported detection rules, ordered by format
// and id.
func (s *Store) ImportedRules(ctx context.Context) ([]ImportedRule, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT format, external_id, title, description, status, level, techniques, tactics,
		data_sources, platforms, author, path, hash, imported_at, updated_at FROM detection_rules ORDER BY format, external_id`)
	if err != nil {
		return nil, fmt.Errorf("reading imported detection rules: %w", err)
	}
	defer rows.Close()
	var out []ImportedRule
	for rows.Next() {
		var r ImportedRule
		var level int
		var techs, tactics, sources, platforms string
		var imported, updated sql.NullInt64
		if err := rows.Scan(&r.Source, &r.ExternalID, &r.Name, &r.Description, &r.Status, &level, &techs, &tactics,
			&sources, &platforms, &r.Author, &r.Path, &r.Hash, &imported, &updated); err != nil {
			return nil, fmt.Errorf("reading imported detection rules: %w", err)
		}
		r.Severity, r.Enabled = model.Severity(level), r.Status != model.RuleDeprecated && r.Status != model.RuleUnsupported
		r.ImportedAt, r.UpdatedAt = fromMicros(imported), fromMicros(updated)
		if err := decodeLists(map[string]*[]string{"techniques": &r.Techniques, "tactics": &r.Tactics,
			"data_sources": &r.DataSources, "platforms": &r.Platforms}, techs, tactics, sources, platforms); err != nil {
			return nil, fmt.Errorf("imported rule %s/%s: %w", r.Source, r.ExternalID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// decodeLists decodes the JSON list columns in the order techniques,
// tactics, data_sources, platforms.
func decodeLists(dst map[string]*[]string, techs, tactics, sources, platforms string) error {
	for _, c := range []struct {
		name, text string
	}{{"techniques", techs}, {"tactics", tactics}, {"data_sources", sources}, {"platforms", platforms}} {
		if err := decodeJSONText(c.text, dst[c.name]); err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
	}
	return nil
}

// RuleCatalog returns the rules stored with alerts (the rules table), by
// source and external id.
func (s *Store) RuleCatalog(ctx context.Context) ([]model.Rule, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, source, external_id, name, description, severity, techniques, tactics, enabled,
		author, status, data_sources, platforms FROM rules ORDER BY source, external_id`)
	if err != nil {
		return nil, fmt.Errorf("reading rules: %w", err)
	}
	defer rows.Close()
	var out []model.Rule
	for rows.Next() {
		var r model.Rule
		var sev, enabled int
		var techs, tactics, sources, platforms string
		if err := rows.Scan(&r.ID, &r.Source, &r.ExternalID, &r.Name, &r.Description, &sev, &techs, &tactics, &enabled,
			&r.Author, &r.Status, &sources, &platforms); err != nil {
			return nil, fmt.Errorf("reading rules: %w", err)
		}
		r.Severity, r.Enabled = model.Severity(sev), enabled != 0
		if err := decodeLists(map[string]*[]string{"techniques": &r.Techniques, "tactics": &r.Tactics,
			"data_sources": &r.DataSources, "platforms": &r.Platforms}, techs, tactics, sources, platforms); err != nil {
			return nil, fmt.Errorf("rule %s/%s: %w", r.Source, r.ExternalID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RuleAlerts is how many alerts one rule, as the alerts name it, raised in
// a span of time.
type RuleAlerts struct {
	Source   string    `json:"source"`
	RuleID   string    `json:"rule_id"`
	RuleName string    `json:"rule_name"`
	Alerts   int64     `json:"alerts"`
	First    time.Time `json:"first"`
	Last     time.Time `json:"last"`
}

// RuleAlertCounts groups the alerts created in [from, to) by source, rule
// id and rule name, in that order; alerts naming no rule are left out.
func (s *Store) RuleAlertCounts(ctx context.Context, from, to time.Time) ([]RuleAlerts, error) {
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT source, rule_id, rule_name, COUNT(*), MIN(created_at), MAX(created_at)
		FROM alerts WHERE created_at >= ? AND created_at < ? AND (rule_id <> '' OR rule_name <> '')
		GROUP BY source, rule_id, rule_name ORDER BY source, rule_id, rule_name`), from.UnixMicro(), to.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("counting alerts by rule: %w", err)
	}
	defer rows.Close()
	var out []RuleAlerts
	for rows.Next() {
		var r RuleAlerts
		var first, last sql.NullInt64
		if err := rows.Scan(&r.Source, &r.RuleID, &r.RuleName, &r.Alerts, &first, &last); err != nil {
			return nil, fmt.Errorf("counting alerts by rule: %w", err)
		}
		r.First, r.Last = fromMicros(first), fromMicros(last)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Document is a dated JSON document: a coverage snapshot or a saved
// roadmap.
type Document struct {
	ID int64     `json:"id"`
	At time.Time `json:"at"`
	// Label is the snapshot's window or the roadmap's horizon.
	Label string `json:"label"`
	Doc   []byte `json:"-"`
}

// SaveCoverageSnapshot stores a coverage snapshot taken at at over the
// window label and returns its id.
func (s *Store) SaveCoverageSnapshot(ctx context.Context, at time.Time, label string, doc []byte) (int64, error) {
	return s.saveDocument(ctx, `INSERT INTO coverage_snapshots (taken_at, span, doc) VALUES (?, ?, ?) RETURNING id`, at, label, doc)
}

// CoverageSnapshots returns the stored coverage snapshots, oldest first;
// with withDocs false their documents are left out.
func (s *Store) CoverageSnapshots(ctx context.Context, withDocs bool) ([]Document, error) {
	return s.documents(ctx, `SELECT id, taken_at, span, `+docColumn(withDocs)+` FROM coverage_snapshots ORDER BY taken_at, id`)
}

// SaveRoadmap stores a roadmap made at at for the horizon and returns its
// id.
func (s *Store) SaveRoadmap(ctx context.Context, at time.Time, horizon string, doc []byte) (int64, error) {
	return s.saveDocument(ctx, `INSERT INTO roadmaps (created_at, horizon, doc) VALUES (?, ?, ?) RETURNING id`, at, horizon, doc)
}

// Roadmaps returns the saved roadmaps, oldest first; with withDocs false
// their documents are left out.
func (s *Store) Roadmaps(ctx context.Context, withDocs bool) ([]Document, error) {
	return s.documents(ctx, `SELECT id, created_at, horizon, `+docColumn(withDocs)+` FROM roadmaps ORDER BY created_at, id`)
}

func docColumn(withDocs bool) string {
	if withDocs {
		return "doc"
	}
	return "''"
}

func (s *Store) saveDocument(ctx context.Context, q string, at time.Time, label string, doc []byte) (int64, error) {
	var id int64
	err := s.recordWrite(ctx, func(c dbConn) error {
		return c.QueryRowContext(ctx, s.rebind(q), at.UnixMicro(), label, string(doc)).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("saving %s document: %w", label, err)
	}
	return id, nil
}

func (s *Store) documents(ctx context.Context, q string) ([]Document, error) {
	rows, err := s.r.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("reading documents: %w", err)
	}
	defer rows.Close()
	var out []Document
	for rows.Next() {
		var d Document
		var at int64
		var doc string
		if err := rows.Scan(&d.ID, &at, &d.Label, &doc); err != nil {
			return nil, fmt.Errorf("reading documents: %w", err)
		}
		d.At, d.Doc = time.UnixMicro(at).UTC(), []byte(doc)
		out = append(out, d)
	}
	return out, rows.Err()
}
