package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Incident is the stored summary of a major incident (package crisis):
// what lists show. The incident itself is the replay of its events.
type Incident struct {
	ID int64 `json:"id"`
	// Key, when set, is unique: the declaring system's own key, so a
	// declaration can be made idempotent (the demo's).
	Key        string    `json:"key,omitempty"`
	Title      string    `json:"title"`
	Severity   string    `json:"severity"`
	Status     string    `json:"status"`
	Commander  string    `json:"commander"`
	DeclaredAt time.Time `json:"declared_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	ClosedAt   time.Time `json:"closed_at,omitzero"`
	LastSeq    int64     `json:"last_seq"`
	// CaseIDs are the linked cases.
	CaseIDs []int64 `json:"case_ids"`
}

// CrisisEvent is one entry of an incident's log; Data is the payload as
// JSON.
type CrisisEvent struct {
	IncidentID int64
	Seq        int64
	At         time.Time
	RecordedAt time.Time
	Actor      string
	Source     string
	Kind       string
	Data       string
}

// IncidentFilter selects incidents; zero fields do not filter.
type IncidentFilter struct {
	Open   bool   // not closed
	Status string // one status
	CaseID int64  // linked to this case
	Limit  int    // default 100
}

// CreateIncident stores a new incident with its first events in one
// transaction and returns its id; ErrExists when its Key is taken.
func (s *Store) CreateIncident(ctx context.Context, inc Incident, events []CrisisEvent) (int64, error) {
	var id int64
	err := s.recordWrite(ctx, func(c dbConn) error {
		var key any
		if inc.Key != "" {
			key = inc.Key
		}
		if err := c.QueryRowContext(ctx, s.rebind(`INSERT INTO crisis_incidents (ext_key, title, severity, status, commander, declared_at, updated_at, closed_at, last_seq)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0) RETURNING id`), key, inc.Title, inc.Severity, inc.Status, inc.Commander,
			inc.DeclaredAt.UnixMicro(), inc.UpdatedAt.UnixMicro(), micros(inc.ClosedAt)).Scan(&id); err != nil {
			return err
		}
		inc.ID = id
		return s.appendIncident(ctx, c, inc, 0, events)
	})
	if err != nil {
		if isUniqueViolation(err) && inc.Key != "" {
			return 0, fmt.Errorf("incident with key %q: %w", inc.Key, ErrExists)
		}
		return 0, fmt.Errorf("declaring incident %q: %w", inc.Title, err)
	}
	return id, nil
}

// UpdateIncident appends events to an incident in one transaction: fn gets
// the incident and its whole log as they stand inside the transaction
// (other writers wait) and returns the new summary and the events to
// append, numbered after the log. An error from fn, or no events, writes
// nothing.
func (s *Store) UpdateIncident(ctx context.Context, id int64, fn func(Incident, []CrisisEvent) (Incident, []CrisisEvent, error)) error {
	return s.recordWrite(ctx, func(c dbConn) error {
		lock := ""
		if s.engine == Postgres {
			lock = " FOR UPDATE"
		}
		inc, err := s.incidentRow(ctx, c, `SELECT `+incidentColumns+` FROM crisis_incidents WHERE id = ?`+lock, id)
		if err != nil {
			return err
		}
		evs, err := s.crisisEvents(ctx, c, id)
		if err != nil {
			return err
		}
		next, add, err := fn(inc, evs)
		if err != nil || len(add) == 0 {
			return err // nothing to write leaves the incident as it was
		}
		next.ID = id
		return s.appendIncident(ctx, c, next, inc.LastSeq, add)
	})
}

// appendIncident writes events after seq and the new summary.
func (s *Store) appendIncident(ctx context.Context, c dbConn, inc Incident, seq int64, events []CrisisEvent) error {
	for _, e := range events {
		seq++
		if e.Seq != 0 && e.Seq != seq {
			return fmt.Errorf("incident %d: event numbered %d where the log continues at %d", inc.ID, e.Seq, seq)
		}
		if _, err := c.ExecContext(ctx, s.rebind(`INSERT INTO crisis_events (incident_id, seq, at, recorded_at, actor, source, kind, data)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), inc.ID, seq, e.At.UnixMicro(), e.RecordedAt.UnixMicro(), e.Actor, e.Source, e.Kind, e.Data); err != nil {
			return fmt.Errorf("writing incident %d event %d: %w", inc.ID, seq, err)
		}
	}
	if _, err := c.ExecContext(ctx, s.rebind(`UPDATE crisis_incidents SET title = ?, severity = ?, status = ?, commander = ?, updated_at = ?,
		closed_at = ?, last_seq = ? WHERE id = ?`), inc.Title, inc.Severity, inc.Status, inc.Commander, inc.UpdatedAt.UnixMicro(),
		micros(inc.ClosedAt), seq, inc.ID); err != nil {
		return fmt.Errorf("updating incident %d: %w", inc.ID, err)
	}
	for _, cid := range inc.CaseIDs {
		if _, err := c.ExecContext(ctx, s.rebind(`INSERT INTO crisis_incident_cases (incident_id, case_id) VALUES (?, ?) ON CONFLICT DO NOTHING`),
			inc.ID, cid); err != nil {
			return fmt.Errorf("linking incident %d to case %d: %w", inc.ID, cid, err)
		}
	}
	return nil
}

