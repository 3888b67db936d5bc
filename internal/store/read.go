package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// ErrNotFound is returned when a requested record does not exist.
var ErrNotFound = errors.New("not found")

// Tables lists the data tables in the order Counts reports them.
var Tables = []string{"alerts", "alert_events", "cases", "case_events", "analysts", "teams", "shifts", "rules", "sla_policies", "findings",
	"intel_indicators", "intel_indicator_keys", "intel_threats", "intel_relations", "intel_matches"}

// AlertFilter selects alerts. Zero fields do not filter.
type AlertFilter struct {
	Source      string
	Since       time.Time // created_at >= Since
	Until       time.Time // created_at < Until
	MinSeverity model.Severity
	Disposition model.Disposition
	RuleID      string
	CaseID      int64
	AfterID     int64 // keyset paging: alerts with a smaller id (newest first)
	Limit       int   // default 100
}

const alertColumns = `id, source, external_id, title, description, severity, status, disposition, rule_id, rule_name,
	case_ext_id, case_id, occurred_at, created_at, ingested_at, entities, techniques, raw`

func scanAlert(sc interface{ Scan(...any) error }, al *model.Alert) error {
	var sev int
	var disp, ents, techs, raw string
	var caseID, occ, cre sql.NullInt64
	var ing int64
	if err := sc.Scan(&al.ID, &al.Source, &al.ExternalID, &al.Title, &al.Description, &sev, &al.Status, &disp, &al.RuleID,
		&al.RuleName, &al.CaseExternalID, &caseID, &occ, &cre, &ing, &ents, &techs, &raw); err != nil {
		return err
	}
	al.Severity, al.Disposition = model.Severity(sev), model.Disposition(disp)
	al.CaseID = caseID.Int64
	al.OccurredAt, al.CreatedAt, al.IngestedAt = fromMicros(occ), fromMicros(cre), time.UnixMicro(ing).UTC()
	if err := decodeJSONText(ents, &al.Entities); err != nil {
		return fmt.Errorf("alert %s/%s: entities: %w", al.Source, al.ExternalID, err)
	}
	if err := decodeJSONText(techs, &al.Techniques); err != nil {
		return fmt.Errorf("alert %s/%s: techniques: %w", al.Source, al.ExternalID, err)
	}
	if raw != "" {
		al.Raw = json.RawMessage(raw)
	}
	return nil
}

type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, arg any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, arg)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// fewAlertsThreshold is the window size (in alerts) up to which
// Alerts reads a window through the created_at index.
const fewAlertsThreshold = 4096

// fewAlerts reports whether fewer than fewAlertsThreshold alerts were
// created in [since, until) (until zero: no end), counting at most that
// many through the index.
func (s *Store) fewAlerts(ctx context.Context, since, until time.Time) (bool, error) {
	q, args := `SELECT 1 FROM alerts WHERE created_at >= ?`, []any{since.UnixMicro()}
	if !until.IsZero() {
		q += ` AND created_at < ?`
		args = append(args, until.UnixMicro())
	}
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+q+` LIMIT `+strconv.Itoa(fewAlertsThreshold)+`)`, args...).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("counting the alerts of the window: %w", err)
	}
	return n < fewAlertsThreshold, nil
}

