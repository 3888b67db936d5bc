package metrics

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/watchfloor/watchfloor/internal/kpi/sketch"
	"github.com/watchfloor/watchfloor/internal/store"
)

// A quarter of stored alert days is 90 decodes of every rule's MTTD sketch
// (about 240 bins a rule on a busy day), most of a report's time. Whole
// aligned spans of 2, 4, … 64 days are therefore also stored merged: a
// window reads the largest spans that fit in it and the days at its ends,
// at most two pieces a span length, about a dozen for a quarter.
//
// Counts and sketch bins add up the same in any grouping; a float sum does
// not. A span keeps, for every rule, the MTTD sum of each of its days, and a
// window adds them in day order, exactly the additions it makes when it
// adds the days one by one, so a report is the same to the last bit.

// maxSpanLevel is the longest span, 2^maxSpanLevel days.
const maxSpanLevel = 6

// The longest span must be one the store drops when one of its days is
// erased.
var _ = [1]struct{}{}[store.MaxRollupSpan-(1<<maxSpanLevel)]

// piece is a span of 2^level days from first (a civil day number: days
// since 1970-01-01).
type piece struct {
	first int64
	level int
}

// civilDay is a YYYYMMDD day's number of days since 1970-01-01.
func civilDay(d int64) int64 {
	return time.Date(int(d/10000), time.Month(d/100%100), int(d%100), 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// yyyymmdd is a civil day number's YYYYMMDD day.
func yyyymmdd(c int64) int64 { return day(time.Unix(c*86400, 0).UTC()) }

// pieces cuts the days from … to (civil day numbers, inclusive) into the
// largest aligned spans that fit, in day order.
func pieces(from, to int64) []piece {
	var out []piece
	for p := from; p <= to; {
		l := 0
		for l < maxSpanLevel && p%(2<<l) == 0 && p+(2<<l)-1 <= to {
			l++
		}
		out = append(out, piece{p, l})
		p += 1 << l
	}
	return out
}

// alertSpan is the alert aggregates of consecutive days by rule key:
// counts and sketch bins over the span, MTTD sums day by day.
type alertSpan struct {
	days  int
	rules map[string]*spanRule
}

// spanRule is one rule over a span: its aggregate (MTTD.Sum unused) and
// the MTTD sum of each day of the span (0 where it had no alert).
type spanRule struct {
	agg  *RuleAgg
	sums []float64
}

// join is a followed by b.
func join(a, b *alertSpan) *alertSpan {
	out := &alertSpan{days: a.days + b.days, rules: make(map[string]*spanRule, max(len(a.rules), len(b.rules)))}
	for _, half := range []struct {
		sp  *alertSpan
		off int
	}{{a, 0}, {b, a.days}} {
		for k, sr := range half.sp.rules {
			o := out.rules[k]
			if o == nil {
				o = &spanRule{agg: &RuleAgg{Source: sr.agg.Source, RuleID: sr.agg.RuleID, RuleName: sr.agg.RuleName,
					Dispositions: map[string]int64{}, MTTD: &Agg{}}, sums: make([]float64, out.days)}
				out.rules[k] = o
			}
			o.agg.addCounts(sr.agg)
			o.agg.MTTD.merge(sr.agg.MTTD)
			copy(o.sums[half.off:], sr.sums)
		}
	}
	for _, o := range out.rules {
		o.agg.MTTD.Sum = 0
		o.agg.MTTD.freeze()
		o.agg.MTTD.sk = nil // read from its bins, as when decoded: half the memory
	}
	return out
}

// daySpan is one day as a span.
func daySpan(ad AlertDay) *alertSpan {
	sp := &alertSpan{days: 1, rules: make(map[string]*spanRule, len(ad))}
	for k, r := range ad {
		sp.rules[k] = &spanRule{agg: r, sums: []float64{r.MTTD.Sum}}
	}
	return sp
}

// addCounts adds o's name, counts and verdicts (not its MTTD) to r.
func (r *RuleAgg) addCounts(o *RuleAgg) {
	if o.RuleName > r.RuleName {
		r.RuleName = o.RuleName
	}
	r.Alerts += o.Alerts
	r.Linked += o.Linked
	for i, n := range o.Severity {
		r.Severity[i] += n
	}
	for k, n := range o.Dispositions {
		r.Dispositions[k] += n
	}
}

// mergeSpan adds a span to d as merge adds its days one by one: the
// counts, the sketch bins to the dense sums in mttd, and each day's MTTD
// sum in day order.
func (d AlertDay) mergeSpan(sp *alertSpan, mttd map[string]*sketch.Dense) {
	for k, sr := range sp.rules {
		m := d[k]
		if m == nil {
			m = &RuleAgg{Source: sr.agg.Source, RuleID: sr.agg.RuleID, RuleName: sr.agg.RuleName, Dispositions: map[string]int64{}, MTTD: &Agg{}}
			d[k] = m
		}
		m.addCounts(sr.agg)
		a := sr.agg.MTTD
		m.MTTD.N += a.N
		m.MTTD.Open += a.Open
		m.MTTD.Missing += a.Missing
		m.MTTD.Clamped += a.Clamped
		m.MTTD.Imputed += a.Imputed
		for _, s := range sr.sums {
			m.MTTD.Sum += s
		}
		sum := mttd[k]
		if sum == nil {
			sum = &sketch.Dense{}
			mttd[k] = sum
		}
		a.addTo(sum)
	}
}

// spanPart names the stored part of an alert span of 2^level days.
func spanPart(level int) string { return partRules + "@" + strconv.Itoa(1<<level) }

// spanKey identifies a span in the engine's cache.
type spanKey struct {
	first int64
	level int
}

type cachedSpan struct {
	version int64
	span    *alertSpan
}

// spanOf returns the alert aggregates of a piece of the window: a day, or
// a span from the engine's cache, the store, or joined from its halves
// (and stored). days holds the window's days by civil day number; nil
// means the piece has no day. Only the spans a window reads (keep) stay in
// the engine's cache, not the halves they were joined from.
func (e *Engine) spanOf(ctx context.Context, p piece, days map[int64]store.RollupDay, loc *time.Location, keep bool) (*alertSpan, error) {
	if p.level == 0 {
		r, ok := days[p.first]
		if !ok {
			return nil, nil
		}
		ad, err := e.alertDay(ctx, r, loc)
		if err != nil {
			return nil, err
		}
		return daySpan(ad), nil
	}
	n := int64(1) << p.level
	var version int64
	for c := p.first; c < p.first+n; c++ {
		version += days[c].Version
	}
	if version == 0 {
		return nil, nil
	}
	k := spanKey{p.first, p.level}
	e.mu.Lock()
	c, ok := e.spans[k]
	e.mu.Unlock()
	if ok && c.version == version {
		return c.span, nil
	}
	first, last := yyyymmdd(p.first), yyyymmdd(p.first+n-1)
	stored, data, ok, err := e.Store.RollupPart(ctx, store.RollupAlerts, first, spanPart(p.level))
	if err != nil {
		return nil, err
	}
	if ok && stored == version {
		sp, err := decodeAlertSpan(data)
		if err == nil && sp.days == int(n) {
			return e.cacheSpan(k, version, sp, keep), nil
		}
		if err != nil && !errors.Is(err, errPartFormat) {
			return nil, fmt.Errorf("reading alert rollup %s of %d: %w", spanPart(p.level), first, err)
		}
	}
	halves := [2]*alertSpan{}
	for i := range halves {
		h, err := e.spanOf(ctx, piece{p.first + int64(i)*n/2, p.level - 1}, days, loc, false)
		if err != nil {
			return nil, err
		}
		if h == nil {
			h = &alertSpan{days: int(n / 2)}
		}
		halves[i] = h
	}
	sp := join(halves[0], halves[1])
	err = e.Store.SaveRollupSpan(store.NoWait(ctx), store.RollupAlerts, first, last, spanPart(p.level), version, encodeAlertSpan(sp))
	if err != nil && !store.IsBusy(err) {
		return nil, err
	}
	return e.cacheSpan(k, version, sp, keep), nil
}

func (e *Engine) cacheSpan(k spanKey, version int64, sp *alertSpan, keep bool) *alertSpan {
	if !keep {
		return sp
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.spans == nil {
		e.spans = map[spanKey]cachedSpan{}
	}
	e.spans[k] = cachedSpan{version, sp}
	return sp
}

// encodeAlertSpan encodes a span: its length, then each rule as a day of
// alerts is encoded (MTTD sum 0) followed by which days have a sum and
// those sums.
func encodeAlertSpan(sp *alertSpan) string {
	e := &encoder{}
	e.uvarint(uint64(sp.days))
	e.uvarint(uint64(len(sp.rules)))
	for _, k := range sortedKeys(sp.rules) {
		sr := sp.rules[k]
		e.str(k)
		e.ruleAgg(sr.agg)
		var present uint64
		for i, s := range sr.sums {
			if s != 0 {
				present |= 1 << i
			}
		}
		e.uvarint(present)
		for _, s := range sr.sums {
			if s != 0 {
				e.float(s)
			}
		}
	}
	return e.text()
}

func decodeAlertSpan(data string) (*alertSpan, error) {
	d, err := newDecoder(data)
	if err != nil {
		return nil, err
	}
	days := d.uvarint()
	if days > 64 {
		return nil, fmt.Errorf("a span of %d days", days)
	}
	n := d.length()
	sp := &alertSpan{days: int(days), rules: make(map[string]*spanRule, n)}
	for range n {
		k := d.str()
		sr := &spanRule{agg: d.ruleAgg(), sums: make([]float64, days)}
		present := d.uvarint()
		if days < 64 && present>>days != 0 {
			d.fail("span sums")
		}
		for i := range sr.sums {
			if present&(1<<i) != 0 {
				sr.sums[i] = d.float()
				if sr.sums[i] == 0 || math.IsNaN(sr.sums[i]) {
					d.fail("span sums")
				}
			}
		}
		sp.rules[k] = sr
	}
	return sp, d.done()
}
