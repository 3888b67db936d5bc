package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/sla"
)

// Batch is a set of records written in one transaction. Within a batch,
// reference data is written first, then cases, alerts and case events, each
// in the order given.
type Batch struct {
	Teams    []model.Team
	Shifts   []model.Shift
	Analysts []model.Analyst
	Rules    []model.Rule
	SLA      []model.SLAPolicy
	Findings []model.Finding
	Cases    []model.Case
	Alerts   []model.Alert
	Events   []model.CaseEvent
}

// Len is the number of records in the batch.
func (b *Batch) Len() int {
	return len(b.Teams) + len(b.Shifts) + len(b.Analysts) + len(b.Rules) + len(b.SLA) +
		len(b.Findings) + len(b.Cases) + len(b.Alerts) + len(b.Events)
}

// Reset empties the batch, keeping its capacity.
func (b *Batch) Reset() {
	*b = Batch{
		Teams: b.Teams[:0], Shifts: b.Shifts[:0], Analysts: b.Analysts[:0], Rules: b.Rules[:0],
		SLA: b.SLA[:0], Findings: b.Findings[:0], Cases: b.Cases[:0], Alerts: b.Alerts[:0], Events: b.Events[:0],
	}
}

// Kind names a record type in results.
type Kind string

// The record kinds.
const (
	KindAlert   Kind = "alert"
	KindCase    Kind = "case"
	KindEvent   Kind = "case_event"
	KindAnalyst Kind = "analyst"
	KindRule    Kind = "rule"
	KindFinding Kind = "finding"
	KindTeam    Kind = "team"
	KindShift   Kind = "shift"
	KindSLA     Kind = "sla_policy"
)

// Reject is a record of a batch the store refused, by kind and index.
type Reject struct {
	Kind  Kind
	Index int
	Err   error
}

// Result counts what a batch changed.
type Result struct {
	Inserted  map[Kind]int // new records
	Updated   map[Kind]int // existing records that changed
	Unchanged map[Kind]int // records already stored as given
	Events    int          // case events appended, derived ones included
	Rejects   []Reject
}

func newResult() Result {
	return Result{Inserted: map[Kind]int{}, Updated: map[Kind]int{}, Unchanged: map[Kind]int{}}
}

// Add accumulates another result into r.
func (r *Result) Add(o Result) {
	if r.Inserted == nil {
		*r = newResult()
	}
	for k, v := range o.Inserted {
		r.Inserted[k] += v
	}
	for k, v := range o.Updated {
		r.Updated[k] += v
	}
	for k, v := range o.Unchanged {
		r.Unchanged[k] += v
	}
	r.Events += o.Events
	r.Rejects = append(r.Rejects, o.Rejects...)
}

// Apply writes a batch in one transaction. Records that cannot be stored are
// returned as rejects and the rest is written; an error means nothing was.
func (s *Store) Apply(ctx context.Context, b *Batch) (Result, error) {
	res, err := s.write(ctx, func(a *applier) error { return a.run(b) })
	if err != nil {
		return newResult(), err
	}
	return res, nil
}

// dbConn is what a write goes through: a transaction on PostgreSQL, SQLite's
// writer connection with its statement cache inside BEGIN ... COMMIT.
type dbConn interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

type caseKey struct{ source, extID string }

type applier struct {
	s       *Store
	tx      dbConn
	ctx     context.Context
	now     time.Time
	res     *Result
	caseIDs map[caseKey]int64
	// touched cases whose projection must be recomputed from the full log.
	replay map[int64]bool
	// touched cases whose KPI facts must be recomputed, and the quarter hours
	// of alerts written, whose days' rollups are now stale.
	touched   map[int64]bool
	alertDays map[int64]bool
	// KPI context, loaded on first need: time zone and SLA policies.
	kpiLoaded bool
	tz        *time.Location
	eval      sla.Evaluator
}

func (a *applier) exec(q string, args ...any) (sql.Result, error) {
	return a.tx.ExecContext(a.ctx, a.s.rebind(q), args...)
}

func (a *applier) query(q string, args ...any) (*sql.Rows, error) {
	return a.tx.QueryContext(a.ctx, a.s.rebind(q), args...)
}

func (a *applier) queryRow(q string, args ...any) *sql.Row {
	return a.tx.QueryRowContext(a.ctx, a.s.rebind(q), args...)
}