const incidentColumns = `id, COALESCE(ext_key, ''), title, severity, status, commander, declared_at, updated_at, closed_at, last_seq`

type queryer interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func scanIncident(sc interface{ Scan(...any) error }, inc *Incident) error {
	var declared, updated int64
	var closed sql.NullInt64
	if err := sc.Scan(&inc.ID, &inc.Key, &inc.Title, &inc.Severity, &inc.Status, &inc.Commander, &declared, &updated, &closed, &inc.LastSeq); err != nil {
		return err
	}
	inc.DeclaredAt, inc.UpdatedAt, inc.ClosedAt = time.UnixMicro(declared).UTC(), time.UnixMicro(updated).UTC(), fromMicros(closed)
	return nil
}

func (s *Store) incidentRow(ctx context.Context, q queryer, query string, arg any) (Incident, error) {
	var inc Incident
	err := scanIncident(q.QueryRowContext(ctx, s.rebind(query), arg), &inc)
	if errors.Is(err, sql.ErrNoRows) {
		return inc, fmt.Errorf("incident %v: %w", arg, ErrNotFound)
	}
	if err != nil {
		return inc, fmt.Errorf("reading incident %v: %w", arg, err)
	}
	rows, err := q.QueryContext(ctx, s.rebind(`SELECT case_id FROM crisis_incident_cases WHERE incident_id = ? ORDER BY case_id`), inc.ID)
	if err != nil {
		return inc, fmt.Errorf("reading incident %d cases: %w", inc.ID, err)
	}
	defer rows.Close()
	inc.CaseIDs = []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return inc, err
		}
		inc.CaseIDs = append(inc.CaseIDs, id)
	}
	return inc, rows.Err()
}

func (s *Store) crisisEvents(ctx context.Context, q queryer, id int64) ([]CrisisEvent, error) {
	return s.scanCrisisEvents(ctx, q, `SELECT incident_id, seq, at, recorded_at, actor, source, kind, data FROM crisis_events
		WHERE incident_id = ? ORDER BY seq`, id)
}

