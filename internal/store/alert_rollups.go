package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/kpi/sketch"
	"github.com/watchfloor/watchfloor/internal/model"
)

// Alert rollups kept at ingest. Every write that adds, changes or links an
// alert adds its change to the rollup of the alert's local day, rule and rule
// name in the same transaction (the alert's old contribution out, its new one
// in), so the rule report, the technique view and anything else that needs
// per-day alert counts reads a few rows per day and rule instead of every
// alert. RebuildAlertRollups computes them again from the rows: the repair
// path, and the oracle the kept rollups are tested against.

// AlertRollupKey names one kept rollup: a local day (YYYYMMDD) and the
// source, rule id and rule name its alerts carry.
type AlertRollupKey struct {
	Day      int64
	Source   string
	RuleID   string
	RuleName string
}

// AlertRollup is what the alerts of one key add up to.
type AlertRollup struct {
	AlertRollupKey
	Alerts int64
	// Linked counts alerts that name a case (case_ext_id set).
	Linked int64
	// Severity counts alerts by stored severity; Dispositions by stored
	// disposition ("" for none).
	Severity     map[int64]int64
	Dispositions map[string]int64
	// MTTD: alerts with both times (N), their created − occurred durations
	// in microseconds after clamping negatives to 0 (Micros, exact), the
	// clamped ones, the ones missing a time, and the sketch bins of the
	// durations in seconds (kpi/sketch.Bin).
	MTTDN, MTTDMicros, MTTDMissing, MTTDClamped int64
	MTTDBins                                    map[int64]int64
	// Techniques counts alerts by their stored technique list (JSON text);
	// alerts without techniques are not counted here.
	Techniques map[string]int64
	// Joint counts alerts by severity, verdict class and case link
	// together (JointKey), what the staffing model's rule volumes need.
	// NoJoint marks a rollup stored before it was kept (format 1).
	Joint   map[int64]int64
	NoJoint bool
}

// Verdict classes of JointKey, as the staffing model's rule volumes count
// dispositions.
const (
	VerdictNone = iota
	VerdictTruePositive
	VerdictBenignPositive
	VerdictFalsePositive
	VerdictOther
)

// VerdictOf is the verdict class of a stored disposition.
func VerdictOf(disp string) int64 {
	switch model.Disposition(disp) {
	case model.DispositionNone:
		return VerdictNone
	case model.DispositionTruePositive:
		return VerdictTruePositive
	case model.DispositionBenignPositive:
		return VerdictBenignPositive
	case model.DispositionFalsePositive:
		return VerdictFalsePositive
	}
	return VerdictOther
}

// JointKey packs a severity, a verdict class and a case link into one key
// of AlertRollup.Joint; SplitJointKey undoes it.
func JointKey(severity, verdict int64, linked bool) int64 {
	k := severity*16 + verdict*2
	if linked {
		k++
	}
	return k
}

// SplitJointKey returns the severity, verdict class and case link of a
// JointKey.
func SplitJointKey(k int64) (severity, verdict int64, linked bool) {
	r := ((k % 16) + 16) % 16
	return (k - r) / 16, r / 2, r%2 == 1
}

// alertFields is the part of a stored alert its rollup reads.
type alertFields struct {
	source, ruleID, ruleName string
	severity                 int64
	disposition              string
	linked                   bool
	occurred, created        sql.NullInt64
	techniques               string
}

func fieldsOfAlert(al *model.Alert) alertFields {
	return alertFields{source: al.Source, ruleID: al.RuleID, ruleName: al.RuleName, severity: int64(al.Severity),
		disposition: string(al.Disposition), linked: al.CaseExternalID != "", occurred: nullMicros(al.OccurredAt),
		created: nullMicros(al.CreatedAt), techniques: jsonText(al.Techniques)}
}

func nullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func newAlertRollup(k AlertRollupKey) *AlertRollup {
	return &AlertRollup{AlertRollupKey: k, Severity: map[int64]int64{}, Dispositions: map[string]int64{},
		MTTDBins: map[int64]int64{}, Techniques: map[string]int64{}, Joint: map[int64]int64{}}
}

