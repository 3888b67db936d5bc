package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// Case orderings accepted by CaseQuery.OrderBy.
const (
	CaseOrderNewest   = "created_desc" // newest created first (the default)
	CaseOrderOldest   = "created_asc"
	CaseOrderPriority = "priority" // P1 first, unknown last, then oldest first
	CaseOrderUpdated  = "updated_desc"
)

// CaseOrders lists the accepted orderings.
var CaseOrders = []string{CaseOrderNewest, CaseOrderOldest, CaseOrderPriority, CaseOrderUpdated}

// CaseQuery selects and orders cases for search, paged by offset or by
// keyset (After). Zero
// fields do not filter.
type CaseQuery struct {
	Stages   []model.Stage
	Open     bool   // stage not resolved or closed
	Status   string // the source's own status, case-insensitive
	Priority model.Priority
	// Assignee filters by assignee; Unassigned selects cases without one.
	Assignee   string
	Unassigned bool
	// Query matches a substring of the title or external id, case-insensitively.
	Query         string
	CreatedAfter  time.Time // created_at >= CreatedAfter
	CreatedBefore time.Time // created_at < CreatedBefore
	OrderBy       string    // one of CaseOrders; "" is CaseOrderNewest
	Offset        int
	// After, when set, starts the page after that row of the ordering
	// (keyset paging): rows added, closed or moved elsewhere in the order
	// while a client walks the pages neither repeat nor hide other rows.
	After *CaseCursor
	Limit int // default 100
}

// CaseCursor is a row's place in a case ordering: its sort key
// (created_at or last_event_at in Unix microseconds, or the priority
// rank 1–5, 9 for none), its created_at and its id. Ids and creation
// times never change, so created orders are stable under every change; in
// the priority and updated orders only the row whose own priority or
// activity changed can move across the cursor.
type CaseCursor struct {
	Key, Created, ID int64
}

// CursorOf returns c's place in the ordering.
func CursorOf(order string, c model.Case) CaseCursor {
	cur := CaseCursor{Key: c.CreatedAt.UnixMicro(), Created: c.CreatedAt.UnixMicro(), ID: c.ID}
	switch order {
	case CaseOrderPriority:
		cur.Key = 9
		if c.Priority.Valid() {
			cur.Key = int64(c.Priority)
		}
	case CaseOrderUpdated:
		cur.Key = 0
		if !c.LastEventAt.IsZero() {
			cur.Key = c.LastEventAt.UnixMicro()
		}
	}
	return cur
}

// after adds the keyset condition of an ordering.
func (w *where) after(order string, c CaseCursor) {
	switch order {
	case "", CaseOrderNewest:
		w.conds = append(w.conds, "(created_at < ? OR (created_at = ? AND id < ?))")
		w.args = append(w.args, c.Created, c.Created, c.ID)
	case CaseOrderOldest:
		w.conds = append(w.conds, "(created_at > ? OR (created_at = ? AND id > ?))")
		w.args = append(w.args, c.Created, c.Created, c.ID)
	case CaseOrderPriority:
		rank := "(CASE WHEN priority BETWEEN 1 AND 5 THEN priority ELSE 9 END)"
		w.conds = append(w.conds, "("+rank+" > ? OR ("+rank+" = ? AND (created_at > ? OR (created_at = ? AND id > ?))))")
		w.args = append(w.args, c.Key, c.Key, c.Created, c.Created, c.ID)
	case CaseOrderUpdated:
		w.conds = append(w.conds, "(COALESCE(last_event_at, 0) < ? OR (COALESCE(last_event_at, 0) = ? AND id < ?))")
		w.args = append(w.args, c.Key, c.Key, c.ID)
	}
}

func (q CaseQuery) where() *where {
	w := &where{}
	if len(q.Stages) > 0 {
		ph := make([]string, len(q.Stages))
		for i, st := range q.Stages {
			ph[i] = "?"
			w.args = append(w.args, string(st))
		}
		w.conds = append(w.conds, "stage IN ("+strings.Join(ph, ", ")+")")
	}
	if q.Open {
		w.conds = append(w.conds, "stage NOT IN ('resolved', 'closed')")
	}
	if q.Status != "" {
		w.add("LOWER(status) = ?", strings.ToLower(q.Status))
	}
	if q.Priority.Valid() {
		w.add("priority = ?", int(q.Priority))
	}
	if q.Assignee != "" {
		w.add("assignee = ?", q.Assignee)
	}
	if q.Unassigned {
		w.conds = append(w.conds, "assignee = ''")
	}
	if q.Query != "" {
		p := likePattern(q.Query)
		w.conds = append(w.conds, `(LOWER(title) LIKE ? ESCAPE '\' OR LOWER(external_id) LIKE ? ESCAPE '\')`)
		w.args = append(w.args, p, p)
	}
	if !q.CreatedAfter.IsZero() {
		w.add("created_at >= ?", q.CreatedAfter.UnixMicro())
	}
	if !q.CreatedBefore.IsZero() {
		w.add("created_at < ?", q.CreatedBefore.UnixMicro())
	}
	return w
}

