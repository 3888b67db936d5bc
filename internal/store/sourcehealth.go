package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// LagBounds are the upper bounds of the ingest-lag histogram's buckets kept
// per source and hour; the last bucket (LagBuckets-1) holds every lag of a
// day or more. A negative lag (clock skew) counts in the first bucket.
var LagBounds = [LagBuckets - 1]time.Duration{
	15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute,
	30 * time.Minute, time.Hour, 3 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// LagBuckets is the number of buckets of the ingest-lag histogram.
const LagBuckets = 12

// LagBucket is the histogram bucket of an ingest lag.
func LagBucket(d time.Duration) int {
	for i, b := range LagBounds {
		if d < b {
			return i
		}
	}
	return LagBuckets - 1
}

// HourMicros is an hour in Unix microseconds: the width of a health rollup.
const HourMicros = int64(time.Hour / time.Microsecond)

// SourceHour is one source's alerts created in one hour (Unix hours, UTC).
type SourceHour struct {
	Source     string
	Hour       int64
	Alerts     int64
	Duplicates int64 // dispositioned duplicate
	Resent     int64 // delivered again with a key already stored, unchanged
	LastAt     time.Time
	Lag        [LagBuckets]int64 // ingest lag histogram (LagBounds)
}

// SourceRuleHour is the alerts of one source's rule created in one hour.
type SourceRuleHour struct {
	Source, RuleID string
	Hour, Alerts   int64
}

// SourceRuleDay is the alerts of one source's rule created in each hour of
// a UTC day (Unix days: the Unix hour of Hours[0] is Day × 24).
type SourceRuleDay struct {
	Source, RuleID string
	Day            int64
	Hours          [24]int64
}

// SourceRule is a (source, rule) pair that has alerts, with the creation
// times of its first and newest.
type SourceRule struct {
	Source, RuleID string
	First, Last    time.Time
}

type healthHourKey struct {
	source string
	hour   int64
}

type healthRuleKey struct {
	source, rule string
	day          int64
}

type healthHour struct {
	alerts, dups, resent, lastAt int64
	lag                          [LagBuckets]int64
}

// healthDelta is what a batch adds to the source health rollups.
type healthDelta struct {
	hours map[healthHourKey]*healthHour
	rules map[healthRuleKey]*[24]int64
	seen  map[[2]string][2]int64 // (source, rule) → first, last created_at
}

func newHealthDelta() *healthDelta {
	return &healthDelta{hours: map[healthHourKey]*healthHour{}, rules: map[healthRuleKey]*[24]int64{}, seen: map[[2]string][2]int64{}}
}

// addRule adds n alerts to a rule's Unix hour.
func (d *healthDelta) addRule(source, rule string, hour, n int64) {
	k := healthRuleKey{source, rule, hour / 24}
	r := d.rules[k]
	if r == nil {
		r = new([24]int64)
		d.rules[k] = r
	}
	r[hour%24] += n
}

func (a *applier) healthHour(source string, created int64) *healthHour {
	if a.health == nil {
		a.health = newHealthDelta()
	}
	k := healthHourKey{source, created / HourMicros}
	h := a.health.hours[k]
	if h == nil {
		h = &healthHour{}
		a.health.hours[k] = h
	}
	return h
}

// countAlert adds (sign +1) or takes away (-1) one stored alert from the
// health rollups: its source's hour, its rule's hour and, when added, the
// rule's first and last alert.
func (a *applier) countAlert(source, rule string, created, ingested int64, disp model.Disposition, sign int64) {
	if created <= 0 {
		return // undated (or before 1970): in no hour
	}
	h := a.healthHour(source, created)
	h.alerts += sign
	if disp == model.DispositionDuplicate {
		h.dups += sign
	}
	h.lag[LagBucket(time.Duration(ingested-created)*time.Microsecond)] += sign
	a.health.addRule(source, rule, created/HourMicros, sign)
	if sign > 0 {
		h.lastAt = max(h.lastAt, created)
		k := [2]string{source, rule}
		fl, ok := a.health.seen[k]
		if !ok {
			fl = [2]int64{created, created}
		}
		a.health.seen[k] = [2]int64{min(fl[0], created), max(fl[1], created)}
	}
}

// countResent counts an alert delivered again unchanged.
func (a *applier) countResent(source string, created int64) {
	if created <= 0 {
		return
	}
	a.healthHour(source, created).resent++
}

// healthRowsPerStatement keeps the upserts under both engines' parameter
// limits.
const healthRowsPerStatement = 128 // a power of two, as chunkSizes needs

// flushHealth adds the batch's counts to the stored rollups, in key order
// so concurrent writers on PostgreSQL take row locks in the same order.
func (a *applier) flushHealth() error {
	d := a.health
	a.health = nil
	if d == nil {
		return nil
	}
	greatest, least := "MAX", "MIN"
	if a.s.engine == Postgres {
		greatest, least = "GREATEST", "LEAST"
	}
	hours := make([]healthHourKey, 0, len(d.hours))
	for k := range d.hours {
		hours = append(hours, k)
	}
	sort.Slice(hours, func(i, j int) bool {
		if hours[i].source != hours[j].source {
			return hours[i].source < hours[j].source
		}
		return hours[i].hour < hours[j].hour
	})
	lagCols := make([]string, LagBuckets)
	lagSet := make([]string, LagBuckets)
	for i := range lagCols {
		lagCols[i] = fmt.Sprintf("lag%d", i)
		lagSet[i] = fmt.Sprintf("lag%d = source_hours.lag%d + excluded.lag%d", i, i, i)
	}
	row := "(?" + strings.Repeat(", ?", 5+LagBuckets) + ")"
	for _, n := range chunkSizes(len(hours), healthRowsPerStatement) {
		chunk := hours[:n]
		hours = hours[n:]
		args := make([]any, 0, n*(6+LagBuckets))
		for _, k := range chunk {
			h := d.hours[k]
			args = append(args, k.source, k.hour, h.alerts, h.dups, h.resent, h.lastAt)
			for _, v := range h.lag {
				args = append(args, v)
			}
		}
		q := multiRowSQL(`INSERT INTO source_hours (source, hour, alerts, duplicates, resent, last_at, `+strings.Join(lagCols, ", ")+`) VALUES `,
			row, n, ` ON CONFLICT (source, hour) DO UPDATE SET alerts = source_hours.alerts + excluded.alerts,
				duplicates = source_hours.duplicates + excluded.duplicates, resent = source_hours.resent + excluded.resent,
				last_at = `+greatest+`(source_hours.last_at, excluded.last_at), `+strings.Join(lagSet, ", "))
		if _, err := a.exec(q, args...); err != nil {
			return fmt.Errorf("adding to the source health rollups: %w", err)
		}
	}
	rules := make([]healthRuleKey, 0, len(d.rules))
	for k, v := range d.rules {
		if *v != ([24]int64{}) {
			rules = append(rules, k)
		}
	}
	sort.Slice(rules, func(i, j int) bool {
		x, y := rules[i], rules[j]
		if x.source != y.source {
			return x.source < y.source
		}
		if x.rule != y.rule {
			return x.rule < y.rule
		}
		return x.day < y.day
	})
	hourCols, hourSet := make([]string, 24), make([]string, 24)
	for i := range hourCols {
		hourCols[i] = fmt.Sprintf("h%d", i)
		hourSet[i] = fmt.Sprintf("h%d = source_rule_days.h%d + excluded.h%d", i, i, i)
	}
	dayRow := "(?" + strings.Repeat(", ?", 2+24) + ")"
	for _, n := range chunkSizes(len(rules), healthRowsPerStatement/2) {
		chunk := rules[:n]
		rules = rules[n:]
		args := make([]any, 0, n*27)
		for _, k := range chunk {
			args = append(args, k.source, k.rule, k.day)
			for _, v := range d.rules[k] {
				args = append(args, v)
			}
		}
		if _, err := a.exec(multiRowSQL(`INSERT INTO source_rule_days (source, rule_id, day, `+strings.Join(hourCols, ", ")+`) VALUES `, dayRow, n,
			` ON CONFLICT (source, rule_id, day) DO UPDATE SET `+strings.Join(hourSet, ", ")), args...); err != nil {
			return fmt.Errorf("adding to the rule health rollups: %w", err)
		}
	}
	pairs := make([][2]string, 0, len(d.seen))
	for k := range d.seen {
		pairs = append(pairs, k)
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i][0] != pairs[j][0] {
			return pairs[i][0] < pairs[j][0]
		}
		return pairs[i][1] < pairs[j][1]
	})
	for _, n := range chunkSizes(len(pairs), healthRowsPerStatement*4) {
		chunk := pairs[:n]
		pairs = pairs[n:]
		args := make([]any, 0, n*4)
		for _, k := range chunk {
			fl := d.seen[k]
			args = append(args, k[0], k[1], fl[0], fl[1])
		}
		if _, err := a.exec(multiRowSQL(`INSERT INTO source_rules (source, rule_id, first_at, last_at) VALUES `, "(?, ?, ?, ?)", n,
			` ON CONFLICT (source, rule_id) DO UPDATE SET first_at = `+least+`(source_rules.first_at, excluded.first_at),
				last_at = `+greatest+`(source_rules.last_at, excluded.last_at)`), args...); err != nil {
			return fmt.Errorf("recording rules' first and last alerts: %w", err)
		}
	}
	return nil
}