func (a *applier) reject(k Kind, i int, format string, args ...any) {
	a.res.Rejects = append(a.res.Rejects, Reject{Kind: k, Index: i, Err: fmt.Errorf(format, args...)})
}

func (a *applier) run(b *Batch) error {
	a.replay = map[int64]bool{}
	steps := []func(*Batch) error{
		a.teams, a.shifts, a.analysts, a.rules, a.slaPolicies, a.findings, a.cases, a.alerts, a.events,
	}
	for _, step := range steps {
		if err := step(b); err != nil {
			return err
		}
	}
	ids := make([]int64, 0, len(a.replay))
	for id := range a.replay {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		if err := a.reproject(id); err != nil {
			return err
		}
	}
	if err := a.queueFacts(); err != nil {
		return err
	}
	return a.markAlertDays()
}

func jsonText(v any) string {
	switch x := v.(type) {
	case []string:
		if len(x) == 0 {
			return ""
		}
	case []model.Entity:
		if len(x) == 0 {
			return ""
		}
	case map[string]string:
		if len(x) == 0 {
			return ""
		}
	case []model.Skill:
		if len(x) == 0 {
			return ""
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

func (a *applier) teams(b *Batch) error {
	for i, t := range b.Teams {
		if t.Name == "" {
			a.reject(KindTeam, i, "team has no name")
			continue
		}
		r, err := a.exec(`INSERT INTO teams (name, lead) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET lead = excluded.lead WHERE teams.lead <> excluded.lead`, t.Name, t.Lead)
		if err != nil {
			return fmt.Errorf("storing team %q: %w", t.Name, err)
		}
		a.count(KindTeam, r)
	}
	return nil
}

// count records an upsert whose conflict clause only writes changed rows.
func (a *applier) count(k Kind, r sql.Result) {
	if n, _ := r.RowsAffected(); n > 0 {
		a.res.Inserted[k]++ // new or changed; reference data keeps no history
		return
	}
	a.res.Unchanged[k]++
}

func (a *applier) shifts(b *Batch) error {
	for i, sh := range b.Shifts {
		if sh.Name == "" || sh.Start == "" || sh.Duration <= 0 {
			a.reject(KindShift, i, "shift needs a name, a start time and a positive duration")
			continue
		}
		if _, err := time.Parse("15:04", sh.Start); err != nil {
			a.reject(KindShift, i, "shift %q: start %q is not HH:MM", sh.Name, sh.Start)
			continue
		}
		days := jsonText(sh.Days)
		r, err := a.exec(`INSERT INTO shifts (name, start, duration_s, days, time_zone) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET start = excluded.start, duration_s = excluded.duration_s, days = excluded.days, time_zone = excluded.time_zone
			WHERE shifts.start <> excluded.start OR shifts.duration_s <> excluded.duration_s OR shifts.days <> excluded.days OR shifts.time_zone <> excluded.time_zone`,
			sh.Name, sh.Start, int64(sh.Duration/time.Second), days, sh.TimeZone)
		if err != nil {
			return fmt.Errorf("storing shift %q: %w", sh.Name, err)
		}
		a.count(KindShift, r)
		if n, _ := r.RowsAffected(); n > 0 {
			// Cases are grouped by the shift on duty when they were
			// created: every day's rollup changes with the shifts.
			if err := a.loadKPIContext(); err != nil {
				return err
			}
			if err := a.markAllDays(RollupCases); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *applier) analysts(b *Batch) error {
	for i, an := range b.Analysts {
		if an.ExternalID == "" {
			a.reject(KindAnalyst, i, "analyst has no external_id")
			continue
		}
		r, err := a.exec(`INSERT INTO analysts (external_id, name, email, tier, role, team, shift, skills, certifications, active, hourly_cost)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (external_id) DO UPDATE SET name = excluded.name, email = excluded.email, tier = excluded.tier,
				role = excluded.role, team = excluded.team, shift = excluded.shift, skills = excluded.skills,
				certifications = excluded.certifications, active = excluded.active, hourly_cost = excluded.hourly_cost
			WHERE analysts.name <> excluded.name OR analysts.email <> excluded.email OR analysts.tier <> excluded.tier
				OR analysts.role <> excluded.role OR analysts.team <> excluded.team OR analysts.shift <> excluded.shift
				OR analysts.skills <> excluded.skills OR analysts.certifications <> excluded.certifications
				OR analysts.active <> excluded.active OR analysts.hourly_cost <> excluded.hourly_cost`,
			an.ExternalID, an.Name, an.Email, string(an.Tier), an.Role, an.Team, an.Shift,
			jsonText(an.Skills), jsonText(an.Certifications), boolInt(an.Active), an.HourlyCost)
		if err != nil {
			return fmt.Errorf("storing analyst %q: %w", an.ExternalID, err)
		}
		a.count(KindAnalyst, r)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (a *applier) rules(b *Batch) error {
	for i, ru := range b.Rules {
		if ru.Source == "" || ru.ExternalID == "" {
			a.reject(KindRule, i, "rule needs a source and an external_id")
			continue
		}
		r, err := a.exec(`INSERT INTO rules (source, external_id, name, description, severity, techniques, tactics, enabled, author)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (source, external_id) DO UPDATE SET name = excluded.name, description = excluded.description,
				severity = excluded.severity, techniques = excluded.techniques, tactics = excluded.tactics,
				enabled = excluded.enabled, author = excluded.author
			WHERE rules.name <> excluded.name OR rules.description <> excluded.description OR rules.severity <> excluded.severity
				OR rules.techniques <> excluded.techniques OR rules.tactics <> excluded.tactics
				OR rules.enabled <> excluded.enabled OR rules.author <> excluded.author`,
			ru.Source, ru.ExternalID, ru.Name, ru.Description, int(ru.Severity), jsonText(ru.Techniques),
			jsonText(ru.Tactics), boolInt(ru.Enabled), ru.Author)
		if err != nil {
			return fmt.Errorf("storing rule %s/%s: %w", ru.Source, ru.ExternalID, err)
		}
		a.count(KindRule, r)
	}
	return nil
}

func (a *applier) slaPolicies(b *Batch) error {
	for i, p := range b.SLA {
		if err := sla.Validate(p); err != nil {
			a.reject(KindSLA, i, "SLA policy %q version %d: %v", p.Name, p.Version, err)
			continue
		}
		var cal string
		if p.Calendar != nil {
			cal = jsonText(p.Calendar)
		}
		// Versions are immutable: a stored version is never rewritten.
		r, err := a.exec(`INSERT INTO sla_policies (name, version, effective_from, targets, pause_statuses, calendar)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name, version) DO NOTHING`,
			p.Name, p.Version, p.EffectiveFrom.UnixMicro(), jsonText(p.Targets), jsonText(p.PauseStatuses), cal)
		if err != nil {
			return fmt.Errorf("storing SLA policy %s v%d: %w", p.Name, p.Version, err)
		}
		a.count(KindSLA, r)
		if n, _ := r.RowsAffected(); n > 0 {
			// Every case's SLA outcome may change with a new version.
			if err := a.queueAllFacts(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *applier) findings(b *Batch) error {
	for i, f := range b.Findings {
		if f.Source == "" || f.ExternalID == "" {
			a.reject(KindFinding, i, "finding needs a source and an external_id")
			continue
		}
		if f.Class != model.FindingVulnerability && f.Class != model.FindingCompliance {
			a.reject(KindFinding, i, "finding %s: unknown class %q", f.ExternalID, f.Class)
			continue
		}
		ingested := f.IngestedAt
		if ingested.IsZero() {
			ingested = a.now
		}
		r, err := a.exec(`INSERT INTO findings (source, external_id, class, title, description, severity, status, category,
				resource_name, resource_type, remediation, cves, cvss, first_seen_at, last_seen_at, created_at, ingested_at, raw)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (source, external_id) DO UPDATE SET class = excluded.class, title = excluded.title,
				description = excluded.description, severity = excluded.severity, status = excluded.status,
				category = excluded.category, resource_name = excluded.resource_name, resource_type = excluded.resource_type,
				remediation = excluded.remediation, cves = excluded.cves, cvss = excluded.cvss,
				first_seen_at = excluded.first_seen_at, last_seen_at = excluded.last_seen_at, raw = excluded.raw
			WHERE findings.raw <> excluded.raw OR findings.status <> excluded.status OR findings.severity <> excluded.severity`,
			f.Source, f.ExternalID, string(f.Class), f.Title, f.Description, int(f.Severity), f.Status, f.Category,
			f.ResourceName, f.ResourceType, f.Remediation, jsonText(f.CVEs), f.CVSS, micros(f.FirstSeenAt),
			micros(f.LastSeenAt), micros(f.CreatedAt), ingested.UnixMicro(), string(f.Raw))
		if err != nil {
			return fmt.Errorf("storing finding %s/%s: %w", f.Source, f.ExternalID, err)
		}
		a.count(KindFinding, r)
	}
	return nil
}

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

// eventKey is the deduplication key of an event: its source id, or a digest
// of its content when the source gives none.
func eventKey(e *model.CaseEvent) string {
	if e.ExternalID != "" {
		return "x:" + e.ExternalID
	}
	h := sha256.New()
	for _, part := range []string{string(e.Kind), strconv.FormatInt(e.At.UnixMicro(), 10), e.Actor, e.Old, e.New} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return "h:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// insertEvents appends events to one case's log, skipping those already
// there, and returns the ones written.
func (a *applier) insertEvents(caseID int64, evs []model.CaseEvent) ([]model.CaseEvent, error) {
	// Keys first, so an event repeated within the batch is sent once.
	type keyed struct {
		key string
		e   *model.CaseEvent
	}
	seen := make(map[string]bool, len(evs))
	uniq := make([]keyed, 0, len(evs))
	for i := range evs {
		k := eventKey(&evs[i])
		if !seen[k] {
			seen[k] = true
			uniq = append(uniq, keyed{k, &evs[i]})
		}
	}
	var out []model.CaseEvent
	for _, n := range chunkSizes(len(uniq), 128) {
		chunk := uniq[:n]
		uniq = uniq[n:]
		byKey := make(map[string]*model.CaseEvent, n)
		args := make([]any, 0, n*9)
		for _, k := range chunk {
			e := k.e
			byKey[k.key] = e
			ing := e.IngestedAt
			if ing.IsZero() {
				ing = a.now
			}
			args = append(args, caseID, k.key, e.At.UnixMicro(), e.Actor, e.Source, string(e.Kind), e.Old, e.New, ing.UnixMicro())
		}
		rows, err := a.query(multiRowSQL(`INSERT INTO case_events (case_id, dedup_key, at, actor, source, kind, old, new, ingested_at) VALUES `,
			"(?, ?, ?, ?, ?, ?, ?, ?, ?)", n, ` ON CONFLICT (case_id, dedup_key) DO NOTHING RETURNING id, dedup_key`), args...)
		if err != nil {
			return nil, fmt.Errorf("appending events to case %d: %w", caseID, err)
		}
		for rows.Next() {
			var id int64
			var key string
			if err := rows.Scan(&id, &key); err != nil {
				rows.Close()
				return nil, fmt.Errorf("appending events to case %d: %w", caseID, err)
			}
			e := *byKey[key]
			e.ID, e.CaseID = id, caseID
			out = append(out, e)
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("appending events to case %d: %w", caseID, err)
		}
	}
	a.res.Events += len(out)
	if len(out) > 0 {
		if a.touched == nil {
			a.touched = map[int64]bool{}
		}
		a.touched[caseID] = true
	}
	return out, nil
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
	if tags != "" {
		json.Unmarshal([]byte(tags), &c.Tags)
	}
	if attrs != "" {
		json.Unmarshal([]byte(attrs), &c.Attributes)
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
		if _, err := a.exec(`UPDATE alerts SET case_ext_id = ? WHERE source = ? AND external_id = ? AND case_ext_id = ''`,
			c.ExternalID, c.Source, ext); err != nil {
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

// appendAndProject appends events to a case and brings its projection up to
// date.
func (a *applier) appendAndProject(id int64, evs []model.CaseEvent) error {
	if len(evs) == 0 {
		return nil
	}
	written, err := a.insertEvents(id, evs)
	if err != nil || len(written) == 0 {
		return err
	}
	if a.replay[id] {
		return nil
	}
	sc, err := a.lockCase(id)
	if err != nil {
		return err
	}
	return a.applyEvents(&sc, written)
}

// applyEvents folds newly written events into a stored projection, or marks
// the case for a full replay when an event is older than the log's newest.
func (a *applier) applyEvents(sc *storedCase, written []model.CaseEvent) error {
	if len(written) == 0 || a.replay[sc.id] {
		return nil
	}
	for _, e := range written {
		if e.At.Before(sc.c.LastEventAt) {
			a.replay[sc.id] = true
			return nil
		}
	}
	sort.SliceStable(written, func(i, j int) bool { return written[i].At.Before(written[j].At) })
	state := model.StateOf(&sc.c)
	for _, e := range written {
		state.Apply(e)
	}
	return a.saveProjection(sc.id, &state)
}

func (a *applier) saveProjection(id int64, st *model.CaseState) error {
	_, err := a.exec(`UPDATE cases SET title = ?, status = ?, stage = ?, priority = ?, severity = ?, assignee = ?, team = ?,
			disposition = ?, acknowledged_at = ?, contained_at = ?, resolved_at = ?, closed_at = ?, reopen_count = ?,
			last_event_at = ? WHERE id = ?`,
		st.Title, st.Status, string(st.Stage), int(st.Priority), int(st.Severity), st.Assignee, st.Team,
		string(st.Disposition), micros(st.AcknowledgedAt), micros(st.ContainedAt), micros(st.ResolvedAt),
		micros(st.ClosedAt), st.ReopenCount, micros(st.LastEventAt), id)
	if err != nil {
		return fmt.Errorf("projecting case %d: %w", id, err)
	}
	return nil
}

// reproject recomputes a case's projection from its whole log.
func (a *applier) reproject(id int64) error {
	evs, err := caseEvents(a.ctx, a.tx, a.s, id)
	if err != nil {
		return err
	}
	var st model.CaseState
	for _, e := range evs {
		st.Apply(e)
	}
	return a.saveProjection(id, &st)
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// caseEvents reads a case's log in replay order: by time, then id.
func caseEvents(ctx context.Context, q querier, s *Store, caseID int64) ([]model.CaseEvent, error) {
	rows, err := q.QueryContext(ctx, s.rebind(`SELECT id, case_id, dedup_key, at, actor, source, kind, old, new, ingested_at
		FROM case_events WHERE case_id = ? ORDER BY at, id`), caseID)
	if err != nil {
		return nil, fmt.Errorf("reading events of case %d: %w", caseID, err)
	}
	defer rows.Close()
	var out []model.CaseEvent
	for rows.Next() {
		var e model.CaseEvent
		var at, ing int64
		var key, kind string
		if err := rows.Scan(&e.ID, &e.CaseID, &key, &at, &e.Actor, &e.Source, &kind, &e.Old, &e.New, &ing); err != nil {
			return nil, fmt.Errorf("reading events of case %d: %w", caseID, err)
		}
		e.At, e.IngestedAt, e.Kind = time.UnixMicro(at).UTC(), time.UnixMicro(ing).UTC(), model.EventKind(kind)
		if strings.HasPrefix(key, "x:") {
			e.ExternalID = key[2:]
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (a *applier) events(b *Batch) error {
	type group struct {
		evs []model.CaseEvent
	}
	groups := map[int64]*group{}
	var order []int64
	// Stage events given explicitly, so no second one is derived for them.
	explicitStage := map[[2]int64]bool{}
	ids := make([]int64, len(b.Events))
	for i := range b.Events {
		e := &b.Events[i]
		id := e.CaseID
		if id == 0 {
			src := e.CaseSource
			if src == "" {
				src = e.Source
			}
			if e.CaseExternalID == "" {
				a.reject(KindEvent, i, "event names no case (case_id or case_external_id)")
				continue
			}
			var err error
			if id, err = a.caseID(src, e.CaseExternalID); err != nil {
				return err
			}
			if id == 0 {
				a.reject(KindEvent, i, "event refers to unknown case %s/%s", src, e.CaseExternalID)
				continue
			}
		}
		if !e.Kind.Valid() {
			a.reject(KindEvent, i, "unknown event kind %q", e.Kind)
			continue
		}
		if e.At.IsZero() {
			a.reject(KindEvent, i, "%s event has no time", e.Kind)
			continue
		}
		switch e.Kind {
		case model.EventStage:
			if _, err := model.ParseStage(e.New); err != nil {
				a.reject(KindEvent, i, "stage event: %v", err)
				continue
			}
			explicitStage[[2]int64{id, e.At.UnixMicro()}] = true
		case model.EventPriority:
			if p, err := model.ParsePriority(e.New); err != nil || !p.Valid() {
				a.reject(KindEvent, i, "priority event: bad priority %q", e.New)
				continue
			}
		case model.EventDisposition:
			if _, err := model.ParseDisposition(e.New); err != nil {
				a.reject(KindEvent, i, "disposition event: %v", err)
				continue
			}
		}
		ids[i] = id
	}
	for i := range b.Events {
		id := ids[i]
		if id == 0 {
			continue
		}
		g := groups[id]
		if g == nil {
			g = &group{}
			groups[id] = g
			order = append(order, id)
		}
		e := b.Events[i]
		e.CaseID = id
		g.evs = append(g.evs, e)
	}
	// Cases are locked in id order, so concurrent writers meet in the same
	// order (write retries the rare deadlock that remains).
	sort.Slice(order, func(i, j int) bool { return order[i] < order[j] })
	for _, id := range order {
		g := groups[id]
		var sc *storedCase
		if !a.replay[id] {
			c, err := a.lockCase(id)
			if err != nil {
				return err
			}
			sc = &c
		}
		evs, err := a.deriveStages(id, g.evs, sc, explicitStage)
		if err != nil {
			return err
		}
		written, err := a.insertEvents(id, evs)
		if err != nil {
			return err
		}
		if sc != nil {
			if err := a.applyEvents(sc, written); err != nil {
				return err
			}
		}
	}
	return nil
}

// deriveStages returns a case's new events in time order, each status event
// followed by the stage event it implies when the source gave none at that
// time and the stage changes. A status change that keeps the stage (Active
// to Awaiting User Info, say) derives nothing.
//
// When the new events all follow the stored log, the stage in force comes
// from the stored projection. When some are older, the whole log is walked
// with them: a late event can change what a stored status event implies
// (a late "resolved" before a stored status "Active" makes that status a
// reopen), so stored status events get their missing stage events too.
func (a *applier) deriveStages(id int64, evs []model.CaseEvent, sc *storedCase, explicit map[[2]int64]bool) ([]model.CaseEvent, error) {
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].At.Before(evs[j].At) })
	if sc != nil && (len(evs) == 0 || !evs[0].At.Before(sc.c.LastEventAt)) {
		return a.deriveFrom(sc.c.Stage, evs, evs, stageSet{batch: explicit, own: explicit}), nil
	}
	stored, err := caseEvents(a.ctx, a.tx, a.s, id)
	if err != nil {
		return nil, err
	}
	// Stored events first at equal times: they were there before.
	all := append(stored, evs...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].At.Before(all[j].At) })
	// This case's stored stage events join the batch's explicit ones in a
	// map of its own: copying the batch's map for every case made a batch
	// quadratic (5,000 cases with 25,000 stage events: 1M cases took 37
	// minutes to store).
	own := map[[2]int64]bool{}
	for _, e := range stored {
		if e.Kind == model.EventStage {
			own[[2]int64{id, e.At.UnixMicro()}] = true
		}
	}
	for i := range all {
		all[i].CaseID = id
	}
	return a.deriveFrom("", all, evs, stageSet{batch: explicit, own: own}), nil
}

// stageSet is the (case id, time) of the stage events known while stages
// are derived: the batch's explicit ones and those of one case; additions
// go to own.
type stageSet struct {
	batch, own map[[2]int64]bool
}

func (s stageSet) has(k [2]int64) bool { return s.own[k] || s.batch[k] }

// deriveFrom walks events in time order from a starting stage and returns
// out (the events to write) with the stage events that status changes imply
// where no stage event is dated at the same time.
func (a *applier) deriveFrom(running model.Stage, walk, out []model.CaseEvent, stages stageSet) []model.CaseEvent {
	res := make([]model.CaseEvent, 0, len(out)+len(out)/2)
	res = append(res, out...)
	for _, e := range walk {
		switch e.Kind {
		case model.EventCreated:
			if running == "" {
				running = model.StageNew // as the projection does
			}
		case model.EventStage:
			running = model.Stage(e.New)
		case model.EventStatus:
			st, ok := a.s.Statuses.Stage(e.New)
			k := [2]int64{e.CaseID, e.At.UnixMicro()}
			if !ok || st == running || stages.has(k) {
				continue
			}
			d := e
			d.ID, d.Kind, d.Old, d.New = 0, model.EventStage, string(running), string(st)
			d.ExternalID = ""
			if e.ExternalID != "" {
				d.ExternalID = e.ExternalID + "/stage"
			}
			res = append(res, d)
			stages.own[k] = true
			running = st
		}
	}
	sort.SliceStable(res, func(i, j int) bool { return res[i].At.Before(res[j].At) })
	return res
}
