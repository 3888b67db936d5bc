package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// FindingFilter selects posture findings. Zero fields do not filter.
type FindingFilter struct {
	Class        model.FindingClass
	MinSeverity  model.Severity
	Status       string // compared case-insensitively
	Category     string // exact, case-insensitive
	ResourceName string // exact
	ResourceType string // exact, case-insensitive
	// Query matches a substring of the title, category, resource name or a
	// CVE id, case-insensitively.
	Query string
	// State selects by lifecycle: FindingsActive (not resolved, suppressed,
	// archived, deleted, closed or fixed), FindingsInactive, or "" for all.
	State  string
	Offset int
	// After starts the page after that row of the order (keyset paging).
	After *FindingCursor
	Limit int // default 100
}

// Finding states for FindingFilter.State.
const (
	FindingsActive   = "active"
	FindingsInactive = "inactive"
)

// inactiveStatuses are the source statuses of findings no longer open
// (OCSF, Security Hub, SCC and Defender names, lower case).
var inactiveStatuses = []string{"resolved", "suppressed", "archived", "deleted", "closed", "fixed", "inactive", "muted", "dismissed"}

// noAge sorts findings without a first-seen time after every dated one.
const noAge = int64(253402300799000000) // 9999-12-31 in Unix microseconds

// FindingCursor is a finding's place in the order Findings returns:
// severity, CVSS, first seen (Unix microseconds, noAge when unknown) and
// id, all fixed once stored for a given report of the finding.
type FindingCursor struct {
	Severity  int64
	CVSS      float64
	FirstSeen int64
	ID        int64
}

// FindingCursorOf returns f's place in the order.
func FindingCursorOf(f model.Finding) FindingCursor {
	c := FindingCursor{Severity: int64(f.Severity), CVSS: f.CVSS, FirstSeen: noAge, ID: f.ID}
	if !f.FirstSeenAt.IsZero() {
		c.FirstSeen = f.FirstSeenAt.UnixMicro()
	}
	return c
}

func (f FindingFilter) where() *where {
	w := &where{}
	if f.Class != "" {
		w.add("class = ?", string(f.Class))
	}
	if f.MinSeverity > 0 {
		w.add("severity >= ?", int(f.MinSeverity))
	}
	if f.Status != "" {
		w.add("LOWER(status) = ?", strings.ToLower(f.Status))
	}
	if f.State == FindingsActive || f.State == FindingsInactive {
		op := "NOT IN"
		if f.State == FindingsInactive {
			op = "IN"
		}
		w.conds = append(w.conds, "LOWER(status) "+op+" ("+placeholders(len(inactiveStatuses))+")")
		for _, st := range inactiveStatuses {
			w.args = append(w.args, st)
		}
	}
	if f.Category != "" {
		w.add("LOWER(category) = ?", strings.ToLower(f.Category))
	}
	if f.ResourceName != "" {
		w.add("resource_name = ?", f.ResourceName)
	}
	if f.ResourceType != "" {
		w.add("LOWER(resource_type) = ?", strings.ToLower(f.ResourceType))
	}
	if f.Query != "" {
		p := likePattern(f.Query)
		w.conds = append(w.conds, `(LOWER(title) LIKE ? ESCAPE '\' OR LOWER(category) LIKE ? ESCAPE '\'
			OR LOWER(resource_name) LIKE ? ESCAPE '\' OR LOWER(cves) LIKE ? ESCAPE '\')`)
		w.args = append(w.args, p, p, p, p)
	}
	return w
}

// likePattern turns text into a case-insensitive LIKE substring pattern
// with % and _ taken literally.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}

const findingColumns = `id, source, external_id, class, title, description, severity, status, category, resource_name,
	resource_type, remediation, cves, cvss, first_seen_at, last_seen_at, created_at, ingested_at, raw`

func scanFinding(sc interface{ Scan(...any) error }, f *model.Finding) error {
	var class, cves, raw string
	var sev int
	var first, last, cre sql.NullInt64
	var ing int64
	if err := sc.Scan(&f.ID, &f.Source, &f.ExternalID, &class, &f.Title, &f.Description, &sev, &f.Status, &f.Category,
		&f.ResourceName, &f.ResourceType, &f.Remediation, &cves, &f.CVSS, &first, &last, &cre, &ing, &raw); err != nil {
		return err
	}
	f.Class, f.Severity = model.FindingClass(class), model.Severity(sev)
	f.FirstSeenAt, f.LastSeenAt, f.CreatedAt = fromMicros(first), fromMicros(last), fromMicros(cre)
	f.IngestedAt = time.UnixMicro(ing).UTC()
	if cves != "" && cves != "null" {
		if err := json.Unmarshal([]byte(cves), &f.CVEs); err != nil {
			return fmt.Errorf("finding %s/%s cves: %w", f.Source, f.ExternalID, err)
		}
	}
	if raw != "" {
		f.Raw = json.RawMessage(raw)
	}
	return nil
}

// Findings returns findings matching f, most severe first, then highest
// CVSS, then oldest first seen (undated last), then id.
func (s *Store) Findings(ctx context.Context, f FindingFilter) ([]model.Finding, error) {
	w := f.where()
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	age := fmt.Sprintf("COALESCE(first_seen_at, %d)", noAge)
	offset := max(f.Offset, 0)
	if c := f.After; c != nil {
		w.conds = append(w.conds, "(severity < ? OR (severity = ? AND (cvss < ? OR (cvss = ? AND ("+age+" > ? OR ("+age+" = ? AND id > ?))))))")
		w.args = append(w.args, c.Severity, c.Severity, c.CVSS, c.CVSS, c.FirstSeen, c.FirstSeen, c.ID)
		offset = 0
	}
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT `+findingColumns+` FROM findings`+w.String()+
		` ORDER BY severity DESC, cvss DESC, `+age+`, id LIMIT ? OFFSET ?`), append(w.args, limit, offset)...)
	if err != nil {
		return nil, fmt.Errorf("listing findings: %w", err)
	}
	defer rows.Close()
	var out []model.Finding
	for rows.Next() {
		var fd model.Finding
		if err := scanFinding(rows, &fd); err != nil {
			return nil, fmt.Errorf("listing findings: %w", err)
		}
		out = append(out, fd)
	}
	return out, rows.Err()
}

// CountFindings counts the findings matching f (Offset, After and Limit
// ignored).
func (s *Store) CountFindings(ctx context.Context, f FindingFilter) (int64, error) {
	w := f.where()
	var n int64
	if err := s.r.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*) FROM findings`+w.String()), w.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting findings: %w", err)
	}
	return n, nil
}

// FindingByID returns one finding by its store id.
func (s *Store) FindingByID(ctx context.Context, id int64) (model.Finding, error) {
	var f model.Finding
	err := scanFinding(s.r.QueryRowContext(ctx, s.rebind(`SELECT `+findingColumns+` FROM findings WHERE id = ?`), id), &f)
	if errors.Is(err, sql.ErrNoRows) {
		return f, fmt.Errorf("finding %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return f, fmt.Errorf("reading finding %d: %w", id, err)
	}
	return f, nil
}