// Alerts returns alerts matching f, newest id first.
func (s *Store) Alerts(ctx context.Context, f AlertFilter) ([]model.Alert, error) {
	var w where
	if f.Source != "" {
		w.add("source = ?", f.Source)
	}
	if !f.Since.IsZero() {
		w.add("created_at >= ?", f.Since.UnixMicro())
	}
	if !f.Until.IsZero() {
		w.add("created_at < ?", f.Until.UnixMicro())
	}
	if f.MinSeverity > 0 {
		w.add("severity >= ?", int(f.MinSeverity))
	}
	if f.Disposition != "" {
		w.add("disposition = ?", string(f.Disposition))
	}
	if f.RuleID != "" {
		w.add("rule_id = ?", f.RuleID)
	}
	if f.CaseID > 0 {
		w.add("case_id = ?", f.CaseID)
	}
	if f.AfterID > 0 {
		w.add("id < ?", f.AfterID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	from := ` FROM alerts`
	if s.engine == SQLite && !f.Since.IsZero() {
		few, err := s.fewAlerts(ctx, f.Since, f.Until)
		if err != nil {
			return nil, err
		}
		if few {
			// Newest first by id walks the table from its end and stops
			// after limit matches; with few alerts in the window it would
			// walk all of it (a quiet day: every row of a 10-million-alert
			// store). Read the window through its index and sort instead.
			from += ` INDEXED BY alerts_created_at`
		}
	}
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT `+alertColumns+from+w.String()+` ORDER BY id DESC LIMIT ?`),
		append(w.args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("listing alerts: %w", err)
	}
	defer rows.Close()
	var out []model.Alert
	for rows.Next() {
		var al model.Alert
		if err := scanAlert(rows, &al); err != nil {
			return nil, fmt.Errorf("listing alerts: %w", err)
		}
		out = append(out, al)
	}
	return out, rows.Err()
}

// AlertByID returns one alert by its Watchfloor id.
func (s *Store) AlertByID(ctx context.Context, id int64) (model.Alert, error) {
	var al model.Alert
	err := scanAlert(s.r.QueryRowContext(ctx, s.rebind(`SELECT `+alertColumns+` FROM alerts WHERE id = ?`), id), &al)
	if errors.Is(err, sql.ErrNoRows) {
		return al, fmt.Errorf("alert %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return al, fmt.Errorf("reading alert %d: %w", id, err)
	}
	return al, nil
}

// AlertByExternalID returns one alert by source and external id.
func (s *Store) AlertByExternalID(ctx context.Context, source, externalID string) (model.Alert, error) {
	var al model.Alert
	err := scanAlert(s.r.QueryRowContext(ctx, s.rebind(`SELECT `+alertColumns+` FROM alerts WHERE source = ? AND external_id = ?`),
		source, externalID), &al)
	if errors.Is(err, sql.ErrNoRows) {
		return al, fmt.Errorf("alert %s/%s: %w", source, externalID, ErrNotFound)
	}
	if err != nil {
		return al, fmt.Errorf("reading alert %s/%s: %w", source, externalID, err)
	}
	return al, nil
}

// AlertEvents returns the changes recorded for an alert, oldest first.
func (s *Store) AlertEvents(ctx context.Context, alertID int64) ([]model.AlertEvent, error) {
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT id, alert_id, at, kind, old, new, source FROM alert_events
		WHERE alert_id = ? ORDER BY id`), alertID)
	if err != nil {
		return nil, fmt.Errorf("reading events of alert %d: %w", alertID, err)
	}
	defer rows.Close()
	var out []model.AlertEvent
	for rows.Next() {
		var e model.AlertEvent
		var at int64
		var kind string
		if err := rows.Scan(&e.ID, &e.AlertID, &at, &kind, &e.Old, &e.New, &e.Source); err != nil {
			return nil, fmt.Errorf("reading events of alert %d: %w", alertID, err)
		}
		e.At, e.Kind = time.UnixMicro(at).UTC(), model.EventKind(kind)
		out = append(out, e)
	}
	return out, rows.Err()
}

// CaseFilter selects cases. Zero fields do not filter.
type CaseFilter struct {
	Source   string
	Stage    model.Stage
	Open     bool // stage not resolved or closed
	Priority model.Priority
	Assignee string
	AfterID  int64
	Limit    int // default 100
}