// SearchCases returns one page of the cases matching q and how many match
// in all.
func (s *Store) SearchCases(ctx context.Context, q CaseQuery) ([]model.Case, int64, error) {
	var order string
	switch q.OrderBy {
	case "", CaseOrderNewest:
		order = "created_at DESC, id DESC"
	case CaseOrderOldest:
		order = "created_at, id"
	case CaseOrderPriority:
		order = "CASE WHEN priority BETWEEN 1 AND 5 THEN priority ELSE 9 END, created_at, id"
	case CaseOrderUpdated:
		order = "COALESCE(last_event_at, 0) DESC, id DESC"
	default:
		return nil, 0, fmt.Errorf("unknown case order %q (want one of %s)", q.OrderBy, strings.Join(CaseOrders, ", "))
	}
	w := q.where()
	var total int64
	if err := s.r.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*) FROM cases`+w.String()), w.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("counting cases: %w", err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	offset := max(q.Offset, 0)
	if q.After != nil {
		w.after(q.OrderBy, *q.After)
		offset = 0
	}
	cases, err := s.queryCases(ctx, "searching cases", `SELECT `+caseColumns+` FROM cases`+w.String()+
		` ORDER BY `+order+` LIMIT ? OFFSET ?`, append(w.args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	return cases, total, nil
}

// CaseByID returns one case by its store id.
func (s *Store) CaseByID(ctx context.Context, id int64) (model.Case, error) {
	var c model.Case
	err := scanCase(s.r.QueryRowContext(ctx, s.rebind(`SELECT `+caseColumns+` FROM cases WHERE id = ?`), id), &c)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("case %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("reading case %d: %w", id, err)
	}
	return c, nil
}

// CaseAlertCounts returns how many alerts are linked to each of the given
// cases, by case id. It reads the (source, case_ext_id) index, one small
// query per case.
func (s *Store) CaseAlertCounts(ctx context.Context, cases []model.Case) (map[int64]int64, error) {
	out := make(map[int64]int64, len(cases))
	for _, c := range cases {
		var n int64
		if err := s.r.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*) FROM alerts WHERE source = ? AND case_ext_id = ? AND case_ext_id <> ''`),
			c.Source, c.ExternalID).Scan(&n); err != nil {
			return nil, fmt.Errorf("counting alerts of case %s/%s: %w", c.Source, c.ExternalID, err)
		}
		out[c.ID] = n
	}
	return out, nil
}

// CaseAlerts returns up to limit alerts linked to a case, newest first.
func (s *Store) CaseAlerts(ctx context.Context, c model.Case, limit int) ([]model.Alert, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT `+alertColumns+` FROM alerts WHERE source = ? AND case_ext_id = ? AND case_ext_id <> ''
		ORDER BY id DESC LIMIT ?`), c.Source, c.ExternalID, limit)
	if err != nil {
		return nil, fmt.Errorf("reading alerts of case %s/%s: %w", c.Source, c.ExternalID, err)
	}
	defer rows.Close()
	var out []model.Alert
	for rows.Next() {
		var al model.Alert
		if err := scanAlert(rows, &al); err != nil {
			return nil, fmt.Errorf("reading alerts of case %s/%s: %w", c.Source, c.ExternalID, err)
		}
		out = append(out, al)
	}
	return out, rows.Err()
}

// CaseStatuses returns the distinct source statuses of stored cases,
// lower-cased and sorted, without the empty one. Tools use it to name the
// allowed values when a caller asks for a status no case has.
func (s *Store) CaseStatuses(ctx context.Context) ([]string, error) {
	return s.statuses(ctx, "cases")
}

// AlertStatuses returns the distinct source statuses of stored alerts, as
// CaseStatuses does for cases.
func (s *Store) AlertStatuses(ctx context.Context) ([]string, error) {
	return s.statuses(ctx, "alerts")
}

// FindingStatuses returns the distinct source statuses of stored posture
// findings, as CaseStatuses does for cases.
func (s *Store) FindingStatuses(ctx context.Context) ([]string, error) {
	return s.statuses(ctx, "findings")
}

// statuses lists the distinct non-empty statuses of one of the tables
// above (a constant, never caller input).
func (s *Store) statuses(ctx context.Context, table string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT LOWER(status) FROM `+table+` WHERE status <> '' ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("listing %s statuses: %w", table, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("listing %s statuses: %w", table, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing %s statuses: %w", table, err)
	}
	return out, nil
}
