package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// The threat-intelligence record kinds.
const (
	KindIndicator Kind = "indicator"
	KindThreat    Kind = "threat"
	KindRelation  Kind = "relation"
)

// Change counters in intel_meta: each write transaction that changes
// indicators (or threat objects and relations) adds one, so readers that
// cache them know when to reload.
const (
	metaIndicators = "indicators"
	metaThreats    = "threats"
	// metaIndicatorSeq numbers the writes of indicators; metaHuntedSeq is
	// the highest number a retro-hunt has covered.
	metaIndicatorSeq = "indicator_seq"
	metaHuntedSeq    = "hunted_seq"
	// metaMatches changes with every write that stores or changes matches.
	metaMatches = "matches"
)

// IntelBatch is a set of threat-intelligence records written in one
// transaction: threat objects, then indicators, then relations.
type IntelBatch struct {
	Indicators []model.Indicator
	Threats    []model.ThreatObject
	Relations  []model.IntelRelation
}

// Len is the number of records in the batch.
func (b *IntelBatch) Len() int { return len(b.Indicators) + len(b.Threats) + len(b.Relations) }

// Reset empties the batch, keeping its capacity.
func (b *IntelBatch) Reset() {
	*b = IntelBatch{Indicators: b.Indicators[:0], Threats: b.Threats[:0], Relations: b.Relations[:0]}
}

// ApplyIntel writes a batch of threat intelligence in one transaction.
// Records are keyed by (source, external id): one stored as given is left
// alone, an older version (by its Modified time) never replaces a newer
// one, and a changed indicator whose values changed or that became active
// again is queued for the next retro-hunt. Records that cannot be stored
// are returned as rejects and the rest is written.
func (s *Store) ApplyIntel(ctx context.Context, b *IntelBatch) (Result, error) {
	res, err := s.write(ctx, func(a *applier) error {
		iw := intelWriter{a: a, now: a.now.UnixMicro()}
		if len(b.Indicators) > 0 {
			// Numbered first: on PostgreSQL the counter's row lock orders
			// the writes, so a lower number never commits later.
			if err := a.queryRow(`INSERT INTO intel_meta (name, value) VALUES (?, 1)
				ON CONFLICT (name) DO UPDATE SET value = intel_meta.value + 1 RETURNING value`, metaIndicatorSeq).Scan(&iw.seq); err != nil {
				return fmt.Errorf("numbering the indicators' write: %w", err)
			}
		}
		for i := range b.Threats {
			if err := iw.threat(i, &b.Threats[i]); err != nil {
				return err
			}
		}
		if err := iw.writeIndicators(b.Indicators); err != nil {
			return err
		}
		for i := range b.Relations {
			if err := iw.relation(i, &b.Relations[i]); err != nil {
				return err
			}
		}
		if iw.indicators {
			if err := a.bumpMeta(metaIndicators); err != nil {
				return err
			}
		}
		if iw.threats {
			return a.bumpMeta(metaThreats)
		}
		return nil
	})
	if err != nil {
		return newResult(), err
	}
	return res, nil
}

// intelWriter writes one batch's records and notes what changed.
type intelWriter struct {
	a                   *applier
	now                 int64
	seq                 int64
	indicators, threats bool
}

func (a *applier) bumpMeta(name string) error {
	if _, err := a.exec(`INSERT INTO intel_meta (name, value) VALUES (?, 1)
		ON CONFLICT (name) DO UPDATE SET value = intel_meta.value + 1`, name); err != nil {
		return fmt.Errorf("counting %s changes: %w", name, err)
	}
	return nil
}

