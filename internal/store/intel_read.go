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

const indicatorColumns = `i.id, i.source, i.external_id, i.type, i.value, i.pattern, i.name, i.description, i.labels, i.confidence,
	i.tlp, i.valid_from, i.valid_until, i.revoked, i.detect, i.first_seen, i.last_seen, i.modified, i.ingested_at`

func scanIndicator(sc interface{ Scan(...any) error }, in *model.Indicator) error {
	var labels string
	var vf, vu, fs, ls, mod sql.NullInt64
	var ing int64
	var revoked, detect int
	if err := sc.Scan(&in.ID, &in.Source, &in.ExternalID, &in.Type, &in.Value, &in.Pattern, &in.Name, &in.Description, &labels,
		&in.Confidence, &in.TLP, &vf, &vu, &revoked, &detect, &fs, &ls, &mod, &ing); err != nil {
		return err
	}
	in.ValidFrom, in.ValidUntil, in.FirstSeen, in.LastSeen, in.Modified = fromMicros(vf), fromMicros(vu), fromMicros(fs), fromMicros(ls), fromMicros(mod)
	in.IngestedAt = time.UnixMicro(ing).UTC()
	in.Revoked, in.Detect = revoked == 1, detect == 1
	if labels != "" {
		if err := json.Unmarshal([]byte(labels), &in.Labels); err != nil {
			return fmt.Errorf("indicator %d labels: %w", in.ID, err)
		}
	}
	return nil
}

// Indicator reads one indicator with its observables.
func (s *Store) Indicator(ctx context.Context, id int64) (model.Indicator, error) {
	var in model.Indicator
	err := scanIndicator(s.r.QueryRowContext(ctx, s.rebind(`SELECT `+indicatorColumns+` FROM intel_indicators i WHERE i.id = ?`), id), &in)
	if errors.Is(err, sql.ErrNoRows) {
		return in, ErrNotFound
	}
	if err != nil {
		return in, fmt.Errorf("reading indicator %d: %w", id, err)
	}
	obs, err := s.indicatorObservables(ctx, []int64{id})
	in.Observables = obs[id]
	return in, err
}