// Cases returns cases matching f, newest id first.
func (s *Store) Cases(ctx context.Context, f CaseFilter) ([]model.Case, error) {
	var w where
	if f.Source != "" {
		w.add("source = ?", f.Source)
	}
	if f.Stage != "" {
		w.add("stage = ?", string(f.Stage))
	}
	if f.Open {
		w.conds = append(w.conds, "stage NOT IN ('resolved', 'closed')")
	}
	if f.Priority.Valid() {
		w.add("priority = ?", int(f.Priority))
	}
	if f.Assignee != "" {
		w.add("assignee = ?", f.Assignee)
	}
	if f.AfterID > 0 {
		w.add("id < ?", f.AfterID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	return s.queryCases(ctx, "listing cases", `SELECT `+caseColumns+` FROM cases`+w.String()+` ORDER BY id DESC LIMIT ?`,
		append(w.args, limit)...)
}

// queryCases runs a query selecting caseColumns; what names the read in
// errors.
func (s *Store) queryCases(ctx context.Context, what, q string, args ...any) ([]model.Case, error) {
	rows, err := s.r.QueryContext(ctx, s.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []model.Case
	for rows.Next() {
		var c model.Case
		if err := scanCase(rows, &c); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CaseByExternalID returns one case by source and external id.
func (s *Store) CaseByExternalID(ctx context.Context, source, externalID string) (model.Case, error) {
	var c model.Case
	err := scanCase(s.r.QueryRowContext(ctx, s.rebind(`SELECT `+caseColumns+` FROM cases WHERE source = ? AND external_id = ?`),
		source, externalID), &c)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("case %s/%s: %w", source, externalID, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("reading case %s/%s: %w", source, externalID, err)
	}
	return c, nil
}

// CaseEvents returns a case's log in replay order (time, then id).
func (s *Store) CaseEvents(ctx context.Context, caseID int64) ([]model.CaseEvent, error) {
	return caseEvents(ctx, s.r, s, caseID)
}

// Check verifies the store: the engine's own integrity check (SQLite), that
// no event or alert points at a missing case, and that every case's
// projection equals the replay of its log (a case whose log retention
// pruned has none to replay).
func (s *Store) Check(ctx context.Context) error {
	if s.engine == SQLite {
		var res string
		if err := s.r.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
			return fmt.Errorf("integrity check: %w", err)
		}
		if res != "ok" {
			return fmt.Errorf("integrity check: %s", res)
		}
	}
	var orphans int64
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM case_events e LEFT JOIN cases c ON c.id = e.case_id WHERE c.id IS NULL`).Scan(&orphans); err != nil {
		return fmt.Errorf("checking event references: %w", err)
	}
	if orphans > 0 {
		return fmt.Errorf("%d case events refer to missing cases", orphans)
	}
	cases, err := s.queryCases(ctx, "checking projections", `SELECT `+caseColumns+` FROM cases ORDER BY id`)
	if err != nil {
		return err
	}
	for _, c := range cases {
		if p, err := s.CaseLogPruned(ctx, c.ID); err != nil {
			return err
		} else if p != nil {
			continue // no log to replay
		}
		evs, err := s.CaseEvents(ctx, c.ID)
		if err != nil {
			return err
		}
		var st model.CaseState
		for _, e := range evs {
			st.Apply(e)
		}
		if got := model.StateOf(&c); !sameState(got, st) {
			return fmt.Errorf("case %s/%s: stored projection %+v differs from its log's replay %+v", c.Source, c.ExternalID, got, st)
		}
	}
	return nil
}

func sameState(a, b model.CaseState) bool {
	return a.Title == b.Title && a.Status == b.Status && a.Stage == b.Stage && a.Priority == b.Priority &&
		a.Severity == b.Severity && a.Assignee == b.Assignee && a.Team == b.Team && a.Disposition == b.Disposition &&
		a.AcknowledgedAt.Equal(b.AcknowledgedAt) && a.ContainedAt.Equal(b.ContainedAt) &&
		a.ResolvedAt.Equal(b.ResolvedAt) && a.ClosedAt.Equal(b.ClosedAt) && a.ReopenCount == b.ReopenCount &&
		a.LastEventAt.Equal(b.LastEventAt)
}