// digest is the SHA-256 of v as JSON, the content a record is compared by.
func digest(v any) string {
	b, _ := json.Marshal(v)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// newer reports whether a stored version (modified at stored) may be
// replaced by one modified at incoming: unless the stored one is known to
// be later.
func newer(stored sql.NullInt64, incoming time.Time) bool {
	return !stored.Valid || incoming.IsZero() || incoming.UnixMicro() >= stored.Int64
}

// indicatorRowsPerStatement keeps a multi-row insert of indicators (22
// values a row) within both engines' limits on bound parameters.
const indicatorRowsPerStatement = 256

// indicatorColumnsInsert are the columns a new indicator is written with.
const indicatorColumnsInsert = `source, external_id, type, value, pattern, name, description, labels, confidence, tlp, valid_from,
	valid_until, revoked, detect, first_seen, last_seen, modified, ingested_at, changed_at, digest, raw, seq`

// prepared is a valid indicator of a batch with its sorted keys and digest.
type prepared struct {
	i      int
	in     *model.Indicator
	keys   []string
	digest string
}

// prepare checks an indicator and computes its keys and digest; ok is
// false when it was rejected.
func (w *intelWriter) prepare(i int, in *model.Indicator) (prepared, bool) {
	a := w.a
	if in.Source == "" || in.ExternalID == "" {
		a.reject(KindIndicator, i, "indicator needs a source and an external_id")
		return prepared{}, false
	}
	if len(in.Observables) == 0 {
		a.reject(KindIndicator, i, "indicator %s has no value it can match", in.ExternalID)
		return prepared{}, false
	}
	keys := make([]string, 0, len(in.Observables))
	for _, o := range in.Observables {
		if o.Kind == "" || o.Value == "" {
			a.reject(KindIndicator, i, "indicator %s: observable with an empty kind or value", in.ExternalID)
			return prepared{}, false
		}
		keys = append(keys, o.Key())
	}
	slices.Sort(keys)
	c := *in
	c.ID, c.IngestedAt, c.Raw = 0, time.Time{}, nil
	return prepared{i: i, in: in, keys: slices.Compact(keys), digest: digest(c)}, true
}

// writeIndicators writes a batch's indicators: the new ones in multi-row
// inserts, then each stored one that may have changed on its own.
func (w *intelWriter) writeIndicators(list []model.Indicator) error {
	var fresh, rest []prepared
	seen := make(map[caseKey]bool, len(list))
	for i := range list {
		p, ok := w.prepare(i, &list[i])
		if !ok {
			continue
		}
		k := caseKey{p.in.Source, p.in.ExternalID}
		if seen[k] {
			rest = append(rest, p) // a second version in the batch: after the first is stored
			continue
		}
		seen[k] = true
		fresh = append(fresh, p)
	}
	stored, err := w.storedIDs(fresh)
	if err != nil {
		return err
	}
	var news []prepared
	for _, p := range fresh {
		if stored[caseKey{p.in.Source, p.in.ExternalID}] {
			rest = append(rest, p)
		} else {
			news = append(news, p)
		}
	}
	if err := w.insertIndicators(news); err != nil {
		return err
	}
	slices.SortStableFunc(rest, func(a, b prepared) int { return a.i - b.i })
	for _, p := range rest {
		if err := w.indicator(p); err != nil {
			return err
		}
	}
	return nil
}

// storedIDs reports which of the batch's indicators are already stored.
func (w *intelWriter) storedIDs(ps []prepared) (map[caseKey]bool, error) {
	ids, err := w.indicatorIDs(ps)
	out := make(map[caseKey]bool, len(ids))
	for k := range ids {
		out[k] = true
	}
	return out, err
}

// insertIndicators writes new indicators and their keys in multi-row
// statements.
func (w *intelWriter) insertIndicators(ps []prepared) error {
	if len(ps) == 0 {
		return nil
	}
	for _, n := range chunkSizes(len(ps), indicatorRowsPerStatement) {
		chunk := ps[:n]
		ps = ps[n:]
		args := make([]any, 0, n*22)
		for _, p := range chunk {
			in := p.in
			args = append(args, in.Source, in.ExternalID, in.Type, in.Value, in.Pattern, in.Name, in.Description, jsonText(in.Labels),
				in.Confidence, in.TLP, micros(in.ValidFrom), micros(in.ValidUntil), boolInt(in.Revoked), boolInt(in.Detect),
				micros(in.FirstSeen), micros(in.LastSeen), micros(in.Modified), w.now, w.now, p.digest, string(in.Raw), w.seq)
		}
		q := multiRowSQL(`INSERT INTO intel_indicators (`+indicatorColumnsInsert+`) VALUES `,
			"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", n, "")
		if _, err := w.a.exec(q, args...); err != nil {
			return fmt.Errorf("storing indicators: %w", err)
		}
		ids, err := w.indicatorIDs(chunk)
		if err != nil {
			return err
		}
		var keyArgs []any
		rows := 0
		for _, p := range chunk {
			id := ids[caseKey{p.in.Source, p.in.ExternalID}]
			for _, k := range p.keys {
				keyArgs = append(keyArgs, id, k)
				rows++
			}
		}
		for len(keyArgs) > 0 {
			m := min(rows, 2*indicatorRowsPerStatement)
			if _, err := w.a.exec(multiRowSQL(`INSERT INTO intel_indicator_keys (indicator_id, key) VALUES `, "(?, ?)", m, ""), keyArgs[:2*m]...); err != nil {
				return fmt.Errorf("storing indicator keys: %w", err)
			}
			keyArgs, rows = keyArgs[2*m:], rows-m
		}
		w.a.res.Inserted[KindIndicator] += n
		w.indicators = true
	}
	return nil
}

// indicatorIDs reads the ids of the stored ones of some indicators.
func (w *intelWriter) indicatorIDs(ps []prepared) (map[caseKey]int64, error) {
	out := make(map[caseKey]int64, len(ps))
	bySource := map[string][]any{}
	for _, p := range ps {
		bySource[p.in.Source] = append(bySource[p.in.Source], p.in.ExternalID)
	}
	for src, ids := range bySource {
		for len(ids) > 0 {
			n := min(len(ids), maxIDsPerSQL)
			rows, err := w.a.query(`SELECT id, external_id FROM intel_indicators WHERE source = ? AND external_id IN (`+placeholders(n)+`)`,
				append([]any{src}, ids[:n]...)...)
			if err != nil {
				return nil, fmt.Errorf("reading indicator ids: %w", err)
			}
			for rows.Next() {
				var id int64
				var ext string
				if err := rows.Scan(&id, &ext); err != nil {
					rows.Close()
					return nil, fmt.Errorf("reading indicator ids: %w", err)
				}
				out[caseKey{src, ext}] = id
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, fmt.Errorf("reading indicator ids: %w", err)
			}
			ids = ids[n:]
		}
	}
	return out, nil
}

// indicator writes one indicator, new or stored.
func (w *intelWriter) indicator(p prepared) error {
	a, in, keys, d := w.a, p.in, p.keys, p.digest
	var id int64
	var modified, validUntil sql.NullInt64
	var old string
	var revoked, detect int
	err := a.queryRow(`SELECT id, modified, digest, revoked, detect, valid_until FROM intel_indicators WHERE source = ? AND external_id = ?`,
		in.Source, in.ExternalID).Scan(&id, &modified, &old, &revoked, &detect, &validUntil)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return w.insertIndicators([]prepared{p})
	case err != nil:
		return fmt.Errorf("reading indicator %s/%s: %w", in.Source, in.ExternalID, err)
	}
	if old == d || !newer(modified, in.Modified) {
		a.res.Unchanged[KindIndicator]++
		return nil
	}
	stored, err := w.keys(id)
	if err != nil {
		return err
	}
	now := time.UnixMicro(w.now)
	wasActive := detect == 1 && revoked == 0 && (!validUntil.Valid || validUntil.Int64 > w.now)
	rehunt := !slices.Equal(stored, keys) || (!wasActive && in.Active(now))
	q := `UPDATE intel_indicators SET type = ?, value = ?, pattern = ?, name = ?, description = ?, labels = ?, confidence = ?,
			tlp = ?, valid_from = ?, valid_until = ?, revoked = ?, detect = ?, first_seen = ?, last_seen = ?, modified = ?,
			changed_at = ?, digest = ?, raw = ?`
	if rehunt {
		q += `, seq = ` + strconv.FormatInt(w.seq, 10)
	}
	if _, err := a.exec(q+` WHERE id = ?`, in.Type, in.Value, in.Pattern, in.Name, in.Description, jsonText(in.Labels),
		in.Confidence, in.TLP, micros(in.ValidFrom), micros(in.ValidUntil), boolInt(in.Revoked), boolInt(in.Detect),
		micros(in.FirstSeen), micros(in.LastSeen), micros(in.Modified), w.now, d, string(in.Raw), id); err != nil {
		return fmt.Errorf("updating indicator %s/%s: %w", in.Source, in.ExternalID, err)
	}
	a.res.Updated[KindIndicator]++
	w.indicators = true
	if slices.Equal(stored, keys) {
		return nil
	}
	if _, err := a.exec(`DELETE FROM intel_indicator_keys WHERE indicator_id = ?`, id); err != nil {
		return fmt.Errorf("updating indicator %s/%s: %w", in.Source, in.ExternalID, err)
	}
	return w.insertKeys(id, keys)
}