// indicatorObservables reads the keys of indicators as observables.
func (s *Store) indicatorObservables(ctx context.Context, ids []int64) (map[int64][]model.IndicatorObservable, error) {
	out := make(map[int64][]model.IndicatorObservable, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT indicator_id, key FROM intel_indicator_keys WHERE indicator_id IN (`+
		placeholders(len(ids))+`) ORDER BY indicator_id, key`), args...)
	if err != nil {
		return nil, fmt.Errorf("reading indicator values: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			return nil, fmt.Errorf("reading indicator values: %w", err)
		}
		k, v, _ := strings.Cut(key, ":")
		out[id] = append(out[id], model.IndicatorObservable{Kind: k, Value: v})
	}
	return out, rows.Err()
}

// placeholders is "?, ?, …" n times.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// maxIDsPerSQL bounds the ids bound in one IN list, well under SQLite's
// and PostgreSQL's limits on bound parameters.
const maxIDsPerSQL = 500

// eachRowByIDs runs query for ids, maxIDsPerSQL at a time — query is given
// the IN list's placeholders — and calls scan with each row. what names
// the read in errors.
func (s *Store) eachRowByIDs(ctx context.Context, what string, ids []int64, query func(in string) string, scan func(*sql.Rows) error) error {
	for len(ids) > 0 {
		n := min(len(ids), maxIDsPerSQL)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		ids = ids[n:]
		rows, err := s.r.QueryContext(ctx, s.rebind(query(placeholders(n))), args...)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		for rows.Next() {
			if err := scan(rows); err != nil {
				rows.Close()
				return fmt.Errorf("%s: %w", what, err)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return nil
}

// IndicatorQuery selects indicators.
type IndicatorQuery struct {
	// Type keeps indicators with an observable of this kind.
	Type string
	// Source keeps one feed's indicators.
	Source string
	// Search keeps indicators whose value or name contains it
	// (case-insensitive), or that have it as a normalised key.
	Search string
	// Key keeps indicators with this exact normalised key.
	Key string
	// ActiveAt, when set, keeps only indicators that may match at that time.
	ActiveAt time.Time
	// AfterID pages: indicators with a lower id than this (newest first).
	AfterID int64
	Limit   int
}

// IndicatorRow is an indicator in a list, with the alerts it matched.
type IndicatorRow struct {
	model.Indicator
	MatchedAlerts int64 `json:"matched_alerts"`
}

// ListIndicators lists indicators, newest first.
func (s *Store) ListIndicators(ctx context.Context, q IndicatorQuery) ([]IndicatorRow, error) {
	var where []string
	var args []any
	if q.Type != "" {
		where = append(where, `EXISTS (SELECT 1 FROM intel_indicator_keys k WHERE k.indicator_id = i.id AND k.key >= ? AND k.key < ?)`)
		args = append(args, q.Type+":", q.Type+";") // ';' follows ':'
	}
	if q.Source != "" {
		where = append(where, `i.source = ?`)
		args = append(args, q.Source)
	}
	if q.Key != "" {
		where = append(where, `EXISTS (SELECT 1 FROM intel_indicator_keys k WHERE k.indicator_id = i.id AND k.key = ?)`)
		args = append(args, q.Key)
	}
	if q.Search != "" {
		like := "%" + likeEscape(strings.ToLower(q.Search)) + "%"
		where = append(where, `(LOWER(i.value) LIKE ? ESCAPE '\' OR LOWER(i.name) LIKE ? ESCAPE '\')`)
		args = append(args, like, like)
	}
	if !q.ActiveAt.IsZero() {
		where = append(where, `i.detect = 1 AND i.revoked = 0 AND (i.valid_until IS NULL OR i.valid_until > ?)`)
		args = append(args, q.ActiveAt.UnixMicro())
	}
	if q.AfterID > 0 {
		where = append(where, `i.id < ?`)
		args = append(args, q.AfterID)
	}
	sqlq := `SELECT ` + indicatorColumns + `, (SELECT COUNT(DISTINCT m.alert_id) FROM intel_matches m WHERE m.indicator_id = i.id)
		FROM intel_indicators i`
	if len(where) > 0 {
		sqlq += ` WHERE ` + strings.Join(where, ` AND `)
	}
	sqlq += ` ORDER BY i.id DESC`
	if q.Limit > 0 {
		sqlq += ` LIMIT ?`
		args = append(args, q.Limit)
	}
	rows, err := s.r.QueryContext(ctx, s.rebind(sqlq), args...)
	if err != nil {
		return nil, fmt.Errorf("listing indicators: %w", err)
	}
	var out []IndicatorRow
	var ids []int64
	for rows.Next() {
		var r IndicatorRow
		var scanErr error
		err := scanIndicator(scanFunc(func(dst ...any) error {
			scanErr = rows.Scan(append(dst, &r.MatchedAlerts)...)
			return scanErr
		}), &r.Indicator)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("listing indicators: %w", err)
		}
		out = append(out, r)
		ids = append(ids, r.ID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing indicators: %w", err)
	}
	obs, err := s.indicatorObservables(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Observables = obs[out[i].ID]
	}
	return out, nil
}

// scanFunc adapts a function to the Scan method.
type scanFunc func(dst ...any) error

func (f scanFunc) Scan(dst ...any) error { return f(dst...) }

// likeEscape escapes LIKE's wildcards with a backslash.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// MatchQuery selects matches, grouped by indicator.
type MatchQuery struct {
	// Since and Until bound the alerts' times (the match's last seen), or
	// with ByFound when Watchfloor found the match.
	Since, Until time.Time
	ByFound      bool
	// Type keeps indicators of this type.
	Type string
	// MinConfidence keeps indicators with at least this confidence (0
	// keeps all, unknown confidence included).
	MinConfidence int
	// Source keeps one feed's indicators.
	Source string
	// IndicatorID keeps one indicator.
	IndicatorID int64
	// IncludeRevoked also lists matches of indicators revoked since.
	IncludeRevoked bool
	Offset, Limit  int
	// After, when set, starts the list after this row of an earlier page
	// (keyset paging, most recently seen first), so matches stored between
	// pages neither repeat nor hide others; Offset is then ignored.
	After *MatchCursor
	// Detail is how many alert ids, assets and observables each indicator
	// lists (newest first); 5 when 0.
	Detail int
}

// MatchCursor is a row's position in IntelMatches' order: its newest
// match's last seen time and its indicator's id.
type MatchCursor struct {
	LastSeen    time.Time
	IndicatorID int64
}

// IndicatorMatches is one indicator and what it matched in the window.
type IndicatorMatches struct {
	Indicator model.Indicator `json:"indicator"`
	// Alerts is the number of distinct alerts; Count the entities that
	// carried the indicator across them.
	Alerts    int64     `json:"alert_count"`
	Count     int64     `json:"entity_count"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// FirstFound is when Watchfloor first found one of the matches;
	// RetroHunt whether a retro-hunt found any.
	FirstFound time.Time `json:"first_found"`
	RetroHunt  bool      `json:"found_by_retro_hunt"`
	// AlertIDs are the newest matched alerts' ids; Observables the values
	// the alerts carried; Assets the hosts and users beside them.
	AlertIDs    []int64        `json:"alert_ids"`
	Observables []string       `json:"observables"`
	Assets      []model.Entity `json:"assets"`
}

func (q MatchQuery) where() (string, []any) {
	col := "m.last_seen"
	if q.ByFound {
		col = "m.matched_at"
	}
	w := []string{"1 = 1"}
	var args []any
	if !q.Since.IsZero() {
		w = append(w, col+" >= ?")
		args = append(args, q.Since.UnixMicro())
	}
	if !q.Until.IsZero() {
		w = append(w, col+" < ?")
		args = append(args, q.Until.UnixMicro())
	}
	if q.Type != "" {
		w = append(w, "i.type = ?")
		args = append(args, q.Type)
	}
	if q.MinConfidence > 0 {
		w = append(w, "i.confidence >= ?")
		args = append(args, q.MinConfidence)
	}
	if q.Source != "" {
		w = append(w, "i.source = ?")
		args = append(args, q.Source)
	}
	if q.IndicatorID > 0 {
		w = append(w, "i.id = ?")
		args = append(args, q.IndicatorID)
	}
	if !q.IncludeRevoked {
		w = append(w, "i.revoked = 0")
	}
	return strings.Join(w, " AND "), args
}

// IntelMatches lists the indicators that matched alerts, most recently
// seen first, with the number of indicators in total.
func (s *Store) IntelMatches(ctx context.Context, q MatchQuery) ([]IndicatorMatches, int64, error) {
	where, args := q.where()
	from := ` FROM intel_matches m JOIN intel_indicators i ON i.id = m.indicator_id WHERE ` + where
	var total int64
	if err := s.r.QueryRowContext(ctx, s.rebind(`SELECT COUNT(DISTINCT m.indicator_id)`+from), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("counting matches: %w", err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	having, offset := "", q.Offset
	qargs := append([]any{MatchedRetroHunt}, args...)
	if q.After != nil {
		last := q.After.LastSeen.UnixMicro()
		having, offset = ` HAVING (COALESCE(MAX(m.last_seen), 0) < ? OR (COALESCE(MAX(m.last_seen), 0) = ? AND m.indicator_id < ?))`, 0
		qargs = append(qargs, last, last, q.After.IndicatorID)
	}
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT m.indicator_id, COUNT(DISTINCT m.alert_id), SUM(m.count), MIN(m.first_seen),
			MAX(m.last_seen), MIN(m.matched_at), MAX(CASE WHEN m.via = ? THEN 1 ELSE 0 END)`+from+`
		GROUP BY m.indicator_id`+having+` ORDER BY MAX(m.last_seen) DESC, m.indicator_id DESC LIMIT ? OFFSET ?`),
		append(qargs, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("listing matches: %w", err)
	}
	var out []IndicatorMatches
	for rows.Next() {
		var im IndicatorMatches
		var first, last sql.NullInt64
		var found int64
		var retro int
		if err := rows.Scan(&im.Indicator.ID, &im.Alerts, &im.Count, &first, &last, &found, &retro); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("listing matches: %w", err)
		}
		im.FirstSeen, im.LastSeen, im.FirstFound, im.RetroHunt = fromMicros(first), fromMicros(last), time.UnixMicro(found).UTC(), retro == 1
		out = append(out, im)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("listing matches: %w", err)
	}
	detail := q.Detail
	if detail <= 0 {
		detail = 5
	}
	for i := range out {
		if err := s.matchDetail(ctx, q, &out[i], detail); err != nil {
			return nil, 0, err
		}
	}
	return out, total, nil
}