// SourceHours returns the sources' hourly rollups for the Unix hours in
// [from, to), by source and hour.
func (s *Store) SourceHours(ctx context.Context, from, to int64) ([]SourceHour, error) {
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT source, hour, alerts, duplicates, resent, last_at, `+packedColumns("lag", LagBuckets)+`
		FROM source_hours WHERE hour >= ? AND hour < ? ORDER BY source, hour`), from, to)
	if err != nil {
		return nil, fmt.Errorf("reading source health rollups: %w", err)
	}
	defer rows.Close()
	var out []SourceHour
	var packed []byte
	for rows.Next() {
		var h SourceHour
		var last int64
		if err := rows.Scan(&h.Source, &h.Hour, &h.Alerts, &h.Duplicates, &h.Resent, &last, &packed); err != nil {
			return nil, fmt.Errorf("reading source health rollups: %w", err)
		}
		if err := unpackInts(packed, h.Lag[:]); err != nil {
			return nil, fmt.Errorf("reading source health rollups of %s hour %d: %w", h.Source, h.Hour, err)
		}
		if last > 0 {
			h.LastAt = time.UnixMicro(last).UTC()
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// SourceRuleDays returns the rules' hourly alert counts for the Unix days
// in [from, to), in no particular order. The 24 counts of a row are read as
// one text column: per-column overhead, not the data, is what reading
// weeks of history costs.
func (s *Store) SourceRuleDays(ctx context.Context, from, to int64) ([]SourceRuleDay, error) {
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT source, rule_id, day, `+packedColumns("h", 24)+` FROM source_rule_days
		WHERE day >= ? AND day < ?`), from, to)
	if err != nil {
		return nil, fmt.Errorf("reading rule health rollups: %w", err)
	}
	defer rows.Close()
	var out []SourceRuleDay
	var packed []byte
	for rows.Next() {
		var d SourceRuleDay
		if err := rows.Scan(&d.Source, &d.RuleID, &d.Day, &packed); err != nil {
			return nil, fmt.Errorf("reading rule health rollups: %w", err)
		}
		if err := unpackInts(packed, d.Hours[:]); err != nil {
			return nil, fmt.Errorf("reading rule health rollups of %s/%s day %d: %w", d.Source, d.RuleID, d.Day, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// packedColumns is an SQL expression joining columns prefix0 … prefix(n-1)
// with commas into one text value.
func packedColumns(prefix string, n int) string {
	cols := make([]string, n)
	for i := range cols {
		cols[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return strings.Join(cols, " || ',' || ")
}

// unpackInts parses the comma-separated integers of packedColumns into dst.
func unpackInts(b []byte, dst []int64) error {
	i := 0
	var v int64
	neg, digits := false, 0
	for k := 0; k <= len(b); k++ {
		if k == len(b) || b[k] == ',' {
			if i >= len(dst) || digits == 0 {
				return fmt.Errorf("packed counts %q: want %d integers", b, len(dst))
			}
			if neg {
				v = -v
			}
			dst[i] = v
			i, v, neg, digits = i+1, 0, false, 0
			continue
		}
		c := b[k]
		switch {
		case c == '-' && digits == 0 && !neg:
			neg = true
		case c >= '0' && c <= '9':
			v = v*10 + int64(c-'0')
			digits++
		default:
			return fmt.Errorf("packed counts %q: unexpected %q", b, c)
		}
	}
	if i != len(dst) {
		return fmt.Errorf("packed counts %q: want %d integers", b, len(dst))
	}
	return nil
}

// SourceRules returns every (source, rule) pair with alerts and the times
// of its first and newest alert, by source and rule.
func (s *Store) SourceRules(ctx context.Context) ([]SourceRule, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT source, rule_id, first_at, last_at FROM source_rules ORDER BY source, rule_id`)
	if err != nil {
		return nil, fmt.Errorf("reading sources' rules: %w", err)
	}
	defer rows.Close()
	var out []SourceRule
	for rows.Next() {
		var r SourceRule
		var first, last int64
		if err := rows.Scan(&r.Source, &r.RuleID, &first, &last); err != nil {
			return nil, fmt.Errorf("reading sources' rules: %w", err)
		}
		r.First, r.Last = time.UnixMicro(first).UTC(), time.UnixMicro(last).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// AddHealthRollups adds hourly rollups to the stored ones, in one
// transaction, by the same statements ingest uses. It is for benchmarks
// and tests that need the rollups of millions of alerts without storing
// the alerts; rules' first and last alerts are taken from pairs.
func (s *Store) AddHealthRollups(ctx context.Context, hours []SourceHour, rules []SourceRuleHour, pairs []SourceRule) error {
	_, err := s.write(ctx, func(a *applier) error {
		d := newHealthDelta()
		for _, h := range hours {
			d.hours[healthHourKey{h.Source, h.Hour}] = &healthHour{alerts: h.Alerts, dups: h.Duplicates, resent: h.Resent,
				lastAt: micros0(h.LastAt), lag: h.Lag}
		}
		for _, r := range rules {
			d.addRule(r.Source, r.RuleID, r.Hour, r.Alerts)
		}
		for _, p := range pairs {
			d.seen[[2]string{p.Source, p.RuleID}] = [2]int64{micros0(p.First), micros0(p.Last)}
		}
		a.health = d
		return a.flushHealth()
	})
	return err
}