// add counts one alert, or uncounts it when sign is -1.
func (r *AlertRollup) add(f *alertFields, sign int64) {
	r.Alerts += sign
	if f.linked {
		r.Linked += sign
	}
	r.Severity[f.severity] += sign
	r.Dispositions[f.disposition] += sign
	r.Joint[JointKey(f.severity, VerdictOf(f.disposition), f.linked)] += sign
	if f.techniques != "" {
		r.Techniques[f.techniques] += sign
	}
	if !f.occurred.Valid || !f.created.Valid {
		r.MTTDMissing += sign
		return
	}
	d := time.UnixMicro(f.created.Int64).Sub(time.UnixMicro(f.occurred.Int64))
	if d < 0 {
		r.MTTDClamped += sign
		d = 0
	}
	r.MTTDN += sign
	r.MTTDMicros += sign * d.Microseconds()
	r.MTTDBins[int64(sketch.Bin(d.Seconds()))] += sign
}

// merge adds o's counts to r.
func (r *AlertRollup) merge(o *AlertRollup) {
	r.Alerts += o.Alerts
	r.Linked += o.Linked
	r.MTTDN += o.MTTDN
	r.MTTDMicros += o.MTTDMicros
	r.MTTDMissing += o.MTTDMissing
	r.MTTDClamped += o.MTTDClamped
	for k, n := range o.Severity {
		r.Severity[k] += n
	}
	for k, n := range o.Dispositions {
		r.Dispositions[k] += n
	}
	for k, n := range o.MTTDBins {
		r.MTTDBins[k] += n
	}
	for k, n := range o.Techniques {
		r.Techniques[k] += n
	}
	for k, n := range o.Joint {
		r.Joint[k] += n
	}
	r.NoJoint = r.NoJoint || o.NoJoint
}

// zero reports whether r counts nothing: a delta that changes nothing, or
// a rollup whose alerts all left.
func (r *AlertRollup) zero() bool {
	if r.Alerts != 0 || r.Linked != 0 || r.MTTDN != 0 || r.MTTDMicros != 0 || r.MTTDMissing != 0 || r.MTTDClamped != 0 {
		return false
	}
	for _, m := range []map[int64]int64{r.Severity, r.MTTDBins, r.Joint} {
		for _, n := range m {
			if n != 0 {
				return false
			}
		}
	}
	for _, m := range []map[string]int64{r.Dispositions, r.Techniques} {
		for _, n := range m {
			if n != 0 {
				return false
			}
		}
	}
	return true
}

// alertRollupFormat is the first byte of an encoded rollup: 2 adds the
// joint counts to format 1.
const alertRollupFormat = 2

// encode writes r's counts as varints (maps in key order, zero counts
// left out), so equal rollups encode to equal bytes. A rollup without its
// joint counts stays in format 1.
func (r *AlertRollup) encode() []byte {
	format := byte(alertRollupFormat)
	if r.NoJoint {
		format = 1
	}
	b := []byte{format}
	for _, n := range []int64{r.Alerts, r.Linked, r.MTTDN, r.MTTDMicros, r.MTTDMissing, r.MTTDClamped} {
		b = binary.AppendVarint(b, n)
	}
	for _, m := range []map[int64]int64{r.Severity, r.MTTDBins} {
		keys := nonZeroKeys(m)
		b = binary.AppendUvarint(b, uint64(len(keys)))
		for _, k := range keys {
			b = binary.AppendVarint(b, k)
			b = binary.AppendVarint(b, m[k])
		}
	}
	for _, m := range []map[string]int64{r.Dispositions, r.Techniques} {
		keys := nonZeroKeys(m)
		b = binary.AppendUvarint(b, uint64(len(keys)))
		for _, k := range keys {
			b = binary.AppendUvarint(b, uint64(len(k)))
			b = append(b, k...)
			b = binary.AppendVarint(b, m[k])
		}
	}
	if !r.NoJoint {
		keys := nonZeroKeys(r.Joint)
		b = binary.AppendUvarint(b, uint64(len(keys)))
		for _, k := range keys {
			b = binary.AppendVarint(b, k)
			b = binary.AppendVarint(b, r.Joint[k])
		}
	}
	return b
}