// matchDetail fills an indicator's row: the indicator and its newest
// matches' alerts, observables and assets.
func (s *Store) matchDetail(ctx context.Context, q MatchQuery, im *IndicatorMatches, detail int) error {
	in, err := s.Indicator(ctx, im.Indicator.ID)
	if err != nil {
		return err
	}
	im.Indicator = in
	q.IndicatorID = in.ID
	where, args := q.where()
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT m.alert_id, m.observable, m.assets FROM intel_matches m
		JOIN intel_indicators i ON i.id = m.indicator_id WHERE `+where+` ORDER BY m.last_seen DESC, m.alert_id DESC LIMIT ?`),
		append(args, 20*detail)...)
	if err != nil {
		return fmt.Errorf("reading matches of indicator %d: %w", in.ID, err)
	}
	defer rows.Close()
	seenAlert, seenObs, seenAsset := map[int64]bool{}, map[string]bool{}, map[model.Entity]bool{}
	im.AlertIDs, im.Observables, im.Assets = []int64{}, []string{}, []model.Entity{}
	for rows.Next() {
		var id int64
		var obs, assets string
		if err := rows.Scan(&id, &obs, &assets); err != nil {
			return fmt.Errorf("reading matches of indicator %d: %w", in.ID, err)
		}
		if !seenAlert[id] && len(im.AlertIDs) < detail {
			seenAlert[id] = true
			im.AlertIDs = append(im.AlertIDs, id)
		}
		if !seenObs[obs] && len(im.Observables) < detail {
			seenObs[obs] = true
			im.Observables = append(im.Observables, obs)
		}
		if assets == "" {
			continue
		}
		var es []model.Entity
		if err := json.Unmarshal([]byte(assets), &es); err != nil {
			return fmt.Errorf("match of indicator %d in alert %d: assets: %w", in.ID, id, err)
		}
		for _, e := range es {
			if !seenAsset[e] && len(im.Assets) < detail {
				seenAsset[e] = true
				im.Assets = append(im.Assets, e)
			}
		}
	}
	return rows.Err()
}

// MatchPair is one alert an indicator (not revoked) matched.
type MatchPair struct {
	IndicatorExternalID string
	AlertID             int64
	LastSeen            time.Time
}

// MatchPairs lists the indicators' matches last seen at or after since, as
// threat-profile activity reads them.
func (s *Store) MatchPairs(ctx context.Context, since time.Time) ([]MatchPair, error) {
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT i.external_id, m.alert_id, m.last_seen
		FROM intel_matches m JOIN intel_indicators i ON i.id = m.indicator_id
		WHERE m.last_seen >= ? AND i.revoked = 0 ORDER BY m.id`), since.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("reading indicator matches: %w", err)
	}
	defer rows.Close()
	var out []MatchPair
	for rows.Next() {
		var m MatchPair
		var last sql.NullInt64
		if err := rows.Scan(&m.IndicatorExternalID, &m.AlertID, &last); err != nil {
			return nil, fmt.Errorf("reading indicator matches: %w", err)
		}
		m.LastSeen = fromMicros(last)
		out = append(out, m)
	}
	return out, rows.Err()
}