func (s *Store) scanCrisisEvents(ctx context.Context, q queryer, query string, args ...any) ([]CrisisEvent, error) {
	rows, err := q.QueryContext(ctx, s.rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("reading incident events: %w", err)
	}
	defer rows.Close()
	var out []CrisisEvent
	for rows.Next() {
		var e CrisisEvent
		var at, rec int64
		if err := rows.Scan(&e.IncidentID, &e.Seq, &at, &rec, &e.Actor, &e.Source, &e.Kind, &e.Data); err != nil {
			return nil, fmt.Errorf("reading incident events: %w", err)
		}
		e.At, e.RecordedAt = time.UnixMicro(at).UTC(), time.UnixMicro(rec).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// IncidentLog returns an incident's summary and its whole log in order.
func (s *Store) IncidentLog(ctx context.Context, id int64) (Incident, []CrisisEvent, error) {
	inc, err := s.incidentRow(ctx, s.r, `SELECT `+incidentColumns+` FROM crisis_incidents WHERE id = ?`, id)
	if err != nil {
		return inc, nil, err
	}
	evs, err := s.crisisEvents(ctx, s.r, id)
	return inc, evs, err
}

// IncidentByKey returns the incident declared with a key.
func (s *Store) IncidentByKey(ctx context.Context, key string) (Incident, error) {
	return s.incidentRow(ctx, s.r, `SELECT `+incidentColumns+` FROM crisis_incidents WHERE ext_key = ?`, key)
}

// Incidents returns incidents, newest declaration first.
func (s *Store) Incidents(ctx context.Context, f IncidentFilter) ([]Incident, error) {
	var w where
	if f.Open {
		w.add("status <> ?", "closed")
	}
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	if f.CaseID > 0 {
		w.add("id IN (SELECT incident_id FROM crisis_incident_cases WHERE case_id = ?)", f.CaseID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT `+incidentColumns+` FROM crisis_incidents`+w.String()+
		fmt.Sprintf(` ORDER BY declared_at DESC, id DESC LIMIT %d`, limit)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("listing incidents: %w", err)
	}
	defer rows.Close()
	out := []Incident{}
	for rows.Next() {
		var inc Incident
		if err := scanIncident(rows, &inc); err != nil {
			return nil, fmt.Errorf("listing incidents: %w", err)
		}
		out = append(out, inc)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		full, err := s.incidentRow(ctx, s.r, `SELECT `+incidentColumns+` FROM crisis_incidents WHERE id = ?`, out[i].ID)
		if err != nil {
			return nil, err
		}
		out[i].CaseIDs = full.CaseIDs
	}
	return out, nil
}

// CrisisEventsOfKind returns the events of one kind across incidents,
// oldest first (the review's lessons, for the roadmap).
func (s *Store) CrisisEventsOfKind(ctx context.Context, kind string) ([]CrisisEvent, error) {
	return s.scanCrisisEvents(ctx, s.r, `SELECT incident_id, seq, at, recorded_at, actor, source, kind, data FROM crisis_events
		WHERE kind = ? ORDER BY at, incident_id, seq`, kind)
}

// RateVersion is the loaded hourly cost per tier in force from a time.
type RateVersion struct {
	ID            int64              `json:"id"`
	EffectiveFrom time.Time          `json:"effective_from"`
	Currency      string             `json:"currency,omitempty"`
	Rates         map[string]float64 `json:"rates"`
	Sources       []string           `json:"sources,omitempty"`
}

// RateVersions returns the rate versions, oldest first.
func (s *Store) RateVersions(ctx context.Context) ([]RateVersion, error) {
	return s.rateVersions(ctx, s.r)
}

func (s *Store) rateVersions(ctx context.Context, q queryer) ([]RateVersion, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, effective_from, currency, rates, sources FROM crisis_rates ORDER BY effective_from, id`)
	if err != nil {
		return nil, fmt.Errorf("reading rate versions: %w", err)
	}
	defer rows.Close()
	var out []RateVersion
	for rows.Next() {
		var v RateVersion
		var from int64
		var rates, sources string
		if err := rows.Scan(&v.ID, &from, &v.Currency, &rates, &sources); err != nil {
			return nil, fmt.Errorf("reading rate versions: %w", err)
		}
		v.EffectiveFrom = time.UnixMicro(from).UTC()
		if err := json.Unmarshal([]byte(rates), &v.Rates); err != nil {
			return nil, fmt.Errorf("rate version %d: %w", v.ID, err)
		}
		if sources != "" {
			json.Unmarshal([]byte(sources), &v.Sources)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// AddRateVersion records v unless the newest version already has the same
// currency and rates; it reports whether it wrote one.
func (s *Store) AddRateVersion(ctx context.Context, v RateVersion) (bool, error) {
	added := false
	err := s.recordWrite(ctx, func(c dbConn) error {
		vs, err := s.rateVersions(ctx, c)
		if err != nil {
			return err
		}
		if n := len(vs); n > 0 && vs[n-1].Currency == v.Currency && maps.Equal(vs[n-1].Rates, v.Rates) {
			return nil
		}
		rates, _ := json.Marshal(v.Rates)
		sources, _ := json.Marshal(slices.Clip(v.Sources))
		if _, err := c.ExecContext(ctx, s.rebind(`INSERT INTO crisis_rates (effective_from, currency, rates, sources) VALUES (?, ?, ?, ?)`),
			v.EffectiveFrom.UnixMicro(), v.Currency, string(rates), string(sources)); err != nil {
			return fmt.Errorf("recording rate version: %w", err)
		}
		added = true
		return nil
	})
	return added, err
}