func nonZeroKeys[K int64 | string](m map[K]int64) []K {
	keys := make([]K, 0, len(m))
	for k, n := range m {
		if n != 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

var errRollupData = errors.New("malformed alert rollup")

// rollupReader reads an encoded alert rollup. A read past the end or a
// length longer than the bytes left sets bad and empties b, so every
// later read returns zero and the caller reports the rollup malformed.
type rollupReader struct {
	b   []byte
	bad bool
}

// newRollupReader checks the format byte and returns it with a reader of
// the rest.
func newRollupReader(b []byte) (*rollupReader, byte, error) {
	if len(b) == 0 || (b[0] != 1 && b[0] != alertRollupFormat) {
		return nil, 0, errRollupData
	}
	return &rollupReader{b: b[1:]}, b[0], nil
}

func (r *rollupReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.bad, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

// length reads a count or a string's length: never more than the bytes
// left after it.
func (r *rollupReader) length() int {
	v, n := binary.Uvarint(r.b)
	if n <= 0 || v > uint64(len(r.b)-n) {
		r.bad, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return int(v)
}

// str reads a length-prefixed string.
func (r *rollupReader) str() string {
	n := r.length()
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// err is the error for a rollup of key k that was malformed or longer
// than what was read.
func (r *rollupReader) err(k AlertRollupKey) error {
	if r.bad || len(r.b) != 0 {
		return fmt.Errorf("%w of %d %s/%s", errRollupData, k.Day, k.Source, k.RuleID)
	}
	return nil
}

// decodeAlertRollup reads what encode wrote into a rollup of key k.
func decodeAlertRollup(k AlertRollupKey, b []byte) (*AlertRollup, error) {
	d, format, err := newRollupReader(b)
	if err != nil {
		return nil, err
	}
	r := newAlertRollup(k)
	for _, p := range []*int64{&r.Alerts, &r.Linked, &r.MTTDN, &r.MTTDMicros, &r.MTTDMissing, &r.MTTDClamped} {
		*p = d.varint()
	}
	for _, m := range []map[int64]int64{r.Severity, r.MTTDBins} {
		for range d.length() {
			key := d.varint()
			m[key] = d.varint()
		}
	}
	for _, m := range []map[string]int64{r.Dispositions, r.Techniques} {
		for range d.length() {
			key := d.str()
			m[key] = d.varint()
		}
	}
	if format == 1 {
		r.NoJoint = true
	} else {
		for range d.length() {
			key := d.varint()
			r.Joint[key] = d.varint()
		}
	}
	if err := d.err(k); err != nil {
		return nil, err
	}
	return r, nil
}

// alertRollupJoint calls fn with each joint count of an encoded rollup
// (decodeAlertRollup's Joint, in stored order) without decoding the rest:
// the staffing model's rule volumes need only these. noJoint is true for a
// rollup stored before joint counts were kept.
func alertRollupJoint(k AlertRollupKey, b []byte, fn func(key, n int64)) (noJoint bool, err error) {
	d, format, err := newRollupReader(b)
	if err != nil {
		return false, err
	}
	for range 6 { // alerts, linked and the MTTD figures
		d.varint()
	}
	for range 2 { // severities, MTTD bins
		for range d.length() {
			d.varint()
			d.varint()
		}
	}
	for range 2 { // dispositions, techniques
		for range d.length() {
			d.b = d.b[d.length():]
			d.varint()
		}
	}
	if format == 1 {
		noJoint = true
	} else {
		for range d.length() {
			key := d.varint()
			if n := d.varint(); !d.bad {
				fn(key, n)
			}
		}
	}
	if err := d.err(k); err != nil {
		return false, err
	}
	return noJoint, nil
}

// AlertRollupSet gathers alert rollups by key.
type AlertRollupSet map[AlertRollupKey]*AlertRollup

func (s AlertRollupSet) addFields(day int64, f *alertFields, sign int64) {
	k := AlertRollupKey{Day: day, Source: f.source, RuleID: f.ruleID, RuleName: f.ruleName}
	r := s[k]
	if r == nil {
		r = newAlertRollup(k)
		s[k] = r
	}
	r.add(f, sign)
}

// Sorted returns the set's rollups ordered by key.
func (s AlertRollupSet) Sorted() []AlertRollup {
	out := make([]AlertRollup, 0, len(s))
	for _, r := range s {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b AlertRollup) int { return compareRollupKeys(a.AlertRollupKey, b.AlertRollupKey) })
	return out
}

func compareRollupKeys(a, b AlertRollupKey) int {
	if a.Day != b.Day {
		if a.Day < b.Day {
			return -1
		}
		return 1
	}
	if c := strings.Compare(a.Source, b.Source); c != 0 {
		return c
	}
	if c := strings.Compare(a.RuleID, b.RuleID); c != 0 {
		return c
	}
	return strings.Compare(a.RuleName, b.RuleName)
}

// noteRollup records an alert's contribution (sign +1) or its removal (−1)
// for flushAlertRollups. The day is the alert's local day; an undated alert
// belongs to no day and is in no rollup.
func (a *applier) noteRollup(f alertFields, sign int64) error {
	if !f.created.Valid {
		return nil
	}
	if err := a.loadKPIContext(); err != nil {
		return err
	}
	if a.rollups == nil {
		a.rollups = AlertRollupSet{}
	}
	a.rollups.addFields(DayOf(time.UnixMicro(f.created.Int64), a.tz), &f, sign)
	return nil
}

// flushAlertRollups adds the batch's alert changes to the kept rollups, key
// by key in order (so concurrent writers on PostgreSQL lock rows in one
// order), deleting a rollup whose alerts all left.
func (a *applier) flushAlertRollups() error {
	if len(a.rollups) == 0 {
		return nil
	}
	pending, err := a.alertRollupsPending()
	if err != nil || pending {
		// The rebuild from the rows will count these alerts.
		return err
	}
	deltas := a.rollups.Sorted()
	a.rollups = nil
	if a.s.engine == Postgres {
		var err error
		if deltas, err = a.addAlertRollupsPG(deltas); err != nil {
			return fmt.Errorf("updating the alert rollups: %w", err)
		}
	}
	for _, d := range deltas {
		if d.zero() {
			continue
		}
		if err := a.addAlertRollup(&d); err != nil {
			return fmt.Errorf("updating the alert rollup of %d %s/%s: %w", d.Day, d.Source, d.RuleID, err)
		}
	}
	return nil
}

// addAlertRollupsPG adds deltas (sorted by key) to the kept rollups in a
// few statements whatever their number: the stored ones read and locked
// in one (in the same byte order as addAlertRollup's), the new ones
// inserted in one, the changed ones updated in one and the emptied ones
// deleted in one. It returns the deltas left for addAlertRollup: those
// whose rollup another writer inserted meanwhile.
func (a *applier) addAlertRollupsPG(deltas []AlertRollup) ([]AlertRollup, error) {
	keyArrays := func(ds []*AlertRollup) []any {
		days, srcs, rules, names := make([]int64, len(ds)), make([]string, len(ds)), make([]string, len(ds)), make([]string, len(ds))
		for i, d := range ds {
			days[i], srcs[i], rules[i], names[i] = d.Day, d.Source, d.RuleID, d.RuleName
		}
		return []any{days, srcs, rules, names}
	}
	const keys = `unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS k(day, source, rule_id, rule_name)`
	const match = `r.day = k.day AND r.source = k.source AND r.rule_id = k.rule_id AND r.rule_name = k.rule_name`
	byKey := make(map[AlertRollupKey]*AlertRollup, len(deltas))
	all := make([]*AlertRollup, 0, len(deltas))
	for i := range deltas {
		if !deltas[i].zero() {
			byKey[deltas[i].AlertRollupKey] = &deltas[i]
			all = append(all, &deltas[i])
		}
	}
	if len(all) == 0 {
		return nil, nil
	}
	rows, err := a.tx.QueryContext(a.ctx, `SELECT r.day, r.source, r.rule_id, r.rule_name, r.data FROM alert_rollups r JOIN `+keys+`
		ON `+match+` ORDER BY r.day, r.source COLLATE "C", r.rule_id COLLATE "C", r.rule_name COLLATE "C" FOR UPDATE OF r`,
		keyArrays(all)...)
	if err != nil {
		return nil, err
	}
	var update, drop []*AlertRollup
	for rows.Next() {
		var k AlertRollupKey
		var data []byte
		if err := rows.Scan(&k.Day, &k.Source, &k.RuleID, &k.RuleName, &data); err != nil {
			rows.Close()
			return nil, err
		}
		cur, err := decodeAlertRollup(k, data)
		if err != nil {
			rows.Close()
			return nil, err
		}
		d := byKey[k]
		delete(byKey, k)
		cur.merge(d)
		if cur.zero() {
			drop = append(drop, cur)
		} else {
			update = append(update, cur)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(update) > 0 {
		data := make([][]byte, len(update))
		for i, r := range update {
			data[i] = r.encode()
		}
		args := append(keyArrays(update), data)
		if _, err := a.tx.ExecContext(a.ctx, `UPDATE alert_rollups r SET data = k.data
			FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bytea[]) AS k(day, source, rule_id, rule_name, data)
			WHERE `+match, args...); err != nil {
			return nil, err
		}
	}
	if len(drop) > 0 {
		if _, err := a.tx.ExecContext(a.ctx, `DELETE FROM alert_rollups r USING `+keys+` WHERE `+match, keyArrays(drop)...); err != nil {
			return nil, err
		}
	}
	var fresh []*AlertRollup
	for _, d := range all {
		if byKey[d.AlertRollupKey] != nil {
			fresh = append(fresh, d)
		}
	}
	if len(fresh) == 0 {
		return nil, nil
	}
	data := make([][]byte, len(fresh))
	for i, d := range fresh {
		data[i] = d.encode()
	}
	rows, err = a.tx.QueryContext(a.ctx, `INSERT INTO alert_rollups (day, source, rule_id, rule_name, data)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bytea[])
		ON CONFLICT (day, source, rule_id, rule_name) DO NOTHING RETURNING day, source, rule_id, rule_name`,
		append(keyArrays(fresh), data)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k AlertRollupKey
		if err := rows.Scan(&k.Day, &k.Source, &k.RuleID, &k.RuleName); err != nil {
			return nil, err
		}
		delete(byKey, k)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var left []AlertRollup
	for _, d := range fresh {
		if byKey[d.AlertRollupKey] != nil {
			left = append(left, *d)
		}
	}
	return left, nil
}

func (a *applier) addAlertRollup(d *AlertRollup) error {
	lock := ""
	if a.s.engine == Postgres {
		lock = " FOR UPDATE"
	}
	sel := `SELECT data FROM alert_rollups WHERE day = ? AND source = ? AND rule_id = ? AND rule_name = ?` + lock
	var data []byte
	err := a.queryRow(sel, d.Day, d.Source, d.RuleID, d.RuleName).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		res, err := a.exec(`INSERT INTO alert_rollups (day, source, rule_id, rule_name, data) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (day, source, rule_id, rule_name) DO NOTHING`, d.Day, d.Source, d.RuleID, d.RuleName, d.encode())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		// Another writer inserted it meanwhile (PostgreSQL): add to theirs.
		err = a.queryRow(sel, d.Day, d.Source, d.RuleID, d.RuleName).Scan(&data)
	}
	if err != nil {
		return err
	}
	cur, err := decodeAlertRollup(d.AlertRollupKey, data)
	if err != nil {
		return err
	}
	cur.merge(d)
	if cur.zero() {
		_, err = a.exec(`DELETE FROM alert_rollups WHERE day = ? AND source = ? AND rule_id = ? AND rule_name = ?`,
			d.Day, d.Source, d.RuleID, d.RuleName)
		return err
	}
	_, err = a.exec(`UPDATE alert_rollups SET data = ? WHERE day = ? AND source = ? AND rule_id = ? AND rule_name = ?`,
		cur.encode(), d.Day, d.Source, d.RuleID, d.RuleName)
	return err
}

func (a *applier) alertRollupsPending() (bool, error) {
	var n int
	if err := a.queryRow(`SELECT COUNT(*) FROM alert_rollups_rebuild`).Scan(&n); err != nil {
		return false, fmt.Errorf("reading the alert rollup state: %w", err)
	}
	return n > 0, nil
}

// AlertRollupsPending reports whether the kept alert rollups still wait
// for their first build from the rows (a store migrated from before they
// were kept): until then AlertRollups computes each day from the rows.
func (s *Store) AlertRollupsPending(ctx context.Context) (bool, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM alert_rollups_rebuild`).Scan(&n); err != nil {
		return false, fmt.Errorf("reading the alert rollup state: %w", err)
	}
	return n > 0, nil
}

// AlertRollups returns the kept rollups of a local day (YYYYMMDD), ordered
// by key. Before the first build of a migrated store it computes them from
// the day's alerts instead (ScanAlertRollups).
func (s *Store) AlertRollups(ctx context.Context, day int64) ([]AlertRollup, error) {
	pending, err := s.AlertRollupsPending(ctx)
	if err != nil {
		return nil, err
	}
	if pending {
		return s.ScanAlertRollups(ctx, day)
	}
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT source, rule_id, rule_name, data FROM alert_rollups WHERE day = ?
		ORDER BY source, rule_id, rule_name`), day)
	if err != nil {
		return nil, fmt.Errorf("reading alert rollups of %d: %w", day, err)
	}
	defer rows.Close()
	var out []AlertRollup
	for rows.Next() {
		k := AlertRollupKey{Day: day}
		var data []byte
		if err := rows.Scan(&k.Source, &k.RuleID, &k.RuleName, &data); err != nil {
			return nil, fmt.Errorf("reading alert rollups of %d: %w", day, err)
		}
		r, err := decodeAlertRollup(k, data)
		if err != nil {
			return nil, fmt.Errorf("reading alert rollups: %w", err)
		}
		out = append(out, *r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading alert rollups of %d: %w", day, err)
	}
	return out, nil
}

// ScanAlertRollups computes a local day's alert rollups from its alert rows,
// as the kept ones must be: the fallback before the first build, and the
// oracle of the tests.
func (s *Store) ScanAlertRollups(ctx context.Context, day int64) ([]AlertRollup, error) {
	loc, err := s.TimeZone(ctx)
	if err != nil {
		return nil, err
	}
	from := time.Date(int(day/10000), time.Month(day/100%100), int(day%100), 0, 0, 0, 0, loc)
	set := AlertRollupSet{}
	if err := scanAlertFields(ctx, s.r, s, from.UnixMicro(), from.AddDate(0, 0, 1).UnixMicro(), func(f *alertFields) {
		set.addFields(day, f, 1)
	}); err != nil {
		return nil, err
	}
	return set.Sorted(), nil
}

// scanAlertFields calls fn with the rollup fields of every alert created in
// [from, to) (Unix microseconds).
func scanAlertFields(ctx context.Context, q dbConn, s *Store, from, to int64, fn func(*alertFields)) error {
	rows, err := q.QueryContext(ctx, s.rebind(`SELECT source, rule_id, rule_name, severity, disposition, case_ext_id <> '',
		occurred_at, created_at, techniques FROM alerts WHERE created_at >= ? AND created_at < ?`), from, to)
	if err != nil {
		return fmt.Errorf("reading alerts: %w", err)
	}
	defer rows.Close()
	var f alertFields
	for rows.Next() {
		if err := rows.Scan(&f.source, &f.ruleID, &f.ruleName, &f.severity, &f.disposition, &f.linked, &f.occurred,
			&f.created, &f.techniques); err != nil {
			return fmt.Errorf("reading alerts: %w", err)
		}
		fn(&f)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading alerts: %w", err)
	}
	return nil
}

// RebuildAlertRollups computes the kept alert rollups again from the alert
// rows, replacing what was kept, and marks every alert day for the metrics
// engine to rebuild its parts. Days before the retention horizon
// (SettingAlertsPrunedBefore) keep theirs: their removed alerts are counted
// nowhere else. It returns how many rollups it stored.
func (s *Store) RebuildAlertRollups(ctx context.Context) (int, error) {
	n := 0
	_, err := s.write(ctx, func(a *applier) error {
		var err error
		n, err = a.rebuildAlertRollups()
		return err
	})
	return n, err
}

func (a *applier) rebuildAlertRollups() (int, error) {
	if err := a.loadKPIContext(); err != nil {
		return 0, err
	}
	// Days before the retention horizon keep their rollups: their removed
	// alerts are counted there and nowhere else (see PruneAlerts).
	from, fromDay := int64(-1<<62), int64(0)
	var horizon string
	err := a.queryRow(`SELECT value FROM settings WHERE name = ?`, SettingAlertsPrunedBefore).Scan(&horizon)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return 0, fmt.Errorf("reading the retention horizon: %w", err)
	default:
		if from, err = strconv.ParseInt(horizon, 10, 64); err != nil {
			return 0, fmt.Errorf("setting %s: %q is not a time", SettingAlertsPrunedBefore, horizon)
		}
		fromDay = DayOf(time.UnixMicro(from), a.tz)
	}
	set := AlertRollupSet{}
	// Read whole before writing: PostgreSQL cannot write on a connection
	// with a query still open.
	err = scanAlertFields(a.ctx, a.tx, a.s, from, 1<<62, func(f *alertFields) {
		if f.created.Valid {
			set.addFields(DayOf(time.UnixMicro(f.created.Int64), a.tz), f, 1)
		}
	})
	if err != nil {
		return 0, err
	}
	if _, err := a.exec(`DELETE FROM alert_rollups WHERE day >= ?`, fromDay); err != nil {
		return 0, fmt.Errorf("clearing alert rollups: %w", err)
	}
	for _, r := range set.Sorted() {
		if _, err := a.exec(`INSERT INTO alert_rollups (day, source, rule_id, rule_name, data) VALUES (?, ?, ?, ?, ?)`,
			r.Day, r.Source, r.RuleID, r.RuleName, r.encode()); err != nil {
			return 0, fmt.Errorf("storing the alert rollup of %d %s/%s: %w", r.Day, r.Source, r.RuleID, err)
		}
	}
	if _, err := a.exec(`DELETE FROM alert_rollups_rebuild`); err != nil {
		return 0, fmt.Errorf("clearing the alert rollup state: %w", err)
	}
	a.rollups = nil
	if err := a.recountRows(); err != nil {
		return 0, err
	}
	return len(set), a.markAllDays(RollupAlerts)
}

// buildPendingAlertRollups builds the alert rollups of a store migrated from
// before they were kept, or kept in format 1 (without joint counts), once;
// it is a no-op when there is nothing to build.
func (s *Store) buildPendingAlertRollups(ctx context.Context) error {
	due := func(q dbConn) (bool, error) {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM alert_rollups_rebuild`).Scan(&n); err != nil {
			return false, fmt.Errorf("reading the alert rollup state: %w", err)
		}
		if n > 0 {
			return true, nil
		}
		// Rollups are rewritten in the current format on the first open
		// after an upgrade, so the newest day's tells the format of all
		// (days before the retention horizon keep theirs).
		var data []byte
		err := q.QueryRowContext(ctx, `SELECT data FROM alert_rollups ORDER BY day DESC LIMIT 1`).Scan(&data)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("reading the alert rollup format: %w", err)
		}
		return len(data) > 0 && data[0] != alertRollupFormat, nil
	}
	if ok, err := due(s.r); err != nil || !ok {
		return err
	}
	start := time.Now()
	var n int
	_, err := s.write(ctx, func(a *applier) error {
		ok, err := due(a.tx)
		if err != nil || !ok {
			return err
		}
		n, err = a.rebuildAlertRollups()
		return err
	})
	if err != nil {
		return fmt.Errorf("building alert rollups: %w", err)
	}
	slog.Info("built the alert rollups once from the stored alerts", "rollups", n, "took", time.Since(start).Round(time.Millisecond))
	return nil
}