// keys reads an indicator's stored keys, sorted.
func (w *intelWriter) keys(id int64) ([]string, error) {
	rows, err := w.a.query(`SELECT key FROM intel_indicator_keys WHERE indicator_id = ? ORDER BY key`, id)
	if err != nil {
		return nil, fmt.Errorf("reading indicator keys: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("reading indicator keys: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

func (w *intelWriter) insertKeys(id int64, keys []string) error {
	for _, k := range keys {
		if _, err := w.a.exec(`INSERT INTO intel_indicator_keys (indicator_id, key) VALUES (?, ?)`, id, k); err != nil {
			return fmt.Errorf("storing indicator key %q: %w", k, err)
		}
	}
	return nil
}

func (w *intelWriter) threat(i int, t *model.ThreatObject) error {
	a := w.a
	if t.Source == "" || t.ExternalID == "" || t.Kind == "" {
		a.reject(KindThreat, i, "threat object needs a source, an external_id and a kind")
		return nil
	}
	if t.Name == "" {
		a.reject(KindThreat, i, "%s %s has no name", t.Kind, t.ExternalID)
		return nil
	}
	c := *t
	c.ID = 0
	d := digest(c)
	var id int64
	var modified sql.NullInt64
	var old string
	err := a.queryRow(`SELECT id, modified, digest FROM intel_threats WHERE source = ? AND external_id = ?`, t.Source, t.ExternalID).
		Scan(&id, &modified, &old)
	args := []any{t.Kind, t.Name, jsonText(t.Aliases), t.Description, t.Country, jsonText(t.Victims), jsonText(t.Sectors),
		t.Motivation, jsonText(t.AttackIDs), jsonText(t.Techniques), jsonText(t.Refs), micros(t.FirstSeen), micros(t.LastSeen),
		micros(t.Modified), boolInt(t.Revoked), d}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := a.exec(`INSERT INTO intel_threats (kind, name, aliases, description, country, victims, sectors, motivation,
				attack_ids, techniques, refs, first_seen, last_seen, modified, revoked, digest, source, external_id, ingested_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append(args, t.Source, t.ExternalID, w.now)...); err != nil {
			return fmt.Errorf("storing %s %s/%s: %w", t.Kind, t.Source, t.ExternalID, err)
		}
		a.res.Inserted[KindThreat]++
	case err != nil:
		return fmt.Errorf("reading %s %s/%s: %w", t.Kind, t.Source, t.ExternalID, err)
	case old == d || !newer(modified, t.Modified):
		a.res.Unchanged[KindThreat]++
		return nil
	default:
		if _, err := a.exec(`UPDATE intel_threats SET kind = ?, name = ?, aliases = ?, description = ?, country = ?, victims = ?,
				sectors = ?, motivation = ?, attack_ids = ?, techniques = ?, refs = ?, first_seen = ?, last_seen = ?, modified = ?,
				revoked = ?, digest = ? WHERE id = ?`, append(args, id)...); err != nil {
			return fmt.Errorf("updating %s %s/%s: %w", t.Kind, t.Source, t.ExternalID, err)
		}
		a.res.Updated[KindThreat]++
	}
	w.threats = true
	return nil
}

func (w *intelWriter) relation(i int, r *model.IntelRelation) error {
	a := w.a
	if r.Source == "" || r.ExternalID == "" || r.Type == "" || r.From == "" || r.To == "" {
		a.reject(KindRelation, i, "relationship needs a source, an external_id, a type and both ends")
		return nil
	}
	d := digest(r)
	var id int64
	var modified sql.NullInt64
	var old string
	err := a.queryRow(`SELECT id, modified, digest FROM intel_relations WHERE source = ? AND external_id = ?`, r.Source, r.ExternalID).
		Scan(&id, &modified, &old)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := a.exec(`INSERT INTO intel_relations (source, external_id, type, from_ref, to_ref, modified, revoked, digest)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.Source, r.ExternalID, r.Type, r.From, r.To, micros(r.Modified), boolInt(r.Revoked), d); err != nil {
			return fmt.Errorf("storing relationship %s/%s: %w", r.Source, r.ExternalID, err)
		}
		a.res.Inserted[KindRelation]++
	case err != nil:
		return fmt.Errorf("reading relationship %s/%s: %w", r.Source, r.ExternalID, err)
	case old == d || !newer(modified, r.Modified):
		a.res.Unchanged[KindRelation]++
		return nil
	default:
		if _, err := a.exec(`UPDATE intel_relations SET type = ?, from_ref = ?, to_ref = ?, modified = ?, revoked = ?, digest = ? WHERE id = ?`,
			r.Type, r.From, r.To, micros(r.Modified), boolInt(r.Revoked), d, id); err != nil {
			return fmt.Errorf("updating relationship %s/%s: %w", r.Source, r.ExternalID, err)
		}
		a.res.Updated[KindRelation]++
	}
	w.threats = true
	return nil
}

// IntelVersions are the change counters of the stored intelligence.
type IntelVersions struct {
	// Indicators changes with every write that adds or changes indicators.
	Indicators int64
	// Threats changes with every write that adds or changes threat objects
	// or relationships.
	Threats int64
	// Matches changes with every write that stores or changes matches.
	Matches int64
}

// IntelVersions reads the change counters.
func (s *Store) IntelVersions(ctx context.Context) (IntelVersions, error) {
	var v IntelVersions
	rows, err := s.r.QueryContext(ctx, `SELECT name, value FROM intel_meta`)
	if err != nil {
		return v, fmt.Errorf("reading intelligence versions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return v, fmt.Errorf("reading intelligence versions: %w", err)
		}
		switch name {
		case metaIndicators:
			v.Indicators = n
		case metaThreats:
			v.Threats = n
		case metaMatches:
			v.Matches = n
		}
	}
	return v, rows.Err()
}