// IntelSource is what one feed holds.
type IntelSource struct {
	Source string `json:"source"`
	// Indicators counts all; Active those that may match now; Expired,
	// Revoked and Context (not for detection) the others.
	Indicators int64 `json:"indicators"`
	Active     int64 `json:"active"`
	Expired    int64 `json:"expired"`
	Revoked    int64 `json:"revoked"`
	Context    int64 `json:"context_only"`
	// LastChanged is when an indicator of the feed last arrived or
	// changed; NewestModified the newest version the feed stated.
	LastChanged    time.Time `json:"last_changed"`
	NewestModified time.Time `json:"newest_modified"`
	// Unhunted are indicators waiting for a retro-hunt.
	Unhunted int64 `json:"unhunted"`
}

// IntelSources summarises the indicators of each feed, judged at now.
func (s *Store) IntelSources(ctx context.Context, now time.Time) ([]IntelSource, error) {
	n := now.UnixMicro()
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT source, COUNT(*),
			SUM(CASE WHEN detect = 1 AND revoked = 0 AND (valid_until IS NULL OR valid_until > ?) THEN 1 ELSE 0 END),
			SUM(CASE WHEN revoked = 0 AND valid_until IS NOT NULL AND valid_until <= ? THEN 1 ELSE 0 END),
			SUM(CASE WHEN revoked = 1 THEN 1 ELSE 0 END),
			SUM(CASE WHEN detect = 0 AND revoked = 0 THEN 1 ELSE 0 END),
			MAX(changed_at), MAX(modified),
			SUM(CASE WHEN seq > (SELECT COALESCE(MAX(value), 0) FROM intel_meta WHERE name = ?) THEN 1 ELSE 0 END)
		FROM intel_indicators GROUP BY source ORDER BY source`), n, n, metaHuntedSeq)
	if err != nil {
		return nil, fmt.Errorf("summarising indicators: %w", err)
	}
	defer rows.Close()
	var out []IntelSource
	for rows.Next() {
		var x IntelSource
		var changed, mod sql.NullInt64
		if err := rows.Scan(&x.Source, &x.Indicators, &x.Active, &x.Expired, &x.Revoked, &x.Context, &changed, &mod, &x.Unhunted); err != nil {
			return nil, fmt.Errorf("summarising indicators: %w", err)
		}
		x.LastChanged, x.NewestModified = fromMicros(changed), fromMicros(mod)
		out = append(out, x)
	}
	return out, rows.Err()
}

// ThreatObjects reads every stored threat object.
func (s *Store) ThreatObjects(ctx context.Context) ([]model.ThreatObject, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, source, external_id, kind, name, aliases, description, country, victims, sectors,
		motivation, attack_ids, techniques, refs, first_seen, last_seen, modified, revoked FROM intel_threats ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("reading threat objects: %w", err)
	}
	defer rows.Close()
	var out []model.ThreatObject
	for rows.Next() {
		var t model.ThreatObject
		var aliases, victims, sectors, attackIDs, techs, refs string
		var fs, ls, mod sql.NullInt64
		var revoked int
		if err := rows.Scan(&t.ID, &t.Source, &t.ExternalID, &t.Kind, &t.Name, &aliases, &t.Description, &t.Country, &victims,
			&sectors, &t.Motivation, &attackIDs, &techs, &refs, &fs, &ls, &mod, &revoked); err != nil {
			return nil, fmt.Errorf("reading threat objects: %w", err)
		}
		for _, f := range []struct {
			text string
			dst  *[]string
		}{{aliases, &t.Aliases}, {victims, &t.Victims}, {sectors, &t.Sectors}, {attackIDs, &t.AttackIDs}, {techs, &t.Techniques}, {refs, &t.Refs}} {
			if f.text == "" {
				continue
			}
			if err := json.Unmarshal([]byte(f.text), f.dst); err != nil {
				return nil, fmt.Errorf("threat object %s/%s: %w", t.Source, t.ExternalID, err)
			}
		}
		t.FirstSeen, t.LastSeen, t.Modified, t.Revoked = fromMicros(fs), fromMicros(ls), fromMicros(mod), revoked == 1
		out = append(out, t)
	}
	return out, rows.Err()
}

// IntelRelations reads every stored relationship that is not revoked.
func (s *Store) IntelRelations(ctx context.Context) ([]model.IntelRelation, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT source, external_id, type, from_ref, to_ref, modified FROM intel_relations
		WHERE revoked = 0 ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("reading relationships: %w", err)
	}
	defer rows.Close()
	var out []model.IntelRelation
	for rows.Next() {
		var r model.IntelRelation
		var mod sql.NullInt64
		if err := rows.Scan(&r.Source, &r.ExternalID, &r.Type, &r.From, &r.To, &mod); err != nil {
			return nil, fmt.Errorf("reading relationships: %w", err)
		}
		r.Modified = fromMicros(mod)
		out = append(out, r)
	}
	return out, rows.Err()
}

// AlertKeys returns the source and external id of stored alerts by id;
// ids not stored are left out.
func (s *Store) AlertKeys(ctx context.Context, ids []int64) (map[int64][2]string, error) {
	out := make(map[int64][2]string, len(ids))
	err := s.eachRowByIDs(ctx, "reading alert ids", ids,
		func(in string) string { return `SELECT id, source, external_id FROM alerts WHERE id IN (` + in + `)` },
		func(rows *sql.Rows) error {
			var id int64
			var k [2]string
			if err := rows.Scan(&id, &k[0], &k[1]); err != nil {
				return err
			}
			out[id] = k
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}
